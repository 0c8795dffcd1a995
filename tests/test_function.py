"""tapegrad.function: traced functions give eager's results, retrace by TensorFlow's rules."""

import numpy as np
import pytest

import tapegrad as tf


def _linear_step(w, b, lr=0.05):
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(lr * gw)
        b.assign_sub(lr * gb)
        return loss
    return step


def _data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = (2 * rng.random(n)).astype(np.float32)
    return tf.constant(x), tf.constant(3 * x + 4 + 0.5 * rng.random(n).astype(np.float32))


def test_traced_training_matches_eager_bit_for_bit():
    x, y = _data()
    eager_vars = [tf.Variable(0.0), tf.Variable(0.0)]
    traced_vars = [tf.Variable(0.0), tf.Variable(0.0)]
    eager = _linear_step(*eager_vars)
    traced = tf.function(_linear_step(*traced_vars))
    for _ in range(300):
        a, b = eager(x, y), traced(x, y)
        assert a.numpy() == b.numpy()
    assert [v.numpy() for v in eager_vars] == [v.numpy() for v in traced_vars]
    assert abs(float(traced_vars[0]) - 3.0) < 0.1 and traced.experimental_get_tracing_count() == 1


def test_signatures_retrace():
    calls = []

    @tf.function
    def f(x, scale):
        calls.append(1)  # a Python side effect: it runs while tracing only
        return x * scale

    assert float(f(tf.constant(2.0), 3.0)) == 6.0
    assert float(f(tf.constant(5.0), 3.0)) == 15.0  # same signature: replayed
    assert f(tf.constant([1.0, 2.0]), 3.0).numpy().tolist() == [3.0, 6.0]  # new shape
    assert float(f(tf.constant(2.0), 4.0)) == 8.0  # new Python value
    assert float(f(tf.constant(2.0, tf.float64), 4.0)) == 8.0  # new dtype
    assert f.experimental_get_tracing_count() == 4 and len(calls) == 4
    assert f(np.array([1.0, 2.0]), 2.0).dtype == tf.float64  # a NumPy argument is a tensor


def test_reduce_retracing_runs_new_shapes_eagerly():
    @tf.function(reduce_retracing=True)
    def f(x):
        return tf.reduce_sum(x * x)

    assert float(f(tf.constant([1.0, 2.0]))) == 5.0
    assert float(f(tf.constant([1.0, 2.0, 3.0]))) == 14.0
    assert f.experimental_get_tracing_count() == 1


def test_variables_are_captured_by_reference():
    v = tf.Variable(1.0)

    @tf.function
    def bump(x):
        v.assign_add(x)
        v.assign(v * 2.0)
        return v.read_value()

    assert float(bump(tf.constant(1.0))) == 4.0
    assert float(bump(tf.constant(1.0))) == 10.0 and float(v) == 10.0
    v.assign(0.0)  # an eager write between calls is seen by the next call
    assert float(bump(tf.constant(3.0))) == 6.0


def test_random_ops_draw_fresh_numbers_each_call():
    @tf.function
    def noise():
        return tf.random.normal((3,))

    a, b = noise(), noise()
    assert a.shape == (3,) and not np.array_equal(a.numpy(), b.numpy())


def test_constants_fold_and_dead_values_drop():
    @tf.function
    def f(x):
        unused = tf.exp(x) * 100.0  # noqa: F841 - dropped from the plan
        c = tf.constant(2.0) * tf.constant(3.0) + 1.0  # known while tracing: folded
        return x * c

    assert float(f(tf.constant(2.0))) == 14.0
    source = next(iter(f._plans.values())).source
    assert "exp" not in source and source.count(" = ") == 1


def test_nested_functions_and_structures():
    @tf.function
    def inner(x):
        return x + 1.0

    @tf.function
    def outer(x):
        return {"double": inner(x) * 2.0, "pair": (x, inner(x))}

    out = outer(tf.constant(1.0))
    assert float(out["double"]) == 4.0 and [float(t) for t in out["pair"]] == [1.0, 2.0]
    assert inner.experimental_get_tracing_count() == 0  # inlined into outer's trace


