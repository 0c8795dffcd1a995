"""What the TensorFlow differential fuzzer (test_fuzz_tf.py) found, kept as plain tests.

Each expected value here was observed by running TensorFlow 2.21; these tests need only NumPy,
so the behaviour stays pinned where TensorFlow is not installed.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import tapegrad as tf


def _second_derivative(f: Callable[[Any], Any], x: tf.Variable) -> Any:
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(f(x))
        g = inner.gradient(y, x)
    return outer.gradient(g, x)


@pytest.mark.parametrize("f", [tf.nn.relu, tf.nn.relu6, tf.nn.leaky_relu,
                               lambda t: tf.nn.relu(t) * 2.0], ids=["relu", "relu6", "leaky_relu",
                                                                    "relu*2"])
def test_piecewise_linear_activations_have_a_zero_second_derivative(f: Any) -> None:
    # TensorFlow's ReluGrad, Relu6Grad and LeakyReluGrad give the features a zero gradient, so
    # nested tapes return zeros there (TF: [0, 0, 0, 0]), not None.
    x = tf.Variable([-1.5, 0.5, 2.0, 7.0])
    h = _second_derivative(f, x)
    assert h is not None and h.dtype == tf.float32
    np.testing.assert_array_equal(h.numpy(), np.zeros(4))


def test_relu_first_derivative_is_unchanged() -> None:
    x = tf.Variable([-1.5, 0.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.relu(x) * tf.constant([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.0, 3.0])


def test_leaky_relu_alpha_is_a_float32_attribute_as_in_tensorflow() -> None:
    # TF: tf.nn.leaky_relu(tf.constant([-1.0], tf.float64), alpha=0.3) = [-0.30000001192092896]
    x = tf.constant([-1.0], tf.float64)
    assert tf.nn.leaky_relu(x, alpha=0.3).numpy().tolist() == [-0.30000001192092896]
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.leaky_relu(x, alpha=0.3)
    assert tape.gradient(y, x).numpy().tolist() == [0.30000001192092896]


def test_moments_second_derivative_is_tensorflows() -> None:
    # TF's moments takes the variance around stop_gradient(mean): same first derivatives as
    # reduce_variance, different second ones. Observed in TF 2.21 for this program: the
    # Hessian-vector product [[0.7175362, -0.6579268]] * 3 rows.
    x = tf.Variable([[0.3, -1.2], [0.8, 0.4], [-0.5, 1.1]])
    w_mean, w_var = tf.constant([0.5, -1.0]), tf.constant([1.2, -0.7])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            mean, variance = tf.nn.moments(x, axes=[0])
            loss = tf.reduce_sum(mean * w_mean) + tf.reduce_sum(variance * w_var)
        g = inner.gradient(loss, x)
        total = tf.reduce_sum(g * 0.75)
    h = outer.gradient(total, x)
    # d/dx of sum(0.75 * w_var * 2 (x - stop(mean)) / n) = 0.75 * w_var * 2 / n per entry
    np.testing.assert_allclose(h.numpy(), np.tile(0.75 * np.array([1.2, -0.7]) * 2 / 3, (3, 1)),
                               rtol=1e-6)
    np.testing.assert_allclose(mean.numpy(), [0.2, 0.1], rtol=1e-6)
    np.testing.assert_allclose(variance.numpy(), np.var(x.numpy(), axis=0), rtol=1e-6)


def test_a_reshape_to_the_same_shape_is_a_new_tensor_under_a_tape() -> None:
    # TF: gradient(reshape(c), c) is None for an unwatched constant c (and 1 for c itself)
    c = tf.constant([[1.0]])
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reshape(c, (1, 1))
    assert tape.gradient([y], [c]) == [None]
    assert tape.gradient(c, c).numpy().tolist() == [[1.0]]


@pytest.mark.parametrize("f, want", [
    (tf.sqrt, [0.25, 0.0]), (tf.math.rsqrt, [-0.0625, 0.0]), (tf.math.reciprocal, [-0.0625, 0.0]),
    (tf.math.reduce_std, [0.5, -0.5]),
    # ops without TF's rule keep the NaN of 0 · inf, as TensorFlow's do
    (lambda t: 1.0 / t, [-0.0625, np.nan]), (lambda t: t ** 0.5, [0.25, np.nan]),
], ids=["sqrt", "rsqrt", "reciprocal", "reduce_std", "1/x", "x**0.5"])
def test_a_zero_upstream_gradient_at_a_pole_stays_zero_as_in_tensorflow(f: Any,
                                                                      want: list[float]) -> None:
    # TF's SqrtGrad, RsqrtGrad and ReciprocalGrad return 0 where the upstream gradient is 0
    # (mul_no_nan): the unused entry at x = 0 gets 0, not 0 · inf = NaN. Values from TF 2.21.
    x = tf.constant([4.0, 0.0])
    with np.errstate(all="ignore"), tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(f(x) * tf.constant([1.0, 0.0]))
        g = tape.gradient(y, x)
    np.testing.assert_array_equal(g.numpy(), want)


@pytest.mark.parametrize("f", [tf.round, tf.floor, tf.math.ceil,
                               lambda t: tf.math.floordiv(t, 2.0)],
                         ids=["round", "floor", "ceil", "floordiv"])
def test_outputs_of_ops_without_gradient_are_tensors_the_tape_knows(f: Any) -> None:
    # TF records Round, Floor, Ceil and FloorDiv: the gradient with respect to their output is
    # defined (the straight-through estimator uses it), the one through them is None.
    x = tf.Variable([1.3, -2.7])
    with tf.GradientTape(persistent=True) as tape:
        y = f(x)
        z = y * 3.0
    assert tape.gradient(z, y).numpy().tolist() == [3.0, 3.0]
    assert tape.gradient(z, x) is None
    assert tape.gradient(z, x, unconnected_gradients="zero").numpy().tolist() == [0.0, 0.0]
    with tf.GradientTape() as tape:  # stop_gradient's output, though, is not recorded (TF)
        y = tf.stop_gradient(x)
        z = y * 3.0
    assert tape.gradient(z, y) is None


# ----- issue 13's conformance list: each observed in TensorFlow 2.21 -----

@pytest.mark.parametrize("cast", [tf.cast, tf.dtypes.cast] if hasattr(tf, "dtypes") else [tf.cast])
def test_cast_to_none_is_a_type_error(cast: Any) -> None:
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`: None"):
        cast(tf.constant(1.0), None)


@pytest.mark.parametrize("reduce, op", [(tf.reduce_sum, "Sum"), (tf.reduce_mean, "Mean"),
                                        (tf.reduce_max, "Max"), (tf.reduce_min, "Min"),
                                        (tf.reduce_prod, "Prod"),
                                        (tf.reduce_logsumexp, "LogSumExp")])
@pytest.mark.parametrize("axis, duplicate", [([0, 0], 0), ([1, -1], 1), ((-2, 0, 1), 0)])
def test_a_repeated_reduction_axis_is_refused(reduce: Any, op: str, axis: Any,
                                              duplicate: int) -> None:
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f"Axes contains duplicate dimension: {duplicate} "):
        reduce(tf.ones((2, 3)), axis=axis)


def test_a_repeated_axis_of_a_logical_reduction_is_refused() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="duplicate dimension: 1 .Op:All"):
        tf.reduce_all(tf.ones((2, 3)) > 0, axis=[1, -1])


@pytest.mark.parametrize("logits, expected", [([np.inf, -np.inf], [np.nan, 0.0]),
                                              ([np.inf, 1.0], [np.nan, 0.0]),
                                              ([np.inf, np.inf], [np.nan, np.nan]),
                                              ([-np.inf, 1.0], [0.0, 1.0]),
                                              ([-1e30, 1e30], [0.0, 1.0])])
def test_softmax_with_infinite_logits_is_tensorflows(logits: list[float],
                                                     expected: list[float]) -> None:
    with np.errstate(invalid="ignore"):
        got = tf.nn.softmax(tf.constant(logits)).numpy()
    np.testing.assert_array_equal(got, np.array(expected, np.float32))


def test_log_softmax_with_an_infinite_logit_is_all_nan_as_in_tensorflow() -> None:
    with np.errstate(invalid="ignore"):
        got = tf.nn.log_softmax(tf.constant([np.inf, 1.0])).numpy()
    assert np.isnan(got).all()


@pytest.mark.parametrize("divide", [tf.math.divide, tf.math.truediv, tf.divide,
                                    lambda x, y: x / y])
def test_dividing_tensors_of_different_dtypes_is_a_type_error(divide: Any) -> None:
    x, y = tf.constant(1.0, tf.float64), tf.constant(2.0)
    with pytest.raises(TypeError, match=r"^`x` and `y` must have the same dtype, got "
                                        r"tapegrad.float64 != tapegrad.float32.$"):
        divide(x, y)
    with pytest.raises(TypeError, match="got tapegrad.int32 != tapegrad.float32"):
        divide(tf.constant(1), y)


def test_other_ops_on_mixed_dtypes_stay_invalid_argument_errors() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot compute Mul"):
        tf.constant(1.0, tf.float64) * tf.constant(2.0)


def test_a_variable_formats_as_its_repr_and_a_tensor_as_its_value() -> None:
    v = tf.Variable(2.0)
    assert f"{v}" == "<tapegrad.Variable 'Variable:0' shape=() dtype=float32, numpy=2.0>"
    assert format(v, "") == repr(v)
    with pytest.raises(TypeError, match="unsupported format string passed to Variable"):
        f"{v:.2f}"
    assert f"{tf.constant(2.5):.2f}" == "2.50"
    assert f"{tf.constant([1.0, 2.0])}" == "[1. 2.]"
    assert f"{v.numpy():.1f}" == "2.0"
