"""More indexing: n-d gather and scatter, ``slice``/``strided_slice``, ``roll``, ``repeat``,
``reverse_sequence``, ``meshgrid``, and the index-valued ``unique``, ``searchsorted`` and
``sequence_mask``.

``gather_nd`` and ``scatter_nd`` are each other's gradient, as ``gather`` and its scatter-add
are, so every order of derivative works; the rest move entries with ``gather`` or a slice.

>>> import tapegrad as tf
>>> tf.gather_nd([[1, 2], [3, 4]], [[1, 0], [0, 1]]).numpy().tolist()
[3, 2]
"""

from __future__ import annotations

import builtins
import collections
from typing import Any

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import (
    Tensor,
    as_int,
    as_ints,
    concrete,
    new_shape,
    tensor_of,
    wrap,
)
from .array import broadcast_to, gather, getitem, reshape
from .math import check_kind, operands

# ----- gather_nd and scatter_nd: a pair, each the other's gradient -----

def _nd_key(indices: Any) -> tuple[Any, ...]:
    """The NumPy index for TensorFlow's n-d indices (last axis: coordinates)."""
    return tuple(np.moveaxis(indices, -1, 0))


def _gather_nd(x: Any, indices: Any) -> Any:
    return x[_nd_key(indices)]


def _scatter_nd(updates: Any, indices: Any, shape: tuple[int, ...]) -> Any:
    out = np.zeros(shape, updates.dtype)
    np.add.at(out, _nd_key(indices), updates)
    return out


GATHER_ND = Primitive("GatherNd", _gather_nd, lambda xp, g, ans, x, indices: xp.apply(
    SCATTER_ND, (g,), (indices, xp.shape(x))))
SCATTER_ND = Primitive("ScatterNd", _scatter_nd, lambda xp, g, ans, u, indices, shape: xp.apply(
    GATHER_ND, (g,), (indices,)))


def _nd_indices(indices: Any, shape: tuple[int, ...], op: str) -> Any:
    """Integer n-d indices, each coordinate inside ``shape``, as TensorFlow checks them."""
    t = tensor_of(indices)
    idx = concrete(t)  # a traced function checks the indices it was traced with
    if idx.dtype.kind not in "iu":
        raise TypeError(f"Value passed to parameter 'indices' has DataType {t.dtype.name} not "
                        "in list of allowed values: int16, int32, int64")
    if idx.ndim == 0 or idx.shape[-1] > len(shape):
        raise invalid_argument(f"index innermost dimension length must be <= params rank; saw: "
                               f"{idx.shape[-1] if idx.ndim else 0} vs. {len(shape)} [Op:{op}]")
    bad = (idx < 0) | (idx >= np.array(shape[:idx.shape[-1]], dtype=np.int64))
    if np.any(bad):
        where = tuple(np.argwhere(bad.any(-1))[0])
        raise invalid_argument(f"indices{list(where)} = {list(idx[where])} does not index into "
                               f"param shape {list(shape)}, node name: {op} [Op:{op}] name: ")
    return idx.astype(np.int64)


