"""Convolutions and pooling (``tf.nn.conv2d``, ``max_pool2d``, ...), NHWC, SAME/VALID padding.

Three primitives do all the work: a VALID convolution, its gradient for the input (a transposed
convolution) and its gradient for the filters. Each is the others' gradient, so derivatives of
every order come out of the same three kernels. The kernels read windows through a strided view
of the input and multiply with one BLAS ``tensordot``. Padding is a ``pad`` op in front; average
pooling is a convolution with a filter of ones, channel by channel; max pooling is a ``gather`` of
each window's first largest entry.

>>> import tapegrad as tf
>>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
>>> tf.nn.conv2d(x, tf.ones((2, 2, 1, 1)), strides=2, padding="VALID")[0, :, :, 0].numpy().tolist()
[[10.0, 18.0], [42.0, 50.0]]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import tape
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_ints, tensor_of, wrap
from .array import pad, reshape, transpose
from .math import check_kind, operands

Pair = tuple[int, int]



# ----- the three kernels -----

def _windows(x: Any, size: Pair, strides: Pair, dilations: Pair, out: Pair) -> Any:
    """[N, OH, OW, KH, KW, C]: a read-only view of every window of ``x`` (NHWC)."""
    n, _, _, c = x.shape
    sn, sh, sw, sc = x.strides
    return as_strided(x, (n, out[0], out[1], size[0], size[1], c),
                      (sn, sh * strides[0], sw * strides[1], sh * dilations[0],
                       sw * dilations[1], sc), writeable=False)


def _out_size(shape: Sequence[int], size: Pair, strides: Pair, dilations: Pair) -> Pair:
    return tuple(max((n - (k - 1) * d - 1) // s + 1, 0)  # type: ignore[return-value]
                 for n, k, s, d in zip(shape, size, strides, dilations))


def _conv(x: Any, w: Any, strides: Pair, dilations: Pair) -> Any:
    size = w.shape[:2]
    out = _out_size(x.shape[1:3], size, strides, dilations)
    patches = _windows(x, size, strides, dilations, out)
    return np.tensordot(patches, w, axes=3).astype(x.dtype, copy=False)


def _input_grad(g: Any, w: Any, strides: Pair, dilations: Pair, shape: tuple[int, ...]) -> Any:
    """The transpose of ``_conv`` in x: each window's share of g, added back into place."""
    pieces = np.tensordot(g, w, axes=([3], [3]))  # [N, OH, OW, KH, KW, C]
    dx = np.zeros(shape, np.result_type(g, w))
    oh, ow = g.shape[1:3]
    (sh, sw), (dh, dw) = strides, dilations
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            dx[:, i * dh:i * dh + (oh - 1) * sh + 1:sh,
               j * dw:j * dw + (ow - 1) * sw + 1:sw] += pieces[:, :, :, i, j]
    return dx


def _filter_grad(x: Any, g: Any, strides: Pair, dilations: Pair, size: Pair) -> Any:
    patches = _windows(x, size, strides, dilations, g.shape[1:3])
    return np.tensordot(patches, g, axes=([0, 1, 2], [0, 1, 2])).astype(x.dtype, copy=False)


CONV = Primitive(
    "Conv2D", _conv,
    lambda xp, g, ans, x, w, strides, dilations: xp.apply(
        INPUT_GRAD, (g, w), (strides, dilations, xp.shape(x))),
    lambda xp, g, ans, x, w, strides, dilations: xp.apply(
        FILTER_GRAD, (x, g), (strides, dilations, xp.shape(w)[:2])))
INPUT_GRAD = Primitive(
    "Conv2DBackpropInput", _input_grad,
    lambda xp, gg, ans, g, w, strides, dilations, shape: xp.apply(CONV, (gg, w),
                                                                  (strides, dilations)),
    lambda xp, gg, ans, g, w, strides, dilations, shape: xp.apply(
        FILTER_GRAD, (gg, g), (strides, dilations, xp.shape(w)[:2])))
