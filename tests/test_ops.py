"""Generic checks of every op in the op table (tests/op_table.py).

For each entry and each of its input shapes: the forward value against NumPy in float32 and
float64 (float32 results stay float32), the first and second derivatives against central
differences in float64, float32 gradients against float64 ones, and None gradients for the ops
that have none.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from op_table import BINARY, DIFFERENTIABLE, OPS, Op

import tapegrad as tf
from tapegrad.test import check_gradients


def _cases(ops: list[Op]) -> list[Any]:
    return [pytest.param(op, shapes, id=f"{op.name}{list(shapes)}".replace(" ", ""))
            for op in ops for shapes in op.shapes]


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _as_dtype(values: list[np.ndarray], dtype: type) -> list[np.ndarray]:
    return [v.astype(dtype) if v.dtype.kind == "f" else v for v in values]


@pytest.mark.parametrize("op, shapes", _cases(OPS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_matches_numpy(op: Op, shapes: tuple, dtype: type) -> None:
    if dtype is np.float32 and not op.float32:
        pytest.skip("float64 only")
    values = _as_dtype(op.inputs(shapes), dtype)
    got = _outputs(op.fn(*[tf.constant(v) for v in values]))
    want = _outputs(op.ref(*[v.astype(np.float64) if v.dtype.kind == "f" else v
                             for v in values]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, tf.Tensor)
        w = np.asarray(w)
        assert g.shape == w.shape
        if w.dtype.kind == "f":
            assert g.dtype == tf.as_dtype(dtype), f"{op.name} gave {g.dtype} for {dtype.__name__}"
            tol = 1e-12 if dtype is np.float64 else 2e-5
            np.testing.assert_allclose(g.numpy(), w, rtol=tol * 50, atol=tol * 10)
        else:
            np.testing.assert_array_equal(g.numpy(), w)


@pytest.mark.parametrize("op, shapes", _cases(DIFFERENTIABLE))
def test_gradients_match_finite_differences(op: Op, shapes: tuple) -> None:
    check_gradients(op.fn, op.inputs(shapes), order=2 if op.order2 else 1, eps=op.eps,
                    rtol=op.rtol, atol=op.atol)


def _tape_gradients(op: Op, values: list[np.ndarray]) -> list[Any]:
    xs = [tf.constant(v) for v in values]
    rng = np.random.default_rng(1)
    with tf.GradientTape() as tape:
        tape.watch(xs)
        outs = _outputs(op.fn(*xs))
        target = [o * tf.constant(rng.uniform(0.5, 1.5, o.shape).astype(values[0].dtype))
                  for o in outs]
    return tape.gradient(target, xs)


@pytest.mark.parametrize("op, shapes", _cases([op for op in DIFFERENTIABLE if op.float32]))
def test_float32_gradients_stay_float32_and_agree(op: Op, shapes: tuple) -> None:
    values = op.inputs(shapes)
    g64 = _tape_gradients(op, values)
    g32 = _tape_gradients(op, _as_dtype(values, np.float32))
    for a, b, v in zip(g32, g64, values):
        assert a is not None and b is not None
        assert a.dtype == tf.float32 and b.dtype == tf.float64
        assert a.shape == v.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("op, shapes", _cases([op for op in OPS if not op.grad and
                                                all(v.dtype.kind == "f"
                                                    for v in op.inputs(op.shapes[0]))]))
def test_no_gradient_where_tensorflow_has_none(op: Op, shapes: tuple) -> None:
    values = op.inputs(shapes)
    xs = [tf.constant(v) for v in values]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        outs = [o for o in _outputs(op.fn(*xs))]
    assert tape.gradient(outs, xs) == [None] * len(xs)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("op", [op for op in BINARY if op.name in
                                ("add", "subtract", "multiply", "truediv", "pow", "maximum",
                                 "squared_difference")], ids=lambda op: op.name)
def test_binary_ops_broadcast_any_shapes(op: Op, data: st.DataObject) -> None:
    shapes, out_shape = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                                max_side=3))
    values = op.inputs(tuple(shapes), seed=data.draw(st.integers(0, 2**16)))
    xs = [tf.constant(v) for v in values]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = op.fn(*xs)
    assert y.shape == out_shape
    np.testing.assert_allclose(y.numpy(), op.ref(*values), rtol=1e-12)
    grads = tape.gradient(y, xs)
    assert [g.shape for g in grads] == [tuple(s) for s in shapes]
    check_gradients(op.fn, values, order=1)
