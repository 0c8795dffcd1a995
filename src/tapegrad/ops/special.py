"""More of ``tf.math``: special functions (erf, lgamma, digamma, polygamma, zeta), the inverse
hyperbolic functions, the ``_no_nan`` and ``xlogy`` families, running products and logsumexps,
and small helpers (``add_n``, ``polyval``, ``count_nonzero``, ``zero_fraction``, ...).

Special functions use NumPy only: ``math.erf`` and ``math.lgamma`` per entry, polygamma by
recurrence up to 10 then the asymptotic series, erfinv by Newton steps on erf. Each gradient is
the next function (lgamma' = digamma, digamma' = polygamma(1, x), ...), so every order works.

>>> import tapegrad as tf
>>> round(float(tf.math.erf(0.5)), 6), round(float(tf.math.lgamma(5.0)), 6)
(0.5205, 3.178054)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_int, concrete, tensor_of, wrap
from .math import (
    FLOAT,
    add,
    check_kind,
    equal,
    log,
    log1p,
    multiply,
    operands,
    subtract,
    truediv,
    unary,
    where,
)
from .reduce import normalize_axes, reduce_sum


def _per_entry(fn: Any) -> Any:
    """A float64 function of one Python float, applied to each entry, in the input's dtype."""
    ufunc = np.frompyfunc(fn, 1, 1)

    def kernel(x: Any) -> Any:
        return np.asarray(ufunc(np.asarray(x, np.float64)), np.float64).astype(x.dtype)[()]
    return kernel


def _lgamma(x: float) -> float:
    try:
        return math.lgamma(x)
    except ValueError:  # a pole: 0, -1, -2, ...
        return math.inf


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798)


def _polygamma(n: int, x: Any) -> Any:
    """psi^(n)(x) in float64: shift x up past 10 by recurrence, then the asymptotic series."""
    x = given = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    if n == 0:  # reflection for x < 0.5: psi(x) = psi(1 - x) - pi / tan(pi x)
        low = x < 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(low, -np.pi / np.tan(np.pi * x), 0.0)
        x = np.where(low, 1 - x, x)
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)^(n+1)
    factorial = math.factorial(n)
    far = x < -1e4  # beyond the recurrence's reach (digamma reflects instead): NaN
    z = np.where(far | np.isnan(x), 10.0, x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while True:
            small = z < 10
            if not small.any():
                break
            # psi^(n)(z) = psi^(n)(z + 1) - (-1)^n n! / z^(n+1)
            out = out - np.where(small, -sign * factorial / z ** (n + 1), 0.0)
            z = np.where(small, z + 1, z)
        if n == 0:
            series = np.log(z) - 0.5 / z
            for k, b in enumerate(_BERNOULLI, 1):
                series -= b / (2 * k * z ** (2 * k))
        else:
            series = math.factorial(n - 1) / z ** n + factorial / (2 * z ** (n + 1))
            for k, b in enumerate(_BERNOULLI, 1):
                series += b * math.factorial(2 * k + n - 1) / (math.factorial(2 * k)
                                                                * z ** (2 * k + n))
            series *= sign
        out = out + series
    pole = (given <= 0) & (given == np.floor(given))
    out = np.where(far | np.isnan(given), np.nan, out)
    return np.where(pole, np.inf if n else np.nan, out)


def _polygammas(x: Any, orders: Any) -> Any:
    """psi^(n)(x) for an array of integer orders ``n`` (broadcast with x), in x's dtype."""
    orders, xs = np.broadcast_arrays(orders, x)
    out = np.full(xs.shape, np.nan)  # NaN for an order that is not a whole number >= 0, as TF
    valid = np.isfinite(orders) & (orders >= 0) & (orders == np.floor(orders)) & (orders < 200)
    for n in np.unique(orders[valid]):
        hit = orders == n
        out[hit] = _polygamma(int(n), xs[hit])
    return out.astype(x.dtype)[()]


def _erfinv(y: Any) -> Any:
    """The inverse of erf in float64: Giles's single-precision start, then Newton steps."""
    y = np.asarray(y, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - y) * (1 + y))
        central = w < 5
        wc, wt = w - 2.5, np.sqrt(w) - 3
        pc = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                         0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                         1.50140941], wc)
        pt = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                         0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                         2.83297682], wt)
        x = np.where(central, pc, pt) * y
        erf = _per_entry(math.erf)
        for _ in range(3):
            x = x - (erf(x) - y) / (2 / np.sqrt(np.pi) * np.exp(-x * x))
    x = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, x))
    return np.where(np.abs(y) > 1, np.nan, x)


