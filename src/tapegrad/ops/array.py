"""Arrays: shapes, joining and splitting, indexing, gathering, padding, and creating tensors.

The gradient of a movement is the opposite movement: a reshape reshapes back, a slice scatters
into zeros, a gather scatter-adds. Each such pair is two primitives that are each other's gradient,
so every order of derivative works.

>>> import tapegrad as tf
>>> x = tf.reshape(tf.range(6), (2, 3))
>>> x.numpy().tolist(), x[:, 1].numpy().tolist(), tf.transpose(x).shape
([[0, 1, 2], [3, 4, 5]], [1, 4], TensorShape([3, 2]))
"""

from __future__ import annotations

import builtins
import functools
import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype, float32
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import (
    Tensor,
    TensorShape,
    Variable,
    VariableSlice,
    as_int,
    as_ints,
    as_shape,
    concrete,
    convert_to_tensor,
    new_shape,
    tensor_of,
    to_numpy,
    wrap,
)
from .math import identity, operands


class EachInput:
    """The gradient rules of an op with any number of inputs: one rule told which input it is."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Callable[..., Any]:
        return functools.partial(self.rule, i)

    def __bool__(self) -> bool:
        return True


# ----- shapes -----

RESHAPE = Primitive("Reshape", np.reshape, lambda xp, g, ans, x, shape: xp.reshape(g, xp.shape(x)))
TRANSPOSE = Primitive("Transpose", np.transpose,
                      lambda xp, g, ans, x, perm: xp.transpose(g, tuple(np.argsort(perm))))


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """The same values in a new shape; one dimension may be -1 (inferred).

    >>> import tapegrad as tf
    >>> tf.reshape([1, 2, 3, 4, 5, 6], (2, -1)).shape
    TensorShape([2, 3])
    """
    x = tensor_of(tensor)
    shape = as_shape(shape)
    size = int(np.size(x._value))
    known = math.prod(d for d in shape if d != -1)
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or size % known)) or \
            (-1 not in shape and known != size):
        wanted = f"requires a multiple of {known}" if -1 in shape else f"has {known}"
        raise invalid_argument(f"Input to reshape is a tensor with {size} values, but the "
                               f"requested shape {wanted} [Op:Reshape] name: ")
    if -1 in shape:
        shape = tuple(size // known if d == -1 else d for d in shape)
    if shape == np.shape(x._value) and type(x) is Tensor and not tape.recording:
        return x  # under a tape a new tensor, as in TF: gradient(reshape(c), c) is None
    return tape.apply(RESHAPE, (x,), (shape,))


def transpose(a: Any, perm: Sequence[int] | None = None, conjugate: bool = False,
              name: str | None = None) -> Tensor:
    """Axes permuted by ``perm`` (reversed when None).

    >>> import tapegrad as tf
    >>> tf.transpose(tf.zeros((2, 3, 4))).shape
    TensorShape([4, 3, 2])
    """
    x = tensor_of(a)
    ndim = x._value.ndim
    perm = tuple(builtins.range(ndim))[::-1] if perm is None else as_ints(perm, "perm")
    if sorted(p % ndim if -ndim <= p < ndim else p for p in perm) != list(builtins.range(ndim)):
        raise invalid_argument(f"transpose expects a permutation of 0..{ndim - 1} for shape "
                               f"{list(np.shape(x._value))}, got {list(perm)} [Op:Transpose] "
                               "name: ")
    perm = tuple(p % ndim for p in perm)
    return tape.apply(TRANSPOSE, (x,), (perm,))


def expand_dims(input: Any, axis: int, name: str | None = None) -> Tensor:
    """A new axis of length 1 at position ``axis``.

    >>> import tapegrad as tf
    >>> tf.expand_dims([1, 2], 0).shape
    TensorShape([1, 2])
    """
    x = tensor_of(input)
    ndim = x._value.ndim
    axis = as_int(axis, "axis")
    if not -ndim - 1 <= axis <= ndim:
        raise invalid_argument(f"Tried to expand dim index {axis} for tensor with {ndim} "
                               "dimensions. [Op:ExpandDims] name: ")
    shape = list(np.shape(x._value))
    shape.insert(axis % (ndim + 1), 1)
    return tape.apply(RESHAPE, (x,), (tuple(shape),))


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """The axes of length 1 removed (only those in ``axis`` when given).

    >>> import tapegrad as tf
    >>> tf.squeeze(tf.zeros((1, 2, 1))).shape
    TensorShape([2])
    """
    x = tensor_of(input)
    shape = np.shape(x._value)
    if axis is None:
        drop = {i for i, n in enumerate(shape) if n == 1}
    else:
        drop = set()
        for a in as_ints(axis, "axis"):
            if not -len(shape) <= a < len(shape):
                raise invalid_argument(f"Tried to squeeze dim index {a} for tensor with "
                                       f"{len(shape)} dimensions. [Op:Squeeze] name: ")
            if shape[a] != 1:
                raise invalid_argument(f"Can not squeeze dim[{a % len(shape)}], expected a "
                                       f"dimension of 1, got {shape[a]} [Op:Squeeze] name: ")
            drop.add(a % len(shape))
    return tape.apply(RESHAPE, (x,), (tuple(n for i, n in enumerate(shape) if i not in drop),))


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return np.broadcast_to(x, shape)


BROADCAST_TO = Primitive("BroadcastTo", _broadcast_to, lambda xp, g, ans, x, shape: g)


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:
    """``input`` repeated along new or length-1 axes to ``shape``; the gradient sums back.

    >>> import tapegrad as tf
    >>> tf.broadcast_to([1.0, 2.0], (2, 2)).numpy().tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """
    x = tensor_of(input)
    shape = new_shape(shape, "BroadcastTo")
    try:
        if np.broadcast_shapes(np.shape(x._value), shape) != shape:  # not to a smaller rank
            raise ValueError
    except ValueError:
        raise invalid_argument(f"Unable to broadcast tensor of shape {list(np.shape(x._value))} "
                               f"to tensor of shape {list(shape)} [Op:BroadcastTo] name: "
                               ) from None
    return tape.apply(BROADCAST_TO, (x,), (shape,))


def _tile_rule(xp: Any, g: Any, ans: Any, x: Any, multiples: tuple[int, ...]) -> Any:
    shape = xp.shape(x)
    split = tuple(d for m, n in zip(multiples, shape) for d in (m, n))
    return xp.sum(xp.reshape(g, split), tuple(builtins.range(0, 2 * len(shape), 2)), False)


TILE = Primitive("Tile", np.tile, _tile_rule)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:
    """``input`` repeated ``multiples[i]`` times along axis i.

    >>> import tapegrad as tf
    >>> tf.tile([[1, 2]], [2, 2]).numpy().tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    x = tensor_of(input)
    multiples = as_ints(multiples, "multiples")
    if len(multiples) != x._value.ndim:
        raise invalid_argument(f"Expected multiples argument to be a vector of length "
                               f"{x._value.ndim} but got length {len(multiples)} [Op:Tile] name: ")
    for i, m in enumerate(multiples):
        if m < 0:
            raise invalid_argument(f"Expected multiples[{i}] >= 0, but got {m} [Op:Tile]")
    return tape.apply(TILE, (x,), (multiples,))


