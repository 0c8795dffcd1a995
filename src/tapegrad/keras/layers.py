"""Keras 3 layers (``tapegrad.keras.layers``): the ``Layer`` base class and the core layers.

A layer makes its weights in ``build(input_shape)`` on its first call, keeps them as attributes
(Keras variables, which are tapegrad Variables), and computes in ``call``. Called on a symbolic
``keras.Input``, a layer records a node of a functional graph instead of computing.

>>> import tapegrad as tf
>>> tf.keras.backend.clear_session()  # automatic names count from zero again
>>> layer = tf.keras.layers.Dense(2, kernel_initializer="ones")
>>> layer(tf.constant([[1.0, 2.0, 3.0]])).numpy().tolist()
[[6.0, 6.0]]
>>> [w.path for w in layer.weights]
['dense/kernel', 'dense/bias']
"""

from __future__ import annotations

import inspect
import math
import threading
from typing import Any, Callable, Sequence

import numpy as np

from .. import nest
from ..dtypes import as_dtype
from ..ops import array as array_ops
from ..ops import linalg as linalg_ops
from ..ops import math as math_ops
from ..ops import reduce as reduce_ops
from ..ops.nn import dropout as _dropout
from ..tensor import Tensor, Variable, convert_to_tensor
from . import activations, backend, constraints, initializers, regularizers
from .backend import KerasVariable

__all__ = ["Layer", "InputLayer", "Input", "KerasTensor", "InputSpec", "Dense", "Activation",
           "Dropout", "Flatten", "Reshape", "Lambda", "Normalization", "Concatenate", "Add",
           "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Embedding", "Identity",
           "Rescaling", "BatchNormalization", "LayerNormalization", "serialize", "deserialize",
           "get"]


# ----- symbolic tensors: what keras.Input returns and layers pass along -----

def _symbolic(fn: Callable[..., Any], reflected: bool = False) -> Callable[..., Any]:
    """A KerasTensor operator: ``fn`` applied as a node of its own (``other op self`` when
    ``reflected``)."""
    def operator(self: Any, other: Any) -> Any:
        return _Op(fn)(other, self) if reflected else _Op(fn)(self, other)
    return operator


class KerasTensor:
    """A placeholder with a shape (None for unknown sizes) and a dtype, from ``keras.Input`` or
    a layer called on one; a functional ``Model`` is the graph these record.

    >>> import tapegrad as tf
    >>> x = tf.keras.Input((3,), name="x")
    >>> x
    <KerasTensor shape=(None, 3), dtype=float32, sparse=False, ragged=False, name=x>
    >>> tf.keras.layers.Dense(5)(x).shape
    (None, 5)
    """

    def __init__(self, shape: Sequence[int | None], dtype: str = "float32",
                 name: str | None = None) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = as_dtype(dtype).name
        self.name = name
        self.sparse = False
        self.ragged = False
        self._keras_history: tuple[Layer, int, int] | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged={self.ragged}, name={self.name}>")

    def _placeholder(self) -> Tensor:
        """A zero tensor standing for this one (unknown sizes as 1), to find output shapes."""
        shape = tuple(1 if d is None else d for d in self.shape)
        return convert_to_tensor(np.zeros(shape, dtype=as_dtype(self.dtype).as_numpy_dtype))

    def __bool__(self) -> bool:
        raise TypeError("A symbolic KerasTensor cannot be used as a Python `bool`.")

    # arithmetic on symbolic tensors makes a node of its own
    __add__, __radd__ = _symbolic(math_ops.add), _symbolic(math_ops.add, reflected=True)
    __sub__ = _symbolic(math_ops.subtract)
    __rsub__ = _symbolic(math_ops.subtract, reflected=True)
    __mul__ = _symbolic(math_ops.multiply)
    __rmul__ = _symbolic(math_ops.multiply, reflected=True)
    __truediv__ = _symbolic(math_ops.truediv)

    def __neg__(self) -> KerasTensor:
        return _Op(math_ops.negative)(self)

    def __getitem__(self, key: Any) -> KerasTensor:
        return _Op(lambda x: x[key])(self)