FILTER_GRAD = Primitive(
    "Conv2DBackpropFilter", _filter_grad,
    lambda xp, gw, ans, x, g, strides, dilations, size: xp.apply(
        INPUT_GRAD, (g, gw), (strides, dilations, xp.shape(x))),
    lambda xp, gw, ans, x, g, strides, dilations, size: xp.apply(CONV, (x, gw),
                                                                 (strides, dilations)))


# ----- arguments as TensorFlow takes them -----

def _spatial(value: Any, what: str, rank: int, channels_last: bool) -> tuple[int, ...]:
    """strides, dilations or ksize: an int, ``rank`` ints, or ``rank + 2`` ints (N, C ones)."""
    v = as_ints(1 if value is None else value, what)
    if len(v) == 1:
        return v * rank
    if len(v) == rank:
        return v
    if len(v) == rank + 2:
        inner = v[1:-1] if channels_last else v[2:]
        if (v[0], v[-1] if channels_last else v[1]) != (1, 1):
            raise invalid_argument(f"{what} in the batch and depth dimensions must be 1, got "
                                   f"{list(v)}")
        return inner
    raise ValueError(f"{what} should be of length 1, {rank} or {rank + 2}. Received: "
                     f"{what}={value!r} of length {len(v)}")


def _paddings(padding: Any, shape: Sequence[int], size: Sequence[int], strides: Sequence[int],
              dilations: Sequence[int], channels_last: bool) -> list[Pair]:
    """[before, after] per spatial axis, as TensorFlow computes SAME; or explicit pairs."""
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return [(0, 0)] * len(size)
        if mode != "SAME":
            raise ValueError(f"padding must be 'SAME', 'VALID' or a list of pairs, got "
                             f"{padding!r}")
        pads = []
        for n, k, s, d in zip(shape, size, strides, dilations):
            out = -(-n // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        return pads
    pairs = [as_ints(p, "padding") for p in padding]
    if len(pairs) != len(size) + 2 or any(len(p) != 2 for p in pairs):
        raise ValueError(f"explicit padding needs {len(size) + 2} [before, after] pairs, got "
                         f"{padding!r}")
    outer = (pairs[0], pairs[-1]) if channels_last else (pairs[0], pairs[1])
    if any(outer[0]) or any(outer[1]):
        raise ValueError("padding in the batch and depth dimensions must be 0")
    return [tuple(p) for p in (pairs[1:-1] if channels_last else pairs[2:])]  # type: ignore


def _channels_last(data_format: Any) -> bool:
    if data_format is None or data_format in ("NHWC", "NWC", "NDHWC"):
        return True
    if data_format in ("NCHW", "NCW", "NCDHW"):
        return False
    raise ValueError(f"data_format must be NHWC or NCHW (NWC or NCW in 1-D), got "
                     f"{data_format!r}")


def _to_nhwc(x: Tensor, channels_last: bool) -> Tensor:
    return x if channels_last else transpose(x, (0, 2, 3, 1))


def _from_nhwc(x: Tensor, channels_last: bool) -> Tensor:
    return x if channels_last else transpose(x, (0, 3, 1, 2))


def _padded(x: Tensor, pads: list[Pair], value: float = 0.0) -> Tensor:
    if not any(a or b for a, b in pads):
        return x
    return pad(x, [[0, 0], *pads, [0, 0]], constant_values=value)


# ----- convolutions -----

def conv2d(input: Any, filters: Any, strides: Any, padding: Any, data_format: str = "NHWC",
           dilations: Any = None, name: str | None = None) -> Tensor:
    """2-D convolution of NHWC ``input`` with ``filters`` of shape [KH, KW, C_in, C_out].

    ``padding`` is "SAME" (output size ceil(size / stride), padded as TensorFlow pads), "VALID"
    or explicit [before, after] pairs for all four axes.

    >>> import tapegrad as tf
    >>> tf.nn.conv2d(tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 3, 8)), 2, "SAME").shape
    TensorShape([1, 3, 3, 8])
    """
    x, w = operands(CONV, tensor_of(input), filters)
    check_kind(CONV, x, "f")
    last = _channels_last(data_format)
    x = _to_nhwc(x, last)
    if x._value.ndim != 4 or w._value.ndim != 4:
        raise ValueError(f"conv2d needs a 4-D input and 4-D filters, got shapes {x.shape} and "
                         f"{w.shape}")
    if np.shape(x._value)[3] != np.shape(w._value)[2]:
        raise invalid_argument(f"input depth must be evenly divisible by filter depth: "
                               f"{np.shape(x._value)[3]} vs {np.shape(w._value)[2]} "
                               "[Op:Conv2D]")
    stride = _spatial(strides, "strides", 2, last)
    dilation = _spatial(dilations, "dilations", 2, last)
    if min(stride) < 1 or min(dilation) < 1:
        raise invalid_argument(f"strides and dilations must be positive, got {list(stride)} "
                               f"and {list(dilation)} [Op:Conv2D]")
    if max(stride) > 1 and max(dilation) > 1:
        raise invalid_argument("strides > 1 not supported in conjunction with dilation_rate > 1 "
                               "[Op:Conv2D]")
    size = np.shape(w._value)[:2]
    pads = _paddings(padding, np.shape(x._value)[1:3], size, stride, dilation, last)
    x = _padded(x, pads)
    padded = np.shape(x._value)[1:3]
    if any((n - (k - 1) * d - 1) < 0 for n, k, d in zip(padded, size, dilation)):
        raise invalid_argument(f"Computed output size would be negative: input "
                               f"{list(padded)}, filter {list(size)} [Op:Conv2D]")
    return _from_nhwc(tape.apply(CONV, (x, w), (stride, dilation)), last)


def conv1d(input: Any, filters: Any, stride: Any, padding: Any, data_format: str = "NWC",
           dilations: Any = None, name: str | None = None) -> Tensor:
    """1-D convolution of NWC ``input`` with ``filters`` [K, C_in, C_out] (a conv2d of height 1).

    >>> import tapegrad as tf
    >>> tf.nn.conv1d(tf.ones((1, 5, 2)), tf.ones((3, 2, 4)), 1, "VALID").shape
    TensorShape([1, 3, 4])
    """
    last = _channels_last(data_format)
    x = tensor_of(input)
    axis = 1 if last else 2
    x = reshape(x, np.shape(x._value)[:axis] + (1,) + np.shape(x._value)[axis:])
    w = tensor_of(filters)
    w = reshape(w, (1,) + np.shape(w._value))
    stride = (1,) + _spatial(stride, "stride", 1, last)
    dilation = (1,) + _spatial(dilations, "dilations", 1, last)
    if not isinstance(padding, str):
        if not isinstance(padding, (list, tuple)) or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 for p in padding):
            raise ValueError(f"padding must be 'SAME', 'VALID' or a list of [before, after] "
                             f"pairs, got {padding!r}")
        padding = [list(p) for p in padding]
        padding.insert(axis, [0, 0])
    out = conv2d(x, w, stride, padding, "NHWC" if last else "NCHW", dilation)
    shape = np.shape(out._value)
    return reshape(out, shape[:axis] + shape[axis + 1:])