_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)

ERF = Primitive("Erf", _per_entry(math.erf),
                lambda xp, g, ans, x: g * _TWO_OVER_ROOT_PI * xp.exp(-x * x))
ERFC = Primitive("Erfc", _per_entry(math.erfc),
                 lambda xp, g, ans, x: -g * _TWO_OVER_ROOT_PI * xp.exp(-x * x))
ERFINV = Primitive("Erfinv", lambda x: _erfinv(x).astype(x.dtype)[()],
                   lambda xp, g, ans, x: g * (math.sqrt(math.pi) / 2) * xp.exp(ans * ans))
POLYGAMMA = Primitive("Polygamma", _polygammas,
                      lambda xp, g, ans, x, n: g * xp.apply(POLYGAMMA, (x,), (n + 1,)))
LGAMMA = Primitive("Lgamma", _per_entry(_lgamma),
                   lambda xp, g, ans, x: g * xp.apply(POLYGAMMA, (x,), (np.int64(0),)))
ACOSH = Primitive("Acosh", np.arccosh, lambda xp, g, ans, x: g / xp.sqrt(x * x - 1))
ASINH = Primitive("Asinh", np.arcsinh, lambda xp, g, ans, x: g / xp.sqrt(x * x + 1))
ATANH = Primitive("Atanh", np.arctanh, lambda xp, g, ans, x: g / (1 - x * x))
RINT = Primitive("Rint", np.rint, None)  # no gradient, but recorded, as TensorFlow's

erf = unary(ERF, FLOAT, "The error function 2/sqrt(pi) * integral of exp(-t**2) from 0 to x."
            "\n\n>>> import tapegrad as tf\n>>> float(tf.math.erf(0.0))\n0.0\n")
erfc = unary(ERFC, FLOAT, "1 - erf(x), accurate where erf(x) is near 1.\n\n"
             ">>> import tapegrad as tf\n>>> float(tf.math.erfc(0.0))\n1.0\n")
erfinv = unary(ERFINV, FLOAT, "The inverse of erf, on (-1, 1).\n\n>>> import tapegrad as tf\n"
               ">>> round(float(tf.math.erfinv(tf.math.erf(0.3))), 6)\n0.3\n")
lgamma = unary(LGAMMA, FLOAT, "log|Gamma(x)|; inf at the poles 0, -1, -2, ...\n\n"
               ">>> import tapegrad as tf\n>>> round(float(tf.math.lgamma(4.0)), 6)\n1.791759\n")
acosh = unary(ACOSH, FLOAT, "Inverse hyperbolic cosine.\n\n>>> import tapegrad as tf\n"
              ">>> float(tf.math.acosh(1.0))\n0.0\n")
asinh = unary(ASINH, FLOAT, "Inverse hyperbolic sine.\n\n>>> import tapegrad as tf\n"
              ">>> float(tf.math.asinh(0.0))\n0.0\n")
atanh = unary(ATANH, FLOAT, "Inverse hyperbolic tangent.\n\n>>> import tapegrad as tf\n"
              ">>> float(tf.math.atanh(0.0))\n0.0\n")
_rint = unary(RINT, "f")


def rint(x: Any, name: str | None = None) -> Tensor:
    """The nearest integer, halves to even, in x's float dtype; no gradient.

    >>> import tapegrad as tf
    >>> tf.math.rint([0.5, 1.5, -1.7]).numpy().tolist()
    [0.0, 2.0, -2.0]
    """
    return _rint(x)


def ndtri(x: Any, name: str | None = None) -> Tensor:
    """The inverse of the standard normal CDF: sqrt(2) * erfinv(2p - 1).

    >>> import tapegrad as tf
    >>> round(float(tf.math.ndtri(0.975)), 4)
    1.96
    """
    p = tensor_of(x)
    return multiply(erfinv(subtract(multiply(p, 2.0), 1.0)), math.sqrt(2))


def lbeta(x: Any, name: str | None = None) -> Tensor:
    """log|B(x)| over the last axis: sum(lgamma(x)) - lgamma(sum(x)).

    >>> import tapegrad as tf
    >>> round(float(tf.math.lbeta([1.0, 2.0])), 6)  # B(1, 2) = 1/2
    -0.693147
    """
    t = tensor_of(x)
    return subtract(reduce_sum(lgamma(t), -1), lgamma(reduce_sum(t, -1)))


