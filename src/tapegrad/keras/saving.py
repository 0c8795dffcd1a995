"""Saving and loading (``tapegrad.keras.saving``, ``Model.save``, ``keras.models.load_model``).

The files are tapegrad's own format, not Keras's: a ``.keras`` file is a zip holding
``config.json`` (the model's config in Keras's layout), ``metadata.json`` and
``model.weights.npz`` (the weights, and the optimizer's state when compiled); a ``.weights.h5``
file is that ``.npz`` alone, under Keras's file name. tapegrad cannot read the files Keras
writes, nor Keras tapegrad's.

>>> import os, tempfile, numpy as np, tapegrad as tf
>>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
>>> model.save(path)
>>> loaded = tf.keras.models.load_model(path)
>>> all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))
True
"""

from __future__ import annotations

import datetime
import io
import json
import os
import types
import zipfile
from typing import Any, Callable

import numpy as np

__all__ = ["save_model", "load_model", "save_weights", "load_weights",
           "serialize_keras_object", "deserialize_keras_object", "register_keras_serializable",
           "get_custom_objects", "custom_object_scope", "CustomObjectScope",
           "get_registered_name", "get_registered_object"]

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_unsafe = {"enabled": False}


def _safe_mode(safe_mode: bool | None) -> bool:
    return not _unsafe["enabled"] if safe_mode is None else safe_mode


def enable_unsafe_deserialization() -> None:
    """Allow loading ``Lambda`` layers whose function is Python bytecode."""
    _unsafe["enabled"] = True


def get_custom_objects() -> dict[str, Any]:
    """The global dict of registered custom classes and functions, by name."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Within, ``custom_objects`` can be found by name when deserializing."""

    def __init__(self, custom_objects: dict[str, Any] | None) -> None:
        self.custom_objects = custom_objects or {}

    def __enter__(self) -> CustomObjectScope:
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        _GLOBAL_CUSTOM_OBJECTS.update(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup)