def test_returns_variables_and_python_values():
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        v.assign_add(x)
        return v, "done", 3

    out = f(tf.constant(1.0))
    assert out[0] is v and out[1:] == ("done", 3) and float(v) == 3.0


def test_inside_a_tape_the_function_runs_eagerly_and_gradients_flow():
    @tf.function
    def cube(x):
        return x * x * x

    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = cube(x)
    assert float(tape.gradient(y, x)) == 27.0


def test_persistent_tape_and_higher_order_inside_a_function():
    w = tf.Variable(2.0)

    @tf.function
    def f(x):
        with tf.GradientTape(persistent=True) as outer:
            with tf.GradientTape() as inner:
                y = w * w * x
            dy = inner.gradient(y, w)
        d2y = outer.gradient(dy, w)
        dx = outer.gradient(y, w)
        return dy, d2y, dx

    for x in (1.0, 3.0):
        got = [float(t) for t in f(tf.constant(x))]
        assert got == [4.0 * x, 2.0 * x, 4.0 * x]
    assert f.experimental_get_tracing_count() == 1


def test_jacobian_inside_a_function():
    @tf.function
    def jac(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        return tape.jacobian(y, x)

    assert jac(tf.constant([1.0, 2.0])).numpy().tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert jac(tf.constant([3.0, 4.0])).numpy().tolist() == [[6.0, 0.0], [0.0, 8.0]]


def test_methods_and_input_signature():
    class Model:
        def __init__(self):
            self.w = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)])
        def __call__(self, x):
            return x * self.w

    a, b = Model(), Model()
    b.w.assign(10.0)
    assert a(tf.constant([1.0])).numpy().tolist() == [2.0]
    assert b(tf.constant([1.0, 2.0])).numpy().tolist() == [10.0, 20.0]
    with pytest.raises(TypeError, match="input_signature"):
        a(tf.constant([1], tf.int32))


def test_errors_surface_while_tracing():
    @tf.function
    def bad(x):
        return x + tf.constant([1.0, 2.0, 3.0])

    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        bad(tf.constant([1.0, 2.0]))


@pytest.mark.parametrize("make", [lambda: tf.optimizers.SGD(0.001, momentum=0.9),
                                  lambda: tf.optimizers.Adam(0.05),
                                  lambda: tf.optimizers.Nadam(0.05),
                                  lambda: tf.keras.optimizers.RMSprop(0.01, centered=True),
                                  lambda: tf.optimizers.Adam(
                                      tf.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))])
def test_optimizer_steps_trace_and_match_eager(make):
    x, y = _data(20)
    runs = []
    for traced in (False, True):
        w, b, opt = tf.Variable([0.5]), tf.Variable(0.0), make()

        def step(x, y, w=w, b=b, opt=opt):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.square(w * x + b - y))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
            return loss

        f = tf.function(step) if traced else step
        losses = [float(f(x, y)) for _ in range(30)]
        runs.append((losses, w.numpy().tolist(), float(b), int(opt.iterations)))
    assert runs[0] == runs[1] and runs[1][3] == 30


def test_run_functions_eagerly():
    calls = []

    @tf.function
    def f(x):
        calls.append(1)
        return x + 1.0

    tf.config.run_functions_eagerly(True)
    try:
        assert [float(f(tf.constant(1.0))) for _ in range(3)] == [2.0] * 3
        assert len(calls) == 3 and f.experimental_get_tracing_count() == 0
    finally:
        tf.config.run_functions_eagerly(False)
    f(tf.constant(1.0))
    f(tf.constant(1.0))
    assert len(calls) == 4 and f.experimental_get_tracing_count() == 1


# ----- TensorFlow's tf.function surface -----

