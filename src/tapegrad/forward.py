"""Forward-mode autodiff: ``tf.autodiff.ForwardAccumulator``, Jacobian-vector products.

While an accumulator is entered it listens to every op (``tape.add_listener``). When an input of
an op has a tangent, the op's output gets one too: ``J u``, the Jacobian of the op times the
input tangents. No op needs a rule of its own for this: an op's gradient rule computes
``vjp(g) = Jᵀ g``, which is linear in ``g``, so ``J u`` is the gradient with respect to ``g`` of
``<vjp(g), u>``. That gradient is taken by a GradientTape on tensors, so the tangents are tensors
made by ordinary ops, which an outer accumulator or tape can differentiate again: forward over
backward (Hessian-vector products), backward over forward, forward over forward.

With no accumulator entered, ops pay nothing for this module.

>>> import tapegrad as tf
>>> x = tf.constant([1.0, 2.0])
>>> with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
...     y = tf.reduce_sum(x ** 3)
>>> float(acc.jvp(y))
3.0
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import nest, tape
from .tape import GradientTape, Primitive, UnconnectedGradients
from .tensor import Tensor, Variable, base_variable, convert_to_tensor, wrap


class _Computing(threading.local):
    """The depth of the accumulator computing tangents on this thread (inner ones stay out)."""

    depth = 1 << 30


_computing = _Computing()
_entered = threading.local()  # .accumulators: the accumulators entered on this thread, in order


def _key(t: Tensor) -> int:
    """A tensor's identity; what ``assign`` returned stands for its variable."""
    return id(t if t._parent is None else t._parent)


class ForwardAccumulator:
    """Computes Jacobian-vector products with forward-mode autodiff, as
    ``tf.autodiff.ForwardAccumulator``.

    ``primals`` (tensors or variables, nested) get the matching ``tangents``; every op run
    inside the ``with`` block that reads a tensor with a tangent gives its output a tangent, and
    ``jvp(target)`` returns the target's. Forward over backward gives Hessian-vector products:

    >>> import tapegrad as tf
    >>> v = tf.Variable([1.0, 2.0])
    >>> with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 3.0])) as acc:
    ...     with tf.GradientTape() as tape:
    ...         y = tf.reduce_sum(v ** 3.0)
    ...     backward = tape.gradient(y, v)
    >>> backward.numpy().tolist(), acc.jvp(backward).numpy().tolist()
    ([3.0, 12.0], [6.0, 36.0])
    """

    def __init__(self, primals: Any, tangents: Any) -> None:
        # id -> (tensor, tangent); holding the tensor keeps its id from being reused
        self._tangents: dict[int, tuple[Tensor, Tensor]] = {}
        self._recording = False
        self._thread: int | None = None
        self._depth = 0
        flat_primals, flat_tangents = nest.flatten(primals), nest.flatten(tangents)
        if len(flat_primals) != len(flat_tangents):
            raise ValueError(f"The two structures don't have the same nested structure.\n\n"
                             f"First structure: {primals!r}\n\nSecond structure: {tangents!r}")
        for primal, tangent in zip(flat_primals, flat_tangents):
            self._watch(primal, tangent)

    def _watch(self, primal: Tensor, tangent: Any) -> None:
        """Give ``primal`` the tangent ``tangent`` (converted to the primal's dtype)."""
        if not isinstance(primal, Tensor):
            raise TypeError(f"ForwardAccumulator's primals must be tensors or variables, got "
                            f"{primal!r} of type {type(primal).__name__}.")
        if isinstance(primal, Variable):
            primal = base_variable(primal)
        if id(primal) in self._tangents:
            raise ValueError(f"Tensor {primal!r} was specified as a primal multiple times. This "
                             "may indicate an error. If it was intended, please sum the "
                             "corresponding tangents.")
        tangent = convert_to_tensor(tangent, dtype=primal.dtype)
        if tuple(tangent.shape) != np.shape(primal._value):
            raise ValueError(f"Tangent shape {tangent.shape} does not match the primal's shape "
                             f"{primal.shape}.")
        if primal._value.dtype.kind in "fc":  # integer primals are accepted, but carry nothing
            self._tangents[id(primal)] = (primal, tangent)

    def __enter__(self) -> ForwardAccumulator:
        if self._recording:
            raise ValueError("Accumulator is already recording.")
        stack = _entered.__dict__.setdefault("accumulators", [])
        self._depth = len(stack)
        stack.append(self)
        self._thread = threading.get_ident()
        self._recording = True
        tape.add_listener(self._on_op)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._recording:
            tape.remove_listener(self._on_op)
            _entered.accumulators.remove(self)
            self._recording = False

    def _on_op(self, prim: Primitive, out: Tensor, inputs: tuple[Tensor, ...],
               params: tuple[Any, ...]) -> None:
        """Give ``out`` its tangent when an input has one (on this accumulator's thread only)."""
        if not prim.vjps or self._depth >= _computing.depth or \
                threading.get_ident() != self._thread or out._value.dtype.kind not in "fc":
            return
        tangents = self._tangents
        hits = [(i, tangents[_key(x)][1]) for i, x in enumerate(inputs)
                if prim.vjps[i] is not None and _key(x) in tangents]
        if not hits:
            return
        outer = _computing.depth
        _computing.depth = self._depth
        try:
            tangent = _jvp(prim, out, inputs, params, hits)
        finally:
            _computing.depth = outer
        if tangent is not None:
            tangents[id(out)] = (out, tangent)

    def jvp(self, primals: Any, unconnected_gradients: UnconnectedGradients | str =
            UnconnectedGradients.NONE) -> Any:
        """The tangent of each tensor in ``primals`` (a nested structure), computed as the
        tensors were: ``J u`` for the Jacobian J from the accumulator's primals to the tensor.

        A tensor the primals do not reach gets None, or zeros with
        ``unconnected_gradients='zero'``.

        >>> import tapegrad as tf
        >>> x = tf.constant(2.0)
        >>> with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
        ...     y, z = x * x, tf.constant(5.0)
        >>> acc.jvp({"y": y, "z": z}, unconnected_gradients="zero")["y"].numpy()
        np.float32(4.0)
        """
        zero = tape._unconnected(unconnected_gradients) is UnconnectedGradients.ZERO

        def tangent(t: Any) -> Tensor | None:
            if not isinstance(t, Tensor):
                raise TypeError(f"ForwardAccumulator.jvp needs tensors, got {t!r} of type "
                                f"{type(t).__name__}.")
            found = self._tangents.get(_key(t))
            if found is not None:
                return found[1]
            return wrap(np.zeros(np.shape(t._value), t._value.dtype)) if zero else None

        return nest.map_structure(tangent, primals)