def is_keras_tensor(x: Any) -> bool:
    """True for a symbolic ``KerasTensor``."""
    return isinstance(x, KerasTensor)


class Node:
    """One call of a layer on symbolic tensors: its arguments and its output tensors."""

    def __init__(self, layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any],
                 outputs: Any) -> None:
        self.layer = layer
        self.args, self.kwargs = args, kwargs
        self.outputs = outputs
        self.input_tensors = [x for x in nest.flatten((args, kwargs))
                              if isinstance(x, KerasTensor)]
        self.output_tensors = nest.flatten(outputs)


class InputSpec:
    """What a layer accepts: a ``dtype``, a ``shape``, ``ndim``, ``min_ndim``, ``axes``."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None,
                 max_ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None, allow_last_axis_squeeze: bool = False,
                 name: str | None = None, optional: bool = False) -> None:
        self.dtype, self.shape, self.name, self.optional = dtype, shape, name, optional
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim, self.axes = max_ndim, min_ndim, axes or {}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze


# ----- the Layer base class -----

_call_depth = threading.local()


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _to_tensor(x: Any, dtype: str | None) -> Any:
    """An argument as Keras's ``__call__`` converts it: arrays and tensors to tensors, floats
    cast to the layer's dtype; anything else as is."""
    if isinstance(x, Tensor):
        t = x
    elif isinstance(x, np.ndarray) or hasattr(x, "__array__") and not isinstance(x, KerasTensor):
        t = convert_to_tensor(np.asarray(x))
    else:
        return x
    if dtype is not None and t.dtype.is_floating and t.dtype.name != dtype:
        t = math_ops.cast(t, dtype)
    return t


def _shape_of(x: Any) -> Any:
    if isinstance(x, (Tensor, KerasTensor)):
        return tuple(x.shape)
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return None


