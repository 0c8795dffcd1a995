"""Polynomial regression: recover y = x^2 + 2x + 3 from 20 samples with Nadam.

The 20 samples are x ~ N(0, 1); the features are [x^2, x, 1], the weights a (3, 1) Variable,
the loss the sum of squared errors. The training step is a `tf.function`: traced on the first
call, replayed after.

Run from the repository root: python examples/07_polynomial_regression.py
"""

import numpy as np

import tapegrad as tf

x = np.random.default_rng(0).normal(size=20).astype(np.float32)
y = x ** 2 + 2 * x + 3
features = tf.constant(np.stack([x ** 2, x, np.ones_like(x)], axis=1))  # (20, 3)
targets = tf.constant(y.reshape(-1, 1))  # (20, 1)

weights = tf.Variable(tf.zeros([3, 1]))
optimizer = tf.keras.optimizers.Nadam(learning_rate=0.01)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        predictions = tf.matmul(x, weights)
        loss = tf.reduce_sum(tf.square(y - predictions))
    gradients = tape.gradient(loss, [weights])
    optimizer.apply_gradients(zip(gradients, [weights]))
    return loss


for step in range(1, 1001):
    loss = train_step(features, targets)
    if step % 200 == 0:
        print(f"step {step:4d}: loss = {loss.numpy():.6f}")

a, b, c = weights.numpy().ravel()
print(f"learned y = {a:.3f} x^2 + {b:.3f} x + {c:.3f}")
