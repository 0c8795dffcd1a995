"""Mini-batch linear regression: a fresh batch of 64 points at every step.

The true line is y = 7x + 4 with N(0, 1) noise; w starts at 10 and b at 1. One persistent tape
answers two gradient calls per step, inside a `tf.function` that takes each batch as tensor
arguments: traced on the first call, replayed after. The figure of the parameter history
against the true values is saved to the path given as the first argument (default: next to
this file).

Run from the repository root: python examples/05_minibatch_linear_regression.py [figure.png]
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import tapegrad as tf  # noqa: E402

TRUE_W, TRUE_B = 7.0, 4.0
BATCH, STEPS, LEARNING_RATE = 64, 100, 0.03
figure_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "05_minibatch_linear_regression.png")

tf.random.set_seed(7)
w = tf.Variable(10.0)
b = tf.Variable(1.0)
history_w, history_b, losses = [], [], []


@tf.function
def train_step(x, y):
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean(tf.square(y - (w * x + b)))
    dw = tape.gradient(loss, w)
    db = tape.gradient(loss, b)
    del tape
    w.assign_sub(LEARNING_RATE * dw)
    b.assign_sub(LEARNING_RATE * db)
    return loss


for step in range(STEPS):
    x = tf.random.normal([BATCH])
    y = TRUE_W * x + TRUE_B + tf.random.normal([BATCH])
    loss = train_step(x, y)
    history_w.append(w.numpy())
    history_b.append(b.numpy())
    losses.append(loss.numpy())
    if step % 20 == 0 or step == STEPS - 1:
        print(f"step {step:3d}: loss = {loss.numpy():.4f}, w = {w.numpy():.4f}, "
              f"b = {b.numpy():.4f}")

print(f"learned w = {w.numpy():.2f} (true {TRUE_W}), b = {b.numpy():.2f} (true {TRUE_B})")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(history_w, label="w")
ax.plot(history_b, label="b")
ax.axhline(TRUE_W, color="C0", linestyle="--", label="true w")
ax.axhline(TRUE_B, color="C1", linestyle="--", label="true b")
ax.set_xlabel("step")
ax.set_ylabel("value")
ax.set_title("Mini-batch gradient descent")
ax.legend()
fig.tight_layout()
fig.savefig(figure_path)
print("figure saved to", figure_path)
