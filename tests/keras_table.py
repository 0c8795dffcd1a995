"""The registry of tapegrad.keras's public layers, losses, metrics, initializers, activations,
regularizers, constraints and callbacks, as data; tests/test_keras_table.py drives generic
checks over it (config round trip, output shapes, gradients against finite differences in
float64, float32 preserved). A new public class gets an entry here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import tapegrad as tf

K = tf.keras


@dataclass
class LayerCase:
    name: str
    make: Callable[..., Any]           # make(dtype=None) -> a layer
    input_shape: Any                   # one shape, or a list of shapes for merging layers
    integer_input: int = 0             # > 0: integer inputs below this bound (Embedding)
    grad: bool = True                  # a gradient check of call (inputs and weights)
    kwargs: dict[str, Any] = field(default_factory=dict)


def _dense(**kw: Any) -> Callable[..., Any]:
    return lambda dtype=None: K.layers.Dense(3, dtype=dtype, **kw)


LAYERS = [
    LayerCase("Dense", _dense(), (2, 4)),
    LayerCase("Dense_tanh_no_bias", _dense(activation="tanh", use_bias=False), (2, 4)),
    LayerCase("Dense_3d", _dense(activation="sigmoid"), (2, 3, 4)),
    LayerCase("Dense_regularized", _dense(kernel_regularizer="l2", bias_regularizer="l1",
                                          bias_initializer="ones"), (2, 4)),
    LayerCase("Activation", lambda dtype=None: K.layers.Activation("softplus", dtype=dtype),
              (2, 3)),
    LayerCase("Dropout", lambda dtype=None: K.layers.Dropout(0.5, seed=3, dtype=dtype), (2, 3)),
    LayerCase("Flatten", lambda dtype=None: K.layers.Flatten(dtype=dtype), (2, 3, 2)),
    LayerCase("Reshape", lambda dtype=None: K.layers.Reshape((3, 2), dtype=dtype), (2, 6)),
    LayerCase("Lambda", lambda dtype=None: K.layers.Lambda(lambda x: x * x, dtype=dtype),
              (2, 3), grad=True),
    LayerCase("Normalization", lambda dtype=None: K.layers.Normalization(
        mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], dtype=dtype), (2, 3)),
    LayerCase("Normalization_invert", lambda dtype=None: K.layers.Normalization(
        mean=0.5, variance=4.0, invert=True, dtype=dtype), (2, 3)),
    LayerCase("BatchNormalization", lambda dtype=None: K.layers.BatchNormalization(
        dtype=dtype, beta_initializer="random_normal", gamma_initializer="random_uniform"),
        (4, 3)),
    LayerCase("LayerNormalization", lambda dtype=None: K.layers.LayerNormalization(
        dtype=dtype, beta_initializer="random_normal", gamma_initializer="random_uniform"),
        (2, 3, 4)),
    LayerCase("Rescaling", lambda dtype=None: K.layers.Rescaling(0.5, 1.0, dtype=dtype), (2, 3)),
    LayerCase("Identity", lambda dtype=None: K.layers.Identity(dtype=dtype), (2, 3)),
    LayerCase("Embedding", lambda dtype=None: K.layers.Embedding(5, 2, dtype=dtype), (2, 3),
              integer_input=5),
    LayerCase("Concatenate", lambda dtype=None: K.layers.Concatenate(dtype=dtype),
              [(2, 3), (2, 2)]),
    LayerCase("Add", lambda dtype=None: K.layers.Add(dtype=dtype), [(2, 3), (2, 3)]),
    LayerCase("Subtract", lambda dtype=None: K.layers.Subtract(dtype=dtype), [(2, 3), (2, 3)]),
    LayerCase("Multiply", lambda dtype=None: K.layers.Multiply(dtype=dtype), [(2, 3), (2, 3)]),
    LayerCase("Average", lambda dtype=None: K.layers.Average(dtype=dtype), [(2, 3), (2, 3)]),
    LayerCase("Maximum", lambda dtype=None: K.layers.Maximum(dtype=dtype), [(2, 3), (2, 3)]),
    LayerCase("Minimum", lambda dtype=None: K.layers.Minimum(dtype=dtype), [(2, 3), (2, 3)]),
]

# Every public layer class appears above (InputLayer is checked by its own tests).
LAYER_CLASSES = {case.name.split("_")[0] for case in LAYERS} | {"InputLayer", "Layer"}


@dataclass
class LossCase:
    name: str
    kwargs: dict[str, Any]
    labels: str  # "regression", "binary", "onehot", "sparse", "signed", "probabilities"
    from_logits: bool = False


LOSSES = [
    LossCase("MeanSquaredError", {}, "regression"),
    LossCase("MeanAbsoluteError", {}, "regression"),
    LossCase("MeanAbsolutePercentageError", {}, "regression"),
    LossCase("MeanSquaredLogarithmicError", {}, "probabilities"),
    LossCase("Huber", {"delta": 0.7}, "regression"),
    LossCase("LogCosh", {}, "regression"),
    LossCase("Hinge", {}, "signed"),
    LossCase("SquaredHinge", {}, "signed"),
    LossCase("KLDivergence", {}, "probabilities"),
    LossCase("Poisson", {}, "probabilities"),
    LossCase("CosineSimilarity", {}, "regression"),
    LossCase("BinaryCrossentropy", {}, "binary"),
    LossCase("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary",
             from_logits=True),
    LossCase("CategoricalCrossentropy", {}, "onehot"),
    LossCase("CategoricalCrossentropy", {"from_logits": True}, "onehot", from_logits=True),
    LossCase("SparseCategoricalCrossentropy", {}, "sparse"),
    LossCase("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse",
             from_logits=True),
]

LOSS_FUNCTIONS = {"MeanSquaredError": "mean_squared_error",
                  "MeanAbsoluteError": "mean_absolute_error",
                  "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
                  "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
                  "Huber": "huber", "LogCosh": "log_cosh", "Hinge": "hinge",
                  "SquaredHinge": "squared_hinge", "KLDivergence": "kl_divergence",
                  "Poisson": "poisson", "CosineSimilarity": "cosine_similarity",
                  "BinaryCrossentropy": "binary_crossentropy",
                  "CategoricalCrossentropy": "categorical_crossentropy",
                  "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy"}


def loss_data(labels: str, rng: np.random.Generator, shape: tuple[int, int] = (4, 3),
              from_logits: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) in float64 of the kind the loss expects."""
    n, c = shape
    if from_logits:
        y_pred = rng.normal(size=shape)
    elif labels in ("binary", "probabilities"):
        y_pred = rng.uniform(0.1, 0.9, size=shape)
    elif labels in ("onehot", "sparse"):
        y_pred = rng.uniform(0.1, 1.0, size=shape)
        y_pred /= y_pred.sum(-1, keepdims=True)
    else:
        y_pred = rng.normal(size=shape)
    if labels == "regression":
        y_true = rng.normal(size=shape) + 2.0
    elif labels == "binary":
        y_true = rng.integers(0, 2, size=shape).astype(np.float64)
    elif labels == "signed":
        y_true = rng.choice([-1.0, 1.0], size=shape)
    elif labels == "probabilities":
        y_true = rng.uniform(0.1, 0.9, size=shape)
    elif labels == "onehot":
        y_true = np.eye(c)[rng.integers(0, c, size=n)]
    else:
        y_true = rng.integers(0, c, size=(n,)).astype(np.float64)
    return y_true, y_pred


