"""Keras 3 models (``tapegrad.keras.Model``, ``Sequential``, ``keras.models``) and their
training loop: ``compile``, ``fit``, ``evaluate``, ``predict``.

A model is a layer that also trains. Three ways to make one, as in Keras: ``Sequential``, the
functional API ``Model(inputs, outputs)``, or a subclass of ``Model`` with a ``call``. The
training step (forward pass, loss, gradient, optimizer update) runs through
``tapegrad.function`` unless ``compile(run_eagerly=True)``; metrics are updated eagerly after it.

>>> import numpy as np, tapegrad as tf
>>> tf.keras.utils.set_random_seed(0)
>>> x = np.linspace(-1, 1, 64).reshape(-1, 1).astype("float32"); y = 3 * x + 1
>>> model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(1)])
>>> model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="mse")
>>> history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
>>> round(history.history["loss"][-1], 4)
0.0
"""

from __future__ import annotations

import json
import math
import shutil
from typing import Any, Callable, Sequence

import numpy as np

from .. import nest
from ..function import function as tg_function
from ..ops import math as math_ops
from ..ops import reduce as reduce_ops
from ..tape import GradientTape
from ..tensor import Tensor, Variable, convert_to_tensor
from . import backend
from . import callbacks as callbacks_module
from . import losses as losses_module
from . import metrics as metrics_module
from .layers import InputLayer, KerasTensor, Layer, Node

__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model", "clone_model",
           "model_from_json"]


# ----- data: arrays, tensors, pandas objects, or an iterable of batches -----

def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, Tensor, np.generic)) or (
        hasattr(x, "__array__") and not isinstance(x, KerasTensor))


def _is_array_structure(x: Any) -> bool:
    if x is None or _is_array(x):
        return True
    if isinstance(x, dict):
        return all(_is_array_structure(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return True
    return False


def _to_numpy(x: Any) -> Any:
    """Arrays as NumPy (float64 as float32, as Keras's adapters do); structures kept."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(_is_array(v) and np.ndim(v) > 0 for v in x):
        return [_to_numpy(v) for v in x]
    array = np.asarray(x.numpy() if isinstance(x, Tensor) else x)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    elif array.dtype == object:
        array = array.astype(np.float32)
    return array


def _num_samples(x: Any) -> int:
    return len(nest.flatten(x)[0])


def _take(x: Any, index: Any) -> Any:
    return nest.map_structure(lambda a: a[index], x)


def _as_tensors(x: Any) -> Any:
    return nest.map_structure(lambda a: a if isinstance(a, Tensor) else convert_to_tensor(a), x)


class _Data:
    """Batches for one pass over the data; arrays are sliced, iterables are iterated."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None,
                 batch_size: int | None = None, shuffle: Any = False,
                 steps: int | None = None) -> None:
        self.steps_given = steps
        if _is_array_structure(x) and not _is_batches(x):
            self.arrays = (_to_numpy(x), _to_numpy(y), _to_numpy(sample_weight))
            self.n = _num_samples(self.arrays[0])
            self.batch_size = batch_size or 32
            self.shuffle = shuffle
            self.iterable = None
        else:
            if y is not None:
                raise ValueError(f"When providing `x` as a generator or dataset, `y` should not "
                                 f"be passed. Instead, the targets should be included as part "
                                 f"of the dataset `x`. Received y={type(y)}")
            self.arrays = None
            self.iterable = x
            self.n = None

    @property
    def steps(self) -> int | None:
        if self.steps_given is not None:
            return self.steps_given
        if self.arrays is not None:
            return math.ceil(self.n / self.batch_size) if self.n else 0
        try:
            return len(self.iterable)
        except TypeError:
            cardinality = getattr(self.iterable, "cardinality", None)
            if cardinality is not None:
                value = int(np.asarray(cardinality()))
                return value if value >= 0 else None
            return None

    def __iter__(self) -> Any:
        if self.arrays is not None:
            x, y, sw = self.arrays
            order = np.random.permutation(self.n) if self.shuffle else None
            for step, start in enumerate(range(0, self.n, self.batch_size)):
                if self.steps_given is not None and step >= self.steps_given:
                    return
                index = slice(start, start + self.batch_size) if order is None else \
                    order[start:start + self.batch_size]
                yield (_as_tensors(_take(x, index)),
                       None if y is None else _as_tensors(_take(y, index)),
                       None if sw is None else _as_tensors(_take(sw, index)))
            return
        for step, batch in enumerate(self.iterable):
            if self.steps_given is not None and step >= self.steps_given:
                return
            x, y, sw = _unpack(batch)
            yield (_as_tensors(_to_numpy(x)), None if y is None else _as_tensors(_to_numpy(y)),
                   None if sw is None else _as_tensors(_to_numpy(sw)))


def _is_batches(x: Any) -> bool:
    """An iterable of batches (a tf.data.Dataset, a generator, a list of (x, y) tuples), as
    opposed to arrays or a list of arrays (a model's several inputs)."""
    if _is_array(x) or isinstance(x, dict):
        return False
    if isinstance(x, (list, tuple)):
        return bool(x) and all(isinstance(b, tuple) and len(b) in (2, 3) for b in x)
    return hasattr(x, "__iter__")


def _unpack(batch: Any) -> tuple[Any, Any, Any]:
    from .utils import unpack_x_y_sample_weight
    return unpack_x_y_sample_weight(batch)


def _split(data: tuple[Any, Any, Any], validation_split: float) -> tuple[Any, Any]:
    x, y, sw = data
    n = _num_samples(_to_numpy(x))
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {split_at} samples, which is not sufficient "
                         f"to split it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, or "
                         f"a different value for the `validation_split` argument.")
    first, second = slice(0, split_at), slice(split_at, n)
    def pick(a: Any, s: slice) -> Any:
        return None if a is None else _take(_to_numpy(a), s)
    return (pick(x, first), pick(y, first), pick(sw, first)), \
        (pick(x, second), pick(y, second), pick(sw, second))


