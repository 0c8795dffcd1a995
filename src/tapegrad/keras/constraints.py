"""Constraints (``tapegrad.keras.constraints``) a layer's weight is projected onto after each
optimizer step.

>>> import tapegrad as tf
>>> tf.keras.constraints.NonNeg()(tf.constant([-1.0, 2.0])).numpy().tolist() == [0.0, 2.0]
True
"""

from __future__ import annotations

from typing import Any

from ..ops.math import cast, clip_by_value, greater_equal, sqrt
from ..ops.reduce import reduce_sum
from ..tensor import Tensor

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "get", "serialize",
           "deserialize"]


class Constraint:
    """A projection ``constraint(weight) -> new weight``."""

    def __call__(self, w: Tensor) -> Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)


class NonNeg(Constraint):
    """Negative entries become 0."""

    def __call__(self, w: Tensor) -> Tensor:
        return w * cast(greater_equal(w, 0.0), w.dtype)


def _norms(w: Tensor, axis: Any) -> Tensor:
    return sqrt(reduce_sum(w * w, axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Slices along ``axis`` with a norm above ``max_value`` are scaled down to it."""

    def __init__(self, max_value: float = 2.0, axis: int = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: Tensor) -> Tensor:
        norms = _norms(w, self.axis)
        return w * (clip_by_value(norms, 0.0, self.max_value) / (1e-7 + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Slice norms moved ``rate`` of the way into [min_value, max_value]."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: int = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Tensor) -> Tensor:
        norms = _norms(w, self.axis)
        desired = self.rate * clip_by_value(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return w * (desired / (1e-7 + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class UnitNorm(Constraint):
    """Slices along ``axis`` scaled to norm 1."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, w: Tensor) -> Tensor:
        return w / (1e-7 + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


_CLASSES = [Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm]
_BY_NAME: dict[str, type] = {c.__name__: c for c in _CLASSES}
_BY_NAME.update({"max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "non_neg": NonNeg,
                 "unit_norm": UnitNorm})


def serialize(constraint: Constraint) -> dict[str, Any]:
    """Keras's config dict for a constraint."""
    from .saving import serialize_keras_object
    return serialize_keras_object(constraint)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Constraint:
    """The constraint a config dict describes."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects, _BY_NAME)


def get(identifier: Any) -> Constraint | None:
    """A constraint from a name, a config dict or an instance (returned as is)."""
    from .saving import lookup
    return lookup(identifier, _BY_NAME, "constraint", deserialize)
