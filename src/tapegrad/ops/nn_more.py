"""More of ``tf.nn``: gelu, crelu, the Poisson and weighted sigmoid losses, batch
normalization, embedding lookup and the distributed-training loss scalers, composed of ops that
have gradients (so every order of derivative works).

>>> import tapegrad as tf
>>> round(float(tf.nn.gelu(1.0)), 4)
0.8413
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tape import Primitive
from ..tensor import Tensor, as_int, tensor_of
from .array import concat, gather
from .math import (
    abs,
    add,
    cast,
    exp,
    log,
    log1p,
    multiply,
    negative,
    operands,
    rsqrt,
    subtract,
    tanh,
    truediv,
    where,
)
from .nn import relu
from .reduce import reduce_sum
from .special import add_n, erfc

_COEFF, _ROOT_HALF = float(np.float32(0.044715)), float(np.float32(math.sqrt(0.5)))


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; ``approximate`` uses the tanh formula.

    >>> import tapegrad as tf
    >>> round(float(tf.nn.gelu(1.0, approximate=True)), 4)
    0.8412
    """
    x = tensor_of(features)
    if x._value.dtype.kind != "f":
        raise TypeError(f"gelu needs a float tensor, got {x.dtype.name}")
    # TensorFlow's constants, rounded to float32 (its cast of a Python float) in float64 too
    if approximate:
        inner = multiply(add(x, multiply(x * x * x, _COEFF)), math.sqrt(2 / math.pi))
        return multiply(x * 0.5, add(tanh(inner), 1.0))
    return multiply(x * 0.5, erfc(multiply(x, -_ROOT_HALF)))


def crelu(features: Any, name: str | None = None, axis: int = -1) -> Tensor:
    """relu(x) and relu(-x), joined along ``axis`` (twice the channels).

    >>> import tapegrad as tf
    >>> tf.nn.crelu([1.0, -2.0]).numpy().tolist()
    [1.0, 0.0, 0.0, 2.0]
    """
    x = tensor_of(features)
    return concat([relu(x), relu(negative(x))], as_int(axis, "axis"))


def _pair(x: Any, y: Any, op: str) -> tuple[Tensor, Tensor]:
    """Two inputs of one float dtype, with ``op`` (TensorFlow's op name) in messages."""
    x, y = operands(Primitive(op, None), tensor_of(x), y)
    if x._value.dtype.kind != "f":
        raise TypeError(f"{op} needs float inputs, got {x.dtype.name}")
    return x, y


def log_poisson_loss(targets: Any, log_input: Any, compute_full_loss: bool = False,
                     name: str | None = None) -> Tensor:
    """exp(log_input) - targets * log_input: the Poisson negative log-likelihood up to a
    constant, which ``compute_full_loss`` adds (Stirling's term, where targets > 1).

    >>> import tapegrad as tf
    >>> float(tf.nn.log_poisson_loss(1.0, 0.0))
    1.0
    """
    c, z = _pair(log_input, targets, "LogPoissonLoss")
    if np.shape(c._value) != np.shape(z._value):
        raise ValueError(f"log_input and targets must have the same shape ({c.shape} vs "
                         f"{z.shape})")
    loss = subtract(exp(c), multiply(c, z))
    if not compute_full_loss:
        return loss
    big = z > 1
    safe = where(big, z, z * 0 + 1)
    stirling = add(subtract(multiply(safe, log(safe)), safe),
                   multiply(log(multiply(safe, 2 * math.pi)), 0.5))
    return add(loss, where(big, stirling, stirling * 0))