@dataclass
class MetricCase:
    name: str
    kwargs: dict[str, Any]
    labels: str  # as for losses
    scalar: bool = True


METRICS = [
    MetricCase("Mean", {}, "values"),
    MetricCase("Sum", {}, "values"),
    MetricCase("MeanSquaredError", {}, "regression"),
    MetricCase("MeanAbsoluteError", {}, "regression"),
    MetricCase("MeanAbsolutePercentageError", {}, "regression"),
    MetricCase("MeanSquaredLogarithmicError", {}, "probabilities"),
    MetricCase("RootMeanSquaredError", {}, "regression"),
    MetricCase("Accuracy", {}, "binary"),
    MetricCase("BinaryAccuracy", {"threshold": 0.4}, "binary"),
    MetricCase("CategoricalAccuracy", {}, "onehot"),
    MetricCase("SparseCategoricalAccuracy", {}, "sparse"),
    MetricCase("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    MetricCase("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    MetricCase("BinaryCrossentropy", {}, "binary"),
    MetricCase("CategoricalCrossentropy", {}, "onehot"),
    MetricCase("SparseCategoricalCrossentropy", {}, "sparse"),
    MetricCase("Hinge", {}, "signed"),
    MetricCase("KLDivergence", {}, "probabilities"),
    MetricCase("Poisson", {}, "probabilities"),
    MetricCase("LogCoshError", {}, "regression"),
    MetricCase("Precision", {}, "binary"),
    MetricCase("Recall", {}, "binary"),
    MetricCase("AUC", {"num_thresholds": 50}, "binary"),
]

INITIALIZERS = [
    ("Zeros", {}), ("Ones", {}), ("Constant", {"value": 0.25}),
    ("RandomNormal", {"mean": 1.0, "stddev": 0.5, "seed": 1}),
    ("RandomUniform", {"minval": -1.0, "maxval": 2.0, "seed": 2}),
    ("TruncatedNormal", {"stddev": 0.3, "seed": 3}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 4}),
    ("GlorotUniform", {"seed": 5}), ("GlorotNormal", {"seed": 6}), ("HeNormal", {"seed": 7}),
    ("HeUniform", {"seed": 8}), ("LecunNormal", {"seed": 9}), ("LecunUniform", {"seed": 10}),
    ("Identity", {"gain": 2.0}), ("Orthogonal", {"gain": 1.5, "seed": 11}),
]

ACTIVATIONS = ["elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "linear",
               "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "softmax",
               "softplus", "softsign", "swish", "tanh"]

REGULARIZERS = [("L1", {"l1": 0.3}), ("L2", {"l2": 0.2}), ("L1L2", {"l1": 0.1, "l2": 0.4})]

CONSTRAINTS = [("NonNeg", {}), ("MaxNorm", {"max_value": 1.5, "axis": 0}),
               ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.0, "rate": 1.0}),
               ("UnitNorm", {"axis": 1})]

CALLBACKS = [
    ("History", lambda tmp: K.callbacks.History()),
    ("EarlyStopping", lambda tmp: K.callbacks.EarlyStopping(monitor="loss", patience=5)),
    ("LambdaCallback", lambda tmp: K.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None)),
    ("ModelCheckpoint", lambda tmp: K.callbacks.ModelCheckpoint(
        str(tmp / "m-{epoch}.weights.h5"), monitor="loss", save_weights_only=True)),
    ("LearningRateScheduler", lambda tmp: K.callbacks.LearningRateScheduler(
        lambda epoch, lr: lr * 0.5)),
    ("ReduceLROnPlateau", lambda tmp: K.callbacks.ReduceLROnPlateau(monitor="loss", patience=1)),
    ("TerminateOnNaN", lambda tmp: K.callbacks.TerminateOnNaN()),
    ("CSVLogger", lambda tmp: K.callbacks.CSVLogger(str(tmp / "log.csv"))),
    ("ProgbarLogger", lambda tmp: K.callbacks.ProgbarLogger()),
]
