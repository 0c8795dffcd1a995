"""The op table: one entry per op, driving the generic tests in test_ops.py.

An entry names the op, how to call it on tensors, the same computation in NumPy, the input
shapes to try (broadcasting included) and where to sample inputs. The generic tests check the
forward value in float32 and float64, the first and second derivatives against central
differences in float64, and the float32 gradients. A new op gets every check by adding one entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

import tapegrad as tf

Shape = tuple[int, ...]
Sampler = Callable[[np.random.Generator, Shape], np.ndarray]


# ----- where inputs come from -----

def normal(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.normal(size=shape)


def positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def unit(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(-0.8, 0.8, size=shape)


def away_from_zero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Magnitudes in [0.3, 2], either sign: clear of kinks at 0."""
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def spread(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Distinct values at least 0.1 apart: no ties for max, min or sort."""
    n = math.prod(shape)
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.05, size=n) - 0.1 * n / 2).reshape(shape)


def with_a_zero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x.flat[0] = 0.0
    return x


def clear_of(*points: float) -> Sampler:
    """Normal samples nudged at least 0.15 away from each of ``points`` (kinks, bounds)."""
    def sample(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        x = rng.normal(size=shape)
        for p in points:
            x = np.where(np.abs(x - p) < 0.15, p + 0.3, x)
        return x
    return sample


def relu6_range(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Values in (-3, 9) clear of the kinks at 0 and 6."""
    x = rng.uniform(-3.0, 9.0, size=shape)
    return np.where(np.abs(x) < 0.3, 0.5, np.where(np.abs(x - 6) < 0.3, 5.0, x))


def bools(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.random(size=shape) < 0.5


def probabilities(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


def spd(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Well-conditioned square matrices."""
    a = rng.normal(size=shape)
    return a + 3 * np.eye(shape[-1])


@dataclass(frozen=True)
class Op:
    """One op under test: see the module docstring."""

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    shapes: Sequence[tuple[Shape, ...]]
    sample: Sampler | tuple[Sampler, ...] = normal
    grad: bool = True
    order2: bool = True
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-6
    float32: bool = True  # also check the forward pass and gradients in float32
    tags: tuple[str, ...] = field(default=())

    def samplers(self, n: int) -> tuple[Sampler, ...]:
        return self.sample if isinstance(self.sample, tuple) else (self.sample,) * n

    def inputs(self, shapes: tuple[Shape, ...], seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [np.asarray(s(rng, shape)) for s, shape in zip(self.samplers(len(shapes)), shapes)]


UNARY_SHAPES = [((),), ((3,),), ((2, 3),)]
BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ())]
CUBE = [((2, 3, 4),)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.log(_softmax(x, axis))


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _cumsum(x: np.ndarray, axis: int, exclusive: bool, reverse: bool) -> np.ndarray:
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis=axis)
    if exclusive:
        out = out - x
    return np.flip(out, axis) if reverse else out


def _floormod_inputs(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(1.0, 2.0, size=shape)


def _floormod_x(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """x with x / y's fractional part clear of the jumps, for y in [1, 2]."""
    return rng.integers(-3, 4, size=shape) * 2.0 + 0.5


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

UNARY: list[Op] = [
    Op("negative", tf.negative, np.negative, UNARY_SHAPES),
    Op("abs", tf.abs, np.abs, UNARY_SHAPES, away_from_zero),
    Op("square", tf.square, np.square, UNARY_SHAPES),
    Op("sqrt", tf.sqrt, np.sqrt, UNARY_SHAPES, positive),
    Op("rsqrt", tf.math.rsqrt, lambda x: 1 / np.sqrt(x), UNARY_SHAPES, positive),
    Op("exp", tf.exp, np.exp, UNARY_SHAPES),
    Op("expm1", tf.math.expm1, np.expm1, UNARY_SHAPES),
    Op("log", tf.math.log, np.log, UNARY_SHAPES, positive),
    Op("log1p", tf.math.log1p, np.log1p, UNARY_SHAPES, positive),
    Op("sin", tf.sin, np.sin, UNARY_SHAPES),
    Op("cos", tf.cos, np.cos, UNARY_SHAPES),
    Op("tan", tf.tan, np.tan, UNARY_SHAPES, unit),
    Op("asin", tf.asin, np.arcsin, UNARY_SHAPES, unit),
    Op("acos", tf.acos, np.arccos, UNARY_SHAPES, unit),
    Op("atan", tf.atan, np.arctan, UNARY_SHAPES),
    Op("sinh", tf.sinh, np.sinh, UNARY_SHAPES),
    Op("cosh", tf.cosh, np.cosh, UNARY_SHAPES),
    Op("tanh", tf.tanh, np.tanh, UNARY_SHAPES),
    Op("sigmoid", tf.sigmoid, _sigmoid, UNARY_SHAPES),
    Op("softplus", tf.math.softplus, lambda x: np.log1p(np.exp(x)), UNARY_SHAPES),
    Op("log_sigmoid", tf.math.log_sigmoid, lambda x: np.log(_sigmoid(x)), UNARY_SHAPES),
    Op("reciprocal", tf.math.reciprocal, np.reciprocal, UNARY_SHAPES, away_from_zero),
    Op("sign", tf.sign, np.sign, UNARY_SHAPES, away_from_zero),
    Op("identity", tf.identity, lambda x: x, UNARY_SHAPES),
    Op("identity_n", lambda x, y: tf.identity_n([x, y]), lambda x, y: [x, y],
       [((3,), (2, 3))]),
    Op("ensure_shape", lambda x: tf.ensure_shape(x, [None, 3]), lambda x: x, [((2, 3),)]),
    Op("relu", tf.nn.relu, lambda x: np.maximum(x, 0), UNARY_SHAPES, away_from_zero),
    Op("relu6", tf.nn.relu6, lambda x: np.clip(x, 0, 6), UNARY_SHAPES, relu6_range),
    Op("leaky_relu", lambda x: tf.nn.leaky_relu(x, alpha=0.3),
       # TensorFlow's alpha is a float32 attribute, in float64 computations too
       lambda x: np.where(x > 0, x, float(np.float32(0.3)) * x), UNARY_SHAPES, away_from_zero),
    Op("elu", tf.nn.elu, _elu, UNARY_SHAPES, away_from_zero),
    Op("selu", tf.nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)),
       UNARY_SHAPES, away_from_zero),
    Op("softsign", tf.nn.softsign, lambda x: x / (1 + np.abs(x)), UNARY_SHAPES, away_from_zero),
    Op("silu", tf.nn.silu, lambda x: x * _sigmoid(x), UNARY_SHAPES),
    Op("silu(beta=2)", lambda x: tf.nn.silu(x, beta=2.0), lambda x: x * _sigmoid(2 * x),
       UNARY_SHAPES),
    Op("l2_loss", tf.nn.l2_loss, lambda x: np.sum(x * x) / 2, UNARY_SHAPES),
    Op("clip_by_value", lambda x: tf.clip_by_value(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
       UNARY_SHAPES, clear_of(-0.5, 0.7)),
    Op("pow(x, 3)", lambda x: x ** 3, lambda x: x ** 3, UNARY_SHAPES),
    Op("pow(x, 0.5)", lambda x: x ** 0.5, np.sqrt, UNARY_SHAPES, positive),
    Op("2 - x", lambda x: 2.0 - x, lambda x: 2.0 - x, UNARY_SHAPES),
    Op("2 / x", lambda x: 2.0 / x, lambda x: 2.0 / x, UNARY_SHAPES, away_from_zero),
    Op("cast to float64 and back", lambda x: tf.cast(tf.cast(x, tf.float64) * 3, x.dtype),
       lambda x: x * 3, UNARY_SHAPES),
]

BINARY: list[Op] = [
    Op("add", tf.add, np.add, BINARY_SHAPES),
    Op("subtract", tf.subtract, np.subtract, BINARY_SHAPES),
    Op("multiply", tf.multiply, np.multiply, BINARY_SHAPES),
    Op("truediv", tf.math.truediv, np.true_divide, BINARY_SHAPES, (normal, away_from_zero)),
    Op("pow", tf.pow, np.power, BINARY_SHAPES, (positive, normal)),
    Op("maximum", tf.maximum, np.maximum, BINARY_SHAPES, (spread, normal)),
    Op("minimum", tf.minimum, np.minimum, BINARY_SHAPES, (spread, normal)),
    Op("squared_difference", tf.math.squared_difference, lambda x, y: (x - y) ** 2,
       BINARY_SHAPES),
    Op("atan2", tf.atan2, np.arctan2, BINARY_SHAPES, (normal, away_from_zero)),
    Op("floormod", tf.math.floormod, np.mod, [((3,), (3,)), ((2, 3), (3,))],
       (_floormod_x, _floormod_inputs)),
    Op("where", lambda x, y: tf.where(tf.constant([[True, False, True], [False, True, True]]),
                                      x, y),
       lambda x, y: np.where([[True, False, True], [False, True, True]], x, y),
       [((2, 3), (2, 3)), ((3,), (2, 3)), ((), (2, 1))]),
    Op("clip_by_value(tensor bounds)", lambda x, lo, hi: tf.clip_by_value(x, lo, hi),
       lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), [((4,), (4,), (4,))],
       (lambda rng, s: np.array([-2.0, 0.1, 0.2, 3.0]),
        lambda rng, s: np.full(s, -1.0) + rng.uniform(0, 0.1, s),
        lambda rng, s: np.full(s, 1.0) + rng.uniform(0, 0.1, s))),
]

REDUCTIONS: list[Op] = []
for _axis, _keep in [(None, False), (1, False), (-1, True), ([0, 2], False), ((0, 1, 2), True)]:
    _label = f"(axis={_axis}, keepdims={_keep})"
    _np_axis = tuple(_axis) if isinstance(_axis, list) else _axis
    REDUCTIONS += [
        Op("reduce_sum" + _label, lambda x, a=_axis, k=_keep: tf.reduce_sum(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.sum(x, axis=a, keepdims=k), CUBE),
        Op("reduce_mean" + _label, lambda x, a=_axis, k=_keep: tf.reduce_mean(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.mean(x, axis=a, keepdims=k), CUBE),
        Op("reduce_max" + _label, lambda x, a=_axis, k=_keep: tf.reduce_max(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.max(x, axis=a, keepdims=k), CUBE, spread),
        Op("reduce_min" + _label, lambda x, a=_axis, k=_keep: tf.reduce_min(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.min(x, axis=a, keepdims=k), CUBE, spread),
        Op("reduce_prod" + _label, lambda x, a=_axis, k=_keep: tf.reduce_prod(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.prod(x, axis=a, keepdims=k), CUBE,
           lambda rng, s: rng.uniform(0.7, 1.3, s) * rng.choice([-1.0, 1.0], s)),
        Op("reduce_logsumexp" + _label,
           lambda x, a=_axis, k=_keep: tf.reduce_logsumexp(x, a, k),
           lambda x, a=_np_axis, k=_keep: _logsumexp(x, a, k), CUBE),
        Op("reduce_variance" + _label,
           lambda x, a=_axis, k=_keep: tf.math.reduce_variance(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.var(x, axis=a, keepdims=k), CUBE),
        Op("reduce_std" + _label, lambda x, a=_axis, k=_keep: tf.math.reduce_std(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.std(x, axis=a, keepdims=k), CUBE),
        Op("reduce_euclidean_norm" + _label,
           lambda x, a=_axis, k=_keep: tf.math.reduce_euclidean_norm(x, a, k),
           lambda x, a=_np_axis, k=_keep: np.sqrt(np.sum(x * x, axis=a, keepdims=k)), CUBE),
    ]
REDUCTIONS += [
    Op("reduce_prod with zeros", lambda x: tf.reduce_prod(x, axis=1),
       lambda x: np.prod(x, axis=1), [((2, 3),)], with_a_zero),
    Op("reduce_prod with two zeros", lambda x: tf.reduce_prod(x),
       np.prod, [((4,),)], lambda rng, s: np.array([0.0, 1.5, 0.0, -2.0])),
    # At a tie a central difference moves each tied entry half the way: TF's even split.
    Op("reduce_max with ties", lambda x: tf.reduce_max(x), np.max, [((3,),)],
       lambda rng, s: np.array([1.0, 3.0, 3.0]), order2=False),
]
for _axis, _ex, _rev in [(0, False, False), (1, True, False), (-1, False, True), (1, True, True)]:
    REDUCTIONS.append(Op(f"cumsum(axis={_axis}, exclusive={_ex}, reverse={_rev})",
                         lambda x, a=_axis, e=_ex, r=_rev: tf.cumsum(x, a, e, r),
                         lambda x, a=_axis, e=_ex, r=_rev: _cumsum(x, a, e, r), [((3, 4),)]))


def _pad(x: np.ndarray, mode: str) -> np.ndarray:
    return np.pad(x, [(1, 2), (2, 1)], mode={"CONSTANT": "constant", "REFLECT": "reflect",
                                             "SYMMETRIC": "symmetric"}[mode])


ARRAYS: list[Op] = [
    Op("reshape", lambda x: tf.reshape(x, (3, -1)), lambda x: x.reshape(3, -1), [((2, 3),)]),
    Op("transpose", lambda x: tf.transpose(x, [2, 0, 1]), lambda x: x.transpose(2, 0, 1), CUBE),
    Op("transpose default", tf.transpose, np.transpose, CUBE),
    Op("expand_dims", lambda x: tf.expand_dims(x, -1), lambda x: x[..., None], [((2, 3),)]),
    Op("squeeze", lambda x: tf.squeeze(x, [1]), lambda x: x.squeeze(1), [((2, 1, 3),)]),
    Op("concat", lambda x, y: tf.concat([x, y], axis=1), lambda x, y: np.concatenate([x, y], 1),
       [((2, 3), (2, 1))]),
    Op("concat three", lambda x, y, z: tf.concat([x, y, z], 0),
       lambda x, y, z: np.concatenate([x, y, z], 0), [((1, 2), (2, 2), (1, 2))]),
    Op("stack", lambda x, y: tf.stack([x, y], axis=1), lambda x, y: np.stack([x, y], 1),
       [((2, 3), (2, 3))]),
    Op("unstack", lambda x: tf.unstack(x, axis=1), lambda x: [x[:, i] for i in range(3)],
       [((2, 3),)]),
    Op("split", lambda x: tf.split(x, [1, 3], axis=1), lambda x: [x[:, :1], x[:, 1:]],
       [((2, 4),)]),
    Op("tile", lambda x: tf.tile(x, [2, 3]), lambda x: np.tile(x, (2, 3)), [((2, 3),)]),
    Op("broadcast_to", lambda x: tf.broadcast_to(x, (4, 2, 3)),
       lambda x: np.broadcast_to(x, (4, 2, 3)), [((2, 1),), ((3,),)]),
    Op("gather", lambda x: tf.gather(x, [2, 0, 2, 1]), lambda x: x[[2, 0, 2, 1]], [((3, 2),)]),
    Op("gather(axis=1)", lambda x: tf.gather(x, [[0, 1], [1, 1]], axis=1),
       lambda x: np.take(x, [[0, 1], [1, 1]], axis=1), [((2, 3),)]),
    Op("boolean_mask", lambda x: tf.boolean_mask(x, [True, False, True]),
       lambda x: x[[0, 2]], [((3, 2),)]),
    Op("pad CONSTANT", lambda x: tf.pad(x, [[1, 2], [2, 1]]), lambda x: _pad(x, "CONSTANT"),
       [((3, 4),)]),
    Op("pad REFLECT", lambda x: tf.pad(x, [[1, 2], [2, 1]], "REFLECT"),
       lambda x: _pad(x, "REFLECT"), [((3, 4),)]),
    Op("pad SYMMETRIC", lambda x: tf.pad(x, [[1, 2], [2, 1]], "SYMMETRIC"),
       lambda x: _pad(x, "SYMMETRIC"), [((3, 4),)]),
    Op("reverse", lambda x: tf.reverse(x, [0, -1]), lambda x: x[::-1, ::-1], [((2, 3),)]),
    Op("getitem slices", lambda x: x[1:, ::-2], lambda x: x[1:, ::-2], [((3, 4),)]),
    Op("getitem int", lambda x: x[-1], lambda x: x[-1], [((3, 4),)]),
    Op("getitem ellipsis newaxis", lambda x: x[..., None, 1], lambda x: x[..., None, 1], CUBE),
    Op("getitem scalar", lambda x: x[1, 2], lambda x: x[1, 2], [((3, 4),)]),
    Op("sort", lambda x: tf.sort(x, axis=0), lambda x: np.sort(x, axis=0), [((3, 2),)], spread),
    Op("sort descending", lambda x: tf.sort(x, direction="DESCENDING"),
       lambda x: -np.sort(-x, axis=-1), [((2, 3),)], spread),
    Op("stop_gradient", tf.stop_gradient, lambda x: x, UNARY_SHAPES, grad=False),
]


def _matmul(a: np.ndarray, b: np.ndarray, ta: bool = False, tb: bool = False) -> np.ndarray:
    return np.swapaxes(a, -1, -2) @ b if ta and not tb else \
        a @ np.swapaxes(b, -1, -2) if tb and not ta else \
        np.swapaxes(a, -1, -2) @ np.swapaxes(b, -1, -2) if ta and tb else a @ b


LINALG: list[Op] = [
    Op("matmul", tf.matmul, np.matmul, [((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
                                        ((2, 1, 2, 3), (3, 3, 2))]),
    Op("matmul(transpose_a)", lambda a, b: tf.matmul(a, b, transpose_a=True),
       lambda a, b: _matmul(a, b, True), [((3, 2), (3, 4)), ((2, 3, 2), (3, 4))]),
    Op("matmul(transpose_b)", lambda a, b: tf.matmul(a, b, transpose_b=True),
       lambda a, b: _matmul(a, b, False, True), [((2, 3), (4, 3))]),
    Op("matmul(both transposed)", lambda a, b: tf.matmul(a, b, True, True),
       lambda a, b: _matmul(a, b, True, True), [((3, 2), (4, 3))]),
    Op("a @ b", lambda a, b: a @ b, lambda a, b: a @ b, [((2, 3), (3, 1))]),
    Op("matvec", tf.linalg.matvec, lambda a, b: a @ b, [((2, 3), (3,))]),
    Op("tensordot", lambda a, b: tf.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
       [((2, 3), (3, 4))]),
    Op("tensordot(axes pairs)", lambda a, b: tf.tensordot(a, b, [[0, 2], [1, 0]]),
       lambda a, b: np.tensordot(a, b, [[0, 2], [1, 0]]), [((2, 3, 4), (4, 2, 5))]),
    Op("einsum ij,jk->ik", lambda a, b: tf.einsum("ij,jk->ik", a, b),
       lambda a, b: np.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))]),
    Op("einsum batch ...ij,...jk", lambda a, b: tf.einsum("...ij,...jk->...ik", a, b),
       lambda a, b: np.einsum("...ij,...jk->...ik", a, b), [((2, 2, 3), (2, 3, 2))]),
    Op("einsum sum-out ijk,j->i", lambda a, b: tf.einsum("ijk,j->i", a, b),
       lambda a, b: np.einsum("ijk,j->i", a, b), [((2, 3, 2), (3,))]),
    Op("einsum implicit ij,ij", lambda a, b: tf.einsum("ij,ij", a, b),
       lambda a, b: np.einsum("ij,ij", a, b), [((2, 3), (2, 3))]),
    Op("norm", tf.norm, np.linalg.norm, [((3,),), ((2, 3),)]),
    Op("norm(ord=1, axis=0)", lambda x: tf.norm(x, 1, axis=0),
       lambda x: np.sum(np.abs(x), axis=0), [((2, 3),)], away_from_zero),
    Op("norm(ord=inf)", lambda x: tf.norm(x, np.inf), lambda x: np.max(np.abs(x)), [((4,),)],
       spread),
    Op("norm(ord=3, keepdims)", lambda x: tf.norm(x, 3, axis=-1, keepdims=True),
       lambda x: np.sum(np.abs(x) ** 3, axis=-1, keepdims=True) ** (1 / 3), [((2, 3),)],
       away_from_zero),
    Op("norm(matrix ord=1)", lambda x: tf.norm(x, 1, axis=[0, 1]),
       lambda x: np.linalg.norm(x, 1), [((3, 3),)], spread),
    Op("matrix_transpose", tf.linalg.matrix_transpose, lambda x: np.swapaxes(x, -1, -2),
       [((2, 3),), ((2, 3, 4),)]),
    Op("inv", tf.linalg.inv, np.linalg.inv, [((3, 3),), ((2, 2, 2),)], spd),
    Op("det", tf.linalg.det, np.linalg.det, [((3, 3),), ((2, 2, 2),)], spd),
    Op("solve", tf.linalg.solve, np.linalg.solve, [((3, 3), (3, 2))], (spd, normal)),
    Op("solve(adjoint)", lambda a, b: tf.linalg.solve(a, b, adjoint=True),
       lambda a, b: np.linalg.solve(a.T, b), [((3, 3), (3, 1))], (spd, normal)),
    Op("clip_by_norm", lambda x: tf.clip_by_norm(x, 1.0),
       lambda x: x / max(1.0, np.linalg.norm(x)), [((3,),)], lambda r, s: r.normal(size=s) * 3),
    Op("clip_by_global_norm", lambda x, y: tf.clip_by_global_norm([x, y], 1.0)[0],
       lambda x, y: [v / max(1.0, np.sqrt(np.sum(x * x) + np.sum(y * y))) for v in (x, y)],
       [((2,), (2, 2))], lambda r, s: r.normal(size=s) * 2),
    Op("global_norm", lambda x, y: tf.linalg.global_norm([x, y]),
       lambda x, y: np.sqrt(np.sum(x * x) + np.sum(y * y)), [((2,), (2, 2))]),
]

NN: list[Op] = [
    Op("softmax", tf.nn.softmax, _softmax, [((3,),), ((2, 3),)]),
    Op("softmax(axis=0)", lambda x: tf.nn.softmax(x, axis=0), lambda x: _softmax(x, 0),
       [((2, 3),)]),
    Op("log_softmax", tf.nn.log_softmax, _log_softmax, [((3,),), ((2, 3),)]),
    Op("sigmoid_cross_entropy_with_logits",
       lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
       lambda z, x: -z * np.log(_sigmoid(x)) - (1 - z) * np.log(1 - _sigmoid(x)),
       [((4,), (4,)), ((2, 3), (2, 3))], (lambda rng, s: rng.uniform(0, 1, s), normal)),
    Op("softmax_cross_entropy_with_logits",
       lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
       lambda z, x: -np.sum(z * _log_softmax(x), -1), [((2, 3), (2, 3))],
       (probabilities, normal)),
    Op("sparse_softmax_cross_entropy_with_logits",
       lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits([2, 0], x),
       lambda x: -_log_softmax(x)[[0, 1], [2, 0]], [((2, 3),)]),
    Op("l2_normalize", lambda x: tf.math.l2_normalize(x, axis=-1),
       lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True), [((2, 3),)]),
    # TensorFlow's variance is around stop_gradient(mean): its second derivative is not the
    # variance's (tests/test_fuzz_findings.py pins TensorFlow's)
    Op("moments", lambda x: tf.nn.moments(x, axes=[0]),
       lambda x: [np.mean(x, 0), np.var(x, 0)], [((3, 2),)], order2=False),
    Op("bias_add", tf.nn.bias_add, lambda v, b: v + b, [((2, 3), (3,))]),
]

NONDIFFERENTIABLE: list[Op] = [
    Op("floordiv", tf.math.floordiv, np.floor_divide, BINARY_SHAPES, (normal, away_from_zero),
       grad=False),
    Op("round", tf.round, np.round, UNARY_SHAPES, grad=False),
    Op("floor", tf.floor, np.floor, UNARY_SHAPES, grad=False),
    Op("ceil", tf.math.ceil, np.ceil, UNARY_SHAPES, grad=False),
    Op("equal", tf.equal, np.equal, BINARY_SHAPES, grad=False),
    Op("not_equal", tf.not_equal, np.not_equal, BINARY_SHAPES, grad=False),
    Op("less", tf.less, np.less, BINARY_SHAPES, grad=False),
    Op("less_equal", tf.less_equal, np.less_equal, BINARY_SHAPES, grad=False),
    Op("greater", tf.greater, np.greater, BINARY_SHAPES, grad=False),
    Op("greater_equal", tf.greater_equal, np.greater_equal, BINARY_SHAPES, grad=False),
    Op("is_finite", tf.math.is_finite, np.isfinite, UNARY_SHAPES, grad=False),
    Op("is_nan", tf.math.is_nan, np.isnan, UNARY_SHAPES, grad=False),
    Op("is_inf", tf.math.is_inf, np.isinf, UNARY_SHAPES, grad=False),
    Op("one_hot", lambda x: tf.one_hot(tf.cast(x, tf.int32), 4, dtype=x.dtype),
       lambda x: np.eye(4, dtype=x.dtype)[x.astype(np.int32)], [((3,),), ((2, 3),)],
       lambda rng, s: rng.integers(0, 4, s).astype(np.float64), grad=False),
    Op("argmax", lambda x: tf.argmax(x, axis=1), lambda x: np.argmax(x, 1), [((2, 3),)],
       spread, grad=False),
    Op("argmin", tf.argmin, lambda x: np.argmin(x, 0), [((2, 3),)], spread, grad=False),
    Op("argsort", tf.argsort, np.argsort, [((2, 3),)], spread, grad=False),
    Op("cast to int32", lambda x: tf.cast(x, tf.int32), lambda x: x.astype(np.int32),
       UNARY_SHAPES, grad=False),
    Op("logical_and", tf.logical_and, np.logical_and, BINARY_SHAPES, bools, grad=False),
    Op("logical_or", tf.logical_or, np.logical_or, BINARY_SHAPES, bools, grad=False),
    Op("logical_xor", tf.math.logical_xor, np.logical_xor, BINARY_SHAPES, bools, grad=False),
    Op("logical_not", tf.logical_not, np.logical_not, UNARY_SHAPES, bools, grad=False),
    Op("reduce_all", lambda x: tf.reduce_all(x, axis=0), lambda x: np.all(x, 0), [((2, 3),)],
       bools, grad=False),
    Op("reduce_any", tf.reduce_any, np.any, [((2, 3),)], bools, grad=False),
]

# ----- linear algebra: decompositions, solves, diagonals -----

def _batched(make: Callable[[np.random.Generator, int, int], np.ndarray]) -> Sampler:
    """A sampler of (batches of) matrices, each made by ``make(rng, rows, cols)``."""
    def sample(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        mats = [make(rng, *shape[-2:]) for _ in range(math.prod(shape[:-2]))]
        return np.reshape(mats, shape)
    return sample


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.linalg.qr(rng.normal(size=(n, n)))[0]


# symmetric positive definite, comfortably so
sym_pd = _batched(lambda rng, m, n: (lambda a: a @ a.T + n * np.eye(n))(rng.normal(size=(n, n))))
# singular values (or eigenvalues) at least 0.5 apart and away from 0: their gradients exist
separated = _batched(lambda rng, m, n: _orthogonal(rng, m)[:, :min(m, n)]
                     @ np.diag(np.linspace(3.0, 1.0, min(m, n)) + rng.uniform(0, 0.1, min(m, n)))
                     @ _orthogonal(rng, n)[:, :min(m, n)].T)
sym_separated = _batched(lambda rng, m, n: (lambda q: q @ np.diag(
    np.linspace(-2.0, 2.0, n) + rng.uniform(0, 0.1, n)) @ q.T)(_orthogonal(rng, n)))
lower_triangular = _batched(lambda rng, m, n: np.tril(rng.normal(size=(m, n))) + 3 * np.eye(n))


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _sym(x: Any) -> Any:
    """The symmetric part: what a function of a symmetric matrix sees of any perturbation."""
    return (x + (_t(x) if isinstance(x, np.ndarray) else tf.linalg.matrix_transpose(x))) / 2


def _sign_free(x: Any) -> Any:
    """Each column times its first entry: unchanged when a decomposition flips a column's
    sign, so finite differences stay meaningful for singular and eigen vectors."""
    return x * x[..., :1, :]


def _band(x: np.ndarray, lower: int, upper: int) -> np.ndarray:
    i, j = np.indices(x.shape[-2:])
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return np.where(keep, x, 0.0)


def _expm(x: np.ndarray) -> np.ndarray:
    """Taylor series after scaling, then squaring: a reference independent of the Padé one."""
    s = max(0, int(np.ceil(np.log2(max(np.abs(x).sum(-2).max(), 1e-300)))) + 2)
    a, term = x / 2 ** s, np.broadcast_to(np.eye(x.shape[-1]), x.shape)
    out = term.copy()
    for k in range(1, 30):
        term = term @ a / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _svd_ref(x: np.ndarray, full: bool = False) -> list[np.ndarray]:
    u, s, vh = np.linalg.svd(x, full_matrices=full)
    return [s, _sign_free(u), _sign_free(_t(vh))]


def _eigh_ref(x: np.ndarray) -> list[np.ndarray]:
    e, v = np.linalg.eigh(x)
    return [e, _sign_free(v)]


def _lstsq_ref(a: np.ndarray, b: np.ndarray, reg: float = 0.0) -> np.ndarray:
    n = a.shape[-1]
    return np.linalg.solve(_t(a) @ a + reg * np.eye(n), _t(a) @ b)


def _diag_embed(v: np.ndarray, k: int) -> np.ndarray:
    n = v.shape[-1] + abs(k)
    return np.stack([np.diag(row, k) for row in v.reshape(-1, v.shape[-1])]).reshape(
        v.shape[:-1] + (n, n))


def _set_diag(x: np.ndarray, d: np.ndarray, k: int) -> np.ndarray:
    out = x.copy()
    for index in np.ndindex(*x.shape[:-2]):
        n = d.shape[-1]
        rows, cols = np.arange(n) + max(-k, 0), np.arange(n) + max(k, 0)
        out[index + (rows, cols)] = d[index]
    return out


def _tril_solve(a: np.ndarray, b: np.ndarray, lower: bool = True, adjoint: bool = False
                ) -> np.ndarray:
    t = np.tril(a) if lower else np.triu(a)
    return np.linalg.solve(_t(t) if adjoint else t, b)


LINALG_MORE: list[Op] = [
    Op("cholesky", lambda x: tf.linalg.cholesky(_sym(x)),
       lambda x: np.linalg.cholesky(_sym(x)), [((3, 3),), ((2, 3, 3),)], sym_pd),
    Op("cholesky_solve", tf.linalg.cholesky_solve,
       lambda c, b: np.linalg.solve(np.tril(c) @ _t(np.tril(c)), b), [((3, 3), (3, 2))],
       (lower_triangular, normal)),
    Op("logdet", lambda x: tf.linalg.logdet(_sym(x)),
       lambda x: np.linalg.slogdet(_sym(x))[1], [((3, 3),), ((2, 3, 3),)], sym_pd),
    Op("slogdet", tf.linalg.slogdet, lambda x: list(np.linalg.slogdet(x)),
       [((3, 3),), ((2, 3, 3),)], normal),
    Op("triangular_solve", tf.linalg.triangular_solve, _tril_solve,
       [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))], (lower_triangular, normal)),
    Op("triangular_solve(upper, adjoint)",
       lambda a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
       lambda a, b: _tril_solve(a, b, False, True), [((3, 3), (3, 2))],
       (lambda rng, s: _t(lower_triangular(rng, s)), normal)),
    Op("band_part(-1, 0)", lambda x: tf.linalg.band_part(x, -1, 0), lambda x: _band(x, -1, 0),
       [((3, 4),), ((2, 3, 3),)]),
    Op("band_part(1, 2)", lambda x: tf.linalg.band_part(x, 1, 2), lambda x: _band(x, 1, 2),
       [((4, 4),)]),
    Op("diag_part", tf.linalg.diag_part, lambda x: np.diagonal(x, 0, -2, -1),
       [((3, 4),), ((2, 3, 3),)]),
    Op("diag_part(k=1)", lambda x: tf.linalg.diag_part(x, k=1),
       lambda x: np.diagonal(x, 1, -2, -1), [((3, 3),)]),
    Op("diag", tf.linalg.diag, lambda v: _diag_embed(v, 0), [((3,),), ((2, 3),)]),
    Op("diag(k=-1)", lambda v: tf.linalg.diag(v, k=-1), lambda v: _diag_embed(v, -1),
       [((2,),)]),
    Op("set_diag", tf.linalg.set_diag, lambda x, d: _set_diag(x, d, 0),
       [((3, 3), (3,)), ((2, 3, 4), (2, 3))]),
    Op("set_diag(k=1)", lambda x, d: tf.linalg.set_diag(x, d, k=1),
       lambda x, d: _set_diag(x, d, 1), [((3, 3), (2,))]),
    Op("trace", tf.linalg.trace, lambda x: np.trace(x, axis1=-2, axis2=-1),
       [((3, 3),), ((2, 3, 3),)]),
    Op("adjoint", tf.linalg.adjoint, _t, [((2, 3),)]),
    Op("normalize", lambda x: tf.linalg.normalize(x, axis=-1),
       lambda x: [x / np.linalg.norm(x, axis=-1, keepdims=True),
                  np.linalg.norm(x, axis=-1, keepdims=True)], [((3,),), ((2, 3),)]),
    Op("cross", tf.linalg.cross, np.cross, [((3,), (3,)), ((2, 3), (2, 3))]),
    Op("expm", tf.linalg.expm, _expm, [((3, 3),), ((2, 2, 2),)],
       lambda rng, s: rng.normal(size=s) * 0.3),
    Op("expm (scaled and squared)", tf.linalg.expm, _expm, [((3, 3),)],
       lambda rng, s: rng.normal(size=s) * 2.0),
    Op("lstsq", tf.linalg.lstsq, _lstsq_ref, [((4, 2), (4, 3)), ((2, 4, 3), (2, 4, 1))]),
    Op("lstsq(wide)", tf.linalg.lstsq,
       lambda a, b: _t(a) @ np.linalg.solve(a @ _t(a), b), [((2, 4), (2, 1))]),
    Op("lstsq(l2_regularizer)", lambda a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5),
       lambda a, b: _lstsq_ref(a, b, 0.5), [((4, 3), (4, 2))]),
    Op("pinv", tf.linalg.pinv, np.linalg.pinv, [((3, 2),), ((2, 4),), ((2, 3, 3),)], separated),
    Op("qr", tf.linalg.qr, lambda x: list(np.linalg.qr(x)),
       [((3, 2),), ((3, 3),), ((2, 4),), ((2, 3, 2),)], separated),
    Op("qr(full_matrices, square)", lambda x: tf.linalg.qr(x, full_matrices=True),
       lambda x: list(np.linalg.qr(x, mode="complete")), [((3, 3),)], separated),
    Op("svd (sign-free u, v)", lambda x: [f(t) for f, t in zip(
        (lambda s: s, _sign_free, _sign_free), tf.linalg.svd(x))], _svd_ref,
       [((3, 2),), ((2, 3),), ((3, 3),), ((2, 3, 2),)], separated),
    Op("svd(full_matrices, square)", lambda x: [f(t) for f, t in zip(
        (lambda s: s, _sign_free, _sign_free), tf.linalg.svd(x, full_matrices=True))],
       lambda x: _svd_ref(x, True), [((3, 3),)], separated),
    Op("svd(compute_uv=False)", lambda x: tf.linalg.svd(x, compute_uv=False),
       lambda x: np.linalg.svd(x, compute_uv=False), [((3, 2),), ((2, 2, 3),)], separated),
    Op("eigh (sign-free v)", lambda x: (lambda e, v: [e, _sign_free(v)])(*tf.linalg.eigh(x)),
       _eigh_ref, [((3, 3),), ((2, 3, 3),)], sym_separated),
    Op("eigvalsh", tf.linalg.eigvalsh, np.linalg.eigvalsh, [((3, 3),)], sym_separated),
]


def _scatter_nd(indices: list[list[int]], updates: np.ndarray, shape: Shape) -> np.ndarray:
    out = np.zeros(shape, updates.dtype)
    np.add.at(out, tuple(np.moveaxis(np.array(indices), -1, 0)), updates)
    return out


def _scatter_update(x: np.ndarray, indices: list[list[int]], u: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[tuple(np.moveaxis(np.array(indices), -1, 0))] = u
    return out


ARRAYS_MORE: list[Op] = [
    Op("gather_nd", lambda x: tf.gather_nd(x, [[1, 0], [0, 2], [1, 0]]),
       lambda x: x[[1, 0, 1], [0, 2, 0]], [((2, 3),), ((2, 3, 2),)]),
    Op("gather_nd(batch_dims=1)", lambda x: tf.gather_nd(x, [[2], [0]], batch_dims=1),
       lambda x: x[[0, 1], [2, 0]], [((2, 3, 2),)]),
    Op("scatter_nd", lambda u: tf.scatter_nd([[1], [3], [1]], u, [4, 2]),
       lambda u: _scatter_nd([[1], [3], [1]], u, (4, 2)), [((3, 2),)]),
    Op("tensor_scatter_nd_update", lambda x, u: tf.tensor_scatter_nd_update(x, [[2], [0]], u),
       lambda x, u: _scatter_update(x, [[2], [0]], u), [((3, 2), (2, 2))]),
    Op("tensor_scatter_nd_add", lambda x, u: tf.tensor_scatter_nd_add(x, [[0, 1], [0, 1]], u),
       lambda x, u: x + _scatter_nd([[0, 1], [0, 1]], u, x.shape), [((2, 3), (2,))]),
    Op("tensor_scatter_nd_sub", lambda x, u: tf.tensor_scatter_nd_sub(x, [[1]], u),
       lambda x, u: x - _scatter_nd([[1]], u, x.shape), [((2, 3), (1, 3))]),
    Op("tensor_scatter_nd_max", lambda x, u: tf.tensor_scatter_nd_max(x, [[1], [2]], u),
       lambda x, u: np.maximum(x, _scatter_update(np.full_like(x, -np.inf), [[1], [2]], u)),
       [((4,), (2,))], spread),
    Op("tensor_scatter_nd_min", lambda x, u: tf.tensor_scatter_nd_min(x, [[0], [3]], u),
       lambda x, u: np.minimum(x, _scatter_update(np.full_like(x, np.inf), [[0], [3]], u)),
       [((4,), (2,))], spread),
    Op("slice", lambda x: tf.slice(x, [1, 0], [1, -1]), lambda x: x[1:2, 0:], [((2, 3),)]),
    Op("strided_slice", lambda x: tf.strided_slice(x, [0, 3, 0], [2, 0, 1], [1, -2, 1],
                                                   end_mask=2, shrink_axis_mask=4),
       lambda x: x[0:2, 3::-2, 0], CUBE),
    Op("strided_slice ellipsis new_axis", lambda x: tf.strided_slice(
        x, [0, 0, 1], [0, 0, 3], ellipsis_mask=1, new_axis_mask=2),
       lambda x: x[..., None, 1:3], CUBE),
    Op("repeat", lambda x: tf.repeat(x, [1, 0, 2], axis=1), lambda x: np.repeat(x, [1, 0, 2], 1),
       [((2, 3),)]),
    Op("repeat flat", lambda x: tf.repeat(x, 2), lambda x: np.repeat(x, 2), [((2, 3),)]),
    Op("roll", lambda x: tf.roll(x, [1, -1, 2], [0, 1, 1]), lambda x: np.roll(x, (1, 1), (0, 1)),
       [((2, 3),)]),
    Op("reverse_sequence", lambda x: tf.reverse_sequence(x, [2, 4], seq_axis=1, batch_axis=0),
       lambda x: np.stack([np.r_[x[0, 1::-1], x[0, 2:]], x[1, ::-1]]), [((2, 4),), ((2, 4, 2),)]),
    Op("meshgrid", lambda x, y: tf.meshgrid(x, y), lambda x, y: np.meshgrid(x, y),
       [((2,), (3,))]),
    Op("meshgrid ij", lambda x, y, z: tf.meshgrid(x, y, z, indexing="ij"),
       lambda x, y, z: np.meshgrid(x, y, z, indexing="ij"), [((2,), (3,), (1,))]),
    Op("sequence_mask", lambda x: tf.sequence_mask(tf.cast(x, tf.int32), 4),
       lambda x: np.arange(4) < x.astype(np.int32)[..., None], [((3,),), ((2, 2),)],
       lambda rng, s: rng.integers(0, 5, s).astype(np.float64), grad=False),
    Op("searchsorted", lambda s, v: tf.searchsorted(s, v, side="right"),
       lambda s, v: np.stack([np.searchsorted(a, b, "right") for a, b in zip(s, v)]),
       [((2, 4), (2, 3))], (lambda rng, s: np.sort(rng.normal(size=s), -1), normal), grad=False),
    Op("unique", lambda x: tf.unique(tf.cast(x, tf.int32)).y,
       lambda x: np.array(list(dict.fromkeys(x.astype(np.int32).tolist())), np.int32), [((6,),)],
       lambda rng, s: rng.integers(0, 4, s).astype(np.float64), grad=False),
]

def _segments(ids: list[int], n: int, reduce: Callable[..., Any], empty: float,
              x: np.ndarray) -> np.ndarray:
    return np.stack([reduce(x[np.array(ids) == i], axis=0) if i in ids
                     else np.full(x.shape[1:], empty) for i in range(n)])


def _cumulative(fn: Callable[..., Any], x: np.ndarray, axis: int, exclusive: bool,
                reverse: bool, start: float) -> np.ndarray:
    if reverse:
        x = np.flip(x, axis)
    out = fn.accumulate(x, axis=axis)
    if exclusive:
        out = np.concatenate([np.full_like(np.take(out, [0], axis), start),
                              np.delete(out, -1, axis)], axis)
    return np.flip(out, axis) if reverse else out


_erf, _erfc, _lgamma = (np.vectorize(f) for f in (math.erf, math.erfc, math.lgamma))
_IDS = [0, 0, 2, 2, 2]

MATH_MORE: list[Op] = [
    Op("erf", tf.math.erf, _erf, UNARY_SHAPES),
    Op("erfc", tf.math.erfc, _erfc, UNARY_SHAPES),
    Op("erfinv", tf.math.erfinv, None, UNARY_SHAPES, unit, tags=("scipy:erfinv",)),
    Op("lgamma", tf.math.lgamma, _lgamma, UNARY_SHAPES, positive),
    Op("lgamma negative", tf.math.lgamma, _lgamma, [((4,),)],
       lambda rng, s: -rng.uniform(0.1, 0.9, s) - rng.integers(0, 3, s)),
    Op("digamma", tf.math.digamma, None, UNARY_SHAPES, positive, tags=("scipy:digamma",)),
    Op("digamma negative", tf.math.digamma, None, [((4,),)],
       lambda rng, s: -rng.uniform(0.2, 0.8, s) - rng.integers(0, 3, s), tags=("scipy:digamma",)),
    Op("polygamma(1)", lambda x: tf.math.polygamma(1.0, x), None, UNARY_SHAPES, positive,
       tags=("scipy:polygamma1",)),
    Op("zeta(3, q)", lambda q: tf.math.zeta(tf.constant(3.0, q.dtype), q), None, UNARY_SHAPES,
       positive, tags=("scipy:zeta3",)),
    Op("acosh", tf.math.acosh, np.arccosh, UNARY_SHAPES, lambda rng, s: rng.uniform(1.2, 3, s)),
    Op("asinh", tf.math.asinh, np.arcsinh, UNARY_SHAPES),
    Op("atanh", tf.math.atanh, np.arctanh, UNARY_SHAPES, unit),
    Op("xlogy", tf.math.xlogy, lambda x, y: x * np.log(y), BINARY_SHAPES, (normal, positive)),
    Op("xlog1py", tf.math.xlog1py, lambda x, y: x * np.log1p(y), BINARY_SHAPES,
       (normal, positive)),
    Op("xdivy", tf.math.xdivy, lambda x, y: x / y, BINARY_SHAPES, (normal, away_from_zero)),
    Op("divide_no_nan", tf.math.divide_no_nan, lambda x, y: x / y, BINARY_SHAPES,
       (normal, away_from_zero)),
    Op("multiply_no_nan", tf.math.multiply_no_nan, np.multiply, BINARY_SHAPES),
    Op("reciprocal_no_nan", tf.math.reciprocal_no_nan, lambda x: 1 / x, UNARY_SHAPES,
       away_from_zero),
    Op("cumprod", lambda x: tf.math.cumprod(x, axis=1),
       lambda x: _cumulative(np.multiply, x, 1, False, False, 1), [((2, 3),)], away_from_zero),
    Op("cumprod exclusive reverse", lambda x: tf.math.cumprod(x, 0, True, True),
       lambda x: _cumulative(np.multiply, x, 0, True, True, 1), [((3, 2),)], away_from_zero),
    Op("cumulative_logsumexp", lambda x: tf.math.cumulative_logsumexp(x, axis=1),
       lambda x: _cumulative(np.logaddexp, x, 1, False, False, -np.inf), [((2, 3),)]),
    Op("cumulative_logsumexp exclusive reverse",
       lambda x: tf.math.cumulative_logsumexp(x, 0, exclusive=True, reverse=True)[:-1],
       lambda x: _cumulative(np.logaddexp, x, 0, True, True, -np.inf)[:-1], [((3, 2),)]),
    Op("add_n", lambda x, y, z: tf.math.add_n([x, y, z]), lambda x, y, z: x + y + z,
       [((2, 3),) * 3]),
    Op("polyval", lambda a, x: tf.math.polyval([a, a * 2, a], x),
       lambda a, x: a * x * x + 2 * a * x + a,
       [((), (3,)), ((3,), (3,))]),
    Op("segment_sum", lambda x: tf.math.segment_sum(x, _IDS),
       lambda x: _segments(_IDS, 3, np.sum, 0, x), [((5,),), ((5, 2),)]),
    Op("segment_mean", lambda x: tf.math.segment_mean(x, _IDS),
       lambda x: _segments(_IDS, 3, np.mean, 0, x), [((5, 2),)]),
    Op("segment_max", lambda x: tf.math.segment_max(x, [0, 0, 1, 1, 1]),
       lambda x: _segments([0, 0, 1, 1, 1], 2, np.max, 0, x), [((5, 2),)], spread),
    Op("segment_min", lambda x: tf.math.segment_min(x, [0, 1, 1, 1, 1]),
       lambda x: _segments([0, 1, 1, 1, 1], 2, np.min, 0, x), [((5,),)], spread),
    # beside an empty segment TensorFlow's second derivative is NaN (it divides by its count 0)
    Op("segment_max with an empty segment", lambda x: tf.math.segment_max(x, _IDS),
       lambda x: _segments(_IDS, 3, np.max, 0, x), [((5, 2),)], spread, order2=False),
    Op("segment_prod", lambda x: tf.math.segment_prod(x, _IDS),
       lambda x: _segments(_IDS, 3, np.prod, 1, x), [((5,),), ((5, 2),)]),
    Op("unsorted_segment_sum", lambda x: tf.math.unsorted_segment_sum(x, [[1, 0], [-1, 1]], 3),
       lambda x: np.stack([x[0, 1], x[0, 0] + x[1, 1], np.zeros_like(x[0, 0])]),
       [((2, 2),), ((2, 2, 3),)]),
    Op("unsorted_segment_mean", lambda x: tf.math.unsorted_segment_mean(x, [2, 0, 2], 3),
       lambda x: np.stack([x[1], np.zeros_like(x[0]), (x[0] + x[2]) / 2]), [((3, 2),)]),
    Op("unsorted_segment_sqrt_n", lambda x: tf.math.unsorted_segment_sqrt_n(x, [1, 1, 0], 2),
       lambda x: np.stack([x[2], (x[0] + x[1]) / np.sqrt(2)]), [((3,),)]),
    Op("unsorted_segment_max", lambda x: tf.math.unsorted_segment_max(x, [1, 0, 1, 1], 2),
       lambda x: np.stack([x[1], np.max(x[[0, 2, 3]], 0)]), [((4, 2),)], spread),
    Op("unsorted_segment_min", lambda x: tf.math.unsorted_segment_min(x, [1, 0, 1, 1], 2),
       lambda x: np.stack([x[1], np.min(x[[0, 2, 3]], 0)]), [((4,),)], spread),
    Op("unsorted_segment_prod", lambda x: tf.math.unsorted_segment_prod(x, [1, 0, 1], 2),
       lambda x: np.stack([x[1], x[0] * x[2]]), [((3,),), ((3, 2),)]),
    # at an exact zero TensorFlow's second derivative is NaN, tapegrad's the true value
    Op("unsorted_segment_prod with a zero",
       lambda x: tf.math.unsorted_segment_prod(x, [1, 0, 1], 2),
       lambda x: np.stack([x[1], x[0] * x[2]]), [((3,),)], with_a_zero, order2=False),
    Op("top_k values", lambda x: tf.math.top_k(x, 2).values, lambda x: -np.sort(-x, -1)[..., :2],
       [((4,),), ((2, 3),)], spread),
    Op("ndtri", tf.math.ndtri, None, UNARY_SHAPES, lambda rng, s: rng.uniform(0.1, 0.9, s),
       tags=("scipy:ndtri",)),
    Op("lbeta", tf.math.lbeta, lambda x: np.sum(_lgamma(x), -1) - _lgamma(np.sum(x, -1)),
       [((3,),), ((2, 3),)], positive),
    Op("rint", tf.math.rint, np.rint, UNARY_SHAPES, grad=False),
    Op("count_nonzero", lambda x: tf.math.count_nonzero(x, axis=0),
       lambda x: np.count_nonzero(x, axis=0).astype(np.int64), [((3, 2),)], with_a_zero,
       grad=False),
    Op("top_k indices", lambda x: tf.math.top_k(x, 2).indices,
       lambda x: np.argsort(-x, -1)[..., :2].astype(np.int32), [((2, 3),)], spread, grad=False),
    Op("in_top_k", lambda x: tf.math.in_top_k([0, 2], tf.cast(x, tf.float32), 2),
       lambda x: np.array([np.sum(x[0] > x[0, 0]) < 2, np.sum(x[1] > x[1, 2]) < 2]),
       [((2, 3),)], spread, grad=False),
    Op("is_non_decreasing", tf.math.is_non_decreasing, lambda x: np.all(np.diff(x) >= 0),
       [((4,),)], grad=False),
]


def _scipy_refs(ops: list[Op]) -> list[Op]:
    """The entries whose reference is a SciPy special function: kept when SciPy is there."""
    try:
        from scipy import special
    except ImportError:
        return [op for op in ops if op.ref is not None]
    refs = {"scipy:erfinv": special.erfinv, "scipy:digamma": special.digamma,
            "scipy:polygamma1": lambda x: special.polygamma(1, x),
            "scipy:zeta3": lambda q: special.zeta(3.0, q), "scipy:ndtri": special.ndtri}
    return [op if op.ref is not None else
            Op(**{**op.__dict__, "ref": refs[op.tags[0]]}) for op in ops]


MATH_MORE = _scipy_refs(MATH_MORE)

def _conv2d(x: np.ndarray, w: np.ndarray, stride: int, pads: Sequence[Shape]) -> np.ndarray:
    """A direct loop convolution, the reference for tf.nn.conv2d (NHWC)."""
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    kh, kw = w.shape[:2]
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, i, j] = np.tensordot(window, w, axes=3)
    return out


def _conv2d_transpose(g: np.ndarray, w: np.ndarray, shape: Shape, stride: int) -> np.ndarray:
    """Each input pixel spreads its filter-weighted copy into the output (VALID)."""
    out = np.zeros(shape)
    kh, kw = w.shape[:2]
    for i in range(g.shape[1]):
        for j in range(g.shape[2]):
            out[:, i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum(
                "no,abco->nabc", g[:, i, j], w)
    return out


def _pool(x: np.ndarray, k: int, stride: int, reduce: Callable[..., Any]) -> np.ndarray:
    oh, ow = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    return np.stack([np.stack([reduce(x[:, i * stride:i * stride + k, j * stride:j * stride + k],
                                      axis=(1, 2)) for j in range(ow)], 1) for i in range(oh)], 1)


NN_MORE: list[Op] = [
    # TensorFlow's gelu rounds its constants to float32, in float64 too
    Op("gelu", tf.nn.gelu, lambda x: x * (1 + _erf(x * float(np.float32(np.sqrt(0.5))))) / 2,
       UNARY_SHAPES),
    Op("gelu approximate", lambda x: tf.nn.gelu(x, approximate=True),
       lambda x: x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + float(np.float32(0.044715)) * x ** 3)))
       / 2, UNARY_SHAPES),
    Op("crelu", tf.nn.crelu, lambda x: np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], -1),
       [((2, 3),)], away_from_zero),
    Op("log_poisson_loss", lambda z, c: tf.nn.log_poisson_loss(z, c, compute_full_loss=True),
       lambda z, c: np.exp(c) - z * c + np.where(
           z > 1, z * np.log(z) - z + 0.5 * np.log(2 * np.pi * z), 0),
       [((4,), (4,))], (lambda rng, s: rng.uniform(0, 3, s), normal)),
    Op("weighted_cross_entropy_with_logits",
       lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 3.0),
       lambda z, x: -3 * z * np.log(_sigmoid(x)) - (1 - z) * np.log(1 - _sigmoid(x)),
       [((2, 3), (2, 3))], (lambda rng, s: rng.uniform(0, 1, s), normal)),
    Op("batch_normalization", lambda x, m, v, b, s: tf.nn.batch_normalization(x, m, v, b, s, 1e-3),
       lambda x, m, v, b, s: (x - m) / np.sqrt(v + 1e-3) * s + b,
       [((2, 3), (3,), (3,), (3,), (3,))], (normal, normal, positive, normal, normal)),
    Op("embedding_lookup", lambda p: tf.nn.embedding_lookup(p, [[2, 0], [2, 2]]),
       lambda p: p[[[2, 0], [2, 2]]], [((3, 2),)]),
    Op("embedding_lookup max_norm", lambda p: tf.nn.embedding_lookup(p, [1, 0], max_norm=1.0),
       lambda p: p[[1, 0]] * np.minimum(1, 1 / np.linalg.norm(p[[1, 0]], axis=1, keepdims=True)),
       [((2, 3),)], lambda rng, s: np.array([[0.2, 0.1, -0.3], [1.0, 2.0, -1.5]])),
    # TensorFlow weighs the losses in float32, in float64 too
    Op("compute_average_loss", lambda x, w: tf.nn.compute_average_loss(x, w),
       lambda x, w: np.sum((x.astype(np.float32) * w.astype(np.float32)).astype(x.dtype))
       / x.shape[0], [((4,), (4,))], eps=1e-2, rtol=1e-3, atol=1e-4),
    Op("conv2d VALID", lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"),
       lambda x, w: _conv2d(x, w, 1, [(0, 0), (0, 0)]), [((2, 4, 5, 2), (3, 2, 2, 3))]),
    Op("conv2d SAME stride 2", lambda x, w: tf.nn.conv2d(x, w, 2, "SAME"),
       lambda x, w: _conv2d(x, w, 2, [(1, 1), (0, 1)]), [((1, 5, 5, 2), (3, 2, 2, 2))]),
    Op("depthwise_conv2d", lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"),
       lambda x, w: np.concatenate([_conv2d(x[..., c:c + 1], w[:, :, c:c + 1], 1,
                                            [(0, 0), (0, 0)]) for c in range(2)], -1),
       [((1, 4, 3, 2), (2, 2, 2, 3))]),
    Op("conv1d", lambda x, w: tf.nn.conv1d(x, w, 1, "SAME"),
       lambda x, w: _conv2d(x[:, None], w[None], 1, [(0, 0), (1, 1)])[:, 0],
       [((2, 5, 2), (3, 2, 3))]),
    Op("conv2d_transpose", lambda g, w: tf.nn.conv2d_transpose(g, w, [1, 5, 5, 2], 2, "VALID"),
       lambda g, w: _conv2d_transpose(g, w, (1, 5, 5, 2), 2), [((1, 2, 2, 3), (3, 3, 2, 3))]),
    Op("max_pool2d", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"),
       lambda x: _pool(x, 2, 2, np.max), [((2, 4, 5, 3),)], spread),
    Op("avg_pool2d", lambda x: tf.nn.avg_pool2d(x, 2, 1, "VALID"),
       lambda x: _pool(x, 2, 1, np.mean), [((1, 3, 4, 2),)]),
    Op("avg_pool2d SAME", lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"),
       lambda x: _pool(np.pad(x, [(0, 0), (0, 1), (0, 1), (0, 0)]), 3, 2, np.sum)
       / _pool(np.pad(np.ones_like(x), [(0, 0), (0, 1), (0, 1), (0, 0)]), 3, 2, np.sum),
       [((1, 4, 4, 2),)]),
]

OPS: list[Op] = (UNARY + BINARY + REDUCTIONS + ARRAYS + LINALG + NN + NONDIFFERENTIABLE
                  + LINALG_MORE + ARRAYS_MORE + MATH_MORE + NN_MORE)
DIFFERENTIABLE: list[Op] = [op for op in OPS if op.grad]