def digamma(x: Any, name: str | None = None) -> Tensor:
    """psi(x), the derivative of lgamma; NaN at the poles.

    >>> import tapegrad as tf
    >>> round(float(tf.math.digamma(1.0)), 6)
    -0.577216
    """
    t = tensor_of(x)
    check_kind(POLYGAMMA, t, "f")
    return tape.apply(POLYGAMMA, (t,), (np.int64(0),))


def polygamma(a: Any, x: Any, name: str | None = None) -> Tensor:
    """The a-th derivative of digamma, for whole-number orders ``a`` >= 0 (NaN for others).

    >>> import tapegrad as tf
    >>> round(float(tf.math.polygamma(1.0, 1.0)), 6)  # pi**2 / 6
    1.644934
    """
    order, t = operands(POLYGAMMA, a, x)  # one dtype, by TensorFlow's rules
    check_kind(POLYGAMMA, t, "f")
    order = concrete(order)  # the order picks the formula: checked in a traced function
    try:
        np.broadcast_shapes(order.shape, np.shape(t._value))
    except ValueError:
        raise invalid_argument(f"Incompatible shapes: {list(order.shape)} vs. "
                               f"{list(np.shape(t._value))} [Op:Polygamma]") from None
    return tape.apply(POLYGAMMA, (t,), (order,))


def _hurwitz(s: Any, q: Any) -> Any:
    """zeta(s, q) = sum over k of (q + k)^-s, from psi^(n) where s = n + 1 is an integer, else
    by Euler-Maclaurin after shifting q past 10."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    out = np.zeros(s.shape)
    z = np.where(q > 0, q, 10.0)  # NaN where q <= 0, below
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while (small := z < 10).any():
            out = out + np.where(small, z ** -s, 0.0)
            z = np.where(small, z + 1, z)
        out = out + z ** (1 - s) / (s - 1) + 0.5 * z ** -s
        rising = s.copy()  # s (s+1) ... (s+2k-2)
        for k, b in enumerate(_BERNOULLI, 1):
            out = out + b / math.factorial(2 * k) * rising * z ** (-s - 2 * k + 1)
            rising = rising * (s + 2 * k - 1) * (s + 2 * k)
    return np.where((s < 1) | ~(q > 0), np.nan, np.where(s == 1, np.inf, out))


ZETA = Primitive("Zeta", lambda s, q: _hurwitz(s, q).astype(s.dtype)[()], None,
                 lambda xp, g, ans, s, q: -g * s * xp.apply(ZETA, (s + 1, q), ()))


def zeta(x: Any, q: Any, name: str | None = None) -> Tensor:
    """The Hurwitz zeta function sum over k >= 0 of (q + k) ** -x, for x > 1 and q > 0; the
    gradient flows to q only, as in TensorFlow.

    >>> import tapegrad as tf
    >>> round(float(tf.math.zeta(2.0, 1.0)), 6)
    1.644934
    """
    s, t = operands(ZETA, tensor_of(x), q)
    check_kind(ZETA, s, "f")
    return tape.apply(ZETA, (s, t))


# ----- the no-NaN family: composed of ops that have gradients, so every order works -----

def _fill(like: Tensor, value: float) -> Tensor:
    """A constant scalar of ``like``'s dtype: the masked branch of a ``where`` stays unconnected,
    so derivatives TensorFlow leaves None stay None."""
    return wrap(like._value.dtype.type(value))


def _zero_where(condition: Tensor, value: Tensor) -> Tensor:
    return where(condition, _fill(value, 0), value)


def divide_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y, but 0 where y is 0 (even where x is NaN or infinite).

    >>> import tapegrad as tf
    >>> tf.math.divide_no_nan([3.0, 1.0], [2.0, 0.0]).numpy().tolist()
    [1.5, 0.0]
    """
    x, y = operands(Primitive("DivNoNan", None), tensor_of(x), y)
    zero = equal(y, 0)
    return _zero_where(zero, truediv(_zero_where(zero, x), where(zero, _fill(y, 1), y)))


def reciprocal_no_nan(x: Any, name: str | None = None) -> Tensor:
    """1 / x, but 0 where x is 0.

    >>> import tapegrad as tf
    >>> tf.math.reciprocal_no_nan([2.0, 0.0]).numpy().tolist()
    [0.5, 0.0]
    """
    x = tensor_of(x)
    return divide_no_nan(wrap(np.ones_like(x._value)), x)


