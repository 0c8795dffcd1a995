"""Elementwise math: arithmetic, functions, comparisons, logic, ``where``, ``cast``; the operators.

Each primitive is one line of a table: TensorFlow's op name, the NumPy kernel, and a gradient
rule per input (``xp, g, ans, *inputs``, see ``tapegrad.tape.Primitive``). Broadcasting needs no
care in the rules: the backward pass sums each gradient back to its input's shape.

>>> import tapegrad as tf
>>> x = tf.constant([1.0, 2.0])
>>> (x * 3 + 1).numpy().tolist(), tf.square(x).numpy().tolist()
([4.0, 7.0], [1.0, 4.0])
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype, string
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, Variable, convert_to_tensor, to_numpy, wrap

# ----- dtype checks, in TensorFlow's words -----

FLOAT, SIGNED, NUMBER, BOOL = "fc", "fci", "fciu", "b"
_KIND_NAMES = {"f": "half, float, double", "c": "complex64, complex128",
               "i": "int8, int16, int32, int64", "u": "uint8, uint16, uint32, uint64",
               "b": "bool", "S": "string", "O": "string"}


def check_kind(prim: Primitive, x: Tensor, kinds: str) -> None:
    """Refuse a dtype the op has no kernel for, with TensorFlow's message."""
    if x._value.dtype.kind not in kinds:
        allowed = ", ".join(_KIND_NAMES[k] for k in kinds)
        raise invalid_argument(f"Value for attr 'T' of {x.dtype.name} is not in the list of "
                               f"allowed values: {allowed} [Op:{prim.name}] name: ")


def _op_dtype(t: Tensor) -> str:
    return t.dtype._op_name


def operands(prim: Primitive, x: Any, y: Any, hint: bool = False) -> tuple[Tensor, Tensor]:
    """Two inputs of one dtype, by TensorFlow's rules.

    A non-tensor operand takes the tensor's dtype (a NumPy array is cast; a Python float never
    becomes an integer: TypeError). Two tensors of different dtypes are an InvalidArgumentError.
    ``hint`` is AddV2's way: a value that can't take the dtype keeps its own, then mismatches.
    """
    if isinstance(x, Tensor):
        if not isinstance(y, Tensor):
            y = _coerce(y, x, hint)
    elif isinstance(y, Tensor):
        x = _coerce(x, y, False)
    else:
        x = convert_to_tensor(x)
        y = _coerce(y, x, hint)
    if x._value.dtype != y._value.dtype and x.dtype is not y.dtype:  # y.dtype: |S3 is string
        if prim is DIV:  # TensorFlow's truediv checks the dtypes itself, before the op
            raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype!r} != "
                            f"{y.dtype!r}.")
        raise invalid_argument(
            f"cannot compute {prim.name} as input #1(zero-based) was expected to be a "
            f"{_op_dtype(x)} tensor but is a {_op_dtype(y)} tensor [Op:{prim.name}] name: ")
    return x, y


def _coerce(value: Any, like: Tensor, hint: bool) -> Tensor:
    dtype = like._value.dtype
    kind = type(value)
    if kind is float and dtype.kind in "fc" or kind is int and dtype.kind in "fciu":
        try:  # the common case, ten times cheaper than the general one
            return wrap(dtype.type(value))
        except OverflowError:
            pass
    if hint:
        return convert_to_tensor(value, dtype_hint=like.dtype)
    return wrap(to_numpy(value, like.dtype))


def _incompatible(prim: Primitive, x: Tensor, y: Tensor) -> Exception:
    return invalid_argument(f"Incompatible shapes: {list(np.shape(x._value))} vs. "
                            f"{list(np.shape(y._value))} [Op:{prim.name}] name: ")


# ----- op factories: the dispatch every elementwise op shares -----

def unary(prim: Primitive, kinds: str = FLOAT, doc: str = "") -> Callable[..., Tensor]:
    """The public function for a one-input elementwise primitive."""
    kernel = prim.kernel

    def op(x: Any, name: str | None = None) -> Tensor:
        if not isinstance(x, Tensor):
            x = convert_to_tensor(x)
        if x._value.dtype.kind not in kinds:
            check_kind(prim, x, kinds)
        out = wrap(kernel(x._value))
        if tape.recording:
            tape.record(prim, out, (x,), ())
        return out

    op.__doc__ = doc
    return op


