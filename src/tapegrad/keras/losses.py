"""Keras's losses (``tapegrad.keras.losses``): classes, their function forms and string names.

A loss class computes the per-sample loss with its function (averaged over the last axis), weights
it by ``sample_weight`` and reduces it (``"sum_over_batch_size"`` by default: the mean).

>>> import tapegrad as tf
>>> float(tf.keras.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
0.5
>>> tf.keras.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy().tolist()
[0.5]
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..ops import array as array_ops
from ..ops import math as math_ops
from ..ops import nn as nn_ops
from ..ops import reduce as reduce_ops
from ..tensor import Tensor, convert_to_tensor
from . import backend

__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "Hinge", "SquaredHinge", "KLDivergence", "Poisson", "CosineSimilarity",
           "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
           "squared_hinge", "kl_divergence", "poisson", "cosine_similarity", "mse", "MSE",
           "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "logcosh", "get",
           "serialize", "deserialize"]

_REDUCTIONS = (None, "none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight")


def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    """Both as tensors of y_pred's float dtype, with Keras's rank fix-up."""
    y_pred = convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = math_ops.cast(y_pred, backend.floatx())
    y_true = convert_to_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = math_ops.cast(y_true, y_pred.dtype)
    return same_rank(y_true, y_pred)


def same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True) -> tuple[Tensor, Tensor]:
    """Squeeze or expand a last axis of size 1 where the ranks differ by one (Keras's rule)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = array_ops.expand_dims(x2, -1)
        else:
            x1 = array_ops.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = array_ops.expand_dims(x1, -1)
        else:
            x2 = array_ops.squeeze(x2, -1)
    return x1, x2


# ----- the function forms -----

def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean((y_true - y_pred) ** 2) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_ops.reduce_mean(math_ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_ops.reduce_mean(math_ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """100 * mean(|(y_true - y_pred) / y_true|) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = math_ops.abs((y_true - y_pred) / math_ops.maximum(math_ops.abs(y_true),
                                                             backend.epsilon()))
    return 100.0 * reduce_ops.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean((log(1 + y_pred) - log(1 + y_true)) ** 2) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    first = math_ops.log(math_ops.maximum(y_pred, backend.epsilon()) + 1.0)
    second = math_ops.log(math_ops.maximum(y_true, backend.epsilon()) + 1.0)
    return reduce_ops.reduce_mean(math_ops.square(first - second), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Quadratic for errors up to ``delta``, linear beyond; averaged over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    error = y_pred - y_true
    abs_error = math_ops.abs(error)
    quadratic = 0.5 * math_ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return reduce_ops.reduce_mean(math_ops.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """mean(log(cosh(y_pred - y_true))) over the last axis, computed without overflow."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return reduce_ops.reduce_mean(x + math_ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def _hinge_labels(y_true: Tensor) -> Tensor:
    """Labels all in {0, 1} become {-1, 1}, as Keras's hinge losses expect."""
    binary = reduce_ops.reduce_all(math_ops.logical_or(math_ops.equal(y_true, 0.0),
                                                       math_ops.equal(y_true, 1.0)))
    return math_ops.where(binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis (labels -1/1 or 0/1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return reduce_ops.reduce_mean(math_ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0) ** 2) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return reduce_ops.reduce_mean(math_ops.square(math_ops.maximum(1.0 - y_true * y_pred, 0.0)),
                                  axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = math_ops.clip_by_value(y_true, backend.epsilon(), 1.0)
    y_pred = math_ops.clip_by_value(y_pred, backend.epsilon(), 1.0)
    return reduce_ops.reduce_sum(y_true * math_ops.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """mean(y_pred - y_true * log(y_pred + 1e-7)) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return reduce_ops.reduce_mean(y_pred - y_true * math_ops.log(y_pred + backend.epsilon()),
                                  axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Minus the cosine of the angle between y_true and y_pred along ``axis``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return -reduce_ops.reduce_sum(nn_ops.l2_normalize(y_true, axis=axis)
                                  * nn_ops.l2_normalize(y_pred, axis=axis), axis=axis)


def _binary_crossentropy(target: Tensor, output: Tensor, from_logits: bool) -> Tensor:
    if from_logits:
        return nn_ops.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = backend.epsilon()
    output = math_ops.clip_by_value(output, eps, 1.0 - eps)
    return -(target * math_ops.log(output) + (1.0 - target) * math_ops.log(1.0 - output))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """The cross-entropy of 0/1 labels and probabilities (or logits), averaged over ``axis``.

    >>> import tapegrad as tf
    >>> round(float(tf.keras.losses.binary_crossentropy([1.0], [0.5])), 4)
    0.6931
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return reduce_ops.reduce_mean(_binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """The cross-entropy of one-hot labels and probabilities (or logits) along ``axis``."""
    y_pred = convert_to_tensor(y_pred)
    y_true = math_ops.cast(convert_to_tensor(y_true), y_pred.dtype)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape="
                         f"{tuple(y_pred.shape)}")
    if label_smoothing:
        classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return nn_ops.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    output = y_pred / reduce_ops.reduce_sum(y_pred, axis=axis, keepdims=True)
    output = math_ops.clip_by_value(output, backend.epsilon(), 1.0 - backend.epsilon())
    return -reduce_ops.reduce_sum(y_true * math_ops.log(output), axis=axis)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    """The cross-entropy of integer labels and probabilities (or logits).

    >>> import tapegrad as tf
    >>> round(float(tf.keras.losses.sparse_categorical_crossentropy([1], [[0.5, 0.5]])[0]), 4)
    0.6931
    """
    y_pred = convert_to_tensor(y_pred)
    target = math_ops.cast(convert_to_tensor(y_true), "int64")
    if target.ndim == y_pred.ndim and target.shape[-1] == 1:
        target = array_ops.squeeze(target, -1)
    if tuple(target.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(f"Arguments `target` and `output` must have the same shape up until "
                         f"the last dimension: target.shape={tuple(target.shape)}, "
                         f"output.shape={tuple(y_pred.shape)}")
    valid = None
    if ignore_class is not None:
        valid = math_ops.not_equal(target, ignore_class)
        target = math_ops.where(valid, target, 0)
    logits = y_pred
    if not from_logits:
        logits = math_ops.log(math_ops.clip_by_value(y_pred, backend.epsilon(),
                                                     1.0 - backend.epsilon()))
    result = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits)
    if valid is not None:
        result = result * math_ops.cast(valid, result.dtype)
    return result


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


# ----- the classes -----

def _weighted(values: Tensor, sample_weight: Any, reduction: str | None) -> Tensor:
    """Keras's reduce_weighted_values: weight each sample's loss, then reduce."""
    if sample_weight is not None:
        sample_weight = math_ops.cast(convert_to_tensor(sample_weight), values.dtype)
        values, sample_weight = same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    total = reduce_ops.reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = reduce_ops.reduce_sum(sample_weight * array_ops.ones_like(values))
        return math_ops.where(divisor == 0, array_ops.zeros_like(total),
                              total / math_ops.maximum(divisor, backend.epsilon()))
    return total / math.prod(values.shape)


class Loss:
    """The base class: ``loss(y_true, y_pred, sample_weight=None)`` -> the reduced loss.

    A subclass implements ``call(y_true, y_pred)`` returning the per-sample losses.
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                             f"{_REDUCTIONS}. Received: reduction={reduction}")
        self.name = name or backend.snake_case(type(self).__name__)
        self.reduction = reduction
        self._dtype = dtype or backend.floatx()

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = _as(y_pred, self._dtype)
        y_true = _as(y_true, self._dtype)
        return _weighted(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


def _as(x: Any, dtype: str) -> Tensor:
    t = convert_to_tensor(x)
    return t if t.dtype.name == dtype else math_ops.cast(t, dtype)


class LossFunctionWrapper(Loss):
    """A loss class from a function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn: Callable[..., Tensor], reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y_true, y_pred = same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def _loss_class(cls_name: str, fn: Callable[..., Tensor], default_name: str, doc: str,
                **defaults: Any) -> type:
    """A Keras loss class over ``fn``: its ``__init__`` takes ``defaults`` as keywords."""
    def __init__(self: LossFunctionWrapper, *args: Any, reduction: str | None =  # noqa: N807
                 "sum_over_batch_size", name: str = default_name, dtype: Any = None,
                 **kwargs: Any) -> None:
        options = dict(defaults)
        for key, value in zip(defaults, args):
            options[key] = value
        for key, value in kwargs.items():
            if key not in defaults:
                raise TypeError(f"{cls_name}.__init__() got an unexpected keyword argument "
                                f"'{key}'")
            options[key] = value
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype,
                                     **options)

    def get_config(self: LossFunctionWrapper) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction, **self._fn_kwargs}

    def from_config(cls: type, config: dict[str, Any]) -> Loss:
        return cls(**config)

    return type(cls_name, (LossFunctionWrapper,), {
        "__init__": __init__, "get_config": get_config, "from_config": classmethod(from_config),
        "__doc__": doc, "__module__": __name__, "__repr__": object.__repr__})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                               "The mean of squared errors.")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                                "The mean of absolute errors.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 times the mean of |error / y_true|.")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "The mean of squared differences of log(1 + y).")
Huber = _loss_class("Huber", huber, "huber_loss",
                    "Quadratic for small errors, linear beyond ``delta``.", delta=1.0)
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh", "The mean of log(cosh(error)).")
Hinge = _loss_class("Hinge", hinge, "hinge", "The hinge loss of -1/1 (or 0/1) labels.")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge",
                           "The squared hinge loss.")
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence",
                           "The Kullback-Leibler divergence of y_pred from y_true.")
