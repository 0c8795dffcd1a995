"""The workloads: their data, their TensorFlow-style programs, and how a result is judged.

Workloads 1-7 are written once, as a TensorFlow user writes them, against a module passed in as
``tf``: the same source runs with ``tensorflow`` and with ``tapegrad``. Each program builds its
variables and returns ``(variables, train_step)``; the harness owns the loop, so every peer is
timed the same way. The other peers' versions of the same workloads are in ``peers.py``.

Every result is judged by ``evaluate``: the final parameters, whoever computed them, go through
one float64 NumPy formula of the workload's loss (and accuracy), so a fast wrong answer shows.

>>> data = line_data()
>>> data.x.shape, data.x.dtype
((100,), dtype('float32'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

# ----- The workloads, as the report names them -----


@dataclass(frozen=True)
class Workload:
    """One row of the report: a name, how many steps a run takes, and the optimizer it uses."""

    key: str
    title: str
    steps: int
    optimizer: str | None = None  # "adam" or "nadam" when the program needs tapegrad.optimizers
    needs: tuple[str, ...] = field(default=())  # optional packages for the data (scikit-learn)


WORKLOADS = {
    "1": Workload("1", "100-point line, plain GD at 0.02", 1000),
    "2": Workload("2", "mini-batch line, fresh batch of 64, persistent tape, 2 gradient calls",
                  100),
    "3a": Workload("3a", "lecture line, loss Σerr²/(2m), plain GD at 0.001", 10000),
    "3b": Workload("3b", "lecture line, loss Σerr²/(2m), Adam at 0.1", 1000, "adam"),
    "4": Workload("4", "quadratic fit, 20 samples, (3,1) weight, Nadam at 0.01", 1000, "nadam"),
    "5": Workload("5", "four-unknown equation system, Nadam at 0.1", 1000, "nadam"),
    "6": Workload("6", "logistic regression, digits 0/1 (360×64), Adam at 0.01", 70, "adam",
                  ("sklearn",)),
}

SCALE_FEATURES = 100
SCALE_LEARNING_RATE = 0.1


# ----- Data: seeded NumPy, float32, the same arrays for every peer -----


@dataclass
class Data:
    """The arrays of one workload; which fields are set depends on the workload."""

    x: Any = None
    y: Any = None
    x_test: Any = None
    y_test: Any = None
    w_init: Any = None
    batches: Any = None  # workload 2: (steps, 2, 64) float32, a fresh batch per step


def line_data() -> Data:
    """Workload 1: X = 2·U(0,1), Y = 3X + 4 + 0.5·U(0,1), 100 points."""
    rng = np.random.default_rng(1)
    x = 2 * rng.random(100)
    y = 3 * x + 4 + 0.5 * rng.random(100)
    return Data(x=x.astype(np.float32), y=y.astype(np.float32))


def minibatch_data(steps: int) -> Data:
    """Workload 2: each step's batch of 64 points y = 7x + 4 + N(0,1), x ~ N(0,1).

    The batches are drawn up front (seeded) so that every peer sees the same ones and its
    timing holds no random-number generator; ``x_test``/``y_test`` judge the fit.
    """
    rng = np.random.default_rng(2)
    x = rng.standard_normal((steps, 64))
    y = 7 * x + 4 + rng.standard_normal((steps, 64))
    x_test = rng.standard_normal(10000)
    y_test = 7 * x_test + 4 + rng.standard_normal(10000)
    return Data(batches=np.stack([x, y], axis=1).astype(np.float32), x_test=x_test,
                y_test=y_test)


def lecture_data() -> Data:
    """Workload 3: x = 100 points evenly on [0, 10], y = 2.5x + 3 + N(0, 1.5), NumPy seed 10."""
    rng = np.random.RandomState(10)
    x = np.linspace(0, 10, 100)
    y = 2.5 * x + 3 + rng.normal(0, 1.5, 100)
    return Data(x=x.astype(np.float32), y=y.astype(np.float32))


def quadratic_data() -> Data:
    """Workload 4: y = x² + 2x + 3 at 20 points on [-2, 2]; features [x², x, 1] as columns."""
    x = np.linspace(-2, 2, 20)
    features = np.stack([x * x, x, np.ones_like(x)], axis=1)
    return Data(x=features.astype(np.float32),
                y=(x * x + 2 * x + 3).reshape(20, 1).astype(np.float32))


def digits_data() -> Data:
    """Workload 6: scikit-learn's digits 0 and 1, standardised, 90/10 split, features as rows.

    ``x`` is (64, 324) and ``y`` (1, 324); the initial weights are N(0, 0.05), seeded.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits(n_class=2)
    features, labels = digits.data, digits.target.astype(np.float64)
    std = features.std(axis=0)
    features = (features - features.mean(axis=0)) / np.where(std > 0, std, 1.0)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.1,
                                                        random_state=0)
    w_init = np.random.default_rng(6).normal(0, 0.05, (1, 64))
    f32 = np.float32
    return Data(x=x_train.T.astype(f32), y=y_train.reshape(1, -1).astype(f32),
                x_test=x_test.T.astype(f32), y_test=y_test.reshape(1, -1).astype(f32),
                w_init=w_init.astype(f32))