# ----- compiled losses and metrics -----

def _resolve_loss(loss: Any) -> Callable[..., Tensor] | None:
    if loss is None:
        return None
    obj = losses_module.get(loss)
    if isinstance(obj, losses_module.Loss):
        return obj
    return losses_module.LossFunctionWrapper(obj, name=getattr(obj, "__name__", "loss"))


def _accuracy_for(loss: Any, y_true: Tensor, y_pred: Tensor, name: str) -> metrics_module.Metric:
    """What Keras makes of ``metrics=["accuracy"]``: binary, categorical or sparse, from the
    loss and the shapes."""
    fn = getattr(loss, "fn", loss)
    if fn is losses_module.binary_crossentropy or (y_pred.ndim and y_pred.shape[-1] == 1):
        return metrics_module.BinaryAccuracy(name=name)
    if fn is losses_module.categorical_crossentropy:
        return metrics_module.CategoricalAccuracy(name=name)
    if fn is losses_module.sparse_categorical_crossentropy:
        return metrics_module.SparseCategoricalAccuracy(name=name)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == y_pred.shape[-1]:
        return metrics_module.CategoricalAccuracy(name=name)
    return metrics_module.SparseCategoricalAccuracy(name=name)


def _make_metric(identifier: Any, loss: Any, y_true: Tensor, y_pred: Tensor
                 ) -> metrics_module.Metric:
    if isinstance(identifier, metrics_module.Metric):
        return identifier
    if identifier in ("accuracy", "acc"):
        return _accuracy_for(loss, y_true, y_pred, identifier)
    obj = metrics_module.get(identifier)
    if isinstance(obj, metrics_module.Metric):
        return obj
    name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", "metric")
    return metrics_module.MeanMetricWrapper(obj, name=name)


# ----- Model -----

