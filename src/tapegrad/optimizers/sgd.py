"""Stochastic gradient descent, with momentum and Nesterov momentum (Keras 3's ``SGD``)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Variable
from .base import Optimizer, keras_cast


class SGD(Optimizer):
    """Gradient descent: ``w -= learning_rate * g``, or with momentum

    ``velocity = momentum * velocity - learning_rate * g`` then ``w += velocity``
    (Nesterov: ``w += momentum * velocity - learning_rate * g``).

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(tf.constant(1.0), x)])
    >>> round(float(x), 4)
    0.71
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables: Sequence[Variable]) -> None:
        """Make a momentum slot per variable (only when ``momentum`` is not 0)."""
        if self.built:
            return
        super().build(variables)
        self.momentums: list[Variable] = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")
            self._slots = [(m,) for m in self.momentums]

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        return keras_cast(f, self.momentum)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        return lr, self._constants(dtype)

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        lr, momentum = k
        if not slots:
            return x - g * lr
        m, = slots
        m._value = velocity = m._value * momentum - g * lr
        if self.nesterov:
            return x + (velocity * momentum - g * lr)
        return x + velocity

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config


__all__ = ["SGD"]
