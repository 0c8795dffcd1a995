"""Keras's metrics (``tapegrad.keras.metrics``): running statistics kept in variables.

``update_state`` adds a batch, ``result`` reads the statistic, ``reset_state`` starts again.

>>> import tapegrad as tf
>>> m = tf.keras.metrics.Mean()
>>> m.update_state([1.0, 3.0]); m.update_state([5.0])
>>> float(m.result())
3.0
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops import array as array_ops
from ..ops import math as math_ops
from ..ops import reduce as reduce_ops
from ..tensor import Tensor, convert_to_tensor
from . import backend, losses
from .backend import KerasVariable
from .losses import (  # Keras exposes the loss functions as metrics too
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    hinge,
    huber,
    kld,
    kullback_leibler_divergence,
    logcosh,
    mae,
    mape,
    mse,
    msle,
    poisson,
    same_rank,
    squared_hinge,
)

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "MeanSquaredError",
           "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
           "RootMeanSquaredError", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "Hinge", "KLDivergence", "Poisson", "LogCoshError",
           "Precision", "Recall", "AUC", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize", "KLD", "MAE",
           "MAPE", "MSE", "MSLE", "hinge", "huber", "kld", "kullback_leibler_divergence",
           "logcosh", "mae", "mape", "mse", "msle", "poisson", "squared_hinge"]


class Metric:
    """The base class: state in variables made with ``add_variable``, updated by
    ``update_state``, read by ``result``."""

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        self.name = name or backend.snake_case(type(self).__name__)
        self._dtype = dtype or backend.floatx()
        self._variables: list[KerasVariable] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list[KerasVariable]:
        return list(self._variables)

    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> KerasVariable:
        """A non-trainable state variable of the metric."""
        from .initializers import get as get_initializer
        value = get_initializer(initializer)(shape, dtype=dtype or self._dtype)
        variable = KerasVariable(value, trainable=False, name=name or "variable",
                                 path=f"{self.name}/{name}", dtype=dtype or self._dtype)
        self._variables.append(variable)
        return variable

    add_weight = add_variable

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def result(self) -> Tensor:
        raise NotImplementedError

    def reset_state(self) -> None:
        """Set every state variable back to zero."""
        for v in self._variables:
            v.assign(np.zeros(v.shape, dtype=v.dtype.as_numpy_dtype))

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)


def _samplewise(values: Tensor, sample_weight: Any) -> tuple[Tensor, Tensor | None]:
    """Keras's reduce_to_samplewise_values: average values down to the weights' rank, weight
    them, then average each sample's entries."""
    if sample_weight is not None:
        sample_weight = math_ops.cast(convert_to_tensor(sample_weight), values.dtype)
        values, sample_weight = same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_ops.reduce_mean(values, axis=list(range(weight_ndim, values.ndim)))
        sample_weight = array_ops.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_ops.reduce_mean(sample_weight,
                                                   axis=list(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_ops.reduce_mean(values, axis=list(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The running sum of the values given."""

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = math_ops.cast(convert_to_tensor(values), self._dtype)
        values, _ = _samplewise(values, sample_weight)
        self.total.assign_add(reduce_ops.reduce_sum(values))

    def result(self) -> Tensor:
        return self.total.value()


class Mean(Metric):
    """The running (weighted) mean of the values given."""

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = math_ops.cast(convert_to_tensor(values), self._dtype)
        values, sample_weight = _samplewise(values, sample_weight)
        self.total.assign_add(reduce_ops.reduce_sum(values))
        if sample_weight is not None:
            count = reduce_ops.reduce_sum(sample_weight)
        else:
            count = float(values.shape[0]) if values.ndim >= 1 else 1.0
        self.count.assign_add(math_ops.cast(convert_to_tensor(count), self._dtype))

    def result(self) -> Tensor:
        count = self.count.value()
        return math_ops.where(count == 0, array_ops.zeros_like(count),
                              self.total.value() / math_ops.where(count == 0, 1.0, count))


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen."""

    def __init__(self, fn: Callable[..., Tensor], name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs),
                             sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}


# ----- the accuracy functions -----

def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = convert_to_tensor(y_pred)
    y_true = math_ops.cast(convert_to_tensor(y_true), y_pred.dtype)
    return same_rank(y_true, y_pred)


def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where y_true equals y_pred exactly, else 0.0."""
    y_true, y_pred = _pair(y_true, y_pred)
    return math_ops.cast(math_ops.equal(y_true, y_pred), backend.floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """The fraction of entries where (y_pred > threshold) matches the 0/1 label, per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_pred = math_ops.cast(math_ops.greater(y_pred, threshold), y_true.dtype)
    return reduce_ops.reduce_mean(math_ops.cast(math_ops.equal(y_true, y_pred),
                                                backend.floatx()), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the largest prediction is at the one-hot label's class."""
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    return math_ops.cast(math_ops.equal(reduce_ops.argmax(y_true, axis=-1),
                                        reduce_ops.argmax(y_pred, axis=-1)), backend.floatx())


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the largest prediction is at the integer label's class."""
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = array_ops.squeeze(y_true, -1)
    predicted = reduce_ops.argmax(y_pred, axis=-1)
    return math_ops.cast(math_ops.equal(math_ops.cast(y_true, predicted.dtype), predicted),
                         backend.floatx())


def _in_top_k(labels: Tensor, y_pred: Tensor, k: int) -> Tensor:
    values = np.asarray(y_pred.numpy())
    labels_np = np.asarray(labels.numpy()).astype(np.int64).reshape(-1)
    target = values[np.arange(len(labels_np)), labels_np]
    hits = (values > target[:, None]).sum(axis=-1) < k
    return convert_to_tensor(hits.astype(np.float32))


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the one-hot label's class is among the ``k`` largest predictions."""
    return _in_top_k(reduce_ops.argmax(convert_to_tensor(y_true), axis=-1),
                     convert_to_tensor(y_pred), k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the integer label's class is among the ``k`` largest predictions."""
    return _in_top_k(convert_to_tensor(y_true), convert_to_tensor(y_pred), k)


def _wrapper(cls_name: str, fn: Callable[..., Tensor], default_name: str, doc: str,
             **defaults: Any) -> type:
    def __init__(self: MeanMetricWrapper, name: str = default_name, dtype: Any = None,  # noqa: N807
                 **kwargs: Any) -> None:
        options = {**defaults, **kwargs}
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **options)

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc,
                                                 "__module__": __name__})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy", "How often predictions equal labels.")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                          "How often thresholded predictions match 0/1 labels.", threshold=0.5)
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy,
                               "categorical_accuracy",
                               "How often the top prediction matches the one-hot label.")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy",
                                     "How often the top prediction matches the integer label.")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy",
                                   "How often the one-hot label is in the top k.", k=5)