REVERSE = Primitive("ReverseV2", np.flip, lambda xp, g, ans, x, axes: xp.flip(g, axes))


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """The entries in reverse order along each axis in ``axis``.

    >>> import tapegrad as tf
    >>> tf.reverse([[1, 2], [3, 4]], axis=[1]).numpy().tolist()
    [[2, 1], [4, 3]]
    """
    x = tensor_of(tensor)
    ndim = x._value.ndim
    axes = as_ints(axis, "axis") if ndim else ()  # a scalar reverses to itself, as in TF
    for a in axes:
        if not -ndim <= a < ndim:
            raise invalid_argument(f"'axis'[{axes.index(a)}] = {a} is out of valid range [0, "
                                   f"{ndim}) for shape {list(np.shape(x._value))} [Op:ReverseV2] "
                                   "name: ")
    axes = tuple(a % ndim for a in axes)
    if len(set(axes)) != len(axes):
        raise invalid_argument(f"'axis' {list(axes)} specifies an axis more than once "
                               "[Op:ReverseV2] name: ")
    return tape.apply(REVERSE, (x,), (axes,))


# ----- joining and splitting -----

def _concat(*args: Any) -> Any:
    *values, axis, bounds = args
    return np.concatenate(values, axis)


def _concat_rule(i: int, xp: Any, g: Any, ans: Any, *args: Any) -> Any:
    axis, bounds = args[-2:]
    return g[(slice(None),) * axis + (slice(bounds[i], bounds[i + 1]),)]


CONCAT = Primitive("ConcatV2", _concat)
CONCAT.vjps = EachInput(_concat_rule)


def _same_dtype(values: Sequence[Any], prim: Primitive) -> list[Tensor]:
    tensors = [tensor_of(v) for v in values]
    if not tensors:
        raise ValueError(f"{prim.name} needs at least one input.")
    first = tensors[0]
    return [first] + [operands(prim, first, t)[1] for t in tensors[1:]]


