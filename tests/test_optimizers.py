"""Optimizers against their update formulas written out in NumPy, and their Keras 3 behaviour.

Each reference below is the formula from Keras 3's source, written independently on NumPy
values. Two Keras details show in them: the learning rate is stored as float32, and Keras's
``ops.cast`` of a Python float (beta_1 in Adam's powers, SGD's momentum, Lion's betas, the
weight decay, Adagrad's initial value) goes through float32 even for a float64 variable; that
is ``c32`` here.
"""

from __future__ import annotations

import doctest
import importlib
import math
import pickle
import re
import warnings

import numpy as np
import pytest

import tapegrad as tf
from tapegrad import tape as tape_module
from tapegrad.optimizers import schedules

STEPS = 20


def c32(x: float) -> float:
    """What Keras's ops.cast does to a Python float before casting it on: float32 rounding."""
    return float(np.float32(x))


# ----- the update formulas, one variable at a time: (x, g, state, t, lr) -> new x -----
# ``state`` is a dict of this variable's slots; ``t`` counts steps from 1.

def ref_sgd(x, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        return x - lr * g
    mu = c32(momentum)
    s["m"] = mu * s.get("m", 0 * x) - lr * g
    return x + (mu * s["m"] - lr * g if nesterov else s["m"])


def ref_adam(x, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = s.get("m", 0 * x) + (g - s.get("m", 0 * x)) * (1 - beta_1)
    s["v"] = s.get("v", 0 * x) + (g * g - s.get("v", 0 * x)) * (1 - beta_2)
    v = s["v"]
    if amsgrad:
        s["v_hat"] = v = np.maximum(s.get("v_hat", 0 * x), v)
    alpha = lr * math.sqrt(1 - c32(beta_2) ** t) / (1 - c32(beta_1) ** t)
    return x - alpha * s["m"] / (np.sqrt(v) + epsilon)


def ref_adamax(x, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = s.get("m", 0 * x) + (g - s.get("m", 0 * x)) * (1 - beta_1)
    s["u"] = np.maximum(beta_2 * s.get("u", 0 * x), np.abs(g))
    return x - lr * s["m"] / ((1 - c32(beta_1) ** t) * (s["u"] + epsilon))


def ref_nadam(x, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, shared=None):
    b1, b2, decay = c32(beta_1), c32(beta_2), c32(0.96)
    u_t = b1 * (1 - 0.5 * decay ** t)
    u_next = b1 * (1 - 0.5 * decay ** (t + 1))
    u_product = shared["u_product"]  # updated once per step, before the variables
    s["m"] = s.get("m", 0 * x) + (g - s.get("m", 0 * x)) * (1 - b1)
    s["v"] = s.get("v", 0 * x) + (g * g - s.get("v", 0 * x)) * (1 - b2)
    m_hat = u_next * s["m"] / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
    v_hat = s["v"] / (1 - b2 ** t)
    return x - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def nadam_shared(shared, t, beta_1=0.9, **_):
    shared["u_product"] = shared.get("u_product", 1.0) * beta_1 * (1 - 0.5 * 0.96 ** t)


def ref_rmsprop(x, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0 * x) + (1 - rho) * g * g
    denominator = s["v"] + epsilon
    if centered:
        s["a"] = rho * s.get("a", 0 * x) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["mom"] = momentum * s.get("mom", 0 * x) + increment
        return x - s["mom"]
    return x - increment


def ref_adagrad(x, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    s["acc"] = s.get("acc", 0 * x + c32(initial_accumulator_value)) + g * g
    return x - lr * g / np.sqrt(s["acc"] + epsilon)


def ref_adadelta(x, g, s, t, lr, rho=0.95, epsilon=1e-7):
    s["eg"] = rho * s.get("eg", 0 * x) + (1 - rho) * g * g
    delta = -np.sqrt(s.get("ed", 0 * x) + epsilon) * g / np.sqrt(s["eg"] + epsilon)
    s["ed"] = rho * s.get("ed", 0 * x) + (1 - rho) * delta * delta
    return x + lr * delta


def ref_lion(x, g, s, t, lr, beta_1=0.9, beta_2=0.99):
    b1, b2 = c32(beta_1), c32(beta_2)
    m = s.get("m", 0 * x)
    s["m"] = m * b2 + g * (1 - b2)
    return x - lr * np.sign(m * b1 + g * (1 - b1))


REFERENCES = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adam, "Adamax": ref_adamax,
              "Nadam": ref_nadam, "RMSprop": ref_rmsprop, "Adagrad": ref_adagrad,
              "Adadelta": ref_adadelta, "Lion": ref_lion}
BASE_ARGS = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
DEFAULT_LR = {"SGD": 0.01}


def ref_learning_rate(lr, step):
    """The learning rate at ``step`` (0-based), from the float32 variable or a schedule."""
    if isinstance(lr, dict):  # a schedule's formula, in float32 like its initial rate
        f, kind, a = np.float32, lr["kind"], lr
        lr0, t, steps = f(a["lr0"]), f(step), f(a["steps"])
        if kind == "exponential":
            return float(lr0 * f(a["rate"]) ** (t / steps))
        if kind == "inverse_time":
            return float(lr0 / (1 + f(a["rate"]) * (t / steps)))
        if kind == "cosine":
            return float(lr0 * (f(0.5) * (1 + np.cos(f(math.pi) * (min(t, steps) / steps)))))
    return c32(lr)


def make_schedule(spec):
    if not isinstance(spec, dict):
        return spec
    if spec["kind"] == "exponential":
        return schedules.ExponentialDecay(spec["lr0"], spec["steps"], spec["rate"])
    if spec["kind"] == "inverse_time":
        return schedules.InverseTimeDecay(spec["lr0"], spec["steps"], spec["rate"])
    return schedules.CosineDecay(spec["lr0"], spec["steps"])


def clip_reference(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    if clipnorm:
        return [g * clipnorm / max(np.sqrt(np.sum(g * g)), clipnorm) for g in grads]
    if global_clipnorm:
        norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
        return [g * (global_clipnorm / max(norm, global_clipnorm)) for g in grads]
    if clipvalue:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


class Reference:
    """The optimizer ``name`` with ``settings``, as formulas on NumPy values."""

    def __init__(self, name, settings, dtype):
        self.name, self.dtype = name, dtype
        self.base = {k: settings[k] for k in BASE_ARGS if k in settings}
        self.hyper = {k: v for k, v in settings.items() if k not in BASE_ARGS}
        self.lr = self.base.pop("learning_rate", DEFAULT_LR.get(name, 0.001))
        if name == "AdamW":
            self.base.setdefault("weight_decay", 0.004)
        self.states, self.shared, self.t = {}, {}, 0

    def step(self, grads, values):
        lr = ref_learning_rate(self.lr, self.t)
        self.t += 1
        grads = clip_reference(grads, **{k: v for k, v in self.base.items()
                                         if k != "weight_decay"})
        if self.name == "Nadam":
            nadam_shared(self.shared, self.t, **self.hyper)
        extra = {"shared": self.shared} if self.name == "Nadam" else {}
        new = []
        for i, (g, x) in enumerate(zip(grads, values)):
            if self.base.get("weight_decay"):
                x = x - x * c32(self.base["weight_decay"]) * lr
            state = self.states.setdefault(i, {})
            new.append(np.asarray(REFERENCES[self.name](x, g, state, self.t, lr, **self.hyper,
                                                        **extra), self.dtype))
        return new


# ----- the two problems: gradients written in NumPy, so only the optimizers differ -----

A = np.array([0.5, 1.0, 2.0])
C = np.array([1.0, -2.0, 0.5])
X = np.linspace(-1.0, 1.0, 8)
Y = 3.0 * X + 2.0 + 0.1 * np.sin(7.0 * X)


def quadratic(dtype):
    start = [np.array([2.0, 1.0, -1.0], dtype)]

    def grads(values):
        x, = values
        return [(2 * A.astype(dtype) * (x - C.astype(dtype))).astype(dtype)]
    return start, grads


def least_squares(dtype):
    start = [np.asarray(0.5, dtype)[()], np.asarray(-0.5, dtype)[()]]
    xs, ys = X.astype(dtype), Y.astype(dtype)

    def grads(values):
        w, b = values
        err = w * xs + b - ys
        return [np.mean(2 * err * xs, dtype=dtype), np.mean(2 * err, dtype=dtype)]
    return start, grads


SETTINGS = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": {"kind": "exponential", "lr0": 0.2, "steps": 5, "rate": 0.5}}),
    ("Adam", {"learning_rate": 0.1}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.1, "weight_decay": 0.05, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3,
              "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": {"kind": "inverse_time", "lr0": 0.2, "steps": 4, "rate": 1.0}}),
    ("AdamW", {"learning_rate": 0.1}),
    ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.2, "amsgrad": True}),
    ("Adamax", {"learning_rate": 0.1}),
    ("Adamax", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("Nadam", {"learning_rate": 0.1}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": {"kind": "cosine", "lr0": 0.2, "steps": 15}}),
    ("RMSprop", {"learning_rate": 0.05}),
    ("RMSprop", {"learning_rate": 0.05, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.05, "centered": True}),
    ("RMSprop", {"learning_rate": 0.02, "rho": 0.8, "momentum": 0.9, "centered": True}),
    ("Adagrad", {"learning_rate": 0.5}),
    ("Adagrad", {"learning_rate": 0.5, "initial_accumulator_value": 0.3}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.8, "epsilon": 1e-3}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.4}),  # overshoots: gradient and momentum disagree in sign
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.5}),
]


