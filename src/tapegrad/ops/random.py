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

import enum
import itertools
import threading
from typing import Any

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype, float32
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, Variable, as_int, convert_to_tensor, new_shape, wrap
from .math import add, multiply
from .special import _lgamma, _per_entry

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
    return _sample(_generator(seed), kind, shape, dtype, *(() if low is None else (low, high)))


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


# ----- draws with parameters: categorical, gamma, poisson, binomial -----

def _sample(rng: np.random.Generator, kind: str, shape: tuple[int, ...], dtype: np.dtype,
            *arrays: Any) -> Any:
    """One draw of ``kind`` from ``rng``: the kernels every random op shares."""
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
    if kind == "normal":
        out = rng.standard_normal(shape, dtype=draw_dtype)
    elif kind == "truncated":
        out = rng.standard_normal(shape, dtype=draw_dtype)
        while (bad := np.abs(out) > 2).any():  # redraw beyond two standard deviations, as TF
            out[bad] = rng.standard_normal(int(bad.sum()), dtype=draw_dtype)
    elif kind == "uniform":
        out = rng.random(shape, dtype=draw_dtype)
    elif kind == "uniform_int":
        low, high = arrays
        out = rng.integers(low, high, shape, dtype=dtype)
    elif kind == "full_int":
        info = np.iinfo(dtype)
        out = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    elif kind == "categorical":
        (logits,) = arrays
        top = np.max(logits, axis=1, keepdims=True)
        p = np.exp(logits - np.where(np.isfinite(top), top, 0))
        cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        u = rng.random((logits.shape[0], shape[-1]))
        out = np.minimum((u[:, :, None] >= cdf[:, None, :]).sum(-1), logits.shape[1] - 1)
    elif kind == "gamma":
        alpha, beta = arrays
        out = rng.standard_gamma(np.broadcast_to(alpha, shape)) / beta
    elif kind == "poisson":
        (lam,) = arrays
        out = rng.poisson(np.broadcast_to(lam, shape))
    elif kind == "binomial":
        counts, probs = arrays
        out = rng.binomial(np.broadcast_to(counts, shape).astype(np.int64),
                           np.broadcast_to(probs, shape))
    else:
        raise ValueError(f"unknown distribution {kind!r}")
    return np.asarray(out).astype(dtype, copy=False)[()]


SAMPLE = Primitive("RandomSample", lambda *args: _sample(_generator(args[-1]), *args[-4:-1],
                                                          *args[:-4]), pure=False)


def _draw_with(kind: str, shape: tuple[int, ...], dtype: Any, seed: int | None,
               *inputs: Tensor) -> Tensor:
    return tape.apply(SAMPLE, inputs, (kind, shape, np.dtype(dtype), seed))


def _float_input(x: Any, dtype: DType) -> Tensor:
    return convert_to_tensor(x, dtype=dtype)


