"""Gradients with GradientTape: first and second derivatives, watching, persistent tapes.

Run from the repository root: python examples/02_gradients.py
"""

import tapegrad as tf

# d(x^3)/dx at x = 3 is 3 * 3^2 = 27.
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x ** 3
print("dy/dx of x^3 at 3:", tape.gradient(y, x).numpy())

# The second derivative, 6x = 18, from one tape nested inside another.
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        y = x ** 3
    dy_dx = inner.gradient(y, x)
print("d2y/dx2 of x^3 at 3:", outer.gradient(dy_dx, x).numpy())

# A constant is not watched: its gradient is None until you watch it.
c = tf.constant(3.0)
with tf.GradientTape() as tape:
    y = c ** 3
print("unwatched constant:", tape.gradient(y, c))
with tf.GradientTape() as tape:
    tape.watch(c)
    y = c ** 3
print("watched constant:", tape.gradient(y, c).numpy())

# A persistent tape answers several gradient calls: z = 2y, y = x^3.
with tf.GradientTape(persistent=True) as tape:
    tape.watch(c)
    y = c * c * c
    z = 2 * y
print("dz/dy:", tape.gradient(z, y).numpy())
print("dy/dx:", tape.gradient(y, c).numpy())
print("dz/dx:", tape.gradient(z, c).numpy())
del tape

# d(3x^3 + x^2)/dx at 10 is 9 * 100 + 2 * 10 = 920.
x = tf.Variable(10.0)
with tf.GradientTape() as tape:
    y = 3 * x ** 3 + x ** 2
print("d(3x^3 + x^2)/dx at 10:", tape.gradient(y, x).numpy())
