"""Numerics: tapegrad.debugging's checks, and the stable forms at extreme inputs.

The messages are TensorFlow 2.21's, observed by running ``tf.debugging.check_numerics`` and
``tf.debugging.enable_check_numerics`` (with ``tapegrad`` where TensorFlow prints ``tf``). The
stable forms are compared with exact values computed in 60-digit decimal arithmetic.
"""

from __future__ import annotations

import math
import threading
import warnings
from decimal import Decimal, getcontext
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.errors import InvalidArgumentError

getcontext().prec = 60


@pytest.fixture
def checking() -> Iterator[None]:
    """enable_check_numerics for one test, always disabled afterwards."""
    tf.debugging.enable_check_numerics()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own notes on log(0)
            yield
    finally:
        tf.debugging.disable_check_numerics()


@pytest.fixture(params=["numpy backward", "checked"])
def extreme_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each stable-form test twice: plain (first-order gradients on NumPy values) and under
    enable_check_numerics (gradients through ops, every intermediate checked for NaN and Inf)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow inside the stable forms
        if request.param == "numpy backward":
            yield
            return
        tf.debugging.enable_check_numerics()
        try:
            yield
        finally:
            tf.debugging.disable_check_numerics()


def _raises(fn: Callable[[], Any]) -> str:
    with pytest.raises(InvalidArgumentError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fn()
    return str(info.value)


# ----- check_numerics -----

@pytest.mark.parametrize("values, words", [
    ([1.0, np.nan], "NaN"), ([np.inf, 1.0], "Inf"), ([-np.inf, 0.0], "Inf"),
    ([np.nan, -np.inf], "Inf and NaN")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_numerics_message_is_tensorflows(values: list[float], words: str,
                                               dtype: type) -> None:
    message = _raises(lambda: tf.debugging.check_numerics(tf.constant(np.array(values, dtype)),
                                                          "layer 3"))
    assert message == f"layer 3 : Tensor had {words} values [Op:CheckNumerics] name: "


def test_check_numerics_passes_finite_tensors_through() -> None:
    x = tf.constant(np.array([[1.5, -2.0]], np.float32))
    y = tf.debugging.check_numerics(x, "fine")
    assert y.dtype == tf.float32 and y.shape == (1, 2)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert tf.debugging.check_numerics(tf.zeros((0, 3)), "empty").shape == (0, 3)
    assert tf.debugging.assert_all_finite([1.0, 2.0], "list").numpy().tolist() == [1.0, 2.0]


def test_check_numerics_refuses_what_tensorflow_refuses() -> None:
    message = _raises(lambda: tf.debugging.check_numerics(tf.constant([1, 2]), "m"))
    assert message.startswith("Value for attr 'T' of int32 is not in the list of allowed values: "
                              "bfloat16, half, float, double")
    with pytest.raises(TypeError, match="Expected string for argument 'message' not 5."):
        tf.debugging.check_numerics(tf.constant([1.0]), 5)


def test_check_numerics_gradient_passes_and_is_checked() -> None:
    x = tf.constant([1.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.debugging.check_numerics(x, "id") * 2.0
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 2.0]

    x = tf.constant([0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sqrt(tf.debugging.check_numerics(x, "before sqrt"))
    message = _raises(lambda: tape.gradient(y, x))  # d sqrt(x)/dx = inf at 0 flows into it
    assert message == ("Not a number (NaN) or infinity (Inf) values detected in gradient. "
                       "before sqrt : Tensor had Inf values [Op:CheckNumerics] name: ")


def test_check_numerics_second_order_checks_the_gradient_op() -> None:
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.debugging.check_numerics(x * x * x, "cube")
        dy = inner.gradient(y, x)
    assert float(dy) == 12.0
    assert float(outer.gradient(dy, x)) == 12.0


# ----- enable_check_numerics -----

LOG_REPORT = """

!!! Detected Infinity or NaN in output 0 of eagerly-executing op "Log" (# of outputs: 1) !!!
  dtype: <dtype: 'float32'>
  shape: (2,)
  # of -Inf elements: 1
  # of +NaN elements: 1

  Input tensor: tapegrad.Tensor([ 0. -1.], shape=(2,), dtype=float32)

 : Tensor had -Inf and NaN values [Op:CheckNumericsV2] name: """


def test_enable_check_numerics_report_is_tensorflows(checking: None) -> None:
    assert _raises(lambda: tf.math.log(tf.constant([0.0, -1.0]))) == LOG_REPORT
    message = _raises(lambda: tf.constant([1.0, 2.0], tf.float64) / tf.constant(0.0, tf.float64))
    assert message.splitlines()[2:] == [
        '!!! Detected Infinity or NaN in output 0 of eagerly-executing op "RealDiv" '
        "(# of outputs: 1) !!!",
        "  dtype: <dtype: 'float64'>", "  shape: (2,)", "  # of +Inf elements: 2", "",
        "  Input tensors (2):",
        "         0: tapegrad.Tensor([1. 2.], shape=(2,), dtype=float64)",
        "         1: tapegrad.Tensor(0.0, shape=(), dtype=float64)", "",
        " : Tensor had +Inf values [Op:CheckNumericsV2] name: "]


def test_the_first_op_making_a_nan_is_named(checking: None) -> None:
    x = tf.constant([1.0, -1.0])

    def model() -> Any:
        h = x * 2.0 + 1.0        # finite
        h = tf.sqrt(h)           # NaN at -1: the culprit
        return tf.reduce_sum(tf.exp(h) * 3.0)  # would carry the NaN on
    message = _raises(model)
    assert '"Sqrt"' in message and "# of +NaN elements: 1" in message
    assert ": Tensor had NaN values" in message


def test_nan_fed_in_is_reported_by_the_first_op_that_outputs_it(checking: None) -> None:
    message = _raises(lambda: tf.constant([np.nan]) + 1.0)  # TF: AddV2, not the constant
    assert '"AddV2"' in message


def test_value_moving_ops_are_not_checked_as_in_tensorflow(checking: None) -> None:
    bad = tf.constant([[np.nan, 1.0]])
    # TensorFlow's callback skips these: they only move values some op already checked.
    for fn in [lambda: tf.reshape(bad, (2,)), lambda: tf.transpose(bad), lambda: bad[0],
               lambda: tf.identity(bad), lambda: tf.concat([bad, bad], 0),
               lambda: tf.maximum(bad, 0.0), lambda: tf.expand_dims(bad, 0)]:
        fn()
    # ... and check these (Cast, Pack, Max, SelectV2, GatherV2 are checked by TF too).
    for fn, op in [(lambda: tf.cast(bad, tf.float64), "Cast"), (lambda: tf.stack([bad]), "Pack"),
                   (lambda: tf.reduce_max(bad), "Max"), (lambda: tf.gather(bad, [0]), "GatherV2"),
                   (lambda: tf.where(tf.constant([[True, True]]), bad, 0.0), "SelectV2")]:
        assert f'op "{op}"' in _raises(fn)


def test_integer_and_bool_outputs_are_not_checked(checking: None) -> None:
    assert tf.math.is_nan(tf.constant([np.nan])).numpy().tolist() == [True]
    assert tf.cast(tf.constant([2.5]), tf.int32).numpy().tolist() == [2]


def test_gradient_ops_are_checked(checking: None) -> None:
    x = tf.Variable([4.0, 0.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sqrt(x))  # finite forward; the gradient at 0 is +inf
    message = _raises(lambda: tape.gradient(y, x))
    assert "eagerly-executing op" in message and "# of +Inf elements: 1" in message
    assert message.endswith(" : Tensor had +Inf values [Op:CheckNumericsV2] name: ")


def test_gradients_are_unchanged_while_checking(checking: None) -> None:
    x = tf.Variable([0.5, 1.5, -2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sin(x) * tf.exp(x) / (1.0 + x * x))
    checked = tape.gradient(y, x).numpy()
    tf.debugging.disable_check_numerics()
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sin(x) * tf.exp(x) / (1.0 + x * x))
    np.testing.assert_array_equal(checked, tape.gradient(y, x).numpy())


def test_disable_and_idempotence() -> None:
    tf.debugging.enable_check_numerics()
    tf.debugging.enable_check_numerics()  # twice is once
    tf.debugging.disable_check_numerics()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert float(tf.math.log(0.0)) == -np.inf
    tf.debugging.disable_check_numerics()  # harmless when off


def test_checking_is_per_thread(checking: None) -> None:
    seen: list[Any] = []

    def other() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            seen.append(float(tf.math.log(0.0)))  # this thread did not enable checking
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [-np.inf]
    assert '"Log"' in _raises(lambda: tf.math.log(0.0))


# ----- assert_equal and friends -----

def test_assert_equal_message_is_tensorflows() -> None:
    assert tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2]) is None
    assert _raises(lambda: tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]),
                                                     message="hello")) == (
        "hello\nCondition x == y did not hold.\nIndices of first 1 different values:\n[[1]]\n"
        "Corresponding x values:\n[2]\nCorresponding y values:\n[3]\nFirst 2 elements of x:\n"
        "[1 2]\nFirst 2 elements of y:\n[1 3]")
    assert _raises(lambda: tf.debugging.assert_equal(tf.range(30), tf.range(30) * 2)) == (
        "Condition x == y did not hold.\nIndices of first 3 different values:\n[[1]\n [2]\n [3]]"
        "\nCorresponding x values:\n[1 2 3]\nCorresponding y values:\n[2 4 6]\n"
        "First 3 elements of x:\n[0 1 2]\nFirst 3 elements of y:\n[0 2 4]")
    assert _raises(lambda: tf.debugging.assert_less(tf.constant([1, 2]), [1, 3])).startswith(
        "Condition x < y did not hold.\nIndices of first 1 different values:\n[[0]]")


def test_assert_equal_shape_and_dtype_errors_are_tensorflows() -> None:
    assert _raises(lambda: tf.debugging.assert_equal(tf.zeros((2, 3)), tf.zeros((3, 2)))) == \
        "Incompatible shapes: [2, 3] vs. [3, 2] [Op:Equal] name: "
    assert "expected to be a float tensor but is a int32 tensor [Op:Equal]" in _raises(
        lambda: tf.debugging.assert_equal(tf.constant([1.0]), tf.constant([1])))
    tf.debugging.assert_equal(tf.zeros((2, 3)), tf.zeros((1, 3)))  # broadcasting holds
    tf.debugging.assert_greater(tf.constant([2.0, 3.0]), 1.0)
    tf.debugging.assert_greater_equal(tf.constant([1.0, 3.0]), 1.0)
    tf.debugging.assert_less_equal(tf.constant([1.0, 3.0]), 3.0)
    assert "Condition x > y did not hold." in _raises(
        lambda: tf.debugging.assert_greater(tf.constant([1.0, 3.0]), 1.0))


# ----- stable forms at extreme inputs, against exact values -----

EXTREMES = [-1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0]


def _softplus(x: Decimal) -> Decimal:
    return (1 + x.exp()).ln()


def _sigmoid(x: Decimal) -> Decimal:
    return 1 / (1 + (-x).exp())


def _exact(fn: Callable[..., Decimal], *columns: list[float]) -> np.ndarray:
    return np.array([float(fn(*map(Decimal, row))) for row in zip(*columns)])


def _close(got: Any, want: np.ndarray, dtype: type, exponent: Any = 0.0) -> None:
    """Relative accuracy of a few ulps, down to the smallest normal number.

    A value computed as exp(a) inherits the rounding of its argument a: ``exponent`` (|a|) widens
    the tolerance by that much, the best any float implementation can do.
    """
    got = np.asarray(got.numpy(), np.float64)
    assert np.isfinite(got).all(), got
    finfo = np.finfo(dtype)
    allowed = 8 * finfo.eps * (1 + np.abs(exponent)) * np.abs(want) + float(finfo.tiny)
    excess = np.abs(got - want) - allowed
    assert (excess <= 0).all(), (
        f"worst entry {np.unravel_index(np.argmax(excess), np.shape(want))}: got "
        f"{got.flat[np.argmax(excess)]!r}, exact {np.asarray(want).flat[np.argmax(excess)]!r}")


def _value_and_gradient(fn: Callable[[Any], Any], x: np.ndarray) -> tuple[Any, Any]:
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = fn(xt)
    return y, tape.gradient(y, xt)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_and_log_sigmoid_at_extremes(dtype: type, extreme_mode: None) -> None:
    x = np.array(EXTREMES, dtype)
    y, g = _value_and_gradient(tf.math.softplus, x)
    _close(y, _exact(_softplus, EXTREMES), dtype)
    _close(g, _exact(_sigmoid, EXTREMES), dtype)
    y, g = _value_and_gradient(tf.math.log_sigmoid, x)
    _close(y, _exact(lambda v: -_softplus(-v), EXTREMES), dtype)
    _close(g, _exact(lambda v: _sigmoid(-v), EXTREMES), dtype)
    y, g = _value_and_gradient(tf.sigmoid, x)
    _close(y, _exact(_sigmoid, EXTREMES), dtype)
    # sigmoid's gradient is ans * (1 - ans), in TensorFlow too: where sigmoid rounds to 1 it is
    # 0, an absolute error below one ulp of 1, and never a NaN.
    np.testing.assert_allclose(g.numpy(), _exact(lambda v: _sigmoid(v) * _sigmoid(-v), EXTREMES),
                               rtol=8 * np.finfo(dtype).eps, atol=np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label", [0.0, 0.3, 1.0])
def test_sigmoid_cross_entropy_at_extremes(dtype: type, label: float, extreme_mode: None) -> None:
    z = np.full(len(EXTREMES), label, dtype)
    x = np.array(EXTREMES, dtype)
    y, g = _value_and_gradient(
        lambda t: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(z), logits=t), x)
    exact_z = Decimal(float(z[0]))  # the label as stored (0.3 is not exact in float32)
    _close(y, _exact(lambda v: exact_z * _softplus(-v) + (1 - exact_z) * _softplus(v),
                     EXTREMES), dtype)
    want = _exact(lambda v: _sigmoid(v) - exact_z, EXTREMES)
    # sigmoid(x) - z cancels for x > 0, z = 1: an absolute error of an ulp of 1 is the best
    # a float can do there (TensorFlow gives 0 too).
    np.testing.assert_allclose(g.numpy(), want, rtol=8 * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [100.0, 1000.0])
def test_softmax_family_at_extremes(dtype: type, scale: float, extreme_mode: None) -> None:
    row = [scale, -scale, 0.0, scale - 1.0]
    x = np.array([row, row[::-1]], dtype)
    exact_x = [[Decimal(float(v)) for v in r] for r in x]
    exact_lse = [max(r) + sum((v - max(r)).exp() for v in r).ln() for r in exact_x]
    lse = np.array([float(v) for v in exact_lse])
    log_softmax = np.array([[float(v - exact_lse[i]) for v in r] for i, r in enumerate(exact_x)])
    softmax = np.array([[float((v - exact_lse[i]).exp()) for v in r]
                        for i, r in enumerate(exact_x)])

    y, g = _value_and_gradient(lambda t: tf.reduce_logsumexp(t, axis=1), x)
    _close(y, lse, dtype)
    _close(g, softmax, dtype, log_softmax)

    y, g = _value_and_gradient(tf.nn.log_softmax, x)
    _close(y, log_softmax, dtype)
    _close(g, 1 - 4 * softmax, dtype, log_softmax)  # d(sum of log_softmax)/dx = 1 - n·softmax

    labels = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]], dtype)
    y, g = _value_and_gradient(
        lambda t: tf.nn.softmax_cross_entropy_with_logits(tf.constant(labels), t), x)
    _close(y, -(labels * log_softmax).sum(axis=1), dtype)
    _close(g, softmax - labels, dtype, log_softmax)

    for classes in ([1, 3], [0, 0]):
        y, g = _value_and_gradient(
            lambda t, c=classes: tf.nn.sparse_softmax_cross_entropy_with_logits(c, t), x)
        _close(y, -log_softmax[[0, 1], classes], dtype)
        _close(g, softmax - np.eye(4)[classes], dtype, log_softmax)


