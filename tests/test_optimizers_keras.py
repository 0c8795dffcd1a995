"""tapegrad's optimizers and schedules against Keras 3 itself (skipped without TensorFlow/Keras).

Both sides get the same gradients (a NumPy function of each side's current values), so only the
optimizers differ. On Keras 3.15 / TensorFlow 2.21 they agree to the last bit in float32 and
float64; the tolerance leaves room for another TensorFlow's pow or sum.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf_real = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tapegrad as tg  # noqa: E402

A = np.array([0.5, 1.0, 2.0, 1.5], np.float32)
C = np.array([1.0, -2.0, 0.5, 0.0], np.float32)


def grads(x, s):
    return 2 * A * (x - C), np.float32(3) * s * s - np.float32(1)


def run(module, make_variable, constant, name, kwargs, dtype, steps=25):
    x = make_variable(np.array([2.0, 1.0, -1.0, 0.3], dtype))
    s = make_variable(np.asarray(0.7, dtype))
    opt = getattr(module.optimizers, name)(**kwargs(module))
    for _ in range(steps):
        gx, gs = grads(x.numpy().astype(np.float32), s.numpy().astype(np.float32))
        opt.apply_gradients([(constant(gx.astype(dtype)), x),
                             (constant(np.asarray(gs, dtype)), s)])
    return x.numpy(), s.numpy(), [np.asarray(v.numpy()) for v in opt.variables]


CASES = [
    ("SGD", lambda m: {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", lambda m: {"learning_rate": 0.1, "weight_decay": 0.1, "global_clipnorm": 1.0}),
    ("Adam", lambda m: {"learning_rate": 0.1, "amsgrad": True, "clipnorm": 1.0}),
    ("Adam", lambda m: {"learning_rate": m.optimizers.schedules.CosineDecay(0.1, 20)}),
    ("Adam", lambda m: {"learning_rate": 0.1, "use_ema": True, "ema_overwrite_frequency": 7}),
    ("Adam", lambda m: {"learning_rate": 0.1, "gradient_accumulation_steps": 3}),
    ("AdamW", lambda m: {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("Adamax", lambda m: {"learning_rate": 0.1}),
    ("Nadam", lambda m: {"learning_rate": 0.1}),
    ("Nadam", lambda m: {"learning_rate": m.optimizers.schedules.ExponentialDecay(0.1, 5, 0.7)}),
    ("RMSprop", lambda m: {"learning_rate": 0.02, "momentum": 0.9, "centered": True}),
    ("Adagrad", lambda m: {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("Adadelta", lambda m: {"learning_rate": 1.0, "rho": 0.8}),
    ("Lion", lambda m: {"learning_rate": 0.05, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}{i}" for i, (n, _) in enumerate(CASES)])
def test_same_trajectory_and_state_as_keras(name, kwargs, dtype):
    want = run(keras, tf_real.Variable, tf_real.constant, name, kwargs, dtype)
    got = run(tg, tg.Variable, tg.constant, name, kwargs, dtype)
    # A schedule computes in float32, where TensorFlow's cos and pow may differ from NumPy's in
    # the last bit; a float64 trajectory then agrees to float32 precision only.
    scheduled = not isinstance(kwargs(keras)["learning_rate"], float)
    rtol = 1e-6 if dtype == np.float32 or scheduled else 1e-14
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=rtol)
    assert len(got[2]) == len(want[2])
    for mine, theirs in zip(got[2], want[2]):
        assert mine.dtype == theirs.dtype
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=rtol)


def test_same_config_and_names_as_keras():
    for name in ("SGD", "Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad", "Adadelta",
                 "Lion"):
        theirs = getattr(keras.optimizers, name)(name="o").get_config()
        mine = getattr(tg.optimizers, name)(name="o").get_config()
        assert mine == theirs, name


SCHEDULES = [
    ("ExponentialDecay", (0.1, 7, 0.6), {"staircase": True}),
    ("InverseTimeDecay", (0.1, 3, 0.5), {}),
    ("PolynomialDecay", (0.1, 30), {"power": 2.0, "cycle": True}),
    ("PiecewiseConstantDecay", ([3, 9], [0.3, 0.2, 0.1]), {}),
    ("CosineDecay", (0.0, 40), {"alpha": 0.1, "warmup_target": 0.3, "warmup_steps": 5}),
    ("CosineDecayRestarts", (0.1, 6), {"t_mul": 1.5, "m_mul": 0.9, "alpha": 0.05}),
]


@pytest.mark.parametrize("name,args,kwargs", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_as_keras(name, args, kwargs):
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    mine = getattr(tg.optimizers.schedules, name)(*args, **kwargs)
    for step in range(0, 60, 3):
        want = np.asarray(theirs(tf_real.constant(step, tf_real.int64)))
        assert mine(step).numpy() == pytest.approx(want, rel=1e-6, abs=1e-9), step
    assert tg.optimizers.schedules.serialize(mine) == \
        keras.optimizers.schedules.serialize(theirs)
