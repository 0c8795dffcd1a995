"""What a GradientTape costs per recorded op, and what a backward plan saves: side by side.

``python -m benchmarks.recording`` times, in CPU time of this process (steadier than the wall
clock on a shared machine), the same ops with and without a tape watching their input, and the
same backward pass through the general walk and through its compiled plan, and prints the
differences and ratios. The target of issue 9 is at most 0.4 µs of recording per op.

>>> rows = measure(n=200, repeats=2)
>>> [r[0] for r in rows][:2]
['x * y, float32 scalars', 'x * y, 100 float32']
"""

from __future__ import annotations

import sys
import time
import timeit
from typing import Any, Callable

import numpy as np

RECORDING_TARGET_S = 0.4e-6


def _cpu_seconds(fn: Callable[[], Any], n: int, repeats: int) -> float:
    """The best of ``repeats`` CPU-time measurements of ``n`` calls, per call."""
    return min(timeit.repeat(fn, number=n, repeat=repeats, timer=time.process_time)) / n


_CHUNK = 100  # ops per tape, as in a training step: one tape over all n ops would hold n outputs


def _multiplies(tf: Any, x: Any, y: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    """``_CHUNK`` multiplies of x by y: without a tape, and on a tape watching x."""
    def untaped() -> None:
        for _ in range(_CHUNK):
            x * y

    def taped() -> None:
        with tf.GradientTape() as tape:
            tape.watch(x)
            for _ in range(_CHUNK):
                x * y

    return untaped, taped


def measure(n: int = 20_000, repeats: int = 9) -> list[tuple[str, float, float]]:
    """Rows of (what, seconds without, seconds with): per op for recording, per pass for plans."""
    import tapegrad as tf
    from tapegrad import tape as tape_module

    rows = []
    for what, value in (("float32 scalars", np.float32(1.5)),
                        ("100 float32", np.full(100, 1.5, np.float32))):
        untaped, taped = _multiplies(tf, tf.constant(value), tf.constant(value * 2))
        calls = max(n // _CHUNK, 1)
        rows.append((f"x * y, {what}", _cpu_seconds(untaped, calls, repeats) / _CHUNK,
                     _cpu_seconds(taped, calls, repeats) / _CHUNK))

    w = tf.Variable(np.linspace(-1, 1, 100, dtype=np.float32))
    data = tf.constant(np.linspace(0, 2, 100, dtype=np.float32))
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean(tf.square(tf.tanh(w * data + 1.0) - data))

    def general() -> None:
        tape_module._plans.clear()  # never seen: the general backward pass
        tape.gradient(loss, w)

    def planned() -> None:
        tape.gradient(loss, w)

    for _ in range(3):  # counted, compiled, planned
        planned()
    rows.append(("gradient of a 6-op loss (general pass vs plan)",
                 _cpu_seconds(general, max(n // 20, 1), repeats),
                 _cpu_seconds(planned, max(n // 20, 1), repeats)))
    return rows


def main() -> int:
    rows = measure()
    print(f"{'':50} {'without':>9} {'with':>9} {'with - without':>15} {'ratio':>6}")
    for what, without, with_ in rows:
        print(f"{what:50} {without * 1e6:7.3f}µs {with_ * 1e6:7.3f}µs "
              f"{(with_ - without) * 1e6:+13.3f}µs {with_ / without:5.2f}×")
    overhead = max(with_ - without for _, without, with_ in rows[:2])
    verdict = "met" if overhead <= RECORDING_TARGET_S else "missed"
    print(f"recording: {overhead * 1e6:.3f} µs per op over the untaped op "
          f"(target ≤ {RECORDING_TARGET_S * 1e6:.1f} µs): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
