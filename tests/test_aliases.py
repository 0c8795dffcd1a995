"""Every name tapegrad has, in every namespace where TensorFlow 2.21 has it.

TensorFlow exposes one function under several names (``tf.add`` is ``tf.math.add``,
``tf.nn.softmax`` is ``tf.math.softmax``, ``tf.cast`` is ``tf.dtypes.cast``). A program written
against any of those names must run under tapegrad. The list is derived from TensorFlow itself:
each public object of the namespaces below is grouped with the other names TensorFlow gives the
same object, and wherever tapegrad has one name of a group it must have all of them.
"""

from __future__ import annotations

import collections
import os
import types
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tensorflow = pytest.importorskip("tensorflow")

import tapegrad  # noqa: E402

NAMESPACES = ["", "math", "linalg", "nn", "random", "dtypes", "debugging", "autodiff", "errors",
              "config", "train", "data", "signal", "bitwise", "optimizers",
              "optimizers.schedules", "keras", "keras.optimizers", "keras.optimizers.schedules",
              "keras.layers", "keras.losses", "keras.metrics", "keras.activations",
              "keras.initializers", "keras.regularizers", "keras.callbacks", "keras.models",
              "keras.utils", "keras.saving"]


def _lookup(module: Any, path: str) -> Any:
    for part in path.split(".") if path else ():
        module = getattr(module, part, None)
        if module is None:
            return None
    return module


def _has(namespace: str, name: str) -> bool:
    module = _lookup(tapegrad, namespace)
    return module is not None and hasattr(module, name)


def _name_groups() -> list[list[tuple[str, str]]]:
    """Each public TensorFlow object's names, as (namespace, name) pairs, one list per object."""
    groups: dict[int, list[tuple[str, str]]] = collections.defaultdict(list)
    keep = []  # holds every object seen, so that no id is reused while grouping
    for namespace in NAMESPACES:
        module = _lookup(tensorflow, namespace)
        if module is None:
            continue
        for name in dir(module):
            obj = getattr(module, name, None)
            if name.startswith("_") or obj is None or isinstance(obj, types.ModuleType):
                continue
            keep.append(obj)
            groups[id(obj)].append((namespace, name))
    return list(groups.values())


def _dotted(namespace: str, name: str) -> str:
    return ".".join(["tapegrad", namespace, name] if namespace else ["tapegrad", name])


def test_every_name_is_where_tensorflow_puts_it() -> None:
    missing = []
    for names in _name_groups():
        present = [n for n in names if _has(*n)]
        if present:
            missing += [f"{_dotted(*n)} (tapegrad has {_dotted(*present[0])})"
                        for n in names if n not in present]
    assert not missing, "names TensorFlow has and tapegrad lacks:\n" + "\n".join(sorted(missing))


def test_the_aliases_are_the_same_objects() -> None:
    # The groups above are by identity in TensorFlow; tapegrad's aliases must be one object too,
    # not copies that could drift apart.
    different = []
    for names in _name_groups():
        objects = {_dotted(*n): _lookup(tapegrad, ".".join(p for p in n if p))
                   for n in names if _has(*n)}
        if len({id(o) for o in objects.values()}) > 1:
            different.append(", ".join(objects))
    assert not different, "\n".join(different)


def test_the_check_finds_a_missing_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(tapegrad.math, "softmax")
    with pytest.raises(AssertionError, match=r"tapegrad\.math\.softmax \(tapegrad has "
                                             r"tapegrad\.nn\.softmax\)"):
        test_every_name_is_where_tensorflow_puts_it()
