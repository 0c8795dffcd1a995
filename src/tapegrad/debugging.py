"""Numerics debugging (``tapegrad.debugging``): find the op that first makes a NaN or an Inf.

``check_numerics`` checks one tensor (and the gradient that flows back through it);
``enable_check_numerics`` checks the float output of every op run on this thread from then on,
gradient computations included, and names the first op whose output holds a NaN or an Inf.
Both raise ``tapegrad.errors.InvalidArgumentError`` with TensorFlow's messages. The
``assert_*`` helpers compare two tensors elementwise, as ``tf.debugging``'s do in eager mode.

>>> import tapegrad as tf
>>> tf.debugging.enable_check_numerics()
>>> try:
...     tf.math.log(tf.constant([1.0, 0.0]))
... except tf.errors.InvalidArgumentError as e:
...     print(str(e).splitlines()[2])
!!! Detected Infinity or NaN in output 0 of eagerly-executing op "Log" (# of outputs: 1) !!!
>>> tf.debugging.disable_check_numerics()
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import tape
from .errors import invalid_argument
from .ops.math import EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, operands
from .tape import Primitive
from .tensor import Tensor, as_int, convert_to_tensor

__all__ = ["check_numerics", "enable_check_numerics", "disable_check_numerics",
           "assert_all_finite", "assert_equal", "assert_less", "assert_less_equal",
           "assert_greater", "assert_greater_equal"]


# ----- one tensor -----

def _bad_values(value: Any, signed_inf: bool) -> str:
    """TensorFlow's words for what is wrong: 'NaN', 'Inf and NaN', '-Inf, +Inf, and NaN', ..."""
    isinf = np.isinf(value)
    if signed_inf:
        kinds = [name for name, hit in (("-Inf", np.any(isinf & (value < 0))),
                                        ("+Inf", np.any(isinf & (value > 0))),
                                        ("NaN", np.any(np.isnan(value)))) if hit]
    else:
        kinds = [name for name, hit in (("Inf", np.any(isinf)),
                                        ("NaN", np.any(np.isnan(value)))) if hit]
    if len(kinds) == 3:
        return f"{kinds[0]}, {kinds[1]}, and {kinds[2]}"
    return " and ".join(kinds)


def _check_kernel(x: Any, message: str) -> Any:
    if not np.isfinite(x).all():
        raise invalid_argument(f"{message} : Tensor had {_bad_values(x, False)} values "
                               "[Op:CheckNumerics] name: ")
    return x


def _check_gradient(xp: Any, g: Any, ans: Any, x: Any, message: str) -> Any:
    """The gradient passes through, checked too (TensorFlow's CheckNumerics gradient)."""
    grad_message = ("Not a number (NaN) or infinity (Inf) values detected in gradient. "
                    f"{message}")
    if isinstance(g, Tensor):  # under an outer tape: an op, so higher orders are checked too
        return check_numerics(g, grad_message)
    return _check_kernel(g, grad_message)


CHECK_NUMERICS = Primitive("CheckNumerics", _check_kernel, _check_gradient)


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Tensor:
    """``tensor`` unchanged, or InvalidArgumentError if it holds a NaN or an Inf.

    The gradient flowing back through it is checked the same way. Only float tensors are
    accepted, as in TensorFlow.

    >>> import tapegrad as tf
    >>> try:
    ...     tf.debugging.check_numerics(tf.constant([1.0, float("nan")]), "after layer 1")
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(str(e).strip())
    after layer 1 : Tensor had NaN values [Op:CheckNumerics] name:
    """
    if not isinstance(message, str):
        raise TypeError(f"Expected string for argument 'message' not {message!r}.")
    x = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    if x._value.dtype.kind != "f":
        raise invalid_argument(f"Value for attr 'T' of {x.dtype.name} is not in the list of "
                               "allowed values: bfloat16, half, float, double "
                               "[Op:CheckNumerics] name: ")
    return tape.apply(CHECK_NUMERICS, (x,), (message,))


