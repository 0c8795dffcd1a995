"""GradientTape: every rule of TensorFlow's tape (shared/reference/tf-semantics.md §2.4)."""

import logging
import threading

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.errors import InvalidArgumentError

NON_PERSISTENT = ("A non-persistent GradientTape can only be used to compute one set of "
                  "gradients")


def test_variable_gradient():
    w = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = w * w
    assert repr(tape.gradient(y, w)) == "<tapegrad.Tensor: shape=(), dtype=float32, numpy=6.0>"


def test_non_persistent_tape_answers_once():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.jacobian(y, x)


def test_gradient_inside_the_block():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        assert float(tape.gradient(y, x)) == 4.0
        z = y * x  # the tape stopped recording
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.gradient(z, x)


def test_persistent_tape_inside_its_block_records_the_gradient(caplog):
    x = tf.constant(3.0)
    with caplog.at_level(logging.WARNING, logger="tapegrad"):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x ** 3
            dy = tape.gradient(y, x)
        d2y = tape.gradient(dy, x)
    assert (float(dy), float(d2y)) == (27.0, 18.0)
    assert "persistent tape inside its context is significantly less efficient" in caplog.text \
        or tf.tape._warned_persistent_inside


def test_integer_sources_get_none():
    v = tf.Variable(5)
    with tf.GradientTape() as tape:
        y = tf.cast(v, tf.float32) * 2.0
    assert tape.gradient(y, v) is None
    assert tape.watched_variables() == (v,)


def test_watching_an_integer_tensor_warns(caplog):
    n = tf.constant(3)
    with caplog.at_level(logging.WARNING, logger="tapegrad"):
        with tf.GradientTape() as tape:
            tape.watch(n)
            y = n * n
    assert tape.gradient(y, n) is None
    assert "The dtype of the watched tensor must be floating" in caplog.text \
        or tf.tape._int_watch_warnings >= 5


@pytest.mark.parametrize("through", [
    lambda x: tf.cast(tf.cast(x, tf.int32), tf.float32),
    lambda x: tf.round(x),
    lambda x: tf.cast(x > 0, tf.float32),
    lambda x: tf.constant(x.numpy()),
    lambda x: tf.stop_gradient(x * x),
])
def test_no_gradient_through(through):
    x = tf.constant(1.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = through(x)
    assert tape.gradient(y, x) is None


def test_gradient_through_a_float64_cast_comes_back_float32():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(x, tf.float64) * 2
    g = tape.gradient(y, x)
    assert g.dtype == tf.float32 and g.numpy().tolist() == [2.0, 2.0]


def test_non_scalar_targets_are_summed():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        s = tf.reduce_sum(x)
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]
    assert tape.gradient([y, s], x).numpy().tolist() == [3.0, 5.0, 7.0]
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(m)
        p = tf.matmul(m, m)
    assert tape.gradient(p, m).numpy().tolist() == [[7.0, 11.0], [9.0, 13.0]]


def test_unconnected_sources_keep_their_structure():
    c = tf.constant(1.0)
    w = tf.Variable(2.0)
    unused = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = w * 2.0
    grads = tape.gradient(y, {"a": [c, unused], "b": (w,)})
    assert grads["a"] == [None, None] and float(grads["b"][0]) == 2.0
    assert isinstance(grads["b"], tuple)