def test_python_numbers_returned_become_tensors():
    @tf.function
    def f(x):
        return 1.5, x * 2.0, {"a": 3}, None
    for _ in range(2):  # the traced call and a replay
        a, b, c, d = f(tf.constant(1.0))
        assert isinstance(a, tf.Tensor) and a.dtype == tf.float32 and float(a) == 1.5
        assert c["a"].dtype == tf.int32 and int(c["a"]) == 3 and d is None and float(b) == 2.0
    with tf.GradientTape():  # run eagerly for the tape: still tensors, as TensorFlow returns
        assert isinstance(f(tf.constant(1.0))[0], tf.Tensor)
    tf.config.run_functions_eagerly(True)
    try:  # the Python function itself, as TensorFlow runs it then
        assert f(tf.constant(1.0))[0] == 1.5 and not isinstance(f(tf.constant(1.0))[0], tf.Tensor)
    finally:
        tf.config.run_functions_eagerly(False)


def test_get_concrete_function_with_specs():
    calls = []

    @tf.function
    def g(x, y=2):
        calls.append(1)
        return x + y
    concrete = g.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="x"))
    assert isinstance(concrete, tf.ConcreteFunction)
    assert concrete.structured_input_signature == (
        (tf.TensorSpec([None, 3], tf.float32, name="x"), 2), {})
    assert concrete.structured_outputs == tf.TensorSpec([None, 3], tf.float32)
    text = ("Input Parameters:\n"
            "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None, 3), dtype=tapegrad.float32, "
            "name='x')\n"
            "  y (POSITIONAL_OR_KEYWORD): Literal[2]\n"
            "Output Type:\n"
            "  TensorSpec(shape=(None, 3), dtype=tapegrad.float32, name=None)\n"
            "Captures:\n"
            "  None")
    assert concrete.pretty_printed_signature() == text == repr(concrete.function_type)
    assert repr(concrete).startswith(
        "<ConcreteFunction (x: TensorSpec(shape=(None, 3), dtype=tapegrad.float32, name='x'), "
        "y: Literal[2]) -> TensorSpec(shape=(None, 3), dtype=tapegrad.float32, name=None) at 0x")
    assert concrete(tf.ones((4, 3))).numpy().tolist() == [[3.0] * 3] * 4
    assert concrete(tf.ones((1, 3))).numpy().tolist() == [[3.0] * 3]
    with pytest.raises(TypeError, match="Binding inputs"):
        concrete(tf.ones((4, 2)))
    assert g.experimental_get_tracing_count() == 1  # calls within the spec are that trace
    g(tf.constant([1.0]))
    assert g.experimental_get_tracing_count() == 2
    assert g.pretty_printed_concrete_signatures() == text + "\n\n" + (
        "Input Parameters:\n"
        "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(1,), dtype=tapegrad.float32, name=None)\n"
        "  y (POSITIONAL_OR_KEYWORD): Literal[2]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(1,), dtype=tapegrad.float32, name=None)\n"
        "Captures:\n"
        "  None")
    assert g.get_concrete_function(tf.constant([5.0])) is g.get_concrete_function(
        tf.TensorSpec([1], tf.float32))


def test_get_concrete_function_has_no_effects():
    v = tf.Variable(1.0)

    @tf.function
    def step(x):
        v.assign_add(x)
        return v * tf.random.uniform(())
    tf.random.set_seed(0)
    concrete = step.get_concrete_function(tf.TensorSpec([], tf.float32))
    after = tf.random.uniform(())
    tf.random.set_seed(0)
    assert float(v) == 1.0 and float(after) == float(tf.random.uniform(()))
    assert concrete.captured_inputs == [] and concrete.structured_outputs.shape == ()
    concrete(tf.constant(2.0))
    assert float(v) == 3.0
    assert concrete.captured_inputs == [v]


def test_input_signature_with_none_dims_does_not_retrace():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x * x)
    for n in (1, 2, 3, 7):
        assert float(f(tf.ones(n))) == n
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="Binding inputs"):
        f(tf.ones((2, 2)))


def test_variables_created_on_a_later_trace_raise():
    made = []

    @tf.function
    def f(x):
        if x.shape.rank == 1:  # a variable made only when a second signature is traced
            made.append(tf.Variable(x))
            return made[-1] * 1.0
        return x
    f(tf.constant(1.0))
    with pytest.raises(ValueError, match="^tapegrad.function only supports singleton "
                       "tapegrad.Variables created on the first call"):
        f(tf.constant([1.0, 2.0]))

    class Lazy:
        v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:  # made once, on the first trace: fine
                self.v = tf.Variable(2.0)
            return self.v * x
    lazy = Lazy()
    assert float(lazy(tf.constant(3.0))) == 6.0
    assert lazy(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]


