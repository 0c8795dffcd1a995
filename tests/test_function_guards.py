"""tapegrad.function is never wrong: every conversion of a traced value is a guard.

Each test builds the same function twice (with its own variables), runs one eagerly and one
traced on inputs that switch paths, and compares call by call; effects (variable writes,
optimizer steps, random draws, tapegrad.print) must happen exactly once per call.
"""

import importlib
import io
import logging

import numpy as np
import pytest

import tapegrad as tf

function_module = importlib.import_module("tapegrad.function")


def _same(a, b):
    fa, fb = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        xv = np.asarray(x.numpy() if isinstance(x, tf.Tensor) else x)
        yv = np.asarray(y.numpy() if isinstance(y, tf.Tensor) else y)
        assert xv.shape == yv.shape and np.array_equal(xv, yv, equal_nan=True), (x, y)


def _compare(make, calls):
    """``make()`` returns (function, variables); run an eager and a traced copy on ``calls``."""
    eager, eager_vars = make()
    traced_fn, traced_vars = make()
    traced = tf.function(traced_fn)
    for args in calls:
        _same(eager(*args), traced(*args))
        _same([v.numpy() for v in eager_vars], [v.numpy() for v in traced_vars])
    return traced


def _c(*values, dtype=tf.float32):
    return tf.constant(list(values) if len(values) > 1 else values[0], dtype=dtype)


def test_the_issue_example_switches_paths():
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return x * -1.0
    assert f(_c(1.0, 2.0)).numpy().tolist() == [2.0, 4.0]
    assert f(_c(-1.0, -2.0)).numpy().tolist() == [1.0, 2.0]
    assert f(_c(3.0, 1.0)).numpy().tolist() == [6.0, 2.0]
    assert f(_c(-3.0, -1.0)).numpy().tolist() == [3.0, 1.0]
    assert f.experimental_get_tracing_count() == 2  # one plan per path, then replayed


def test_bool_of_a_tensor():
    def make():
        return (lambda x: x + 1.0 if bool(x > 0.0) else x - 1.0), []
    _compare(make, [(_c(1.0),), (_c(-1.0),), (_c(2.0),), (_c(-5.0),)])


def test_float_of_a_tensor():
    def make():
        def f(x):
            s = float(tf.reduce_max(x))
            return x * s + (1.0 if s > 2 else 0.0)
        return f, []
    _compare(make, [(_c(1.0, 3.0),), (_c(1.0, 2.0),), (_c(4.0, 1.0),), (_c(1.0, 3.0),)])


def test_int_of_a_tensor_in_range():
    def make():
        def f(x, n):
            for _ in range(int(n)):
                x = x * 2.0
            return x
        return f, []
    calls = [(_c(1.0), _c(3, dtype=tf.int32)), (_c(1.0), _c(1, dtype=tf.int32)),
             (_c(2.0), _c(3, dtype=tf.int32)), (_c(1.0), _c(0, dtype=tf.int32))]
    _compare(make, calls)


def test_index_from_argmax():
    def make():
        def f(x):
            i = int(tf.argmax(x))
            return x[i] * 10.0 + x[tf.argmin(x)]  # int() and a tensor index: both guarded
        return f, []
    _compare(make, [(_c(1.0, 5.0, 2.0),), (_c(9.0, 5.0, 2.0),), (_c(1.0, 5.0, 7.0),),
                    (_c(0.0, 6.0, 2.0),)])


def test_operator_index_and_shape_arguments():
    def make():
        def f(x, k):
            return tf.reshape(tf.tile(x, [k]), [-1]) * float(len(range(k)))
        return f, []
    calls = [(_c(1.0, 2.0), _c(2, dtype=tf.int32)), (_c(1.0, 2.0), _c(3, dtype=tf.int32))]
    traced = _compare(make, calls)
    assert traced.experimental_get_tracing_count() == 2


def test_numpy_and_array_protocol():
    def make():
        def f(x):
            a = x.numpy()  # NumPy work outside ops: its value is baked in, so guarded
            b = np.asarray(x * 2.0)
            return tf.constant(np.sort(a) + b.max())
        return f, []
    _compare(make, [(_c(3.0, 1.0),), (_c(5.0, 1.0),), (_c(3.0, 1.0),)])


def test_tf_range_of_a_traced_limit():
    def make():
        return (lambda n: tf.reduce_sum(tf.range(n))), []
    _compare(make, [(_c(3, dtype=tf.int32),), (_c(5, dtype=tf.int32),),
                    (_c(3, dtype=tf.int32),)])


