"""Gradient checking (``tapegrad.test``): compare tape gradients with finite differences.

``check_gradients`` projects the function's output on a fixed random direction, so one scalar
stands for the whole output, then compares the tape's gradient of that scalar with central
differences in float64, entry by entry. With ``order=2`` it checks the gradient of the gradient
the same way (nested tapes against differences of the first derivative). When an entry
disagrees, it looks closer (one Jacobian column) and names the exact derivative that is wrong.

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
        total = None
        for out, d in zip(_outputs(fn(*xs)), direction):
            if d is None:
                continue
            term = reduce_sum(multiply(out, constant(d)))
            total = term if total is None else total + term
        return total
    return scalar


def _directions(outs: list[Any], rng: np.random.Generator) -> list[np.ndarray | None]:
    """Random weights in ±[0.5, 1.5] for each float output entry (None for other outputs)."""
    return [rng.uniform(0.5, 1.5, np.shape(o._value)) * rng.choice([-1.0, 1.0], np.shape(o._value))
            if _is_float(o) else None for o in outs]


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


def _worst(analytic: list[np.ndarray], numeric: list[np.ndarray], rtol: float, atol: float
           ) -> tuple[int, tuple[int, ...], float, float] | None:
    """(list position, entry, tape value, difference value) of the worst disagreement, or None.

    An entry disagrees when |tape - numeric| > atol + rtol·|numeric|; a NaN is the worst of all.
    """
    worst, worst_excess = None, 0.0
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if a.shape != n.shape:
            raise GradientCheckError(f"the gradient for argument {k} has shape {a.shape}, the "
                                     f"argument has shape {n.shape}")
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        excess = np.where(np.isnan(excess), np.inf, excess)
        if excess.size and excess.max() > worst_excess:
            index = np.unravel_index(int(np.argmax(excess)), a.shape)
            worst_excess = float(excess[index])
            worst = (k, tuple(int(i) for i in index), float(a[index]), float(n[index]))
    return worst


def _entry(index: tuple[int, ...]) -> str:
    return "".join(f"[{i}]" for i in index)


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _is_float(t: Any) -> bool:
    return isinstance(t, Tensor) and t._value.dtype.kind == "f"


def _columns(fn: Callable[..., Any], values: list[np.ndarray], k: int,
             index: tuple[int, ...], eps: float) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """For each output of fn: its derivative with respect to entry ``index`` of argument k, by
    the tape (a Jacobian column) and by central differences; None for a non-float output."""
    xs = [constant(v) for v in values]
    with GradientTape(persistent=True) as tape:
        tape.watch(xs[k])
        outs = _outputs(fn(*xs))
    shifted = [[v.copy() for v in values] for _ in range(2)]
    shifted[0][k][index] += eps
    shifted[1][k][index] -= eps
    ups, downs = (_outputs(fn(*map(constant, s))) for s in shifted)
    columns: list[tuple[np.ndarray, np.ndarray] | None] = []
    for out, up, down in zip(outs, ups, downs):
        if not _is_float(out):
            columns.append(None)
            continue
        jacobian = tape.jacobian(out, xs[k])
        tape_column = np.zeros(np.shape(out._value)) if jacobian is None else \
            np.asarray(jacobian._value, np.float64)[(Ellipsis,) + index]
        numeric = (np.asarray(up._value, np.float64) - np.asarray(down._value, np.float64)) / \
            (2 * eps)
        columns.append((tape_column, numeric))
    return columns


def _report(fn: Callable[..., Any], values: list[np.ndarray], worst: tuple[Any, ...],
            eps: float, rtol: float, atol: float,
            name: Callable[[int | None, tuple[int, ...], int, tuple[int, ...]], str]) -> str:
    """The message for the worst entry of the weighted check, made exact where it can be: the
    derivative of one output entry with respect to one argument entry (from a Jacobian column).

    ``name(o, entry, k, index)`` describes d fn(...)[o][entry] / d args[k][index]; o is None
    when only the weighted sum of many small differences exceeds the tolerance.
    """
    k, index, a, n = worst
    columns = _columns(fn, values, k, index, eps)
    kept = [o for o, c in enumerate(columns) if c is not None]
    found = _worst([columns[o][0] for o in kept], [columns[o][1] for o in kept], rtol, atol)
    if found is None:
        where = name(None, (), k, index)
    else:
        position, entry, a, n = found
        where = name(kept[position], entry, k, index)
    return (f"{where}: tape gives {a:.10g}, finite differences give {n:.10g} (difference "
            f"{abs(a - n):.3g}, allowed {atol + rtol * abs(n):.3g})")


def check_gradients(fn: Callable[..., Any], args: Sequence[Any], order: int = 1,
                    eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6,
                    seed: int = 0) -> None:
    """Raise GradientCheckError unless fn's tape gradients match finite differences.

    ``fn`` takes one tensor per entry of ``args`` (arrays or nested lists, converted to float64)
    and returns a tensor or a list of tensors. ``order`` is 1 (gradients) or 2 (also the
    gradients of the gradients). A tape value t agrees with a central difference n when
    |t - n| <= atol + rtol·|n| (``order=2`` allows ten times more); ``eps`` is the step.

    The check costs one backward pass and two calls of ``fn`` per argument entry: it compares
    the gradient of the outputs summed with fixed random weights (``seed``). On a failure the
    error names the exact derivative that is wrong, ``d out[i] / d args[k][j]`` (``out[o][i]``
    for a function with several outputs), with the tape's and the differences' values.

    >>> import tapegrad as tf
    >>> from tapegrad.test import check_gradients
    >>> @tf.custom_gradient
    ... def square(x):
    ...     return x * x, lambda dy: dy * 3 * x  # wrong: should be 2 * x
    >>> try:
    ...     check_gradients(square, [[1.0, 2.0]])
    ... except AssertionError as e:
    ...     where, values = str(e).split(": ")
    ...     print(where)
    ...     print(values)
    first derivative d out[1] / d args[0][1]
    tape gives 6, finite differences give 4 (difference 2, allowed 4.1e-05)
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    values = [np.array(a, dtype=np.float64) for a in args]
    rng = np.random.default_rng(seed)
    result = fn(*[constant(v) for v in values])
    single = not isinstance(result, (list, tuple))
    scalar = _projection(fn, _directions(_outputs(result), rng))
    worst = _worst(_tape_gradient(scalar, values), numerical_gradient(scalar, values, eps), rtol,
                   atol)
    if worst is not None:
        def first(o: int | None, entry: tuple[int, ...], k: int, index: tuple[int, ...]) -> str:
            out = "u·out" if o is None else "out" if single else f"out[{o}]"
            note = " (u: the fixed random weights summing the outputs)" if o is None else ""
            return f"first derivative d {out}{_entry(entry)} / d args[{k}]{_entry(index)}{note}"
        raise GradientCheckError(_report(fn, values, worst, eps, rtol, atol, first))
    if order == 2:
        second = [rng.uniform(0.5, 1.5, v.shape) for v in values]

        def gradients(*xs: Tensor) -> list[Tensor]:
            """The tape's first derivatives of the weighted outputs, one per argument."""
            with GradientTape() as inner:
                inner.watch(list(xs))
                y = scalar(*xs)
            return [multiply(x, 0.0) if g is None else g
                    for g, x in zip(inner.gradient(y, list(xs)), xs)]

        def directional(*xs: Tensor) -> Tensor:
            """The first derivatives projected on ``second``: differentiable by nested tapes."""
            total = constant(0.0, dtype="float64")
            for g, u in zip(gradients(*xs), second):
                total = total + reduce_sum(multiply(g, constant(u)))
            return total

        worst = _worst(_tape_gradient(directional, values),
                       numerical_gradient(directional, values, eps), 10 * rtol, 10 * atol)
        if worst is not None:
            def second(o: int | None, entry: tuple[int, ...], k: int, index: tuple[int, ...]
                       ) -> str:
                arg = f"args[{k}]{_entry(index)}"
                if o is None:
                    return (f"second derivative d(v·grad(u·out)) / d {arg} (u, v: the fixed "
                            "random weights of the outputs and of the gradient)")
                return (f"second derivative d²(u·out) / d args[{o}]{_entry(entry)} d {arg} "
                        "(u: the fixed random weights summing the outputs)")
            raise GradientCheckError(_report(gradients, values, worst, eps, 10 * rtol,
                                             10 * atol, second))
