"""py_function, numpy_function and the graph-only names that eager programs still call
(identity_n, ensure_shape, no_op, group, control_dependencies, get_static_value); each expected
behaviour was observed in TensorFlow 2.21."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tapegrad as tf


def test_py_function_converts_results_to_tout() -> None:
    out = tf.py_function(lambda x: 2, [tf.constant(3.0)], tf.float32)
    assert out.dtype == tf.float32 and float(out) == 2.0
    a, b = tf.py_function(lambda x: (x * 2, x), [tf.constant(3.0)], [tf.float32, tf.float32])
    assert (float(a), float(b)) == (6.0, 3.0)


def test_gradients_flow_through_py_function_but_not_numpy_function() -> None:
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.py_function(lambda a: a * a, [x], tf.float32)
        z = tf.numpy_function(lambda a: a * a, [x], tf.float32)
    assert float(tape.gradient(y, x)) == 6.0
    assert tape.gradient(z, x) is None
    assert float(z) == 9.0


def test_numpy_function_gets_numpy_values() -> None:
    seen = []
    out = tf.numpy_function(lambda a: seen.append(type(a)) or np.sort(a),
                            [tf.constant([3, 1, 2])], tf.int32)
    assert seen == [np.ndarray] and out.numpy().tolist() == [1, 2, 3]


@pytest.mark.parametrize("make", [tf.numpy_function, tf.py_function])
def test_a_traced_function_calls_the_python_function_on_every_call(make) -> None:
    calls = []

    def count(x):
        calls.append(1)
        return np.float32(len(calls)) + np.asarray(x)

    f = tf.function(lambda x: make(count, [x], tf.float32) * 2.0)
    results = [float(f(tf.constant(1.0))) for _ in range(3)]
    assert results == [4.0, 6.0, 8.0]  # eagerly the same: 2 * (n + 1) for the n-th call
    assert len(calls) == 3 and f.experimental_get_tracing_count() == 1


def test_several_results_in_a_traced_function() -> None:
    f = tf.function(lambda x: tf.py_function(lambda a: (a * 2, a + 1), [x],
                                             [tf.float32, tf.float32]))
    assert [float(t) for t in f(tf.constant(3.0))] == [6.0, 4.0]
    assert [float(t) for t in f(tf.constant(4.0))] == [8.0, 5.0]


def test_a_result_count_that_does_not_match_tout_is_an_error() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="returned 1 values, but Tout has 2"):
        tf.numpy_function(lambda a: a, [tf.constant(1.0)], [tf.float32, tf.float32])


def test_identity_n() -> None:
    a, b = tf.identity_n([tf.constant(1.0), tf.constant([2, 3])])
    assert float(a) == 1.0 and b.numpy().tolist() == [2, 3] and b.dtype == tf.int32


def test_ensure_shape() -> None:
    x = tf.constant([[1.0, 2.0]])
    assert tf.ensure_shape(x, [None, 2]).shape == (1, 2)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"^Shape of tensor input \[1,2\] is not compatible with expected "
                             r"shape \[\?,3\]\. \[Op:EnsureShape\]"):
        tf.ensure_shape(x, [None, 3])
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.ensure_shape(v, [2]) * 3.0)
    assert tape.gradient(y, v).numpy().tolist() == [3.0, 3.0]


def test_graph_only_names_do_nothing_eagerly() -> None:
    assert tf.no_op() is None
    assert tf.group(tf.constant(1.0)) is None
    with tf.control_dependencies([tf.constant(1.0)]):
        y = tf.constant(2.0) * 2.0
    assert float(y) == 4.0


def test_get_static_value() -> None:
    assert tf.get_static_value(tf.constant([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert tf.get_static_value(3) == 3 and tf.get_static_value([1, 2]) == [1, 2]
    assert tf.get_static_value(tf.Variable(1.0)) is None

    @tf.function
    def f(x):
        return tf.constant(tf.get_static_value(x) is None), tf.get_static_value(tf.constant(2.0))

    known, value = f(tf.constant(1.0))
    assert bool(known) and float(value) == 2.0


def test_tf_print_under_check_numerics() -> None:
    stream = io.StringIO()
    tf.debugging.enable_check_numerics()
    try:
        tf.print("x:", tf.constant([1.0]), output_stream=stream)
        a, b = tf.numpy_function(lambda a: (a, a), [tf.constant(1.0)], [tf.float32, tf.float32])
    finally:
        tf.debugging.disable_check_numerics()
    assert stream.getvalue() == "x: [1]\n" and float(a) == float(b) == 1.0


def test_adjust_contrast_is_recorded_without_a_gradient() -> None:
    # TensorFlow 2.21: per-channel (x - mean) * factor + mean, integers saturated back, and a
    # tape that records it raises LookupError for its gradient (the autodiff guide's example).
    x = np.arange(12.0, dtype=np.float32).reshape(1, 2, 2, 3)
    assert tf.image.adjust_contrast(x, 2.0).numpy()[0, 0, 0].tolist() == [-4.5, -3.5, -2.5]
    ints = tf.image.adjust_contrast(np.arange(12, dtype=np.uint8).reshape(2, 2, 3), 2.0)
    assert ints.dtype == tf.uint8 and ints.numpy()[:, :, 0].tolist() == [[0, 1], [7, 13]]
    image, delta = tf.Variable([[[0.5, 0.0, 0.0]]]), tf.Variable(0.1)
    with tf.GradientTape() as tape:
        new_image = tf.image.adjust_contrast(image, delta)
    with pytest.raises(LookupError, match="gradient registry has no entry for: AdjustContrastv2"):
        tape.gradient(new_image, [image, delta])
    with pytest.raises(tf.errors.InvalidArgumentError, match="input must be at least 3-D"):
        tf.image.adjust_contrast([1.0, 2.0], 2.0)


def test_py_function_as_a_decorator() -> None:
    @tf.py_function(Tout=tf.float32)
    def plus(x, y):
        return x + y

    traced = tf.function(lambda x, y: plus(x, y))
    assert float(plus(tf.constant(1.0), tf.constant(2.0))) == 3.0
    assert float(traced(tf.constant(1.0), tf.constant(5.0))) == 6.0
    assert float(traced(tf.constant(2.0), tf.constant(5.0))) == 7.0