def weighted_cross_entropy_with_logits(labels: Any, logits: Any, pos_weight: Any,
                                       name: str | None = None) -> Tensor:
    """sigmoid_cross_entropy_with_logits with the positive term weighted by ``pos_weight``,
    computed without overflow.

    >>> import tapegrad as tf
    >>> round(float(tf.nn.weighted_cross_entropy_with_logits(1.0, 0.0, 2.0)), 4)
    1.3863
    """
    x, z = _pair(logits, labels, "WeightedCrossEntropyWithLogits")
    if np.shape(x._value) != np.shape(z._value):
        raise ValueError(f"logits and labels must have the same shape ({x.shape} vs {z.shape})")
    weight = add(multiply(subtract(_pair(x, pos_weight, "Mul")[1], 1.0), z), 1.0)
    softplus_neg = add(log1p(exp(negative(abs(x)))), relu(negative(x)))
    return add(multiply(subtract(1.0, z), x), multiply(weight, softplus_neg))


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: str | None = None) -> Tensor:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset (scale, offset may be None).

    >>> import tapegrad as tf
    >>> tf.nn.batch_normalization([1.0, 3.0], 2.0, 1.0, None, None, 0.0).numpy().tolist()
    [-1.0, 1.0]
    """
    x = tensor_of(x)
    inv = rsqrt(add(_pair(x, variance, "Rsqrt")[1], variance_epsilon))
    if scale is not None:
        inv = multiply(inv, _pair(x, scale, "Mul")[1])
    shift = negative(multiply(_pair(x, mean, "Mul")[1], inv))
    if offset is not None:
        shift = add(shift, _pair(x, offset, "AddV2")[1])
    return add(multiply(x, inv), shift)


def embedding_lookup(params: Any, ids: Any, max_norm: Any = None,
                     name: str | None = None) -> Tensor:
    """Rows of ``params`` at ``ids`` (a gather along axis 0); with ``max_norm``, each row
    scaled down to an L2 norm of at most max_norm. A list of ``params`` is shards of one table,
    consecutive blocks of rows.

    >>> import tapegrad as tf
    >>> tf.nn.embedding_lookup(tf.constant([[1.0, 2.0], [3.0, 4.0]]), [1, 1]).numpy().tolist()
    [[3.0, 4.0], [3.0, 4.0]]
    """
    if isinstance(params, (list, tuple)):  # shards, split as TensorFlow 2 splits: "div"
        params = concat(list(params), 0)
    rows = gather(tensor_of(params), ids)
    if max_norm is None:
        return rows
    axes = tuple(range(np.ndim(tensor_of(ids)._value), rows._value.ndim))
    norm = reduce_sum(rows * rows, axes, keepdims=True) ** 0.5 if axes else abs(rows)
    limit = _pair(rows, max_norm, "Mul")[1]
    return where(norm > limit, truediv(multiply(rows, limit), norm), rows)


def compute_average_loss(per_example_loss: Any, sample_weight: Any = None,
                         global_batch_size: Any = None, name: str | None = None) -> Tensor:
    """sum(per_example_loss * sample_weight) / global_batch_size (by default the batch size:
    eager code runs on one replica).

    >>> import tapegrad as tf
    >>> float(tf.nn.compute_average_loss([1.0, 2.0, 3.0], global_batch_size=6))
    1.0
    """
    loss = tensor_of(per_example_loss)
    if loss._value.dtype.kind != "f":
        raise TypeError(f"per_example_loss must be a float tensor, got {loss.dtype.name}")
    if sample_weight is not None:  # weighted in float32, as TensorFlow's loss utilities do
        weight = tensor_of(sample_weight)
        loss = cast(multiply(cast(loss, "float32"), cast(weight, "float32")), loss.dtype)
    if global_batch_size is None:
        shape = np.shape(loss._value)
        global_batch_size = shape[0] if shape else 1
    elif as_int(global_batch_size, "global_batch_size") <= 0:
        raise ValueError(f"global_batch_size must be positive. Got {global_batch_size}")
    return truediv(reduce_sum(loss), _pair(loss, float(global_batch_size), "RealDiv")[1])


def scale_regularization_loss(regularization_loss: Any, name: str | None = None) -> Tensor:
    """The sum of the regularization losses, divided by the number of replicas (1 here).

    >>> import tapegrad as tf
    >>> float(tf.nn.scale_regularization_loss([0.5, 0.25]))
    0.75
    """
    if isinstance(regularization_loss, (list, tuple)):
        regularization_loss = add_n(regularization_loss)
    return reduce_sum(regularization_loss)


__all__ = ["gelu", "crelu", "log_poisson_loss", "weighted_cross_entropy_with_logits",
           "batch_normalization", "embedding_lookup", "compute_average_loss",
           "scale_regularization_loss"]