class Model(Layer):
    """A layer with a training loop. ``Model(inputs, outputs)`` builds a functional model;
    a subclass defines ``call`` (and its layers in ``__init__``).

    >>> import tapegrad as tf
    >>> class Net(tf.keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = tf.keras.layers.Dense(4, activation="relu")
    ...         self.out = tf.keras.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> net = Net()
    >>> net(tf.ones((2, 3))).shape, len(net.trainable_variables)
    (TensorShape([2, 1]), 4)
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (args or "inputs" in kwargs):
            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        known = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype") if k in kwargs}
        if args or kwargs:
            raise TypeError(f"Model.__init__() got unexpected arguments: {args} {kwargs}; a "
                            f"functional model needs `inputs` and `outputs`.")
        super().__init__(**known)
        self.__dict__.update(optimizer=None, compiled=False, stop_training=False, history=None,
                             loss=None, _compile_loss=None, _metric_ids=[], _metric_objects=None,
                             _loss_tracker=None, _run_eagerly=False, _compile_config=None,
                             _functions={}, _steps_run=0)

    # -- structure --

    @property
    def layers(self) -> list[Layer]:
        """The model's layers (for a subclassed model: those set as attributes)."""
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by ``name`` or position ``index``."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    def build(self, input_shape: Any = None) -> None:
        """Build by calling the model once on zeros of ``input_shape`` (unknown sizes as 1)."""
        if self.built or input_shape is None:
            self.built = True
            return
        shape = tuple(1 if d is None else d for d in input_shape)
        self._build_shapes = tuple(input_shape)
        self.built = True
        self(np.zeros(shape, dtype=np.float32))

    def _maybe_build(self, shapes: Any) -> None:
        if type(self).build is not Model.build:  # the user's own build
            super()._maybe_build(shapes)
        elif not self.built:
            self._build_shapes = shapes
            self.built = True

    def get_build_config(self) -> dict[str, Any] | None:
        shapes = self._build_shapes
        return None if shapes is None else {"input_shape": list(shapes)}

    # -- compile --

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Set the optimizer (an instance or a name), the loss (an instance, a function or a
        name) and the metrics (names or instances) that ``fit`` and ``evaluate`` use.
        ``jit_compile`` and ``steps_per_execution`` are accepted and ignored."""
        from .. import optimizers
        self.optimizer = optimizers.get(optimizer)
        if isinstance(metrics, dict) or isinstance(loss, (dict, list)):
            raise ValueError("tapegrad's Keras models have one output: `loss` is one loss and "
                             "`metrics` a list.")
        self.loss = loss
        self._compile_loss = _resolve_loss(loss)
        self._loss_weight = 1.0 if loss_weights is None else float(loss_weights)
        self._metric_ids = list(metrics or []) + list(weighted_metrics or [])
        self._metric_objects = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._run_eagerly = run_eagerly
        self._functions = {}
        self._steps_run = 0
        self.compiled = True
        from .saving import serialize_keras_object
        try:
            self._compile_config = {
                "optimizer": serialize_keras_object(self.optimizer),
                "loss": serialize_keras_object(loss),
                "metrics": [m if isinstance(m, str) else serialize_keras_object(m)
                            for m in self._metric_ids],
                "run_eagerly": run_eagerly}
        except TypeError:
            self._compile_config = None

    @property
    def run_eagerly(self) -> bool:
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = bool(value)

    @property
    def metrics(self) -> list[metrics_module.Metric]:
        """The loss tracker and the compiled metrics (once built by a batch)."""
        out = [] if self._loss_tracker is None else [self._loss_tracker]
        return out + list(self._metric_objects or [])

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _assert_compiled(self) -> None:
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")

    # -- the steps --

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The compiled loss of (y, y_pred) plus the model's ``losses`` (regularization)."""
        total = []
        if self._compile_loss is not None:
            loss = self._compile_loss(y, y_pred, sample_weight)
            total.append(loss if self._loss_weight == 1.0 else loss * self._loss_weight)
        for extra in self.losses:
            extra = convert_to_tensor(extra)
            total.append(math_ops.cast(reduce_ops.reduce_sum(extra), "float32"))
        if not total:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        out = total[0]
        for t in total[1:]:
            out = out + t
        return out

    def _train_core(self, x: Any, y: Any, sample_weight: Any) -> tuple[Tensor, Any]:
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        variables = self.trainable_variables
        grads = tape.gradient(loss, variables)
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if pairs:
            self.optimizer.apply_gradients(pairs)
        for v in variables:
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v.assign(constraint(v))
        return loss, y_pred

    def _test_core(self, x: Any, y: Any, sample_weight: Any) -> tuple[Tensor, Any]:
        y_pred = self(x, training=False)
        return self.compute_loss(x, y, y_pred, sample_weight, training=False), y_pred

    def _predict_core(self, x: Any) -> Any:
        return self(x, training=False)

    def _run(self, name: str, core: Callable[..., Any], *args: Any) -> Any:
        """Run a step: eagerly the first time (it builds variables), then traced."""
        if self._run_eagerly or name not in self._functions:
            if not self._run_eagerly:
                self._functions[name] = tg_function(core)
            return core(*args)
        return self._functions[name](*args)

    def _update_metrics(self, y: Any, y_pred: Any, sample_weight: Any) -> None:
        if self._metric_objects is None:
            self._metric_objects = [_make_metric(m, self._compile_loss, y, y_pred)
                                    for m in self._metric_ids]
        for m in self._metric_objects:
            m.update_state(y, y_pred, sample_weight=sample_weight)

    def get_metrics_result(self) -> dict[str, float]:
        """Each metric's current result as a Python float, by name, in sorted order (as Keras
        on TensorFlow returns its logs)."""
        return {m.name: float(np.asarray(m.result()))
                for m in sorted(self.metrics, key=lambda m: m.name)}

    def train_step(self, data: Any) -> dict[str, Any]:
        """One training step on a batch ``(x, y[, sample_weight])``: override for custom
        training; return the logs (``get_metrics_result()``)."""
        x, y, sample_weight = _unpack(data)
        loss, y_pred = self._train_core(x, y, sample_weight)
        self._track(loss, x, y, y_pred, sample_weight)
        return self.get_metrics_result()

    def test_step(self, data: Any) -> dict[str, Any]:
        """One evaluation step on a batch; override for custom evaluation."""
        x, y, sample_weight = _unpack(data)
        loss, y_pred = self._test_core(x, y, sample_weight)
        self._track(loss, x, y, y_pred, sample_weight)
        return self.get_metrics_result()

    def predict_step(self, data: Any) -> Any:
        """The predictions for one batch of inputs."""
        x, _, _ = _unpack(data)
        return self(x, training=False)

    def _track(self, loss: Tensor, x: Any, y: Any, y_pred: Any, sample_weight: Any) -> None:
        self._loss_tracker.update_state(loss, sample_weight=_num_samples(x))
        if y is not None:
            self._update_metrics(y, y_pred, sample_weight)

    def _step(self, kind: str, batch: tuple[Any, Any, Any]) -> dict[str, float]:
        """A train or test step: the default step's core traced, metrics updated eagerly; a
        user's ``train_step``/``test_step`` traced as a whole."""
        x, y, sw = batch
        data = (x,) if y is None else ((x, y) if sw is None else (x, y, sw))
        custom = getattr(type(self), f"{kind}_step") is not getattr(Model, f"{kind}_step")
        if custom:
            logs = self._run(kind, getattr(self, f"{kind}_step"), data)
            return {k: float(np.asarray(v)) for k, v in logs.items()}
        core = self._train_core if kind == "train" else self._test_core
        loss, y_pred = self._run(kind, core, x, y, sw)
        self._track(loss, x, y, y_pred, sw)
        return self.get_metrics_result()

    # -- fit, evaluate, predict --

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: Any = True,
            class_weight: Any = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None,
            validation_freq: int = 1) -> callbacks_module.History:
        """Train for ``epochs`` passes over the data; returns the ``History``.

        ``x`` and ``y`` are arrays, tensors or pandas objects (sliced into batches of
        ``batch_size``), or ``x`` is an iterable of ``(x, y)`` batches (a tf.data.Dataset, a
        generator, a list). Prints Keras's progress output with ``verbose`` 1 or 2.
        """
        self._assert_compiled()
        if class_weight is not None:
            raise ValueError("tapegrad's fit does not support `class_weight`; use "
                             "`sample_weight`.")
        if validation_split and validation_data is None:
            if not _is_array_structure(x) or _is_batches(x):
                raise ValueError(f"`validation_split` is only supported for Tensors or NumPy "
                                 f"arrays, found following types in the input: {[type(x)]}")
            (x, y, sample_weight), validation_data = _split((x, y, sample_weight),
                                                            validation_split)
        data = _Data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        validation = None
        if validation_data is not None:
            if _is_batches(validation_data):
                validation = (validation_data, None, None)
            else:
                validation = _unpack(validation_data)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self)
        callback_list.set_params({"verbose": verbose, "epochs": epochs, "steps": data.steps})
        self.stop_training = False
        callback_list.on_train_begin()
        logs: dict[str, float] = {}
        training_logs: dict[str, float] | None = None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            for step, batch in enumerate(data):
                callback_list.on_train_batch_begin(step)
                logs = self._step("train", batch)
                self._steps_run += 1
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(self.get_metrics_result() if self.metrics else logs)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_x, val_y, val_sw = validation
                val_logs = self.evaluate(val_x, val_y, sample_weight=val_sw,
                                         batch_size=validation_batch_size or batch_size,
                                         steps=validation_steps,
                                         callbacks=callback_list, return_dict=True,
                                         verbose=0, _in_fit=True)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        callback_list.on_train_end(logs=training_logs)
        return self.history

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any) -> Any:
        """The loss and metrics on the data: a float (loss only), a list, or a dict with
        ``return_dict=True``."""
        self._assert_compiled()
        in_fit = kwargs.pop("_in_fit", False)
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        data = _Data(x, y, sample_weight, batch_size, False, steps)
        verbose = 1 if verbose == "auto" else verbose
        if isinstance(callbacks, callbacks_module.CallbackList):
            callback_list = callbacks
        else:
            callback_list = callbacks_module.CallbackList(
                callbacks, add_progbar=verbose != 0, model=self)
            callback_list.set_params({"verbose": verbose, "epochs": 1, "steps": data.steps})
        self.reset_metrics()
        callback_list.on_test_begin()
        logs: dict[str, float] = {}
        for step, batch in enumerate(data):
            callback_list.on_test_batch_begin(step)
            logs = self._step("test", batch)
            callback_list.on_test_batch_end(step, logs)
        logs = self.get_metrics_result() if self.metrics else logs
        callback_list.on_test_end(logs)
        del in_fit
        return logs if return_dict else _flat(self, logs)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Any = None) -> Any:
        """The model's outputs on ``x``, batch by batch, as NumPy arrays."""
        data = _Data(x, None, None, batch_size, False, steps)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0,
                                                      model=self)
        callback_list.set_params({"verbose": verbose, "epochs": 1, "steps": data.steps})
        callback_list.on_predict_begin()
        outputs = []
        custom = type(self).predict_step is not Model.predict_step
        for step, (bx, _, _) in enumerate(data):
            callback_list.on_predict_batch_begin(step)
            out = self._run("predict", self.predict_step, (bx,)) if custom else \
                self._run("predict", self._predict_core, bx)
            outputs.append(nest.map_structure(lambda t: np.asarray(t), out))
            callback_list.on_predict_batch_end(step, {"outputs": out})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). "
                             "Please use `Model.compile(..., run_eagerly=True)`, or "
                             "`tf.config.run_functions_eagerly(True)` for more information of "
                             "where went wrong, or file a issue/bug to `tf.keras`.")
        return nest.map_structure(lambda *parts: np.concatenate(parts), *outputs) \
            if len(outputs) > 1 else outputs[0]

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False) -> Any:
        """One training step on one batch; the metrics keep accumulating across calls."""
        self._assert_compiled()
        logs = self._step("train", (_as_tensors(_to_numpy(x)),
                                    None if y is None else _as_tensors(_to_numpy(y)),
                                    None if sample_weight is None else
                                    _as_tensors(_to_numpy(sample_weight))))
        return logs if return_dict else _flat(self, logs)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """The loss and metrics on one batch."""
        self._assert_compiled()
        self.reset_metrics()
        logs = self._step("test", (_as_tensors(_to_numpy(x)),
                                   None if y is None else _as_tensors(_to_numpy(y)),
                                   None if sample_weight is None else
                                   _as_tensors(_to_numpy(sample_weight))))
        return logs if return_dict else _flat(self, logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs on one batch, as NumPy."""
        out = self._run("predict", self._predict_core, _as_tensors(_to_numpy(x)))
        return nest.map_structure(lambda t: np.asarray(t), out)

    # -- saving --

    def save(self, filepath: Any, overwrite: bool = True, zipped: Any = None,
             **kwargs: Any) -> None:
        """Save config, weights and optimizer state to ``*.keras`` (tapegrad's format)."""
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the weights to ``*.weights.h5`` (tapegrad's format under Keras's name)."""
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights that ``save_weights`` or ``save`` wrote."""
        from .saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs: Any) -> str:
        """The model's config as JSON."""
        from .saving import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)

    # -- summary --

    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Callable[..., Any] | None = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print Keras's table of layers, output shapes and parameter counts."""
        _print_summary(self, line_length, print_fn)


