"""Solve A + B = 9, C - D = 1, A + C = 8, B - D = 2 by least squares with Nadam.

The four equations have rank 3, so there is a line of solutions: which one Nadam lands on
depends on the start. What must vanish are the residuals. The training step is a
`tf.function`: traced on the first call, replayed after.

Run from the repository root: python examples/08_system_of_equations.py
"""

import tapegrad as tf

A = tf.Variable(0.0)
B = tf.Variable(0.0)
C = tf.Variable(0.0)
D = tf.Variable(0.0)
unknowns = [A, B, C, D]


def residuals():
    return [A + B - 9, C - D - 1, A + C - 8, B - D - 2]


optimizer = tf.keras.optimizers.Nadam(learning_rate=0.1)


@tf.function
def train_step():
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(tf.stack(residuals())))
    optimizer.apply_gradients(zip(tape.gradient(loss, unknowns), unknowns))
    return loss


for step in range(1, 1001):
    loss = train_step()
    if step % 200 == 0:
        print(f"step {step:4d}: sum of squared residuals = {loss.numpy():.3e}")

print("A, B, C, D =", ", ".join(f"{v.numpy():.4f}" for v in unknowns))
print("residuals  =", ", ".join(f"{r.numpy():.1e}" for r in residuals()))