def depthwise_conv2d(input: Any, filter: Any, strides: Any, padding: Any,
                     data_format: str | None = None, dilations: Any = None,
                     name: str | None = None) -> Tensor:
    """Each input channel convolved with its own ``channel_multiplier`` filters: ``filter`` is
    [KH, KW, C, M] and the output has C * M channels (channel c's m-th at c * M + m).

    >>> import tapegrad as tf
    >>> tf.nn.depthwise_conv2d(tf.ones((1, 4, 4, 3)), tf.ones((2, 2, 3, 2)), [1, 1, 1, 1],
    ...                        "VALID").shape
    TensorShape([1, 3, 3, 6])
    """
    x, w = operands(CONV, tensor_of(input), filter)
    if w._value.ndim != 4:
        raise ValueError(f"depthwise filter must be 4-D [KH, KW, C, M], got shape {w.shape}")
    kh, kw, c, m = np.shape(w._value)
    # one convolution with a block-diagonal filter: channel c feeds outputs c * M ... c * M + M-1
    eye = wrap(np.eye(c, dtype=w._value.dtype).reshape(1, 1, c, c, 1))
    full = reshape(reshape(w, (kh, kw, c, 1, m)) * eye, (kh, kw, c, c * m))
    return conv2d(x, full, strides, padding, data_format or "NHWC", dilations)


