"""Keras's weight initializers (``tapegrad.keras.initializers``), by class or by name.

A random initializer draws from its own seed: an integer ``seed`` gives the same values at every
call, as in Keras 3; without one, a seed is drawn when the initializer is made (reproducible after
``keras.utils.set_random_seed``). The numbers are NumPy's, not TensorFlow's.

>>> import tapegrad as tf
>>> init = tf.keras.initializers.get("glorot_uniform")
>>> w = init((3, 4))
>>> w.shape, w.dtype, bool(tf.reduce_max(tf.abs(w)) <= (6 / 7) ** 0.5)
(TensorShape([3, 4]), tapegrad.float32, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dtypes import as_dtype
from ..tensor import Tensor, as_shape
from ..tensor import constant as _constant
from . import backend

__all__ = ["Initializer", "Constant", "Zeros", "Ones", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Identity", "Orthogonal", "get",
           "serialize", "deserialize"]


class Initializer:
    """Makes a tensor of a given shape and dtype: ``initializer(shape, dtype=None)``."""

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        shape = as_shape(shape)
        dtype = as_dtype(dtype or backend.floatx())
        return _constant(np.asarray(self._draw(shape), dtype=dtype.as_numpy_dtype), dtype=dtype)

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__`.")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def clone(self) -> Initializer:
        return type(self).from_config(self.get_config())


class Constant(Initializer):
    """Every entry ``value``."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.value), shape)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Zeros(Initializer):
    """Every entry 0."""

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape)


class Ones(Initializer):
    """Every entry 1."""

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.ones(shape)


class _Random(Initializer):
    """An initializer with a seed: an int, or None (one drawn now)."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"`seed` argument should be an instance of "
                             f"`keras.random.SeedGenerator()` or an integer. Received: seed={seed}")
        self.seed = seed
        self._seed = backend.draw_seed() if seed is None else seed

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self._seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _truncated(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws, those beyond two standard deviations drawn again."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out


class RandomNormal(_Random):
    """Normal draws with ``mean`` and ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.mean + self.stddev * self._rng().standard_normal(shape)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal draws with ``mean`` and ``stddev``, none further than two stddevs from the mean."""

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.mean + self.stddev * _truncated(self._rng(), shape)


class RandomUniform(_Random):
    """Uniform draws in [minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._rng().uniform(self.minval, self.maxval, shape)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """Keras's fan-in and fan-out: a kernel's last two axes, times its receptive field."""
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class VarianceScaling(_Random):
    """Draws with variance ``scale / n``, n the fan-in, fan-out or their mean (``mode``)."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None) -> None:
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: expected one of {{'fan_in', 'fan_out', "
                             f"'fan_avg'}}. Received: mode={mode}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: expected one of {{'normal', "
                             f"'uniform'}}. Received: distribution={distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape)
        if self.distribution == "truncated_normal":
            # the standard deviation of a standard normal truncated to [-2, 2]
            return math.sqrt(variance) / 0.87962566103423978 * _truncated(rng, shape)
        return math.sqrt(variance) * rng.standard_normal(shape)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _scaling(name: str, scale: float, mode: str, distribution: str, doc: str) -> type:
    def __init__(self: VarianceScaling, seed: int | None = None) -> None:  # noqa: N807
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self: VarianceScaling) -> dict[str, Any]:
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": doc, "__module__": __name__})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform",
                         "Uniform in ±sqrt(6 / (fan_in + fan_out)): Keras's default kernel.")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                        "Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal",
                    "Truncated normal with stddev sqrt(2 / fan_in).")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform", "Uniform in ±sqrt(6 / fan_in).")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal",
                       "Truncated normal with stddev sqrt(1 / fan_in).")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform", "Uniform in ±sqrt(3 / fan_in).")


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return self.gain * np.eye(*shape)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


class Orthogonal(_Random):
    """A random orthogonal matrix (rows or columns orthonormal) times ``gain``."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


_CLASSES = [Constant, Zeros, Ones, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Identity,
            Orthogonal]
_BY_NAME: dict[str, type] = {backend.snake_case(c.__name__): c for c in _CLASSES}
_BY_NAME.update({c.__name__: c for c in _CLASSES})

# Keras's lower-case aliases: the classes themselves.
constant, zeros, ones, identity, orthogonal = Constant, Zeros, Ones, Identity, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, glorot_uniform, glorot_normal = VarianceScaling, GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Keras's config dict for an initializer."""
    from .saving import serialize_keras_object
    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Initializer:
    """The initializer a config dict describes."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects, _BY_NAME)


def get(identifier: Any) -> Initializer | None:
    """An initializer from a name (``"he_normal"``), a config dict, a class or an instance.

    >>> import tapegrad as tf
    >>> tf.keras.initializers.get("ones")((2,)).numpy().tolist()
    [1.0, 1.0]
    """
    from .saving import lookup
    return lookup(identifier, _BY_NAME, "initializer", deserialize)


# Keras's other names for two of them (not in __all__: one object, one entry)
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
