"""Learning rate schedules, as ``tf.keras.optimizers.schedules`` (Keras 3).

A schedule is called with the optimizer's step count (``iterations``, before the step) and
returns the learning rate as a scalar tensor in the dtype of ``initial_learning_rate`` (float32
for a Python float). The arithmetic is Keras's, in that dtype.

>>> import tapegrad as tf
>>> decay = tf.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> [round(float(decay(step)), 6) for step in (0, 10, 20)]
[0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Tensor, to_numpy, wrap


class LearningRateSchedule:
    """The base of learning rate schedules: ``__call__(step)`` gives the rate at ``step``.

    >>> import tapegrad as tf
    >>> class OneOverT(tf.optimizers.schedules.LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (float(step) + 1)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> opt = tf.optimizers.SGD(learning_rate=OneOverT(0.1))
    >>> float(opt.learning_rate)
    0.1
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """The schedule ``get_config`` described."""
        return cls(**config)


def _start(initial_learning_rate: Any, step: Any) -> tuple[Any, Any]:
    """(initial rate as a NumPy scalar of its dtype, step in that dtype)."""
    lr0 = np.asarray(to_numpy(initial_learning_rate, None))[()]
    if isinstance(step, Tensor):
        step = step._value
    return lr0, lr0.dtype.type(step)


def _check_steps(name: str, steps: Any) -> None:
    if steps <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={steps}")


class _RateDecay(LearningRateSchedule):
    """A decay driven by ``step / decay_steps`` (floored with ``staircase``) and ``decay_rate``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = type(self).__name__ if name is None else name
        _check_steps("decay_steps", decay_steps)

    def __call__(self, step: Any) -> Tensor:
        lr0, t = _start(self.initial_learning_rate, step)
        f = lr0.dtype.type
        p = t / f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return wrap(self._decayed(lr0, f(self.decay_rate), p, f))

    def _decayed(self, lr0: Any, rate: Any, p: Any, f: Callable[[Any], Any]) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, floored with staircase.

    >>> import tapegrad as tf
    >>> s = tf.optimizers.schedules.ExponentialDecay(1.0, 2, 0.5, staircase=True)
    >>> [float(s(t)) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def _decayed(self, lr0: Any, rate: Any, p: Any, f: Callable[[Any], Any]) -> Any:
        return lr0 * rate ** p


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored: staircase).

    >>> import tapegrad as tf
    >>> s = tf.optimizers.schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    >>> [float(s(t)) for t in range(3)]
    [1.0, 0.6666666865348816, 0.5]
    """

    def _decayed(self, lr0: Any, rate: Any, p: Any, f: Callable[[Any], Any]) -> Any:
        return lr0 / (f(1) + rate * p)


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` as ``(1 - step/decay_steps)**power``.

    With ``cycle``, ``decay_steps`` grows to the first multiple above ``step``.

    >>> import tapegrad as tf
    >>> s = tf.optimizers.schedules.PolynomialDecay(1.0, 4, end_learning_rate=0.0)
    >>> [float(s(t)) for t in (0, 2, 4, 8)]
    [1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_steps("decay_steps", decay_steps)

    def __call__(self, step: Any) -> Tensor:
        lr0, t = _start(self.initial_learning_rate, step)
        f = lr0.dtype.type
        end = f(self.end_learning_rate)
        steps = f(self.decay_steps)
        if self.cycle:
            steps = steps * (f(1) if t == 0 else np.ceil(t / f(self.decay_steps)))
        else:
            t = np.minimum(t, steps)
        return wrap((lr0 - end) * (f(1) - t / steps) ** f(self.power) + end)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, then ``values[1]`` ... ``values[-1]``.

    >>> import tapegrad as tf
    >>> s = tf.optimizers.schedules.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    >>> [round(float(s(t)), 2) for t in range(6)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """

    def __init__(self, boundaries: Sequence[Any], values: Sequence[Any],
                 name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        step = np.asarray(to_numpy(step, None))[()]
        values = [np.asarray(to_numpy(v, None))[()] for v in self.values]
        dtype = values[0].dtype
        chosen = values[-1]
        for boundary, value in zip(self.boundaries, values):
            if step <= step.dtype.type(boundary):
                chosen = value
                break
        return wrap(dtype.type(chosen))

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial (or warm-up target) rate to ``alpha`` times it.

    With ``warmup_target``, the rate first rises linearly from ``initial_learning_rate`` to it
    over ``warmup_steps``.

    >>> import tapegrad as tf
    >>> s = tf.optimizers.schedules.CosineDecay(1.0, decay_steps=4)
    >>> [round(float(s(t)), 4) for t in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_steps("decay_steps", decay_steps)

    def _decay(self, t: Any, steps: Any, start: Any) -> Any:
        f = start.dtype.type
        cosine = f(0.5) * (f(1) + np.cos(f(math.pi) * (t / steps)))
        return start * (f(1 - self.alpha) * cosine + f(self.alpha))

    def __call__(self, step: Any) -> Tensor:
        lr0, t = _start(self.initial_learning_rate, step)
        f = lr0.dtype.type
        steps = f(self.decay_steps)
        if self.warmup_target is None:
            return wrap(self._decay(np.minimum(t, steps), steps, lr0))
        target, warmup = f(self.warmup_target), f(self.warmup_steps)
        t = np.minimum(t, steps + warmup)
        if t < warmup:
            return wrap((target - lr0) * (t / warmup) + lr0)
        return wrap(self._decay(t - warmup, steps, target))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): each period ``t_mul`` times longer, ``m_mul`` lower.

    >>> import tapegrad as tf
    >>> s = tf.optimizers.schedules.CosineDecayRestarts(1.0, first_decay_steps=2)
    >>> [round(float(s(t)), 4) for t in range(4)]
    [1.0, 0.5, 1.0, 0.8536]
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_steps("first_decay_steps", first_decay_steps)

    def __call__(self, step: Any) -> Tensor:
        lr0, t = _start(self.initial_learning_rate, step)
        f = lr0.dtype.type
        alpha, t_mul, m_mul = f(self.alpha), f(self._t_mul), f(self._m_mul)
        fraction = t / f(self.first_decay_steps)
        if t_mul == 1:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            restart = np.floor(np.log(f(1) - fraction * (f(1) - t_mul)) / np.log(t_mul))
            done = (f(1) - t_mul ** restart) / (f(1) - t_mul)
            fraction = (fraction - done) / t_mul ** restart
        cosine = f(0.5) * m_mul ** restart * (f(1) + np.cos(f(math.pi) * fraction))
        return wrap(lr0 * ((f(1) - alpha) * cosine + alpha))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_BUILT_IN = {cls.__name__: cls for cls in (
    ExponentialDecay, InverseTimeDecay, PolynomialDecay, PiecewiseConstantDecay, CosineDecay,
    CosineDecayRestarts)}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """The schedule as Keras's config dict (``module``, ``class_name``, ``config``).

    >>> import tapegrad as tf
    >>> tf.optimizers.schedules.serialize(tf.optimizers.schedules.CosineDecay(0.1, 10))["config"]
    {'initial_learning_rate': 0.1, 'decay_steps': 10, 'alpha': 0.0, 'name': 'CosineDecay', \
'warmup_target': None, 'warmup_steps': 0}
    """
    cls = type(learning_rate_schedule)
    built_in = _BUILT_IN.get(cls.__name__) is cls
    return {"module": "keras.optimizers.schedules" if built_in else cls.__module__,
            "class_name": cls.__name__, "config": learning_rate_schedule.get_config(),
            "registered_name": None if built_in else cls.__name__}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> LearningRateSchedule:
    """The schedule ``serialize`` described; ``custom_objects`` names your own classes."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BUILT_IN.get(name)
    if cls is None:
        raise ValueError(f"Unknown decay: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included "
                         "in the scope. Pass your own schedule classes as `custom_objects`.")
    return cls.from_config(config["config"])


__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
           "PiecewiseConstantDecay", "CosineDecay", "CosineDecayRestarts", "serialize",
           "deserialize"]
