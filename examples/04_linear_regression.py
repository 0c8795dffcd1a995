"""Linear regression by gradient descent: fit y = w0 * x + w1 to 100 noisy points.

The data are X = 2 * U(0, 1) and Y = 3X + 4 + 0.5 * U(0, 1); the noise has mean 0.25, so the
best line is about y = 3x + 4.25, with a mean squared error near the noise variance
0.25 / 12 = 0.02. The training step is a `tf.function`: traced on the first call, replayed
after.

Run from the repository root: python examples/04_linear_regression.py
"""

import numpy as np

import tapegrad as tf

np.random.seed(42)
X = tf.constant(2 * np.random.rand(100), dtype=tf.float32)
Y = 3 * X + 4 + tf.constant(0.5 * np.random.rand(100), dtype=tf.float32)

w0 = tf.Variable(0.0)  # slope
w1 = tf.Variable(0.0)  # intercept
learning_rate = 0.02


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        prediction = w0 * x + w1
        loss = tf.reduce_mean(tf.square(y - prediction))
    d_w0, d_w1 = tape.gradient(loss, [w0, w1])
    w0.assign_sub(learning_rate * d_w0)
    w1.assign_sub(learning_rate * d_w1)
    return loss


for step in range(1, 1001):
    loss = train_step(X, Y)
    if step % 100 == 0:
        print(f"step {step:4d}: loss = {loss.numpy():.4f}, w0 = {w0.numpy():.4f}, "
              f"w1 = {w1.numpy():.4f}")

print(f"final: w0 = {w0.numpy():.2f}, w1 = {w1.numpy():.2f}, loss = {loss.numpy():.3f}")
