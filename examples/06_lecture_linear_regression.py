"""Linear regression as in a lecture: the cost sum(err^2) / (2m), gradient descent, then Adam.

x is 100 points evenly spread on [0, 10] and y = 2.5x + 3 + N(0, 1.5) (NumPy seed 10). Plain
gradient descent at learning rate 0.001 runs 10000 steps; Adam then solves the same problem.
Each training step is a `tf.function`: traced on the first call, replayed after.
The scatter and both fitted lines are saved to the path given as the first argument (default:
next to this file).

Run from the repository root: python examples/06_lecture_linear_regression.py [figure.png]
"""

import os
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import tapegrad as tf  # noqa: E402

figure_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "06_lecture_linear_regression.png")

np.random.seed(10)
x_data = np.linspace(0, 10, 100)
y_data = 2.5 * x_data + 3 + np.random.normal(0, 1.5, 100)
x = tf.constant(x_data, dtype=tf.float32)
y = tf.constant(y_data, dtype=tf.float32)
m = len(x_data)


def cost(w, b):
    error = w * x + b - y
    return tf.reduce_sum(tf.square(error)) / (2 * m)


# Plain gradient descent, the update written out.
learning_rate = 0.001


@tf.function
def gradient_descent_step(w, b):
    with tf.GradientTape() as tape:
        loss = cost(w, b)
    dw, db = tape.gradient(loss, [w, b])
    w.assign_sub(learning_rate * dw)
    b.assign_sub(learning_rate * db)
    return loss


w, b = tf.Variable(0.0), tf.Variable(0.0)
for step in range(10000):
    loss = gradient_descent_step(w, b)
    if step % 2000 == 0:
        print(f"gradient descent step {step:5d}: cost = {loss.numpy():.4f}")
gd = (float(w.numpy()), float(b.numpy()), float(cost(w, b).numpy()))
print(f"gradient descent: w = {gd[0]:.4f}, b = {gd[1]:.4f}, cost = {gd[2]:.4f}")

# The same problem with Adam.
optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)


@tf.function
def adam_step(w, b):
    with tf.GradientTape() as tape:
        loss = cost(w, b)
    optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
    return loss


w, b = tf.Variable(0.0), tf.Variable(0.0)
for _ in range(10000):
    adam_step(w, b)
adam = (float(w.numpy()), float(b.numpy()), float(cost(w, b).numpy()))
print(f"Adam:             w = {adam[0]:.4f}, b = {adam[1]:.4f}, cost = {adam[2]:.4f}")

slope, intercept = np.polyfit(x_data, y_data, 1)
print(f"least squares:    w = {slope:.4f}, b = {intercept:.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x_data, y_data, s=12, alpha=0.6, label="data")
ax.plot(x_data, gd[0] * x_data + gd[1], "C1", label="gradient descent")
ax.plot(x_data, adam[0] * x_data + adam[1], "C2--", label="Adam")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
fig.tight_layout()
fig.savefig(figure_path)
print("figure saved to", figure_path)
