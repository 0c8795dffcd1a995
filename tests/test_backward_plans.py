"""Backward plans: a backward pass seen twice runs as generated code, bit for bit the same.

Each check builds a fresh tape per step, as a training loop does, and compares what the plan
gives with what the general backward pass gives on the same values: same dtype, same type,
same bits. ``general`` clears the plans first, so its one call runs the general pass; ``planned``
runs a step three times (counted, compiled, then the plan) on different values and checks the
plan was used.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from op_table import DIFFERENTIABLE, Op

import tapegrad as tf
from tapegrad import tape as tape_module


@pytest.fixture(autouse=True)
def no_plans():
    tape_module._plans.clear()
    yield
    tape_module._plans.clear()


def _plans() -> list[Callable[..., Any]]:
    return [p for p in tape_module._plans.values() if callable(p)]


def _bits(x: Any) -> Any:
    """Everything bit-identity covers: None, or (type, dtype, shape, bytes) per leaf."""
    if isinstance(x, (list, tuple)):
        return [_bits(v) for v in x]
    if x is None:
        return None
    v = x._value if isinstance(x, tf.Tensor) else x
    return type(v), v.dtype, np.shape(v), np.asarray(v).tobytes()


def general(step: Callable[[Any], Any], value: Any) -> Any:
    tape_module._plans.clear()
    return _bits(step(value))


def planned(step: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``step`` on each value in turn (the first three with one key: count, compile, plan)."""
    tape_module._plans.clear()
    results = [_bits(step(v)) for v in values]
    assert _plans(), "no plan was compiled"
    return results


def assert_plans_agree(step: Callable[[Any], Any], values: list[Any]) -> int:
    """Check the plans against the general pass; how many plans the steps compiled."""
    got = planned(step, values)
    compiled = len(_plans())
    want = [general(step, v) for v in values]
    assert got == want
    return compiled


# ----- the op table, in both modes -----

def _cases(ops: list[Op]) -> list[Any]:
    return [pytest.param(op, shapes, id=f"{op.name}{list(shapes)}".replace(" ", ""))
            for op in ops for shapes in op.shapes]


@pytest.mark.parametrize("op, shapes", _cases(DIFFERENTIABLE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_op_table_gradients_are_bit_identical_with_plans(op: Op, shapes: tuple,
                                                         dtype: type) -> None:
    if dtype is np.float32 and not op.float32:
        pytest.skip("float64 only")

    def step(seed: int) -> Any:
        values = [v.astype(dtype) if v.dtype.kind == "f" else v
                  for v in op.inputs(shapes, seed=seed)]
        xs = [tf.constant(v) for v in values]
        weights = np.random.default_rng(seed)
        with tf.GradientTape() as tape:
            tape.watch([x for x in xs if x.dtype.is_floating])
            outs = op.fn(*xs)
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            target = [o * tf.constant(weights.uniform(0.5, 1.5, o.shape).astype(o._value.dtype))
                      for o in outs if o.dtype.is_floating]
        keyable = _hashable(tape._key)
        grads = tape.gradient(target, xs)
        return grads, keyable

    runs = [step(seed) for seed in (1, 2, 3, 4)]
    if not runs[0][1]:  # a param that cannot be part of a key (an array, a slice): no plan
        assert not _plans()
        return
    tape_module._plans.clear()
    got = [_bits(step(seed)[0]) for seed in (1, 2, 3, 4)]
    assert _plans()
    assert got == [general(lambda s: step(s)[0], seed) for seed in (1, 2, 3, 4)]


def _hashable(key: list[Any]) -> bool:
    try:
        hash(tuple(key))
        return True
    except TypeError:
        return False


# ----- keys that differ -----

def test_shapes_alternate_between_plans():
    w = tf.Variable([1.0, 2.0, 3.0])

    def step(x: np.ndarray) -> Any:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(w * tf.constant(x) + 1.0))
        return tape.gradient(loss, w)

    shapes = [(3,), (2, 3), (1,), (), (2, 1)] * 3
    values = [np.arange(1, 1 + np.prod(s), dtype=np.float32).reshape(s) / 7 for s in shapes]
    # A constant's shape is not part of the key: only the shapes the plan's decisions depend
    # on are, here the products' (3,) and (2, 3).
    assert assert_plans_agree(step, values) == 2


def test_dtypes_share_a_plan_and_keep_their_own():
    def step(x: np.ndarray) -> Any:
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.reduce_mean(tf.exp(t) * t)
        return tape.gradient(y, t)

    values = [np.linspace(-1, 1, 4, dtype=d) for d in (np.float32, np.float64) * 3]
    assert_plans_agree(step, values)
    assert [g[1] for g in planned(step, values)] == [np.dtype(np.float32),
                                                    np.dtype(np.float64)] * 3


def test_params_are_part_of_the_key():
    x = tf.constant([[1.0, 2.0], [3.0, 5.0]])

    def step(axis: int) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.reduce_max(x * x, axis=axis) * [1.0, 10.0])
        return tape.gradient(y, x)

    assert_plans_agree(step, [0, 1] * 3)
    assert general(step, 0) != general(step, 1)