def setting_id(name, settings):
    parts = [f"{k}={v['kind'] if isinstance(v, dict) else v}" for k, v in settings.items()]
    return ",".join([name] + parts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("problem", [quadratic, least_squares])
@pytest.mark.parametrize("name,settings", SETTINGS, ids=[setting_id(*s) for s in SETTINGS])
def test_matches_the_update_formula(name, settings, problem, dtype):
    start, grads_of = problem(dtype)
    variables = [tf.Variable(v) for v in start]
    opt = getattr(tf.optimizers, name)(**{k: make_schedule(v) for k, v in settings.items()})
    reference = Reference(name, settings, dtype)
    expected = list(start)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    for step in range(STEPS):
        grads = grads_of([v.numpy() for v in variables])
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        expected = reference.step(grads_of(expected), expected)
        for v, e in zip(variables, expected):
            np.testing.assert_allclose(v.numpy(), e, rtol=tol, atol=tol,
                                       err_msg=f"step {step + 1}")
    assert int(opt.iterations) == STEPS
    assert [v.dtype.as_numpy_dtype for v in variables] == [dtype] * len(variables)
    for state in opt.variables[1:]:  # everything but the iteration count
        want = np.float32 if state is opt.variables[1] and not isinstance(
            settings.get("learning_rate"), dict) else dtype
        assert state.numpy().dtype == want, state.name
    assert opt.iterations.dtype == tf.int64


def test_the_problems_are_solved():
    """Sanity of the test problems: long runs reach the minima the formulas aim at."""
    start, grads_of = least_squares(np.float64)
    w, b = tf.Variable(start[0]), tf.Variable(start[1])
    opt = tf.optimizers.Adam(learning_rate=0.05)
    for _ in range(2000):
        opt.apply_gradients(zip([tf.constant(g) for g in grads_of([w.numpy(), b.numpy()])],
                                [w, b]))
    slope, intercept = np.polyfit(X, Y, 1)
    assert float(w) == pytest.approx(slope, abs=1e-4)
    assert float(b) == pytest.approx(intercept, abs=1e-4)


# ----- float32 all the way -----

def test_float32_state_and_no_float64_leaks():
    x = tf.Variable([1.0, 2.0, 3.0])
    s = tf.Variable(0.5)
    for cls in (tf.optimizers.SGD, tf.optimizers.Adam, tf.optimizers.Nadam,
                tf.optimizers.RMSprop, tf.optimizers.Adagrad, tf.optimizers.Adadelta,
                tf.optimizers.Adamax, tf.optimizers.Lion, tf.optimizers.AdamW):
        for extra in ({"clipnorm": 1.0}, {"global_clipnorm": np.float64(1.0)},
                      {"clipvalue": np.float64(0.2), "loss_scale_factor": np.float64(2.0),
                       "weight_decay": np.float64(0.1)}):
            opt = cls(learning_rate=np.float64(0.1), **extra)
            # float64 NumPy gradients and a Python float are cast to the variables' float32
            opt.apply_gradients([(np.array([0.1, -0.2, 0.3]), x), (0.25, s)])
            opt.apply_gradients([(tf.constant([0.1, -0.2, 0.3]), x), (tf.constant(0.25), s)])
            assert x.numpy().dtype == np.float32 and type(s.numpy()) is np.float32
            assert {v.numpy().dtype.name for v in opt.variables} <= {"float32", "int64"}, cls


def test_mixed_dtypes_keep_their_own():
    x32 = tf.Variable([1.0, 2.0])
    x64 = tf.Variable([1.0, 2.0], dtype=tf.float64)
    opt = tf.optimizers.Nadam(learning_rate=0.1)
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0, -1.0]), x32),
                             (tf.constant([1.0, -1.0], dtype=tf.float64), x64)])
    assert x32.dtype == tf.float32 and x64.dtype == tf.float64
    np.testing.assert_allclose(x32.numpy(), x64.numpy(), rtol=1e-6)
    slot_dtypes = [v.dtype.name for v in opt.variables[2:]]
    # x32's momentum and velocity, x64's, then u_product in the first variable's dtype
    assert slot_dtypes == ["float32", "float32", "float64", "float64", "float32"]


