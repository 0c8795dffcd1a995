"""Forward mode (tf.autodiff.ForwardAccumulator): every differentiable op of the op table, the
API's semantics, and nesting with GradientTape both ways."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from op_table import DIFFERENTIABLE, Op

import tapegrad as tf

FA = tf.autodiff.ForwardAccumulator


def _cases(ops: list[Op]) -> list[Any]:
    return [pytest.param(op, shapes, id=f"{op.name}{list(shapes)}".replace(" ", ""))
            for op in ops for shapes in op.shapes]


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _tangents(values: list[np.ndarray], seed: int = 7) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=v.shape) for v in values]


@pytest.mark.parametrize("op, shapes", _cases(DIFFERENTIABLE))
def test_jvp_matches_finite_differences_and_the_vjp(op: Op, shapes: tuple) -> None:
    values = op.inputs(shapes)
    us = _tangents(values)
    xs = [tf.constant(v) for v in values]
    with FA(xs, [tf.constant(u) for u in us]) as acc:
        outs = _outputs(op.fn(*xs))
    jvps = [j.numpy() for j in acc.jvp(outs, unconnected_gradients="zero")]

    eps = op.eps
    plus = _outputs(op.fn(*[tf.constant(v + eps * u) for v, u in zip(values, us)]))
    minus = _outputs(op.fn(*[tf.constant(v - eps * u) for v, u in zip(values, us)]))
    for j, p, m, o in zip(jvps, plus, minus, outs):
        assert j.shape == tuple(o.shape) and j.dtype == o.numpy().dtype
        fd = (p.numpy() - m.numpy()) / (2 * eps)
        np.testing.assert_allclose(j, fd, rtol=op.rtol * 10, atol=op.atol * 10)

    # <v, J u> == <Jᵀ v, u>: the forward and reverse modes agree exactly, not just to O(eps²)
    rng = np.random.default_rng(3)
    vs = [rng.normal(size=j.shape) for j in jvps]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        outs = _outputs(op.fn(*xs))
    grads = tape.gradient(outs, xs, output_gradients=[tf.constant(v) for v in vs],
                          unconnected_gradients="zero")
    forward = sum(float(np.sum(v * j)) for v, j in zip(vs, jvps))
    reverse = sum(float(np.sum(g.numpy() * u)) for g, u in zip(grads, us))
    # exact up to rounding; an op that computes in float32 inside (compute_average_loss, as TF)
    # rounds there, and its table entry says how much
    tol = max(1e-9, op.rtol if op.rtol > 1e-4 else 0.0)
    np.testing.assert_allclose(forward, reverse, rtol=tol, atol=tol)


@pytest.mark.parametrize("op, shapes", _cases([op for op in DIFFERENTIABLE if op.float32]))
def test_float32_tangents_stay_float32(op: Op, shapes: tuple) -> None:
    values = [v.astype(np.float32) for v in op.inputs(shapes)]
    xs = [tf.constant(v) for v in values]
    us = [tf.constant(u.astype(np.float32)) for u in _tangents(values)]
    with FA(xs, us) as acc:
        outs = _outputs(op.fn(*xs))
    for o, j in zip(outs, acc.jvp(outs, unconnected_gradients="zero")):
        assert j.dtype == o.dtype == tf.float32 and j.shape == o.shape


def _total(terms: list[Any]) -> Any:
    return sum(terms[1:], terms[0])


@pytest.mark.parametrize("op, shapes", _cases([op for op in DIFFERENTIABLE if op.order2]))
def test_hessian_vector_products_three_ways(op: Op, shapes: tuple) -> None:
    """Forward over backward, backward over forward and backward over backward give H u."""
    values = op.inputs(shapes)
    us = [tf.constant(u) for u in _tangents(values)]
    xs = [tf.constant(v) for v in values]
    rng = np.random.default_rng(5)

    def loss() -> Any:
        outs = _outputs(op.fn(*xs))
        weights = [tf.constant(rng.uniform(0.5, 1.5, o.shape)) for o in outs]
        return _total([tf.reduce_sum(w * o) for w, o in zip(weights, outs)])

    rng = np.random.default_rng(5)
    with FA(xs, us) as acc:
        with tf.GradientTape() as tape:
            tape.watch(xs)
            y = loss()
        grads = tape.gradient(y, xs, unconnected_gradients="zero")
    fwd_bwd = acc.jvp(grads, unconnected_gradients="zero")

    rng = np.random.default_rng(5)
    with tf.GradientTape() as tape:
        tape.watch(xs)
        with FA(xs, us) as acc:
            y = loss()
        directional = acc.jvp(y)
    bwd_fwd = tape.gradient(directional, xs, unconnected_gradients="zero")

    rng = np.random.default_rng(5)
    with tf.GradientTape() as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = loss()
        grads = inner.gradient(y, xs, unconnected_gradients="zero")
        dot = _total([tf.reduce_sum(g * u) for g, u in zip(grads, us)])
    bwd_bwd = outer.gradient(dot, xs, unconnected_gradients="zero")

    for a, b, c in zip(fwd_bwd, bwd_fwd, bwd_bwd):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-8, atol=1e-9)


def test_the_api_example_linear_regression() -> None:
    x = tf.constant([[2.0, 3.0], [1.0, 4.0]])
    targets = tf.constant([[1.0], [-1.0]])
    kernel, bias = tf.Variable([[0.5], [-0.25]]), tf.Variable([0.1])
    with FA(primals=kernel, tangents=tf.constant([[1.0], [0.0]])) as acc:
        loss = tf.reduce_sum((tf.matmul(x, kernel) + bias - targets) ** 2.0)
    residual = x.numpy() @ kernel.numpy() + bias.numpy() - targets.numpy()
    # d loss / d kernel[0, 0] = 2 * sum(residual * x[:, 0])
    np.testing.assert_allclose(acc.jvp(loss).numpy(), 2 * np.sum(residual[:, 0] * [2.0, 1.0]),
                               rtol=1e-6)
    assert acc.jvp(loss).dtype == tf.float32


def test_forward_over_forward_gives_second_derivatives() -> None:
    x = tf.constant(1.5)
    with FA(x, tf.constant(1.0)) as outer:
        with FA(x, tf.constant(1.0)) as inner:
            y = x ** 3
        first = inner.jvp(y)
    assert float(first) == pytest.approx(3 * 1.5 ** 2)
    assert float(outer.jvp(first)) == pytest.approx(6 * 1.5)
    assert float(outer.jvp(y)) == pytest.approx(3 * 1.5 ** 2)


def test_tangents_follow_the_primals_structure_and_dtype() -> None:
    a, b = tf.constant([1.0, 2.0]), tf.constant(3.0, tf.float64)
    with FA({"a": a, "b": b}, {"a": tf.constant([1.0, -1.0]), "b": 2.0}) as acc:
        y = a * 2.0
        z = b * b
    out = acc.jvp({"y": y, "z": z, "both": [y, a]})
    assert out["y"].numpy().tolist() == [2.0, -2.0] and out["y"].dtype == tf.float32
    assert float(out["z"]) == 12.0 and out["z"].dtype == tf.float64
    assert out["both"][1].numpy().tolist() == [1.0, -1.0]


def test_unconnected_targets() -> None:
    x = tf.constant([1.0, 2.0])
    with FA(x, tf.constant([1.0, 0.0])) as acc:
        c = tf.constant([3.0, 4.0]) * 2.0
        stopped = tf.stop_gradient(x) * 2.0
        index = tf.argmax(x)
    assert acc.jvp(c) is None and acc.jvp(stopped) is None and acc.jvp(index) is None
    zeros = acc.jvp(c, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zeros.numpy().tolist() == [0.0, 0.0] and zeros.dtype == tf.float32
    with pytest.raises(ValueError):
        acc.jvp(c, unconnected_gradients="foo")
    with pytest.raises(TypeError, match="needs tensors"):
        acc.jvp(3.0)


def test_only_ops_inside_the_block_carry_tangents() -> None:
    x = tf.constant([1.0, 2.0])
    acc = FA(x, tf.constant([1.0, 0.0]))
    assert acc.jvp(x).numpy().tolist() == [1.0, 0.0]  # a primal is watched from the start
    with acc:
        inside = x * 3.0
        assert acc.jvp(inside).numpy().tolist() == [3.0, 0.0]  # jvp works inside too
    outside = x * 3.0
    assert acc.jvp(outside) is None
    with acc:  # entered again, it accumulates again
        again = inside * x
    assert acc.jvp(again).numpy().tolist() == [6.0, 0.0]


def test_errors_as_tensorflow_raises_them() -> None:
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype float64"):
        FA(x, tf.constant([1.0, 2.0], tf.float64))
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype int32"):
        FA(x, tf.constant([1, 2]))
    with pytest.raises(ValueError, match="same nested structure"):
        FA(x, [1.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="specified as a primal multiple times"):
        FA([x, x], [x, x])
    with pytest.raises(ValueError, match="Tangent shape"):
        FA(x, tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="primals must be tensors"):
        FA(1.0, 2.0)
    acc = FA(x, x)
    with acc:
        with pytest.raises(ValueError, match="Accumulator is already recording."):
            acc.__enter__()


def test_integer_primals_carry_no_tangent() -> None:
    n = tf.constant([1, 2])
    with FA(n, tf.constant([1, 1])) as acc:
        y = n * 2
    assert acc.jvp(y) is None


def test_variables_as_primals_and_what_assign_returns() -> None:
    v = tf.Variable([1.0, 2.0])
    with FA(v, tf.constant([1.0, 3.0])) as acc:
        y = tf.reduce_sum(v * v)
        read = v.assign_add([1.0, 1.0]) * 1.0  # an UnreadVariable stands for v
    assert float(acc.jvp(y)) == 2 * 1.0 + 2 * 2.0 * 3.0
    assert acc.jvp(read).numpy().tolist() == [1.0, 3.0]
    assert acc.jvp(v).numpy().tolist() == [1.0, 3.0]


def test_custom_gradients_are_transposed_for_forward_mode() -> None:
    @tf.custom_gradient
    def scaled(x):
        return x * 1.0, lambda dy: dy * 10.0

    x = tf.constant(2.0)
    with FA(x, tf.constant(1.0)) as acc:
        y = scaled(x)
    assert float(acc.jvp(y)) == 10.0


def test_other_threads_are_not_accumulated() -> None:
    x = tf.constant(2.0)
    seen = []
    with FA(x, tf.constant(1.0)) as acc:
        worker = threading.Thread(target=lambda: seen.append(x * x))
        worker.start()
        worker.join()
        here = x * x
    assert acc.jvp(seen[0]) is None and float(acc.jvp(here)) == 4.0


def test_an_accumulator_costs_nothing_once_exited() -> None:
    from tapegrad import tape
    before = tape.recording
    with FA(tf.constant(1.0), tf.constant(1.0)):
        assert tape.recording == before + 1
    assert tape.recording == before


def test_matches_tensorflow() -> None:
    tf_ = pytest.importorskip("tensorflow")
    values = np.array([[0.3, -1.2], [0.7, 0.4]])
    tangent = np.array([[1.0, 0.5], [-0.5, 2.0]])

    def f(lib: Any, x: Any) -> Any:
        return lib.reduce_sum(lib.nn.softmax(lib.matmul(x, x)) * lib.tanh(x))

    results = []
    for lib in (tf, tf_):
        x = lib.Variable(values)
        with lib.autodiff.ForwardAccumulator(x, lib.constant(tangent)) as acc:
            with lib.GradientTape() as tape:
                y = f(lib, x)
            grad = tape.gradient(y, x)
        results.append((acc.jvp(y).numpy(), acc.jvp(grad).numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10)


def test_through_a_function() -> None:
    @tf.function
    def f(x):
        return tf.reduce_sum(tf.sin(x) * x)

    x = tf.constant([0.5, 1.0])
    f(x)  # traced before: under an accumulator it runs eagerly, so its ops get tangents
    with FA(x, tf.constant([1.0, 1.0])) as acc:
        y = f(x)
    want = np.sum(np.cos([0.5, 1.0]) * [0.5, 1.0] + np.sin([0.5, 1.0]))
    assert float(acc.jvp(y)) == pytest.approx(want, rel=1e-6)