def separable_conv2d(input: Any, depthwise_filter: Any, pointwise_filter: Any, strides: Any,
                     padding: Any, data_format: str | None = None, dilations: Any = None,
                     name: str | None = None) -> Tensor:
    """depthwise_conv2d, then a 1x1 convolution with ``pointwise_filter`` [1, 1, C * M, O].

    >>> import tapegrad as tf
    >>> tf.nn.separable_conv2d(tf.ones((1, 4, 4, 3)), tf.ones((2, 2, 3, 2)),
    ...                        tf.ones((1, 1, 6, 5)), [1, 1, 1, 1], "VALID").shape
    TensorShape([1, 3, 3, 5])
    """
    inner = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(inner, pointwise_filter, 1, "VALID", data_format or "NHWC")


def convolution(input: Any, filters: Any, strides: Any = None, padding: str = "VALID",
                data_format: str | None = None, dilations: Any = None,
                name: str | None = None) -> Tensor:
    """conv1d or conv2d, chosen by the rank of ``input`` (3 or 4).

    >>> import tapegrad as tf
    >>> tf.nn.convolution(tf.ones((1, 4, 4, 1)), tf.ones((2, 2, 1, 1))).shape
    TensorShape([1, 3, 3, 1])
    """
    rank = np.ndim(tensor_of(input)._value)
    if rank == 3:
        return conv1d(input, filters, 1 if strides is None else strides, padding,
                      data_format or "NWC", dilations)
    if rank == 4:
        return conv2d(input, filters, 1 if strides is None else strides, padding,
                      data_format or "NHWC", dilations)
    raise ValueError(f"convolution supports inputs of rank 3 or 4, got rank {rank}")


def conv2d_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                     padding: Any = "SAME", data_format: str = "NHWC", dilations: Any = None,
                     name: str | None = None) -> Tensor:
    """The transpose (gradient) of conv2d: ``filters`` are [KH, KW, C_out, C_in] and the result
    has ``output_shape``, the shape of the conv2d input that would give ``input``.

    >>> import tapegrad as tf
    >>> tf.nn.conv2d_transpose(tf.ones((1, 2, 2, 3)), tf.ones((3, 3, 5, 3)), [1, 4, 4, 5], 2
    ...                        ).shape
    TensorShape([1, 4, 4, 5])
    """
    g, w = operands(INPUT_GRAD, tensor_of(input), filters)
    check_kind(INPUT_GRAD, g, "f")
    last = _channels_last(data_format)
    g = _to_nhwc(g, last)
    shape = as_ints(output_shape, "output_shape")
    if len(shape) != 4:
        raise invalid_argument(f"output_shape must have 4 elements (batch, height, width, "
                               f"channels), got {list(shape)} [Op:Conv2DBackpropInput]")
    if not last:
        shape = (shape[0], shape[2], shape[3], shape[1])
    stride = _spatial(strides, "strides", 2, last)
    dilation = _spatial(dilations, "dilations", 2, last)
    size = np.shape(w._value)[:2]
    pads = _paddings(padding, shape[1:3], size, stride, dilation, last)
    padded = (shape[0], shape[1] + sum(pads[0]), shape[2] + sum(pads[1]), shape[3])
    want = (shape[0],) + _out_size(padded[1:3], size, stride, dilation) + \
        (np.shape(w._value)[3],)
    if np.shape(g._value) != want or np.shape(w._value)[2] != shape[3]:
        raise invalid_argument(f"Conv2DCustomBackpropInput: input shape {list(g.shape)} does "
                               f"not match what output_shape {list(shape)} and filters "
                               f"{list(w.shape)} give: {list(want)} [Op:Conv2DBackpropInput]")
    out = tape.apply(INPUT_GRAD, (g, w), (stride, dilation, padded))
    (top, _), (left, _) = pads
    out = out[:, top:top + shape[1], left:left + shape[2]]
    return _from_nhwc(out, last)


