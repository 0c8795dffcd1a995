"""Learning rate schedules against their formulas (Keras 3's), written out in Python floats."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.optimizers import schedules

STEPS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100]


def exponential(step, lr0, decay_steps, decay_rate, staircase=False):
    p = step / decay_steps
    return lr0 * decay_rate ** (math.floor(p) if staircase else p)


def inverse_time(step, lr0, decay_steps, decay_rate, staircase=False):
    p = step / decay_steps
    return lr0 / (1 + decay_rate * (math.floor(p) if staircase else p))


def polynomial(step, lr0, decay_steps, end=0.0001, power=1.0, cycle=False):
    if cycle:
        decay_steps = decay_steps * max(1, math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (lr0 - end) * (1 - step / decay_steps) ** power + end


def piecewise(step, boundaries, values):
    for boundary, value in zip(boundaries, values):
        if step <= boundary:
            return value
    return values[-1]


def cosine(step, lr0, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    if warmup_target is not None:
        if step < warmup_steps:
            return lr0 + (warmup_target - lr0) * step / warmup_steps
        lr0, step = warmup_target, step - warmup_steps
    step = min(step, decay_steps)
    return lr0 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha)


def cosine_restarts(step, lr0, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    start, length, scale = 0.0, float(first), 1.0
    while step >= start + length:  # walk period by period
        start, length, scale = start + length, length * t_mul, scale * m_mul
    fraction = (step - start) / length
    return lr0 * ((1 - alpha) * scale * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)


CASES = [
    (schedules.ExponentialDecay, (0.1, 10, 0.5), {}, exponential),
    (schedules.ExponentialDecay, (0.1, 10, 0.5), {"staircase": True}, exponential),
    (schedules.InverseTimeDecay, (0.5, 4, 0.3), {}, inverse_time),
    (schedules.InverseTimeDecay, (0.5, 4, 0.3), {"staircase": True}, inverse_time),
    (schedules.PolynomialDecay, (0.1, 30), {}, polynomial),
    (schedules.PolynomialDecay, (0.1, 30), {"end_learning_rate": 0.01, "power": 0.5},
     lambda s, lr0, n, end_learning_rate, power: polynomial(s, lr0, n, end_learning_rate,
                                                            power)),
    (schedules.PolynomialDecay, (0.1, 30), {"cycle": True},
     lambda s, lr0, n, cycle: polynomial(s, lr0, n, cycle=cycle)),
    (schedules.PiecewiseConstantDecay, ([5, 20], [0.1, 0.05, 0.01]), {}, piecewise),
    (schedules.CosineDecay, (0.1, 50), {}, cosine),
    (schedules.CosineDecay, (0.1, 50), {"alpha": 0.1}, cosine),
    (schedules.CosineDecay, (0.0, 50), {"warmup_target": 0.2, "warmup_steps": 10}, cosine),
    (schedules.CosineDecayRestarts, (0.1, 10), {}, cosine_restarts),
    (schedules.CosineDecayRestarts, (0.1, 10), {"t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1},
     cosine_restarts),
    (schedules.CosineDecayRestarts, (0.1, 7), {"t_mul": 1.5, "m_mul": 0.8}, cosine_restarts),
]


@pytest.mark.parametrize("cls,args,kwargs,formula", CASES,
                         ids=[f"{c[0].__name__}-{','.join(c[2]) or 'plain'}" for c in CASES])
def test_schedule_matches_its_formula(cls, args, kwargs, formula):
    schedule = cls(*args, **kwargs)
    for step in STEPS:
        value = schedule(step)
        assert isinstance(value, tf.Tensor) and value.dtype == tf.float32
        expected = formula(step, *args, **kwargs)
        assert float(value) == pytest.approx(expected, rel=2e-6, abs=1e-8), step
    # the optimizer's step count (an int64 variable) works as the step
    step = tf.Variable(np.int64(13), trainable=False)
    assert float(schedule(step)) == pytest.approx(formula(13, *args, **kwargs), rel=2e-6,
                                                  abs=1e-8)
    back = schedules.deserialize(schedules.serialize(schedule))
    assert type(back) is cls and back.get_config() == schedule.get_config()
    assert float(back(21)) == float(schedule(21))


def test_schedules_compute_in_the_dtype_of_the_initial_rate():
    s = schedules.ExponentialDecay(np.float64(0.1), 3, 0.5)
    assert s(2).dtype == tf.float64
    assert float(s(2)) == pytest.approx(0.1 * 0.5 ** (2 / 3), rel=1e-14)
    assert schedules.PiecewiseConstantDecay([2], [1, 2])(3).dtype == tf.int32  # as in Keras


def test_invalid_schedules():
    with pytest.raises(ValueError, match=r"Argument `decay_steps` must be > 0\. Received: "
                                         r"decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="`first_decay_steps` must be > 0"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="length of boundaries should be 1 less than the length"
                                         " of values"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Unknown decay: 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(0)


def test_a_custom_schedule_round_trips_with_custom_objects():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return self.rate / 2 ** float(step)

        def get_config(self):
            return {"rate": self.rate}

    config = schedules.serialize(Halving(0.4))
    assert config["class_name"] == "Halving" and config["registered_name"] == "Halving"
    back = schedules.deserialize(config, custom_objects={"Halving": Halving})
    assert back(2) == pytest.approx(0.1)
    x = tf.Variable(0.0)
    opt = tf.optimizers.SGD(learning_rate=back)
    for _ in range(3):
        opt.apply_gradients([(tf.constant(-1.0), x)])
    assert float(x) == pytest.approx(0.4 + 0.2 + 0.1)