def concat(values: Sequence[Any], axis: int, name: str | None = None) -> Tensor:
    """The tensors joined end to end along ``axis``.

    >>> import tapegrad as tf
    >>> tf.concat([[1, 2], [3]], axis=0).numpy().tolist()
    [1, 2, 3]
    """
    if not isinstance(values, (list, tuple)):  # TensorFlow: one value joins to itself
        return identity(tensor_of(values))
    tensors = _same_dtype(values, CONCAT)
    ndim = tensors[0]._value.ndim
    axis = as_int(axis, "axis")
    if not -ndim <= axis < max(ndim, 1) or ndim == 0:
        raise invalid_argument(f"ConcatOp : Expected concatenating dimensions in the range "
                               f"[{-ndim}, {ndim}), but got {axis} [Op:ConcatV2] name: concat")
    axis %= ndim
    shapes = [np.shape(t._value) for t in tensors]
    for s in shapes[1:]:
        if len(s) != ndim or any(a != b for k, (a, b) in enumerate(zip(s, shapes[0]))
                                 if k != axis):
            raise invalid_argument(f"ConcatOp : Dimension mismatch in shapes {list(shapes[0])} "
                                   f"and {list(s)} [Op:ConcatV2] name: concat")
    bounds = tuple(int(b) for b in np.cumsum([0] + [s[axis] for s in shapes]))
    return tape.apply(CONCAT, tuple(tensors), (axis, bounds))


def _stack(*args: Any) -> Any:
    *values, axis = args
    return np.stack(values, axis)


STACK = Primitive("Pack", _stack)
STACK.vjps = EachInput(lambda i, xp, g, ans, *args: g[(slice(None),) * args[-1] + (i,)])


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> Tensor:
    """The tensors, all of one shape, stacked along a new axis.

    >>> import tapegrad as tf
    >>> tf.stack([[1, 2], [3, 4]], axis=1).numpy().tolist()
    [[1, 3], [2, 4]]
    """
    if not isinstance(values, (list, tuple)):  # TensorFlow: one tensor stacks to itself
        return identity(tensor_of(values))
    tensors = _same_dtype(values, STACK)
    shape = np.shape(tensors[0]._value)
    for i, t in enumerate(tensors):
        if np.shape(t._value) != shape:
            raise invalid_argument(f"Shapes of all inputs must match: values[0].shape = "
                                   f"{list(shape)} != values[{i}].shape = "
                                   f"{list(np.shape(t._value))} [Op:Pack] name: stack")
    ndim = len(shape) + 1
    axis = as_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-ndim}, {ndim})")
    return tape.apply(STACK, tuple(tensors), (axis % ndim,))


def unstack(value: Any, num: int | None = None, axis: int = 0,
            name: str | None = None) -> list[Tensor]:
    """The slices of ``value`` along ``axis``, as a list.

    >>> import tapegrad as tf
    >>> [t.numpy().tolist() for t in tf.unstack([[1, 2], [3, 4]])]
    [[1, 2], [3, 4]]
    """
    x = tensor_of(value)
    ndim = x._value.ndim
    axis = as_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-ndim}, {ndim})")
    axis %= ndim
    return [x[(slice(None),) * axis + (i,)] for i in builtins.range(np.shape(x._value)[axis])]