def scale_data(rows: int) -> Data:
    """Workload 7: ``rows`` × 100 float32 features N(0,1), y = X·w + 0.1·N(0,1), y as (rows, 1)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((rows, SCALE_FEATURES), dtype=np.float32)
    w_true = np.linspace(-1, 1, SCALE_FEATURES, dtype=np.float32).reshape(-1, 1)
    y = x @ w_true + np.float32(0.1) * rng.standard_normal((rows, 1), dtype=np.float32)
    return Data(x=x, y=y)


DATA: dict[str, Callable[[int], Data]] = {
    "1": lambda steps: line_data(),
    "2": minibatch_data,
    "3a": lambda steps: lecture_data(),
    "3b": lambda steps: lecture_data(),
    "4": lambda steps: quadratic_data(),
    "5": lambda steps: Data(),
    "6": lambda steps: digits_data(),
}


def step_inputs(key: str, data: Data, step: int) -> tuple[Any, ...]:
    """The arguments of ``train_step`` at ``step``: workload 2's batch, nothing elsewhere."""
    if key == "2":
        return tuple(data.batches[step])
    return ()


# ----- The TensorFlow-style programs (run with tensorflow and with tapegrad) -----


def optimizers(tf: Any) -> Any:
    """``tf.keras.optimizers``: Keras 3's optimizers in TensorFlow, tapegrad's own in tapegrad."""
    keras = getattr(tf, "keras", None)
    return keras.optimizers if keras is not None else tf.optimizers


def line_gd(tf: Any, data: Data, learning_rate: float = 0.02) -> tuple[list[Any], Callable]:
    """Workload 1: fit Y ≈ w0·X + w1 by plain gradient descent on the mean squared error."""
    X, Y = tf.constant(data.x), tf.constant(data.y)
    w0, w1 = tf.Variable(0.0), tf.Variable(0.0)

    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(Y - (w0 * X + w1)))
        dw0, dw1 = tape.gradient(loss, [w0, w1])
        w0.assign_sub(learning_rate * dw0)
        w1.assign_sub(learning_rate * dw1)
        return loss

    return [w0, w1], train_step


def minibatch_line(tf: Any, data: Data, learning_rate: float = 0.03
                   ) -> tuple[list[Any], Callable]:
    """Workload 2: w from 10 and b from 1 towards 7 and 4, a fresh batch (x, y) each step."""
    w, b = tf.Variable(10.0), tf.Variable(1.0)

    def train_step(x, y):
        with tf.GradientTape(persistent=True) as tape:
            loss = tf.reduce_mean(tf.square(y - (w * x + b)))
        dw = tape.gradient(loss, w)
        db = tape.gradient(loss, b)
        del tape
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
        return loss

    return [w, b], train_step


def lecture_line_gd(tf: Any, data: Data, learning_rate: float = 0.001
                    ) -> tuple[list[Any], Callable]:
    """Workload 3a: y ≈ w·x + b with loss Σ(err²)/(2m), plain gradient descent."""
    x, y = tf.constant(data.x), tf.constant(data.y)
    m = data.x.shape[0]
    w, b = tf.Variable(0.0), tf.Variable(0.0)

    def train_step():
        with tf.GradientTape() as tape:
            err = w * x + b - y
            loss = tf.reduce_sum(err * err) / (2 * m)
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
        return loss

    return [w, b], train_step


def lecture_line_adam(tf: Any, data: Data, learning_rate: float = 0.1
                      ) -> tuple[list[Any], Callable]:
    """Workload 3b: the same loss as 3a, minimised by Keras's Adam."""
    x, y = tf.constant(data.x), tf.constant(data.y)
    m = data.x.shape[0]
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    opt = optimizers(tf).Adam(learning_rate=learning_rate)

    def train_step():
        with tf.GradientTape() as tape:
            err = w * x + b - y
            loss = tf.reduce_sum(err * err) / (2 * m)
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
        return loss

    return [w, b], train_step


