"""RMSprop (plain, with momentum, or centered), as Keras 3's ``RMSprop``."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Variable
from .base import Optimizer


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    ``v = rho·v + (1 - rho)·g²``; ``w -= lr·g / √(v + epsilon)`` (epsilon inside the root).
    ``centered`` subtracts the square of the running mean gradient from ``v``; ``momentum``
    accumulates the increments before subtracting them.

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.RMSprop(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant(2.0), x)])
    >>> round(float(x), 4)
    0.6838
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the velocity slots, then momentum and average-gradient slots if used."""
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums: list[Variable] = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients: list[Variable] = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")
        n = len(self._velocities)
        self._slots = list(zip(self._velocities, self._momentums or [None] * n,
                               self._average_gradients or [None] * n))

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        return f(self.rho), f(1 - self.rho), f(self.momentum), f(self.epsilon)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        return (lr,) + self._constants(dtype)

    def _update(self, g: Any, x: Any, slots: tuple[Any, ...], k: Any) -> Any:
        lr, rho, one_minus_rho, momentum, epsilon = k
        v, m, average = slots
        v._value = v1 = rho * v._value + one_minus_rho * (g * g)
        if average is not None:
            average._value = a1 = rho * average._value + one_minus_rho * g
            denominator = v1 - a1 * a1 + epsilon
        else:
            denominator = v1 + epsilon
        increment = lr * g / np.sqrt(denominator)
        if m is None:
            return x - increment
        m._value = m1 = momentum * m._value + increment
        return x - m1

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config


__all__ = ["RMSprop"]
