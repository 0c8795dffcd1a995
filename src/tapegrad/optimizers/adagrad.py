"""Adagrad and Adadelta, as Keras 3's ``Adagrad`` and ``Adadelta``."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Variable
from .base import Optimizer


class Adagrad(Optimizer):
    """Per-coordinate rates from the sum of squared gradients.

    ``acc += g²`` (starting at ``initial_accumulator_value``); ``w -= lr·g / √(acc + epsilon)``.

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0)
    >>> _ = opt.apply_gradients([(tf.constant(2.0), x)])
    >>> round(float(x), 4)
    0.9
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the accumulator slots, filled with ``initial_accumulator_value``."""
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=self.initial_accumulator_value)
        self._slots = [(a,) for a in self._accumulators]

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        return f(self.epsilon)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        return lr, self._constants(dtype)

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        lr, epsilon = k
        acc, = slots
        acc._value = total = acc._value + g * g
        return x - lr * g / np.sqrt(total + epsilon)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """Adadelta: steps scaled by running RMS of past steps over running RMS of gradients.

    ``E[g²] = rho·E[g²] + (1 - rho)·g²``; ``Δ = -√(E[Δ²] + ε)·g / √(E[g²] + ε)``;
    ``E[Δ²] = rho·E[Δ²] + (1 - rho)·Δ²``; ``w += lr·Δ``.

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.Adadelta(learning_rate=1.0, rho=0.5, epsilon=0.01)
    >>> _ = opt.apply_gradients([(tf.constant(1.0), x)])
    >>> round(float(x), 4)
    0.86
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the accumulated-gradient and accumulated-step slots."""
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"])
        self._slots = list(zip(self._accumulated_grads, self._accumulated_delta_vars))

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        return f(self.rho), f(1 - self.rho), f(self.epsilon)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        return (lr,) + self._constants(dtype)

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        lr, rho, one_minus_rho, epsilon = k
        grads_sq, deltas_sq = slots
        grads_sq._value = g1 = rho * grads_sq._value + one_minus_rho * (g * g)
        delta = -(np.sqrt(deltas_sq._value + epsilon) * g / np.sqrt(g1 + epsilon))
        deltas_sq._value = rho * deltas_sq._value + one_minus_rho * (delta * delta)
        return x + lr * delta

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config


__all__ = ["Adagrad", "Adadelta"]