# ----- apply_gradients: what it accepts and refuses -----

def test_apply_gradients_returns_iterations_and_takes_any_iterable():
    x = tf.Variable([1.0, 2.0])
    opt = tf.optimizers.SGD(learning_rate=0.5)
    it = opt.apply_gradients(zip([tf.constant([1.0, 1.0])], [x]))
    assert it is opt.iterations and int(it) == 1
    assert repr(it).startswith("<tapegrad.Variable '") and "dtype=int64, numpy=1>" in repr(it)
    opt.apply_gradients(((g, v) for g, v in [(tf.constant([2.0, 0.0]), x)]))
    assert x.numpy().tolist() == [-0.5, 1.5] and int(opt.iterations) == 2


def test_none_gradients_are_skipped_with_one_warning():
    x, y, z = tf.Variable(1.0, name="x"), tf.Variable(2.0, name="y"), tf.Variable(3.0)
    opt = tf.optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning) as record:
        opt.apply_gradients([(None, x), (tf.constant(1.0), y), (None, z)])
    assert len(record) == 1
    assert str(record[0].message) == (
        "Gradients do not exist for variables ['x:0', 'Variable:0'] when minimizing the loss. "
        "If using `model.compile()`, did you forget to provide a `loss` argument?")
    assert record[0].filename == __file__  # points at the caller
    assert [float(x), float(y), float(z)] == [1.0, 1.5, 3.0]
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable\.$"):
        opt.apply_gradients([(None, x), (None, y)])
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable\.$"):
        opt.apply_gradients([])