def quadratic_nadam(tf: Any, data: Data, learning_rate: float = 0.01
                    ) -> tuple[list[Any], Callable]:
    """Workload 4: features [x², x, 1] times a (3,1) weight, loss Σ(y−ŷ)², Nadam."""
    X, Y = tf.constant(data.x), tf.constant(data.y)
    W = tf.Variable(tf.zeros([3, 1]))
    opt = optimizers(tf).Nadam(learning_rate=learning_rate)

    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(Y - tf.matmul(X, W)))
        grads = tape.gradient(loss, [W])
        opt.apply_gradients(zip(grads, [W]))
        return loss

    return [W], train_step


def equations_nadam(tf: Any, data: Data, learning_rate: float = 0.1
                    ) -> tuple[list[Any], Callable]:
    """Workload 5: A+B=9, C−D=1, A+C=8, B−D=2 by least squares over four scalar Variables."""
    A, B, C, D = (tf.Variable(0.0) for _ in range(4))
    opt = optimizers(tf).Nadam(learning_rate=learning_rate)

    def train_step():
        with tf.GradientTape() as tape:
            loss = ((A + B - 9) ** 2 + (C - D - 1) ** 2 + (A + C - 8) ** 2
                    + (B - D - 2) ** 2)
        grads = tape.gradient(loss, [A, B, C, D])
        opt.apply_gradients(zip(grads, [A, B, C, D]))
        return loss

    return [A, B, C, D], train_step


def digits_logistic(tf: Any, data: Data, learning_rate: float = 0.01
                    ) -> tuple[list[Any], Callable]:
    """Workload 6: sigmoid cross-entropy from logits W·X + b, features as rows, Adam."""
    X, Y = tf.constant(data.x), tf.constant(data.y)
    W, b = tf.Variable(data.w_init), tf.Variable(0.0)
    opt = optimizers(tf).Adam(learning_rate=learning_rate)

    def train_step():
        with tf.GradientTape() as tape:
            logits = tf.matmul(W, X) + b
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=Y,
                                                                          logits=logits))
        grads = tape.gradient(loss, [W, b])
        opt.apply_gradients(zip(grads, [W, b]))
        return loss

    return [W, b], train_step


def scale_gd(tf: Any, data: Data, learning_rate: float = SCALE_LEARNING_RATE
             ) -> tuple[list[Any], Callable]:
    """Workload 7: one full-batch gradient-descent step of linear regression on (N, 100) X."""
    X, y = tf.constant(data.x), tf.constant(data.y)
    w, b = tf.Variable(tf.zeros([data.x.shape[1], 1])), tf.Variable(0.0)

    def train_step():
        with tf.GradientTape() as tape:
            err = tf.matmul(X, w) + b - y
            loss = tf.reduce_mean(tf.square(err))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
        return loss

    return [w, b], train_step


TF_PROGRAMS: dict[str, Callable[..., tuple[list[Any], Callable]]] = {
    "1": line_gd, "2": minibatch_line, "3a": lecture_line_gd, "3b": lecture_line_adam,
    "4": quadratic_nadam, "5": equations_nadam, "6": digits_logistic, "7": scale_gd,
}


# ----- Judging a result: float64 NumPy on the final parameters -----


def _mse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(y, np.float64) - pred) ** 2))


def evaluate(key: str, data: Data, params: list[Any]) -> dict[str, float]:
    """The loss the workload minimises (and accuracy, for workload 6) at ``params``."""
    p = [np.asarray(v, np.float64) for v in params]
    if key == "1":
        return {"loss": _mse(p[0] * data.x + p[1], data.y)}
    if key == "2":  # on 10,000 fresh points: the noise variance, 1.0, is the floor
        return {"loss": _mse(p[0] * data.x_test + p[1], data.y_test)}
    if key in ("3a", "3b"):
        err = p[0] * data.x + p[1] - data.y
        return {"loss": float(err @ err / (2 * len(err)))}
    if key == "4":
        err = data.y - data.x.astype(np.float64) @ p[0].reshape(3, 1)
        return {"loss": float(np.sum(err ** 2))}
    if key == "5":
        a, b, c, d = (float(v) for v in p)
        return {"loss": (a + b - 9) ** 2 + (c - d - 1) ** 2 + (a + c - 8) ** 2 + (b - d - 2) ** 2}
    if key == "6":
        def logits(x: np.ndarray) -> np.ndarray:
            return p[0].reshape(1, -1) @ x.astype(np.float64) + p[1]

        z, y = logits(data.x), data.y.astype(np.float64)
        loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        accuracy = np.mean((logits(data.x_test) > 0) == (data.y_test > 0.5))
        return {"loss": float(loss), "test accuracy": float(accuracy)}
    if key == "7":
        pred = data.x @ p[0].reshape(-1, 1).astype(np.float32) + np.float32(p[1])
        return {"loss": _mse(pred.astype(np.float64), data.y)}
    raise KeyError(key)
