"""Threads: tapes are thread-local, so models trained at once train exactly as one by one."""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import tapegrad as tf


@pytest.fixture(autouse=True)
def switch_often() -> Iterator[None]:
    """Make the interpreter switch threads every microsecond: interleave as much as it can."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def _watched(tape: tf.GradientTape, own: list[tf.Variable]) -> np.ndarray:
    """Which of the tape's watched variables are this model's own: all of them, on its thread."""
    return np.array([any(v is w for w in own) for v in tape.watched_variables()])


def _mlp(seed: int, steps: int) -> list[np.ndarray]:
    """A two-layer classifier with softmax cross-entropy, plain SGD; returns the history."""
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(16, 4)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 3, 16).astype(np.int32))
    w1 = tf.Variable(rng.normal(size=(4, 8)).astype(np.float32) * 0.5)
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable(rng.normal(size=(8, 3)).astype(np.float32) * 0.5)
    history = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels, tf.matmul(h, w2)))
        grads = tape.gradient(loss, [w1, b1, w2])
        for v, g in zip([w1, b1, w2], grads):
            v.assign_sub(0.1 * g)
        history += [loss.numpy(), _watched(tape, [w1, b1, w2])]
    return history + [v.numpy() for v in (w1, b1, w2)]


def _gradient_penalty(seed: int, steps: int) -> list[np.ndarray]:
    """Second order: a loss plus the squared norm of its gradient (nested tapes), float64."""
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(8, 3)))
    y = tf.constant(rng.normal(size=(8,)))
    w = tf.Variable(rng.normal(size=(3,)))
    history = []
    for _ in range(steps):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                fit = tf.reduce_mean((tf.tanh(tf.linalg.matvec(x, w)) - y) ** 2)
            dx = inner.gradient(fit, x)
            loss = fit + 0.1 * tf.reduce_sum(dx * dx)
        w.assign_sub(0.05 * outer.gradient(loss, w))
        history += [loss.numpy(), _watched(inner, [w]), _watched(outer, [w])]
    return history + [w.numpy()]


def _persistent(seed: int, steps: int) -> list[np.ndarray]:
    """A persistent tape with two targets and a Jacobian, float32."""
    rng = np.random.default_rng(seed)
    a = tf.Variable(rng.normal(size=(2, 2)).astype(np.float32))
    x = tf.constant(rng.normal(size=(2,)).astype(np.float32))
    history = []
    for _ in range(steps):
        with tf.GradientTape(persistent=True) as tape:
            z = tf.sigmoid(tf.linalg.matvec(a, x))
            first, second = tf.reduce_sum(z), tf.reduce_sum(z * z)
        g = tape.gradient(first, a) + tape.gradient(second, a)
        history += [tape.jacobian(z, a).numpy(), _watched(tape, [a])]
        del tape
        a.assign_sub(0.1 * g)
    return history + [a.numpy()]


Job = Callable[[int, int], list[np.ndarray]]


def _at_once(jobs: list[tuple[Job, int]], steps: int) -> list[list[np.ndarray]]:
    results: list[Any] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i: int, job: Job, seed: int) -> None:
        start.wait()
        try:
            results[i] = job(seed, steps)
        except BaseException as e:  # reported by the main thread
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, job, seed))
               for i, (job, seed) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


@pytest.mark.parametrize("jobs", [
    [(_mlp, 1), (_mlp, 2)],
    [(_mlp, 3), (_gradient_penalty, 4)],
    [(_gradient_penalty, 5), (_persistent, 6), (_mlp, 7)],
], ids=["two classifiers", "classifier and second order", "three kinds"])
def test_training_at_once_equals_training_one_after_the_other(jobs: list[tuple[Job, int]]
                                                               ) -> None:
    steps = 60
    alone = [job(seed, steps) for job, seed in jobs]
    together = _at_once(jobs, steps)
    for one, other in zip(alone, together):
        assert len(one) == len(other)
        for a, b in zip(one, other):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)  # bitwise: no tolerance


def test_a_tape_does_not_see_other_threads_ops() -> None:
    shared = tf.Variable(2.0)
    mine = tf.Variable(3.0)
    inside = threading.Event()
    done = threading.Event()

    def other() -> None:
        inside.wait()
        for _ in range(200):
            _ = shared * shared  # read while the main thread's tape records
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with tf.GradientTape() as tape:
        y = mine * mine
        inside.set()
        done.wait()
    thread.join()
    assert tape.watched_variables() == (mine,)
    g_mine, g_shared = tape.gradient(y, [mine, shared])
    assert float(g_mine) == 6.0 and g_shared is None


def test_tape_stacks_are_per_thread() -> None:
    """A tape entered on one thread is not the inner tape of one on another thread."""
    x = tf.constant(3.0)
    ready, go = threading.Event(), threading.Event()
    seen: list[Any] = []

    def other() -> None:
        with tf.GradientTape() as tape:  # opened while the main thread's outer tape records
            tape.watch(x)
            ready.set()
            go.wait()
            y = x * x
        seen.append(tape.gradient(y, x))

    with tf.GradientTape() as outer:
        outer.watch(x)
        thread = threading.Thread(target=other)
        thread.start()
        ready.wait()
        z = x * x * x
        go.set()
        thread.join()
    assert float(seen[0]) == 6.0
    assert float(outer.gradient(z, x)) == 27.0