def test_unconnected_zero():
    w, unused = tf.Variable([1.0, 2.0]), tf.Variable(3.0, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        y = w * 2.0
    zeros = tape.gradient(y, [unused, [w]], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zeros[0].dtype == tf.float64 and float(zeros[0]) == 0.0
    assert tape.gradient(y, unused, unconnected_gradients="zero").numpy() == 0.0
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'foo'"):
        tape.gradient(y, w, unconnected_gradients="foo")


def test_watch_errors():
    with pytest.raises(RuntimeError, match="inside"):
        tf.GradientTape().watch(tf.constant(1.0))
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="Passed in object 3.0 of type 'float'"):
            tape.watch(3.0)
        with pytest.raises(ValueError, match="of type 'ndarray'"):
            tape.watch(np.array([1.0]))


def test_gradient_with_respect_to_intermediates():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert [float(tape.gradient(z, s)) for s in (x, y)] == [108.0, 18.0]
    assert float(tape.gradient(y, x)) == 6.0
    with tf.GradientTape() as tape:
        y = x * x
        z = y * y
    assert tape.gradient(z, y) is None
    with tf.GradientTape() as tape:
        y = x * x
        tape.watch(y)
        z = y * y
    assert float(tape.gradient(z, y)) == 18.0


@pytest.mark.parametrize("x0, power, derivatives", [(3.0, 3, [27.0, 18.0]),
                                                    (2.0, 4, [32.0, 48.0, 48.0])])
def test_nested_tapes_give_every_order(x0, power, derivatives):
    x = tf.Variable(x0)
    tapes = [tf.GradientTape() for _ in derivatives]
    for t in tapes:
        t.__enter__()
    y = x ** power
    got = []
    for t in reversed(tapes):
        t.__exit__(None, None, None)
        y = t.gradient(y, x)
        got.append(float(y))
    assert got == derivatives


def test_watch_accessed_variables_false():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * 3.0 + b * 4.0
    assert [None if g is None else float(g) for g in tape.gradient(y, [a, b])] == [3.0, None]
    assert tape.watched_variables() == (a,)


def test_stop_recording():
    a, b = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = a * b
        with tape.stop_recording():
            z = a * a
        y = y + z
    assert float(tape.gradient(y, a)) == 3.0
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            inside = a * 5.0
    assert tape.gradient(inside, a) is None
    with pytest.raises(ValueError, match="recording"):
        with tape.stop_recording():
            pass


def test_reset_forgets_the_past():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        tape.reset()
        z = x * 3.0
    assert tape.gradient(y, x) is None or float(tape.gradient(z, x)) == 3.0


def test_output_gradients_weight_the_sum():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, 10.0]))
    assert g.numpy().tolist() == [2.0, 0.0, 60.0]
    assert tape.gradient(y, x, output_gradients=[2.0]).numpy().tolist() == [4.0, 8.0, 12.0]
    with pytest.raises(InvalidArgumentError, match="Incompatible shapes"):
        tape.gradient(y, x, output_gradients=tf.constant([1.0, 2.0]))


def test_jacobian_and_hessian():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.jacobian(y, x).numpy().tolist() == [[2, 0, 0], [0, 4, 0], [0, 0, 6]]
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = tf.reduce_sum(v ** 3)
        g = t1.gradient(y, v)
    assert t2.jacobian(g, v).numpy().tolist() == [[6.0, 0.0], [0.0, 12.0]]
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(v * v)
    assert tape.jacobian(s, v).numpy().tolist() == [2.0, 4.0]


def test_batch_jacobian():
    xb = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xb)
        y = xb * xb
        s = tf.reduce_sum(xb)
    j = tape.batch_jacobian(y, xb)
    assert j.shape == (2, 2, 2)
    assert j.numpy().tolist() == [[[2, 0], [0, 4]], [[6, 0], [0, 8]]]
    with pytest.raises(ValueError, match="batch"):
        tape.batch_jacobian(s, xb)


def test_stop_gradient():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * tf.stop_gradient(x)
        z = tf.stop_gradient(x * x)
    assert float(tape.gradient(y, x)) == 2.0 and tape.gradient(z, x) is None


def test_target_and_source_errors():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="received None"):
        tape.gradient(None, x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="sources must be tensors"):
        tape.gradient(y, 3.0)


def test_gradient_of_a_variable_and_of_a_constant_with_respect_to_itself():
    v = tf.Variable(2.0)
    c = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        pass
    assert float(tape.gradient(v, v)) == 1.0 and float(tape.gradient(c, c)) == 1.0


def test_python_control_flow():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x
        for _ in range(2):
            y = y * x
        if x > 1.0:
            y = y + x
    assert float(tape.gradient(y, x)) == 13.0
    with tf.GradientTape() as tape:
        y = x
        while y < 100:
            y = y * x
    assert float(tape.gradient(y, x)) == 448.0