def _flat(model: Model, logs: dict[str, float]) -> Any:
    """The logs as a list in the order of ``model.metrics`` (the loss first), as Keras's
    ``evaluate`` and ``*_on_batch`` return them; one value alone."""
    names = [m.name for m in model.metrics]
    values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs)
                                                      if k not in names]
    return values[0] if len(values) == 1 else values


# ----- the functional API -----

class Functional(Model):
    """A model defined by a graph of layer calls from ``keras.Input`` tensors to outputs.

    >>> import tapegrad as tf
    >>> tf.keras.backend.clear_session()
    >>> inputs = tf.keras.Input((3,))
    >>> outputs = tf.keras.layers.Dense(2)(tf.keras.layers.Dense(4, activation="relu")(inputs))
    >>> model = tf.keras.Model(inputs, outputs)
    >>> [layer.name for layer in model.layers][0], model(tf.ones((5, 3))).shape
    ('input_layer', TensorShape([5, 2]))
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool = True, **kwargs: Any) -> None:
        Model.__init__(self, name=name or backend.unique_name("Functional"), trainable=trainable,
                       **kwargs)
        for t in nest.flatten(inputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(f"All `inputs` values must be KerasTensors. Received: "
                                 f"inputs={inputs} including invalid value {t} of type "
                                 f"{type(t)}")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._nodes = _topological_nodes(nest.flatten(inputs), nest.flatten(outputs))
        layers: list[Layer] = [t._keras_history[0] for t in nest.flatten(inputs)]
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self.__dict__["_layers"] = layers
        self._build_shapes = nest.map_structure(lambda t: t.shape, inputs)
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        return nest.flatten(self._inputs_struct)

    @property
    def outputs(self) -> list[KerasTensor]:
        return nest.flatten(self._outputs_struct)

    @property
    def input(self) -> Any:
        return self._inputs_struct

    @property
    def output(self) -> Any:
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        return nest.map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self) -> Any:
        return nest.map_structure(lambda t: t.shape, self._outputs_struct)

    def call(self, inputs: Any, training: Any = None) -> Any:
        values: dict[int, Any] = {}
        flat_inputs = nest.flatten(self._inputs_struct)
        if isinstance(self._inputs_struct, dict) and isinstance(inputs, dict):
            given = [inputs[k] for k in sorted(self._inputs_struct)]
        else:
            given = nest.flatten(inputs) if len(flat_inputs) > 1 else [inputs]
        if len(given) != len(flat_inputs):
            raise ValueError(f"Functional model '{self.name}' expects {len(flat_inputs)} "
                             f"input(s), but it received {len(given)} input tensors.")
        for placeholder, value in zip(flat_inputs, given):
            values[id(placeholder)] = value
        for node in self._nodes:
            args, kwargs = nest.map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t,
                (node.args, node.kwargs))
            if training is not None and node.layer._call_has_training:
                kwargs = {**kwargs, "training": training}
            outputs = node.layer(*args, **kwargs)
            for symbolic, value in zip(node.output_tensors, nest.flatten(outputs)):
                values[id(symbolic)] = value
        return nest.map_structure(lambda t: values[id(t)], self._outputs_struct)

    def get_config(self) -> dict[str, Any]:
        from .saving import serialize_keras_object
        positions: dict[int, tuple[str, int]] = {}
        counts: dict[str, int] = {}
        for layer in self._layers:
            if isinstance(layer, InputLayer):
                positions[id(layer._inbound_nodes[0])] = (layer.name, 0)
                counts[layer.name] = 1
        for node in self._nodes:
            k = counts.get(node.layer.name, 0)
            positions[id(node)] = (node.layer.name, k)
            counts[node.layer.name] = k + 1

        def ref(t: Any) -> Any:
            if not isinstance(t, KerasTensor):
                return t
            layer, index, tensor_index = t._keras_history
            name, pos = positions[id(layer._inbound_nodes[index])]
            return {"class_name": "__keras_tensor__", "config": {
                "keras_history": [name, pos, tensor_index]}}

        return {"name": self.name, "trainable": self.trainable,
                "layers": [serialize_keras_object(layer) for layer in self._layers],
                "nodes": [{"layer": node.layer.name,
                           "args": nest.map_structure(ref, list(node.args)),
                           "kwargs": nest.map_structure(ref, node.kwargs)}
                          for node in self._nodes],
                "input_layers": nest.map_structure(ref, self._inputs_struct),
                "output_layers": nest.map_structure(ref, self._outputs_struct)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        from .saving import deserialize_keras_object
        layers = {}
        for layer_config in config["layers"]:
            layer = deserialize_keras_object(layer_config, custom_objects)
            layers[layer.name] = layer
        made: dict[tuple[str, int], list[Any]] = {}
        for layer in layers.values():
            if isinstance(layer, InputLayer):
                made[(layer.name, 0)] = [layer.output]

        def tensor(value: Any) -> Any:
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                name, pos, index = value["config"]["keras_history"]
                return made[(name, pos)][index]
            if isinstance(value, dict):
                return {k: tensor(v) for k, v in value.items()}
            if isinstance(value, list):
                return [tensor(v) for v in value]
            return value

        counts: dict[str, int] = {}
        for node in config["nodes"]:
            layer = layers[node["layer"]]
            k = counts.get(layer.name, 0)
            counts[layer.name] = k + 1
            outputs = layer(*tensor(node["args"]), **tensor(node["kwargs"]))
            made[(layer.name, k)] = nest.flatten(outputs)
        return cls(tensor(config["input_layers"]), tensor(config["output_layers"]),
                   name=config.get("name"), trainable=config.get("trainable", True))


def _topological_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The nodes between inputs and outputs, each after the nodes it reads from."""
    input_ids = {id(t) for t in inputs}
    order: list[Node] = []
    seen: set[int] = set()

    def visit(t: KerasTensor) -> None:
        if t._keras_history is None:
            raise ValueError(f"Output tensors of a Functional model must be the output of a "
                             f"Keras layer. Received: {t}")
        if id(t) in input_ids:
            return
        layer, index, _ = t._keras_history
        node = layer._inbound_nodes[index]
        if isinstance(layer, InputLayer):
            raise ValueError(f"Graph disconnected: cannot find the value of tensor {t} at "
                             f"layer '{layer.name}'. It is not one of the model's inputs.")
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        order.append(node)

    for t in outputs:
        visit(t)
    return order