def multiply_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * y, but 0 where y is 0 (even where x is NaN or infinite).

    >>> import tapegrad as tf
    >>> tf.math.multiply_no_nan([float("inf"), 2.0], [0.0, 3.0]).numpy().tolist()
    [0.0, 6.0]
    """
    x, y = operands(Primitive("MulNoNan", None), tensor_of(x), y)
    return multiply(_zero_where(equal(y, 0), x), y)


def _x_times(fn: Any, opname: str) -> Any:
    def op(x: Any, y: Any, name: str | None = None) -> Tensor:
        x, y = operands(Primitive(opname, None), tensor_of(x), y)
        check_kind(Primitive(opname, None), x, "fc")
        zero = equal(x, 0)
        return _zero_where(zero, fn(x, where(zero, _fill(y, 1), y)))
    return op


def _over(x: Any, y: Any) -> Tensor:
    return truediv(x, y)


xlogy = _x_times(lambda x, y: multiply(x, log(y)), "Xlogy")
xlogy.__doc__ = """x * log(y), but 0 where x is 0.

    >>> import tapegrad as tf
    >>> tf.math.xlogy([0.0, 2.0], [0.0, 1.0]).numpy().tolist()
    [0.0, 0.0]
    """
xlog1py = _x_times(lambda x, y: multiply(x, log1p(y)), "Xlog1py")
xlog1py.__doc__ = """x * log1p(y), but 0 where x is 0.

    >>> import tapegrad as tf
    >>> tf.math.xlog1py([0.0], [-1.0]).numpy().tolist()
    [0.0]
    """
xdivy = _x_times(_over, "Xdivy")
xdivy.__doc__ = """x / y, but 0 where x is 0.

    >>> import tapegrad as tf
    >>> tf.math.xdivy([0.0, 3.0], [0.0, 2.0]).numpy().tolist()
    [0.0, 1.5]
    """


# ----- running products and logsumexps -----

def _scan_axis(x: Tensor, axis: Any, op: str) -> int:
    if x._value.ndim == 0:
        raise invalid_argument(f"ScanOp: Expected scan axis to be a valid dimension, got 0 for a "
                               f"scalar [Op:{op}] name: ")
    (a,) = normalize_axes(as_int(axis, "axis"), x._value.ndim, op)
    return a


def _shifted(values: Any, axis: int, fill: float) -> Any:
    """``values`` moved one place along ``axis``, ``fill`` in the first place (exclusive)."""
    out = np.roll(values, 1, axis=axis)
    out[(slice(None),) * axis + (0,)] = fill
    return out


def _scan(ufunc: np.ufunc, fill: float) -> Any:
    def kernel(x: Any, axis: int, exclusive: bool, reverse: bool) -> Any:
        if reverse:
            x = np.flip(x, axis)
        out = ufunc.accumulate(x, axis=axis, dtype=x.dtype)
        if exclusive and out.shape[axis]:
            out = _shifted(out, axis, fill)
        return np.flip(out, axis) if reverse else out
    return kernel


def _cumprod_rule(xp: Any, g: Any, ans: Any, x: Any, axis: int, exclusive: bool,
                  reverse: bool) -> Any:
    # TensorFlow's rule, divide_no_nan included: 0 (not the true value) where x is 0
    zero = x == 0
    return xp.where(zero, 0, xp.cumsum(ans * g, axis, exclusive, not reverse)
                    / xp.where(zero, 1, x))


def _cumlse_rule(xp: Any, g: Any, ans: Any, x: Any, axis: int, exclusive: bool,
                 reverse: bool) -> Any:
    """dx_j = sum over the outputs i that include x_j of g_i exp(x_j - ans_i), shifted by the
    largest x along the axis (a constant) so that neither exponential overflows."""
    top = np.max(x._value if isinstance(x, Tensor) else x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    empty = ans == -np.inf  # an exclusive scan's first output: no input reaches it
    weights = xp.where(empty, 0, g * xp.exp(top - xp.where(empty, top, ans)))
    return xp.exp(x - top) * xp.cumsum(weights, axis, exclusive, not reverse)


CUMPROD = Primitive("Cumprod", _scan(np.multiply, 1), _cumprod_rule)
CUMLSE = Primitive("CumulativeLogsumexp", _scan(np.logaddexp, -np.inf), _cumlse_rule)


def cumprod(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
            name: str | None = None) -> Tensor:
    """Running products along ``axis``; ``exclusive`` leaves out the current entry.

    >>> import tapegrad as tf
    >>> tf.math.cumprod([1.0, 2.0, 3.0], exclusive=True).numpy().tolist()
    [1.0, 1.0, 2.0]
    """
    x = tensor_of(x)
    check_kind(CUMPROD, x, "fciu")
    return tape.apply(CUMPROD, (x,), (_scan_axis(x, axis, "Cumprod"), bool(exclusive),
                                      bool(reverse)))


def cumulative_logsumexp(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
                         name: str | None = None) -> Tensor:
    """Running log(sum(exp(x))) along ``axis``, without overflow.

    >>> import tapegrad as tf
    >>> [round(v, 4) for v in tf.math.cumulative_logsumexp([0.0, 0.0]).numpy().tolist()]
    [0.0, 0.6931]
    """
    x = tensor_of(x)
    check_kind(CUMLSE, x, "f")
    return tape.apply(CUMLSE, (x,), (_scan_axis(x, axis, "CumulativeLogsumexp"),
                                     bool(exclusive), bool(reverse)))


# ----- small helpers -----

def add_n(inputs: Sequence[Any], name: str | None = None) -> Tensor:
    """The sum of a list of tensors of one shape and dtype.

    >>> import tapegrad as tf
    >>> tf.math.add_n([[1, 2], [3, 4], [5, 6]]).numpy().tolist()
    [9, 12]
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("inputs must be a non-empty list of tensors of the same shape and "
                         "dtype.")
    tensors = [tensor_of(t) for t in inputs]
    for t in tensors[1:]:
        if np.shape(t._value) != np.shape(tensors[0]._value):
            raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                             "and shape.")
    total = tensors[0]
    for t in tensors[1:]:
        total = add(total, t)
    return total