def gather_nd(params: Any, indices: Any, batch_dims: int = 0, name: str | None = None) -> Tensor:
    """Slices of ``params`` at n-d ``indices``: the last axis of ``indices`` holds coordinates.

    >>> import tapegrad as tf
    >>> tf.gather_nd([[1.0, 2.0], [3.0, 4.0]], [[1]]).numpy().tolist()
    [[3.0, 4.0]]
    """
    x = tensor_of(params)
    shape = np.shape(x._value)
    batch_dims = as_int(batch_dims, "batch_dims")
    idx = concrete(tensor_of(indices))
    if batch_dims:  # prepend each entry's batch coordinates, then gather from the whole tensor
        batch = shape[:batch_dims]
        if batch_dims < 0 or batch_dims >= min(len(shape), idx.ndim):
            raise invalid_argument(f"batch_dims ({batch_dims}) must be non-negative and less "
                                   f"than the rank of params ({len(shape)}) and of indices "
                                   f"({idx.ndim}) [Op:GatherNd]")
        if idx.shape[:batch_dims] != batch:
            raise invalid_argument(f"params.shape[:{batch_dims}] {list(batch)} and "
                                   f"indices.shape[:{batch_dims}] {list(idx.shape[:batch_dims])} "
                                   "must match [Op:GatherNd]")
        grid = np.stack(np.meshgrid(*map(np.arange, batch), indexing="ij"), -1)
        grid = np.broadcast_to(grid.reshape(batch + (1,) * (idx.ndim - batch_dims - 1)
                                            + (batch_dims,)), idx.shape[:-1] + (batch_dims,))
        idx = np.concatenate([grid.astype(idx.dtype), idx], -1)
    return tape.apply(GATHER_ND, (x,), (_nd_indices(idx, shape, "GatherNd"),))


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None) -> Tensor:
    """Zeros of ``shape`` with ``updates`` added at n-d ``indices`` (repeats add up).

    >>> import tapegrad as tf
    >>> tf.scatter_nd([[1], [3], [1]], [1.0, 2.0, 3.0], [4]).numpy().tolist()
    [0.0, 4.0, 0.0, 2.0]
    """
    u = tensor_of(updates)
    shape = new_shape(shape, "ScatterNd")
    idx = _nd_indices(indices, shape, "ScatterNd")
    _check_updates(idx, u, shape, "ScatterNd")
    return tape.apply(SCATTER_ND, (u,), (idx, shape))


def _check_updates(idx: Any, u: Tensor, shape: tuple[int, ...], op: str) -> None:
    want = idx.shape[:-1] + tuple(shape[idx.shape[-1]:])
    if np.shape(u._value) != want:
        raise invalid_argument(f"Dimensions [0,{idx.ndim - 1}) of indices[shape="
                               f"{list(idx.shape)}] = {list(idx.shape[:-1])} must match "
                               f"dimensions [0,{idx.ndim - 1}) of updates[shape="
                               f"{list(np.shape(u._value))}]: the updates must have shape "
                               f"{list(want)} [Op:{op}]")


def _hit(indices: Any, shape: tuple[int, ...]) -> Any:
    """True at every entry that n-d ``indices`` write to."""
    mask = np.zeros(shape, bool)
    mask[_nd_key(indices)] = True
    return mask


def _update(x: Any, u: Any, indices: Any) -> Any:
    out = x.copy()
    out[_nd_key(indices)] = u
    return out


TENSOR_SCATTER_UPDATE = Primitive(
    "TensorScatterUpdate", _update,
    lambda xp, g, ans, x, u, indices: xp.where(_hit(indices, xp.shape(x)), 0, g),
    lambda xp, g, ans, x, u, indices: xp.apply(GATHER_ND, (g,), (indices,)))


def _scatter_inputs(tensor: Any, indices: Any, updates: Any, op: str
                    ) -> tuple[Tensor, Tensor, Any]:
    x = tensor_of(tensor)
    x, u = operands(Primitive(op, None), x, tensor_of(updates) if isinstance(updates, Tensor)
                    else updates)
    shape = np.shape(x._value)
    idx = _nd_indices(indices, shape, op)
    _check_updates(idx, u, shape, op)
    return x, u, idx


def tensor_scatter_nd_update(tensor: Any, indices: Any, updates: Any,
                             name: str | None = None) -> Tensor:
    """``tensor`` with the entries at n-d ``indices`` replaced by ``updates``.

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_update([1, 2, 3], [[0], [2]], [9, 8]).numpy().tolist()
    [9, 2, 8]
    """
    x, u, idx = _scatter_inputs(tensor, indices, updates, "TensorScatterUpdate")
    return tape.apply(TENSOR_SCATTER_UPDATE, (x, u), (idx,))