# ----- Sequential -----

class Sequential(Model):
    """A stack of layers, each called on the previous one's output.

    >>> import tapegrad as tf
    >>> tf.keras.backend.clear_session()
    >>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    >>> model.add(tf.keras.layers.Dense(1))
    >>> [layer.name for layer in model.layers], model.output_shape
    (['dense', 'dense_1'], (None, 1))
    """

    def __init__(self, layers: Sequence[Any] | None = None, trainable: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self.__dict__["_layers"] = []
        self.__dict__["_input_layer"] = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def _sublayers(self) -> list[Layer]:
        return list(self._layers)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or a ``keras.Input`` tensor, as the first item)."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                shape = None if self._input_layer is None else self._input_layer.batch_shape
                raise ValueError(f"Sequential model '{self.name}' has already been configured "
                                 f"to use input shape {shape}. You cannot add a different "
                                 f"Input layer to it.")
            self.__dict__["_input_layer"] = layer
            return
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer)})")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             f"this model. Update the `name` argument to pass a unique name.")
        if not self._layers and self._input_layer is None and \
                layer._batch_input_shape is not None:
            self.__dict__["_input_layer"] = InputLayer(batch_shape=layer._batch_input_shape)
        self._layers.append(layer)
        if rebuild:
            self._rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        layer = self._layers.pop()
        self.built = False
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self) -> None:
        """With a known input shape, build every layer by a symbolic pass."""
        if self._input_layer is None:
            return
        x = self._input_layer.output
        for layer in self._layers:
            x = layer(x)
        self._build_shapes = self._input_layer.batch_shape
        self.__dict__["_output_tensor"] = x
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
            input_shape = self._input_layer.batch_shape
        if self._input_layer is None:
            self.__dict__["_input_layer"] = InputLayer(batch_shape=tuple(input_shape))
        self._rebuild()

    def _maybe_build(self, shapes: Any) -> None:
        if not self.built and self._input_layer is None and isinstance(shapes, tuple):
            self.build((None,) + tuple(shapes[1:]))
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training) if layer._call_has_training else layer(x)
        return x

    @property
    def input_shape(self) -> Any:
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape "
                                 f"yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self) -> Any:
        if "_output_tensor" not in self.__dict__:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape "
                                 f"yet.")
        return self._output_tensor.shape

    @property
    def inputs(self) -> list[KerasTensor]:
        return [] if self._input_layer is None else [self._input_layer.output]

    @property
    def outputs(self) -> list[KerasTensor]:
        return [self._output_tensor] if "_output_tensor" in self.__dict__ else []

    def get_config(self) -> dict[str, Any]:
        from .saving import serialize_keras_object
        layers = [serialize_keras_object(layer) for layer in self._layers]
        if self._input_layer is not None:
            layers.insert(0, serialize_keras_object(self._input_layer))
        config = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._build_shapes is not None:
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        from .saving import deserialize_keras_object
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_keras_object(layer_config, custom_objects), rebuild=False)
        if config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        else:
            model._rebuild()
        return model