def split(value: Any, num_or_size_splits: Any, axis: int = 0, num: int | None = None,
          name: str | None = None) -> list[Tensor]:
    """``value`` cut along ``axis`` into equal parts, or parts of the given sizes (one may be -1).

    >>> import tapegrad as tf
    >>> [t.numpy().tolist() for t in tf.split(tf.range(5), [2, -1])]
    [[0, 1], [2, 3, 4]]
    """
    x = tensor_of(value)
    ndim = x._value.ndim
    axis = as_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise invalid_argument(f"-{ndim} <= split_dim < {ndim} is required, got {axis} for shape "
                               f"{list(np.shape(x._value))} [Op:Split] name: split")
    axis %= ndim
    length = np.shape(x._value)[axis]
    if not isinstance(num_or_size_splits, (list, tuple)) and np.ndim(
            num_or_size_splits._value if isinstance(num_or_size_splits, Tensor)
            else num_or_size_splits) == 0:
        parts = as_int(num_or_size_splits, "num_or_size_splits")
        if parts <= 0 or length % parts:
            raise invalid_argument(f"Number of ways to split should evenly divide the split "
                                   f"dimension, but got split_dim {axis} (size = {length}) and "
                                   f"num_split {parts} [Op:Split] name: split")
        sizes = [length // parts] * parts
    else:
        sizes = list(as_ints(num_or_size_splits, "num_or_size_splits"))
        if not sizes:
            raise invalid_argument("Value for attr 'num_split' of 0 must be at least minimum 1 "
                                   "[Op:SplitV] name: split")
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = length - (sum(sizes) + 1)
        if sum(sizes) != length or builtins.min(sizes) < 0:
            raise invalid_argument(f"Determined shape must either match input shape along "
                                   f"split_dim exactly if fully specified, or be less than the "
                                   f"size of the input along split_dim if not fully specified. "
                                   f"Got: {sum(sizes)} [Op:SplitV] name: split")
    bounds = np.cumsum([0] + sizes)
    return [x[(slice(None),) * axis + (slice(int(a), int(b)),)]
            for a, b in zip(bounds[:-1], bounds[1:])]


# ----- indexing -----

def _slice_grad(g: Any, key: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    out = np.zeros(shape, np.result_type(g))
    out[key] = g
    return out


GETITEM = Primitive("StridedSlice", lambda x, key: x[key],
                    lambda xp, g, ans, x, key: xp.slice_grad(g, key, xp.shape(x)))
SLICE_GRAD = Primitive("StridedSliceGrad", _slice_grad,
                       lambda xp, g, ans, dy, key, shape: g[key])


def _index_part(k: Any) -> Any:
    if isinstance(k, Tensor):
        if k._value.ndim != 0 or k._value.dtype.kind not in "iu":
            raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tapegrad.newaxis "
                            "(`None`) and scalar tapegrad.int32/tapegrad.int64 tensors are valid "
                            f"indices, got {k!r}")
        return k.__index__()  # a Python int: a tracing function guards it
    if isinstance(k, slice):
        return slice(*(None if p is None else as_int(p, "a slice bound")
                       for p in (k.start, k.stop, k.step)))
    if k is None or k is Ellipsis or isinstance(k, (int, np.integer)) and \
            not isinstance(k, (bool, np.bool_)):
        return k
    raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tapegrad.newaxis (`None`) "
                    f"and scalar tapegrad.int32/tapegrad.int64 tensors are valid indices, got "
                    f"{k!r}")


def getitem(tensor: Tensor, key: Any) -> Tensor:
    """``tensor[key]`` with ints, slices (negative steps too), ``...`` and None; differentiable."""
    parts = tuple(key) if isinstance(key, (tuple, list)) else (key,)
    key = tuple(_index_part(k) for k in parts)
    shape = np.shape(tensor._value)
    axis = 0
    for k in key:
        if k is Ellipsis:
            axis = len(shape) - sum(1 for p in key if p is not None and p is not Ellipsis) + axis
        elif k is not None:
            if axis >= len(shape):
                raise invalid_argument(f"Index out of range using input dim {axis}; input has "
                                       f"only {len(shape)} dims [Op:StridedSlice] name: "
                                       "strided_slice/")
            if isinstance(k, int) and not -shape[axis] <= k < shape[axis]:
                raise invalid_argument(f"slice index {k} of dimension {axis} out of bounds. "
                                       "[Op:StridedSlice] name: strided_slice/")
            axis += 1
    try:
        if not isinstance(tensor, Variable):
            return tape.apply(GETITEM, (tensor,), (key,))
        # a variable's slice is a tensor that can also be assigned to, as in TensorFlow
        out = VariableSlice(tensor, key, tensor._value[key])
    except IndexError as e:
        raise invalid_argument(f"{e} [Op:StridedSlice] name: strided_slice/") from None
    if tape.recording:
        tape.record(GETITEM, out, (tensor,), (key,))
    return out


Tensor.__getitem__ = getitem
newaxis = None


def _checked_indices(idx: Any, size: int, op: str) -> Any:
    """``idx`` (integer NumPy indices) if every one is in [0, size); the error TF gives if not.
    Kernels call it, so a traced function checks the indices of every call."""
    if idx.dtype.kind not in "iu":
        raise TypeError(f"Value passed to parameter 'indices' has DataType {idx.dtype} "
                        "not in list of allowed values: int16, int32, int64")
    bad = (idx < 0) | (idx >= size)
    if np.any(bad):
        where = np.argwhere(bad)[0]
        raise invalid_argument(f"indices[{','.join(map(str, where))}] = {idx[tuple(where)]} is "
                               f"not in [0, {size}) [Op:{op}] name: ")
    return idx


def _scatter_add(g: Any, indices: Any, axis: int, shape: tuple[int, ...]) -> Any:
    out = np.zeros(shape, np.result_type(g))
    np.add.at(out, (slice(None),) * axis + (indices,), g)
    return out


def _gather(x: Any, indices: Any, axis: int) -> Any:
    return np.take(x, _checked_indices(indices, x.shape[axis], "GatherV2"), axis)


