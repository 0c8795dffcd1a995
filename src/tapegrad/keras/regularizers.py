"""Weight penalties (``tapegrad.keras.regularizers``): a layer adds them to ``layer.losses``.

>>> import tapegrad as tf
>>> float(tf.keras.regularizers.L2(0.1)(tf.constant([1.0, 2.0])))
0.5
"""

from __future__ import annotations

from typing import Any

from ..ops.math import abs as _abs
from ..ops.math import square
from ..ops.reduce import reduce_sum
from ..tensor import Tensor

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]


class Regularizer:
    """A penalty ``regularizer(weight) -> scalar`` added to the training loss."""

    def __call__(self, x: Tensor) -> Tensor:
        return 0.0

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)


def _factor(value: Any, name: str) -> float:
    value = 0.01 if value is None else value
    if not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"Value '{value}' for argument '{name}' must be a non-negative "
                         f"number, received: {value}")
    return float(value)


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor(l1, "l1")

    def __call__(self, x: Tensor) -> Tensor:
        return self.l1 * reduce_sum(_abs(x))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)``."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor(l2, "l2")

    def __call__(self, x: Tensor) -> Tensor:
        return self.l2 * reduce_sum(square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(l1 or 0.0, "l1")
        self.l2 = _factor(l2 or 0.0, "l2")

    def __call__(self, x: Tensor) -> Tensor:
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * reduce_sum(_abs(x))
        if self.l2:
            penalty = penalty + self.l2 * reduce_sum(square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2}


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """Keras's config dict for a regularizer."""
    from .saving import serialize_keras_object
    return serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Regularizer:
    """The regularizer a config dict describes."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects, _BY_NAME)


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from a name (``"l2"``), a config dict or an instance (returned as is)."""
    from .saving import lookup
    return lookup(identifier, _BY_NAME, "regularizer", deserialize)
