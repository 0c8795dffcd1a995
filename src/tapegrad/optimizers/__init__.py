"""Optimizers with Keras 3's update rules (``tf.optimizers``, ``tf.keras.optimizers``).

>>> import tapegrad as tf
>>> x = tf.Variable(50.0)
>>> opt = tf.optimizers.Adam(learning_rate=1.0)
>>> for _ in range(200):
...     with tf.GradientTape() as tape:
...         loss = (x - 10.0) ** 2
...     _ = opt.apply_gradients([(tape.gradient(loss, x), x)])
>>> round(float(x))
10
"""

from __future__ import annotations

from typing import Any

from . import schedules
from .adagrad import Adadelta, Adagrad
from .adam import Adam, Adamax, AdamW, Nadam
from .base import Optimizer
from .lion import Lion
from .rmsprop import RMSprop
from .sgd import SGD

_BY_NAME = {cls.__name__.lower(): cls for cls in (
    Optimizer, SGD, Adam, AdamW, Adamax, Nadam, RMSprop, Adagrad, Adadelta, Lion)}


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The optimizer as Keras's config dict (``module``, ``class_name``, ``config``).

    >>> import tapegrad as tf
    >>> tf.optimizers.serialize(tf.optimizers.SGD(name="sgd"))["class_name"]
    'SGD'
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> Optimizer:
    """The optimizer ``serialize`` described (class names are case-insensitive)."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name.lower())
    if cls is None:
        raise ValueError(f"Could not interpret optimizer identifier: {config}")
    return cls.from_config(config.get("config", {}), custom_objects)


def get(identifier: Any) -> Optimizer | None:
    """An optimizer from a name (``"adam"``), a config dict, or an optimizer (returned as is).

    >>> import tapegrad as tf
    >>> tf.keras.optimizers.get("rmsprop").get_config()["rho"]
    0.9
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier.lower() not in _BY_NAME or identifier.lower() == "optimizer":
            raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
        obj = _BY_NAME[identifier.lower()]()
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad",
           "Adadelta", "Lion", "schedules", "serialize", "deserialize", "get"]
