"""Control flow as functions: eager results and gradients, and real branches and loops in plans."""

import io

import numpy as np
import pytest

import tapegrad as tf


def _plan_sources(f):
    return [p.source for p in f._plans.values()]


# ----- eager -----

def test_cond_eager_and_its_gradient():
    x = tf.Variable(3.0)
    for value, expected in [(3.0, 6.0), (-3.0, -27.0 * 0 + 27.0)]:
        x.assign(value)
        with tf.GradientTape() as tape:
            y = tf.cond(x > 0, lambda: x * x, lambda: x * x * x)
        assert float(tape.gradient(y, x)) == pytest.approx(2 * value if value > 0
                                                           else 3 * value * value)
        assert expected  # both branches exercised
    assert tf.cond(False, lambda: 1, lambda: 2) == 2
    with pytest.raises(TypeError, match="'true_fn' must be callable"):
        tf.cond(True, 1, lambda: 2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.cond(tf.constant([True, False]), lambda: 1, lambda: 2)


def test_case_and_switch_case_eager():
    x = tf.constant(5)
    pairs = [(x < 0, lambda: tf.constant(-1)), (x > 3, lambda: tf.constant(1))]
    assert int(tf.case(pairs, default=lambda: tf.constant(0))) == 1
    assert int(tf.case([(x < 0, lambda: tf.constant(-1))], default=lambda: tf.constant(0))) == 0
    assert int(tf.case([(x < 0, lambda: tf.constant(-1)), (x < 1, lambda: tf.constant(7))])) == 7
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than 1 conditions"):
        tf.case([(x > 0, lambda: 1), (x > 1, lambda: 2)], default=lambda: 0, exclusive=True)
    fns = [lambda: 10, lambda: 20, lambda: 30]
    assert [tf.switch_case(tf.constant(i), fns) for i in (0, 1, 2, 7, -1)] == [10, 20, 30, 30, 30]
    assert tf.switch_case(tf.constant(9), fns, default=lambda: 0) == 0
    assert tf.switch_case(tf.constant(1), {0: lambda: "a", 1: lambda: "b"}) == "b"


def test_while_loop_eager_structures_and_gradient():
    x = tf.Variable(1.5)
    with tf.GradientTape() as tape:
        i, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), (0, tf.constant(1.0)))
    assert int(i) == 3 and float(y) == pytest.approx(1.5 ** 3)
    assert float(tape.gradient(y, x)) == pytest.approx(3 * 1.5 ** 2)
    nested = tf.while_loop(lambda s: s["n"] < 4, lambda s: {"n": s["n"] + 1, "v": s["v"] * 2},
                           [{"n": tf.constant(0), "v": tf.constant([1.0, 2.0])}])
    assert int(nested[0]["n"]) == 4 and nested[0]["v"].numpy().tolist() == [16.0, 32.0]
    single = tf.while_loop(lambda v: v < 10, lambda v: v * 3, tf.constant(1))
    assert int(single) == 27
    limited = tf.while_loop(lambda v: True, lambda v: (v + 1,), (0,), maximum_iterations=5)
    assert int(limited[0]) == 5


def test_while_loop_errors():
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.while_loop(lambda i: i < 3, lambda i: (i + 1, i), [tf.constant(0)])
    with pytest.raises(TypeError, match="'cond' must be callable"):
        tf.while_loop(1, lambda i: i, [0])

    @tf.function
    def grows(x):  # a graph loop keeps each variable's shape, as in TensorFlow
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0, lambda v: tf.concat([v, v], 0),
                             [x])
    with pytest.raises(ValueError, match="enters the loop with shape \\(1,\\), but has shape "
                                         "\\(2,\\) after one iteration"):
        grows(tf.constant([1.0]))
    ok = tf.function(lambda x: tf.while_loop(
        lambda v: tf.reduce_sum(v) < 10.0, lambda v: tf.concat([v, v], 0), [x],
        shape_invariants=[tf.TensorShape([None])]))
    assert ok(tf.constant([1.0]))[0].numpy().tolist() == [1.0] * 16