def test_while_on_a_tensor_condition():
    def make():
        def f(y):
            while tf.reduce_sum(y) < 10:
                y = y * 2.0
            return y
        return f, []
    _compare(make, [(_c(1.0, 1.0),), (_c(3.0, 3.0),), (_c(20.0, 1.0),), (_c(1.0, 1.0),)])


def test_branch_on_a_variable_that_changes_between_calls():
    def make():
        v = tf.Variable(0.0)

        def f(x):
            v.assign_add(x)
            if v > 2.0:  # reads the variable after this call's write
                return v * 10.0
            return v * 1.0
        return f, [v]
    _compare(make, [(_c(1.0),)] * 5 + [(_c(-4.0),), (_c(1.0),)])


def test_loss_chosen_by_a_branch_inside_a_tape():
    def make():
        w = tf.Variable([1.0, -2.0])

        def f(x):
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(w * x)
                loss = y * y if y > 0 else tf.abs(y) * 3.0
            g = tape.gradient(loss, w)
            w.assign_sub(0.1 * g)
            return loss, g
        return f, [w]
    _compare(make, [(_c(1.0, 0.5),), (_c(-1.0, 2.0),), (_c(3.0, 0.0),), (_c(-1.0, 2.0),)])


def test_training_step_that_returns_early():
    def make():
        w = tf.Variable(0.0)
        opt = tf.keras.optimizers.Adam(learning_rate=0.5)

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(w * x - y))
            if loss < 0.5:
                return loss  # converged: no update
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            return loss
        return step, [w]
    x = _c(1.0, 2.0)
    _compare(make, [(x, 2.0 * x)] * 12 + [(x, -3.0 * x)] * 3)


def test_iterating_over_a_tensor():
    def make():
        def f(x):
            total = tf.constant(0.0)
            for row in x:  # its length is a shape: fine
                if tf.reduce_sum(row) > 0:  # a value as a condition: guarded
                    total = total + tf.reduce_sum(row)
            return total
        return f, []
    _compare(make, [(_c([1.0, 2.0], [-5.0, 1.0]),), (_c([-1.0, 2.0], [5.0, 1.0]),),
                    (_c([1.0, 2.0], [-5.0, 1.0]),)])


def test_nan_guard_and_format():
    def make():
        def f(x):
            s = float(tf.reduce_sum(x))
            label = f"{tf.reduce_max(x):.1f}"
            return tf.constant(0.0 if s != s else s) + float(label)
        return f, []
    _compare(make, [(_c(np.nan, 1.0),), (_c(np.nan, 2.0),), (_c(1.0, 2.0),), (_c(np.nan, 1.0),)])


def test_constants_need_no_guard():
    @tf.function
    def f(x):
        if tf.constant(3.0) > 1.0:  # known at trace time: no guard in the plan
            return x + 1.0
        return x
    f(_c(1.0))
    assert "raise" not in next(iter(f._plans.values())).source


def test_effects_run_once_when_a_guard_fails_after_them():
    """A guard after a variable write, an optimizer step, a random draw and a print: when it
    fails, the partial run is rolled back, so each effect happens exactly once per call."""
    def make():
        v = tf.Variable(1.0)
        w = tf.Variable([1.0, 2.0])
        opt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)

        def f(x, stream):
            v.assign_add(x)
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(w * w) * x
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            noise = tf.random.uniform((2,), seed=7)
            tf.print("v", v, output_stream=stream)
            if tf.reduce_sum(v) > 3.0:  # checked after all of the above
                return v * 2.0 + noise
            return v - 1.0 + noise
        return f, [v, w] + opt.variables
    eager, eager_vars = make()
    traced_fn, traced_vars = make()
    traced = tf.function(traced_fn)
    eager_out, traced_out = io.StringIO(), io.StringIO()
    for x in [1.0, 1.0, 1.0, -5.0, 1.0, 4.0, -1.0]:
        tf.random.set_seed(3)
        a = eager(_c(x), eager_out)
        tf.random.set_seed(3)
        b = traced(_c(x), traced_out)
        _same(a, b)
        _same([v.numpy() for v in eager_vars], [v.numpy() for v in traced_vars])
    assert traced_out.getvalue() == eager_out.getvalue()  # one line per call, no duplicates
    assert traced_out.getvalue().count("\n") == 7