def polyval(coeffs: Sequence[Any], x: Any, name: str | None = None) -> Tensor:
    """coeffs[0] * x**(n-1) + ... + coeffs[n-1], by Horner's rule.

    >>> import tapegrad as tf
    >>> float(tf.math.polyval([1.0, 2.0, 3.0], 2.0))
    11.0
    """
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)}.")
    x = tensor_of(x)
    if not coeffs:
        return wrap(np.zeros_like(x._value))
    total = tensor_of(coeffs[0])  # each coefficient a tensor of its own dtype, as in TensorFlow
    for c in coeffs[1:]:
        total = add(multiply(total, x), tensor_of(c))
    return total


def count_nonzero(input: Any, axis: Any = None, keepdims: bool | None = None,
                  dtype: DType | str = "int64", name: str | None = None) -> Tensor:
    """How many entries are not zero (not False, not '') over ``axis``, as int64.

    >>> import tapegrad as tf
    >>> tf.math.count_nonzero([[0, 1], [2, 0]], axis=1).numpy().tolist()
    [1, 1]
    """
    v = concrete(tensor_of(input))
    axes = normalize_axes(axis, v.ndim, "Sum")
    out = np.count_nonzero(v, axis=axes, keepdims=bool(keepdims))
    return wrap(np.asarray(out).astype(as_dtype(dtype)._np)[()])


def zero_fraction(value: Any, name: str | None = None) -> Tensor:
    """The fraction of entries that are zero, as a float32 scalar.

    >>> import tapegrad as tf
    >>> float(tf.math.zero_fraction([0.0, 1.0, 0.0, 2.0]))
    0.5
    """
    v = concrete(tensor_of(value))
    return wrap(np.float32(np.mean(v == 0)) if v.size else np.float32(np.nan))


def _monotone(x: Any, strict: bool) -> Tensor:
    v = np.ravel(concrete(tensor_of(x)))
    if v.dtype.kind not in "fiu":
        raise TypeError(f"Expected x to be numeric, got {v.dtype}.")
    step = np.diff(v)
    return wrap(np.bool_(np.all(step > 0) if strict else np.all(step >= 0)))


def is_non_decreasing(x: Any, name: str | None = None) -> Tensor:
    """True if each entry of x (flattened) is >= the one before.

    >>> import tapegrad as tf
    >>> bool(tf.math.is_non_decreasing([1, 1, 2]))
    True
    """
    return _monotone(x, False)


def is_strictly_increasing(x: Any, name: str | None = None) -> Tensor:
    """True if each entry of x (flattened) is > the one before.

    >>> import tapegrad as tf
    >>> bool(tf.math.is_strictly_increasing([1, 1, 2]))
    False
    """
    return _monotone(x, True)


__all__ = ["erf", "erfc", "erfinv", "ndtri", "lbeta", "lgamma", "digamma", "polygamma", "zeta",
           "acosh", "asinh", "atanh", "rint", "divide_no_nan", "reciprocal_no_nan",
           "multiply_no_nan", "xlogy", "xlog1py", "xdivy", "cumprod", "cumulative_logsumexp",
           "add_n", "polyval", "count_nonzero", "zero_fraction", "is_non_decreasing",
           "is_strictly_increasing"]