def test_map_scan_folds_and_their_gradients():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        squares = tf.map_fn(lambda v: v * v, x)
        sums = tf.scan(lambda a, v: a + v, x)
        product = tf.foldl(lambda a, v: a * v, x)
        right = tf.foldr(lambda a, v: a - v, x, initializer=tf.constant(0.0))
        vec = tf.vectorized_map(lambda v: tf.sin(v), x)
    assert squares.numpy().tolist() == [1.0, 4.0, 9.0]
    assert sums.numpy().tolist() == [1.0, 3.0, 6.0]
    assert float(product) == 6.0 and float(right) == -6.0
    np.testing.assert_allclose(vec.numpy(), np.sin([1.0, 2.0, 3.0]), rtol=1e-6)
    assert tape.gradient(squares, x).numpy().tolist() == [2.0, 4.0, 6.0]
    assert tape.gradient(sums, x).numpy().tolist() == [3.0, 2.0, 1.0]
    assert tape.gradient(product, x).numpy().tolist() == [6.0, 3.0, 2.0]
    pairs = tf.map_fn(lambda t: (t[0] + t[1], t[0] * t[1]), (x, x))
    assert pairs[1].numpy().tolist() == [1.0, 4.0, 9.0]
    assert tf.scan(lambda a, v: a + v, x, reverse=True).numpy().tolist() == [6.0, 5.0, 3.0]
    assert tf.scan(lambda a, v: a * v, x, initializer=tf.constant(2.0)).numpy().tolist() == \
        [2.0, 4.0, 12.0]


# ----- compiled into plans -----

def test_cond_compiles_into_one_plan_for_both_branches():
    @tf.function
    def f(x):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)
    for v in ([1.0, 2.0], [-1.0, -2.0], [5.0, -1.0], [-5.0, 1.0]):
        x = tf.constant(v)
        assert f(x).numpy().tolist() == f.python_function(x).numpy().tolist()
    assert f.experimental_get_tracing_count() == 1
    (source,) = _plan_sources(f)
    assert "else:" in source and "raise" not in source


def test_case_and_switch_case_compile():
    @tf.function
    def f(k, x):
        y = tf.switch_case(k, [lambda: x + 1.0, lambda: x * x, lambda: -x])
        return tf.case([(y > 5.0, lambda: y * 0.0), (y < -3.0, lambda: y + 100.0)],
                       default=lambda: y)
    for k in (0, 1, 2, 5, -2):
        for v in (1.0, 3.0, -4.0, 4.5):
            args = (tf.constant(k), tf.constant(v))
            assert float(f(*args)) == float(f.python_function(*args))
    assert f.experimental_get_tracing_count() == 1
    assert "elif" in _plan_sources(f)[0]


def test_while_loop_compiles_into_a_real_loop():
    @tf.function
    def f(x, n):
        return tf.while_loop(lambda i, y: tf.reduce_sum(y) < n, lambda i, y: (i + 1, y * 2.0),
                             (0, x), maximum_iterations=50)
    for v, n in [([1.0, 1.0], 10.0), ([3.0, 3.0], 10.0), ([30.0, 3.0], 10.0), ([1.0, 0.5], 99.0)]:
        args = (tf.constant(v), tf.constant(n))
        (i, y), (i2, y2) = f(*args), f.python_function(*args)
        assert int(i) == int(i2) and y.numpy().tolist() == y2.numpy().tolist()
    assert f.experimental_get_tracing_count() == 1
    assert "while True:" in _plan_sources(f)[0]


def test_branches_with_effects_fall_back_to_guards_and_stay_right():
    v = tf.Variable(0.0)
    out = io.StringIO()

    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: v.assign_add(x) * 1.0,
                       lambda: (tf.print("neg", output_stream=out), x)[1])
    results = [float(f(tf.constant(a))) for a in (1.0, -2.0, 3.0, -1.0)]
    assert results == [1.0, -2.0, 4.0, -1.0] and float(v) == 4.0
    assert out.getvalue() == "neg\nneg\n"