# The indices are an input (without a gradient), not a parameter: a traced function reads them
# on every call.
GATHER = Primitive("GatherV2", _gather, lambda xp, g, ans, x, indices, axis:
                   xp.scatter_add(g, indices, axis, xp.shape(x)), None)
SCATTER_ADD = Primitive("UnsortedSegmentSum", _scatter_add,
                        lambda xp, g, ans, dy, indices, axis, shape: xp.gather(g, indices, axis),
                        None)


def gather(params: Any, indices: Any, validate_indices: Any = None, axis: int | None = None,
           batch_dims: int = 0, name: str | None = None) -> Tensor:
    """The slices of ``params`` along ``axis`` at ``indices``; the gradient adds back into place.

    >>> import tapegrad as tf
    >>> tf.gather([10.0, 20.0, 30.0], [2, 0, 2]).numpy().tolist()
    [30.0, 10.0, 30.0]
    """
    if batch_dims != 0:
        raise ValueError("gather: only batch_dims=0 is supported.")
    x = tensor_of(params)
    ndim = x._value.ndim
    if ndim == 0:
        raise invalid_argument("params must be at least 1 dimensional [Op:GatherV2] name: ")
    axis = 0 if axis is None else as_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise invalid_argument(f"Expected axis in the range [{-ndim}, {ndim}), but got {axis} "
                               "[Op:GatherV2] name: ")
    axis %= ndim
    return tape.apply(GATHER, (x, tensor_of(indices)), (axis,))


def boolean_mask(tensor: Any, mask: Any, axis: int | None = None,
                 name: str | None = None) -> Tensor:
    """The entries of ``tensor`` where ``mask`` is True (mask over the leading axes from ``axis``).

    >>> import tapegrad as tf
    >>> tf.boolean_mask([1, 2, 3], [True, False, True]).numpy().tolist()
    [1, 3]
    """
    x = tensor_of(tensor)
    m = concrete(tensor_of(mask))  # the result's shape depends on it: a traced function checks it
    if m.dtype.kind not in "biuf":
        raise TypeError(f"boolean_mask needs a bool mask, got {m.dtype}.")
    m = m != 0  # TensorFlow takes a numeric mask's nonzero entries
    axis = 0 if axis is None else as_int(axis, "axis")
    shape = np.shape(x._value)
    if shape[axis:axis + m.ndim] != m.shape:
        raise ValueError(f"Shapes {list(shape)} and {list(m.shape)} are incompatible")
    flat = reshape(x, shape[:axis] + (-1,) + shape[axis + m.ndim:])
    return gather(flat, np.flatnonzero(m).astype(np.int64), axis=axis)


def _one_hot(indices: Any, depth: int, on: Any, off: Any, axis: int) -> Any:
    eye = np.arange(depth) == np.expand_dims(indices, -1)  # out-of-range indices: all off
    out = np.where(eye, on, off)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


# No gradient, but recorded, so that a traced function reads the indices it is called with.
ONE_HOT = Primitive("OneHot", lambda idx, depth, on, off, axis, np_dtype:
                    _one_hot(idx, depth, on, off, axis).astype(np_dtype)[()], None)