def binary(prim: Primitive, kinds: str = NUMBER, hint: bool = False,
           doc: str = "") -> Callable[..., Tensor]:
    """The public function for a two-input elementwise primitive with broadcasting."""
    kernel = prim.kernel

    def op(x: Any, y: Any, name: str | None = None) -> Tensor:
        tx, ty = type(x), type(y)
        if tx is Tensor or tx is Variable:
            if ty is Tensor or ty is Variable:
                if x._value.dtype is not y._value.dtype:
                    x, y = operands(prim, x, y, hint)
            elif (ty is float or ty is int) and x._value.dtype.kind == "f":  # `x - 9.0`, `x ** 2`
                y = wrap(x._value.dtype.type(y))
            else:
                x, y = operands(prim, x, y, hint)
        else:
            x, y = operands(prim, x, y, hint)
        if x._value.dtype.kind not in kinds:
            if prim is ADD and x.dtype is string:  # TensorFlow's AddV2 joins strings
                return tape.apply(JOIN, (x, y))
            check_kind(prim, x, kinds)
        try:
            value = kernel(x._value, y._value)
        except ValueError:
            raise _incompatible(prim, x, y) from None
        out = wrap(value)
        if tape.recording:
            tape.record(prim, out, (x, y), ())
        return out

    op.__doc__ = doc
    return op


# ----- arithmetic -----

def _join(x: Any, y: Any) -> Any:
    """Strings joined entry by entry, with broadcasting: a 0-d bytes array for one string, an
    object array of bytes otherwise (how tapegrad holds strings)."""
    out = np.frompyfunc(operator.add, 2, 1)(x, y)
    return np.array(out) if np.ndim(out) == 0 else out


JOIN = Primitive("AddV2", _join)  # strings: no gradient