def test_a_gradient_of_the_wrong_shape_names_its_variable():
    w = tf.Variable([1.0, 2.0], name="weights")
    opt = tf.optimizers.Adam()
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("Cannot update variable 'weights:0' with shape [2] using "
                                       "a gradient with shape [3], shapes must be equal.")):
        opt.apply_gradients([(tf.constant([1.0, 2.0, 3.0]), w)])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \[\]"):
        opt.apply_gradients([(1.0, w)])  # no broadcasting, as in TensorFlow
    assert w.numpy().tolist() == [1.0, 2.0] and int(opt.iterations) == 0


def test_unknown_variables_and_non_variables_are_refused():
    x, y = tf.Variable(1.0), tf.Variable(2.0)
    opt = tf.optimizers.SGD()
    opt.apply_gradients([(tf.constant(1.0), x)])
    with pytest.raises(ValueError, match=r"^Unknown variable: <tapegrad.Variable 'Variable:0'.*"
                                         r"This optimizer can only be called for the variables "
                                         r"it was originally built with\."):
        opt.apply_gradients([(tf.constant(1.0), y)])
    with pytest.raises(TypeError, match="updates tapegrad.Variable objects; got <tapegrad.Tensor"):
        tf.optimizers.SGD().apply_gradients([(tf.constant(1.0), tf.constant(2.0))])


def test_a_subset_of_the_variables_updates_only_those():
    x, y = tf.Variable(1.0), tf.Variable(2.0)
    opt = tf.optimizers.Adam(learning_rate=0.1)
    opt.apply_gradients([(tf.constant(1.0), x), (tf.constant(1.0), y)])
    opt.apply_gradients([(tf.constant(1.0), y)])
    assert float(x) == pytest.approx(0.9, abs=1e-5) and float(y) == pytest.approx(1.8, abs=1e-5)
    assert int(opt.iterations) == 2


def test_apply_and_build():
    x, y = tf.Variable([1.0, 1.0]), tf.Variable(1.0)
    opt = tf.optimizers.SGD(learning_rate=0.5)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([tf.constant([1.0, 1.0])])
    opt.build([x, y])
    assert opt.built
    opt.apply([tf.constant([1.0, 2.0]), tf.constant(2.0)])
    assert x.numpy().tolist() == [0.5, 0.0] and float(y) == 0.0
    with pytest.raises(ValueError, match="Received a list of 1 gradients"):
        opt.apply([tf.constant(1.0)])


# ----- the constructor: Keras's arguments, defaults, checks and names -----