custom_object_scope = CustomObjectScope


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """A decorator that registers a class or function as ``"package>name"`` for loading.

    >>> import tapegrad as tf
    >>> @tf.keras.saving.register_keras_serializable(package="demo")
    ... def twice(x):
    ...     return 2 * x
    >>> tf.keras.saving.get_registered_name(twice)
    'demo>twice'
    """
    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj
    return decorator


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` was registered under, else its own name."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None,
                          module_objects: dict[str, Any] | None = None) -> Any:
    """The class or function registered (or passed) under ``name``, or None."""
    for table in (custom_objects or {}, _GLOBAL_CUSTOM_OBJECTS, module_objects or {}):
        if name in table:
            return table[name]
    return None


def _module_of(obj: Any) -> str:
    module = type(obj).__module__ if not isinstance(obj, (type, types.FunctionType)) \
        else obj.__module__
    if module.startswith("tapegrad.keras."):
        part = module.split(".")[2]
        return {"models": "keras.src.models.functional" if type(obj).__name__ == "Functional"
                else "keras"}.get(part, f"keras.{part}")
    if module.startswith("tapegrad.optimizers"):
        return "keras.optimizers"
    return module


def serialize_keras_object(obj: Any) -> Any:
    """Keras's config dict of an object with ``get_config``; a plain value as is.

    >>> import tapegrad as tf
    >>> tf.keras.saving.serialize_keras_object(tf.keras.initializers.Zeros())
    {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    registered = _GLOBAL_CUSTOM_NAMES.get(obj if isinstance(obj, (type, types.FunctionType))
                                          else type(obj))
    if isinstance(obj, types.FunctionType):
        return {"module": _module_of(obj), "class_name": "function", "config": obj.__name__,
                "registered_name": registered or obj.__name__}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj)}. To be "
                        f"serializable, a class must implement the `get_config()` method.")
    return {"module": _module_of(obj), "class_name": type(obj).__name__,
            "config": serialize_keras_object(obj.get_config()), "registered_name": registered}


def _all_objects() -> dict[str, Any]:
    from .. import optimizers
    from . import (
        activations,
        constraints,
        initializers,
        layers,
        losses,
        metrics,
        models,
        regularizers,
    )
    table: dict[str, Any] = {}
    for module_table in (activations._BY_NAME, constraints._BY_NAME, initializers._BY_NAME,
                         regularizers._BY_NAME, metrics._FUNCTIONS, metrics._BY_NAME,
                         losses._BY_NAME, layers._BY_NAME, models._BY_NAME,
                         optimizers._BY_NAME):
        table.update(module_table)
    table.update({c.__name__: c for c in optimizers._BY_NAME.values()})
    return table


def lookup(identifier: Any, by_name: dict[str, Any], kind: str,
           deserialize: Callable[[Any], Any]) -> Any:
    """What Keras's ``get`` functions share: None stays None; a name in ``by_name`` gives that
    entry (a class is instantiated); a config dict is deserialized; a class is instantiated; any
    other callable is returned as it is. Anything else is Keras's ValueError, naming ``kind``."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier in by_name:
            entry = by_name[identifier]
            return entry() if isinstance(entry, type) else entry
    elif isinstance(identifier, dict):
        return deserialize(identifier)
    elif isinstance(identifier, type):
        return identifier()
    elif callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier}")


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None,
                             module_objects: dict[str, Any] | None = None,
                             safe_mode: bool | None = None) -> Any:
    """The object a config dict (or a registered name) describes."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects) or \
            _all_objects().get(config)
        if found is None:
            raise ValueError(f"Could not interpret serialized object: {config}")
        return found() if isinstance(found, type) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"Could not parse config: {config}")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        name = config.get("registered_name") or inner
        found = get_registered_object(name, custom_objects, module_objects) or \
            get_registered_object(inner, custom_objects, module_objects) or \
            _all_objects().get(inner)
        if found is None:
            raise TypeError(f"Could not locate function '{inner}'. Make sure custom classes "
                            f"and functions are decorated with "
                            f"`@keras.saving.register_keras_serializable()`.")
        return found
    registered = config.get("registered_name")
    cls = (registered and get_registered_object(registered, custom_objects, module_objects)) or \
        get_registered_object(class_name, custom_objects, module_objects) or \
        _all_objects().get(class_name) or _subclass(class_name, config.get("module"))
    if cls is None:
        raise TypeError(f"Could not locate class '{class_name}'. Make sure custom classes are "
                        f"decorated with `@keras.saving.register_keras_serializable()`. Full "
                        f"object config: {config}")
    from .layers import Lambda
    if cls is Lambda or (isinstance(cls, type) and issubclass(cls, Lambda)):
        return cls.from_config(inner, safe_mode=safe_mode)
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(inner, custom_objects) if _takes_custom(cls) \
                else cls.from_config(inner)
        except TypeError as e:
            raise TypeError(f"{cls.__name__}.from_config(config) failed: {e}. Full object "
                            f"config: {config}") from None
    return cls(**inner)


def _subclass(class_name: str, module: str | None) -> type | None:
    """A user's subclass of a Keras base class, defined in ``module`` in this process (a class
    registered with Keras's own decorator, which tapegrad cannot see)."""
    from .layers import Layer
    from .losses import Loss
    from .metrics import Metric
    stack: list[type] = [Layer, Loss, Metric]
    while stack:
        cls = stack.pop()
        if cls.__name__ == class_name and cls.__module__ == module:
            return cls
        stack.extend(cls.__subclasses__())
    return None


def _takes_custom(cls: type) -> bool:
    import inspect
    try:
        return len(inspect.signature(cls.from_config).parameters) >= 2
    except (TypeError, ValueError):
        return False


# ----- files -----

def _weight_arrays(model: Any) -> dict[str, np.ndarray]:
    arrays = {f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        for i, v in enumerate(optimizer.variables):
            arrays[f"optimizer_{i}"] = np.asarray(v.numpy())
    return arrays


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _restore(model: Any, arrays: Any, path: str) -> None:
    count = len([k for k in arrays.files if k.startswith("weight_")])
    weights = [arrays[f"weight_{i}"] for i in range(count)]
    if len(weights) != len(model.weights):
        raise ValueError(f"A total of {len(weights)} objects could not be loaded. The file "
                         f"{path} holds {len(weights)} weights, but the model has "
                         f"{len(model.weights)}.")
    model.set_weights(weights)
    optimizer = getattr(model, "optimizer", None)
    slots = [k for k in arrays.files if k.startswith("optimizer_")]
    if optimizer is not None and slots:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        for i, v in enumerate(optimizer.variables[:len(slots)]):
            value = arrays[f"optimizer_{i}"]
            if tuple(v.shape) == value.shape:
                v.assign(value.astype(v.dtype.as_numpy_dtype))


def _check_overwrite(path: str, overwrite: bool) -> bool:
    if os.path.exists(path) and not overwrite:
        answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
        return answer.startswith("y")
    return True


def save_model(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Write ``model`` (config, weights, optimizer state) to a ``.keras`` zip of our format."""
    filepath = str(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add either a `.keras` "
                         f"extension for the native Keras format (recommended) or a `.h5` "
                         f"extension. Use `model.export(filepath)` if you want to export a "
                         f"SavedModel for use with TFLite/TFServing/etc. Received: "
                         f"filepath={filepath}.")
    if not _check_overwrite(filepath, overwrite):
        return
    config = serialize_keras_object(model)
    build_config = model.get_build_config()
    if build_config is not None and isinstance(build_config.get("input_shape"), list):
        config["build_config"] = build_config
    compile_config = getattr(model, "_compile_config", None)
    if compile_config is not None:
        config["compile_config"] = compile_config
    metadata = {"keras_version": "3 (tapegrad format)", "format": "tapegrad",
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    with zipfile.ZipFile(filepath, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("model.weights.npz", _npz_bytes(_weight_arrays(model)))


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """The model ``save_model`` wrote (compiled again when it was compiled)."""
    filepath = str(filepath)
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file is an "
                         f"accessible `.keras` zip file.")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"File format not supported: filepath={filepath}. tapegrad reads the "
                         f"`.keras` files it writes (its own format), not Keras's.")
    with zipfile.ZipFile(filepath) as archive:
        config = json.loads(archive.read("config.json"))
        arrays = np.load(io.BytesIO(archive.read("model.weights.npz")))
        compile_config = config.pop("compile_config", None)
        with CustomObjectScope(custom_objects):
            model = deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
            if compile and compile_config is not None:
                model.compile(**{k: deserialize_keras_object(v, custom_objects)
                                 if k in ("optimizer", "loss") and isinstance(v, dict) else v
                                 for k, v in compile_config.items()})
        _ensure_built(model, config)
        _restore(model, arrays, filepath)
    return model


def _ensure_built(model: Any, config: dict[str, Any]) -> None:
    build = config.get("build_config")
    if not model.built and build and build.get("input_shape") is not None:
        model.build(tuple(build["input_shape"]))


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write the weights to ``*.weights.h5`` (an ``.npz`` of our format, under Keras's name)."""
    filepath = str(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: "
                         f"filepath={filepath}")
    if not _check_overwrite(filepath, overwrite):
        return
    with open(filepath, "wb") as f:
        f.write(_npz_bytes(_weight_arrays(model)))


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Read weights ``save_weights`` (or ``save``) wrote into ``model``, in order."""
    filepath = str(filepath)
    if filepath.endswith(".keras"):
        with zipfile.ZipFile(filepath) as archive:
            arrays = np.load(io.BytesIO(archive.read("model.weights.npz")))
            _restore(model, arrays, filepath)
        return
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"File format not supported: filepath={filepath}. Keras 3 only "
                         f"supports V3 `.keras` and `.weights.h5` files.")
    try:
        arrays = np.load(filepath)
    except (OSError, ValueError):
        raise ValueError(f"{filepath} is not a weights file tapegrad wrote: tapegrad stores "
                         f"weights in its own format (NumPy .npz) and cannot read Keras's "
                         f"HDF5 files.") from None
    _restore(model, arrays, filepath)