def _ulps(got: Any, want: float) -> float:
    """|got - want| in units of float32's spacing at want."""
    return float(abs(np.float64(got) - want) / np.spacing(np.float32(want)))


def test_log_softmax_and_cross_entropies_keep_float32_accuracy_at_large_logits() -> None:
    # x - logsumexp(x) loses |x|·eps to the rounding of logsumexp: 3e-5 (250 ulps) at 1000.
    x = tf.constant([[1000.0, 999.0]])
    want = -math.log1p(math.exp(-1.0))  # log_softmax(x)[0] = -log(1 + e^-1)
    assert _ulps(tf.nn.log_softmax(x).numpy()[0, 0], want) <= 2
    loss = tf.nn.softmax_cross_entropy_with_logits(tf.constant([[1.0, 0.0]]), x)
    assert _ulps(loss.numpy()[0], -want) <= 2
    assert _ulps(tf.nn.sparse_softmax_cross_entropy_with_logits([0], x).numpy()[0], -want) <= 2


def test_logsumexp_gradient_keeps_float32_accuracy_at_large_logits() -> None:
    # exp(x - logsumexp(x)) inherits the rounding of logsumexp (3e-5 at 1000 in float32).
    x = tf.constant([1000.0, 999.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_logsumexp(x)
    g = tape.gradient(y, x).numpy()
    sigmoid_1 = 1 / (1 + math.exp(-1.0))
    assert _ulps(g[0], sigmoid_1) <= 2 and _ulps(g[1], 1 - sigmoid_1) <= 2


TINY = [1e-30, -1e-20, 1e-15, -1e-10, 1e-8, 3e-5, -3e-5]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log1p_and_expm1_near_zero(dtype: type, extreme_mode: None) -> None:
    x = np.array(TINY, dtype)
    stored = [float(v) for v in x]  # what the dtype holds, exactly
    y, g = _value_and_gradient(tf.math.log1p, x)
    _close(y, _exact(lambda v: (1 + v).ln(), stored), dtype)
    _close(g, _exact(lambda v: 1 / (1 + v), stored), dtype)
    y, g = _value_and_gradient(tf.math.expm1, x)
    _close(y, _exact(lambda v: v.exp() - 1, stored), dtype)
    _close(g, _exact(lambda v: v.exp(), stored), dtype)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_logsumexp_of_infinities_is_tensorflows() -> None:
    assert float(tf.reduce_logsumexp(tf.constant([-np.inf, -np.inf]))) == -np.inf
    assert float(tf.reduce_logsumexp(tf.constant([np.inf, 1.0]))) == np.inf
    assert float(tf.reduce_logsumexp(tf.zeros((0,)))) == -np.inf
