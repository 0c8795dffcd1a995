"""Reductions: sums, means, extremes, products, logsumexp, moments, argmax, cumulative sums.

Every reduction takes TensorFlow's ``axis`` (None for all, an int, a list, negative counting from
the end) and ``keepdims``. Gradients broadcast the output gradient back over the reduced axes.

>>> import tapegrad as tf
>>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
>>> float(tf.reduce_sum(x)), tf.reduce_mean(x, axis=0).numpy().tolist()
(10.0, [2.0, 3.0])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_int, as_ints, convert_to_tensor
from .math import check_kind, sqrt, square, subtract


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """TensorFlow's axis argument as sorted non-negative ints; None means every axis."""
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    axes = as_ints(axis, "axis")
    for a in axes:
        if not -ndim <= a < ndim:  # empty for a scalar: no axis to reduce
            raise invalid_argument(f"Invalid reduction dimension ({a} for input with {ndim} "
                                   f"dimension(s) [Op:{op}] name: ")
    normal = sorted(a % ndim for a in axes)
    for a, b in zip(normal, normal[1:]):
        if a == b:
            raise invalid_argument(f"Invalid reduction arguments: Axes contains duplicate "
                                   f"dimension: {a} [Op:{op}] name: ")
    return tuple(normal)


def expand(xp: Any, g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None,
           keepdims: bool) -> Any:
    """A reduction's output (gradient) ``g`` broadcast back to the input's ``shape``."""
    if not keepdims and axes is not None:
        g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return xp.broadcast_to(g, shape)


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    return math.prod(shape) if axes is None else math.prod(shape[i] for i in axes)


