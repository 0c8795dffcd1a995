"""tapegrad.test.check_gradients: silent on right gradients, precise about wrong ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.test import GradientCheckError, check_gradients, numerical_gradient


def _message(fn: Any, args: list[Any], **kwargs: Any) -> str:
    with pytest.raises(GradientCheckError) as info:
        check_gradients(fn, args, **kwargs)
    assert isinstance(info.value, AssertionError)  # pytest shows it as a failed assertion
    return str(info.value)


# ----- right gradients pass -----

@pytest.mark.parametrize("fn, args", [
    (lambda x: tf.sin(x) * x, [[0.5, 1.0, 2.0]]),
    (lambda x: tf.exp(-x * x), [1.5]),
    (lambda a, b: tf.matmul(a, b), [np.arange(6.0).reshape(2, 3) / 5, np.ones((3, 2)) / 3]),
    (lambda x, b: tf.nn.softmax(x + b), [[[0.1, 0.5, -1.0], [2.0, 0.0, 1.0]], [0.3, -0.2, 0.1]]),
    (lambda x: [tf.reduce_sum(x * x), tf.tanh(x), tf.argmax(x)], [[0.3, -0.7]]),
    (lambda x: tf.reduce_logsumexp(x, axis=0), [[[1.0, 2.0], [3.0, -4.0]]]),
])
@pytest.mark.parametrize("order", [1, 2])
def test_right_gradients_pass(fn: Any, args: list[Any], order: int) -> None:
    check_gradients(fn, args, order=order)


def test_numerical_gradient_is_central_differences() -> None:
    (g,) = numerical_gradient(lambda x: tf.reduce_sum(x ** 3), [np.array([1.0, -2.0])], 1e-4)
    np.testing.assert_allclose(g, [3.0, 12.0], rtol=1e-7)  # error eps² = 1e-8


# ----- wrong gradients fail, naming the derivative -----

@tf.custom_gradient
def _square_wrong(x: Any) -> Any:
    return x * x, lambda dy: dy * 3 * x  # should be 2 * x


def test_wrong_custom_gradient_names_the_exact_derivative() -> None:
    assert _message(_square_wrong, [[1.0, 2.0]]) == (
        "first derivative d out[1] / d args[0][1]: tape gives 6, finite differences give 4 "
        "(difference 2, allowed 4.1e-05)")


def test_wrong_entry_in_a_matrix_argument_and_a_second_output() -> None:
    @tf.custom_gradient
    def scaled(x: Any) -> Any:
        def grad(dy: Any) -> Any:  # right except for entry [1, 2], which gets 10x
            return dy * tf.constant([[1.0, 1.0, 1.0], [1.0, 1.0, 10.0]], tf.float64)
        return tf.identity(x), grad

    message = _message(lambda x: [tf.reduce_sum(x), scaled(x) * 2.0],
                       [np.arange(6.0).reshape(2, 3)])
    assert message.startswith("first derivative d out[1][1][2] / d args[0][1][2]: tape gives 20, "
                              "finite differences give 2 ")


def test_wrong_gradient_of_the_second_argument_only() -> None:
    @tf.custom_gradient
    def product(a: Any, b: Any) -> Any:
        return a * b, lambda dy: [dy * b, dy * a * 0.5]  # d/db should be a

    message = _message(product, [[2.0], [3.0]])
    assert message.startswith("first derivative d out[0] / d args[1][0]: tape gives 1, "
                              "finite differences give 2 ")


def test_a_missing_gradient_fails() -> None:
    @tf.custom_gradient
    def forgets(x: Any, y: Any) -> Any:
        return x + y * y, lambda dy: [dy, None]  # y's gradient left out

    message = _message(forgets, [1.0, 3.0])
    assert message.startswith("first derivative d out / d args[1]: tape gives 0, finite "
                              "differences give 6.0")


def test_a_nan_gradient_fails() -> None:
    @tf.custom_gradient
    def poisoned(x: Any) -> Any:
        return x * 1.0, lambda dy: dy * tf.constant([1.0, np.nan], tf.float64)

    message = _message(poisoned, [[1.0, 2.0]])  # the NaN reaches d out[0] too: 0 · nan
    assert message.startswith("first derivative d out[0] / d args[0][1]: tape gives nan, finite "
                              "differences give 0 ")


def test_a_gradient_that_is_not_differentiable_fails_at_order_2_only() -> None:
    @tf.custom_gradient
    def cube(x: Any) -> Any:  # the first derivative is right but hides x from the next order
        return x * x * x, lambda dy: dy * 3 * tf.stop_gradient(x * x)

    check_gradients(cube, [[1.0, -2.0]], order=1)
    message = _message(cube, [[1.0, -2.0]], order=2)
    assert message.startswith("second derivative d²(u·out) / d args[0][") and \
        " d args[0][" in message and "tape gives 0, finite differences give " in message
    assert "(u: the fixed random weights summing the outputs)" in message


def test_small_errors_everywhere_report_the_weighted_sum() -> None:
    # x spread over 100 outputs. Each derivative d out[i] / dx is off by 9e-6, inside its
    # tolerance (1e-6 + 1e-5·1); their sum weighted by the check's weights u (seed 0, the same
    # signs as the errors) is off by 9e-4, and the message says it is that sum.
    rng = np.random.default_rng(0)
    signs = np.sign(rng.uniform(0.5, 1.5, 100) * rng.choice([-1.0, 1.0], 100))

    @tf.custom_gradient
    def spread(x: Any) -> Any:
        return x * tf.ones(100, tf.float64), \
            lambda dy: tf.reduce_sum(dy * tf.constant(1 + 9e-6 * signs))

    message = _message(spread, [0.5])
    assert message.startswith("first derivative d u·out / d args[0] (u: the fixed random "
                              "weights summing the outputs): tape gives 5.65")


def test_tolerances_are_honoured() -> None:
    @tf.custom_gradient
    def off(x: Any) -> Any:
        return x * 1.0, lambda dy: dy * 1.001  # 0.1% too big
    check_gradients(off, [[1.0, 2.0]], rtol=2e-3)
    assert "allowed 1.1e-05" in _message(off, [[1.0, 2.0]])


def test_order_must_be_1_or_2() -> None:
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3"):
        check_gradients(tf.sin, [1.0], order=3)


def test_the_op_tests_catch_a_broken_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the op table relies on: break one real gradient rule and the check fails there.
    from tapegrad.ops import math as math_ops
    monkeypatch.setattr(math_ops.SIN, "vjps", (lambda xp, g, ans, x: g * xp.sin(x),))
    message = _message(tf.sin, [[0.5, 1.0]])
    assert message.startswith("first derivative d out[")