def _int_div_guard(kernel: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Integer division by zero is an error in TensorFlow, not a warning and a zero."""
    def guarded(x: Any, y: Any) -> Any:
        if x.dtype.kind in "iu" and np.any(np.asarray(y) == 0):
            raise invalid_argument("Integer division by zero")
        return kernel(x, y)
    return guarded


def _pow(x: Any, y: Any) -> Any:
    if x.dtype.kind in "iu" and np.any(np.asarray(y) < 0):
        raise invalid_argument("Integers to negative integer powers are not allowed")
    return x ** y


def _pow_grad_exponent(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    positive = x > 0  # TensorFlow's convention: no gradient through log(x) where x <= 0
    return g * ans * xp.where(positive, xp.log(xp.where(positive, x, 1)), 0)


def _realdiv(x: Any, y: Any) -> Any:
    if x.dtype.kind in "iu":  # TensorFlow: int8/int16 -> float32, wider -> float64
        wide = x.dtype.itemsize > 2
        return np.true_divide(x, y, dtype=np.float64 if wide else np.float32)
    return x / y


ADD = Primitive("AddV2", operator.add, lambda xp, g, ans, x, y: g,
                lambda xp, g, ans, x, y: g)
SUB = Primitive("Sub", operator.sub, lambda xp, g, ans, x, y: g,
                lambda xp, g, ans, x, y: -g)
MUL = Primitive("Mul", operator.mul, lambda xp, g, ans, x, y: g * y,
                lambda xp, g, ans, x, y: g * x)
DIV = Primitive("RealDiv", _realdiv, lambda xp, g, ans, x, y: g / y,
                lambda xp, g, ans, x, y: g * (-x / y / y))
# No gradient, but recorded (None rules), as TensorFlow records them: their output is a tensor
# the tape knows, so gradient(loss, tf.round(x)) is the gradient at the rounded value (the
# straight-through estimator's), not None.
FLOORDIV = Primitive("FloorDiv", _int_div_guard(operator.floordiv), None, None)
FLOORMOD = Primitive("FloorMod", _int_div_guard(operator.mod), lambda xp, g, ans, x, y: g,
                     lambda xp, g, ans, x, y: -g * xp.floor(x / y))
POW = Primitive("Pow", _pow, lambda xp, g, ans, x, y: g * y * x ** (y - 1), _pow_grad_exponent)
MAXIMUM = Primitive("Maximum", np.maximum, lambda xp, g, ans, x, y: xp.where(x >= y, g, 0),
                    lambda xp, g, ans, x, y: xp.where(x >= y, 0, g))
MINIMUM = Primitive("Minimum", np.minimum, lambda xp, g, ans, x, y: xp.where(x <= y, g, 0),
                    lambda xp, g, ans, x, y: xp.where(x <= y, 0, g))
SQUARED_DIFFERENCE = Primitive("SquaredDifference", lambda x, y: (x - y) * (x - y),
                               lambda xp, g, ans, x, y: 2 * g * (x - y),
                               lambda xp, g, ans, x, y: -2 * g * (x - y))
ATAN2 = Primitive("Atan2", np.arctan2, lambda xp, g, ans, y, x: g * x / (x * x + y * y),
                  lambda xp, g, ans, y, x: -g * y / (x * x + y * y))

add = binary(ADD, hint=True, doc="x + y, elementwise with broadcasting.\n\n"
             ">>> import tapegrad as tf\n>>> float(tf.add(2.0, 3.0))\n5.0\n")
subtract = binary(SUB, doc="x - y, elementwise with broadcasting.\n\n"
                  ">>> import tapegrad as tf\n>>> float(tf.subtract(2.0, 3.0))\n-1.0\n")
multiply = binary(MUL, doc="x * y, elementwise with broadcasting.\n\n"
                  ">>> import tapegrad as tf\n>>> float(tf.multiply(2.0, 3.0))\n6.0\n")
truediv = binary(DIV, doc="x / y; integer inputs give float64 (float32 for 8 and 16 bits).\n\n"
                 ">>> import tapegrad as tf\n>>> tf.math.truediv(3, 2).numpy()\nnp.float64(1.5)\n")
divide = truediv
floordiv = binary(FLOORDIV, kinds="fiu", doc="x // y, rounding down; no gradient.\n\n"
                  ">>> import tapegrad as tf\n>>> int(tf.math.floordiv(-7, 2))\n-4\n")
floormod = binary(FLOORMOD, kinds="fiu", doc="x % y with the sign of y, as Python's %.\n\n"
                  ">>> import tapegrad as tf\n>>> int(tf.math.floormod(-7, 3))\n2\n")
mod = floormod
pow = binary(POW, doc="x ** y, elementwise.\n\n"
             ">>> import tapegrad as tf\n>>> float(tf.pow(2.0, 10.0))\n1024.0\n")
maximum = binary(MAXIMUM, kinds="fiu", doc="The larger of x and y; at a tie the gradient goes to "
                 "x, as in TensorFlow.\n\n>>> import tapegrad as tf\n"
                 ">>> tf.maximum([1.0, 5.0], 3.0).numpy().tolist()\n[3.0, 5.0]\n")
minimum = binary(MINIMUM, kinds="fiu", doc="The smaller of x and y; at a tie the gradient goes "
                 "to x.\n\n>>> import tapegrad as tf\n"
                 ">>> tf.minimum([1.0, 5.0], 3.0).numpy().tolist()\n[1.0, 3.0]\n")
squared_difference = binary(SQUARED_DIFFERENCE, kinds="fci", doc="(x - y) ** 2.\n\n"
                            ">>> import tapegrad as tf\n"
                            ">>> float(tf.math.squared_difference(5.0, 2.0))\n9.0\n")
atan2 = binary(ATAN2, kinds="f", doc="The angle of the point (x, y): atan(y / x) in the right "
               "quadrant.\n\n>>> import tapegrad as tf\n>>> f'{float(tf.atan2(1.0, 1.0)):.4f}'\n"
               "'0.7854'\n")


# ----- functions of one argument -----

def _zero_rule(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    return g * 0  # connected but flat: TensorFlow's gradient of sign


NEG = Primitive("Neg", operator.neg, lambda xp, g, ans, x: -g)
ABS = Primitive("Abs", np.abs, lambda xp, g, ans, x: g * xp.sign(x))
SQUARE = Primitive("Square", lambda x: x * x, lambda xp, g, ans, x: g * 2 * x)
def _no_nan(xp: Any, g: Any, grad: Any) -> Any:
    """``grad`` with 0 wherever the upstream gradient ``g`` is 0: TensorFlow's SqrtGrad,
    RsqrtGrad and ReciprocalGrad (mul_no_nan), so an unused entry at x = 0 stays 0, not NaN."""
    return xp.where(g == 0, 0, grad)


SQRT = Primitive("Sqrt", np.sqrt, lambda xp, g, ans, x: _no_nan(xp, g, g * 0.5 / ans))
RSQRT = Primitive("Rsqrt", lambda x: 1 / np.sqrt(x),
                  lambda xp, g, ans, x: _no_nan(xp, g, g * -0.5 * ans ** 3))
EXP = Primitive("Exp", np.exp, lambda xp, g, ans, x: g * ans)
EXPM1 = Primitive("Expm1", np.expm1, lambda xp, g, ans, x: g * (ans + 1))
LOG = Primitive("Log", np.log, lambda xp, g, ans, x: g / x)
LOG1P = Primitive("Log1p", np.log1p, lambda xp, g, ans, x: g / (1 + x))
SIN = Primitive("Sin", np.sin, lambda xp, g, ans, x: g * xp.cos(x))
COS = Primitive("Cos", np.cos, lambda xp, g, ans, x: -g * xp.sin(x))
TAN = Primitive("Tan", np.tan, lambda xp, g, ans, x: g * (1 + ans * ans))
ASIN = Primitive("Asin", np.arcsin, lambda xp, g, ans, x: g / xp.sqrt(1 - x * x))
ACOS = Primitive("Acos", np.arccos, lambda xp, g, ans, x: -g / xp.sqrt(1 - x * x))
ATAN = Primitive("Atan", np.arctan, lambda xp, g, ans, x: g / (1 + x * x))
SINH = Primitive("Sinh", np.sinh, lambda xp, g, ans, x: g * xp.cosh(x))
COSH = Primitive("Cosh", np.cosh, lambda xp, g, ans, x: g * xp.sinh(x))
TANH = Primitive("Tanh", np.tanh, lambda xp, g, ans, x: g * (1 - ans * ans))
SIGMOID = Primitive("Sigmoid", lambda x: _sigmoid(x), lambda xp, g, ans, x: g * ans * (1 - ans))
SOFTPLUS = Primitive("Softplus", lambda x: np.logaddexp(0, x),
                     lambda xp, g, ans, x: g * xp.sigmoid(x))
RECIPROCAL = Primitive("Reciprocal", lambda x: 1 / x,
                       lambda xp, g, ans, x: _no_nan(xp, g, -g * ans * ans))
SIGN = Primitive("Sign", np.sign, _zero_rule)
ROUND = Primitive("Round", np.round, None)  # no gradient, but recorded: see FLOORDIV
FLOOR = Primitive("Floor", np.floor, None)
CEIL = Primitive("Ceil", np.ceil, None)


def _sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)) without overflow: exp of a negative number only."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))[()]


def _fn(prim: Primitive, math: str, example: str, kinds: str = FLOAT) -> Callable[..., Tensor]:
    return unary(prim, kinds, f"{math}, elementwise.\n\n>>> import tapegrad as tf\n{example}\n")


negative = _fn(NEG, "-x", ">>> float(tf.negative(2.0))\n-2.0", SIGNED)
abs = _fn(ABS, "|x|; the gradient at 0 is 0", ">>> float(tf.abs(-2.0))\n2.0", SIGNED)
square = _fn(SQUARE, "x * x", ">>> float(tf.square(3.0))\n9.0", NUMBER)
sqrt = _fn(SQRT, "The square root", ">>> float(tf.sqrt(9.0))\n3.0")
rsqrt = _fn(RSQRT, "1 / sqrt(x)", ">>> float(tf.math.rsqrt(4.0))\n0.5")
exp = _fn(EXP, "e ** x", ">>> float(tf.exp(0.0))\n1.0")
expm1 = _fn(EXPM1, "e ** x - 1, accurate near 0", ">>> float(tf.math.expm1(0.0))\n0.0")
log = _fn(LOG, "The natural logarithm", ">>> float(tf.math.log(1.0))\n0.0")
log1p = _fn(LOG1P, "log(1 + x), accurate near 0", ">>> float(tf.math.log1p(0.0))\n0.0")
sin = _fn(SIN, "Sine", ">>> float(tf.sin(0.0))\n0.0")
cos = _fn(COS, "Cosine", ">>> float(tf.cos(0.0))\n1.0")
tan = _fn(TAN, "Tangent", ">>> float(tf.tan(0.0))\n0.0")
asin = _fn(ASIN, "Inverse sine", ">>> float(tf.asin(0.0))\n0.0")
acos = _fn(ACOS, "Inverse cosine", ">>> float(tf.acos(1.0))\n0.0")
atan = _fn(ATAN, "Inverse tangent", ">>> float(tf.atan(0.0))\n0.0")
sinh = _fn(SINH, "Hyperbolic sine", ">>> float(tf.sinh(0.0))\n0.0")
cosh = _fn(COSH, "Hyperbolic cosine", ">>> float(tf.cosh(0.0))\n1.0")
tanh = _fn(TANH, "Hyperbolic tangent", ">>> float(tf.tanh(0.0))\n0.0")
sigmoid = _fn(SIGMOID, "The logistic function 1 / (1 + e ** -x)", ">>> float(tf.sigmoid(0.0))\n0.5")
softplus = _fn(SOFTPLUS, "log(1 + e ** x), without overflow",
               ">>> f'{float(tf.math.softplus(0.0)):.4f}'\n'0.6931'", "f")
reciprocal = _fn(RECIPROCAL, "1 / x", ">>> float(tf.math.reciprocal(4.0))\n0.25")
sign = _fn(SIGN, "-1, 0 or 1; its gradient is 0", ">>> float(tf.sign(-3.0))\n-1.0", NUMBER)
floor = _fn(FLOOR, "Round down; no gradient", ">>> float(tf.floor(1.5))\n1.0", "f")
ceil = _fn(CEIL, "Round up; no gradient", ">>> float(tf.math.ceil(1.5))\n2.0", "f")
_round_float = _fn(ROUND, "", "", "f")


def round(x: Any, name: str | None = None) -> Tensor:
    """Round half to even, elementwise; integers come back unchanged; no gradient.

    >>> import tapegrad as tf
    >>> tf.round([0.5, 1.5, 2.5]).numpy().tolist()
    [0.0, 2.0, 2.0]
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    return x if x._value.dtype.kind in "iu" else _round_float(x)


IS_NAN = Primitive("IsNan", np.isnan)
IS_INF = Primitive("IsInf", np.isinf)
IS_FINITE = Primitive("IsFinite", np.isfinite)
is_nan = unary(IS_NAN, "f", "True where x is NaN.\n\n>>> import tapegrad as tf\n"
               ">>> tf.math.is_nan([1.0, float('nan')]).numpy().tolist()\n[False, True]\n")
is_inf = unary(IS_INF, "f", "True where x is infinite.\n\n>>> import tapegrad as tf\n"
               ">>> tf.math.is_inf([1.0, float('inf')]).numpy().tolist()\n[False, True]\n")
is_finite = unary(IS_FINITE, "f", "True where x is neither infinite nor NaN.\n\n"
                  ">>> import tapegrad as tf\n"
                  ">>> tf.math.is_finite([1.0, float('inf')]).numpy().tolist()\n[True, False]\n")


def log_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for very negative x.

    >>> import tapegrad as tf
    >>> float(tf.math.log_sigmoid(-1000.0))
    -1000.0
    """
    return negative(softplus(negative(x)))


# ----- comparisons and logic (no gradients) -----

EQUAL = Primitive("Equal", np.equal)  # np.equal: also for strings (bytes == bytes is a bool)
NOT_EQUAL = Primitive("NotEqual", np.not_equal)
LESS = Primitive("Less", operator.lt)
LESS_EQUAL = Primitive("LessEqual", operator.le)
GREATER = Primitive("Greater", operator.gt)
GREATER_EQUAL = Primitive("GreaterEqual", operator.ge)
LOGICAL_AND = Primitive("LogicalAnd", np.logical_and)
LOGICAL_OR = Primitive("LogicalOr", np.logical_or)
LOGICAL_XOR = Primitive("LogicalXor", np.logical_xor)
LOGICAL_NOT = Primitive("LogicalNot", np.logical_not)


def _compare(prim: Primitive, doc: str) -> Callable[..., Tensor]:
    return binary(prim, kinds="fciub", doc=doc)


# Equality also compares strings (kinds S and O); the order comparisons take numbers only.
equal = binary(EQUAL, "fciubSO", doc="x == y, elementwise, as bools.\n\n"
               ">>> import tapegrad as tf\n"
               ">>> tf.equal([1, 2], 2).numpy().tolist()\n[False, True]\n")
not_equal = binary(NOT_EQUAL, "fciubSO", doc="x != y, elementwise.\n\n"
                   ">>> import tapegrad as tf\n"
                   ">>> tf.not_equal([1, 2], 2).numpy().tolist()\n[True, False]\n")
less = _compare(LESS, "x < y, elementwise.\n\n>>> import tapegrad as tf\n"
                ">>> tf.less([1, 2], 2).numpy().tolist()\n[True, False]\n")
less_equal = _compare(LESS_EQUAL, "x <= y, elementwise.\n\n>>> import tapegrad as tf\n"
                      ">>> tf.less_equal([1, 3], 2).numpy().tolist()\n[True, False]\n")
greater = _compare(GREATER, "x > y, elementwise.\n\n>>> import tapegrad as tf\n"
                   ">>> tf.greater([1, 3], 2).numpy().tolist()\n[False, True]\n")
greater_equal = _compare(GREATER_EQUAL, "x >= y, elementwise.\n\n>>> import tapegrad as tf\n"
                         ">>> tf.greater_equal([1, 2], 2).numpy().tolist()\n[False, True]\n")
logical_and = binary(LOGICAL_AND, kinds=BOOL, doc="x and y, elementwise on bools.\n\n"
                     ">>> import tapegrad as tf\n"
                     ">>> tf.logical_and([True, True], [True, False]).numpy().tolist()\n"
                     "[True, False]\n")
logical_or = binary(LOGICAL_OR, kinds=BOOL, doc="x or y, elementwise on bools.\n\n"
                    ">>> import tapegrad as tf\n"
                    ">>> tf.logical_or([True, False], False).numpy().tolist()\n[True, False]\n")
logical_xor = binary(LOGICAL_XOR, kinds=BOOL, doc="x xor y, elementwise on bools.\n\n"
                     ">>> import tapegrad as tf\n"
                     ">>> tf.math.logical_xor([True, False], True).numpy().tolist()\n"
                     "[False, True]\n")
logical_not = unary(LOGICAL_NOT, kinds=BOOL, doc="not x, elementwise on bools.\n\n"
                    ">>> import tapegrad as tf\n>>> tf.logical_not([True]).numpy().tolist()\n"
                    "[False]\n")


def _equality(compare: Callable[..., Tensor], prim: Primitive, apart: bool
              ) -> Callable[[Tensor, Any], Any]:
    """``==`` or ``!=`` on tensors as TensorFlow has them: elementwise, except against None or a
    tensor of incompatible shape, which give ``apart`` (a Python bool, or a scalar bool tensor)."""
    def operator_(x: Tensor, y: Any) -> Any:
        if y is None:
            return apart
        x, y = operands(prim, x, y)
        try:
            np.broadcast_shapes(np.shape(x._value), np.shape(y._value))
        except ValueError:
            return wrap(np.bool_(apart))
        return compare(x, y)
    return operator_


# ----- where, clip, cast -----

WHERE_INDICES = Primitive("Where", lambda c: np.argwhere(c).astype(np.int64))


SELECT = Primitive("SelectV2", np.where, None, lambda xp, g, ans, c, x, y: xp.where(c, g, 0),
                   lambda xp, g, ans, c, x, y: xp.where(c, 0, g))


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """x where condition holds, else y (broadcasting); with only a condition, its true indices.

    >>> import tapegrad as tf
    >>> tf.where([True, False], 1.0, 2.0).numpy().tolist()
    [1.0, 2.0]
    >>> tf.where([True, False, True]).numpy().tolist()
    [[0], [2]]
    """
    if x is None and y is None:
        return tape.apply(WHERE_INDICES, (convert_to_tensor(condition),))
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    cond = condition if isinstance(condition, Tensor) else convert_to_tensor(condition)
    if cond._value.dtype.kind != "b":
        raise invalid_argument(f"cannot compute SelectV2 as input #0(zero-based) was expected to "
                               f"be a bool tensor but is a {_op_dtype(cond)} tensor "
                               "[Op:SelectV2] name: ")
    x, y = operands(SELECT, x, y)
    try:
        return tape.apply(SELECT, (cond, x, y))
    except ValueError:
        raise invalid_argument(f"condition, then and else shapes are incompatible: "
                               f"{list(np.shape(cond._value))}, {list(np.shape(x._value))} and "
                               f"{list(np.shape(y._value))} [Op:SelectV2] name: ") from None


def _clip_rule_x(xp: Any, g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    return xp.where((x < lo) | (x > hi), 0, g)


CLIP = Primitive("ClipByValue", lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
                 _clip_rule_x,
                 lambda xp, g, ans, x, lo, hi: xp.where(x < lo, g, 0),
                 lambda xp, g, ans, x, lo, hi: xp.where(x > hi, g, 0))


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: str | None = None) -> Tensor:
    """t limited to [clip_value_min, clip_value_max]; the gradient passes where t is inside.

    >>> import tapegrad as tf
    >>> tf.clip_by_value([-1.0, 0.5, 2.0], 0.0, 1.0).numpy().tolist()
    [0.0, 0.5, 1.0]
    """
    t = t if isinstance(t, Tensor) else convert_to_tensor(t)
    t, lo = operands(CLIP, t, clip_value_min)
    t, hi = operands(CLIP, t, clip_value_max)
    check_kind(CLIP, t, "fiu")
    try:
        np.broadcast_shapes(*(np.shape(v._value) for v in (t, lo, hi)))
    except ValueError:
        raise invalid_argument(f"Incompatible shapes: {list(np.shape(t._value))}, "
                               f"{list(np.shape(lo._value))} and {list(np.shape(hi._value))} "
                               "[Op:ClipByValue] name: ") from None
    return tape.apply(CLIP, (t, lo, hi))


CAST = Primitive("Cast", lambda x, dtype, source: np.asarray(x).astype(dtype)[()],
                 lambda xp, g, ans, x, dtype, source: xp.cast(g, source))


def cast(x: Any, dtype: DType | str, name: str | None = None) -> Tensor:
    """x converted to ``dtype``; floats to integers truncate toward zero.

    The gradient flows between float dtypes and stops at integers.

    >>> import tapegrad as tf
    >>> tf.cast([1.7, -1.7], tf.int32).numpy().tolist()
    [1, -1]
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    target = as_dtype(dtype)._np
    if x._value.dtype == target:
        return x if type(x) is Tensor else identity(x)
    return tape.apply(CAST, (x,), (target, x._value.dtype))


IDENTITY = Primitive("Identity", lambda x: x, lambda xp, g, ans, x: g)
STOP_GRADIENT = Primitive("StopGradient", lambda x: x)  # no rule: never recorded


def identity(input: Any, name: str | None = None) -> Tensor:
    """The same values as a new tensor; reading a variable this way records the read.

    >>> import tapegrad as tf
    >>> tf.identity(tf.Variable(2.0))
    <tapegrad.Tensor: shape=(), dtype=float32, numpy=2.0>
    """
    return tape.apply(IDENTITY, (input if isinstance(input, Tensor)
                                 else convert_to_tensor(input),))


def stop_gradient(input: Any, name: str | None = None) -> Tensor:
    """The same values, seen as a constant by every tape: no gradient flows through.

    >>> import tapegrad as tf
    >>> x = tf.constant(2.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * tf.stop_gradient(x)
    >>> float(tape.gradient(y, x))
    2.0
    """
    return tape.apply(STOP_GRADIENT, (input if isinstance(input, Tensor)
                                      else convert_to_tensor(input),))


# ----- Python operators on tensors and variables -----

def _reflected(op: Callable[..., Tensor]) -> Callable[[Tensor, Any], Tensor]:
    """``x <op> tensor`` for a non-tensor x: x takes the tensor's dtype strictly, as in TF."""
    def rop(y: Tensor, x: Any) -> Tensor:
        return op(_coerce(x, y, False), y)
    return rop


_OPERATORS: dict[str, Callable[..., Any]] = {
    "__add__": add, "__sub__": subtract, "__mul__": multiply, "__truediv__": truediv,
    "__floordiv__": floordiv, "__mod__": floormod, "__pow__": pow,
    "__radd__": _reflected(add), "__rsub__": _reflected(subtract),
    "__rmul__": _reflected(multiply), "__rtruediv__": _reflected(truediv),
    "__rfloordiv__": _reflected(floordiv), "__rmod__": _reflected(floormod),
    "__rpow__": _reflected(pow),
    "__neg__": negative, "__abs__": abs,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": _equality(equal, EQUAL, False), "__ne__": _equality(not_equal, NOT_EQUAL, True),
    "__and__": logical_and, "__or__": logical_or, "__xor__": logical_xor,
    "__invert__": logical_not,
    "__rand__": _reflected(logical_and), "__ror__": _reflected(logical_or),
    "__rxor__": _reflected(logical_xor),
}
for _name, _op in _OPERATORS.items():
    setattr(Tensor, _name, _op)
