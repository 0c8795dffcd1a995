"""Memory: tapes free what they recorded when they are done, training loops stay flat, and no
reference cycle runs through tensors (everything is freed by reference counting alone)."""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import tapegrad as tf

BIG = 1_000_000  # float64 entries: 8 MB per array


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees objects: a value that needs the cycle collector leaks."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _recorded(x: tf.Tensor) -> tuple[tf.Tensor, weakref.ref]:
    """An intermediate the tape must keep for the backward pass, and a weak reference to its
    8 MB array (tensors have no weak references; their NumPy values do)."""
    h = tf.exp(x)
    return tf.reduce_sum(h * h), weakref.ref(h._value)


def test_non_persistent_tape_frees_recorded_values_when_gradient_returns(no_gc: None) -> None:
    x = tf.constant(np.linspace(0, 1, BIG))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, held = _recorded(x)
    assert held() is not None  # the tape holds it for the backward pass
    grad = tape.gradient(y, x)
    assert held() is None  # freed as soon as gradient returned, tape still alive
    np.testing.assert_allclose(grad.numpy()[[0, -1]], [2.0, 2 * np.e ** 2])
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)


def test_non_persistent_tape_frees_when_gradient_is_called_inside_the_block(no_gc: None) -> None:
    x = tf.constant(np.linspace(0, 1, BIG))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, held = _recorded(x)
        tape.gradient(y, x)
        assert held() is None


def test_jacobian_frees_like_gradient(no_gc: None) -> None:
    x = tf.constant(np.linspace(0, 1, 1000))
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = tf.exp(x)
        held = weakref.ref(h._value)
        y = tf.reduce_sum(h * h, keepdims=True)
    del h
    tape.jacobian(y, x)
    assert held() is None


def test_persistent_tape_keeps_values_until_deleted(no_gc: None) -> None:
    x = tf.constant(np.linspace(0, 1, BIG))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y, held = _recorded(x)
        z = tf.reduce_sum(tf.sin(x))
    g1, g2 = tape.gradient(y, x), tape.gradient([y, z], x)
    assert held() is not None
    np.testing.assert_allclose(g2.numpy() - g1.numpy(), np.cos(x.numpy()))
    del tape
    assert held() is None
    tape2 = tf.GradientTape(persistent=True)
    with tape2:
        tape2.watch(x)
        y, held = _recorded(x)
    tape2.reset()  # reset forgets too
    assert held() is None


def test_the_values_a_tape_never_needed_are_not_kept(no_gc: None) -> None:
    x = tf.constant(np.linspace(0, 1, BIG))
    with tf.GradientTape() as tape:
        tape.watch(x)
        unrelated = tf.exp(tf.constant(np.ones(BIG)))  # nothing watched flows into it
        held = weakref.ref(unrelated._value)
        y = tf.reduce_sum(x)
    del unrelated
    assert held() is None
    tape.gradient(y, x)


def _train(steps: int, w: tf.Variable, b: tf.Variable, x: tf.Tensor, y: tf.Tensor) -> None:
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)


def test_100000_step_training_loop_keeps_memory_flat() -> None:
    x = tf.constant(np.linspace(-1, 1, 8, dtype=np.float32))
    y = 3.0 * x + 0.5
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    _train(1000, w, b, x, y)  # warm up: caches, first-call allocations
    gc.collect()
    # 100,000 steps at full speed: sys.getallocatedblocks counts every live Python object
    # allocation, so a leak of one object per step would show as 100,000 blocks.
    blocks = sys.getallocatedblocks()
    _train(100_000, w, b, x, y)
    gc.collect()
    grown_blocks = sys.getallocatedblocks() - blocks
    assert grown_blocks < 500, f"{grown_blocks} blocks more after 100,000 steps"
    # Then 10,000 steps under tracemalloc (6x slower), which counts bytes, NumPy buffers too:
    # one leaked byte per step would show as 10 kB.
    _train(3000, w, b, x, y)  # gc.collect emptied CPython's free lists: let them fill again
    tracemalloc.start()
    try:
        _train(20, w, b, x, y)
        start = tracemalloc.get_traced_memory()[0]
        _train(10_000, w, b, x, y)
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 8_000, f"{grown} bytes more after 10,000 steps"
    assert abs(float(w) - 3.0) < 1e-5 and abs(float(b) - 0.5) < 1e-5  # it did train


def _traced_growth(step: Callable[[], Any], steps: int) -> int:
    """Bytes still allocated after ``steps`` more steps, once CPython's free lists are full."""
    for _ in range(2500):  # fills the free lists (2,000 tuples of each size), at full speed
        step()
    tracemalloc.start()
    try:
        for _ in range(20):
            step()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            step()
        return tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()


def test_second_order_and_persistent_loops_keep_memory_flat() -> None:
    w = tf.Variable(np.array([0.5, -0.3]))
    x = tf.constant(np.array([[1.0, 2.0], [3.0, -1.0]]))

    def second_order() -> None:
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = tf.reduce_sum(tf.tanh(tf.linalg.matvec(x, w)) ** 2)
            g = inner.gradient(y, w)
            penalty = tf.reduce_sum(g * g)
        w.assign_sub(0.01 * outer.gradient(penalty, w))

    def persistent() -> None:
        with tf.GradientTape(persistent=True) as tape:
            h = tf.sigmoid(tf.linalg.matvec(x, w))
            a, c = tf.reduce_sum(h), tf.reduce_sum(h * h)
        tape.gradient(a, w), tape.gradient(c, w), tape.jacobian(h, w)
        del tape

    assert _traced_growth(second_order, 1000) < 4_000
    assert _traced_growth(persistent, 1000) < 4_000


def test_no_reference_cycles_through_tensors() -> None:
    """A workload over the whole tape API leaves nothing for the cycle collector."""
    def workload() -> None:
        v = tf.Variable(np.array([0.3, -1.2, 2.0]))
        c = tf.constant([1.0, 2.0, 3.0], tf.float64)
        with tf.GradientTape() as outer:  # nested tapes, second order
            with tf.GradientTape(persistent=True) as inner:
                y = tf.reduce_sum(tf.exp(v) * c)
                z = tf.reduce_logsumexp(v * v)
                with inner.stop_recording():
                    tf.square(v)
            g = inner.gradient([y, z], v)
            inner.jacobian(tf.sin(v), v)
            del inner
        outer.gradient(g, v)

        @tf.custom_gradient
        def clip(x: Any) -> Any:
            return tf.identity(x), lambda dy: tf.clip_by_value(dy, -0.5, 0.5)

        xb = tf.constant(np.ones((2, 3)))
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(xb)
            v.assign(v * 2.0)  # assigned under the tape
            out = clip(xb * xb) + tf.reduce_sum(v)
        tape.gradient(out, [xb, v], unconnected_gradients="zero")
        with tf.GradientTape() as tape:
            tape.watch(xb)
            yb = tf.nn.softmax(xb) * xb
        tape.batch_jacobian(yb, xb)
        tf.debugging.enable_check_numerics()
        try:
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.math.softplus(v))
            tape.gradient(loss, v)
        finally:
            tf.debugging.disable_check_numerics()

    workload()  # first calls may cache
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        workload()
        found = gc.collect()
        garbage = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert found == 0, f"reference cycles left {found} objects: {sorted(set(garbage))}"
