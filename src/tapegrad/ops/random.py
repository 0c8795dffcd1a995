"""Random tensors (``tapegrad.random``), reproducible with ``set_seed``.

The numbers come from NumPy's PCG64 generator, so they are not TensorFlow's numbers; what matches
is the contract: after ``set_seed(s)`` a program draws the same sequence every run, successive
calls draw different values, and an op-level ``seed`` gives each call site its own sequence.
Random ops are primitives, so a traced function draws fresh numbers on every call.

>>> import tapegrad as tf
>>> tf.random.set_seed(1)
>>> a = tf.random.normal((2,))
>>> tf.random.set_seed(1)
>>> bool(tf.reduce_all(tf.random.normal((2,)) == a))
True
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype, float32
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_int, convert_to_tensor, new_shape
from .math import add, multiply

_lock = threading.Lock()
_global_seed: int | None = None
_global_rng: np.random.Generator | None = None  # made on first use: numpy.random loads slowly
_op_calls: dict[int, itertools.count] = {}


def set_seed(seed: int | None) -> None:
    """Make every later random op reproducible from ``seed`` (None: fresh entropy again)."""
    global _global_seed, _global_rng
    with _lock:
        _global_seed = None if seed is None else as_int(seed, "seed")
        _global_rng = np.random.default_rng(None if seed is None else _global_seed % 2**64)
        _op_calls.clear()


def get_global_generator_seed() -> int | None:
    return _global_seed


def _generator(seed: int | None) -> np.random.Generator:
    """The global stream, or for an op seed its own stream, advanced once per call."""
    global _global_rng
    if seed is None:
        if _global_rng is None:
            _global_rng = np.random.default_rng()
        return _global_rng
    with _lock:
        seed = as_int(seed, "seed")
        call = next(_op_calls.setdefault(seed, itertools.count()))
    global_seed = 0 if _global_seed is None else _global_seed
    return np.random.default_rng([global_seed % 2**64, seed % 2**64, call])  # seeds may be < 0


def _float_dtype(dtype: DType | str) -> DType:
    d = as_dtype(dtype)
    if not d.is_floating:
        raise ValueError(f"Invalid dtype {d!r}: a float dtype is required.")
    return d


def _draw(kind: str, shape: tuple[int, ...], dtype: np.dtype, seed: int | None,
          low: Any = None, high: Any = None) -> Any:
    rng = _generator(seed)
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
    if kind == "normal":
        out = rng.standard_normal(shape, dtype=draw_dtype)
    elif kind == "truncated":
        out = rng.standard_normal(shape, dtype=draw_dtype)
        bad = np.abs(out) > 2
        while bad.any():  # redraw beyond two standard deviations, as TensorFlow does
            out[bad] = rng.standard_normal(int(bad.sum()), dtype=draw_dtype)
            bad = np.abs(out) > 2
    elif kind == "uniform_int":
        out = rng.integers(low, high, shape, dtype=dtype)
    else:
        out = rng.random(shape, dtype=draw_dtype)
    return out.astype(dtype, copy=False)[()]


DRAW = Primitive("RandomDraw", _draw, pure=False)


def _scaled(raw: Tensor, scale: Any, offset: Any) -> Tensor:
    dtype = raw.dtype
    return add(multiply(raw, convert_to_tensor(scale, dtype=dtype)),
               convert_to_tensor(offset, dtype=dtype))


def normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: DType | str = float32,
           seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples from a normal distribution with the given mean and standard deviation.

    >>> import tapegrad as tf
    >>> tf.random.normal((2, 3)).shape
    TensorShape([2, 3])
    """
    d = _float_dtype(dtype)
    raw = tape.apply(DRAW, (), ("normal", new_shape(shape, "RandomStandardNormal"), d._np, seed))
    return _scaled(raw, stddev, mean)


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                     dtype: DType | str = float32, seed: int | None = None,
                     name: str | None = None) -> Tensor:
    """Normal samples, redrawn where they fall more than two standard deviations out.

    >>> import tapegrad as tf
    >>> bool(tf.reduce_all(tf.abs(tf.random.truncated_normal((100,))) <= 2.0))
    True
    """
    d = _float_dtype(dtype)
    raw = tape.apply(DRAW, (), ("truncated", new_shape(shape, "TruncatedNormal"), d._np, seed))
    return _scaled(raw, stddev, mean)


def uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: DType | str = float32,
            seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples uniform in [minval, maxval) (maxval defaults to 1 for floats).

    >>> import tapegrad as tf
    >>> x = tf.random.uniform((1000,), 2.0, 3.0)
    >>> bool(tf.reduce_all((x >= 2.0) & (x < 3.0)))
    True
    """
    d = as_dtype(dtype)
    if d.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {d!r}.")
        low, high = as_int(minval, "minval"), as_int(maxval, "maxval")
        if low >= high:
            raise invalid_argument(f"Need minval < maxval: {low} >= {high} "
                                   "[Op:RandomUniformInt] name: ")
        return tape.apply(DRAW, (), ("uniform_int", new_shape(shape, "RandomUniformInt"), d._np,
                                     seed, low, high))
    d = _float_dtype(d)
    raw = tape.apply(DRAW, (), ("uniform", new_shape(shape, "RandomUniform"), d._np, seed))
    lo = convert_to_tensor(minval, dtype=d)
    hi = convert_to_tensor(1 if maxval is None else maxval, dtype=d)
    return _scaled(raw, hi - lo, lo)


SHUFFLE = Primitive("RandomShuffle", lambda x, seed: _generator(seed).permutation(x)
                    if np.ndim(x) else x, pure=False)


def shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` with its first axis randomly permuted.

    >>> import tapegrad as tf
    >>> sorted(tf.random.shuffle([1, 2, 3]).numpy().tolist())
    [1, 2, 3]
    """
    x = value if isinstance(value, Tensor) else convert_to_tensor(value)
    return tape.apply(SHUFFLE, (x,), (seed,))