def test_methods_are_bound_per_instance():
    class Scale:
        def __init__(self, k):
            self.k = k

        @tf.function
        def apply(self, x):
            return x * self.k
    a, b = Scale(2.0), Scale(3.0)
    assert float(a.apply(tf.constant(1.0))) == 2.0 and float(b.apply(tf.constant(1.0))) == 3.0
    assert a.apply is a.apply and a.apply is not b.apply
    assert a.apply.experimental_get_tracing_count() == 1
    assert "x (POSITIONAL_OR_KEYWORD)" in a.apply.pretty_printed_concrete_signatures()


def test_arguments_accepted_and_python_function():
    def f(x):
        return x + 1.0
    for kwargs in ({"jit_compile": True}, {"autograph": False}, {"reduce_retracing": True}):
        g = tf.function(f, **kwargs)
        assert float(g(tf.constant(1.0))) == 2.0 and g.python_function is f


def test_surface_formats_match_tensorflow():
    tf_real = pytest.importorskip("tensorflow")

    def g(x, y=2):
        return x + y
    ours = tf.function(g).get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="x"))
    theirs = tf_real.function(g).get_concrete_function(
        tf_real.TensorSpec([None, 3], tf_real.float32, name="x"))
    assert ours.pretty_printed_signature() == theirs.pretty_printed_signature().replace(
        "tf.", "tapegrad.")
    assert str(ours.structured_input_signature) == str(
        theirs.structured_input_signature).replace("tf.", "tapegrad.")


def test_a_spec_with_none_gets_its_own_concrete_function_after_a_fixed_shape_trace() -> None:
    @tf.function
    def g(x):
        return x * 2.0

    g(tf.constant([1.0, 2.0]))
    fixed = g.get_concrete_function(tf.constant([1.0, 2.0]))
    general = g.get_concrete_function(tf.TensorSpec([None], tf.float32))
    assert general is not fixed
    assert general.structured_input_signature[0][0].shape == (None,)
    assert general(tf.constant([1.0, -3.0, 2.0])).numpy().tolist() == [2.0, -6.0, 4.0]
    assert g.get_concrete_function(tf.TensorSpec([None], tf.float32)) is general


def test_a_function_that_makes_a_variable_on_every_call_is_refused_as_in_tensorflow() -> None:
    @tf.function
    def f(x):
        return tf.Variable(1.0) * x

    with pytest.raises(ValueError, match="only supports singleton tapegrad.Variables created on "
                                         "the first call"):
        f(tf.constant(1.0))

    class Scaled(tf.Module):  # made once, on the first call: allowed, as in TensorFlow
        def __init__(self) -> None:
            super().__init__()
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(2.0)
            return self.v * x

    m = Scaled()
    assert float(m(tf.constant(3.0))) == 6.0 and float(m(tf.constant(4.0))) == 8.0
    assert float(m.v) == 2.0


def test_a_concrete_function_takes_only_its_tensor_arguments() -> None:
    # TensorFlow: the Python arguments are fixed when the concrete function is made.
    @tf.function
    def power(a, b):
        return a ** b

    square = power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    assert float(square(tf.constant(10.0))) == 100.0
    assert float(square(a=tf.constant(3.0))) == 9.0
    assert float(square(tf.constant(3.0), 2)) == 9.0  # the whole argument list still binds
    with pytest.raises(TypeError, match="Binding inputs to tapegrad.function failed"):
        square(tf.constant(10.0), b=3)
    with pytest.raises(TypeError, match="Binding inputs to tapegrad.function failed"):
        square()


def test_a_concrete_function_refuses_a_tensor_of_another_dtype_as_tensorflow() -> None:
    @tf.function
    def double(a):
        return a + a

    strings = double.get_concrete_function(tf.constant("a"))
    assert strings(tf.constant("b")).numpy() == b"bb"
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"input #0\(zero-based\) was expected to be a string tensor but is "
                             r"a int32 tensor"):
        strings(tf.constant(1))
