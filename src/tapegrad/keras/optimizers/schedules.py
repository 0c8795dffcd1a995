"""``tf.keras.optimizers.schedules``: the schedules of ``tapegrad.optimizers.schedules``."""

from __future__ import annotations

from ...optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
    deserialize,
    serialize,
)

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
           "PiecewiseConstantDecay", "CosineDecay", "CosineDecayRestarts", "serialize",
           "deserialize"]
