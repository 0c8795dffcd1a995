"""The facts from the tutorials this project grew from, exactly as TensorFlow prints them."""

import numpy as np
import pytest

import tapegrad as tf


def test_cube_first_and_second_derivative():
    x = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x ** 3
        dy = inner.gradient(y, x)
    assert str(dy) == "tapegrad.Tensor(27.0, shape=(), dtype=float32)"
    assert float(outer.gradient(dy, x)) == 18.0


def test_constant_needs_watch():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x ** 3
    assert tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x ** 3
    assert float(tape.gradient(y, x)) == 27.0


def test_persistent_tape_chain():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * x
        z = 2 * y
    assert [float(tape.gradient(z, y)), float(tape.gradient(y, x)),
            float(tape.gradient(z, x))] == [2.0, 27.0, 54.0]


def test_polynomial_and_square():
    x = tf.Variable(10.0)
    with tf.GradientTape() as tape:
        y = 3 * x ** 3 + x ** 2
    assert str(tape.gradient(y, x)) == "tapegrad.Tensor(920.0, shape=(), dtype=float32)"
    c = tf.constant(3.6)
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = c * c
    assert float(tape.gradient(y, c)) == pytest.approx(7.2)


def test_minimising_a_quadratic_by_gradient_descent():
    x = tf.Variable(50.0)
    seen = []
    for _ in range(50):
        with tf.GradientTape() as tape:
            y = x ** 2 - 20 * x + 100
        x.assign_sub(0.1 * tape.gradient(y, x))
        seen.append(float(x))
    np.testing.assert_allclose(seen[:4], [42.0, 35.6, 30.48, 26.384], rtol=1e-6)
    assert seen[-1] == pytest.approx(10.0, abs=0.01)