class Layer:
    """The base of every layer: weights made in ``build``, computation in ``call``.

    Subclass it as in Keras: make weights with ``add_weight`` in ``build(input_shape)`` (or in
    ``__init__`` when their shapes are known), compute in ``call(inputs)``.

    >>> import tapegrad as tf
    >>> class Scale(tf.keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale()
    >>> layer(tf.ones((2, 3))).shape, len(layer.trainable_weights)
    (TensorShape([2, 3]), 1)
    """

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True,
                 dtype: Any = None, autocast: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Argument `name` must be a string. Received: name={name}")
        self.__dict__.update(_tracked_weights=[], _non_trainable_list=[], _losses=[],
                             _inbound_nodes=[], _build_shapes=None)
        self.name = backend.unique_name(type(self).__name__) if name is None else name
        self.built = False
        self._trainable = bool(trainable)
        self._dtype = "float32" if dtype is None else _dtype_name(dtype)
        self.autocast = autocast
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = False
        self.input_spec = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None
        self._call_has_training = _accepts(self.call, "training")

    # -- naming, dtypes, representation --

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (``"float32"``)."""
        return self._dtype

    # One dtype for everything: tapegrad's Keras has no mixed-precision policies.
    compute_dtype = variable_dtype = input_dtype = dtype_policy = dtype

    @property
    def path(self) -> str:
        return self.name

    # -- weights --

    def add_weight(self, shape: Sequence[int] | None = None, initializer: Any = None,
                   dtype: Any = None, trainable: bool = True, autocast: bool = True,
                   regularizer: Any = None, constraint: Any = None, aggregation: str = "none",
                   overwrite_with_gradient: bool = False, name: str | None = None) -> KerasVariable:
        """A new weight, tracked by the layer: ``initializer`` is a name, an initializer or a
        callable ``(shape, dtype) -> values``; floats default to ``glorot_uniform``."""
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = _dtype_name(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if as_dtype(dtype).is_floating else "zeros"
        initializer = initializers.get(initializer)
        value = initializer(shape, dtype=dtype)
        if name is None:
            count = len(self._tracked_weights) + len(self._non_trainable_list)
            name = f"variable_{count}" if count else "variable"
        variable = KerasVariable(value, trainable=trainable, name=name,
                                 path=f"{self.path}/{name}", dtype=dtype,
                                 regularizer=regularizers.get(regularizer),
                                 constraint=constraints.get(constraint))
        (self._tracked_weights if trainable else self._non_trainable_list).append(variable)
        return variable

    def add_variable(self, shape: Sequence[int], initializer: Any, dtype: Any = None,
                     trainable: bool = True, name: str | None = None, **kwargs: Any
                     ) -> KerasVariable:
        """``add_weight`` with the shape and initializer first."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, name=name, **kwargs)

    def _sublayers(self) -> list[Layer]:
        """The layers held in attributes (lists, tuples and dicts too), in assignment order."""
        found: list[Layer] = []
        seen = {id(self)}
        for key, value in self.__dict__.items():
            if key in _INTERNAL:
                continue
            for item in _walk(value):
                if isinstance(item, Layer) and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
        return found

    def _own_variables(self) -> list[Variable]:
        """Weights from add_weight, then Variables set as attributes."""
        own = list(self._tracked_weights) + list(self._non_trainable_list)
        ids = {id(v) for v in own}
        for key, value in self.__dict__.items():
            if key in _INTERNAL:
                continue
            for item in _walk(value):
                if isinstance(item, Variable) and id(item) not in ids:
                    ids.add(id(item))
                    own.append(item)
        return own

    @property
    def weights(self) -> list[Variable]:
        """All weights: this layer's own (trainable ones first), then its sublayers'."""
        out = self._own_variables()
        ids = {id(v) for v in out}
        for layer in self._sublayers():
            for v in layer.weights:
                if id(v) not in ids:
                    ids.add(id(v))
                    out.append(v)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        """Whether the layer trains; setting it sets every weight's and sublayer's flag."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for v in self._tracked_weights:
            v.trainable = value
        for layer in self._sublayers():
            layer.trainable = value

    def get_weights(self) -> list[np.ndarray]:
        """The weights' values as NumPy arrays, in ``weights`` order."""
        return [np.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Assign NumPy values to the weights, in ``weights`` order."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(own)} weights.")
        for variable, value in zip(own, weights):
            value = np.asarray(value)
            if tuple(variable.shape) != value.shape:
                raise ValueError(f"Layer {self.name} weight shape {tuple(variable.shape)} is not "
                                 f"compatible with provided weight shape {value.shape}.")
            variable.assign(value.astype(variable.dtype.as_numpy_dtype))

    def count_params(self) -> int:
        """The number of weight entries."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             f"layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(math.prod(v.shape) for v in self.weights))

    # -- losses --

    def add_loss(self, loss: Any) -> None:
        """Add a loss (a scalar tensor) that training adds to the compiled loss."""
        self._losses.append(loss)

    def _all_layers(self) -> list[Layer]:
        out, stack = [], [self]
        while stack:
            layer = stack.pop(0)
            out.append(layer)
            stack.extend(layer._sublayers())
        return out

    @property
    def losses(self) -> list[Tensor]:
        """Losses from ``add_loss`` in the last call, then the weight regularization penalties
        of the current weight values."""
        losses = [loss for layer in self._all_layers() for loss in layer._losses]
        for v in self.trainable_weights:
            if getattr(v, "regularizer", None) is not None:
                losses.append(v.regularizer(v))
        return losses

    def _clear_losses(self) -> None:
        for layer in self._all_layers():
            layer._losses.clear()

    # -- building and calling --

    def build(self, input_shape: Any = None) -> None:
        """Make the weights for inputs of ``input_shape``; the base class makes none."""
        self.built = True

    def _maybe_build(self, shapes: Any) -> None:
        if self.built:
            return
        self._build_shapes = shapes
        if inspect.signature(self.build).parameters:
            self.build(shapes)
        else:
            self.build()
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` method "
                                  f"implemented.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and "inputs" in kwargs:
            args = (kwargs.pop("inputs"),)
        if not args:
            raise TypeError(f"Layer {self.name} was called without an input.")
        if any(isinstance(x, KerasTensor) for x in nest.flatten((args, kwargs))):
            return self._symbolic_call(args, kwargs)
        dtype = self.compute_dtype if self.autocast else None
        first = nest.map_structure(lambda x: _to_tensor(x, dtype), args[0])
        args = (first,) + args[1:]
        self._maybe_build(nest.map_structure(_shape_of, first))
        training = kwargs.get("training") if self._call_has_training \
            else kwargs.pop("training", None)
        if training is None:
            training = backend.current_training()
        if self._call_has_training:
            kwargs["training"] = training
        depth = getattr(_call_depth, "value", 0)
        if depth == 0:
            self._clear_losses()
        _call_depth.value = depth + 1
        try:
            with backend.TrainingScope(training):
                outputs = self.call(*args, **kwargs)
        finally:
            _call_depth.value = depth
        if self.activity_regularizer is not None:
            for out in nest.flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out))
        return outputs

    def _symbolic_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Record a node: the outputs' shapes come from calling on zeros of the inputs' shapes
        (unknown sizes as 1), where the inputs had an unknown batch size so do the outputs."""
        first = args[0]
        self._maybe_build(nest.map_structure(_shape_of, first))
        flat_inputs = [x for x in nest.flatten((args, kwargs)) if isinstance(x, KerasTensor)]
        unknown_batch = any(x.shape and x.shape[0] is None for x in flat_inputs)
        concrete = nest.map_structure(
            lambda x: x._placeholder() if isinstance(x, KerasTensor) else x, (args, kwargs))
        call_kwargs = dict(concrete[1])
        call_kwargs.pop("training", None)
        if self._call_has_training:
            call_kwargs["training"] = False
        outputs = self.call(*concrete[0], **call_kwargs)
        self._losses.clear()
        index = len(self._inbound_nodes)
        flat = nest.flatten(outputs)
        symbolic = []
        for i, out in enumerate(flat):
            shape = list(np.shape(out))
            if unknown_batch and shape:
                shape[0] = None
            tensor = KerasTensor(shape, out.dtype.name if isinstance(out, Tensor) else "float32",
                                 name=self.name if len(flat) == 1 else f"{self.name}_{i}")
            tensor._keras_history = (self, index, i)
            symbolic.append(tensor)
        result = nest.pack_sequence_as(outputs, symbolic)
        self._inbound_nodes.append(Node(self, args, kwargs, result))
        return result

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for inputs of ``input_shape`` (found by a symbolic call)."""
        spec = nest.map_structure(KerasTensor, input_shape) if isinstance(input_shape, list) \
            and input_shape and isinstance(input_shape[0], (tuple, list)) \
            else KerasTensor(input_shape)
        out = self._symbolic_call((spec,), {})
        self._inbound_nodes.pop()
        return nest.map_structure(lambda t: t.shape, out)

    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first functional call."""
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no "
                                 f"defined input.")
        node = self._inbound_nodes[0]
        return node.args[0]

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first functional call."""
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no "
                                 f"defined output.")
        return self._inbound_nodes[0].outputs

    # -- configuration --

    def get_config(self) -> dict[str, Any]:
        """The arguments that remake the layer (without its weights)."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                                  "dtype": _policy(self._dtype)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """The layer ``get_config`` described."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"]["config"]["name"]
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config="
                            f"{config}.\n\nException encountered: {e}") from None


