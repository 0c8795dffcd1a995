"""``tapegrad.keras`` (also ``tf.keras``): Keras 3's layers, models, losses, metrics, callbacks,
optimizers, and saving in tapegrad's own file format.

>>> import numpy as np, tapegrad as tf
>>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
>>> model.compile(optimizer="adam", loss="mse")
>>> model.predict(np.ones((3, 2)), verbose=0).shape
(3, 1)
>>> tf.keras.optimizers.Adam is tf.optimizers.Adam
True
"""

from __future__ import annotations

from . import (
    activations,
    backend,
    callbacks,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from .backend import KerasVariable as Variable
from .initializers import Initializer
from .layers import Input, InputSpec, KerasTensor, Layer
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential
from .optimizers import Optimizer
from .regularizers import Regularizer

__all__ = ["activations", "backend", "callbacks", "constraints", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "regularizers", "saving", "utils",
           "Initializer", "Input", "InputSpec", "KerasTensor", "Layer", "Loss", "Metric", "Model",
           "Sequential", "Optimizer", "Regularizer", "Variable"]