def assert_all_finite(x: Any, message: str, name: str | None = None) -> Tensor:
    """``check_numerics`` under its ``tf.debugging`` alias: ``x``, checked for NaN and Inf.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_all_finite(tf.constant([1.0, 2.0]), "weights").numpy().tolist()
    [1.0, 2.0]
    """
    return check_numerics(x, message, name)


# ----- every op: enable_check_numerics -----

# The ops TensorFlow's check-numerics callback leaves alone: they only move or select values
# that an earlier op already checked (its SAFE_OPS and callback skip list, by TF's op names).
_UNCHECKED = frozenset({"Identity", "Concat", "ConcatV2", "ExpandDims", "Fill", "Gather",
                        "Maximum", "Minimum", "Reshape", "Slice", "Squeeze", "Stack",
                        "StridedSlice", "StridedSliceGrad", "Transpose", "Unpack"})


class _Enabled(threading.local):
    on = False  # enable_check_numerics called on this thread and not disabled


_enabled = _Enabled()
_threads_enabled = 0  # threads with checking on; the listener is installed while this is > 0
_lock = threading.Lock()


def _report(prim: Primitive, value: Any, inputs: tuple[Tensor, ...]) -> str:
    """TensorFlow's check-numerics report for an op's output, ending in CheckNumericsV2's text."""
    lines = ["", "", f'!!! Detected Infinity or NaN in output 0 of eagerly-executing op '
             f'"{prim.name}" (# of outputs: 1) !!!',
             f"  dtype: <dtype: '{value.dtype.name}'>", f"  shape: {tuple(np.shape(value))}"]
    isinf = np.isinf(value)
    for label, count in (("-Inf", np.sum(isinf & (value < 0))),
                         ("+Inf", np.sum(isinf & (value > 0))),
                         ("+NaN", np.sum(np.isnan(value)))):
        if count:
            lines.append(f"  # of {label} elements: {count}")
    lines.append("")
    if len(inputs) == 1:
        lines.append(f"  Input tensor: {inputs[0]!s}")
    elif inputs:
        lines.append(f"  Input tensors ({len(inputs)}):")
        lines += [f"         {i}: {x!s}" for i, x in enumerate(inputs)]
    lines += ["", f" : Tensor had {_bad_values(value, True)} values [Op:CheckNumericsV2] name: "]
    return "\n".join(lines)


def _check_op(prim: Primitive, out: Tensor, inputs: tuple[Tensor, ...],
              params: tuple[Any, ...]) -> None:
    """The op listener: raise if an op's float output holds a NaN or an Inf."""
    if not _enabled.on or prim.name in _UNCHECKED:
        return
    value = out._value  # None for an op without output (tf.print), a tuple for a py_function
    if getattr(value, "dtype", None) is not None and value.dtype.kind == "f" and \
            not np.isfinite(value).all():
        raise invalid_argument(_report(prim, value, inputs))


def enable_check_numerics(stack_height_limit: int = 30, path_length_limit: int = 50) -> None:
    """Check every op's float output on this thread, until ``disable_check_numerics``.

    The first op (forward or gradient) whose output holds a NaN or an Inf raises
    InvalidArgumentError naming the op (TensorFlow's op name), the output's dtype and shape, how
    many entries are -Inf, +Inf and NaN, and the op's inputs. Ops that only move values
    (Reshape, Transpose, StridedSlice, Identity, ConcatV2, Maximum, Minimum) are not checked,
    as in TensorFlow. Calling it again changes nothing. The arguments exist for TensorFlow's
    signature; they concern graph stack traces, which tapegrad does not have.

    >>> import tapegrad as tf
    >>> tf.debugging.enable_check_numerics()
    >>> x = tf.Variable([4.0, 0.0])
    >>> with tf.GradientTape() as tape:
    ...     y = tf.reduce_sum(tf.sqrt(x))
    >>> try:
    ...     tape.gradient(y, x)
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(str(e).splitlines()[-1].strip())
    : Tensor had +Inf values [Op:CheckNumericsV2] name:
    >>> tf.debugging.disable_check_numerics()
    """
    global _threads_enabled
    with _lock:
        if _enabled.on:
            return
        _enabled.on = True
        _threads_enabled += 1
        if _threads_enabled == 1:
            tape.add_listener(_check_op)