def categorical(logits: Any, num_samples: Any, dtype: DType | str | None = None,
                seed: int | None = None, name: str | None = None) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` [batch, classes], int64 by default.

    >>> import tapegrad as tf
    >>> tf.random.categorical([[0.0, -1e9]], 3).numpy().tolist()
    [[0, 0, 0]]
    """
    x = logits if isinstance(logits, Tensor) else convert_to_tensor(logits)
    if x._value.ndim != 2:
        raise invalid_argument(f"logits should be a matrix, got shape {list(x.shape)} "
                               "[Op:Multinomial]")
    n = as_int(num_samples, "num_samples")
    out = as_dtype("int64" if dtype is None else dtype)
    return _draw_with("categorical", (x.shape[0], n), out._np, seed, x)


def _lower_gamma(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma P(a, x), in float64: the series below a + 1, the
    continued fraction (modified Lentz) above."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    with np.errstate(all="ignore"):
        front = np.exp(a * np.log(x) - x - _per_entry(_lgamma)(a))
        term = total = 1 / a
        for n in range(1, 300):
            term = term * x / (a + n)
            total = total + term
        series = total * front
        b = x + 1 - a
        c, d = np.full_like(b, 1e300), 1 / b
        h = d
        for n in range(1, 300):
            an = -n * (n - a)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < 1e-300, 1e-300, d)
            c = b + an / c
            c = np.where(np.abs(c) < 1e-300, 1e-300, c)
            d = 1 / d
            h = h * d * c
        fraction = 1 - front * h
    return np.where(x < a + 1, series, fraction)


def _gamma_alpha_rule(xp: Any, g: Any, ans: Any, alpha: Any, shape: Any, dtype: Any,
                      seed: Any) -> Any:
    """d sample / d alpha by implicit differentiation of the CDF (TensorFlow's rule): the
    alpha-derivative of P(alpha, x) over the density at x; P's derivative by central
    differences in float64. No further derivative, as in TensorFlow."""
    x = np.asarray(ans._value if isinstance(ans, Tensor) else ans, np.float64)
    a = np.broadcast_to(np.asarray(alpha._value if isinstance(alpha, Tensor) else alpha,
                                   np.float64), x.shape)
    step = 1e-4 * np.maximum(a, 1)
    d_cdf = (_lower_gamma(a + step, x) - _lower_gamma(a - step, x)) / (2 * step)
    with np.errstate(all="ignore"):
        density = np.exp((a - 1) * np.log(x) - x - _per_entry(_lgamma)(a))
        slope = np.where(x > 0, -d_cdf / density, 0.0)
    return g * slope.astype(np.result_type(ans))


GAMMA = Primitive("RandomGamma", lambda alpha, shape, dtype, seed: _sample(
    _generator(seed), "gamma", shape, dtype, alpha, np.ones((), dtype)), _gamma_alpha_rule,
    pure=False)


def gamma(shape: Any, alpha: Any, beta: Any = None, dtype: DType | str = float32,
          seed: int | None = None, name: str | None = None) -> Tensor:
    """Gamma(alpha, rate beta) samples of shape ``shape + broadcast(alpha, beta).shape``;
    differentiable in alpha (implicitly, through the CDF) and beta, as in TensorFlow.

    >>> import tapegrad as tf
    >>> tf.random.gamma([10], [0.5, 1.5]).shape
    TensorShape([10, 2])
    """
    d = _float_dtype(dtype)
    a = _float_input(alpha, d)
    b = _float_input(1 if beta is None else beta, d)
    batch = np.broadcast_shapes(np.shape(a._value), np.shape(b._value))
    if np.shape(a._value) != batch:
        a = multiply(a, convert_to_tensor(np.ones(batch, d._np)))
    raw = tape.apply(GAMMA, (a,), (new_shape(shape, "RandomGamma") + batch, d._np, seed))
    return raw if beta is None else raw / b


def poisson(shape: Any, lam: Any, dtype: DType | str = float32, seed: int | None = None,
            name: str | None = None) -> Tensor:
    """Poisson(lam) samples of shape ``shape + lam.shape``.

    >>> import tapegrad as tf
    >>> tf.random.poisson([4], [1.0, 2.0]).shape
    TensorShape([4, 2])
    """
    d = as_dtype(dtype)
    rate = convert_to_tensor(lam, dtype=float32 if d.is_integer else d)
    shape = new_shape(shape, "RandomPoissonV2") + np.shape(rate._value)
    return _draw_with("poisson", shape, d._np, seed, rate)


# ----- stateless draws: a pure function of a seed pair -----

def _seed_pair(seed: Any) -> Tensor:
    s = seed if isinstance(seed, Tensor) else convert_to_tensor(seed)
    if s._value.dtype.kind not in "iu":
        raise TypeError(f"seed must be an integer tensor, got {s.dtype.name}")
    if np.shape(s._value) != (2,):
        raise invalid_argument(f"seed must have shape [2], not {list(np.shape(s._value))} "
                               "[Op:StatelessRandomGetKeyCounter]")
    return s


def _rng_of(seed: Any) -> np.random.Generator:
    return np.random.default_rng([int(v) % 2**64 for v in np.asarray(seed).tolist()])


STATELESS = Primitive("StatelessRandom", lambda seed, *args: _sample(_rng_of(seed), *args))


def _stateless(kind: str, shape: tuple[int, ...], dtype: Any, seed: Any, *arrays: Any) -> Tensor:
    return tape.apply(STATELESS, (_seed_pair(seed),), (kind, shape, np.dtype(dtype), *arrays))


def stateless_normal(shape: Any, seed: Any, mean: Any = 0.0, stddev: Any = 1.0,
                     dtype: DType | str = float32, alg: Any = "auto_select",
                     name: str | None = None) -> Tensor:
    """Normal samples, the same for the same ``seed`` (a pair of ints) every time.

    >>> import tapegrad as tf
    >>> a = tf.random.stateless_normal([3], seed=[1, 2])
    >>> bool(tf.reduce_all(a == tf.random.stateless_normal([3], seed=[1, 2])))
    True
    """
    d = _float_dtype(dtype)
    raw = _stateless("normal", new_shape(shape, "StatelessRandomNormalV2"), d._np, seed)
    return _scaled(raw, stddev, mean)


def stateless_truncated_normal(shape: Any, seed: Any, mean: Any = 0.0, stddev: Any = 1.0,
                               dtype: DType | str = float32, alg: Any = "auto_select",
                               name: str | None = None) -> Tensor:
    """Normal samples within two standard deviations, determined by ``seed``.

    >>> import tapegrad as tf
    >>> float(tf.reduce_max(tf.abs(tf.random.stateless_truncated_normal([50], [0, 1])))) <= 2
    True
    """
    d = _float_dtype(dtype)
    raw = _stateless("truncated", new_shape(shape, "StatelessTruncatedNormalV2"), d._np, seed)
    return _scaled(raw, stddev, mean)


def stateless_uniform(shape: Any, seed: Any, minval: Any = 0, maxval: Any = None,
                      dtype: DType | str = float32, alg: Any = "auto_select",
                      name: str | None = None) -> Tensor:
    """Uniform samples in [minval, maxval), determined by ``seed``; for integers, both bounds
    or neither (then the dtype's full range).

    >>> import tapegrad as tf
    >>> tf.random.stateless_uniform([2], seed=[1, 2], maxval=10, dtype=tf.int32).dtype
    tapegrad.int32
    """
    d = as_dtype(dtype)
    shape = new_shape(shape, "StatelessRandomUniformV2")
    if d.is_integer:
        if minval is None and maxval is None:
            return _stateless("full_int", shape, d._np, seed)
        if minval is None or maxval is None:
            raise ValueError("For integer `dtype` argument (int32), argument `minval` and "
                             "`maxval` must be both None or not None.")
        low, high = as_int(minval, "minval"), as_int(maxval, "maxval")
        if low >= high:
            raise invalid_argument(f"Need minval < maxval: {low} >= {high} "
                                   "[Op:StatelessRandomUniformIntV2]")
        return _stateless("uniform_int", shape, d._np, seed, low, high)
    d = _float_dtype(d)
    lo = convert_to_tensor(minval, dtype=d)
    hi = convert_to_tensor(1 if maxval is None else maxval, dtype=d)
    return _scaled(_stateless("uniform", shape, d._np, seed), hi - lo, lo)


def stateless_categorical(logits: Any, num_samples: Any, seed: Any,
                          dtype: DType | str = "int64", name: str | None = None) -> Tensor:
    """``categorical``, determined by ``seed``.

    >>> import tapegrad as tf
    >>> tf.random.stateless_categorical([[0.0, 0.0]], 4, seed=[3, 4]).shape
    TensorShape([1, 4])
    """
    x = logits if isinstance(logits, Tensor) else convert_to_tensor(logits)
    if x._value.ndim != 2:
        raise invalid_argument(f"logits should be a matrix, got shape {list(x.shape)} "
                               "[Op:StatelessMultinomial]")
    return _stateless("categorical", (x.shape[0], as_int(num_samples, "num_samples")),
                      as_dtype(dtype)._np, seed, x._value)


def stateless_gamma(shape: Any, seed: Any, alpha: Any, beta: Any = None,
                    dtype: DType | str = float32, name: str | None = None) -> Tensor:
    """Gamma(alpha, rate beta) samples of ``shape`` (alpha and beta broadcast to it),
    differentiable in alpha and beta as ``gamma`` is.

    >>> import tapegrad as tf
    >>> tf.random.stateless_gamma([3, 2], seed=[1, 2], alpha=[1.0, 4.0]).shape
    TensorShape([3, 2])
    """
    d = _float_dtype(dtype)
    a = _float_input(alpha, d)
    shape = new_shape(shape, "StatelessRandomGammaV2")
    try:
        np.broadcast_to(a._value, shape)
    except ValueError:
        raise invalid_argument(f"alpha of shape {list(a.shape)} does not broadcast to shape "
                               f"{list(shape)} [Op:StatelessRandomGammaV2]") from None
    raw = tape.apply(STATELESS_GAMMA, (_seed_pair(seed), a), (shape, d._np))
    return raw if beta is None else raw / _float_input(beta, d)


STATELESS_GAMMA = Primitive(
    "StatelessRandomGammaV2", lambda seed, alpha, shape, dtype: _sample(
        _rng_of(seed), "gamma", shape, dtype, alpha, np.ones((), dtype)), None,
    lambda xp, g, ans, seed, alpha, shape, dtype: _gamma_alpha_rule(xp, g, ans, alpha, shape,
                                                                   dtype, None))


def stateless_poisson(shape: Any, seed: Any, lam: Any, dtype: DType | str = "int32",
                      name: str | None = None) -> Tensor:
    """Poisson(lam) samples of ``shape`` (lam broadcast to it), determined by ``seed``.

    >>> import tapegrad as tf
    >>> tf.random.stateless_poisson([2], seed=[1, 2], lam=[1.0, 2.0]).dtype
    tapegrad.int32
    """
    rate = convert_to_tensor(lam)._value
    return _stateless("poisson", new_shape(shape, "StatelessRandomPoisson"),
                      as_dtype(dtype)._np, seed, rate)


def stateless_binomial(shape: Any, seed: Any, counts: Any, probs: Any,
                       output_dtype: DType | str = "int32", name: str | None = None) -> Tensor:
    """Binomial(counts, probs) samples of ``shape``, determined by ``seed``.

    >>> import tapegrad as tf
    >>> tf.random.stateless_binomial([2], [1, 2], counts=[5.0, 10.0], probs=0.5).dtype
    tapegrad.int32
    """
    return _stateless("binomial", new_shape(shape, "StatelessRandomBinomial"),
                      as_dtype(output_dtype)._np, seed, convert_to_tensor(counts)._value,
                      convert_to_tensor(probs)._value)


def stateless_shuffle(value: Any, seed: Any, alg: Any = "auto_select",
                      name: str | None = None) -> Tensor:
    """``value`` with its first axis permuted, the same way for the same ``seed``.

    >>> import tapegrad as tf
    >>> sorted(tf.random.experimental.stateless_shuffle([1, 2, 3], seed=[1, 2]).numpy().tolist())
    [1, 2, 3]
    """
    from .array import gather
    x = value if isinstance(value, Tensor) else convert_to_tensor(value)
    if x._value.ndim == 0:
        return x
    order = _rng_of(_seed_pair(seed)._value).permutation(x.shape[0]).astype(np.int64)
    return gather(x, order)


def split(seed: Any, num: int = 2, alg: Any = "auto_select") -> Tensor:
    """``num`` new seed pairs derived from ``seed``, as a [num, 2] tensor of seed's dtype.

    >>> import tapegrad as tf
    >>> tf.random.split([1, 2], num=3).shape
    TensorShape([3, 2])
    """
    s = _seed_pair(seed)
    info = np.iinfo(s._value.dtype)
    out = _rng_of(s._value).integers(info.min, info.max, (as_int(num, "num"), 2),
                                     dtype=s._value.dtype, endpoint=True)
    return wrap(out)


def fold_in(seed: Any, data: Any, alg: Any = "auto_select") -> Tensor:
    """A new seed pair from ``seed`` and an integer ``data`` (e.g. a step number).

    >>> import tapegrad as tf
    >>> a = tf.random.fold_in([1, 2], 7)
    >>> bool(tf.reduce_all(a == tf.random.fold_in([1, 2], 7))), a.shape
    (True, TensorShape([2]))
    """
    s = _seed_pair(seed)
    info = np.iinfo(s._value.dtype)
    rng = np.random.default_rng([int(v) % 2**64 for v in s._value.tolist()]
                                + [as_int(data, "data") % 2**64])
    return wrap(rng.integers(info.min, info.max, 2, dtype=s._value.dtype, endpoint=True))


# ----- Generator: an explicit random state -----

class Algorithm(enum.Enum):
    """The names TensorFlow gives its generator algorithms; tapegrad draws with PCG64 for all."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def create_rng_state(seed: int, alg: Any) -> Tensor:
    """The int64 state [counter, 0, key] that ``Generator.from_seed(seed)`` starts from.

    >>> import tapegrad as tf
    >>> tf.random.create_rng_state(1, "philox").numpy().tolist()
    [0, 0, 1]
    """
    return wrap(np.array([0, 0, as_int(seed, "seed")], np.int64))


def _generator_draw(generator: Generator, kind: str, shape: tuple[int, ...], dtype: np.dtype,
                    *arrays: Any) -> Any:
    state = generator._state._value
    counter, key = int(state[0]), int(state[2])
    generator._state._store(np.array([counter + 1, state[1], key], np.int64))
    rng = np.random.default_rng([key % 2**64, counter % 2**64])
    return _sample(rng, kind, shape, dtype, *arrays)


GENERATOR_DRAW = Primitive("StatefulRandom", _generator_draw, pure=False)


class Generator:
    """A random number generator with its own state (a counter and a key, in ``state``): the
    same seed gives the same sequence of draws, ``split`` gives independent generators.

    >>> import tapegrad as tf
    >>> g = tf.random.Generator.from_seed(1)
    >>> a = g.normal([2])
    >>> bool(tf.reduce_all(a == tf.random.Generator.from_seed(1).normal([2])))
    True
    """

    def __init__(self, copy_from: Generator | None = None, state: Any = None, alg: Any = None
                 ) -> None:
        if copy_from is not None:
            state = copy_from.state
        if state is None:
            raise ValueError("Generator needs copy_from or state; use Generator.from_seed.")
        value = np.array(convert_to_tensor(state)._value, np.int64).reshape(-1)
        if value.shape != (3,):
            raise ValueError(f"state must have shape [3], got {list(value.shape)}")
        self._state = Variable(value, trainable=False, name="StateVar")
        self._alg = alg

    @classmethod
    def from_seed(cls, seed: int, alg: Any = None) -> Generator:
        """A generator whose draws are determined by the integer ``seed``."""
        return cls(state=create_rng_state(seed, alg), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg: Any = None) -> Generator:
        """A generator seeded from the operating system's entropy."""
        return cls.from_seed(int(np.random.SeedSequence().entropy % 2**63), alg)

    @classmethod
    def from_state(cls, state: Any, alg: Any) -> Generator:
        """A generator starting at ``state`` (as ``Generator.state`` holds it)."""
        return cls(state=state, alg=alg)

    @classmethod
    def from_key_counter(cls, key: int, counter: Any, alg: Any) -> Generator:
        """A generator with ``key`` and a starting ``counter``."""
        return cls(state=[as_int(np.ravel(convert_to_tensor(counter)._value)[0], "counter"), 0,
                          as_int(key, "key")], alg=alg)

    @property
    def state(self) -> Variable:
        """The int64 variable [counter, 0, key]; each draw advances the counter."""
        return self._state

    @property
    def algorithm(self) -> int:
        return Algorithm.PHILOX.value

    @property
    def key(self) -> Tensor:
        return wrap(np.uint64(self._state._value[2]))

    def reset(self, state: Any) -> None:
        self._state._store(np.array(convert_to_tensor(state)._value, np.int64))

    def reset_from_seed(self, seed: int) -> None:
        self.reset(create_rng_state(seed, self._alg))

    def reset_from_key_counter(self, key: int, counter: Any) -> None:
        self._state._store(Generator.from_key_counter(key, counter, self._alg)._state._value)

    def skip(self, delta: int) -> None:
        """Advance the state as ``delta`` draws would."""
        state = self._state._value.copy()
        state[0] += as_int(delta, "delta")
        self._state._store(state)

    def _draw(self, kind: str, shape: tuple[int, ...], dtype: np.dtype, *arrays: Any) -> Tensor:
        return tape.apply(GENERATOR_DRAW, (), (self, kind, shape, np.dtype(dtype), *arrays))

    def normal(self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
               dtype: DType | str = float32, name: str | None = None) -> Tensor:
        """Normal samples (see ``tapegrad.random.normal``)."""
        d = _float_dtype(dtype)
        return _scaled(self._draw("normal", new_shape(shape, "StatefulStandardNormalV2"),
                                  d._np), stddev, mean)

    def truncated_normal(self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                         dtype: DType | str = float32, name: str | None = None) -> Tensor:
        """Normal samples within two standard deviations."""
        d = _float_dtype(dtype)
        return _scaled(self._draw("truncated", new_shape(shape, "StatefulTruncatedNormal"),
                                  d._np), stddev, mean)

    def uniform(self, shape: Any, minval: Any = 0, maxval: Any = None,
                dtype: DType | str = float32, name: str | None = None) -> Tensor:
        """Uniform samples in [minval, maxval); integers need both bounds or neither."""
        d = as_dtype(dtype)
        shape = new_shape(shape, "StatefulUniform")
        if d.is_integer:
            if minval is None and maxval is None:
                return self._draw("full_int", shape, d._np)
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {d!r}.")
            return self._draw("uniform_int", shape, d._np, as_int(minval, "minval"),
                              as_int(maxval, "maxval"))
        d = _float_dtype(d)
        lo = convert_to_tensor(minval, dtype=d)
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=d)
        return _scaled(self._draw("uniform", shape, d._np), hi - lo, lo)

    def uniform_full_int(self, shape: Any, dtype: DType | str = "uint64",
                         name: str | None = None) -> Tensor:
        """Integers over the whole range of ``dtype``."""
        return self._draw("full_int", new_shape(shape, "StatefulUniformFullInt"),
                          as_dtype(dtype)._np)

    def binomial(self, shape: Any, counts: Any, probs: Any, dtype: DType | str = "int32",
                 name: str | None = None) -> Tensor:
        """Binomial(counts, probs) samples of ``shape``."""
        return self._draw("binomial", new_shape(shape, "StatefulRandomBinomial"),
                          as_dtype(dtype)._np, convert_to_tensor(counts)._value,
                          convert_to_tensor(probs)._value)

    def make_seeds(self, count: int = 1) -> Tensor:
        """A [2, count] int64 tensor of seed pairs for the stateless ops."""
        return self._draw("full_int", (2, as_int(count, "count")), np.dtype(np.int64))

    def split(self, count: int = 1) -> list[Generator]:
        """``count`` new generators, independent of this one and of each other."""
        seeds = self.make_seeds(count)._value
        return [Generator(state=[0, 0, int(a) ^ (int(b) << 1) % 2**63])
                for a, b in zip(seeds[0], seeds[1])]


_global_generator: Generator | None = None


def get_global_generator() -> Generator:
    """The generator that module-level code shares, made on first use."""
    global _global_generator
    if _global_generator is None:
        _global_generator = Generator.from_non_deterministic_state()
    return _global_generator


def set_global_generator(generator: Generator) -> None:
    """Replace the global generator."""
    global _global_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"set_global_generator needs a tapegrad.random.Generator, got "
                        f"{generator!r}")
    _global_generator = generator