def test_assign_inside_the_tape_uses_the_new_value():
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        v.assign(3.0)
        y = v * v
    assert float(tape.gradient(y, v)) == 6.0


def test_assign_after_use_does_not_change_the_gradient():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v * v
        v.assign(10.0)
    assert float(tape.gradient(y, v)) == 12.0


def test_assign_result_is_the_same_variable_for_gradients():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v.assign(3.0) * 2.0
    assert float(tape.gradient(y, v)) == 2.0


def test_empty_tape_and_non_trainable_variables():
    v = tf.Variable(1.0)
    frozen = tf.Variable(1.0, trainable=False)
    with tf.GradientTape() as tape:
        pass
    assert tape.gradient(tf.constant(1.0), v) is None
    with tf.GradientTape() as tape:
        y = frozen * 2.0
    assert tape.gradient(y, frozen) is None


def test_broadcast_gradients_sum_back():
    X = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = tf.Variable([0.0, 0.0])
    s = tf.Variable(1.0)
    c = tf.Variable([[1.0], [1.0], [1.0]])
    with tf.GradientTape() as tape:
        y = (X + b) * s * c
    gb, gs, gc = tape.gradient(y, [b, s, c])
    assert gb.numpy().tolist() == [3.0, 3.0] and float(gs) == 21.0
    assert gc.numpy().tolist() == [[3.0], [7.0], [11.0]]


@pytest.mark.parametrize("op, x, expected", [
    (lambda x: tf.reduce_max(x), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    (lambda x: tf.abs(x), 0.0, 0.0),
    (lambda x: tf.nn.relu(x), 0.0, 0.0),
    (lambda x: tf.maximum(x, 0.0), 0.0, 1.0),
    (lambda x: tf.sqrt(x), 0.0, np.inf),
    (lambda x: x ** 0.5, 0.0, np.inf),
    (lambda x: tf.math.log(x), 0.0, np.inf),
    (lambda x: tf.norm(x), [0.0, 0.0], [np.nan, np.nan]),
])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) and 1/0 are meant here
def test_gradient_conventions_at_kinks(op, x, expected):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = op(x)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # exp(100) overflows float32, on purpose
def test_custom_gradient():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)
        return tf.math.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))

    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    assert float(tape.gradient(y, x)) == 1.0

    @tf.custom_gradient
    def scaled(a, b):
        return a * b, lambda dy: (dy * 10.0, dy * 20.0)

    a, b = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = scaled(a, b)
    assert [float(g) for g in tape.gradient(y, [a, b])] == [10.0, 20.0]


def test_tapes_are_thread_local():
    x = tf.constant(2.0)
    seen = {}
    with tf.GradientTape() as tape:
        tape.watch(x)

        def other():
            seen["y"] = x * x  # computed on another thread: not on this thread's tape
        t = threading.Thread(target=other)
        t.start()
        t.join()
        mine = x * 3.0
    assert tape.gradient([seen["y"], mine], x).numpy() == 3.0


def test_re_entering_a_used_tape_starts_afresh():
    x = tf.Variable(1.0)
    tape = tf.GradientTape()
    with tape:
        y = x * 2.0
    tape.gradient(y, x)
    with tape:
        z = x * 5.0
    assert float(tape.gradient(z, x)) == 5.0
    with tape:
        with pytest.raises(ValueError, match="re-enter an already-active tape"):
            tape.__enter__()


@pytest.mark.parametrize("value", [0.0, [0.0, 1.0]])
def test_what_assign_returns_is_its_variable_whatever_its_value(value):
    v = tf.Variable(value)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v.assign(value) * 2.0)
    assert tape.watched_variables() == (v,)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), np.full(np.shape(value), 2.0))
    v.assign(value).assign_add(value)  # a chained write lands on the variable
    np.testing.assert_array_equal(v.numpy(), 2 * np.asarray(value, np.float32))
