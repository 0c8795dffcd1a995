"""Arrays and indexing beyond the op table: Variable slice assignment and scatter methods, the
tape's view of those writes, index-valued ops, and errors in TensorFlow's types."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf


class Slices:
    """An IndexedSlices-like value: what Variable.scatter_* take."""

    def __init__(self, values: object, indices: object) -> None:
        self.values, self.indices = values, indices


def test_variable_slice_assign_writes_in_place_and_returns_the_variable() -> None:
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = v[0].assign([7.0, 8.0])
    assert out.name == "UnreadVariable"
    v[1:3, 1].assign([9.0, 10.0])
    np.testing.assert_array_equal(v.numpy(), [[7, 8], [3, 9], [5, 10]])
    assert v[0].assign([0.0, 0.0], read_value=False) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="sliced l-value shape"):
        v[0].assign([1.0, 2.0, 3.0])


def test_tape_sees_a_slice_write_as_tensorflow_does() -> None:
    # TensorFlow: reads after the write see the new value; the written value gets no gradient
    v = tf.Variable([1.0, 2.0, 3.0])
    x = tf.constant(5.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        v[0].assign(x * 2)
        y = tf.reduce_sum(v * v)
    gv, gx = tape.gradient(y, [v, x])
    np.testing.assert_array_equal(gv.numpy(), [20.0, 4.0, 6.0])
    assert gx is None
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1:] * 3.0)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [0.0, 3.0, 3.0])


def test_variable_scatter_methods() -> None:
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    v.scatter_nd_update([[0, 1]], [9.0])
    v.scatter_nd_add([[1, 0], [1, 0]], [1.0, 1.0])
    v.scatter_nd_sub([[1, 1]], [4.0])
    np.testing.assert_array_equal(v.numpy(), [[1, 9], [5, 0]])
    v.scatter_add(Slices([[1.0, 1.0], [1.0, 1.0]], [0, 0]))
    v.scatter_update(Slices([[7.0, 7.0]], [1]))
    v.scatter_max(Slices([[2.0, 20.0]], [0]))
    v.scatter_min(Slices([[1.0, 9.0]], [1]))
    v.scatter_sub(Slices([[1.0, 1.0]], [0]))
    np.testing.assert_array_equal(v.numpy(), [[2, 19], [1, 7]])
    with pytest.raises(TypeError, match="IndexedSlices"):
        v.scatter_add([1.0, 2.0])


def test_slice_and_scatter_writes_replay_in_a_traced_function() -> None:
    v = tf.Variable([0.0, 0.0, 0.0])

    @tf.function
    def write(x: tf.Tensor) -> None:
        v[1:].assign(x)
        v.scatter_nd_add([[0]], x[:1])

    write(tf.constant([1.0, 2.0]))
    write(tf.constant([3.0, 4.0]))
    np.testing.assert_array_equal(v.numpy(), [4.0, 3.0, 4.0])


def test_unique_with_counts_and_where_with_one_argument() -> None:
    y, idx, count = tf.unique_with_counts([4, 4, 1, 4, 2, 1])
    assert (y.numpy().tolist(), idx.numpy().tolist(), count.numpy().tolist()) == \
        ([4, 1, 2], [0, 0, 1, 0, 2, 1], [3, 2, 1])
    assert tf.unique([1.5, 1.5], out_idx=tf.int64).idx.dtype == tf.int64
    w = tf.where([[True, False], [False, True]])
    assert w.dtype == tf.int64 and w.numpy().tolist() == [[0, 0], [1, 1]]


def test_sequence_mask_without_maxlen_and_with_dtype() -> None:
    m = tf.sequence_mask([1, 3], dtype=tf.float32)
    assert m.dtype == tf.float32 and m.numpy().tolist() == [[1, 0, 0], [1, 1, 1]]


def test_strided_slice_matches_python_slicing() -> None:
    x = tf.reshape(tf.range(24), (2, 3, 4))
    got = tf.strided_slice(x, [1, -1, 0], [0, 0, 4], [1, -1, 2], begin_mask=1, end_mask=1)
    np.testing.assert_array_equal(got.numpy(), x.numpy()[:, -1:0:-1, 0:4:2])
    got = tf.strided_slice(x, [1, 2], [2, 3], shrink_axis_mask=3)
    np.testing.assert_array_equal(got.numpy(), x.numpy()[1, 2])


def test_scatter_and_gather_errors() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into param shape"):
        tf.gather_nd([[1, 2]], [[0, 2]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="updates"):
        tf.scatter_nd([[0], [1]], [1.0], [3])
    with pytest.raises(TypeError, match="indices"):
        tf.gather_nd([1, 2], [[0.5]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="size"):
        tf.slice([1, 2, 3], [1], [3])


def test_scatter_nd_max_shares_the_gradient_at_ties() -> None:
    x = tf.constant([1.0, 4.0])
    u = tf.constant([4.0, 0.0])
    with tf.GradientTape() as tape:
        tape.watch([x, u])
        y = tf.tensor_scatter_nd_max(x, [[1], [0]], u)
    gx, gu = tape.gradient(y, [x, u])
    assert y.numpy().tolist() == [1.0, 4.0]
    assert gx.numpy().tolist() == [1.0, 0.5] and gu.numpy().tolist() == [0.5, 0.0]


def test_boolean_mask_takes_a_numeric_mask_as_tensorflow_does() -> None:
    x = tf.reshape(tf.range(6), (3, 2))
    assert tf.boolean_mask(x, [1, 0, 2]).numpy().tolist() == [[0, 1], [4, 5]]
    assert tf.boolean_mask(x, [True, False], axis=1).numpy().tolist() == [[0], [2], [4]]