# ----- pooling -----

def _pool_args(x: Tensor, ksize: Any, strides: Any, padding: Any, data_format: Any,
               rank: int) -> tuple[Tensor, bool, Pair, Pair, list[Pair]]:
    last = _channels_last(data_format)
    if x._value.ndim != rank + 2:
        raise ValueError(f"Input tensor must be of rank {rank + 2}, got shape {x.shape}")
    size = _spatial(ksize, "ksize", rank, last)
    stride = _spatial(strides, "strides", rank, last)
    if rank == 1:
        axis = 1 if last else 2
        x = reshape(x, np.shape(x._value)[:axis] + (1,) + np.shape(x._value)[axis:])
        size, stride = (1,) + size, (1,) + stride
    x = _to_nhwc(x, last)
    if isinstance(padding, str) and padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    if not isinstance(padding, str):
        raise ValueError("explicit padding is not supported by pooling; use 'SAME' or 'VALID'")
    pads = _paddings(padding, np.shape(x._value)[1:3], size, stride, (1, 1), True)
    return x, last, size, stride, pads  # type: ignore[return-value]


def _pool_out(out: Tensor, last: bool, rank: int) -> Tensor:
    out = _from_nhwc(out, last)
    if rank == 1:
        axis = 1 if last else 2
        shape = np.shape(out._value)
        out = reshape(out, shape[:axis] + shape[axis + 1:])
    return out


def _max_pool_grad(g: Any, x: Any, index: Any) -> Any:
    out = np.zeros(x.size, g.dtype)
    np.add.at(out, index.reshape(-1), g.reshape(-1))
    return out.reshape(x.shape)


# Picking each window's largest entry, and its gradient (a scatter into the input's shape). The
# gradient's own gradient for the input is zero, not missing, as TensorFlow's MaxPoolGradGrad.
# The positions picked are an input (from MAX_POOL_INDEX, an op of its own), so a traced function
# picks each call's largest entries.
MAX_POOL = Primitive("MaxPool", lambda x, index: np.take(x, index),
                     lambda xp, g, ans, x, index: xp.apply(MAX_POOL_GRAD, (g, x, index), ()),
                     None)
MAX_POOL_GRAD = Primitive("MaxPoolGrad", _max_pool_grad,
                          lambda xp, gg, ans, g, x, index: xp.apply(MAX_POOL, (gg, index), ()),
                          lambda xp, gg, ans, g, x, index: gg * 0, None)


def _max_pool_index(x: Any, size: Pair, stride: Pair, out: Pair) -> Any:
    """The flat position in ``x`` of each window's first largest entry, as TensorFlow picks."""
    shape = x.shape
    windows = _windows(x, size, stride, (1, 1), out)
    flat = windows.reshape(windows.shape[:3] + (-1, shape[3]))
    first = np.argmax(flat, axis=3)[:, :, :, None]
    index = _windows(np.arange(np.prod(shape)).reshape(shape), size, stride, (1, 1), out)
    return np.take_along_axis(index.reshape(flat.shape), first, axis=3)[:, :, :, 0]


MAX_POOL_INDEX = Primitive("MaxPoolArgmax", _max_pool_index)  # no gradient: positions


def _max_pool(input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any,
              rank: int) -> Tensor:
    x = tensor_of(input)
    check_kind(Primitive("MaxPool", None), x, "fiu")
    x, last, size, stride, pads = _pool_args(x, ksize, strides, padding, data_format, rank)
    low = -np.inf if x._value.dtype.kind == "f" else np.iinfo(x._value.dtype).min
    x = _padded(x, pads, low)
    out = _out_size(np.shape(x._value)[1:3], size, stride, (1, 1))
    index = tape.apply(MAX_POOL_INDEX, (x,), (size, stride, out))
    return _pool_out(tape.apply(MAX_POOL, (x, index)), last, rank)


