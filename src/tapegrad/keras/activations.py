"""Keras's activation functions (``tapegrad.keras.activations``), by name or as functions.

>>> import tapegrad as tf
>>> tf.keras.activations.get("relu")([-1.0, 2.0]).numpy().tolist()
[0.0, 2.0]
>>> tf.keras.activations.serialize(tf.keras.activations.gelu)
'gelu'
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .. import nn
from ..ops import math as math_ops
from ..ops import special
from ..tensor import Tensor, convert_to_tensor

__all__ = ["elu", "exponential", "gelu", "get", "hard_sigmoid", "leaky_relu", "linear",
           "log_softmax", "mish", "relu", "relu6", "selu", "serialize", "deserialize",
           "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh"]


def _float(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """max(x, 0), with Keras's options: a slope below ``threshold``, a cap at ``max_value``.

    >>> import tapegrad as tf
    >>> tf.keras.activations.relu([-2.0, 1.0, 8.0], negative_slope=0.5, max_value=6.0).numpy()
    array([-1.,  1.,  6.], dtype=float32)
    """
    x = _float(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return nn.relu(x)
    y = math_ops.where(x > threshold, x, math_ops.multiply(x - threshold, negative_slope)
                       if negative_slope else math_ops.multiply(x, 0.0))
    if max_value is not None:
        y = math_ops.minimum(y, max_value)
    return y


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, else ``negative_slope * x``."""
    return nn.leaky_relu(_float(x), alpha=negative_slope)


def relu6(x: Any) -> Tensor:
    """min(max(x, 0), 6)."""
    return nn.relu6(_float(x))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else ``alpha * (exp(x) - 1)``."""
    x = _float(x)
    return nn.elu(x) if alpha == 1.0 else math_ops.where(x > 0, x, alpha * math_ops.expm1(x))


def selu(x: Any) -> Tensor:
    """The scaled ELU (Klambauer et al., 2017)."""
    return nn.selu(_float(x))


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """The Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal X; with
    ``approximate=True``, its tanh approximation.

    >>> import tapegrad as tf
    >>> round(float(tf.keras.activations.gelu(1.0)), 5)
    0.84134
    """
    x = _float(x)
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + math_ops.tanh(inner))
    return 0.5 * x * (1.0 + special.erf(x * (1 / math.sqrt(2))))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x))."""
    return math_ops.sigmoid(_float(x))


def hard_sigmoid(x: Any) -> Tensor:
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    return nn.relu6(_float(x) + 3.0) * (1 / 6)


def tanh(x: Any) -> Tensor:
    """The hyperbolic tangent."""
    return math_ops.tanh(_float(x))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``."""
    return nn.softmax(_float(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)), computed stably."""
    return nn.log_softmax(_float(x), axis=axis)


def softplus(x: Any) -> Tensor:
    """log(exp(x) + 1)."""
    return math_ops.softplus(_float(x))


def softsign(x: Any) -> Tensor:
    """x / (|x| + 1)."""
    return nn.softsign(_float(x))


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return nn.silu(_float(x))


swish = silu


def mish(x: Any) -> Tensor:
    """x * tanh(softplus(x))."""
    x = _float(x)
    return x * math_ops.tanh(math_ops.softplus(x))


def exponential(x: Any) -> Tensor:
    """exp(x)."""
    return math_ops.exp(_float(x))


def linear(x: Any) -> Any:
    """x, unchanged: the activation of a layer without one."""
    return x


_BY_NAME: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (elu, exponential, gelu, hard_sigmoid, leaky_relu, linear,
                            log_softmax, mish, relu, relu6, selu, sigmoid, silu, softmax, softplus,
                            softsign, tanh)}
_BY_NAME["swish"] = silu


def serialize(activation: Callable[..., Any]) -> Any:
    """An activation's name (``"relu"``); a custom function as its config dict."""
    for name, f in _BY_NAME.items():
        if f is activation:
            return name
    from .saving import serialize_keras_object
    return serialize_keras_object(activation)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The activation a name or config stands for."""
    return get(config, custom_objects)


def get(identifier: Any, custom_objects: dict[str, Any] | None = None) -> Callable[..., Any]:
    """An activation from a name, a config dict, a callable (as is) or None (``linear``).

    >>> import tapegrad as tf
    >>> tf.keras.activations.get(None) is tf.keras.activations.linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier in (custom_objects or {}):
            return custom_objects[identifier]
        if identifier in _BY_NAME:
            return _BY_NAME[identifier]
    elif isinstance(identifier, dict):
        from .saving import deserialize_keras_object
        return deserialize_keras_object(identifier, custom_objects)
    elif callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")