def test_cond_with_a_tape_inside_the_function_gives_the_right_gradient():
    w = tf.Variable(2.0)

    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            y = tf.cond(x > 0, lambda: w * x, lambda: w * w * x)
        return tape.gradient(y, w)
    for a in (1.0, -1.0, 3.0, -2.0):
        expected = a if a > 0 else 2 * 2.0 * a
        assert float(grad(tf.constant(a))) == expected
    # one plan: the backward pass is a real branch in it (the forward one is unused)
    assert grad.experimental_get_tracing_count() == 1
    assert "else:" in _plan_sources(grad)[0] and "raise" not in _plan_sources(grad)[0]


def test_switch_case_with_a_tape_and_an_optimizer_step():
    def make():
        w = tf.Variable([1.0, -1.0])
        opt = tf.keras.optimizers.Adam(0.1)

        def step(k, x):
            with tf.GradientTape() as tape:
                loss = tf.switch_case(k, [lambda: tf.reduce_sum(w * x),
                                          lambda: tf.reduce_sum(w * w * x),
                                          lambda: tf.reduce_sum(tf.sin(w) + x)])
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            return loss
        return step, w
    eager, w_eager = make()
    traced_fn, w_traced = make()
    traced = tf.function(traced_fn)
    for k in (0, 2, 1, 1, 0, 2, 5):
        args = (tf.constant(k), tf.constant([0.5, 2.0]))
        assert float(eager(*args)) == float(traced(*args))
        assert w_eager.numpy().tolist() == w_traced.numpy().tolist()
    assert traced.experimental_get_tracing_count() == 1


def test_print_formats_and_prints_on_every_call():
    out = io.StringIO()
    tf.print(tf.constant([1.0, 2.5, 3.0]), "a", [1, 2], output_stream=out)
    tf.print(tf.constant([[1, 2], [3, 4]]), output_stream=out)
    tf.print(tf.range(10), summarize=2, output_stream=out)
    tf.print(tf.constant(True), tf.constant(1e-8), tf.constant(123456789.0), output_stream=out)
    tf.print(tf.constant(0.1), tf.constant(0.1, tf.float64), sep=",", end=";\n",
             output_stream=out)
    assert out.getvalue() == ("[1 2.5 3] a [1, 2]\n[[1 2]\n [3 4]]\n[0 1 ... 8 9]\n"
                              "1 1e-08 123456792\n0.1,0.1;\n")

    traced_out = io.StringIO()
    python_prints = []

    @tf.function
    def f(x):
        python_prints.append(1)
        tf.print("x:", x, output_stream=traced_out)
        return x + 1.0
    for a in (1.0, 2.0, 3.0):
        f(tf.constant(a))
    assert traced_out.getvalue() == "x: 1\nx: 2\nx: 3\n" and len(python_prints) == 1


def test_nested_branches_and_loops_compile_into_one_plan():
    v = tf.Variable(3.0)

    @tf.function
    def f(x):
        a = tf.cond(x > 0, lambda: v, lambda: x)
        b = tf.cond(x > 1, lambda: tf.cond(x > 2, lambda: x * 10.0, lambda: x * 5.0),
                    lambda: -x)
        _, c = tf.while_loop(lambda i, c: i < 5, lambda i, c: (
            i + 1, tf.cond(c > 10.0, lambda: c - 7.0, lambda: c * 2.0 + x)), (0, x))
        d = tf.cond(x > 0.5, lambda: tf.while_loop(lambda t: t < 20.0, lambda t: t * 2.0,
                                                   [x + 0.1])[0], lambda: x)
        return a * 1.0, b, c, d
    for a in (1.5, -1.0, 2.5, 0.7, 3.0, -2.0):
        x = tf.constant(a)
        assert [float(t) for t in f(x)] == [float(t) for t in f.python_function(x)]
        v.assign_add(1.0)
    assert f.experimental_get_tracing_count() == 1


def test_cond_gradient_with_an_upstream_that_depends_on_the_input():
    w = tf.Variable(2.0)

    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            y = tf.cond(x > 0, lambda: w * x, lambda: w * w * x) * x
        return tape.gradient(y, w)
    for a in (1.0, -1.0, 3.0, -2.0):
        assert float(grad(tf.constant(a))) == float(grad.python_function(tf.constant(a)))
    assert grad.experimental_get_tracing_count() == 1
