"""Fit a line to noisy points from y = 6x - 5, then predict a new point.

Prints the loss before and after training (200 SGD steps, each a `tf.function` call: traced on
the first call, replayed after), the learned W and B, and the prediction for x = 3.5; the data,
the fitted line and the predicted point are saved to the path given as the first argument
(default: next to this file).

Run from the repository root: python examples/09_line_fit.py [figure.png]
"""

import os
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import tapegrad as tf  # noqa: E402

figure_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "09_line_fit.png")

rng = np.random.default_rng(0)
x_data = np.linspace(-2, 2, 60).astype(np.float32)
y_data = (6 * x_data - 5 + rng.normal(0, 0.5, x_data.shape)).astype(np.float32)

W = tf.Variable(tf.random.normal([], seed=1))
B = tf.Variable(0.0)


def predict(x):
    return W * x + B


def loss_fn(x, y):
    return tf.reduce_mean(tf.square(y - predict(x)))


optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(x, y)
    optimizer.apply_gradients(zip(tape.gradient(loss, [W, B]), [W, B]))
    return loss


print(f"initial loss: {loss_fn(x_data, y_data).numpy():.4f}")
for _ in range(200):
    train_step(x_data, y_data)
print(f"final loss: {loss_fn(x_data, y_data).numpy():.4f}")
print(f"learned W = {W.numpy():.3f}, B = {B.numpy():.3f}")

new_x = 3.5
new_y = predict(new_x).numpy()
print(f"prediction for x = {new_x}: {new_y:.3f}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x_data, y_data, s=12, alpha=0.6, label="data")
line_x = np.linspace(-2, new_x, 2)
ax.plot(line_x, W.numpy() * line_x + B.numpy(), "C1", label="fitted line")
ax.scatter([new_x], [new_y], color="C3", marker="*", s=150, zorder=3, label="prediction")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
fig.tight_layout()
fig.savefig(figure_path)
print("figure saved to", figure_path)