def test_keras_defaults_and_config():
    config = tf.optimizers.Adam().get_config()
    assert config == {
        "name": config["name"], "learning_rate": 0.0010000000474974513, "weight_decay": None,
        "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
        "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
        "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
        "amsgrad": False}
    assert tf.optimizers.SGD().get_config()["learning_rate"] == 0.009999999776482582
    assert tf.optimizers.AdamW().get_config()["weight_decay"] == 0.004
    assert tf.optimizers.Lion().get_config()["beta_2"] == 0.99
    assert tf.optimizers.Adadelta().get_config()["rho"] == 0.95
    assert tf.optimizers.Adagrad().get_config()["initial_accumulator_value"] == 0.1
    rms = tf.optimizers.RMSprop().get_config()
    assert (rms["rho"], rms["momentum"], rms["epsilon"], rms["centered"]) == (0.9, 0.0, 1e-7,
                                                                              False)


def test_auto_names_follow_keras():
    names = {cls: cls().name for cls in (tf.optimizers.SGD, tf.optimizers.RMSprop,
                                         tf.optimizers.AdamW, tf.optimizers.Adam)}
    assert re.fullmatch(r"sgd(_\d+)?", names[tf.optimizers.SGD])
    assert re.fullmatch(r"rm_sprop(_\d+)?", names[tf.optimizers.RMSprop])
    assert re.fullmatch(r"adam_w(_\d+)?", names[tf.optimizers.AdamW])
    first = tf.optimizers.Nadam().name
    second = tf.optimizers.Nadam().name
    n = int(first.rpartition("_")[2]) if first != "nadam" else 0
    assert second == f"nadam_{n + 1}"
    assert tf.optimizers.Adam(name="mine").name == tf.optimizers.Adam(name="mine").name == "mine"


def test_slot_variables_are_named_after_their_variables():
    x = tf.Variable([1.0], name="dense/kernel")
    opt = tf.optimizers.Adam(name="opt")
    opt.apply_gradients([(tf.constant([1.0]), x)])
    assert [v.name for v in opt.variables] == [
        "opt/iteration:0", "opt/learning_rate:0", "opt/dense_kernel_0_momentum:0",
        "opt/dense_kernel_0_velocity:0"]
    assert all(not v.trainable for v in opt.variables)


def test_constructor_checks():
    with pytest.raises(ValueError, match=r"^`momentum` must be a float between \[0, 1\]\.$"):
        tf.optimizers.SGD(momentum=0)
    with pytest.raises(ValueError, match="`momentum` must be a float"):
        tf.optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and "
                                         "`global_clipnorm` can be set"):
        tf.optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="Argument `weight_decay` must be a float"):
        tf.optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="Argument `beta_1` must be in the"):
        tf.optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'betas': 0.9\}"):
        tf.optimizers.Adam(betas=0.9)
    with pytest.raises(ValueError, match="Argument `learning_rate` should be float"):
        tf.optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="gradient_accumulation_steps` must be an integer >= 2"):
        tf.optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.warns(UserWarning, match="Argument `decay` is no longer supported"):
        tf.optimizers.SGD(decay=0.1)


def test_lr_keyword_is_accepted_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="use `learning_rate`") as record:
        opt = tf.optimizers.Adam(lr=0.05)
    assert record[0].filename == __file__
    assert float(opt.learning_rate) == pytest.approx(0.05)
    with pytest.warns(DeprecationWarning):
        opt = tf.optimizers.AdamW(lr=0.2)  # a subclass of a subclass: still the caller's line
    assert float(opt.learning_rate) == pytest.approx(0.2)
    with pytest.warns(DeprecationWarning):
        assert float(opt.lr) == pytest.approx(0.2)


def test_learning_rate_is_a_float32_variable_and_settable():
    opt = tf.optimizers.SGD(learning_rate=0.1)
    lr = opt.learning_rate
    assert isinstance(lr, tf.Variable) and lr.dtype == tf.float32
    assert opt.get_config()["learning_rate"] == 0.10000000149011612
    x = tf.Variable(1.0)
    opt.learning_rate = 0.5
    opt.apply_gradients([(tf.constant(1.0), x)])
    assert float(x) == 0.5
    opt.learning_rate.assign(0.25)
    opt.apply_gradients([(tf.constant(1.0), x)])
    assert float(x) == 0.25
    opt.learning_rate = lambda: 0.125  # a callable replaces the variable
    assert [v.name for v in opt.variables] == [opt.iterations.name]
    opt.apply_gradients([(tf.constant(1.0), x)])
    assert float(x) == 0.125
    assert tf.optimizers.SGD(learning_rate=1).get_config()["learning_rate"] == 1.0  # kinder
    scheduled = tf.optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="its learning rate is not settable"):
        scheduled.learning_rate = 0.1