def _reducer(prim: Primitive, kinds: str, doc: str) -> Any:
    def reduce(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
        x = input_tensor if isinstance(input_tensor, Tensor) else convert_to_tensor(input_tensor)
        if x._value.dtype.kind not in kinds:
            check_kind(prim, x, kinds)
        axes = normalize_axes(axis, x._value.ndim, prim.name)
        return tape.apply(prim, (x,), (axes, bool(keepdims)))
    reduce.__doc__ = doc
    return reduce


# ----- kernels -----

def _sum(x: Any, axes: Any, keepdims: bool) -> Any:
    return np.add.reduce(x, axis=axes, dtype=x.dtype, keepdims=keepdims)


def _mean(x: Any, axes: Any, keepdims: bool) -> Any:
    total = np.add.reduce(x, axis=axes, dtype=x.dtype, keepdims=keepdims)
    n = _count(x.shape, axes)
    if x.dtype.kind in "iu":  # TensorFlow truncates an integer mean toward zero
        return (np.asarray(total) / max(n, 1)).astype(x.dtype)[()]
    return total / n if n else total * np.nan


def _extreme(ufunc: np.ufunc, start: float) -> Any:
    """max or min; an empty reduction gives -inf or inf (an integer dtype's limit), as in TF."""
    def kernel(x: Any, axes: Any, keepdims: bool) -> Any:
        if x.dtype.kind not in "fc":
            start_value = np.iinfo(x.dtype).min if start < 0 else np.iinfo(x.dtype).max
        else:
            start_value = start
        return ufunc.reduce(x, axis=axes, keepdims=keepdims, initial=start_value)
    return kernel


def _prod(x: Any, axes: Any, keepdims: bool) -> Any:
    return np.multiply.reduce(x, axis=axes, dtype=x.dtype, keepdims=keepdims)


def _logsumexp(x: Any, axes: Any, keepdims: bool) -> Any:
    top = np.maximum.reduce(x, axis=axes, keepdims=True, initial=-np.inf)
    top = np.where(np.isfinite(top), top, 0)
    out = np.log(np.add.reduce(np.exp(x - top), axis=axes, keepdims=True)) + top
    if not keepdims:
        out = np.reshape(out, [n for i, n in enumerate(np.shape(x))
                               if axes is not None and i not in axes])
    return out.astype(x.dtype, copy=False)[()]


# ----- gradient rules -----

def _sum_rule(xp: Any, g: Any, ans: Any, x: Any, axes: Any, keepdims: bool) -> Any:
    return expand(xp, g, xp.shape(x), axes, keepdims)


def _mean_rule(xp: Any, g: Any, ans: Any, x: Any, axes: Any, keepdims: bool) -> Any:
    shape = xp.shape(x)
    return expand(xp, g / _count(shape, axes), shape, axes, keepdims)


def _extreme_rule(xp: Any, g: Any, ans: Any, x: Any, axes: Any, keepdims: bool) -> Any:
    """Ties share the gradient equally, as in TensorFlow."""
    shape = xp.shape(x)
    hit = xp.cast(x == expand(xp, ans, shape, axes, keepdims), xp.dtype(x))
    return expand(xp, g, shape, axes, keepdims) * hit / xp.sum(hit, axes, True)


def _prod_rule(xp: Any, g: Any, ans: Any, x: Any, axes: Any, keepdims: bool) -> Any:
    """The product of the other entries, without dividing by zero.

    Zero entries stay in the formula as ``zeros_sum`` (whose value is 0), so the rule is itself
    differentiable at exact zeros: second derivatives are right with one or two zeros in a
    slice (TensorFlow's are not).
    """
    is_zero = x == 0
    safe = xp.where(is_zero, 1, x)
    product = xp.prod(safe, axes, True)  # of the non-zero entries
    zeros = xp.sum(xp.cast(is_zero, xp.dtype(x)), axes, True)
    zeros_sum = xp.sum(xp.where(is_zero, x, 0), axes, True)  # 0, but it carries a derivative
    others = xp.where(zeros == 0, product / safe,
                      xp.where(zeros == 1, xp.where(is_zero, product, zeros_sum * product / safe),
                               xp.where((zeros == 2) & is_zero, (zeros_sum - x) * product, 0)))
    return expand(xp, g, xp.shape(x), axes, keepdims) * others


def _logsumexp_rule(xp: Any, g: Any, ans: Any, x: Any, axes: Any, keepdims: bool) -> Any:
    """g times softmax(x). exp(x - ans) alone is off by the rounding of ans (|ans|·eps, 3e-5 at
    1000 in float32) in every entry alike; dividing by its sum cancels that common factor."""
    shape = xp.shape(x)
    weights = xp.exp(x - expand(xp, ans, shape, axes, keepdims))
    return expand(xp, g, shape, axes, keepdims) * (weights / xp.sum(weights, axes, True))


SUM = Primitive("Sum", _sum, _sum_rule)
MEAN = Primitive("Mean", _mean, _mean_rule)
MAX = Primitive("Max", _extreme(np.maximum, -np.inf), _extreme_rule)
MIN = Primitive("Min", _extreme(np.minimum, np.inf), _extreme_rule)
PROD = Primitive("Prod", _prod, _prod_rule)
LOGSUMEXP = Primitive("LogSumExp", _logsumexp, _logsumexp_rule)
ALL = Primitive("All", lambda x, axes, keepdims: np.logical_and.reduce(x, axis=axes,
                                                                         keepdims=keepdims))
ANY = Primitive("Any", lambda x, axes, keepdims: np.logical_or.reduce(x, axis=axes,
                                                                        keepdims=keepdims))

reduce_sum = _reducer(SUM, "fciu", """The sum over ``axis`` (every axis when None).

    >>> import tapegrad as tf
    >>> tf.reduce_sum([[1, 2], [3, 4]], axis=1).numpy().tolist()
    [3, 7]
    """)
reduce_mean = _reducer(MEAN, "fciu", """The mean over ``axis``; an integer mean truncates.

    >>> import tapegrad as tf
    >>> float(tf.reduce_mean([1.0, 2.0, 4.0]))
    2.3333332538604736
    """)
reduce_max = _reducer(MAX, "fiu", """The largest entry over ``axis``; ties share the gradient.

    >>> import tapegrad as tf
    >>> float(tf.reduce_max([1.0, 3.0, 2.0]))
    3.0
    """)
reduce_min = _reducer(MIN, "fiu", """The smallest entry over ``axis``.

    >>> import tapegrad as tf
    >>> float(tf.reduce_min([1.0, 3.0, 2.0]))
    1.0
    """)
reduce_prod = _reducer(PROD, "fciu", """The product over ``axis``.

    >>> import tapegrad as tf
    >>> float(tf.reduce_prod([2.0, 3.0, 4.0]))
    24.0
    """)
reduce_logsumexp = _reducer(LOGSUMEXP, "f", """log(sum(exp(x))) over ``axis``, without overflow.

    >>> import tapegrad as tf
    >>> float(tf.reduce_logsumexp([1000.0, 1000.0]))
    1000.6931762695312
    """)
reduce_all = _reducer(ALL, "b", """True where every entry over ``axis`` is True.

    >>> import tapegrad as tf
    >>> bool(tf.reduce_all([True, False]))
    False
    """)
reduce_any = _reducer(ANY, "b", """True where some entry over ``axis`` is True.

    >>> import tapegrad as tf
    >>> bool(tf.reduce_any([True, False]))
    True
    """)


def _real_input(x: Any) -> Tensor:
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if x._value.dtype.kind not in "fc":
        raise TypeError(f"Input must be either real or complex. Received integer type "
                        f"{x.dtype}.")
    return x


def reduce_variance(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                    name: str | None = None) -> Tensor:
    """The population variance over ``axis``: mean((x - mean(x))**2).

    >>> import tapegrad as tf
    >>> float(tf.math.reduce_variance([1.0, 2.0, 3.0, 4.0]))
    1.25
    """
    x = _real_input(input_tensor)
    centred = subtract(x, reduce_mean(x, axis, keepdims=True))
    return reduce_mean(square(centred), axis, keepdims)


def reduce_std(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    """The population standard deviation over ``axis``.

    >>> import tapegrad as tf
    >>> round(float(tf.math.reduce_std([1.0, 2.0, 3.0, 4.0])), 6)
    1.118034
    """
    return sqrt(reduce_variance(input_tensor, axis, keepdims))


def reduce_euclidean_norm(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                          name: str | None = None) -> Tensor:
    """sqrt(sum(x**2)) over ``axis``.

    >>> import tapegrad as tf
    >>> float(tf.math.reduce_euclidean_norm([3.0, 4.0]))
    5.0
    """
    return sqrt(reduce_sum(square(input_tensor), axis, keepdims))


def _arg(prim: Primitive) -> Any:
    def arg(input: Any, axis: Any = None, output_type: DType | str = "int64",
            name: str | None = None) -> Tensor:
        x = input if isinstance(input, Tensor) else convert_to_tensor(input)
        check_kind(prim, x, "fiu")
        (a,) = normalize_axes(0 if axis is None else as_int(axis, "axis"), x._value.ndim,
                              prim.name)
        shape = np.shape(x._value)
        if shape[a] == 0:
            raise invalid_argument(f"Reduction axis {a} is empty in shape "
                                   f"[{','.join(map(str, shape))}] [Op:{prim.name}] name: ")
        return tape.apply(prim, (x,), (a, as_dtype(output_type)._np))
    return arg


ARGMAX = Primitive("ArgMax", lambda x, axis, dtype: np.argmax(x, axis=axis).astype(dtype)[()])
ARGMIN = Primitive("ArgMin", lambda x, axis, dtype: np.argmin(x, axis=axis).astype(dtype)[()])
argmax = _arg(ARGMAX)
argmax.__doc__ = """The index of the largest entry along ``axis`` (0 by default), as int64.

    >>> import tapegrad as tf
    >>> tf.argmax([[1, 5], [3, 2]]).numpy().tolist()
    [1, 0]
    """
argmin = _arg(ARGMIN)
argmin.__doc__ = """The index of the smallest entry along ``axis`` (0 by default), as int64.

    >>> import tapegrad as tf
    >>> tf.argmin([[1, 5], [3, 2]]).numpy().tolist()
    [0, 1]
    """


def _cumsum(x: Any, axis: int, exclusive: bool, reverse: bool) -> Any:
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive and out.shape[axis]:
        out = np.roll(out, 1, axis=axis)
        out[(slice(None),) * axis + (0,)] = 0
    return np.flip(out, axis) if reverse else out


CUMSUM = Primitive("Cumsum", _cumsum,
                   lambda xp, g, ans, x, axis, exclusive, reverse:
                   xp.cumsum(g, axis, exclusive, not reverse))


def cumsum(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
           name: str | None = None) -> Tensor:
    """Running sums along ``axis``; ``exclusive`` leaves out the current entry.

    >>> import tapegrad as tf
    >>> tf.cumsum([1.0, 2.0, 3.0]).numpy().tolist()
    [1.0, 3.0, 6.0]
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    check_kind(CUMSUM, x, "fciu")
    if x._value.ndim == 0:
        raise invalid_argument("ScanOp: Expected scan axis to be a valid dimension, got 0 for a "
                               "scalar [Op:Cumsum] name: ")
    (axis,) = normalize_axes(as_int(axis, "axis"), x._value.ndim, "Cumsum")
    return tape.apply(CUMSUM, (x,), (axis, bool(exclusive), bool(reverse)))
