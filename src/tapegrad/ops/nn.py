"""Neural-network ops (``tapegrad.nn``): activations, softmax, and the stable cross-entropies.

The losses take logits and never form log(sigmoid) or log(softmax) naively, so they stay finite
at logits of ±1000, as TensorFlow's do.

>>> import tapegrad as tf
>>> loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[2.0, -1.0])
>>> [f"{v:.5f}" for v in loss.numpy()]
['0.12693', '0.31326']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import tape
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_int, tensor_of
from .array import reshape
from .math import (
    add,
    cast,
    check_kind,
    maximum,
    multiply,
    operands,
    rsqrt,
    sigmoid,
    squared_difference,
    stop_gradient,
    unary,
)
from .random import uniform
from .reduce import normalize_axes, reduce_mean, reduce_sum

# ----- activations -----

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

def _fused_gradient(name: str, rule: Any) -> Primitive:
    """A piecewise-linear activation's gradient as one op, as TensorFlow's ReluGrad: linear in
    the upstream gradient g, with a zero (not a missing) gradient for the features x.

    ``rule(xp, g, x, *params)`` is the gradient. The zero gradient for x is TensorFlow's second
    derivative of relu: nested tapes give 0 there, not None.
    """
    return Primitive(name, lambda g, x, *params: rule(np, g, x, *params),
                     lambda xp, gg, ans, g, x, *params: rule(xp, gg, x, *params),
                     lambda xp, gg, ans, g, x, *params: gg * 0)


RELU_GRAD = _fused_gradient("ReluGrad", lambda xp, g, ans: xp.where(ans > 0, g, 0))
RELU6_GRAD = _fused_gradient("Relu6Grad", lambda xp, g, x: xp.where((x > 0) & (x < 6), g, 0))
LEAKY_RELU_GRAD = _fused_gradient("LeakyReluGrad",
                                  lambda xp, g, x, alpha: xp.where(x > 0, g, g * alpha))
RELU = Primitive("Relu", lambda x: np.maximum(x, 0),
                 lambda xp, g, ans, x: xp.fused(RELU_GRAD, g, ans))
RELU6 = Primitive("Relu6", lambda x: np.minimum(np.maximum(x, 0), 6),
                  lambda xp, g, ans, x: xp.fused(RELU6_GRAD, g, x))
ELU = Primitive("Elu", lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))[()],
                lambda xp, g, ans, x: xp.where(ans > 0, g, g * (ans + 1)))
SELU = Primitive("Selu", lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(
    np.minimum(x, 0)))[()], lambda xp, g, ans, x: xp.where(
        ans > 0, g * _SELU_SCALE, g * (ans + _SELU_SCALE * _SELU_ALPHA)))
SOFTSIGN = Primitive("Softsign", lambda x: x / (1 + np.abs(x)),
                     lambda xp, g, ans, x: g / ((1 + xp.abs(x)) * (1 + xp.abs(x))))

relu = unary(RELU, doc="max(x, 0); the gradient at 0 is 0.\n\n>>> import tapegrad as tf\n"
             ">>> tf.nn.relu([-1.0, 2.0]).numpy().tolist()\n[0.0, 2.0]\n")
relu6 = unary(RELU6, doc="min(max(x, 0), 6).\n\n>>> import tapegrad as tf\n"
              ">>> tf.nn.relu6([-1.0, 8.0]).numpy().tolist()\n[0.0, 6.0]\n")
elu = unary(ELU, doc="x for x > 0, else exp(x) - 1.\n\n>>> import tapegrad as tf\n"
            ">>> tf.nn.elu([1.0, 0.0]).numpy().tolist()\n[1.0, 0.0]\n")
selu = unary(SELU, doc="The scaled ELU of Klambauer et al.\n\n>>> import tapegrad as tf\n"
             ">>> round(float(tf.nn.selu(1.0)), 4)\n1.0507\n")
softsign = unary(SOFTSIGN, doc="x / (1 + |x|).\n\n>>> import tapegrad as tf\n"
                 ">>> float(tf.nn.softsign(1.0))\n0.5\n")


def _leaky(x: Any, alpha: float) -> Any:
    return np.where(x > 0, x, x * alpha)[()]


LEAKY_RELU = Primitive("LeakyRelu", _leaky,
                       lambda xp, g, ans, x, alpha: xp.fused(LEAKY_RELU_GRAD, g, x, alpha))


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """x for x > 0, else alpha * x.

    >>> import tapegrad as tf
    >>> tf.nn.leaky_relu([-1.0, 2.0]).numpy().tolist()
    [-0.20000000298023224, 2.0]
    """
    x = tensor_of(features)
    check_kind(LEAKY_RELU, x, "f")
    # TensorFlow's alpha is a float32 attribute, in float64 computations too
    return tape.apply(LEAKY_RELU, (x,), (float(np.float32(float(alpha))),))


def silu(features: Any, beta: float = 1.0, name: str | None = None) -> Tensor:
    """x * sigmoid(beta * x), also called swish.

    >>> import tapegrad as tf
    >>> float(tf.nn.silu(0.0))
    0.0
    """
    x = tensor_of(features)
    return multiply(x, sigmoid(x if beta == 1.0 else multiply(x, beta)))


swish = silu


# ----- softmax -----

def _axis(x: Tensor, axis: Any, op: str) -> int:
    (a,) = normalize_axes(-1 if axis is None else as_int(axis, "axis"), x._value.ndim, op)
    return a


def _softmax(x: Any, axis: int) -> Any:
    """exp(x - max) / sum; an entry whose exp is 0 stays 0 when the sum is NaN (as TF: an inf
    logit gives NaN there, and exactly 0 for the -inf and finite entries beside it)."""
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf))
    return np.divide(e, np.add.reduce(e, axis=axis, keepdims=True), out=np.zeros_like(e),
                     where=e != 0)


def _log_softmax(x: Any, axis: int) -> Any:
    """(x - max) - log(sum(exp(x - max))): accurate to a few ulps even for large logits, where
    x - logsumexp(x) loses |x|·eps to the rounding of logsumexp (3e-5 at 1000 in float32)."""
    shifted = x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


SOFTMAX = Primitive("Softmax", _softmax, lambda xp, g, ans, x, axis:
                    ans * (g - xp.sum(g * ans, (axis,), True)))
LOG_SOFTMAX = Primitive("LogSoftmax", _log_softmax, lambda xp, g, ans, x, axis:
                        g - xp.exp(ans) * xp.sum(g, (axis,), True))


def softmax(logits: Any, axis: int | None = None, name: str | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default), without overflow.

    >>> import tapegrad as tf
    >>> tf.nn.softmax([0.0, 0.0]).numpy().tolist()
    [0.5, 0.5]
    """
    x = tensor_of(logits)
    check_kind(SOFTMAX, x, "f")
    return tape.apply(SOFTMAX, (x,), (_axis(x, axis, "Softmax"),))


