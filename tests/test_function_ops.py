"""Every op in the op table, traced once and replayed on other values, returns what it returns
eagerly: its value and its gradient.

An op that reads a tensor's value while it runs (a permutation, a mask, indices) and hands it to
its kernel as a fixed parameter would be replayed with the traced call's value: a wrong answer
with no warning. The op table reaches every op, so this test finds such an op the day it is
added: it must take that value as an input of its primitive, or check it with a guard
(``tensor.concrete``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from op_table import OPS, Op

import tapegrad as tf


def _cases() -> list[Any]:
    return [pytest.param(op, shapes, id=f"{op.name}{list(shapes)}".replace(" ", ""))
            for op in OPS for shapes in op.shapes]


def _numpy(result: Any) -> list[np.ndarray]:
    outs = result if isinstance(result, (list, tuple)) else [result]
    return [None if o is None else np.asarray(o) for o in outs]


def _same(got: list[Any], want: list[Any], what: str) -> None:
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        if w is None:
            assert g is None, what
            continue
        assert g.shape == w.shape and g.dtype == w.dtype, what
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=0, equal_nan=True, err_msg=what)


def _gradient_fn(op: Op) -> Any:
    """The gradient of a weighted sum of the op's float outputs (distinct weights, so that a
    permutation shows) with respect to its float inputs."""
    def gradients(*xs: Any) -> Any:
        sources = [x for x in xs if x.dtype.is_floating]
        with tf.GradientTape() as tape:
            tape.watch(sources)
            outs = op.fn(*xs)
            loss = tf.constant(0.0, tf.float64)
            for o in outs if isinstance(outs, (list, tuple)) else [outs]:
                if o.dtype.is_floating:
                    weights = np.arange(1.0, np.size(o) + 1).reshape(o.shape)
                    loss += tf.cast(tf.reduce_sum(o * tf.constant(weights, o.dtype)), tf.float64)
        return tape.gradient(loss, sources)
    return gradients


@pytest.mark.parametrize("op, shapes", _cases())
def test_a_traced_op_replays_on_new_values(op: Op, shapes: tuple) -> None:
    traced = tf.function(op.fn)
    calls = [[tf.constant(v) for v in op.inputs(shapes, seed)] for seed in (0, 1, 2)]
    for seed, args in enumerate(calls):
        _same(_numpy(traced(*args)), _numpy(op.fn(*args)), f"{op.name}, call {seed}")
    if not op.grad:
        return
    eager, traced = _gradient_fn(op), tf.function(_gradient_fn(op))
    for seed, args in enumerate(calls):
        _same(_numpy(traced(*args)), _numpy(eager(*args)), f"gradient of {op.name}, call {seed}")


# Ops whose other arguments (indices, masks, bounds, fill values, paddings) are tensors that a
# traced function takes as arguments: each call's values must be used, not the traced call's.
ARGUMENT_OPS = {
    "gather": (lambda x, i: tf.gather(x, i), [([10.0, 20.0, 30.0], [0, 1]),
                                              ([10.0, 20.0, 30.0], [2, 2])]),
    "getitem": (lambda x, i: x[i], [([10.0, 20.0, 30.0], 0), ([10.0, 20.0, 30.0], 2)]),
    "boolean_mask": (lambda x, m: tf.boolean_mask(x, m), [([1.0, 2.0, 3.0], [True, False, True]),
                                                          ([1.0, 2.0, 3.0], [False, False, True])]),
    "sort": (lambda x: tf.sort(x), [([3.0, 1.0, 2.0],), ([1.0, 3.0, 2.0],)]),
    "argsort": (lambda x: tf.argsort(x), [([3.0, 1.0, 2.0],), ([1.0, 3.0, 2.0],)]),
    "fill": (lambda v: tf.fill([2], v), [(1.0,), (2.0,)]),
    "linspace": (lambda a, b: tf.linspace(a, b, 3), [(0.0, 1.0), (0.0, 2.0)]),
    "pad": (lambda x, p: tf.pad(x, p), [([1.0], [[1, 0]]), ([1.0], [[0, 1]])]),
    "reshape": (lambda x, n: tf.reshape(x, [n, -1]), [([1.0] * 6, 2), ([1.0] * 6, 3)]),
    "one_hot": (lambda i: tf.one_hot(i, 3), [([0],), ([2],)]),
}


@pytest.mark.parametrize("name", sorted(ARGUMENT_OPS))
def test_tensor_arguments_are_read_on_every_call(name: str) -> None:
    fn, calls = ARGUMENT_OPS[name]
    traced = tf.function(fn)
    for args in calls * 2:
        tensors = [tf.constant(a) for a in args]
        _same(_numpy(traced(*tensors)), _numpy(fn(*tensors)), f"{name}{args}")


def test_the_gradient_of_gather_follows_each_calls_indices() -> None:
    w = tf.Variable([1.0, 2.0, 3.0])

    @tf.function
    def grad(i):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.gather(w, i) ** 2)
        return tape.gradient(y, w)

    assert grad(tf.constant([0])).numpy().tolist() == [2.0, 0.0, 0.0]
    assert grad(tf.constant([2])).numpy().tolist() == [0.0, 0.0, 6.0]
    assert grad.experimental_get_tracing_count() == 1