_kinds: dict[Primitive, str] = {}


def _kind(prim: Primitive) -> str | None:
    """How to take an op's JVP without transposing: 'self-adjoint' (elementwise ops and softmax:
    the Jacobian is symmetric, so J u = vjp(u)), 'multilinear' (linear in each input on its
    own: J u = sum_i op(..., u_i, ...)) or 'linear' (linear in all inputs together)."""
    if not _kinds:
        from .ops import array, linalg, math, nn, reduce
        for kind, prims in [
            ("self-adjoint", [math.ADD, math.SUB, math.MUL, math.DIV, math.POW, math.MAXIMUM,
                              math.MINIMUM, math.SQUARED_DIFFERENCE, math.NEG, math.ABS,
                              math.SQUARE, math.SQRT, math.RSQRT, math.EXP, math.EXPM1, math.LOG,
                              math.LOG1P, math.SIN, math.COS, math.TAN, math.TANH,
                              math.SIGMOID, math.SOFTPLUS, math.RECIPROCAL, math.SELECT,
                              math.CLIP, math.IDENTITY, nn.RELU, nn.ELU, nn.SELU,
                              nn.SOFTSIGN, nn.LEAKY_RELU, nn.SOFTMAX]),
            ("multilinear", [math.CAST, linalg.MATMUL, linalg.EINSUM, array.RESHAPE,
                             array.TRANSPOSE, array.BROADCAST_TO, array.REVERSE, array.GETITEM,
                             array.GATHER, array.TILE, reduce.SUM, reduce.MEAN, reduce.CUMSUM]),
            ("linear", [array.CONCAT, array.STACK]),
        ]:
            _kinds.update(dict.fromkeys(prims, kind))
    return _kinds.get(prim)


def _jvp(prim: Primitive, out: Tensor, inputs: tuple[Tensor, ...], params: tuple[Any, ...],
         hits: list[tuple[int, Tensor]]) -> Tensor | None:
    """``J u`` for one op: directly for the ops ``_kind`` knows, otherwise the gradient with
    respect to g of sum_i <vjp_i(g), u_i>."""
    from .ops import vocab
    from .ops.array import broadcast_to, zeros_like
    from .ops.math import multiply
    from .ops.reduce import reduce_sum
    xp = vocab.TENSOR
    kind = _kind(prim)
    if kind == "self-adjoint":
        shape = np.shape(out._value)
        terms = [prim.vjps[i](xp, u if np.shape(u._value) == shape else broadcast_to(u, shape),
                              out, *inputs, *params) for i, u in hits]
        return sum(terms[1:], terms[0])
    if kind == "multilinear":
        terms = [tape.apply(prim, inputs[:i] + (u,) + inputs[i + 1:], params) for i, u in hits]
        return sum(terms[1:], terms[0])
    if kind == "linear":
        given = dict(hits)
        return tape.apply(prim, tuple(given[i] if i in given else zeros_like(x)
                                      for i, x in enumerate(inputs)), params)
    with GradientTape(watch_accessed_variables=False) as transposer:
        g = wrap(np.ones(np.shape(out._value), out._value.dtype))  # any g: the rules are linear
        transposer.watch(g)
        total = None
        for i, u in hits:
            gx = prim.vjps[i](xp, g, out, *inputs, *params)
            if gx is None:
                continue
            shape = np.shape(inputs[i]._value)
            if gx._value.shape != shape:
                gx = tape.unbroadcast(xp, gx, shape)
            term = reduce_sum(multiply(gx, u))
            total = term if total is None else total + term
    return None if total is None else transposer.gradient(total, g)


__all__ = ["ForwardAccumulator"]
