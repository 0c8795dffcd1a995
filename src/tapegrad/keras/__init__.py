"""The ``tf.keras`` names tapegrad has: ``tapegrad.keras.optimizers``.

>>> import tapegrad as tf
>>> tf.keras.optimizers.Adam is tf.optimizers.Adam
True
"""

from __future__ import annotations

from . import optimizers

__all__ = ["optimizers"]
