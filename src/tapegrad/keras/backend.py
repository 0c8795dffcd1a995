"""What Keras's backend module gives the rest of ``tapegrad.keras``: its variables, names, seeds.

A Keras variable is a tapegrad ``Variable`` (tapes, optimizers and ``tapegrad.function`` treat it
as one) that also knows its short name, its path (``dense/kernel``), a regularizer and a
constraint, and whose ``trainable`` flag a layer may change.

>>> import tapegrad as tf
>>> layer = tf.keras.layers.Dense(2, name="d")
>>> layer.build((None, 3))
>>> layer.kernel.name, layer.kernel.path, layer.kernel.shape
('kernel', 'd/kernel', TensorShape([3, 2]))
"""

from __future__ import annotations

import random as _random
import threading
from typing import Any

import numpy as np

from ..optimizers.base import _auto_name, _name_counts, _snake_case
from ..tensor import Variable

__all__ = ["KerasVariable", "floatx", "epsilon", "clear_session", "unique_name", "snake_case",
           "draw_seed", "set_random_seed", "is_float"]


def floatx() -> str:
    """The default float type, ``"float32"``."""
    return "float32"


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid dividing by zero or taking log(0): 1e-7."""
    return 1e-7


snake_case = _snake_case


def unique_name(class_name: str) -> str:
    """``Dense`` -> ``dense``, then ``dense_1``, ...: Keras's automatic names."""
    return _auto_name(class_name)


def clear_session() -> None:
    """Forget the automatic names given so far, so that the next ``Dense`` is ``dense`` again."""
    _name_counts.clear()


def is_float(dtype: Any) -> bool:
    return np.dtype(dtype).kind == "f"


# ----- seeds -----

_seeds = _random.Random()


def set_random_seed(seed: int) -> None:
    """Seed every random source Keras uses: Python's, NumPy's global one and tapegrad's.

    >>> import tapegrad as tf
    >>> tf.keras.utils.set_random_seed(1)
    >>> a = tf.keras.initializers.GlorotUniform()((2, 2))
    >>> tf.keras.utils.set_random_seed(1)
    >>> bool((tf.keras.initializers.GlorotUniform()((2, 2)) == a).numpy().all())
    True
    """
    from ..ops.random import set_seed
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} "
                         f"(of type {type(seed)})")
    _random.seed(seed)
    np.random.seed(seed)
    _seeds.seed(seed)
    set_seed(seed)


def draw_seed() -> int:
    """A fresh seed for an unseeded initializer or layer (reproducible after set_random_seed)."""
    return _seeds.randint(1, 10**9)


# ----- the training flag that nested layer calls inherit -----

_context = threading.local()


def current_training() -> Any:
    return getattr(_context, "training", None)


class TrainingScope:
    """Within, layers called with ``training=None`` use ``training`` (Keras's call context)."""

    def __init__(self, training: Any) -> None:
        self.training = training

    def __enter__(self) -> None:
        self.saved = current_training()
        _context.training = self.training

    def __exit__(self, *exc: Any) -> None:
        _context.training = self.saved


# ----- variables -----

class KerasVariable(Variable):
    """A layer's weight: a tapegrad ``Variable`` with Keras's ``name``, ``path``, settable
    ``trainable``, and the ``regularizer`` and ``constraint`` it was made with."""

    __slots__ = ("_short_name", "path", "regularizer", "constraint")

    def __init__(self, initial_value: Any, trainable: bool = True, name: str = "variable",
                 path: str | None = None, dtype: Any = None, regularizer: Any = None,
                 constraint: Any = None) -> None:
        super().__init__(initial_value, trainable=trainable, name=name, dtype=dtype)
        self._short_name = name
        self.path = name if path is None else path
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def name(self) -> str:
        return self._short_name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    def __repr__(self) -> str:
        return (f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={self.dtype.name},"
                f" value={np.asarray(self._value)}>")

    __str__ = __repr__
