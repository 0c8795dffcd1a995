"""Modules, name scopes and checkpoints: ``tf.Module``, ``tf.name_scope``, ``tf.init_scope`` and
``tf.train.Checkpoint``/``CheckpointManager``.

A Module finds its variables and submodules by walking its attributes, as TensorFlow's does; a
variable made inside a name scope is named after it. A Checkpoint saves every variable reachable
from its objects by attribute names, list indices and dict keys, and restores them by those
paths, into the same objects or into new ones built the same way.

>>> import tapegrad as tf
>>> class Dense(tf.Module):
...     def __init__(self, units, name=None):
...         super().__init__(name=name)
...         with self.name_scope:
...             self.w = tf.Variable(tf.ones([2, units]), name="w")
...             self.b = tf.Variable(tf.zeros([units]), name="b")
>>> layer = Dense(3)
>>> layer.name, [v.name for v in layer.variables]
('dense', ['dense/b:0', 'dense/w:0'])
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import time
import types
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import errors, tape
from .function import Function
from .tensor import Tensor, Variable, base_variable, name_scope_state

# ----- name scopes -----


class name_scope:  # noqa: N801 -- TensorFlow's name
    """A context that prefixes the names of the variables made inside it (``tf.name_scope``).

    Scopes nest (``a/b/``); a name ending in ``/`` is used as it is, and ``""`` clears the scope.
    Entering returns the scope's full name.

    >>> import tapegrad as tf
    >>> with tf.name_scope("outer"):
    ...     with tf.name_scope("inner") as scope:
    ...         v = tf.Variable(1.0, name="v")
    >>> scope, v.name
    ('outer/inner/', 'outer/inner/v:0')
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise ValueError("name for name_scope must be a string.")
        self._name = name
        self._outer: list[str] = []  # the scopes to go back to: one per (re-)entry

    @property
    def name(self) -> str:
        return self._name

    def __enter__(self) -> str:
        outer = name_scope_state.name
        name = self._name
        scope = "" if not name else name if name.endswith("/") else f"{outer}{name}/"
        self._outer.append(outer)
        name_scope_state.name = scope
        return scope

    def __exit__(self, *exc: Any) -> None:
        name_scope_state.name = self._outer.pop()


@contextlib.contextmanager
def init_scope() -> Iterator[None]:
    """A context for making state (``tf.init_scope``): no GradientTape of this thread records in
    it, so initial values never become part of a gradient.

    >>> import tapegrad as tf
    >>> x = tf.Variable(2.0)
    >>> with tf.GradientTape() as t:
    ...     with tf.init_scope():
    ...         start = x * 10.0
    ...     y = x * start
    >>> float(t.gradient(y, x))
    20.0
    """
    with contextlib.ExitStack() as stack:
        for recording in list(tape._state.tapes):
            stack.enter_context(recording.stop_recording())
        yield


# ----- Module -----

_VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL_BOUNDARY = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")


def _is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def _is_trainable_variable(x: Any) -> bool:
    return isinstance(x, Variable) and x.trainable


def _is_non_trainable_variable(x: Any) -> bool:
    return isinstance(x, Variable) and not x.trainable


def _is_module(x: Any) -> bool:
    return isinstance(x, Module)