def one_hot(indices: Any, depth: int, on_value: Any = None, off_value: Any = None,
            axis: int | None = None, dtype: DType | str | None = None,
            name: str | None = None) -> Tensor:
    """Rows of ``depth`` entries, ``on_value`` at each index and ``off_value`` elsewhere.

    >>> import tapegrad as tf
    >>> tf.one_hot([0, 2], 3).numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    indices = tensor_of(indices)
    idx = indices._value
    target = as_dtype(dtype) if dtype is not None else (
        convert_to_tensor(on_value).dtype if on_value is not None else float32)
    on = to_numpy(1 if on_value is None else on_value, target)
    off = to_numpy(0 if off_value is None else off_value, target)
    for what, v in (("on_value", on), ("off_value", off)):
        if np.ndim(v) != 0:
            raise invalid_argument(f"{what} must be a scalar, but got: {list(np.shape(v))} "
                                   "[Op:OneHot]")
    depth = as_int(depth, "depth")
    if depth < 0:
        raise invalid_argument(f"depth must be non-negative, got: {depth} [Op:OneHot]")
    axis = -1 if axis is None else as_int(axis, "axis")
    if not -1 <= axis <= idx.ndim:
        raise invalid_argument(f"Expected axis to be -1 or between [0, {idx.ndim + 1}).  But "
                               f"received: {axis} [Op:OneHot]")
    return tape.apply(ONE_HOT, (indices,), (depth, on, off, axis, target._np))


def _pad_constant(x: Any, paddings: tuple[tuple[int, int], ...], value: Any) -> Any:
    return np.pad(x, paddings, constant_values=value)


def _unpad(xp: Any, g: Any, ans: Any, x: Any, paddings: Any, value: Any) -> Any:
    return g[tuple(slice(a, a + n) for (a, _), n in zip(paddings, xp.shape(x)))]


PAD = Primitive("PadV2", _pad_constant, _unpad)


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0,
        name: str | None = None) -> Tensor:
    """``tensor`` padded by ``paddings[i] = [before, after]`` along axis i.

    ``mode`` is CONSTANT (with ``constant_values``), REFLECT or SYMMETRIC, as in TensorFlow.

    >>> import tapegrad as tf
    >>> tf.pad([[1, 2]], [[1, 0], [0, 1]], constant_values=9).numpy().tolist()
    [[9, 9, 9], [1, 2, 9]]
    """
    x = tensor_of(tensor)
    table = concrete(paddings) if isinstance(paddings, Tensor) else paddings
    if not isinstance(table, (list, tuple, np.ndarray)) or \
            isinstance(table, np.ndarray) and table.ndim == 0:
        raise TypeError(f"paddings must be a list of [before, after] pairs, got {paddings!r}")
    widths = tuple(as_ints(row, "paddings") for row in table)
    if any(len(w) != 2 for w in widths):
        raise invalid_argument(f"paddings must be a matrix with 2 columns, got {paddings!r} "
                               "[Op:Pad] name: ")
    if len(widths) != x._value.ndim or builtins.min((w for p in widths for w in p), default=0) < 0:
        raise invalid_argument(f"The first dimension of paddings must be the rank of inputs"
                               f"[{len(widths)},2] {list(np.shape(x._value))} and paddings must "
                               "not be negative [Op:Pad] name: ")
    mode = mode.upper() if isinstance(mode, str) else mode
    if not widths:  # a scalar: nothing to pad
        return x
    if mode == "CONSTANT":
        value = to_numpy(constant_values, x.dtype)
        return tape.apply(PAD, (x,), (widths, value))
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Value of argument `mode` expected to be one of \"CONSTANT\", "
                         f"\"REFLECT\", or \"SYMMETRIC\". Received `mode` = {mode}")
    # A mirror pad is a gather along each axis, so its gradient comes from gather's.
    out = x
    for axis, (before, after) in enumerate(widths):
        n = np.shape(x._value)[axis]
        edge = 0 if mode == "SYMMETRIC" else 1
        if builtins.max(before, after) > n - edge:
            raise invalid_argument(f"paddings must be less than{' or equal to' * (1 - edge)} the "
                                   f"dimension size: {before}, {after} greater than {n} "
                                   "[Op:MirrorPad] name: ")
        index = np.concatenate([np.arange(before, 0, -1) - 1 + edge, np.arange(n),
                                n - 1 - edge - np.arange(after)]).astype(np.int64)
        out = gather(out, index, axis=axis)
    return out


# ----- creating tensors -----

def zeros(shape: Any, dtype: DType | str = float32, name: str | None = None) -> Tensor:
    """A tensor of zeros (float32 unless told otherwise).

    >>> import tapegrad as tf
    >>> tf.zeros(3).numpy().tolist()
    [0.0, 0.0, 0.0]
    """
    return wrap(np.zeros(new_shape(shape, "Fill"), as_dtype(dtype)._np)[()])


def ones(shape: Any, dtype: DType | str = float32, name: str | None = None) -> Tensor:
    """A tensor of ones (float32 unless told otherwise).

    >>> import tapegrad as tf
    >>> tf.ones((2,), tf.int32).numpy().tolist()
    [1, 1]
    """
    return wrap(np.ones(new_shape(shape, "Fill"), as_dtype(dtype)._np)[()])


def zeros_like(input: Any, dtype: DType | str | None = None,
               name: str | None = None) -> Tensor:
    """Zeros of ``input``'s shape and dtype (or ``dtype``).

    >>> import tapegrad as tf
    >>> tf.zeros_like([1.5, 2.5]).numpy().tolist()
    [0.0, 0.0]
    """
    x = tensor_of(input)._value
    return wrap(np.zeros(np.shape(x), x.dtype if dtype is None else as_dtype(dtype)._np)[()])


def ones_like(input: Any, dtype: DType | str | None = None,
              name: str | None = None) -> Tensor:
    """Ones of ``input``'s shape and dtype (or ``dtype``).

    >>> import tapegrad as tf
    >>> tf.ones_like([1, 2]).numpy().tolist()
    [1, 1]
    """
    x = tensor_of(input)._value
    return wrap(np.ones(np.shape(x), x.dtype if dtype is None else as_dtype(dtype)._np)[()])


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of shape ``dims`` with every entry ``value`` (whose dtype it takes).

    >>> import tapegrad as tf
    >>> tf.fill([2], 3).numpy().tolist()
    [3, 3]
    """
    v = concrete(tensor_of(value))
    if np.ndim(v) != 0:
        raise invalid_argument(f"value must be a scalar. Got {np.ndim(v)} dimensions "
                               "[Op:Fill] name: ")
    return wrap(np.full(new_shape(dims, "Fill"), v, dtype=v.dtype)[()])