Poisson = _loss_class("Poisson", poisson, "poisson", "The Poisson negative log-likelihood.")
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                               "Minus the cosine similarity.", axis=-1)
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    "Cross-entropy of 0/1 labels and probabilities (``from_logits=True``: logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    "Cross-entropy of one-hot labels and probabilities (``from_logits=True``: logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Cross-entropy of integer labels and probabilities (``from_logits=True``: logits).",
    from_logits=False, ignore_class=None)


_CLASSES = [Loss, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, Huber, LogCosh, Hinge, SquaredHinge, KLDivergence,
            Poisson, CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy]
_FUNCTIONS = [mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, huber, log_cosh, hinge, squared_hinge,
              kl_divergence, poisson, cosine_similarity, binary_crossentropy,
              categorical_crossentropy, sparse_categorical_crossentropy]
_BY_NAME: dict[str, Any] = {c.__name__: c for c in _CLASSES}
_BY_NAME.update({f.__name__: f for f in _FUNCTIONS})
_BY_NAME.update({"mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape,
                 "msle": msle, "MSLE": msle, "kld": kld, "KLD": kld, "logcosh": log_cosh})


def serialize(loss: Any) -> Any:
    """Keras's config dict for a loss (a function as its registered name)."""
    from .saving import serialize_keras_object
    return serialize_keras_object(loss)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The loss a name or config dict describes."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects, _BY_NAME)


def get(identifier: Any) -> Any:
    """A loss from a name (``"mse"``, ``"sparse_categorical_crossentropy"``), a config dict, a
    class, or a loss object or function (returned as is).

    >>> import tapegrad as tf
    >>> tf.keras.losses.get("mse") is tf.keras.losses.mean_squared_error
    True
    """
    from .saving import lookup
    return lookup(identifier, _BY_NAME, "loss", deserialize)