def tensor_scatter_nd_add(tensor: Any, indices: Any, updates: Any,
                          name: str | None = None) -> Tensor:
    """``tensor`` with ``updates`` added at n-d ``indices``.

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_add([1, 2, 3], [[0], [0]], [5, 5]).numpy().tolist()
    [11, 2, 3]
    """
    x, u, idx = _scatter_inputs(tensor, indices, updates, "TensorScatterAdd")
    return x + tape.apply(SCATTER_ND, (u,), (idx, np.shape(x._value)))


def tensor_scatter_nd_sub(tensor: Any, indices: Any, updates: Any,
                          name: str | None = None) -> Tensor:
    """``tensor`` with ``updates`` subtracted at n-d ``indices``.

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_sub([1, 2, 3], [[1]], [5]).numpy().tolist()
    [1, -3, 3]
    """
    x, u, idx = _scatter_inputs(tensor, indices, updates, "TensorScatterSub")
    return x - tape.apply(SCATTER_ND, (u,), (idx, np.shape(x._value)))


def _scatter_extreme(ufunc: np.ufunc, op: str, doc: str) -> Any:
    """tensor_scatter_nd_max/min: the extreme of the old entry and every update aimed at it.

    Built from ops with gradients: the extreme of the updates per target (via a sort-free
    scatter of ``ufunc``) is a constant choice, so the gradient goes, as in TensorFlow, to
    whichever of the old entry and the updates equal the result, shared equally at ties.
    """
    def fn(tensor: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
        x, u, idx = _scatter_inputs(tensor, indices, updates, op)
        xv, uv = concrete(x), concrete(u)  # the choice of extremes: checked in a traced function
        shape = np.shape(xv)
        start = -np.inf if ufunc is np.maximum else np.inf
        best = np.full(shape, start if xv.dtype.kind == "f" else (
            np.iinfo(xv.dtype).min if ufunc is np.maximum
            else np.iinfo(xv.dtype).max), xv.dtype)
        ufunc.at(best, _nd_key(idx), uv)
        out = ufunc(xv, best)
        if xv.dtype.kind != "f" or not tape.recording:
            return wrap(out)
        # differentiable form: weights of the old entry and of each update in the result
        x_hit = (xv == out).astype(out.dtype)
        u_hit = (uv == out[_nd_key(idx)]).astype(out.dtype)
        count = x_hit + _scatter_nd(u_hit, idx, shape)
        x_part = x * (x_hit / count)
        u_part = tape.apply(SCATTER_ND, (u * (u_hit / count[_nd_key(idx)]),), (idx, shape))
        return x_part + u_part
    fn.__doc__ = doc
    return fn


tensor_scatter_nd_max = _scatter_extreme(np.maximum, "TensorScatterMax", """The larger
    of ``tensor`` and the ``updates`` at n-d ``indices``.

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_max([1, 5, 3], [[0], [1]], [4, 4]).numpy().tolist()
    [4, 5, 3]
    """)
tensor_scatter_nd_min = _scatter_extreme(np.minimum, "TensorScatterMin", """The smaller
    of ``tensor`` and the ``updates`` at n-d ``indices``.

    >>> import tapegrad as tf
    >>> tf.tensor_scatter_nd_min([1, 5, 3], [[0], [1]], [4, 4]).numpy().tolist()
    [1, 4, 3]
    """)


# ----- slices -----

def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:
    """The block of ``input_`` starting at ``begin`` with ``size`` (-1: to the end) per axis.

    >>> import tapegrad as tf
    >>> tf.slice([[1, 2, 3], [4, 5, 6]], [0, 1], [2, -1]).numpy().tolist()
    [[2, 3], [5, 6]]
    """
    x = tensor_of(input_)
    shape = np.shape(x._value)
    begin, size = as_ints(begin, "begin"), as_ints(size, "size")
    if len(begin) != len(shape) or len(size) != len(shape):
        raise invalid_argument(f"Expected begin and size arguments to be 1-D tensors of size "
                               f"{len(shape)}, but got shapes [{len(begin)}] and [{len(size)}] "
                               "instead. [Op:Slice]")
    key = []
    for i, (b, s, n) in enumerate(zip(begin, size, shape)):
        s = n - b if s == -1 else s
        if not (0 <= b <= n and 0 <= s and b + s <= n):
            raise invalid_argument(f"Expected size[{i}] in [0, {n - b}], but got {s} "
                                   "[Op:Slice]")
        key.append(builtins.slice(b, b + s))
    return getitem(x, tuple(key))


def strided_slice(input_: Any, begin: Any, end: Any, strides: Any = None, begin_mask: int = 0,
                  end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var: Any = None, name: str | None = None
                  ) -> Tensor:
    """Python's ``input_[begin:end:strides]`` per axis, with TensorFlow's bit masks: bit i of
    ``begin_mask``/``end_mask`` ignores begin[i]/end[i], of ``ellipsis_mask`` puts ``...``, of
    ``new_axis_mask`` a new axis, of ``shrink_axis_mask`` takes index begin[i] (dropping the axis).

    >>> import tapegrad as tf
    >>> x = tf.reshape(tf.range(12), (3, 4))
    >>> tf.strided_slice(x, [0, 3], [3, 0], [2, -1], end_mask=2).numpy().tolist()
    [[3, 2, 1, 0], [11, 10, 9, 8]]
    """
    begin, end = as_ints(begin, "begin"), as_ints(end, "end")
    strides = (1,) * len(begin) if strides is None else as_ints(strides, "strides")
    if not len(begin) == len(end) == len(strides):
        raise invalid_argument(f"Expected begin, end, and strides to be 1D equal size tensors, "
                               f"but got shapes [{len(begin)}], [{len(end)}], and "
                               f"[{len(strides)}] instead. [Op:StridedSlice]")
    if 0 in strides:
        raise invalid_argument(f"strides[{strides.index(0)}] must be non-zero [Op:StridedSlice]")
    key: list[Any] = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        if ellipsis_mask >> i & 1:
            key.append(Ellipsis)
        elif new_axis_mask >> i & 1:
            key.append(None)
        elif shrink_axis_mask >> i & 1:
            if s != 1:
                raise invalid_argument("only stride 1 allowed on non-range indexing. "
                                       "[Op:StridedSlice]")
            key.append(b)
        else:
            key.append(builtins.slice(None if begin_mask >> i & 1 else b,
                                      None if end_mask >> i & 1 else e, s))
    return getitem(tensor_of(input_), tuple(key))


# ----- moving entries: repeat, roll, reverse_sequence, meshgrid -----

def repeat(input: Any, repeats: Any, axis: int | None = None, name: str | None = None) -> Tensor:
    """Each entry repeated ``repeats`` times (one count, or one per entry) along ``axis``;
    with no axis, of the flattened tensor.

    >>> import tapegrad as tf
    >>> tf.repeat([[1, 2], [3, 4]], [1, 2], axis=0).numpy().tolist()
    [[1, 2], [3, 4], [3, 4]]
    """
    x = tensor_of(input)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = as_int(axis, "axis")
    ndim = x._value.ndim
    if not -ndim <= axis < ndim:
        raise invalid_argument(f"axis {axis} is out of range for a tensor of rank {ndim}")
    n = np.shape(x._value)[axis % ndim]
    counts = np.asarray(concrete(tensor_of(repeats)))
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or counts.size not in (1, n):
        raise invalid_argument(f"repeats must be an integer scalar or a vector of length {n}, "
                               f"got shape {list(counts.shape)}")
    return gather(x, np.repeat(np.arange(n), counts.reshape(-1)).astype(np.int64), axis=axis)


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Tensor:
    """Entries shifted by ``shift`` along ``axis``, wrapping around (lists of each allowed).

    >>> import tapegrad as tf
    >>> tf.roll([1, 2, 3, 4], shift=1, axis=0).numpy().tolist()
    [4, 1, 2, 3]
    """
    x = tensor_of(input)
    shifts, axes = as_ints(shift, "shift"), as_ints(axis, "axis")
    if len(shifts) != len(axes):
        raise invalid_argument("shift and axis must have the same size [Op:Roll]")
    shape, ndim = np.shape(x._value), x._value.ndim
    total: dict[int, int] = collections.defaultdict(int)
    for s, a in zip(shifts, axes):
        if not -ndim <= a < ndim:
            raise invalid_argument(f"axis {a} is out of range [Op:Roll]")
        total[a % ndim] += s
    for a, s in total.items():
        if shape[a] and s % shape[a]:
            x = gather(x, ((np.arange(shape[a]) - s) % shape[a]).astype(np.int64), axis=a)
    return x


def reverse_sequence(input: Any, seq_lengths: Any, seq_axis: int | None = None,
                     batch_axis: int | None = None, name: str | None = None) -> Tensor:
    """For each entry b along ``batch_axis``, its first ``seq_lengths[b]`` entries along
    ``seq_axis`` reversed; the rest stay.

    >>> import tapegrad as tf
    >>> tf.reverse_sequence([[1, 2, 3], [4, 5, 6]], [2, 3], seq_axis=1, batch_axis=0
    ...                     ).numpy().tolist()
    [[2, 1, 3], [6, 5, 4]]
    """
    x = tensor_of(input)
    shape = np.shape(x._value)
    lengths = np.asarray(concrete(tensor_of(seq_lengths)))
    if seq_axis is None:
        raise ValueError("seq_axis must be given")
    seq_axis, batch_axis = as_int(seq_axis, "seq_axis"), as_int(batch_axis or 0, "batch_axis")
    seq_axis %= len(shape)
    batch_axis %= len(shape)
    if lengths.shape != (shape[batch_axis],) or np.any(lengths > shape[seq_axis]) or \
            np.any(lengths < 0):
        raise invalid_argument(f"seq_lengths must be a vector of length {shape[batch_axis]} "
                               f"with entries in [0, {shape[seq_axis]}], got {lengths.tolist()} "
                               "[Op:ReverseSequence]")
    position = np.arange(shape[seq_axis])
    n = lengths[:, None]
    source = np.where(position < n, n - 1 - position, position)  # [batch, seq]
    # the flat index, in input_, that each output entry comes from
    index = np.indices(shape)
    b, s = index[batch_axis], index[seq_axis]
    index[seq_axis] = source[b, s]
    flat = np.ravel_multi_index(tuple(index), shape).astype(np.int64)
    return reshape(gather(reshape(x, (-1,)), flat.reshape(-1)), shape)


def meshgrid(*args: Any, **kwargs: Any) -> list[Tensor]:
    """Coordinate grids from 1-D tensors; ``indexing='xy'`` (default) swaps the first two axes.

    >>> import tapegrad as tf
    >>> x, y = tf.meshgrid([1, 2], [3, 4, 5])
    >>> x.shape, y.numpy()[:, 0].tolist()
    (TensorShape([3, 2]), [3, 4, 5])
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Key word arguments {list(kwargs)} not supported at this time.")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got "
                         f"'{indexing}'")
    xs = [reshape(tensor_of(a), (-1,)) for a in args]
    sizes = [np.shape(x._value)[0] for x in xs]
    where = list(builtins.range(len(xs)))
    if indexing == "xy" and len(xs) > 1:
        where[0], where[1] = 1, 0
    out_shape = [0] * len(xs)
    for i, w in enumerate(where):
        out_shape[w] = sizes[i]
    grids = []
    for i, x in enumerate(xs):
        shape = [1] * len(xs)
        shape[where[i]] = sizes[i]
        grids.append(broadcast_to(reshape(x, shape), out_shape))
    return grids


# ----- index-valued ops (no gradient) -----

Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _unique(x: Any, out_idx: Any) -> tuple[Any, Any, Any]:
    v = concrete(tensor_of(x))
    if v.ndim != 1:
        raise invalid_argument("unique expects a 1D vector. [Op:Unique]")
    values, first, inverse, counts = np.unique(v, return_index=True, return_inverse=True,
                                               return_counts=True)
    order = np.argsort(first, kind="stable")  # TensorFlow: in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    dtype = as_dtype(out_idx)._np
    return values[order], rank[inverse.reshape(-1)].astype(dtype), counts[order].astype(dtype)


def unique(x: Any, out_idx: DType | str = "int32", name: str | None = None) -> Unique:
    """The distinct entries of 1-D ``x`` in order of first appearance, and where each entry of
    ``x`` is among them.

    >>> import tapegrad as tf
    >>> y, idx = tf.unique([3, 1, 3, 2])
    >>> y.numpy().tolist(), idx.numpy().tolist()
    ([3, 1, 2], [0, 1, 0, 2])
    """
    y, idx, _ = _unique(x, out_idx)
    return Unique(wrap(y), wrap(idx))


def unique_with_counts(x: Any, out_idx: DType | str = "int32",
                       name: str | None = None) -> UniqueWithCounts:
    """``unique`` and how many times each distinct entry occurs.

    >>> import tapegrad as tf
    >>> tf.unique_with_counts([3, 1, 3]).count.numpy().tolist()
    [2, 1]
    """
    return UniqueWithCounts(*map(wrap, _unique(x, out_idx)))


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left",
                 out_type: DType | str = "int32", name: str | None = None) -> Tensor:
    """Where each of ``values`` would go in ``sorted_sequence`` (row by row over the last axis).

    >>> import tapegrad as tf
    >>> tf.searchsorted([1.0, 2.0, 3.0], [2.5, 2.0], side="right").numpy().tolist()
    [2, 2]
    """
    seq, vals = operands(Primitive("LowerBound", None), tensor_of(sorted_sequence), values)
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: "
                         f"`side` = {side}.")
    s, v = concrete(seq), concrete(vals)
    if s.ndim < 1 or s.shape[:-1] != v.shape[:-1]:
        raise invalid_argument(f"Leading dim_size of both tensors must match. [Op:"
                               f"{'LowerBound' if side == 'left' else 'UpperBound'}]")
    rows_s, rows_v = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1] if v.ndim else 1)
    out = np.stack([np.searchsorted(a, b, side=side) for a, b in zip(rows_s, rows_v)]) \
        if rows_s.shape[0] else np.zeros(rows_v.shape, np.int64)
    return wrap(out.reshape(v.shape).astype(as_dtype(out_type)._np))


def sequence_mask(lengths: Any, maxlen: Any = None, dtype: DType | str = "bool",
                  name: str | None = None) -> Tensor:
    """A mask of shape ``lengths.shape + [maxlen]``, True in the first ``lengths[i]`` places.

    >>> import tapegrad as tf
    >>> tf.sequence_mask([1, 3], 4).numpy().astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    t = tensor_of(lengths)
    check_kind(Primitive("SequenceMask", None), t, "iu")
    n = concrete(t)
    top = (int(np.max(n)) if n.size else 0) if maxlen is None else as_int(maxlen, "maxlen")
    mask = np.arange(builtins.max(top, 0)) < np.expand_dims(n, -1)
    return wrap(mask.astype(as_dtype(dtype)._np))


__all__ = ["gather_nd", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add",
           "tensor_scatter_nd_sub", "tensor_scatter_nd_max", "tensor_scatter_nd_min", "slice",
           "strided_slice", "repeat", "roll", "reverse_sequence", "meshgrid", "unique",
           "unique_with_counts", "searchsorted", "sequence_mask"]