def log_softmax(logits: Any, axis: int | None = None, name: str | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis``: the log of softmax, accurate for large logits.

    >>> import tapegrad as tf
    >>> tf.nn.log_softmax([0.0, 1000.0]).numpy().tolist()
    [-1000.0, 0.0]
    """
    x = tensor_of(logits)
    check_kind(LOG_SOFTMAX, x, "f")
    return tape.apply(LOG_SOFTMAX, (x,), (_axis(x, axis, "LogSoftmax"),))


# ----- cross-entropies from logits -----

def _sigmoid_xent(z: Any, x: Any) -> Any:
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


SIGMOID_XENT = Primitive("SigmoidCrossEntropyWithLogits", _sigmoid_xent,
                         lambda xp, g, ans, z, x: -g * x,
                         lambda xp, g, ans, z, x: g * (xp.sigmoid(x) - z))


def sigmoid_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                      name: str | None = None) -> Tensor:
    """-z·log(sigmoid(x)) - (1-z)·log(1-sigmoid(x)) for labels z and logits x, elementwise.

    Computed as max(x, 0) - x·z + log(1 + exp(-|x|)), which never overflows.

    >>> import tapegrad as tf
    >>> loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[1000.0])
    >>> loss.numpy().tolist()
    [0.0]
    """
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    z, x = operands(SIGMOID_XENT, tensor_of(labels), tensor_of(logits))
    check_kind(SIGMOID_XENT, x, "f")
    if np.shape(z._value) != np.shape(x._value):
        raise ValueError(f"`logits` and `labels` must have the same shape, received "
                         f"({x.shape} vs {z.shape}).")
    return tape.apply(SIGMOID_XENT, (z, x))


def _softmax_xent(z: Any, x: Any, axis: int) -> Any:
    return -np.add.reduce(z * _log_softmax(x, axis), axis=axis)


def _softmax_xent_logits_rule(xp: Any, g: Any, ans: Any, z: Any, x: Any, axis: int) -> Any:
    g = xp.reshape(g, _kept(xp.shape(x), axis))
    return g * (xp.softmax(x, axis) * xp.sum(z, (axis,), True) - z)


def _softmax_xent_labels_rule(xp: Any, g: Any, ans: Any, z: Any, x: Any, axis: int) -> Any:
    return -xp.reshape(g, _kept(xp.shape(x), axis)) * xp.log_softmax(x, axis)


def _kept(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return tuple(1 if i == axis else n for i, n in enumerate(shape))


SOFTMAX_XENT = Primitive("SoftmaxCrossEntropyWithLogits", _softmax_xent,
                         _softmax_xent_labels_rule, _softmax_xent_logits_rule)


def softmax_cross_entropy_with_logits(labels: Any, logits: Any, axis: int = -1,
                                      name: str | None = None) -> Tensor:
    """-sum(labels * log_softmax(logits)) along ``axis``: one loss per example.

    >>> import tapegrad as tf
    >>> loss = tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], [[0.0, 0.0]])
    >>> [round(v, 4) for v in loss.numpy().tolist()]
    [0.6931]
    """
    x = tensor_of(logits)
    x, z = operands(SOFTMAX_XENT, x, labels)
    check_kind(SOFTMAX_XENT, x, "f")
    if np.shape(z._value) != np.shape(x._value):
        raise invalid_argument(f"logits and labels must be broadcastable: logits_size="
                               f"{list(np.shape(x._value))} labels_size="
                               f"{list(np.shape(z._value))} [Op:SoftmaxCrossEntropyWithLogits]")
    return tape.apply(SOFTMAX_XENT, (z, x), (_axis(x, axis, "SoftmaxCrossEntropyWithLogits"),))


def _sparse_xent(labels: Any, x: Any) -> Any:
    index = labels[..., None].astype(np.intp)
    return (-np.take_along_axis(_log_softmax(x, x.ndim - 1), index, axis=-1)[..., 0])[()]


def _sparse_xent_rule(xp: Any, g: Any, ans: Any, labels: Any, x: Any) -> Any:
    shape = xp.shape(x)
    target = xp.one_hot(labels, shape[-1], xp.dtype(x))
    return xp.reshape(g, shape[:-1] + (1,)) * (xp.softmax(x, len(shape) - 1) - target)


SPARSE_XENT = Primitive("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent, None,
                        _sparse_xent_rule)


def sparse_softmax_cross_entropy_with_logits(labels: Any, logits: Any,
                                             name: str | None = None) -> Tensor:
    """-log_softmax(logits)[label] per example, for integer class labels.

    >>> import tapegrad as tf
    >>> loss = tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[0.0, 0.0]])
    >>> [round(v, 4) for v in loss.numpy().tolist()]
    [0.6931]
    """
    x = tensor_of(logits)
    z = tensor_of(labels)
    check_kind(SPARSE_XENT, x, "f")
    if z._value.dtype.kind not in "iu":
        raise TypeError(f"Value passed to parameter 'labels' has DataType {z.dtype.name} not in "
                        "list of allowed values: int32, int64")
    if np.shape(x._value)[:-1] != np.shape(z._value) or x._value.ndim < 1:
        raise ValueError(f"`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
                         f"labels.shape={z.shape} of rank {z._value.ndim} and "
                         f"logits.shape={x.shape} of rank {x._value.ndim}")
    depth = np.shape(x._value)[-1]
    bad = (z._value < 0) | (z._value >= depth)
    if np.any(bad):
        value = np.asarray(z._value)[bad].flat[0]
        raise invalid_argument(f"Received a label value of {value} which is outside the valid "
                               f"range of [0, {depth}).  Label values: "
                               f"{' '.join(map(str, np.ravel(z._value)))} "
                               "[Op:SparseSoftmaxCrossEntropyWithLogits]")
    return tape.apply(SPARSE_XENT, (z, x))


# ----- losses and normalisation -----

L2_LOSS = Primitive("L2Loss", lambda x: np.add.reduce(x * x, axis=None) / 2,
                    lambda xp, g, ans, x: g * x)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2.

    >>> import tapegrad as tf
    >>> float(tf.nn.l2_loss([1.0, 2.0, 3.0]))
    7.0
    """
    x = tensor_of(t)
    check_kind(L2_LOSS, x, "f")
    return tape.apply(L2_LOSS, (x,))


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None,
                 dim: Any = None) -> Tensor:
    """x / sqrt(max(sum(x ** 2), epsilon)) along ``axis``.

    >>> import tapegrad as tf
    >>> tf.math.l2_normalize([3.0, 4.0]).numpy().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    x = tensor_of(x)
    axis = dim if axis is None else axis
    return multiply(x, rsqrt(maximum(reduce_sum(multiply(x, x), axis, keepdims=True), epsilon)))


def moments(x: Any, axes: Any, shift: Any = None, keepdims: bool = False,
            name: str | None = None) -> tuple[Tensor, Tensor]:
    """The mean and variance of ``x`` over ``axes``.

    As in TensorFlow, the variance is taken around ``stop_gradient(mean)``: the same values and
    first derivatives as ``reduce_variance``, and TensorFlow's second derivatives.

    >>> import tapegrad as tf
    >>> [float(m) for m in tf.nn.moments(tf.constant([1.0, 2.0, 3.0, 4.0]), axes=[0])]
    [2.5, 1.25]
    """
    x = tensor_of(x)
    mean = reduce_mean(x, axes, keepdims=True)
    variance = reduce_mean(squared_difference(x, stop_gradient(mean)), axes, keepdims=True)
    if keepdims:
        return mean, variance
    kept = normalize_axes(axes, x._value.ndim, "Mean")
    shape = [n for i, n in enumerate(np.shape(x._value)) if kept is not None and i not in kept]
    return reshape(mean, shape), reshape(variance, shape)


def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Tensor:
    """value + bias, with the 1-D bias added along the last axis (channels first for NC...).

    >>> import tapegrad as tf
    >>> tf.nn.bias_add([[1.0, 2.0]], [10.0, 20.0]).numpy().tolist()
    [[11.0, 22.0]]
    """
    v, b = tensor_of(value), tensor_of(bias)
    if b._value.ndim != 1:
        raise ValueError(f"Bias must be 1-D, got shape {b.shape}")
    if data_format is not None and not isinstance(data_format, str):
        raise TypeError(f"data_format must be a string such as 'NHWC' or 'NCHW', got "
                        f"{data_format!r}")
    channels_first = data_format is not None and data_format.startswith("NC")
    axis = 1 if channels_first else -1
    if v._value.ndim < 2 or np.shape(v._value)[axis] != np.shape(b._value)[0]:
        raise invalid_argument(f"Must provide as many biases as the channel dimension of the "
                               f"input tensor: {b.shape} vs. {v.shape} [Op:BiasAdd]")
    if channels_first:
        b = reshape(b, (-1,) + (1,) * (v._value.ndim - 2))
    return add(v, b)


def dropout(x: Any, rate: float, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None) -> Tensor:
    """Each entry zeroed with probability ``rate``, the rest scaled by 1 / (1 - rate).

    >>> import tapegrad as tf
    >>> tf.nn.dropout(tf.ones(4), rate=0.0).numpy().tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    x = tensor_of(x)
    if not 0 <= float(rate) < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate={rate}")
    if rate == 0:
        return x
    shape = np.shape(x._value) if noise_shape is None else noise_shape
    keep = uniform(shape, dtype=x.dtype, seed=seed) >= rate
    return multiply(x, cast(keep, x.dtype) * (1 / (1 - float(rate))))
