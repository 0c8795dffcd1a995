"""Lion (EvoLved Sign Momentum), as Keras 3's ``Lion``."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Variable
from .base import Optimizer, keras_cast


class Lion(Optimizer):
    """Steps of fixed size in the sign of an interpolated momentum.

    ``w -= lr·sign(beta_1·m + (1 - beta_1)·g)``, then ``m = beta_2·m + (1 - beta_2)·g``.

    >>> import tapegrad as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = tf.optimizers.Lion(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([3.0, -0.01]), x)])
    >>> [round(float(v), 4) for v in x.numpy()]
    [0.9, 1.1]
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             "optimizer degenerates to SignSGD. Received: "
                             f"beta_1={beta_1}.")

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the momentum slots."""
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._slots = [(m,) for m in self._momentums]

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        beta_1, beta_2 = keras_cast(f, self.beta_1), keras_cast(f, self.beta_2)
        return beta_1, 1 - beta_1, beta_2, 1 - beta_2

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        return (lr,) + self._constants(dtype)

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2 = k
        m, = slots
        m0 = m._value
        m._value = m0 * beta_2 + g * one_minus_beta_2
        return x - lr * np.sign(m0 * beta_1 + g * one_minus_beta_1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config


__all__ = ["Lion"]