def _avg_pool(input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any,
              rank: int) -> Tensor:
    x = tensor_of(input)
    check_kind(Primitive("AvgPool", None), x, "f")
    x, last, size, stride, pads = _pool_args(x, ksize, strides, padding, data_format, rank)
    n, h, w, c = np.shape(x._value)
    # each channel as its own image, summed by a filter of ones
    planes = reshape(transpose(_padded(x, pads), (0, 3, 1, 2)),
                     (n * c, h + sum(pads[0]), w + sum(pads[1]), 1))
    ones = wrap(np.ones(size + (1, 1), x._value.dtype))
    sums = tape.apply(CONV, (planes, ones), (stride, (1, 1)))
    # TensorFlow averages over the entries inside the input only, not the padding
    inside = np.pad(np.ones((1, h, w, 1), x._value.dtype), [(0, 0), *pads, (0, 0)])
    counts = _conv(inside, ones._value, stride, (1, 1))
    oh, ow = np.shape(sums._value)[1:3]
    means = transpose(reshape(sums / counts, (n, c, oh, ow)), (0, 2, 3, 1))
    return _pool_out(means, last, rank)


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
               name: str | None = None) -> Tensor:
    """The largest entry of each ``ksize`` window, per channel; the gradient goes to it.

    >>> import tapegrad as tf
    >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    >>> tf.nn.max_pool2d(x, 2, 2, "VALID")[0, :, :, 0].numpy().tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    return _max_pool(input, ksize, strides, padding, data_format, 2)


def avg_pool2d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
               name: str | None = None) -> Tensor:
    """The mean of each ``ksize`` window, per channel (SAME: over the entries inside only).

    >>> import tapegrad as tf
    >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    >>> tf.nn.avg_pool2d(x, 2, 2, "VALID")[0, :, :, 0].numpy().tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    return _avg_pool(input, ksize, strides, padding, data_format, 2)


def max_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: str | None = None) -> Tensor:
    """max_pool2d for NWC sequences.

    >>> import tapegrad as tf
    >>> tf.nn.max_pool1d([[[1.0], [3.0], [2.0], [0.0]]], 2, 2, "VALID").numpy().ravel().tolist()
    [3.0, 2.0]
    """
    return _max_pool(input, ksize, strides, padding, data_format, 1)


def avg_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: str | None = None) -> Tensor:
    """avg_pool2d for NWC sequences.

    >>> import tapegrad as tf
    >>> tf.nn.avg_pool1d([[[1.0], [3.0], [2.0], [0.0]]], 2, 2, "VALID").numpy().ravel().tolist()
    [2.0, 1.0]
    """
    return _avg_pool(input, ksize, strides, padding, data_format, 1)


def _by_rank(pool: Any) -> Any:
    def fn(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str | None = None,
           name: str | None = None) -> Tensor:
        rank = np.ndim(tensor_of(input)._value) - 2
        if rank not in (1, 2):
            raise ValueError(f"Input tensor must be of rank 3 or 4 but was {rank + 2}.")
        return pool(input, ksize, strides, padding, data_format, rank)
    return fn


max_pool = _by_rank(_max_pool)
max_pool.__doc__ = """max_pool1d or max_pool2d, chosen by the rank of ``input``.

    >>> import tapegrad as tf
    >>> tf.nn.max_pool(tf.ones((1, 4, 4, 2)), 2, 2, "SAME").shape
    TensorShape([1, 2, 2, 2])
    """
avg_pool = _by_rank(_avg_pool)
avg_pool.__doc__ = """avg_pool1d or avg_pool2d, chosen by the rank of ``input``.

    >>> import tapegrad as tf
    >>> tf.nn.avg_pool(tf.ones((1, 5, 2)), 2, 2, "SAME").shape
    TensorShape([1, 3, 2])
    """

__all__ = ["conv1d", "conv2d", "convolution", "conv2d_transpose", "depthwise_conv2d",
           "separable_conv2d", "max_pool", "max_pool1d",
           "max_pool2d", "avg_pool", "avg_pool1d", "avg_pool2d"]
