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
    "gather_nd": (lambda x, i: tf.gather_nd(x, i), [([[1.0, 2.0], [3.0, 4.0]], [[0, 1]]),
                                                    ([[1.0, 2.0], [3.0, 4.0]], [[1, 0]])]),
    "scatter_nd": (lambda i, u: tf.scatter_nd(i, u, [3]), [([[0]], [5.0]), ([[2]], [7.0])]),
    "tensor_scatter_nd_update": (lambda x, i, u: tf.tensor_scatter_nd_update(x, i, u),
                                 [([1.0, 2.0, 3.0], [[0]], [9.0]),
                                  ([1.0, 2.0, 3.0], [[2]], [8.0])]),
    "tensor_scatter_nd_max": (lambda x, i, u: tf.tensor_scatter_nd_max(x, i, u),
                              [([1.0, 2.0, 3.0], [[0]], [9.0]), ([1.0, 2.0, 3.0], [[2]], [1.0])]),
    "repeat": (lambda x, r: tf.repeat(x, r), [([1.0, 2.0], [1, 2]), ([1.0, 2.0], [2, 1])]),
    "sequence_mask": (lambda n: tf.sequence_mask(n, 3), [([1, 2],), ([3, 0],)]),
    "unique": (lambda x: tf.unique(x)[1], [([1, 1, 2],), ([1, 2, 2],)]),
    "searchsorted": (lambda s, v: tf.searchsorted(s, v), [([1.0, 2.0, 3.0], [2.5]),
                                                           ([1.0, 2.0, 3.0], [0.5])]),
    "segment_sum": (lambda x, i: tf.math.segment_sum(x, i), [([1.0, 2.0, 3.0], [0, 0, 1]),
                                                             ([1.0, 2.0, 3.0], [0, 1, 1])]),
    "unsorted_segment_sum": (lambda x, i: tf.math.unsorted_segment_sum(x, i, 2),
                             [([1.0, 2.0, 3.0], [0, 1, 0]), ([1.0, 2.0, 3.0], [1, 1, 0])]),
    "bincount": (lambda x: tf.math.bincount(x, minlength=3), [([0, 1, 1],), ([2, 2, 0],)]),
    "top_k": (lambda x: list(tf.math.top_k(x, 2)), [([3.0, 1.0, 2.0],), ([1.0, 3.0, 2.0],)]),
    "in_top_k": (lambda t, p: tf.math.in_top_k(t, p, 1),
                 [([0], [[3.0, 1.0]]), ([0], [[1.0, 3.0]])]),
    "embedding_lookup": (lambda w, i: tf.nn.embedding_lookup(w, i),
                         [([[1.0], [2.0], [3.0]], [0]), ([[1.0], [2.0], [3.0]], [2])]),
    "where": (lambda c: tf.where(c), [([True, False],), ([False, True],)]),
    "confusion_matrix": (lambda y, p: tf.math.confusion_matrix(y, p, 2),
                         [([0, 1], [0, 1]), ([0, 1], [1, 0])]),
    "reverse_sequence": (lambda x, n: tf.reverse_sequence(x, n, seq_axis=1, batch_axis=0),
                         [([[1.0, 2.0, 3.0]], [2]), ([[1.0, 2.0, 3.0]], [3])]),
    "slice": (lambda x, b: tf.slice(x, b, [1]), [([1.0, 2.0, 3.0], [0]), ([1.0, 2.0, 3.0], [2])]),
    "roll": (lambda x, s: tf.roll(x, s, 0), [([1.0, 2.0, 3.0], 1), ([1.0, 2.0, 3.0], 2)]),
    "max_pool2d": (lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"),
                   [(np.arange(16.0).reshape(1, 4, 4, 1),),
                    (np.arange(16.0)[::-1].reshape(1, 4, 4, 1).copy(),)]),
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
