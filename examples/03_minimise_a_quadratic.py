"""Gradient descent on y = x^2 - 20x + 100 from x = 50, learning rate 0.1, 50 steps.

The minimum is at x = 10. Each step is x <- x - 0.1 * (2x - 20) = 0.8x + 2, so the distance
to 10 shrinks by a factor 0.8: 42.0, 35.6, 30.48, ... Each step is a `tf.function`: traced on
the first call, replayed after.

Run from the repository root: python examples/03_minimise_a_quadratic.py
"""

import tapegrad as tf

learning_rate = 0.1
x = tf.Variable(50.0)


@tf.function
def train_step():
    with tf.GradientTape() as tape:
        y = x ** 2 - 20 * x + 100
    x.assign_sub(learning_rate * tape.gradient(y, x))
    return y


for step in range(1, 51):
    y = train_step()
    if step <= 5 or step % 10 == 0:
        print(f"step {step:2d}: x = {x.numpy():.4f}, y = {y.numpy():.4f}")

print(f"minimum found at x = {x.numpy():.4f}")

# The same descent with an optimizer object doing the update.
x2 = tf.Variable(50.0)
optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)


@tf.function
def sgd_step():
    with tf.GradientTape() as tape:
        y = x2 ** 2 - 20 * x2 + 100
    optimizer.apply_gradients([(tape.gradient(y, x2), x2)])
    return y


for _ in range(50):
    sgd_step()
print(f"with tf.keras.optimizers.SGD: x = {x2.numpy():.4f}")