class Module:
    """A named container of variables and other modules (``tf.Module``).

    ``variables``, ``trainable_variables``, ``non_trainable_variables`` and ``submodules`` are
    found by walking the attributes in sorted order (into lists, tuples and dicts), then the
    submodules found, each once. Variables made under ``with self.name_scope:`` (or in a method
    decorated with ``Module.with_name_scope``) are named ``module_name/var_name:0``.

    >>> import tapegrad as tf
    >>> class Scale(tf.Module):
    ...     def __init__(self, name=None):
    ...         super().__init__(name=name)
    ...         self.k = tf.Variable(2.0, name="k")
    ...         self.parts = [tf.Module(name="part")]
    ...     def __call__(self, x):
    ...         return self.k * x
    >>> s = Scale()
    >>> s.name, s(3.0).numpy(), s.trainable_variables, [m.name for m in s.submodules]
    ('scale', np.float32(6.0), (<tapegrad.Variable 'k:0' shape=() dtype=float32, numpy=2.0>,), \
['part'])
    """

    # Attributes the traversal skips; a subclass may add its own, as in TensorFlow.
    _TF_MODULE_IGNORED_PROPERTIES: frozenset[str] = frozenset((
        "_self_unconditional_checkpoint_dependencies", "_self_unconditional_dependency_names"))

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = _CAMEL_BOUNDARY.sub(r"_\1", type(self).__name__).lower()
        elif not isinstance(name, str) or not _VALID_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._name = name
        with name_scope(name) as scope:
            self._name_scope = name_scope(scope)

    @property
    def name(self) -> str:
        """The module's name, without its scope: ``dense``."""
        return self._name

    @property
    def name_scope(self) -> name_scope:
        """The scope to make this module's variables in: ``with self.name_scope: ...``."""
        return self._name_scope

    @property
    def variables(self) -> tuple[Variable, ...]:
        """Every variable of this module and its submodules, each once."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self) -> tuple[Variable, ...]:
        """The variables with ``trainable=True``."""
        return tuple(self._flatten(predicate=_is_trainable_variable))

    @property
    def non_trainable_variables(self) -> tuple[Variable, ...]:
        """The variables with ``trainable=False``."""
        return tuple(self._flatten(predicate=_is_non_trainable_variable))

    @property
    def submodules(self) -> tuple[Module, ...]:
        """Every module below this one, each once."""
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive: bool = True, predicate: Callable[[Any], bool] | None = None,
                 attribute_traversal_key: Callable[[str], Any] | None = None,
                 with_path: bool = False, expand_composites: bool = False) -> Iterator[Any]:
        """The values below this module for which ``predicate`` holds (all, without one), or
        ``(path, value)`` pairs ``with_path``: TensorFlow's traversal, described in the class."""
        return _flatten_module(self, recursive, predicate or (lambda _: True),
                               attribute_traversal_key, with_path, (), {id(self)}, [])

    @classmethod
    def with_name_scope(cls, method: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate a method so that it runs in its module's name scope.

        >>> import tapegrad as tf
        >>> class Maker(tf.Module):
        ...     @tf.Module.with_name_scope
        ...     def make(self):
        ...         return tf.Variable(0.0, name="v")
        >>> Maker().make().name
        'maker/v:0'
        """
        @functools.wraps(method)
        def in_scope(self: Module, *args: Any, **kwargs: Any) -> Any:
            with self.name_scope:
                return method(self, *args, **kwargs)
        return in_scope


def _leaves(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """``(path, leaf)`` for each leaf of a nest of lists, tuples and dicts (dicts by sorted key)."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves(value[key], path + (key,))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaves(item, path + (i,))
    else:
        yield path, value


def _flatten_module(module: Module, recursive: bool, predicate: Callable[[Any], bool],
                    key: Callable[[str], Any] | None, with_path: bool, module_path: tuple[Any, ...],
                    seen: set[int], stack: list[int]) -> Iterator[Any]:
    """This module's matching leaves (attributes in sorted order), then each submodule's."""
    if id(module) in stack:
        recursive = False
    submodules = []
    attributes = vars(module)
    for name in sorted(attributes, key=key):
        if name in module._TF_MODULE_IGNORED_PROPERTIES:
            continue
        for leaf_path, leaf in _leaves(attributes[name], (name,)):
            if not with_path:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
            if predicate(leaf):
                yield (module_path + leaf_path, leaf) if with_path else leaf
            if recursive and isinstance(leaf, Module):
                submodules.append((module_path + leaf_path, leaf))
    stack.append(id(module))
    for path, submodule in submodules:
        yield from _flatten_module(submodule, recursive, predicate, key, with_path, path, seen,
                                   stack)
    stack.pop()


# ----- checkpoints -----

_FORMAT = "tapegrad-checkpoint"
# Classes from these packages hold no variables of ours: never walked into.
_FOREIGN = frozenset(sys.stdlib_module_names) | {"numpy", "pandas", "scipy", "matplotlib"}


def _walkable(obj: Any) -> bool:
    """An object whose attributes may hold variables: a Module, a layer, an optimizer, ...
    (not a dataset: its data and cache are no state to save)."""
    module = type(obj).__module__
    return hasattr(obj, "__dict__") and not isinstance(
        obj, (type, types.ModuleType, types.FunctionType, types.MethodType, functools.partial,
              Tensor, Function)) and module.split(".")[0] not in _FOREIGN and \
        not module.startswith("tapegrad.data.")


def _trackable(obj: Any) -> bool:
    return isinstance(obj, (Variable, list, tuple, dict)) or _walkable(obj)


def _graph(roots: dict[str, Any]) -> tuple[dict[int, tuple[Variable, list[str]]],
                                            list[tuple[str, Any]]]:
    """Every variable reachable from ``roots`` with all of its paths (``model/layers/0/w``), and
    the optimizers found, each with its first path."""
    found: dict[int, tuple[Variable, list[str]]] = {}
    optimizers: list[tuple[str, Any]] = []
    expanded: set[int] = set()
    base = sys.modules.get("tapegrad.optimizers.base")
    optimizer_class = None if base is None else base.Optimizer

    def visit(obj: Any, path: str) -> None:
        if isinstance(obj, Variable):
            v = base_variable(obj)
            found.setdefault(id(v), (v, []))[1].append(path)
            return
        if id(obj) in expanded:
            return
        if isinstance(obj, dict):
            children = sorted(((str(k), v) for k, v in obj.items()), key=lambda kv: kv[0])
        elif isinstance(obj, (list, tuple)):
            children = [(str(i), v) for i, v in enumerate(obj)]
        elif _walkable(obj):
            children = sorted(vars(obj).items())
            if optimizer_class is not None and isinstance(obj, optimizer_class):
                optimizers.append((path, obj))
        else:
            return
        expanded.add(id(obj))
        for name, child in children:
            visit(child, f"{path}/{name}")

    for name, obj in roots.items():
        visit(obj, name)
    return found, optimizers


def _file(prefix: str, what: str) -> str:
    return f"{prefix}.npz" if what == "data" else f"{prefix}.index.json"


def _write(prefix: str, roots: dict[str, Any]) -> str:
    import json
    found, optimizers = _graph(roots)
    paths_of = {id(v): paths for v, paths in found.values()}
    arrays, index = {}, {}
    for k, (v, paths) in enumerate(found.values()):
        value = np.asarray(v._value)
        arrays[f"v{k}"] = value.astype(bytes) if value.dtype == object else value  # no pickles
        for path in paths:
            index[path] = {"key": f"v{k}", "shape": list(np.shape(v._value)),
                           "dtype": v.dtype.name}
    # What each built optimizer was built for, so that a new one can make the same slots.
    built = {path: [paths_of[id(base_variable(v))] for v in opt._trainable_variables]
             for path, opt in optimizers if opt.built}
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    np.savez(_file(prefix, "data"), **arrays)
    with open(_file(prefix, "index"), "w") as f:
        json.dump({"format": _FORMAT, "version": 1, "variables": index,
                   "optimizers": built}, f, indent=1)
    return prefix


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` returns: which saved values and which variables matched.

    ``assert_consumed()`` raises AssertionError unless every saved value was restored and every
    variable got one; ``assert_existing_objects_matched()`` checks the variables only;
    ``expect_partial()`` accepts a partial match.
    """

    def __init__(self, unused: list[str], unmatched: list[str], restored: int) -> None:
        self._unused = unused  # checkpoint paths no variable took
        self._unmatched = unmatched  # variables (by path) the checkpoint had no value for
        self._restored = restored

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Every saved value went to a variable, and every variable got one."""
        if self._unused:
            raise AssertionError(f"Unresolved object in checkpoint: no object takes the saved "
                                 f"values {self._unused}")
        return self.assert_existing_objects_matched()

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Every variable of the checkpointed objects got a saved value."""
        if self._unmatched:
            raise AssertionError("Some Python objects were not bound to checkpointed values, "
                                 f"likely due to changes in the Python program: {self._unmatched}")
        return self

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        """At least one variable was restored."""
        if not self._restored:
            raise AssertionError("Nothing except the root object matched a checkpointed value.")
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Accept that some values or variables did not match."""
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Nothing to run: values are restored eagerly."""

    def initialize_or_restore(self, session: Any = None) -> None:
        """Nothing to run: values are restored eagerly."""


def _read_index(path: str) -> dict[str, Any]:
    import json
    try:
        with open(_file(path, "index")) as f:
            index = json.load(f)
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"Failed to find any matching files for {path}"
                                   ) from None
    if index.get("format") != _FORMAT:
        raise ValueError(f"{_file(path, 'index')} is not a tapegrad checkpoint index.")
    return index


def _restore(path: str, roots: dict[str, Any]) -> CheckpointLoadStatus:
    index = _read_index(path)
    saved = index["variables"]
    found, optimizers = _graph(roots)
    by_path = {p: v for v, paths in found.values() for p in paths}
    rebuilt = False
    for opt_path, opt in optimizers:  # make the slots of a new optimizer, as TF would lazily
        variables = [next((by_path[p] for p in paths if p in by_path), None)
                     for paths in index["optimizers"].get(opt_path, ())]
        if variables and not opt.built and all(v is not None for v in variables):
            opt.build(variables)
            rebuilt = True
    if rebuilt:
        found, _ = _graph(roots)
    used: set[str] = set()
    unmatched, updates = [], []
    with np.load(_file(path, "data"), allow_pickle=False) as data:
        for v, paths in found.values():
            path_found = next((p for p in paths if p in saved), None)
            if path_found is None:
                unmatched.append(paths[0])
                continue
            entry = saved[path_found]
            value = data[entry["key"]]
            if value.shape != np.shape(v._value):
                raise ValueError(f"Received incompatible tensor with shape {value.shape} when "
                                 f"attempting to restore variable with shape "
                                 f"{np.shape(v._value)} and name {path_found}.")
            if entry["dtype"] != v.dtype.name:
                raise ValueError(f"Received a tensor of dtype {entry['dtype']} when attempting "
                                 f"to restore variable with dtype {v.dtype.name} and name "
                                 f"{path_found}.")
            updates.append((v, value[()] if value.ndim == 0 else value))
            used.add(entry["key"])
    for v, value in updates:  # all checked first: a mismatch changes nothing
        v.assign(value)
    unused: dict[str, str] = {}  # one path (the first in sorted order) per value not restored
    for p in sorted(saved):
        if saved[p]["key"] not in used:
            unused.setdefault(saved[p]["key"], p)
    return CheckpointLoadStatus(sorted(unused.values()), unmatched, len(used))


class Checkpoint:
    """Saves and restores the variables of the objects given as keyword arguments
    (``tf.train.Checkpoint``).

    ``save(prefix)`` numbers its files (``prefix-1``, ``prefix-2``, ...) and records the latest in
    the directory's ``checkpoint`` file; ``write(path)`` writes exactly ``path``. ``restore`` (or
    ``read``) puts the saved values back by object path: attribute names through modules, layers,
    optimizers and plain objects, list indices and dict keys. The files are tapegrad's own (one
    ``.npz`` of values and a ``.index.json`` of paths), not TensorFlow's.

    >>> import os, tempfile, tapegrad as tf
    >>> net = tf.Module()
    >>> net.w = tf.Variable([1.0, 2.0])
    >>> ckpt = tf.train.Checkpoint(model=net)
    >>> path = ckpt.save(os.path.join(tempfile.mkdtemp(), "ckpt"))
    >>> os.path.basename(path)
    'ckpt-1'
    >>> _ = net.w.assign([0.0, 0.0])
    >>> ckpt.restore(path).assert_consumed()  # doctest: +ELLIPSIS
    <tapegrad.module.CheckpointLoadStatus object at ...>
    >>> net.w.numpy().tolist()
    [1.0, 2.0]
    """

    def __init__(self, root: Any = None, **kwargs: Any) -> None:
        for name, obj in ([("root", root)] if root is not None else []) + list(kwargs.items()):
            if not _trackable(obj):
                raise ValueError(f"`Checkpoint` was expecting {name} to be a trackable object "
                                 f"(an object derived from `Trackable`), got {obj!r}. If you "
                                 "believe this object should be trackable (i.e. it is part of "
                                 "the TensorFlow Python API and manages state), please open an "
                                 "issue.")
        self._root = root
        self._objects = dict(kwargs)
        self._save_counter: Variable | None = None
        for name, obj in kwargs.items():
            setattr(self, name, obj)

    @property
    def save_counter(self) -> Variable:
        """How many times ``save`` was called (an int64 Variable, saved with the checkpoint)."""
        if self._save_counter is None:
            with name_scope(""):
                self._save_counter = Variable(np.int64(0), trainable=False, name="save_counter")
        return self._save_counter

    def _roots(self) -> dict[str, Any]:
        roots = {}
        if self._root is not None:
            roots.update(dict(sorted(vars(self._root).items())) if _walkable(self._root)
                         else {"root": self._root})
        roots.update(self._objects)
        if self._save_counter is not None:
            roots["save_counter"] = self._save_counter
        return roots

    def write(self, file_prefix: str | os.PathLike[str], options: Any = None) -> str:
        """Write the values to ``file_prefix`` (no numbering, no ``checkpoint`` file)."""
        return _write(os.fspath(file_prefix), self._roots())

    def save(self, file_prefix: str | os.PathLike[str], options: Any = None) -> str:
        """Write a numbered checkpoint ``file_prefix-N`` and make it the directory's latest."""
        self.save_counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(self.save_counter)}")
        _write_state(os.path.dirname(path), path, [path])
        return path

    def restore(self, save_path: str | os.PathLike[str] | None,
                options: Any = None) -> CheckpointLoadStatus:
        """Assign the saved values to the variables with the same paths; see the class.

        ``save_path`` is what ``save`` or ``tf.train.latest_checkpoint`` returned, or a directory
        (its latest checkpoint). A value whose shape or dtype differs from its variable's is a
        ValueError naming the path.
        """
        if save_path is None:
            return CheckpointLoadStatus([], [], 0)
        path = _resolve(save_path)
        if "save_counter" in _read_index(path)["variables"]:
            self.save_counter  # noqa: B018 -- made now, so that it is restored too
        return _restore(path, self._roots())

    read = restore


def _resolve(ckpt_dir_or_file: str | os.PathLike[str]) -> str:
    """A checkpoint's path: the one given, or a directory's latest."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise errors.NotFoundError(None, None, f"Failed to find any matching files for {path}")
        return latest
    return path


def _names(index: dict[str, Any]) -> dict[str, str]:
    """TensorFlow's key for each saved value (``model/w/.ATTRIBUTES/VARIABLE_VALUE``), from its
    shortest path -> the value's key in the ``.npz``."""
    best: dict[str, str] = {}
    for path, entry in index["variables"].items():
        old = best.get(entry["key"])
        if old is None or (path.count("/"), path) < (old.count("/"), old):
            best[entry["key"]] = path
    return {f"{path}/.ATTRIBUTES/VARIABLE_VALUE": key for key, path in best.items()}


def list_variables(ckpt_dir_or_file: str | os.PathLike[str]) -> list[tuple[str, list[int]]]:
    """``(name, shape)`` of each value in a checkpoint (or a directory's latest), sorted by name,
    with TensorFlow's names (``tf.train.list_variables``).

    >>> import os, tempfile, tapegrad as tf
    >>> net = tf.Module()
    >>> net.w = tf.Variable([[1.0, 2.0]])
    >>> path = tf.train.Checkpoint(model=net).write(os.path.join(tempfile.mkdtemp(), "c"))
    >>> tf.train.list_variables(path)
    [('_CHECKPOINTABLE_OBJECT_GRAPH', []), ('model/w/.ATTRIBUTES/VARIABLE_VALUE', [1, 2])]
    """
    index = _read_index(_resolve(ckpt_dir_or_file))
    shapes = {e["key"]: e["shape"] for e in index["variables"].values()}
    return [("_CHECKPOINTABLE_OBJECT_GRAPH", [])] + sorted(
        (name, shapes[key]) for name, key in _names(index).items())


def load_variable(ckpt_dir_or_file: str | os.PathLike[str], name: str) -> np.ndarray:
    """The saved value named ``name`` (as ``list_variables`` names it) as a NumPy array
    (``tf.train.load_variable``)."""
    path = _resolve(ckpt_dir_or_file)
    names = _names(_read_index(path))
    if name not in names:
        raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
    with np.load(_file(path, "data"), allow_pickle=False) as data:
        return data[names[name]]


# ----- the `checkpoint` state file and CheckpointManager -----

_STATE = "checkpoint"


def _write_state(directory: str, latest: str, paths: Sequence[str]) -> None:
    """The directory's ``checkpoint`` file, in TensorFlow's text layout, with relative paths."""
    def relative(p: str) -> str:
        return os.path.relpath(p, directory or ".")
    lines = [f'model_checkpoint_path: "{relative(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{relative(p)}"' for p in paths]
    with open(os.path.join(directory, _STATE), "w") as f:
        f.write("\n".join(lines) + "\n")


def _read_state(directory: str) -> tuple[str | None, list[str]]:
    """The latest checkpoint and all checkpoints the ``checkpoint`` file lists (full paths)."""
    try:
        with open(os.path.join(directory, _STATE)) as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None, []
    entries = re.findall(r'^(\w+): "(.*)"$', text, re.MULTILINE)

    def full(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(directory, p)
    latest = next((full(p) for k, p in entries if k == "model_checkpoint_path"), None)
    return latest, [full(p) for k, p in entries if k == "all_model_checkpoint_paths"]


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str],
                      latest_filename: str | None = None) -> str | None:
    """The path of the newest checkpoint saved in ``checkpoint_dir``, or None
    (``tf.train.latest_checkpoint``).

    >>> import tempfile, tapegrad as tf
    >>> tf.train.latest_checkpoint(tempfile.mkdtemp()) is None
    True
    """
    latest, _ = _read_state(os.fspath(checkpoint_dir))
    return latest if latest is not None and os.path.exists(_file(latest, "index")) else None


def _remove(prefix: str) -> None:
    for what in ("data", "index"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(_file(prefix, what))


class CheckpointManager:
    """Numbered checkpoints in one directory, keeping the newest ``max_to_keep``
    (``tf.train.CheckpointManager``).

    >>> import tempfile, tapegrad as tf
    >>> step = tf.Variable(0)
    >>> manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), tempfile.mkdtemp(),
    ...                                      max_to_keep=2)
    >>> paths = [manager.save() for _ in range(3)]
    >>> [p[-6:] for p in manager.checkpoints], manager.latest_checkpoint == paths[-1]
    (['ckpt-2', 'ckpt-3'], True)
    """

    def __init__(self, checkpoint: Checkpoint, directory: str | os.PathLike[str],
                 max_to_keep: int | None, keep_checkpoint_every_n_hours: float | None = None,
                 checkpoint_name: str = "ckpt", step_counter: Variable | None = None,
                 checkpoint_interval: int | None = None,
                 init_fn: Callable[[], Any] | None = None) -> None:
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not "
                             "None.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_every = None if keep_checkpoint_every_n_hours is None \
            else keep_checkpoint_every_n_hours * 3600.0
        self._checkpoint_name = checkpoint_name
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._last_step: int | None = None
        self._init_fn = init_fn
        self._latest, paths = _read_state(self._directory)
        now = time.time()
        self._kept: dict[str, float] = {p: now for p in paths}  # path -> when saved, oldest first
        self._last_preserved = now

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoint(self) -> Checkpoint:
        return self._checkpoint

    @property
    def checkpoint_interval(self) -> int | None:
        return self._checkpoint_interval

    @property
    def latest_checkpoint(self) -> str | None:
        """The newest checkpoint's path, or None before the first save."""
        return self._latest

    @property
    def checkpoints(self) -> list[str]:
        """The checkpoints kept, oldest first."""
        return list(self._kept)

    def save(self, checkpoint_number: int | Tensor | None = None, check_interval: bool = True,
             options: Any = None) -> str | None:
        """Save ``directory/ckpt-N`` (N: ``checkpoint_number``, else the save count), delete
        those beyond ``max_to_keep``, and return the path (None when the interval says wait)."""
        if self._checkpoint_interval is not None and check_interval:
            step = int(self._step_counter)
            if self._last_step is not None and step < self._last_step + \
                    self._checkpoint_interval:
                return None
            self._last_step = step
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = int(counter) if checkpoint_number is None else int(checkpoint_number)
        path = self._checkpoint.write(f"{self._prefix}-{number}")
        self._kept.pop(path, None)
        self._kept[path] = time.time()
        self._latest = path
        self._sweep()
        _write_state(self._directory, path, list(self._kept))
        return path

    def _sweep(self) -> None:
        if self._max_to_keep is None:
            return
        while len(self._kept) > self._max_to_keep:
            oldest = next(iter(self._kept))
            saved_at = self._kept.pop(oldest)
            if self._keep_every is not None and saved_at - self._last_preserved > \
                    self._keep_every:
                self._last_preserved = saved_at  # kept on disk, no longer managed
                continue
            _remove(oldest)

    def restore_or_initialize(self) -> str | None:
        """Restore the latest checkpoint and return its path, or run ``init_fn`` and return None."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None


__all__ = ["Module", "name_scope", "init_scope", "Checkpoint", "CheckpointManager",
           "CheckpointLoadStatus", "latest_checkpoint", "list_variables", "load_variable"]