# Attributes of layers and models that hold bookkeeping, not sublayers or weights.
_INTERNAL = frozenset({"_inbound_nodes", "_input_layer", "_output_tensor", "_functions",
                       "_loss_tracker", "_metric_objects", "_compile_loss", "_nodes",
                       "_inputs_struct", "_outputs_struct", "_build_shapes", "_losses"})


def _walk(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _walk(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _walk(item)]
    return [value]


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, dict):
        dtype = dtype["config"]["name"]
    return as_dtype(dtype).name


def _policy(name: str) -> dict[str, Any]:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _serialized(obj: Any) -> Any:
    from .saving import serialize_keras_object
    return serialize_keras_object(obj)


# ----- inputs -----

class InputLayer(Layer):
    """The layer behind ``keras.Input``: it holds the model's input placeholder."""

    def __init__(self, shape: Sequence[int | None] | None = None, batch_size: int | None = None,
                 dtype: Any = None, sparse: bool | None = None,
                 batch_shape: Sequence[int | None] | None = None, input_tensor: Any = None,
                 optional: bool = False, name: str | None = None, **kwargs: Any) -> None:
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or backend.unique_name("input_layer"), dtype=dtype,
                         **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if shape is None and batch_shape is None:
            raise ValueError("You must pass a `shape` argument.")
        if shape is not None:
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(batch_shape)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        tensor = KerasTensor(self.batch_shape, self._dtype, name=self.name)
        tensor._keras_history = (self, 0, 0)
        self._inbound_nodes.append(Node(self, (), {}, tensor))

    def call(self) -> None:
        return None

    @property
    def output(self) -> KerasTensor:
        return self._inbound_nodes[0].outputs

    def get_config(self) -> dict[str, Any]:
        return {"batch_shape": list(self.batch_shape), "dtype": self._dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape: Sequence[int | None] | None = None, batch_size: int | None = None,  # noqa: N802
          dtype: Any = None, sparse: bool | None = None,
          batch_shape: Sequence[int | None] | None = None, name: str | None = None,
          tensor: Any = None, optional: bool = False) -> KerasTensor:
    """A symbolic input of ``shape`` (without the batch size) to build a functional model.

    >>> import tapegrad as tf
    >>> tf.keras.Input(shape=(2,)).shape
    (None, 2)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                      batch_shape=batch_shape, name=name, optional=optional).output


class _Op(Layer):
    """A tapegrad function applied to symbolic tensors (``x + 1`` on a KerasTensor)."""

    def __init__(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, *args: Any) -> Any:
        return self.fn(*args)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, KerasTensor) for a in args):
            return self._symbolic_call(args, kwargs)
        return self.fn(*args)


# ----- core layers -----

class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis.

    >>> import tapegrad as tf
    >>> layer = tf.keras.layers.Dense(4, activation="relu")
    >>> layer(tf.ones((2, 3))).shape, layer.kernel.shape
    (TensorShape([2, 4]), TensorShape([3, 4]))
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None,
                 quantization_config: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight(name="bias", shape=(self.units,),
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Tensor:
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: "
                             f"expected axis -1 of input shape to have value "
                             f"{self.kernel.shape[0]}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        if inputs.ndim == 2:
            x = linalg_ops.matmul(inputs, self.kernel)
        else:
            x = linalg_ops.tensordot(inputs, self.kernel, [[inputs.ndim - 1], [0]])
        if self.bias is not None:
            x = math_ops.add(x, self.bias)
        return self.activation(x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": _serialized(self.kernel_initializer),
                "bias_initializer": _serialized(self.bias_initializer),
                "kernel_regularizer": _serialized(self.kernel_regularizer),
                "bias_regularizer": _serialized(self.bias_regularizer),
                "kernel_constraint": _serialized(self.kernel_constraint),
                "bias_constraint": _serialized(self.bias_constraint)}


class Activation(Layer):
    """An activation function as a layer."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Its input, unchanged."""

    def call(self, inputs: Any) -> Any:
        return inputs


