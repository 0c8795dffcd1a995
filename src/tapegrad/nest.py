"""Nested structures of tensors (``tapegrad.nest``, TensorFlow's ``tf.nest``).

Lists, tuples (named ones too) and dicts nest; anything else is a leaf. Dicts flatten in sorted
key order, as in TensorFlow.

>>> from tapegrad import nest
>>> nest.flatten({"b": [1, 2], "a": 3})
[3, 1, 2]
>>> nest.pack_sequence_as({"b": [0, 0], "a": 0}, [30, 10, 20])
{'b': [10, 20], 'a': 30}
"""

from __future__ import annotations

from typing import Any, Callable, Iterator


def _is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def _children(x: Any) -> list[Any]:
    return [x[k] for k in sorted(x)] if isinstance(x, dict) else list(x)


def _leaves(structure: Any) -> Iterator[Any]:
    if _is_nested(structure):
        for child in _children(structure):
            yield from _leaves(child)
    else:
        yield structure


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, depth first."""
    if not _is_nested(structure):
        return [structure]
    if not isinstance(structure, dict) and not any(map(_is_nested, structure)):
        return list(structure)  # a flat list or tuple: the common case, kept cheap
    return list(_leaves(structure))


def pack_sequence_as(structure: Any, flat_sequence: list[Any]) -> Any:
    """``structure`` rebuilt with the leaves taken in order from ``flat_sequence``."""
    if not _is_nested(structure):
        if len(flat_sequence) != 1:
            raise ValueError("pack_sequence_as: a single leaf needs exactly one value.")
        return flat_sequence[0]
    if type(structure) in (list, tuple) and not any(map(_is_nested, structure)):
        if len(flat_sequence) != len(structure):
            raise ValueError(f"pack_sequence_as: the structure has {len(structure)} places, "
                             f"got {len(flat_sequence)} leaves.")
        return type(structure)(flat_sequence)
    leaves = iter(flat_sequence)

    def build(s: Any) -> Any:
        if isinstance(s, dict):
            built = {k: build(s[k]) for k in sorted(s)}
            return type(s)((k, built[k]) for k in s)
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*(build(c) for c in s))
        if isinstance(s, (list, tuple)):
            return type(s)(build(c) for c in s)
        leaf = next(leaves, _END)
        if leaf is _END:
            raise ValueError("pack_sequence_as: fewer leaves than the structure has places.")
        return leaf

    packed = build(structure)
    if next(leaves, _END) is not _END:
        raise ValueError("pack_sequence_as: more leaves than the structure has places.")
    return packed


_END = object()


def map_structure(func: Callable[..., Any], *structures: Any) -> Any:
    """``func`` applied leaf by leaf across structures of the same shape."""
    flats = [flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise ValueError("map_structure: the structures don't have the same number of leaves.")
    return pack_sequence_as(structures[0], [func(*leaves) for leaves in zip(*flats)])


__all__ = ["flatten", "pack_sequence_as", "map_structure"]
