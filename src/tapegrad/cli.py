"""The ``tapegrad`` command.

``tapegrad demo`` fits a line to bundled data by gradient descent and prints the parameters.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import tapegrad as tf


def demo() -> int:
    """Fit y = w*x + b to 100 noisy points from y = 3x + 4 by plain gradient descent."""
    rng = np.random.default_rng(0)
    x = tf.constant(2 * rng.random(100), dtype=tf.float32)
    y = 3 * x + 4 + tf.constant(0.5 * rng.standard_normal(100), dtype=tf.float32)
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    steps = 1000
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(0.05 * dw)
        b.assign_sub(0.05 * db)
    print(f"w = {float(w):.4f}, b = {float(b):.4f}, loss = {float(loss):.4f} after {steps} steps")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tapegrad", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="fit a line to bundled data and print the result")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
