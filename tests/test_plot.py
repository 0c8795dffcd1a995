"""tapegrad.plot: what each function draws, that it saves, and the message without matplotlib."""

import sys

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.models import LinearRegression, LogisticRegression, PolynomialRegression

RNG = np.random.default_rng(2)


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot
    yield pyplot
    pyplot.close("all")


def test_plot_fit_draws_the_models_curve(plt, tmp_path):
    from tapegrad.plot import plot_fit
    x = RNG.uniform(-2, 2, size=(30, 1))
    y = x[:, 0] ** 2 + 0.1 * RNG.normal(size=30)
    model = PolynomialRegression(2, learning_rate=0.1, standardize=True).fit(x, y)
    path = tmp_path / "fit.png"
    ax = plot_fit(model, x, y, predicted=True, xlim=(-3, 3), path=path)
    curve = ax.get_lines()[0]
    grid = curve.get_xdata()
    assert grid[0] == -3 and grid[-1] == 3
    np.testing.assert_allclose(curve.get_ydata(), model.predict(grid[:, None]))
    assert len(ax.collections) == 2  # the data and the predicted points
    assert ax.get_xlabel() == "x0" and path.read_bytes()[:4] == b"\x89PNG"


def test_plot_fit_for_a_classifier_and_for_many_features(plt):
    from tapegrad.plot import plot_fit
    x = RNG.normal(size=(60, 1))
    y = (x[:, 0] + 0.5 * RNG.normal(size=60) > 0).astype(int)
    model = LogisticRegression(learning_rate=0.1).fit(x, y)
    ax = plot_fit(model, x, y)
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(),
                               model.predict_proba(curve.get_xdata()[:, None])[:, 1])
    assert ax.get_ylabel() == "P(y = 1)"
    X2 = RNG.normal(size=(40, 2))
    y2 = X2 @ [1.0, -1.0] + 0.1 * RNG.normal(size=40)
    linear = LinearRegression(learning_rate=0.1).fit(X2, y2)
    ax = plot_fit(linear, X2, y2)
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], linear.predict(X2))
    assert ax.get_xlabel() == "observed"
    with pytest.raises(ValueError, match="plot_decision_boundary"):
        plot_fit(LogisticRegression().fit(X2, y2 > 0), X2, y2 > 0)


def test_plot_history_log_loss_and_true_values(plt, tmp_path):
    from tapegrad.plot import plot_history
    w, b = tf.Variable(0.0, name="w"), tf.Variable(0.0, name="b")
    x = tf.constant(np.linspace(0, 1, 20))
    y = 3 * x + 4
    result = tf.minimize(lambda: tf.reduce_mean((w * tf.cast(x, tf.float32) + b
                                                 - tf.cast(y, tf.float32)) ** 2),
                         [w, b], learning_rate=0.1, steps=300)
    loss_ax, param_ax = plot_history(result, {"w": 3.0, "b": 4.0}, path=tmp_path / "h.png")
    assert loss_ax.get_yscale() == "log"
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_ydata(), result.history["loss"])
    labels = [line.get_label() for line in param_ax.get_lines()]
    assert labels[0] == "w" and labels[2] == "b"
    assert param_ax.get_lines()[1].get_ydata()[0] == 3.0  # the dashed true value of w
    assert (tmp_path / "h.png").exists()
    with pytest.raises(ValueError, match="true_values names \\['c'\\]"):
        plot_history(result, {"c": 1.0})


def test_plot_history_of_a_model_names_its_features(plt):
    from tapegrad.plot import plot_history
    X = RNG.normal(size=(30, 2))
    model = LinearRegression(learning_rate=0.1).fit(X, X @ [1.0, 2.0])
    model.feature_names_in_ = np.array(["height", "age"], dtype=object)
    _, param_ax = plot_history(model)
    assert [line.get_label() for line in param_ax.get_lines()] == [
        "coef height", "coef age", "intercept"]


def test_plot_decision_boundary(plt):
    from tapegrad.plot import plot_decision_boundary
    X = RNG.normal(size=(90, 2))
    y = np.argmax(X @ [[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]], axis=1)
    model = LogisticRegression(learning_rate=0.1).fit(X, y)
    ax = plot_decision_boundary(model, X, y, resolution=50)
    assert ax.get_legend().get_texts()[2].get_text() == "y = 2"
    binary = LogisticRegression(learning_rate=0.1).fit(X, y == 1)
    ax = plot_decision_boundary(binary, X, y == 1, resolution=50)
    assert len(ax.figure.axes) == 2  # the plot and its probability colour bar
    with pytest.raises(ValueError, match="exactly two features"):
        plot_decision_boundary(LogisticRegression().fit(X[:, :1], y), X[:, :1], y)


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    from tapegrad import plot
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    model = LinearRegression(max_steps=2).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ImportError, match=r"pip install 'tapegrad\[plot\]'"):
        plot.plot_fit(model, [[0.0], [1.0]], [0.0, 1.0])
