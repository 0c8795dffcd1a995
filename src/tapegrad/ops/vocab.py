"""The array vocabulary that gradient rules are written in: NumPy's names, two ways.

A rule such as ``lambda xp, g, ans, x: g * xp.cos(x)`` runs on NumPy values with ``xp = NUMPY``
(a first-order backward pass: no tensors made, no dispatch) and on tensors with ``xp = TENSOR``
(under an outer tape, which records the backward pass for the next order). Arithmetic operators
work on both; everything else a rule needs is one row of the table below.
"""

from __future__ import annotations

from math import prod
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import tape
from ..tensor import tensor_of
from . import array, linalg, math, nn, reduce


def _np_sum(x: Any, axes: Any, keepdims: bool) -> Any:
    return np.add.reduce(x, axis=axes, keepdims=keepdims)


def _np_prod(x: Any, axes: Any, keepdims: bool) -> Any:
    return np.multiply.reduce(x, axis=axes, keepdims=keepdims)


def _np_broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """x broadcast to ``shape``: filled in when small (faster than making a view), a read-only
    view when large (no memory, no write pass)."""
    if prod(shape) > 4096:
        return np.broadcast_to(x, shape)
    out = np.empty(shape, x.dtype)
    out[...] = x
    return out


def _np_one_hot(labels: Any, depth: int, dtype: Any) -> Any:
    return (np.arange(depth) == np.expand_dims(labels, -1)).astype(dtype)


_ROWS: dict[str, tuple[Any, Any]] = {
    # name: (on NumPy values, on tensors)
    "shape": (lambda x: x.shape, lambda t: t._value.shape),
    "dtype": (lambda x: x.dtype, lambda t: t._value.dtype),
    "reshape": (lambda x, shape: x.reshape(shape), array.reshape),
    "broadcast_to": (_np_broadcast_to, array.broadcast_to),
    "transpose": (np.transpose, array.transpose),
    "flip": (np.flip, array.reverse),
    "sum": (_np_sum, reduce.reduce_sum),
    "prod": (_np_prod, reduce.reduce_prod),
    "cumsum": (reduce._cumsum, reduce.cumsum),
    "where": (np.where, math.where),
    "cast": (lambda x, dtype: x.astype(dtype), math.cast),
    "abs": (np.abs, math.abs),
    "sign": (np.sign, math.sign),
    "floor": (np.floor, math.floor),
    "sqrt": (np.sqrt, math.sqrt),
    "exp": (np.exp, math.exp),
    "log": (np.log, math.log),
    "sin": (np.sin, math.sin),
    "cos": (np.cos, math.cos),
    "sinh": (np.sinh, math.sinh),
    "cosh": (np.cosh, math.cosh),
    "sigmoid": (math._sigmoid, math.sigmoid),
    "softmax": (nn._softmax, nn.softmax),
    "log_softmax": (nn._log_softmax, nn.log_softmax),
    "one_hot": (_np_one_hot, lambda t, depth, dtype: array.one_hot(t, depth, dtype=dtype)),
    "matmul": (linalg._matmul, linalg.matmul),
    "matrix_transpose": (linalg._t, linalg.matrix_transpose),
    "inv": (np.linalg.inv, linalg.inv),
    "solve": (linalg._solve, linalg.solve),
    "einsum": (np.einsum, linalg.einsum),
    "gather": (lambda x, indices, axis: np.take(x, indices, axis),
               lambda t, indices, axis: tape.apply(array.GATHER, (t, tensor_of(indices)),
                                                   (axis,))),
    "scatter_add": (array._scatter_add, lambda g, indices, axis, shape: tape.apply(
        array.SCATTER_ADD, (g, tensor_of(indices)), (axis, shape))),
    "slice_grad": (array._slice_grad, lambda g, key, shape: tape.apply(
        array.SLICE_GRAD, (g,), (key, shape))),
    # any primitive: its kernel on values, or the op on tensors (rules that need another op)
    "apply": (lambda prim, xs, params: prim.kernel(*xs, *params),
              lambda prim, xs, params: tape.apply(prim, tuple(xs), tuple(params))),
    # a gradient that is itself one op (nn.RELU_GRAD): its kernel, or the op on (g, x)
    "fused": (lambda prim, g, x, *params: prim.kernel(g, x, *params),
              lambda prim, g, x, *params: tape.apply(prim, (g, x), params)),
}

NUMPY = SimpleNamespace(**{name: forms[0] for name, forms in _ROWS.items()})
TENSOR = SimpleNamespace(**{name: forms[1] for name, forms in _ROWS.items()})