class Dropout(Layer):
    """While training, each entry zeroed with probability ``rate`` and the rest scaled by
    1 / (1 - rate); at inference the identity.

    >>> import tapegrad as tf
    >>> layer = tf.keras.layers.Dropout(0.5, seed=1)
    >>> layer(tf.ones(4)).numpy().tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> sorted(set(layer(tf.ones(1000), training=True).numpy().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self._seed = backend.draw_seed() if seed is None else seed
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Tensor:
        if training and self.rate > 0:
            if self.rate >= 1:
                return math_ops.multiply(inputs, 0.0)
            noise_shape = None if self.noise_shape is None else tuple(
                inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
            return _dropout(inputs, self.rate, noise_shape=noise_shape, seed=self._seed)
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class Flatten(Layer):
    """Each sample flattened to one axis: (batch, ...) -> (batch, product of the rest)."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = array_ops.transpose(inputs, [0] + list(range(2, inputs.ndim)) + [1])
        return array_ops.reshape(inputs, (inputs.shape[0], -1) if inputs.ndim > 1 else (-1, 1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Each sample reshaped to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        return array_ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Lambda(Layer):
    """Any function of the inputs as a layer (``arguments`` are passed as keywords)."""

    def __init__(self, function: Callable[..., Any], output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.function = function
        self.output_shape = output_shape
        self.arguments = arguments or {}
        self.built = True
        self._call_has_training = _accepts(function, "training")

    def call(self, inputs: Any, **kwargs: Any) -> Any:
        if not self._call_has_training:
            kwargs.pop("training", None)
        return self.function(inputs, **self.arguments, **kwargs)

    def get_config(self) -> dict[str, Any]:
        import marshal
        code = marshal.dumps(self.function.__code__).hex() if hasattr(self.function,
                                                                     "__code__") else None
        return {**super().get_config(),
                "function": {"class_name": "__lambda__", "config": {"code": code}},
                "arguments": self.arguments, "output_shape": self.output_shape}

    @classmethod
    def from_config(cls, config: dict[str, Any], safe_mode: bool | None = None) -> Lambda:
        import marshal
        import types
        config = _plain(config)
        fn = config.pop("function")
        if isinstance(fn, dict):
            from .saving import _safe_mode
            if _safe_mode(safe_mode):
                raise ValueError("Requested the deserialization of a `Lambda` layer whose "
                                 "`function` is a Python lambda. This carries a potential "
                                 "risk of arbitrary code execution and thus it is disallowed "
                                 "by default. If you trust the source of the artifact, you can "
                                 "override this error by passing `safe_mode=False` to the "
                                 "loading function, or calling "
                                 "`keras.config.enable_unsafe_deserialization().")
            fn = types.FunctionType(marshal.loads(bytes.fromhex(fn["config"]["code"])),
                                    _lambda_globals())
        return cls(function=fn, **config)


def _lambda_globals() -> dict[str, Any]:
    import tapegrad
    return {"tf": tapegrad, "tapegrad": tapegrad, "np": np, "keras": tapegrad.keras}


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    config = dict(config)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"]["config"]["name"]
    return config


class Rescaling(Layer):
    """``inputs * scale + offset``."""

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        return inputs * self.scale + self.offset

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """``(inputs - mean) / sqrt(variance)`` per feature, with mean and variance given or
    learned by ``adapt(data)``; ``invert=True`` undoes it.

    >>> import tapegrad as tf
    >>> layer = tf.keras.layers.Normalization()
    >>> layer.adapt([[0.0], [2.0]])
    >>> layer([[1.0], [4.0]]).numpy().tolist()
    [[0.0], [3.0]]
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must "
                             f"be set. Received: mean={mean} and variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert

    def build(self, input_shape: Any) -> None:
        if input_shape is None:
            return
        ndim = len(input_shape)
        axes = tuple(a % ndim for a in self.axis)
        self._keep_axes = axes
        self._reduce_axes = tuple(i for i in range(ndim) if i not in axes)
        shape = tuple(input_shape[a] for a in axes)
        self._broadcast = tuple(input_shape[i] if i in axes else 1 for i in range(ndim))
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
            self.mean, self.variance = self.adapt_mean, self.adapt_variance
        else:
            np_dtype = as_dtype(self._dtype).as_numpy_dtype
            self.mean = convert_to_tensor(np.broadcast_to(
                np.asarray(self.input_mean, np_dtype), shape))
            self.variance = convert_to_tensor(np.broadcast_to(
                np.asarray(self.input_variance, np_dtype), shape))
        self.built = True

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the mean and variance of each feature from ``data`` (an array, a tensor, or an
        iterable of batches)."""
        if isinstance(data, (Tensor, np.ndarray, list, tuple)) or hasattr(data, "__array__"):
            array = np.asarray(data, dtype=np.float64)
        else:
            array = np.concatenate([np.asarray(b, dtype=np.float64) for b in data])
        if not self.built:
            self._maybe_build((None,) + array.shape[1:])
        if self.input_mean is not None:
            raise ValueError("Cannot `adapt` a Normalization layer that is initialized with "
                             "static `mean` and `variance`, you passed mean "
                             f"{self.input_mean} and variance {self.input_variance}.")
        mean = array.mean(axis=self._reduce_axes)
        variance = array.var(axis=self._reduce_axes)
        self.adapt_mean.assign(mean.astype(np.float32))
        self.adapt_variance.assign(variance.astype(np.float32))
        self.count.assign(np.int64(math.prod(array.shape[i] for i in self._reduce_axes)))

    def call(self, inputs: Any) -> Tensor:
        mean = array_ops.reshape(self.mean, self._broadcast)
        variance = array_ops.reshape(self.variance, self._broadcast)
        std = math_ops.maximum(math_ops.sqrt(variance), backend.epsilon())
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def get_config(self) -> dict[str, Any]:
        def as_list(v: Any) -> Any:
            return None if v is None else np.asarray(v).tolist()
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": as_list(self.input_mean), "variance": as_list(self.input_variance)}


class BatchNormalization(Layer):
    """Normalize each feature (along ``axis``) by the batch's mean and variance while training,
    by moving averages of them at inference; then scale by ``gamma`` and shift by ``beta``.

    >>> import tapegrad as tf
    >>> bn = tf.keras.layers.BatchNormalization()
    >>> y = bn(tf.constant([[0.0], [2.0]]), training=True)
    >>> [round(v, 4) for v in y.numpy()[:, 0].tolist()], round(float(bn.moving_mean[0]), 4)
    ([-0.9995, 0.9995], 0.01)
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: Any) -> None:
        shape = (input_shape[self.axis],)
        self.gamma = self.add_weight(name="gamma", shape=shape,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape, trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.built = True

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Tensor:
        ndim = inputs.ndim
        axis = self.axis % ndim
        reduce_axes = [i for i in range(ndim) if i != axis]
        shape = [1] * ndim
        shape[axis] = inputs.shape[axis]
        if training and self.trainable:
            mean = reduce_ops.reduce_mean(inputs, axis=reduce_axes)
            variance = reduce_ops.reduce_mean(
                math_ops.square(inputs - array_ops.reshape(mean, shape)), axis=reduce_axes)
            self.moving_mean.assign(self.moving_mean * self.momentum
                                    + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum
                                        + variance * (1.0 - self.momentum))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        out = (inputs - array_ops.reshape(mean, shape)) * array_ops.reshape(
            math_ops.rsqrt(variance + self.epsilon), shape)
        if self.gamma is not None:
            out = out * array_ops.reshape(self.gamma, shape)
        if self.beta is not None:
            out = out + array_ops.reshape(self.beta, shape)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": _serialized(self.beta_initializer),
                "gamma_initializer": _serialized(self.gamma_initializer),
                "moving_mean_initializer": _serialized(self.moving_mean_initializer),
                "moving_variance_initializer": _serialized(self.moving_variance_initializer),
                "beta_regularizer": _serialized(self.beta_regularizer),
                "gamma_regularizer": _serialized(self.gamma_regularizer),
                "beta_constraint": _serialized(self.beta_constraint),
                "gamma_constraint": _serialized(self.gamma_constraint)}


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (the last by default), then scale and shift."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        kwargs.pop("rms_scaling", None)
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon, self.center, self.scale = float(epsilon), center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: Any) -> None:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = sorted(a % len(input_shape) for a in axes)
        shape = tuple(input_shape[a] for a in self._axes)
        self.gamma = self.add_weight(name="gamma", shape=shape,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        ndim = inputs.ndim
        shape = [inputs.shape[i] if i in self._axes else 1 for i in range(ndim)]
        mean = reduce_ops.reduce_mean(inputs, axis=self._axes, keepdims=True)
        variance = reduce_ops.reduce_mean(math_ops.square(inputs - mean), axis=self._axes,
                                          keepdims=True)
        out = (inputs - mean) * math_ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            out = out * array_ops.reshape(self.gamma, shape)
        if self.beta is not None:
            out = out + array_ops.reshape(self.beta, shape)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": _serialized(self.beta_initializer),
                "gamma_initializer": _serialized(self.gamma_initializer),
                "beta_regularizer": _serialized(self.beta_regularizer),
                "gamma_regularizer": _serialized(self.gamma_regularizer),
                "beta_constraint": _serialized(self.beta_constraint),
                "gamma_constraint": _serialized(self.gamma_constraint)}


class Embedding(Layer):
    """Integer indices to dense vectors: row ``i`` of an (input_dim, output_dim) matrix."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, **kwargs: Any) -> None:
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim
        if embeddings_initializer == "uniform":
            embeddings_initializer = initializers.RandomUniform()
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.autocast = False

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(name="embeddings",
                                          shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        inputs = convert_to_tensor(inputs)
        if not inputs.dtype.is_integer:
            inputs = math_ops.cast(inputs, "int32")
        return array_ops.gather(self.embeddings, inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": _serialized(self.embeddings_initializer),
                "embeddings_regularizer": _serialized(self.embeddings_regularizer),
                "embeddings_constraint": _serialized(self.embeddings_constraint),
                "mask_zero": self.mask_zero}


# ----- merging layers -----

class _Merge(Layer):
    """A layer that combines a list of inputs of the same shape."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.built = True

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)) or len(input_shape) < 1:
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape} (not a list of shapes)")
        self.built = True

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"inputs={inputs} (not a list of tensors)")
        return super().__call__(list(inputs), **kwargs)

    def call(self, inputs: list[Tensor]) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = self._combine(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out: Tensor, n: int) -> Tensor:
        return out


class Add(_Merge):
    """The sum of its inputs."""

    _combine = staticmethod(math_ops.add)


class Multiply(_Merge):
    """The product of its inputs."""

    _combine = staticmethod(math_ops.multiply)


class Maximum(_Merge):
    """The elementwise maximum of its inputs."""

    _combine = staticmethod(math_ops.maximum)


class Minimum(_Merge):
    """The elementwise minimum of its inputs."""

    _combine = staticmethod(math_ops.minimum)


class Average(_Merge):
    """The mean of its inputs."""

    _combine = staticmethod(math_ops.add)

    def _finish(self, out: Tensor, n: int) -> Tensor:
        return out / n


class Subtract(_Merge):
    """The first of two inputs minus the second."""

    def call(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: inputs={inputs}")
        return math_ops.subtract(inputs[0], inputs[1])


class Concatenate(_Merge):
    """Its inputs joined along ``axis``."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs: list[Tensor]) -> Tensor:
        return array_ops.concat(list(inputs), axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


_CLASSES = [Layer, InputLayer, Dense, Activation, Identity, Dropout, Flatten, Reshape, Lambda,
            Rescaling, Normalization, BatchNormalization, LayerNormalization, Embedding, Add,
            Subtract, Multiply, Average, Maximum, Minimum, Concatenate]
_BY_NAME: dict[str, type] = {c.__name__: c for c in _CLASSES}


def serialize(layer: Layer) -> dict[str, Any]:
    """Keras's config dict for a layer."""
    return _serialized(layer)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Layer:
    """The layer a config dict describes."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)


def get(identifier: Any) -> Any:
    return deserialize(identifier) if isinstance(identifier, dict) else identifier
