"""Data types: TensorFlow's dtype objects over NumPy's dtypes.

>>> import tapegrad as tf
>>> tf.float32.name, tf.float32.is_floating, tf.as_dtype("int32")
('float32', True, tapegrad.int32)
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np


class DType:
    """A tensor element type: a NumPy dtype under TensorFlow's name and API."""

    __slots__ = ("_np", "name", "_op_name")

    def __init__(self, np_dtype: np.dtype, op_name: str, name: str | None = None) -> None:
        self._np = np_dtype
        self.name = name or np_dtype.name
        self._op_name = op_name  # the name TensorFlow's op errors use: float, double, half

    @property
    def as_numpy_dtype(self) -> type:
        """The NumPy scalar type, e.g. ``numpy.float32``."""
        return self._np.type

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def real_dtype(self) -> DType:
        return {complex64: float32, complex128: float64}.get(self, self)

    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"

    @property
    def is_complex(self) -> bool:
        return self._np.kind == "c"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self._np.itemsize

    @property
    def min(self) -> int | float:
        return _limits(self._np).min

    @property
    def max(self) -> int | float:
        return _limits(self._np).max

    def __repr__(self) -> str:
        return f"tapegrad.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._np)

    def __reduce__(self) -> tuple[Any, ...]:
        return as_dtype, (self.name,)


def _limits(np_dtype: np.dtype) -> Any:
    if np_dtype.kind == "b":
        raise TypeError("Cannot find minimum or maximum value of dtype bool")
    return np.finfo(np_dtype) if np_dtype.kind in "fc" else np.iinfo(np_dtype)


float16 = DType(np.dtype(np.float16), "half")
float32 = DType(np.dtype(np.float32), "float")
float64 = DType(np.dtype(np.float64), "double")
int8 = DType(np.dtype(np.int8), "int8")
int16 = DType(np.dtype(np.int16), "int16")
int32 = DType(np.dtype(np.int32), "int32")
int64 = DType(np.dtype(np.int64), "int64")
uint8 = DType(np.dtype(np.uint8), "uint8")
uint16 = DType(np.dtype(np.uint16), "uint16")
uint32 = DType(np.dtype(np.uint32), "uint32")
uint64 = DType(np.dtype(np.uint64), "uint64")
bool = DType(np.dtype(np.bool_), "bool")
complex64 = DType(np.dtype(np.complex64), "complex64")
complex128 = DType(np.dtype(np.complex128), "complex128")
# Strings are bytes: a 0-d ``bytes_`` array for a scalar, an object array of ``bytes`` otherwise.
string = DType(np.dtype(object), "string", "string")
half, double = float16, float64

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bool, complex64, complex128, string)


class _ByNumpy(dict):
    """NumPy dtype -> DType; a tensor's dtype is one dict lookup (``|S5``: a string scalar)."""

    def __missing__(self, np_dtype: np.dtype) -> DType:
        if np_dtype.kind == "S":
            return string
        raise KeyError(np_dtype)

    def __contains__(self, np_dtype: object) -> builtins.bool:
        return dict.__contains__(self, np_dtype) or getattr(np_dtype, "kind", None) == "S"


BY_NUMPY: dict[np.dtype, DType] = _ByNumpy({d._np: d for d in _ALL})
_BY_NAME: dict[str, DType] = {d.name: d for d in _ALL} | {"half": float16, "double": float64,
                                                           "float": float32}
_BY_PYTHON = {float: float32, int: int32, builtins.bool: bool, complex: complex128}


def as_dtype(type_value: Any) -> DType:
    """The DType for a DType, a NumPy dtype or type, a name such as ``'float32'``, or a Python type.

    >>> as_dtype("float64"), as_dtype(np.int32), as_dtype(float)
    (tapegrad.float64, tapegrad.int32, tapegrad.float32)
    """
    if isinstance(type_value, DType):
        return type_value
    if type_value is None:  # np.dtype(None) is float64; TensorFlow refuses None
        found = None
    elif isinstance(type_value, str):
        found = _BY_NAME.get(type_value)
    elif isinstance(type_value, type) and type_value in _BY_PYTHON:
        found = _BY_PYTHON[type_value]
    else:
        try:
            np_dtype = np.dtype(type_value)
            found = BY_NUMPY[np_dtype] if np_dtype in BY_NUMPY else None  # |S5: string
        except (TypeError, ValueError):  # ValueError: an object whose .dtype is not a dtype
            found = None
    if found is None:
        raise TypeError(f"Cannot convert the argument `type_value`: {type_value!r} "
                        "to a tapegrad DType.")
    return found


def __getattr__(name: str) -> Any:
    """``tapegrad.dtypes.cast`` is ``tapegrad.cast``, as in TensorFlow (loaded on first use: the
    ops import this module)."""
    if name == "cast":
        from .ops.math import cast
        return cast
    raise AttributeError(f"module 'tapegrad.dtypes' has no attribute {name!r}")


__all__ = ["DType", "as_dtype", "float16", "float32", "float64", "half", "double", "int8", "int16",
           "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "complex64",
           "complex128", "string"]