def test_python_scalars_and_captured_values_are_inputs_not_constants():
    w = tf.Variable(2.0)
    data = {"x": tf.constant([1.0, 2.0])}

    def step(c: float) -> Any:
        data["x"] = data["x"] + 1.0  # a captured value that changes every step
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(c * (w * data["x"]) ** 2)
        g = tape.gradient(loss, w)
        w.assign_sub(0.01 * g)
        return g

    got = planned(step, [0.5, 1.5, 2.5, 3.5, 4.5])
    w.assign(2.0)
    data["x"] = tf.constant([1.0, 2.0])
    want = [general(step, c) for c in [0.5, 1.5, 2.5, 3.5, 4.5]]
    assert got == want
    assert len({g[3] for g in got}) == 5  # every step's gradient differs


def test_watched_sources_pick_their_plan():
    a, b = tf.Variable(1.5), tf.Variable(-0.5)
    c = tf.constant(4.0)

    def step(sources: str) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(c)
            y = a * b * c + a * a
        return tape.gradient(y, {"a": [a], "b": [b], "ab": [a, b], "ba": [b, a], "aa": [a, a],
                                 "c": [c], "abc": [a, b, c]}[sources])

    order = ["a", "b", "ab", "ba", "aa", "c", "abc"]
    assert_plans_agree(step, order * 3)


def test_unconnected_sources():
    a, b = tf.Variable(1.5), tf.Variable(-0.5)
    free = tf.constant([1.0, 2.0])

    def step(mode: str) -> Any:
        with tf.GradientTape() as tape:
            y = a * a
            z = b + 1.0  # recorded, not on the path to y
        del z
        return tape.gradient(y, [a, b, free], unconnected_gradients=mode)

    assert_plans_agree(step, ["none", "zero"] * 3)
    assert general(step, "none")[1:] == [None, None]
    assert general(step, "zero")[2][1:3] == (np.dtype(np.float32), (2,))


def test_output_gradients_are_inputs():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])

    def step(og: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.matmul(x, x)
        return tape.gradient(y, x, output_gradients=og)

    ogs = [None, [[1.0, 0.0], [0.0, 2.0]], [[0.5, -1.0], [2.0, 0.0]], 3.0, [1.0, -1.0]] * 3
    assert_plans_agree(step, ogs)


def test_several_targets_and_a_target_that_is_a_source():
    x = tf.Variable([1.0, 2.0])

    def step(scale: float) -> Any:
        with tf.GradientTape() as tape:
            y = x * scale
            z = tf.reduce_sum(y * y)
        return tape.gradient([z, y, y], [x, y])

    assert_plans_agree(step, [1.0, 2.0, 3.0, 4.0])


def test_persistent_tape_plans_its_own_repeats():
    x = tf.Variable([1.0, -2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(tf.sin(x) * x)
        z = tf.reduce_sum(tf.exp(x))
    first = [_bits(tape.gradient(t, x)) for t in (y, z, y, z, y, z)]
    assert len(_plans()) == 2
    assert first[0::2] == [first[0]] * 3 and first[1::2] == [first[1]] * 3
    tape_module._plans.clear()
    assert _bits(tape.gradient(y, x)) == first[0]


def test_higher_order_gradients_run_the_general_pass():
    x = tf.Variable(1.3)

    def step(_: int) -> Any:
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = x * x * x + tf.sin(x)
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    results = [_bits(step(i)) for i in range(4)]
    assert results == [results[0]] * 4
    # The inner pass ran on tensors, recorded by the outer tape; only the outer one (first
    # order, on NumPy values) has a plan.
    assert len(_plans()) == 1
    d1, d2 = step(0)
    assert float(d1) == pytest.approx(3 * 1.3 ** 2 + np.cos(1.3), rel=1e-6)
    assert float(d2) == pytest.approx(6 * 1.3 - np.sin(1.3), rel=1e-6)


def test_first_order_plans_inside_an_outer_gradient_step():
    w = tf.Variable([0.5, -1.0])

    def step(_: int) -> Any:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.tanh(w) * w)
        return tape.gradient(loss, w)

    assert_plans_agree(step, range(4))


def test_variables_assigned_between_record_and_gradient():
    v = tf.Variable([3.0, 1.0])

    def step(new: float) -> Any:
        v.assign([3.0, 1.0])
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(v * v * v)
        v.assign([new, new])  # the gradient is at the value the ops saw
        return tape.gradient(y, v)

    assert_plans_agree(step, [5.0, -2.0, 7.0, 0.0])
    assert general(step, 5.0)[3] == np.array([27.0, 3.0], np.float32).tobytes()


def test_a_rule_without_a_gradient_is_not_compiled():
    @tf.custom_gradient
    def maybe(x):
        return tf.identity(x), lambda dy: None

    x = tf.constant(2.0)

    def step(_: int) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = maybe(x) * x
        return tape.gradient(y, x)

    assert [_bits(step(i)) for i in range(4)] == [general(step, 0)] * 4


def test_jacobian_rows_share_a_plan():
    x = tf.constant([0.5, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.exp(x) * tf.reduce_sum(x)
    jacobian = tape.jacobian(y, x)
    assert _plans()
    e, s = np.exp([0.5, 1.0, 2.0]), 3.5
    want = np.diag(e * s) + e[:, None]
    np.testing.assert_allclose(jacobian.numpy(), want, rtol=1e-6)
