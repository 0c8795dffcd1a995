"""Gradient checking (``tapegrad.test``): compare tape gradients with finite differences.

``check_gradients`` projects the function's output on a fixed random direction, so one scalar
stands for the whole output, then compares the tape's gradient of that scalar with central
differences in float64, entry by entry. With ``order=2`` it checks the gradient of the gradient
the same way (nested tapes against differences of the first derivative).

>>> import tapegrad as tf
>>> from tapegrad.test import check_gradients
>>> check_gradients(lambda x: tf.sin(x) * x, [[0.5, 1.0, 2.0]], order=2)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .ops.math import multiply
from .ops.reduce import reduce_sum
from .tape import GradientTape
from .tensor import Tensor, constant

__all__ = ["check_gradients", "GradientCheckError", "numerical_gradient"]


class GradientCheckError(AssertionError):
    """The tape's gradient and the finite-difference estimate disagree; the message says where."""


def _projection(fn: Callable[..., Any], direction: list[np.ndarray | None]
                ) -> Callable[..., Tensor]:
    """x -> sum(fn(x) * direction), one scalar standing for all of fn's outputs."""
    def scalar(*xs: Tensor) -> Tensor:
        outs = fn(*xs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        total = None
        for out, d in zip(outs, direction):
            if d is None:
                continue
            term = reduce_sum(multiply(out, constant(d)))
            total = term if total is None else total + term
        return total
    return scalar


def _directions(fn: Callable[..., Any], xs: list[Tensor], rng: np.random.Generator
                ) -> list[np.ndarray | None]:
    outs = fn(*xs)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    return [rng.uniform(0.5, 1.5, np.shape(o._value)) * rng.choice([-1.0, 1.0], np.shape(o._value))
            if o._value.dtype.kind == "f" else None for o in outs]


def numerical_gradient(scalar: Callable[..., Tensor], values: Sequence[np.ndarray],
                       eps: float) -> list[np.ndarray]:
    """Central differences of a scalar function with respect to each float64 argument."""
    values = [np.array(v, dtype=np.float64) for v in values]
    grads = []
    for k, v in enumerate(values):
        g = np.zeros_like(v)
        for index in np.ndindex(*v.shape):
            shifted = [u.copy() for u in values]
            shifted[k][index] = v[index] + eps
            up = float(scalar(*map(constant, shifted)))
            shifted[k][index] = v[index] - eps
            down = float(scalar(*map(constant, shifted)))
            g[index] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def _tape_gradient(scalar: Callable[..., Tensor], values: Sequence[np.ndarray]
                   ) -> list[np.ndarray]:
    xs = [constant(np.array(v, dtype=np.float64)) for v in values]
    with GradientTape() as tape:
        tape.watch(xs)
        y = scalar(*xs)
    grads = tape.gradient(y, xs)
    return [np.zeros(np.shape(x._value)) if g is None else np.asarray(g._value, dtype=np.float64)
            for g, x in zip(grads, xs)]


def _compare(analytic: list[np.ndarray], numeric: list[np.ndarray], rtol: float, atol: float,
             what: str) -> None:
    worst = None
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if a.shape != n.shape:
            raise GradientCheckError(f"{what}: the gradient for argument {k} has shape {a.shape}, "
                                     f"the argument has shape {n.shape}")
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        if excess.size and (worst is None or np.nanmax(excess) > worst[0] or
                            np.isnan(excess).any()):
            flat = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
            index = np.unravel_index(flat, a.shape)
            worst = (float(np.where(np.isnan(excess), np.inf, excess).flat[flat]), k, index,
                     float(a[index]), float(n[index]))
    if worst is not None and worst[0] > 0:
        _, k, index, a, n = worst
        raise GradientCheckError(
            f"{what}: argument {k}, entry {tuple(int(i) for i in index)}: tape gives {a:.10g}, "
            f"finite differences give {n:.10g} (difference {abs(a - n):.3g}, allowed "
            f"{atol + rtol * abs(n):.3g})")


def check_gradients(fn: Callable[..., Any], args: Sequence[Any], order: int = 1,
                    eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6,
                    seed: int = 0) -> None:
    """Raise GradientCheckError unless fn's tape gradients match finite differences.

    ``fn`` takes one tensor per entry of ``args`` (arrays or nested lists, converted to float64)
    and returns a tensor or a list of tensors. ``order`` is 1 (gradients) or 2 (also the
    gradients of the gradients). The error names the argument and entry that disagree most.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    values = [np.array(a, dtype=np.float64) for a in args]
    rng = np.random.default_rng(seed)
    direction = _directions(fn, [constant(v) for v in values], rng)
    scalar = _projection(fn, direction)
    _compare(_tape_gradient(scalar, values), numerical_gradient(scalar, values, eps), rtol,
             atol, "first derivative")
    if order == 2:
        second = [rng.uniform(0.5, 1.5, v.shape) for v in values]

        def directional(*xs: Tensor) -> Tensor:
            """The first derivative projected on ``second``: differentiable by nested tapes."""
            with GradientTape() as inner:
                inner.watch(list(xs))
                y = scalar(*xs)
            grads = inner.gradient(y, list(xs))
            total = constant(0.0, dtype="float64")
            for g, u in zip(grads, second):
                if g is not None:
                    total = total + reduce_sum(multiply(g, constant(u)))
            return total

        _compare(_tape_gradient(directional, values),
                 numerical_gradient(directional, values, eps), 10 * rtol, 10 * atol,
                 "second derivative")