SparseTopKCategoricalAccuracy = _wrapper(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy", "How often the integer label is in the top k.", k=5)
MeanSquaredError = _wrapper("MeanSquaredError", losses.mean_squared_error, "mean_squared_error",
                            "The mean of squared errors.")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", losses.mean_absolute_error,
                             "mean_absolute_error", "The mean of absolute errors.")
MeanAbsolutePercentageError = _wrapper(
    "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "The mean absolute percentage error.")
MeanSquaredLogarithmicError = _wrapper(
    "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "The mean squared logarithmic error.")
BinaryCrossentropy = _wrapper("BinaryCrossentropy", losses.binary_crossentropy,
                              "binary_crossentropy", "The mean binary cross-entropy.",
                              from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", losses.categorical_crossentropy,
                                   "categorical_crossentropy",
                                   "The mean categorical cross-entropy.",
                                   from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy", losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", "The mean sparse categorical cross-entropy.",
    from_logits=False)
Hinge = _wrapper("Hinge", losses.hinge, "hinge", "The mean hinge loss.")
KLDivergence = _wrapper("KLDivergence", losses.kl_divergence, "kl_divergence",
                        "The mean Kullback-Leibler divergence.")
Poisson = _wrapper("Poisson", losses.poisson, "poisson", "The mean Poisson loss.")
LogCoshError = _wrapper("LogCoshError", losses.log_cosh, "logcosh",
                        "The mean of log(cosh(error)).")


class RootMeanSquaredError(Mean):
    """sqrt of the mean squared error over all samples seen."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _pair(y_true, y_pred)
        super().update_state(math_ops.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> Tensor:
        return math_ops.sqrt(super().result())


# ----- confusion-matrix metrics -----

class _Confusion(Metric):
    """Counts of true/false positives/negatives at each threshold (prediction > threshold)."""

    def __init__(self, thresholds: Any, name: str | None, dtype: Any) -> None:
        super().__init__(name=name, dtype=dtype)
        self.thresholds = np.asarray(thresholds, dtype=np.float32).reshape(-1)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((n,), "zeros", name="false_positives")
        self.true_negatives = self.add_variable((n,), "zeros", name="true_negatives")
        self.false_negatives = self.add_variable((n,), "zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        predictions = np.asarray(convert_to_tensor(y_pred).numpy(), dtype=np.float32)
        labels = np.asarray(convert_to_tensor(y_true).numpy(), dtype=np.float32)
        weights = np.ones_like(predictions) if sample_weight is None else \
            np.asarray(sample_weight, dtype=np.float32)
        weights = weights.reshape(weights.shape + (1,) * (predictions.ndim - weights.ndim))
        weights = np.broadcast_to(weights, predictions.shape).reshape(-1)
        labels, predictions = labels.reshape(-1), predictions.reshape(-1)
        above = predictions[None, :] > self.thresholds[:, None]
        positive = labels[None, :] > 0.5
        for variable, mask in ((self.true_positives, above & positive),
                               (self.false_positives, above & ~positive),
                               (self.true_negatives, ~above & ~positive),
                               (self.false_negatives, ~above & positive)):
            variable.assign_add((mask * weights[None, :]).sum(axis=1).astype(np.float32))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.thresholds.tolist()}


def _ratio(a: Tensor, b: Tensor) -> Tensor:
    return math_ops.where(b == 0, array_ops.zeros_like(a), a / math_ops.where(b == 0, 1.0, b))


class Precision(_Confusion):
    """true positives / predicted positives, at ``thresholds`` (0.5 by default)."""

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(0.5 if thresholds is None else thresholds, name, dtype)
        self._scalar = thresholds is None or np.ndim(thresholds) == 0

    def result(self) -> Tensor:
        out = _ratio(self.true_positives.value(),
                     self.true_positives.value() + self.false_positives.value())
        return out[0] if self._scalar else out


class Recall(Precision):
    """true positives / actual positives, at ``thresholds`` (0.5 by default)."""

    def result(self) -> Tensor:
        out = _ratio(self.true_positives.value(),
                     self.true_positives.value() + self.false_negatives.value())
        return out[0] if self._scalar else out


class AUC(_Confusion):
    """The area under the ROC curve, from ``num_thresholds`` evenly spaced thresholds and the
    trapezoidal rule (Keras's ``summation_method="interpolation"``)."""

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        if curve != "ROC" or summation_method != "interpolation" or multi_label:
            raise NotImplementedError("tapegrad's AUC has curve='ROC' with "
                                      "summation_method='interpolation' and one label only.")
        if num_thresholds <= 1:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                             f"num_thresholds={num_thresholds}")
        eps = backend.epsilon()
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name, dtype)
        self.num_thresholds, self.curve = num_thresholds, curve
        self.summation_method, self.from_logits = summation_method, from_logits

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self.from_logits:
            y_pred = math_ops.sigmoid(convert_to_tensor(y_pred))
        super().update_state(y_true, y_pred, sample_weight)

    def result(self) -> Tensor:
        tp, fp = self.true_positives.value(), self.false_positives.value()
        tn, fn = self.true_negatives.value(), self.false_negatives.value()
        recall = _ratio(tp, tp + fn)
        fp_rate = _ratio(fp, fp + tn)
        heights = (recall[:-1] + recall[1:]) / 2.0
        return reduce_ops.reduce_sum((fp_rate[:-1] - fp_rate[1:]) * heights)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self._dtype, "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "from_logits": self.from_logits}


_CLASSES = [Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError,
            Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, KLDivergence, Poisson,
            LogCoshError, Precision, Recall, AUC]
_BY_NAME: dict[str, Any] = {c.__name__: c for c in _CLASSES}
_FUNCTIONS = {f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, losses.mean_squared_error,
    losses.mean_absolute_error, losses.mean_absolute_percentage_error,
    losses.mean_squared_logarithmic_error, losses.binary_crossentropy,
    losses.categorical_crossentropy, losses.sparse_categorical_crossentropy, losses.hinge,
    losses.kl_divergence, losses.poisson)}
_FUNCTIONS.update({"mse": losses.mean_squared_error, "mae": losses.mean_absolute_error,
                   "mape": losses.mean_absolute_percentage_error,
                   "msle": losses.mean_squared_logarithmic_error})
# metric functions under the same names as the losses
mean_squared_error = losses.mean_squared_error
mean_absolute_error = losses.mean_absolute_error
binary_crossentropy = losses.binary_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy


def serialize(metric: Metric) -> dict[str, Any]:
    """Keras's config dict for a metric."""
    from .saving import serialize_keras_object
    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The metric a config dict describes."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects, {**_FUNCTIONS, **_BY_NAME})


def get(identifier: Any) -> Any:
    """A metric from a name (a class or function name, or ``"mse"``...), a config dict, or a
    metric or function (returned as is).

    >>> import tapegrad as tf
    >>> tf.keras.metrics.get("mae") is tf.keras.losses.mean_absolute_error
    True
    """
    from .saving import lookup
    return lookup(identifier, {**_BY_NAME, **_FUNCTIONS}, "metric", deserialize)