def eye(num_rows: int, num_columns: int | None = None, batch_shape: Any = None,
        dtype: DType | str = float32, name: str | None = None) -> Tensor:
    """An identity matrix (rectangular with ``num_columns``, a stack with ``batch_shape``).

    >>> import tapegrad as tf
    >>> tf.eye(2).numpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    rows = as_int(num_rows, "num_rows")
    columns = rows if num_columns is None else as_int(num_columns, "num_columns")
    new_shape((rows, columns), "MatrixDiagV3")
    matrix = np.eye(rows, columns, dtype=as_dtype(dtype)._np)
    if batch_shape is not None:
        batch = new_shape(batch_shape, "MatrixDiagV3")
        matrix = np.broadcast_to(matrix, batch + matrix.shape).copy()
    return wrap(matrix)


def range(start: Any, limit: Any = None, delta: Any = 1,
          dtype: DType | str | None = None, name: str | None = None) -> Tensor:
    """Evenly spaced numbers in [start, limit) by ``delta``; int32 for ints, float32 for floats.

    >>> import tapegrad as tf
    >>> tf.range(5).numpy().tolist(), tf.range(0, 1, 0.25).numpy().tolist()
    ([0, 1, 2, 3, 4], [0.0, 0.25, 0.5, 0.75])
    """
    if limit is None:
        start, limit = 0, start
    values = [concrete(tensor_of(v)) for v in (start, limit, delta)]
    for what, v in zip(("start", "limit", "delta"), values):
        if np.ndim(v) != 0 or v.dtype.kind not in "iuf":
            raise invalid_argument(f"{what} must be a real scalar, got a {v.dtype.name} tensor "
                                   f"of shape {list(np.shape(v))} [Op:Range] name: ")
        if not np.isfinite(v):
            raise invalid_argument(f"Requires {what} to be finite: {v} [Op:Range] name: ")
    if dtype is None:  # the widest float among the arguments, else the widest integer
        floats = [v.dtype for v in values if v.dtype.kind == "f"]
        dtype = builtins.max(floats or [v.dtype for v in values], key=lambda d: d.itemsize)
    else:
        dtype = as_dtype(dtype)._np
    start, limit, delta = (v.item() for v in values)
    if delta == 0:
        raise invalid_argument("Requires delta != 0: 0 [Op:Range] name: ")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise invalid_argument(f"Requires start {'<=' if delta > 0 else '>='} limit when delta "
                               f"{'>' if delta > 0 else '<'} 0: {start}/{limit} [Op:Range] name: ")
    if math.ceil((limit - start) / delta) >= 2**63:
        raise invalid_argument(f"Requires ((limit - start) / delta) <= 2**63 - 1: ({limit} - "
                               f"{start}) / {delta} [Op:Range] name: ")
    return wrap(np.arange(*(v.item() for v in values), dtype=dtype))


def linspace(start: Any, stop: Any, num: int, name: str | None = None, axis: int = 0) -> Tensor:
    """``num`` evenly spaced numbers from ``start`` to ``stop`` inclusive.

    >>> import tapegrad as tf
    >>> tf.linspace(0.0, 1.0, 5).numpy().tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    lo, hi = concrete(tensor_of(start)), concrete(tensor_of(stop))
    try:
        np.broadcast_shapes(np.shape(lo), np.shape(hi))
    except ValueError:
        raise invalid_argument(f"Incompatible shapes: {list(np.shape(lo))} vs. "
                               f"{list(np.shape(hi))} [Op:LinSpace] name: ") from None
    dtype = np.result_type(lo, hi)
    if dtype.kind in "iub":
        dtype = np.dtype(np.float64)
    num = as_int(num, "num")
    if num < 0:
        raise invalid_argument(f"Requires num > 0: {num} [Op:LinSpace] name: ")
    return wrap(np.linspace(lo, hi, num, axis=as_int(axis, "axis")).astype(dtype))


