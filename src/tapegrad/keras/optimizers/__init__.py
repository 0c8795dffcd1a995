"""``tf.keras.optimizers``: the optimizers of ``tapegrad.optimizers`` under Keras's path.

>>> import tapegrad as tf
>>> tf.keras.optimizers.SGD(learning_rate=0.1).get_config()["learning_rate"]
0.10000000149011612
"""

from __future__ import annotations

from ...optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    Nadam,
    Optimizer,
    RMSprop,
    deserialize,
    get,
    serialize,
)
from . import schedules

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad",
           "Adadelta", "Lion", "schedules", "serialize", "deserialize", "get"]