def test_a_learning_rate_variable_is_kept():
    rate = tf.Variable(0.5)
    opt = tf.optimizers.SGD(learning_rate=rate)
    assert opt.learning_rate is rate and opt.variables[1] is rate
    x = tf.Variable(0.0)
    opt.apply_gradients([(tf.constant(-1.0), x)])
    rate.assign(0.25)  # TensorFlow 2.x's way of changing the rate
    opt.apply_gradients([(tf.constant(-1.0), x)])
    assert float(x) == 0.75 and opt.get_config()["learning_rate"] == 0.25


def test_schedule_and_callable_learning_rates():
    x = tf.Variable(0.0)
    opt = tf.optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([1, 2],
                                                                           [1.0, 0.5, 0.25]))
    moves = []
    for _ in range(4):
        before = float(x)
        opt.apply_gradients([(tf.constant(-1.0), x)])
        moves.append(float(x) - before)
    assert moves == [1.0, 1.0, 0.5, 0.25]  # the rate of iterations 0, 1, 2, 3
    assert isinstance(opt.learning_rate, tf.Tensor) and float(opt.learning_rate) == 0.25
    rates = iter([0.5, 0.25])
    opt = tf.optimizers.SGD(learning_rate=lambda: next(rates))
    y = tf.Variable(0.0)
    opt.apply_gradients([(tf.constant(-1.0), y)])
    opt.apply_gradients([(tf.constant(-1.0), y)])
    assert float(y) == 0.75


# ----- clipping, decay, EMA, accumulation, loss scaling -----

def test_clipping_rules():
    def step(**kw):
        x = tf.Variable([0.0, 0.0])
        y = tf.Variable(0.0)
        tf.optimizers.SGD(learning_rate=1.0, **kw).apply_gradients(
            [(tf.constant([3.0, 4.0]), x), (tf.constant(12.0), y)])
        return (-x.numpy()).tolist(), -float(y)
    assert step(clipnorm=1.0) == ([0.6000000238418579, 0.800000011920929], 1.0)
    assert step(global_clipnorm=6.5) == ([1.5, 2.0], 6.0)  # the norm of (3, 4, 12) is 13
    assert step(clipvalue=3.5) == ([3.0, 3.5], 3.5)
    assert step(clipnorm=0.0) == ([3.0, 4.0], 12.0)  # 0 means no clipping, as in Keras


def test_exclude_from_weight_decay():
    w, b = tf.Variable(1.0, name="kernel"), tf.Variable(1.0, name="bias")
    opt = tf.optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(tf.constant(0.0), w), (tf.constant(0.0), b)])
    assert float(w) == pytest.approx(0.9) and float(b) == 1.0
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_list=[w])


def test_gradient_accumulation_applies_the_mean_every_k_steps():
    x = tf.Variable(0.0)
    opt = tf.optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    seen = []
    for g in [1.0, 2.0, 6.0, 3.0, 3.0, 3.0]:
        opt.apply_gradients([(tf.constant(g), x)])
        seen.append(float(x))
    assert seen == [0.0, 0.0, -3.0, -3.0, -3.0, -6.0]
    assert int(opt.iterations) == 2 and int(opt.variables[0]) == 6


def test_ema_averages_and_overwrites():
    x = tf.Variable(0.0)
    opt = tf.optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(3):
        opt.apply_gradients([(tf.constant(-1.0), x)])
    average = next(v for v in opt.variables if v.name.endswith("average:0"))
    # x: 1, 2, 3; the average starts at x, then halves toward it: 1, 1.5, 2.25
    assert float(x) == 3.0 and float(average) == 2.25
    opt.finalize_variable_values([x])
    assert float(x) == 2.25


def test_loss_scale_factor():
    x = tf.Variable(1.0)
    opt = tf.optimizers.SGD(learning_rate=0.5, loss_scale_factor=4.0)
    assert float(opt.scale_loss(tf.constant(2.0))) == 8.0
    opt.apply_gradients([(tf.constant(4.0), x)])
    assert float(x) == 0.5


# ----- minimize -----

def test_minimize_with_a_callable_loss():
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    xs, ys = tf.constant(X.astype(np.float32)), tf.constant(Y.astype(np.float32))
    opt = tf.optimizers.Adam(learning_rate=0.1)
    for _ in range(300):
        opt.minimize(lambda: tf.reduce_mean((w * xs + b - ys) ** 2), [w, b])
    slope, intercept = np.polyfit(X, Y, 1)
    assert float(w) == pytest.approx(slope, abs=1e-3)
    assert float(b) == pytest.approx(intercept, abs=1e-3)