# ----- summary -----

def _wrap(text: str, width: int) -> list[str]:
    """Word-wrap as rich does in a table cell; a word too long ends with '…'."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if current and len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            if current:
                lines.append(current)
            current = word
    lines.append(current)
    return lines


def _memory(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _shape_text(layer: Layer) -> str:
    def fmt(shape: Any) -> str:
        return "(" + ", ".join(str(d) for d in shape) + ")"
    if layer._inbound_nodes:
        outputs = layer._inbound_nodes[-1].outputs
        flat = nest.flatten(outputs)
        return fmt(flat[0].shape) if len(flat) == 1 else \
            str(nest.map_structure(lambda t: fmt(t.shape), outputs)).replace("'", "")
    if layer.built and layer._build_shapes is not None:
        try:
            shape = layer.compute_output_shape(layer._build_shapes)
            return fmt(shape)
        except Exception:  # noqa: BLE001  (a layer that cannot say shows "?", as in Keras)
            return "?"
    return "?"


def _size(weights: list[Variable]) -> int:
    return int(sum(math.prod(v.shape) * v.dtype.size for v in weights))


def _print_summary(model: Model, line_length: int | None,
                   print_fn: Callable[..., Any] | None) -> None:
    sequential_like = not isinstance(model, Functional) or (
        all(len(node.input_tensors) <= 1 for node in model._nodes)
        and len(model.inputs) == 1)
    layers = model.layers
    width = line_length or min(88 if sequential_like else 108,
                               shutil.get_terminal_size().columns - 4)
    if sequential_like:
        headers, align = ["Layer (type)", "Output Shape", "Param #"], "<<>"
        cells = [33, 24, 15] if width == 76 else _cells(width, [0.45, 0.80, 1.0])
    else:
        headers, align = ["Layer (type)", "Output Shape", "Param #", "Connected to"], "<<><"
        cells = [21, 19, 12, 19] if width == 76 else _cells(width, [0.3, 0.56, 0.74, 1.0])
    rows = []
    for layer in layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _shape_text(layer), params]
        if not sequential_like:
            row.append(_connections(model, layer))
        rows.append(row)
    out = [f'Model: "{model.name}"']
    out.append("┏" + "┳".join("━" * w for w in cells) + "┓")
    out.extend(_table_row(headers, cells, align, "┃"))
    out.append("┡" + "╇".join("━" * w for w in cells) + "┩")
    for i, row in enumerate(rows):
        out.extend(_table_row(row, cells, align, "│"))
        out.append(("├" + "┼".join("─" * w for w in cells) + "┤") if i < len(rows) - 1 else
                   ("└" + "┴".join("─" * w for w in cells) + "┘"))
    if not rows:
        out.append("└" + "┴".join("─" * w for w in cells) + "┘")
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    opt_weights = model.optimizer.variables if model.compiled and model.optimizer is not None \
        and model.optimizer.built else []
    def count(ws: list[Variable]) -> int:
        return int(sum(math.prod(v.shape) for v in ws))
    total = count(trainable) + count(non_trainable) + count(opt_weights)
    total_size = _size(trainable) + _size(non_trainable) + _size(opt_weights)
    out.append(f" Total params: {total:,} ({_memory(total_size)})")
    out.append(f" Trainable params: {count(trainable):,} ({_memory(_size(trainable))})")
    out.append(f" Non-trainable params: {count(non_trainable):,} "
               f"({_memory(_size(non_trainable))})")
    if opt_weights:
        out.append(f" Optimizer params: {count(opt_weights):,} ({_memory(_size(opt_weights))})")
    if print_fn is not None:
        for line in out:
            print_fn(line)
    else:
        print("\n".join(out))


def _cells(width: int, positions: list[float]) -> list[int]:
    bounds = [int(p * width) for p in positions]
    widths = [b - a for a, b in zip([0] + bounds[:-1], bounds)]
    excess = sum(widths) + len(widths) + 1 - width
    for i in range(excess):
        widths[i % len(widths)] -= 1
    return widths


def _table_row(cells: list[str], widths: list[int], align: str, bar: str) -> list[str]:
    wrapped = [_wrap(text, w - 2) for text, w in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    lines = []
    for i in range(height):
        parts = []
        for lines_of, w, a in zip(wrapped, widths, align):
            text = lines_of[i] if i < len(lines_of) else ""
            parts.append(" " + (text.ljust(w - 2) if a == "<" else text.rjust(w - 2)) + " ")
        lines.append(bar + bar.join(parts) + bar)
    return lines


def _connections(model: Functional, layer: Layer) -> str:
    parts = []
    model_nodes = {id(n) for n in model._nodes}
    for node in layer._inbound_nodes:
        if id(node) not in model_nodes:
            continue
        for t in node.input_tensors:
            source, index, tensor_index = t._keras_history
            parts.append(f"{source.name}[{index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


# ----- keras.models functions -----

def save_model(model: Model, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """``model.save(filepath)``."""
    from .saving import save_model as save
    save(model, filepath, overwrite=overwrite)


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Model:
    """The model that ``model.save`` wrote to a ``.keras`` file (tapegrad's format)."""
    from .saving import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def clone_model(model: Model, input_tensors: Any = None, clone_function: Any = None,
                **kwargs: Any) -> Model:
    """A new model with the same structure and freshly initialized weights."""
    from .saving import deserialize_keras_object, serialize_keras_object
    return deserialize_keras_object(serialize_keras_object(model))


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Model:
    """The model (new weights) that ``model.to_json()`` described."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects)


_BY_NAME: dict[str, type] = {"Model": Model, "Functional": Functional, "Sequential": Sequential}
