"""tapegrad.minimize: closed forms reached by every method, the result object, the errors."""

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.solvers import MinimizeResult, make_optimizer

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 3))
Y = X @ np.array([1.5, -2.0, 0.25]) + 0.5 + 0.1 * RNG.normal(size=40)
LSTSQ = np.linalg.lstsq(np.c_[X, np.ones(40)], Y, rcond=None)[0]


def least_squares():
    w, b = tf.Variable(np.zeros(3), name="w"), tf.Variable(0.0, dtype=tf.float64, name="b")
    x, y = tf.constant(X), tf.constant(Y)
    return (lambda: tf.reduce_mean((tf.linalg.matvec(x, w) + b - y) ** 2)), w, b


def rosenbrock():
    a = tf.Variable(np.array([-1.2, 1.0]), name="a")
    return (lambda: (1 - a[0]) ** 2 + 100 * (a[1] - a[0] ** 2) ** 2), a


def test_gradient_method_reaches_least_squares():
    fn, w, b = least_squares()
    result = tf.minimize(fn, [w, b], optimizer="adam", learning_rate=0.05, steps=3000)
    assert isinstance(result, MinimizeResult) and result.converged and result.method == "gradient"
    assert result.steps < 3000
    np.testing.assert_allclose(np.r_[w.numpy(), b.numpy()], LSTSQ, atol=1e-4)
    assert result.value == pytest.approx(float(fn()))
    assert result.variables[0] is w and result.variables[1] is b


def test_history_holds_each_step_then_the_end():
    fn, w, b = least_squares()
    seen = []
    result = tf.minimize(fn, [w, b], learning_rate=0.05, steps=25, tol=0,
                         callback=lambda step, loss: seen.append((step, loss)))
    assert not result.converged and result.steps == 25
    assert sorted(result.history) == ["b", "loss", "w"]
    assert result.history["loss"].shape == (26,) and result.history["w"].shape == (26, 3)
    np.testing.assert_array_equal(result.history["w"][0], np.zeros(3))
    np.testing.assert_array_equal(result.history["w"][-1], w.numpy())
    assert result.history["loss"][-1] == result.value
    assert [s for s, _ in seen] == list(range(25))
    assert [v for _, v in seen] == result.history["loss"][:-1].tolist()
    assert np.all(np.diff(result.history["loss"][:10]) < 0)


def test_unnamed_variables_are_numbered_in_history():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    result = tf.minimize(lambda: a * a + b * b, [a, b], steps=3, tol=0)
    assert sorted(result.history) == ["loss", "x0", "x1"]


def test_float32_variables_stay_float32():
    w = tf.Variable([3.0, -1.0])
    result = tf.minimize(lambda: tf.reduce_sum(w * w), w, steps=5, tol=0)
    assert w.dtype == tf.float32 and result.history["x0"].dtype == np.float32


def test_newton_solves_a_quadratic_in_one_step():
    fn, w, b = least_squares()
    result = tf.minimize(fn, [w, b], method="newton")
    assert result.converged and result.steps <= 2
    np.testing.assert_allclose(np.r_[w.numpy(), b.numpy()], LSTSQ, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.history["w"][1], LSTSQ[:3], rtol=1e-10)


def test_newton_hessian_from_nested_tapes_on_rosenbrock():
    fn, a = rosenbrock()
    result = tf.minimize(fn, a, method="newton", steps=100)
    assert result.converged and result.steps < 40
    np.testing.assert_allclose(a.numpy(), [1.0, 1.0], atol=1e-8)
    assert np.all(np.diff(result.history["loss"]) <= 0)  # damping keeps every step downhill


def test_newton_damps_where_the_hessian_is_indefinite():
    x = tf.Variable(0.1, dtype=tf.float64)
    result = tf.minimize(lambda: x ** 4 - 3 * x ** 2 + x, x, method="newton")  # f''(0.1) < 0
    assert result.converged
    assert float(x) == pytest.approx(-1.300839565, abs=1e-6)  # the global minimum, not a max


def test_lbfgs_through_scipy():
    pytest.importorskip("scipy")
    fn, a = rosenbrock()
    result = tf.minimize(fn, a, method="lbfgs", tol=1e-12)
    assert result.converged and result.method == "lbfgs"
    np.testing.assert_allclose(a.numpy(), [1.0, 1.0], atol=1e-5)
    assert result.history["loss"].shape == (result.steps + 1,)
    assert result.history["loss"][-1] == pytest.approx(result.value)
    fn, w, b = least_squares()
    tf.minimize(fn, [w, b], method="lbfgs", tol=1e-14)
    np.testing.assert_allclose(np.r_[w.numpy(), b.numpy()], LSTSQ, atol=1e-6)


def test_lbfgs_without_scipy_says_how_to_get_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    x = tf.Variable(1.0)
    with pytest.raises(ImportError, match=r"tapegrad\[scipy\]"):
        tf.minimize(lambda: x * x, x, method="lbfgs")


def test_divergence_names_the_step_and_suggests_a_smaller_learning_rate():
    x = tf.Variable(3.0)
    with pytest.raises(FloatingPointError, match=r"at step \d+.*smaller learning rate \(it is 1\)"):
        tf.minimize(lambda: x ** 4, x, optimizer="sgd", learning_rate=1.0, steps=100)


def test_optimizer_instances_and_names():
    sgd = make_optimizer("SGD", 0.5)
    assert type(sgd).__name__ == "SGD" and float(sgd.learning_rate) == pytest.approx(0.5)
    x = tf.Variable(4.0)
    result = tf.minimize(lambda: (x - 1.0) ** 2, x, optimizer=sgd, steps=200)
    assert result.converged and float(x) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown optimizer 'nope'; choose one of .*adam"):
        make_optimizer("nope")
    with pytest.raises(ValueError, match="set it on the optimizer"):
        tf.minimize(lambda: x * x, x, optimizer=sgd, learning_rate=0.1)
    with pytest.raises(TypeError, match="apply_gradients"):
        make_optimizer(42)


def test_bad_calls():
    x, unused = tf.Variable(1.0), tf.Variable(2.0, name="unused")
    with pytest.raises(ValueError, match="unknown method 'bfgs'"):
        tf.minimize(lambda: x * x, x, method="bfgs")
    with pytest.raises(TypeError, match="Variable"):
        tf.minimize(lambda: x * x, [tf.constant(1.0)])
    with pytest.raises(ValueError, match="does not depend on variable 'unused:0'"):
        tf.minimize(lambda: x * x, [x, unused])
    with pytest.raises(ValueError, match="takes no optimizer"):
        tf.minimize(lambda: x * x, x, method="newton", optimizer="sgd")
    with pytest.raises(ValueError, match="scalar"):
        tf.minimize(lambda: tf.stack([x, x]), x, method="newton")