def disable_check_numerics() -> None:
    """Stop the checks ``enable_check_numerics`` started on this thread (harmless if none).

    >>> import tapegrad as tf
    >>> tf.debugging.disable_check_numerics()
    >>> float(tf.math.log(0.0))
    -inf
    """
    global _threads_enabled
    with _lock:
        if not _enabled.on:
            return
        _enabled.on = False
        _threads_enabled -= 1
        if _threads_enabled == 0:
            tape.remove_listener(_check_op)


# ----- elementwise assertions -----

def _binary_assert(symbol: str, prim: Primitive, x: Any, y: Any, summarize: int | None,
                   message: str | None) -> None:
    """Raise InvalidArgumentError unless ``x symbol y`` holds everywhere (TF's eager message)."""
    x, y = operands(prim, x, y)
    if summarize is not None:
        summarize = as_int(summarize, "summarize")
    try:
        holds = np.asarray(prim.kernel(x._value, y._value))
    except ValueError:
        raise invalid_argument(f"Incompatible shapes: {list(np.shape(x._value))} vs. "
                               f"{list(np.shape(y._value))} [Op:{prim.name}] name: ") from None
    if holds.all():
        return
    count = 3 if summarize is None else summarize if summarize >= 0 else holds.size
    lines = [] if message is None else [str(message)]
    lines.append(f"Condition x {symbol} y did not hold.")
    if count > 0:
        xv, yv = np.asarray(x._value), np.asarray(y._value)
        if xv.shape == yv.shape and xv.ndim:
            failed = ~holds
            shown = min(count, int(failed.sum()))
            lines += [f"Indices of first {shown} different values:",
                      str(np.argwhere(failed)[:shown]),
                      "Corresponding x values:", str(xv[failed][:shown]),
                      "Corresponding y values:", str(yv[failed][:shown])]
        lines += [f"First {min(count, xv.size)} elements of x:", str(xv.reshape(-1)[:count]),
                  f"First {min(count, yv.size)} elements of y:", str(yv.reshape(-1)[:count])]
    raise invalid_argument("\n".join(lines))


def assert_equal(x: Any, y: Any, message: str | None = None, summarize: int | None = None,
                 name: str | None = None) -> None:
    """Raise InvalidArgumentError unless x == y everywhere (broadcasting; same dtype).

    >>> import tapegrad as tf
    >>> try:
    ...     tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(str(e).splitlines()[0])
    Condition x == y did not hold.
    """
    _binary_assert("==", EQUAL, x, y, summarize, message)


def assert_less(x: Any, y: Any, message: str | None = None, summarize: int | None = None,
                name: str | None = None) -> None:
    """Raise InvalidArgumentError unless x < y everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_less(tf.constant([1, 2]), 3)
    """
    _binary_assert("<", LESS, x, y, summarize, message)


def assert_less_equal(x: Any, y: Any, message: str | None = None,
                      summarize: int | None = None, name: str | None = None) -> None:
    """Raise InvalidArgumentError unless x <= y everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_less_equal(tf.constant([1, 3]), 3)
    """
    _binary_assert("<=", LESS_EQUAL, x, y, summarize, message)


def assert_greater(x: Any, y: Any, message: str | None = None, summarize: int | None = None,
                   name: str | None = None) -> None:
    """Raise InvalidArgumentError unless x > y everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_greater(tf.constant([1.0, 2.0]), 0.5)
    """
    _binary_assert(">", GREATER, x, y, summarize, message)


def assert_greater_equal(x: Any, y: Any, message: str | None = None,
                         summarize: int | None = None, name: str | None = None) -> None:
    """Raise InvalidArgumentError unless x >= y everywhere.

    >>> import tapegrad as tf
    >>> tf.debugging.assert_greater_equal(tf.constant([1.0, 2.0]), 1.0)
    """
    _binary_assert(">=", GREATER_EQUAL, x, y, summarize, message)