def test_effects_before_a_failed_guard_are_not_repeated_simple():
    v = tf.Variable(0.0)
    out = io.StringIO()

    @tf.function
    def f(x):
        v.assign_add(1.0)
        tf.print("call", output_stream=out)
        if v > 2.0:
            return x * 0.0
        return x

    results = [float(f(_c(5.0))) for _ in range(4)]
    assert results == [5.0, 5.0, 0.0, 0.0] and float(v) == 4.0
    assert out.getvalue() == "call\n" * 4


def test_random_draw_before_a_failed_guard_is_drawn_once():
    def run(fn):
        tf.random.set_seed(11)
        outs = [fn(_c(x)).numpy() for x in (1.0, -1.0, 1.0, -1.0)]
        return outs, tf.random.normal((3,)).numpy()

    def f(x):
        r = tf.random.normal((3,))
        if tf.reduce_sum(r * 0.0 + x) > 0:
            return r
        return -r
    eager_outs, eager_next = run(f)
    traced_outs, traced_next = run(tf.function(f))
    _same(eager_outs, traced_outs)
    _same(eager_next, traced_next)


def test_too_many_paths_run_eagerly_with_one_warning(caplog):
    @tf.function
    def f(x):
        return x * float(x)  # every value is another path

    with caplog.at_level(logging.WARNING, logger="tapegrad"):
        for i in range(function_module.MAX_PATHS + 4):
            assert float(f(_c(float(i)))) == float(i) * i
    warnings = [r for r in caplog.records if "paths" in r.getMessage()]
    assert len(warnings) == 1
    assert f.experimental_get_tracing_count() == function_module.MAX_PATHS


def test_eager_code_pays_one_global_check():
    from tapegrad import tensor
    assert tensor._on_convert is None  # no trace running: conversions only test this
    x = _c(2.0)
    assert bool(x) and float(x) == 2.0 and int(x) == 2


@pytest.mark.parametrize("value,path", [(1.0, "pos"), (-1.0, "neg")])
def test_first_trace_on_either_path(value, path):
    @tf.function
    def f(x):
        return tf.constant(1.0) if x > 0 else tf.constant(-1.0)
    assert float(f(_c(value))) == (1.0 if path == "pos" else -1.0)
    assert float(f(_c(-value))) == (-1.0 if path == "pos" else 1.0)


def test_constant_of_a_traced_tensor_and_complex():
    def make():
        def f(x):
            c = tf.constant(x * 2.0)  # a copy of a traced value: guarded
            z = complex(tf.reduce_sum(x))
            return c + z.real
        return f, []
    _compare(make, [(_c(1.0),), (_c(2.0),), (_c(1.0),)])


def test_conversions_of_a_variable_itself():
    def make():
        v = tf.Variable(0.0)

        def f(x):
            v.assign_add(1.0)
            scale = float(v) if v.numpy() < 3 else float(np.asarray(v)) * 10.0
            return x * scale
        return f, [v]
    _compare(make, [(_c(1.0),)] * 5)


def test_ops_computed_outside_primitives_are_guarded():
    """boolean_mask, fill and linspace read their tensor arguments' values in Python: traced,
    those values are guarded, so the results follow the inputs."""
    def make():
        def f(x):
            return (tf.boolean_mask(x, x > 0.0), tf.fill([2], x[0]), tf.linspace(x[1], x[2], 3))
        return f, []
    _compare(make, [(_c(1.0, 5.0, 2.0),), (_c(9.0, -5.0, 2.0),), (_c(-1.0, 5.0, 7.0),),
                    (_c(1.0, 5.0, 2.0),)])


def test_traced_output_gradients_are_guarded():
    def make():
        w = tf.Variable(2.0)

        def f(x):
            with tf.GradientTape() as tape:
                y = w * 3.0
            return tape.gradient(y, w, output_gradients=x)
        return f, [w]
    _compare(make, [(_c(1.0),), (_c(-1.0),), (_c(3.0),), (_c(1.0),)])


def test_a_variable_assigned_between_a_tapes_read_and_its_gradient(caplog) -> None:
    # The backward pass needs the value the tape read, which the variable no longer holds: no
    # plan can replay that, so the function runs eagerly (and says so), returning eager's values.
    w = tf.Variable(1.0)

    def step(x):
        with tf.GradientTape() as tape:
            y = w * w * x
        w.assign_add(1.0)
        return tape.gradient(y, w)

    traced = tf.function(step)
    got = [float(traced(tf.constant(1.0))) for _ in range(3)]
    w.assign(1.0)
    want = [float(step(tf.constant(1.0))) for _ in range(3)]
    assert got == want == [2.0, 4.0, 6.0]
    assert "runs eagerly" in caplog.text