def test_minimize_with_a_tape_and_a_callable_var_list():
    x = tf.Variable(3.0)
    opt = tf.optimizers.SGD(learning_rate=0.25)
    with tf.GradientTape() as tape:
        loss = x * x
    opt.minimize(loss, lambda: [x], tape=tape)
    assert float(x) == 1.5
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.minimize(x * x, [x])


# ----- saving and resuming -----

@pytest.mark.parametrize("name,settings", [
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("Nadam", {"learning_rate": 0.05}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("Lion", {}),
    ("AdamW", {"learning_rate": schedules.CosineDecay(0.1, 30)}),
])
def test_state_round_trip_resumes_exactly(name, settings):
    start, grads_of = quadratic(np.float32)
    x = tf.Variable(start[0])
    opt = getattr(tf.optimizers, name)(**settings)

    def train(opt, x, steps):
        for _ in range(steps):
            opt.apply_gradients([(tf.constant(grads_of([x.numpy()])[0]), x)])

    train(opt, x, 10)
    saved_x, saved_state = x.numpy(), opt.get_weights()
    config = tf.optimizers.serialize(opt)
    train(opt, x, 10)

    resumed_x = tf.Variable(saved_x)
    resumed = tf.optimizers.deserialize(pickle.loads(pickle.dumps(config)))
    assert type(resumed) is type(opt) and resumed.get_config() == opt.get_config()
    resumed.build([resumed_x])
    for variable, value in zip(resumed.variables, saved_state):
        variable.assign(value)
    train(resumed, resumed_x, 10)
    np.testing.assert_array_equal(resumed_x.numpy(), x.numpy())
    for a, b in zip(resumed.variables, opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_save_and_load_own_variables():
    x = tf.Variable([1.0, 2.0])
    opt = tf.optimizers.Adam()
    opt.apply_gradients([(tf.constant([1.0, 1.0]), x)])
    store: dict = {}
    opt.save_own_variables(store)
    assert list(store) == ["0", "1", "2", "3"] and store["0"] == 1
    fresh = tf.optimizers.Adam()
    with pytest.warns(UserWarning, match="has not been called/built yet"):
        fresh.load_own_variables(store)
    fresh.build([tf.Variable([0.0, 0.0])])
    fresh.load_own_variables(store)
    assert int(fresh.iterations) == 1
    np.testing.assert_array_equal(fresh.variables[2].numpy(), opt.variables[2].numpy())
    with pytest.raises(ValueError, match="not compatible with provided weight shape"):
        fresh.set_weights([w if i != 2 else np.zeros(3) for i, w in
                           enumerate(opt.get_weights())])


def test_get_serialize_deserialize():
    assert tf.keras.optimizers.get("Adam").get_config()["beta_1"] == 0.9
    sgd = tf.optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5}})
    assert isinstance(sgd, tf.optimizers.SGD) and float(sgd.learning_rate) == 0.5
    opt = tf.optimizers.RMSprop()
    assert tf.optimizers.get(opt) is opt and tf.optimizers.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: foo"):
        tf.optimizers.get("foo")
    config = tf.optimizers.serialize(tf.optimizers.Adam(
        learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9)))
    assert config["module"] == "keras.optimizers" and config["class_name"] == "Adam"
    assert config["config"]["learning_rate"] == {
        "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                   "staircase": False, "name": "ExponentialDecay"}, "registered_name": None}
    back = tf.optimizers.deserialize(config)
    assert isinstance(back._learning_rate, schedules.ExponentialDecay)


# ----- the namespaces -----

def test_keras_namespace():
    import tapegrad.keras.optimizers.schedules as keras_schedules
    assert tf.keras.optimizers.Adam is tf.optimizers.Adam
    assert tf.keras.optimizers.schedules.CosineDecay is schedules.CosineDecay
    assert keras_schedules.ExponentialDecay is schedules.ExponentialDecay
    assert {"optimizers", "keras"} <= set(tf.__all__)
    for name in tf.keras.optimizers.__all__:
        if name != "schedules":
            assert getattr(tf.keras.optimizers, name) is getattr(tf.optimizers, name)
    for name in schedules.__all__:
        assert getattr(keras_schedules, name) is getattr(schedules, name)


# ----- one primitive per step: what a trace compiler replays -----

def test_a_step_is_one_primitive_whose_kernel_replays_it():
    x = tf.Variable([1.0, 2.0])
    opt = tf.optimizers.Adam(learning_rate=0.1)
    seen = []

    def listener(prim, out, inputs, params):
        seen.append((prim, out, inputs, params))

    tape_module.add_listener(listener)
    try:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(x * x)
        grads = tape.gradient(loss, [x])
        seen.clear()
        opt.apply_gradients(zip(grads, [x]))
    finally:
        tape_module.remove_listener(listener)
    assert [s[0].name for s in seen] == ["ApplyGradients"]
    prim, out, inputs, params = seen[0]
    assert inputs == tuple(grads) and params == (opt, (x,)) and prim.vjps == ()
    assert out.numpy() == 1 and out.dtype == tf.int64
    # Replaying the kernel with new gradient values takes the next step, as apply_gradients
    twin = tf.Variable(x.numpy())
    twin_opt = tf.optimizers.Adam.from_config(opt.get_config())
    twin_opt.build([twin])
    twin_opt.set_weights(opt.get_weights())
    old_value = x._value
    result = prim.kernel(np.array([0.5, -0.5], np.float32), *params)
    twin_opt.apply_gradients([(tf.constant([0.5, -0.5]), twin)])
    assert result == 2 and type(result) is np.int64 and int(opt.iterations) == 2
    np.testing.assert_array_equal(x.numpy(), twin.numpy())
    assert x._value is not old_value and old_value.tolist() != x.numpy().tolist()  # new array


def test_apply_gradients_under_a_recording_tape_records_nothing():
    x = tf.Variable(1.0)
    opt = tf.optimizers.SGD(learning_rate=0.5)
    with tf.GradientTape() as tape:
        y = x * 3.0
        opt.apply_gradients([(tf.constant(1.0), x)])
        z = y + x
    assert float(tape.gradient(z, x)) == 4.0 and float(x) == 0.5


# ----- a subclass written Keras's way -----

class SignSGD(tf.keras.optimizers.Optimizer):
    def __init__(self, learning_rate=0.1, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.counts = self.add_optimizer_variables(variables, "count")

    def update_step(self, gradient, variable, learning_rate):
        self.assign_sub(variable, tf.sign(gradient) * learning_rate)
        self.assign_add(self.counts[self._get_variable_index(variable)], tf.ones_like(gradient))


def test_a_keras_style_subclass():
    x = tf.Variable([1.0, -1.0])
    opt = SignSGD(weight_decay=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.apply_gradients([(tf.constant([3.0, -0.1]), x)])
        opt.apply_gradients([(tf.constant([3.0, -0.1]), x)])
    # each step: decay by (1 - 0.5 * 0.1), then move 0.1 against the sign
    expected = np.array([1.0, -1.0])
    for _ in range(2):
        expected = expected * 0.95 - 0.1 * np.sign([3.0, -0.1])
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    assert opt.variables[-1].numpy().tolist() == [2.0, 2.0]
    assert opt.name.startswith("sign_sgd")


@pytest.mark.parametrize("module", [
    "tapegrad.optimizers", "tapegrad.optimizers.base", "tapegrad.optimizers.sgd",
    "tapegrad.optimizers.adam", "tapegrad.optimizers.rmsprop", "tapegrad.optimizers.adagrad",
    "tapegrad.optimizers.lion", "tapegrad.optimizers.schedules", "tapegrad.keras",
    "tapegrad.keras.optimizers"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("make", [lambda: tf.optimizers.Adam(0.05),
                                  lambda: tf.optimizers.Adam(0.05, amsgrad=True),
                                  lambda: tf.optimizers.Nadam(0.05)],
                         ids=["Adam", "Adam-amsgrad", "Nadam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_array_updates_match_the_scalar_ones_bit_for_bit(make, dtype):
    """An array's update (scratch arrays, ``out=``) is the scalars' (plain arithmetic), element
    by element; no array a tensor holds is ever written to."""
    rng = np.random.default_rng(3)
    start = rng.normal(size=4).astype(dtype)
    vector = tf.Variable(start)
    scalars = [tf.Variable(v) for v in start]
    opt_vector, opt_scalars = make(), make()
    seen = []
    for _ in range(20):
        g = rng.normal(size=4).astype(dtype)
        seen.append((tf.identity(vector), vector.numpy().copy()))
        seen += [(tf.identity(s), s.numpy().copy()) for s in opt_vector.variables[1:]]
        opt_vector.apply_gradients([(tf.constant(g), vector)])
        opt_scalars.apply_gradients([(tf.constant(x), s) for x, s in zip(g, scalars)])
    assert vector.numpy().tobytes() == np.array([s.numpy() for s in scalars], dtype).tobytes()
    for tensor, value in seen:
        assert tensor.numpy().tobytes() == value.tobytes()