def shape(input: Any, out_type: DType | str = "int32",
          name: str | None = None) -> Tensor:
    """The shape of ``input`` as a 1-D int32 tensor.

    >>> import tapegrad as tf
    >>> tf.shape(tf.zeros((2, 3))).numpy().tolist()
    [2, 3]
    """
    return wrap(np.array(np.shape(tensor_of(input)._value), dtype=as_dtype(out_type)._np))


def size(input: Any, out_type: DType | str = "int32",
         name: str | None = None) -> Tensor:
    """The number of entries of ``input``, as a scalar int32 tensor.

    >>> import tapegrad as tf
    >>> int(tf.size(tf.zeros((2, 3))))
    6
    """
    return wrap(as_dtype(out_type)._np.type(np.size(tensor_of(input)._value)))


def rank(input: Any, name: str | None = None) -> Tensor:
    """The number of axes of ``input``, as a scalar int32 tensor.

    >>> import tapegrad as tf
    >>> int(tf.rank(tf.zeros((2, 3))))
    2
    """
    return wrap(np.int32(np.ndim(tensor_of(input)._value)))


# ----- sorting -----

def _argsort(v: Any, axis: int, descending: bool) -> Any:
    if descending and v.dtype.kind == "u":
        return np.flip(np.argsort(v, axis=axis, kind="stable"), axis).astype(np.int32)
    return np.argsort(-v if descending else v, axis=axis, kind="stable").astype(np.int32)


ARGSORT = Primitive("TopKV2", _argsort)  # indices: no gradient, never recorded on a tape


def argsort(values: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = False,
            name: str | None = None) -> Tensor:
    """The indices that sort ``values`` along ``axis``, as int32.

    >>> import tapegrad as tf
    >>> tf.argsort([3, 1, 2]).numpy().tolist()
    [1, 2, 0]
    """
    x = tensor_of(values)
    if not isinstance(direction, str) or direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction should be one of ASCENDING, DESCENDING, got {direction!r}")
    axis = _sort_axis(axis, np.shape(x._value))
    return tape.apply(ARGSORT, (x,), (axis, direction == "DESCENDING"))


def sort(values: Any, axis: int = -1, direction: str = "ASCENDING",
         name: str | None = None) -> Tensor:
    """``values`` sorted along ``axis``; the gradient goes back to where each entry came from.

    >>> import tapegrad as tf
    >>> tf.sort([3.0, 1.0, 2.0], direction="DESCENDING").numpy().tolist()
    [3.0, 2.0, 1.0]
    """
    x = tensor_of(values)
    order = argsort(x, axis, direction)
    axis = _sort_axis(axis, np.shape(x._value))
    to_last = _last(axis, x._value.ndim)
    moved = transpose(order, to_last)
    shape = np.shape(moved._value)
    # Take along the axis: one gather over the flattened rows keeps the gradient rule exact. The
    # indices are ops on the argsort, so a traced function sorts each call's values.
    offsets = (np.arange(math.prod(shape[:-1]), dtype=np.int32) * shape[-1]).reshape(
        shape[:-1] + (1,))
    picked = gather(reshape(transpose(x, to_last), (-1,)), reshape(moved + offsets, (-1,)))
    return transpose(reshape(picked, shape), np.argsort(to_last))


def _sort_axis(axis: Any, shape: tuple[int, ...]) -> int:
    ndim = len(shape)
    axis = as_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise invalid_argument(f"axis {axis} is out of range for a tensor of shape {list(shape)}; "
                               "sort needs at least one dimension [Op:TopKV2] name: ")
    return axis % ndim


def _last(axis: int, ndim: int) -> tuple[int, ...]:
    """The permutation moving ``axis`` to the end."""
    return tuple(a for a in builtins.range(ndim) if a != axis) + (axis,)


def identity_n(input: Any, name: str | None = None) -> list[Tensor]:
    """A new tensor for each tensor in ``input`` (``tf.identity_n``).

    >>> import tapegrad as tf
    >>> [t.numpy().tolist() for t in tf.identity_n([tf.constant(1.0), tf.constant([2, 3])])]
    [1.0, [2, 3]]
    """
    return [identity(x) for x in input]


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> Tensor:
    """``x`` after checking that its shape is compatible with ``shape`` (None: any length).

    >>> import tapegrad as tf
    >>> tf.ensure_shape(tf.constant([1.0, 2.0]), [None]).shape
    TensorShape([2])
    """
    x = tensor_of(x)
    expected = TensorShape(shape)
    actual = np.shape(x._value)
    if not expected.is_compatible_with(actual):
        def text(dims: Any) -> str:
            return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"
        raise invalid_argument(f"Shape of tensor input {text(actual)} is not compatible with "
                               f"expected shape {text(expected)}. [Op:EnsureShape] name: ")
    return identity(x)

