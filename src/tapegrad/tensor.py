"""Tensor, Variable and the rules that turn Python and NumPy values into tensors.

A Tensor wraps one NumPy value (an ndarray, or a NumPy scalar for shape ``()``) and never
changes. A Variable is a Tensor whose value ``assign`` replaces; it never writes into an array in
place, so every tensor read from it keeps the value it had when it was read.

The arithmetic operators are installed on Tensor by ``tapegrad.ops.math``, next to the ops they
call, as TensorFlow's math_ops does.

>>> import tapegrad as tf
>>> x = tf.constant([[10, 20, 30]])
>>> x
<tapegrad.Tensor: shape=(1, 3), dtype=int32, numpy=array([[10, 20, 30]], dtype=int32)>
>>> v = tf.Variable(42.0)
>>> v
<tapegrad.Variable 'Variable:0' shape=() dtype=float32, numpy=42.0>
"""

from __future__ import annotations

import builtins
import math
import numbers
import operator
import threading
from typing import Any, Iterator, Sequence, Union

import numpy as np

from . import dtypes
from .dtypes import BY_NUMPY, DType, as_dtype
from .errors import invalid_argument

# ----- Shapes -----

class TensorShape(tuple):
    """A tensor's shape: a tuple of ints that prints like ``(1, 3)`` and equals lists and tuples.

    >>> s = TensorShape([1, 3])
    >>> s, str(s), s == (1, 3), s == [1, 3], s.as_list()
    (TensorShape([1, 3]), '(1, 3)', True, True, [1, 3])
    """

    __slots__ = ()

    def __new__(cls, dims: Sequence[int | None] | None = ()) -> TensorShape:
        return super().__new__(cls, () if dims is None else (None if d is None else int(d)
                                                             for d in dims))

    def __repr__(self) -> str:
        return f"TensorShape({list(self)})"

    def __str__(self) -> str:
        return tuple.__repr__(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, list)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__

    def __getitem__(self, key: Any) -> Any:
        item = tuple.__getitem__(self, key)
        return TensorShape(item) if isinstance(key, slice) else item

    @property
    def rank(self) -> int:
        return len(self)

    ndims = rank

    @property
    def dims(self) -> list[int | None]:
        return list(self)

    def as_list(self) -> list[int | None]:
        return list(self)

    def num_elements(self) -> int | None:
        """The number of elements, or None if a dimension is unknown."""
        return None if None in self else int(np.prod(self, dtype=np.int64))

    def is_fully_defined(self) -> bool:
        return None not in self

    def is_compatible_with(self, other: Sequence[int | None]) -> bool:
        """True where the ranks agree and every pair of known dimensions is equal."""
        other = TensorShape(other)
        return len(self) == len(other) and all(
            a is None or b is None or a == b for a, b in zip(self, other))

    def concatenate(self, other: Sequence[int | None]) -> TensorShape:
        return TensorShape(tuple(self) + tuple(TensorShape(other)))


# ----- Tensors -----

_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


class Tensor:
    """An immutable array of one dtype: the values ops take and return.

    Make one with ``tapegrad.constant`` or ``tapegrad.convert_to_tensor``; ops return them.

    >>> import tapegrad as tf
    >>> t = tf.constant([[1.5, 2.0], [3.0, 4.0]])
    >>> t.shape, t.dtype, float(t[1, 0])
    (TensorShape([2, 2]), tapegrad.float32, 3.0)
    """

    __slots__ = ("_value",)
    # NumPy's binary operators defer to ours, so ``ndarray * tensor`` is a Tensor.
    __array_priority__ = 100
    _trainable = False  # tapes watch trainable variables when an op reads them
    _parent = None  # set only on what Variable.assign returns: the variable it stands for

    def __init__(self, value: Any, dtype: DType | str | None = None) -> None:
        self._value = to_numpy(value, None if dtype is None else as_dtype(dtype))

    # -- what it is --
    @property
    def shape(self) -> TensorShape:
        return TensorShape(np.shape(self._value))

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def dtype(self) -> DType:
        return BY_NUMPY[self._value.dtype]

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def device(self) -> str:
        return _CPU

    def numpy(self) -> Any:
        """A NumPy copy of the value: an ndarray, or a NumPy scalar for a scalar tensor."""
        value = self._value  # noted by a tracing function, as in concrete()
        if _on_convert is not None:
            _on_convert(self, None, value)
        return value[()].copy() if isinstance(value, np.ndarray) and value.ndim == 0 \
            else value.copy()

    # -- Python protocols --
    def __array__(self, dtype: Any = None, copy: builtins.bool | None = None) -> np.ndarray:
        value = self._value  # noted by a tracing function, as in concrete()
        if _on_convert is not None:
            _on_convert(self, None, value)
        if copy or dtype is not None:
            return np.array(value, dtype=dtype, copy=True)
        view = np.asarray(value).view()
        view.flags.writeable = False  # the tensor's own buffer: readable, never writable
        return view

    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return len(self._value)

    def __iter__(self) -> Iterator[Tensor]:
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (self[i] for i in range(len(self._value)))

    # Where a value becomes a Python value: a tracing tapegrad.function notes each as a guard.
    def __bool__(self) -> builtins.bool:
        result = builtins.bool(self._value)
        if _on_convert is not None:
            _on_convert(self, builtins.bool, result)
        return result

    def __float__(self) -> float:
        result = float(self._value)
        if _on_convert is not None:
            _on_convert(self, float, result)
        return result

    def __int__(self) -> int:
        result = int(self._value)
        if _on_convert is not None:
            _on_convert(self, int, result)
        return result

    def __complex__(self) -> complex:
        result = complex(self._value)
        if _on_convert is not None:
            _on_convert(self, complex, result)
        return result

    def __index__(self) -> int:
        result = operator.index(self._value)
        if _on_convert is not None:
            _on_convert(self, operator.index, result)
        return result

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        return format(concrete(self), spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return Tensor, (self.numpy(),)

    def ref(self) -> Reference:
        """A hashable handle to this tensor (TensorFlow's ``ref()``); ``deref()`` gives it back."""
        return Reference(self)

    # -- printing, in TensorFlow's layout --
    def __repr__(self) -> str:
        return f"<tapegrad.Tensor: shape={self.shape}, dtype={self.dtype.name}, " \
               f"numpy={_value_text(self._value, True)}>"

    def __str__(self) -> str:
        return f"tapegrad.Tensor({_value_text(self._value, False)}, shape={self.shape}, " \
               f"dtype={self.dtype.name})"

    def _repr_pretty_(self, printer: Any, cycle: builtins.bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        import html
        return (f"<pre><b>{type(self).__name__}</b> shape={self.shape} dtype={self.dtype.name}"
                f"\n{html.escape(np.array2string(np.asarray(self._value)))}</pre>")


class Reference:
    """What ``Tensor.ref()`` returns: hashable by identity, ``deref()`` gives the tensor."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def deref(self) -> Tensor:
        return self._tensor

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, Reference) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<Reference wrapping {self._tensor!r}>"


# The trace compiler's hook: while a tapegrad.function traces, ``_on_convert(tensor, convert,
# result)`` is called wherever a tensor's value leaves the tensor world (``result`` is
# ``convert(value)``), so the compiled plan can check that the value still converts the same.
# None otherwise: eager code pays one global check per conversion.
_on_convert: Any = None


def concrete(t: Tensor) -> Any:
    """``t``'s NumPy value, for code that uses it as data outside ops (an index, a shape, a
    NumPy array): a tracing ``tapegrad.function`` checks it on every later call.

    >>> concrete(constant([1, 2]))
    array([1, 2], dtype=int32)
    """
    value = t._value
    if _on_convert is not None:
        _on_convert(t, None, value)
    return value


def snapshot(value: Any) -> Tensor:
    """A tensor of a value a variable held before it was assigned (what an op read, for a later
    backward pass). A tracing ``tapegrad.function`` cannot replay such a value, so a function
    whose trace needs one runs eagerly from then on.
    """
    t = wrap(value)
    if _on_convert is not None:
        _on_convert(t, snapshot, value)
    return t


def _value_text(value: Any, for_repr: builtins.bool) -> str:
    """TensorFlow's text for a value: the Python scalar's repr, or NumPy's repr/str of the array."""
    if np.ndim(value) == 0 and (for_repr or value.dtype.kind == "S"):  # a string: b'text'
        text = repr(value.item())
    else:
        text = repr(value) if for_repr else str(value)
    return "\n" + text if "\n" in text else text


_new_tensor = object.__new__


def wrap(value: Any) -> Tensor:
    """A Tensor around a NumPy value an op computed (no conversion, no copy)."""
    t = _new_tensor(Tensor)
    t._value = value
    return t


def is_tensor(x: Any) -> builtins.bool:
    """True for a Tensor or a Variable.

    >>> import tapegrad as tf
    >>> tf.is_tensor(tf.constant(1.0)), tf.is_tensor(1.0)
    (True, False)
    """
    return isinstance(x, Tensor)


# ----- Variables -----

class _NameScope(threading.local):
    name = ""  # the name scope ``tapegrad.name_scope`` opened on this thread: '' or 'outer/inner/'


name_scope_state = _NameScope()


class Variable(Tensor):
    """A named, mutable tensor: the parameters that training changes.

    Trainable float variables are watched by a GradientTape as soon as an op reads them.

    >>> import tapegrad as tf
    >>> v = tf.Variable(3.0)
    >>> v.assign_sub(1.0).numpy(), (v * 2).numpy()
    (np.float32(2.0), np.float32(4.0))
    """

    __slots__ = ("_name", "_trainable", "_declared")

    def __init__(self, initial_value: Any = None, trainable: builtins.bool = True,
                 name: str | None = None, dtype: DType | str | None = None,
                 shape: Sequence[int | None] | None = None) -> None:
        if initial_value is None:
            raise ValueError("The initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        dtype = None if dtype is None else as_dtype(dtype)
        if isinstance(initial_value, Tensor):
            value = initial_value._value if dtype is None else _cast_value(initial_value, dtype)
        else:
            value = to_numpy(initial_value, dtype)
        self._value = value
        self._name = f"{name_scope_state.name}{'Variable' if name is None else name}:0"
        self._trainable = trainable
        self._declared = TensorShape(np.shape(value) if shape is None else shape)
        if not self._declared.is_compatible_with(np.shape(value)):
            raise ValueError(f"The initial value's shape ({np.shape(value)}) is not compatible "
                             f"with the explicitly supplied `shape` argument ({shape}).")
        if _on_convert is not None:  # a tracing function: variables are made on its first trace
            _on_convert(self, Variable, None)

    @property
    def name(self) -> str:
        return self._name

    @property
    def trainable(self) -> builtins.bool:
        return self._trainable

    @property
    def shape(self) -> TensorShape:
        return self._declared if self._declared.is_fully_defined() else \
            TensorShape(np.shape(self._value))

    def value(self) -> Tensor:
        """The current value as a Tensor (recorded as a read on watching tapes)."""
        from .ops.math import identity
        return identity(self)

    read_value = value

    def assign(self, value: Any, use_locking: builtins.bool = False, name: str | None = None,
               read_value: builtins.bool = True) -> Variable | None:
        """Replace the value (same dtype, compatible shape); returns the variable as TF does."""
        operand = self._converted(value)
        return self._set(operand, read_value, "assign", value, operand)

    def assign_add(self, delta: Any, use_locking: builtins.bool = False,
                   name: str | None = None, read_value: builtins.bool = True) -> Variable | None:
        """Add ``delta`` (of the variable's shape) to the value."""
        operand = self._delta(delta, "AssignAddVariableOp")
        return self._set(self._value + operand, read_value, "add", delta, operand)

    def assign_sub(self, delta: Any, use_locking: builtins.bool = False,
                   name: str | None = None, read_value: builtins.bool = True) -> Variable | None:
        """Subtract ``delta`` (of the variable's shape) from the value."""
        operand = self._delta(delta, "AssignSubVariableOp")
        return self._set(self._value - operand, read_value, "sub", delta, operand)

    def _delta(self, delta: Any, op: str) -> Any:
        """An update for assign_add/sub: TensorFlow wants a numeric one of exactly this shape."""
        value = self._converted(delta)
        if self._value.dtype.kind == "b":
            raise invalid_argument(f"No OpKernel was registered to support Op '{op}' with these "
                                   "attrs: [dtype=DT_BOOL]")
        if value.shape != self._value.shape:
            raise invalid_argument(
                f"Cannot update variable with shape [{','.join(map(str, np.shape(self._value)))}]"
                f" using a Tensor with shape [{','.join(map(str, np.shape(value)))}], shapes "
                f"must be equal. [Op:{op}]")
        return value

    def _converted(self, value: Any) -> Any:
        """A value to store: the variable's dtype by TensorFlow's rules (no float64 tensors)."""
        if isinstance(value, Tensor):
            if value._value.dtype != self._value.dtype:
                raise ValueError(f"Tensor conversion requested dtype {self.dtype.name} for Tensor "
                                 f"with dtype {value.dtype.name}: {value!r}")
            return value._value
        return to_numpy(value, self.dtype)

    def _set(self, value: Any, read_value: builtins.bool, mode: str, given: Any,
             operand: Any) -> Variable | None:
        if value.shape != self._value.shape and \
                not self._declared.is_compatible_with(np.shape(value)):
            raise ValueError(
                f"Cannot assign value to variable ' {self.name}': Shape mismatch.The variable "
                f"shape {TensorShape(np.shape(self._value))}, and the assigned value shape "
                f"{TensorShape(np.shape(value))} are incompatible.")
        root = base_variable(self)
        root._value = value
        for listener in write_listeners:
            listener(root, mode, given if isinstance(given, Tensor) else operand)
        return _UnreadVariable(root) if read_value else None

    # -- writing part of the value (TensorFlow's scatter methods). Each is an assign of a value
    # made by ops, so a traced function replays it; the tape sees it as it sees assign: later
    # reads see the new value, and no gradient flows to what was written --
    def _scatter_nd(self, indices: Any, updates: Any, how: str) -> Variable:
        from .ops import indexing
        update = getattr(indexing, f"tensor_scatter_nd_{how}")
        return self.assign(update(self, indices, convert_to_tensor(updates, dtype=self.dtype)))

    def _sparse(self, sparse_delta: Any, how: str) -> Variable:
        if not (hasattr(sparse_delta, "indices") and hasattr(sparse_delta, "values")):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        rows = convert_to_tensor(sparse_delta.indices)
        return self._scatter_nd(rows._value[..., None], sparse_delta.values, how)

    def scatter_update(self, sparse_delta: Any, use_locking: builtins.bool = False,
                       name: str | None = None) -> Variable:
        """Rows ``sparse_delta.indices`` replaced by ``sparse_delta.values`` (IndexedSlices)."""
        return self._sparse(sparse_delta, "update")

    def scatter_add(self, sparse_delta: Any, use_locking: builtins.bool = False,
                    name: str | None = None) -> Variable:
        """``sparse_delta.values`` added to rows ``sparse_delta.indices`` (repeats add up)."""
        return self._sparse(sparse_delta, "add")

    def scatter_sub(self, sparse_delta: Any, use_locking: builtins.bool = False,
                    name: str | None = None) -> Variable:
        """``sparse_delta.values`` subtracted from rows ``sparse_delta.indices``."""
        return self._sparse(sparse_delta, "sub")

    def scatter_max(self, sparse_delta: Any, use_locking: builtins.bool = False,
                    name: str | None = None) -> Variable:
        """Rows ``sparse_delta.indices`` raised to at least ``sparse_delta.values``."""
        return self._sparse(sparse_delta, "max")

    def scatter_min(self, sparse_delta: Any, use_locking: builtins.bool = False,
                    name: str | None = None) -> Variable:
        """Rows ``sparse_delta.indices`` lowered to at most ``sparse_delta.values``."""
        return self._sparse(sparse_delta, "min")

    def scatter_nd_update(self, indices: Any, updates: Any, name: str | None = None
                          ) -> Variable:
        """Entries at n-d ``indices`` replaced by ``updates``, as ``tensor_scatter_nd_update``.

        >>> import tapegrad as tf
        >>> v = tf.Variable([1.0, 2.0, 3.0])
        >>> v.scatter_nd_update([[0], [2]], [9.0, 8.0]).numpy().tolist()
        [9.0, 2.0, 8.0]
        """
        return self._scatter_nd(indices, updates, "update")

    def scatter_nd_add(self, indices: Any, updates: Any, name: str | None = None) -> Variable:
        """``updates`` added at n-d ``indices``."""
        return self._scatter_nd(indices, updates, "add")

    def scatter_nd_sub(self, indices: Any, updates: Any, name: str | None = None) -> Variable:
        """``updates`` subtracted at n-d ``indices``."""
        return self._scatter_nd(indices, updates, "sub")

    def _store(self, value: Any) -> None:
        """Replace the value without checks or listeners: for kernels that own the update
        (an optimizer step), which the trace compiler replays as one op."""
        self._value = value

    def __repr__(self) -> str:
        return f"<tapegrad.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, " \
               f"numpy={_value_text(self._value, True)}>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """A variable formats as its repr (``f"{v}"``), as in TensorFlow; a Tensor formats its
        value, so ``f"{v.numpy():.3f}"`` or ``f"{tf.identity(v):.3f}"`` formats a number."""
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}.__format__")
        return repr(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return Variable, (self.numpy(), self._trainable, self._name[:-2])


class _UnreadVariable(Variable):
    """What ``assign`` returns, as in TensorFlow: the same variable, named UnreadVariable."""

    __slots__ = ("_parent",)

    def __init__(self, parent: Variable) -> None:
        self._parent = parent

    _value = property(lambda self: self._parent._value)
    _trainable = property(lambda self: self._parent._trainable)
    _declared = property(lambda self: self._parent._declared)

    @property
    def name(self) -> str:
        return "UnreadVariable"


class VariableSlice(Tensor):
    """What indexing a Variable returns: the sliced values, whose ``assign`` writes them back
    into the variable (``v[1:3].assign(...)``), as in TensorFlow.

    >>> import tapegrad as tf
    >>> v = tf.Variable([1.0, 2.0, 3.0])
    >>> v[1:].assign([5.0, 6.0]).numpy().tolist()
    [1.0, 5.0, 6.0]
    """

    __slots__ = ("_variable", "_key")

    def __init__(self, variable: Variable, key: Any, value: Any) -> None:
        self._variable = base_variable(variable)
        self._key = key
        self._value = value

    def assign(self, value: Any, use_locking: builtins.bool = False, name: str | None = None,
               read_value: builtins.bool = True) -> Variable | None:
        """Write ``value`` (of the slice's shape) into the variable; returns the variable."""
        from . import tape
        from .ops import array, math
        variable = self._variable
        update = value if isinstance(value, Tensor) else convert_to_tensor(value, variable.dtype)
        if np.shape(update._value) != np.shape(self._value):
            raise invalid_argument(f"sliced l-value shape {list(np.shape(self._value))} does "
                                   f"not match r-value shape {list(np.shape(update._value))}. "
                                   "Automatic broadcasting not yet implemented. "
                                   "[Op:ResourceStridedSliceAssign]")
        shape = np.shape(variable._value)
        inside = np.zeros(shape, builtins.bool)
        inside[self._key] = True
        placed = tape.apply(array.SLICE_GRAD, (update,), (self._key, shape))
        return variable.assign(math.where(inside, placed, variable), read_value=read_value)


def base_variable(v: Variable) -> Variable:
    """The variable itself, also when ``v`` is what ``assign`` returned (an UnreadVariable)."""
    return v if v._parent is None else v._parent


# Called as listener(variable, mode, operand) after each assign, assign_add ('add') or
# assign_sub ('sub'); the operand is the tensor given, or the converted value. The trace
# compiler listens here while it traces; eager code pays one empty-list check per assign.
write_listeners: list[Any] = []


# ----- Converting Python and NumPy values -----

TensorLike = Union[Tensor, np.ndarray, np.generic, float, int, builtins.bool, Sequence[Any]]


def to_numpy(value: Any, dtype: DType | None) -> Any:
    """A NumPy value for ``value`` by TensorFlow's rules, as a fresh copy.

    Python floats become float32 and ints int32 (int64 when too large); lists follow their
    elements; NumPy values keep their dtype. With ``dtype`` a NumPy value is cast, but a Python
    float never becomes an integer (TypeError, as in TensorFlow).
    """
    if isinstance(value, (str, bytes)) or isinstance(value, (np.ndarray, np.generic)) and (
            value.dtype.kind in "USO"):
        return _strings(value, dtype)
    if dtype is dtypes.string and not isinstance(value, (Tensor, list, tuple)):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
    if isinstance(value, (np.ndarray, np.generic)):
        _check_supported(value.dtype, value)
        if dtype is None:
            return value.copy()
        return value.astype(dtype._np)
    if isinstance(value, Tensor):
        return _cast_value(value, dtype) if dtype is not None else value._value
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        from .ops.array import stack
        return to_numpy(stack(list(value)), dtype)
    if value is None or not (
            isinstance(value, (numbers.Number, list, tuple)) or hasattr(value, "__array__")):
        if dtype is not None:
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
        raise ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                         f"({type(value)}) to a Tensor.")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from e
    except OverflowError as e:
        raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.") \
            from e
    if array.dtype.kind in "US" or array.dtype == object and array.size and all(
            isinstance(x, (str, bytes)) for x in array.flat):
        return _strings(array, dtype)
    if array.dtype == object:
        if any(isinstance(x, int) for x in array.flat):
            raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    if hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
        _check_supported(array.dtype, value)
        return array.copy() if dtype is None else array.astype(dtype._np)
    kind = array.dtype.kind
    if dtype is None:
        if kind == "f":
            return _scalar_or_array(array.astype(np.float32))
        if kind in "iu":
            if array.size and (array.min() < -2**31 or array.max() >= 2**31):
                return _scalar_or_array(array.astype(np.int64))
            return _scalar_or_array(array.astype(np.int32))
        _check_supported(array.dtype, value)
        return _scalar_or_array(array)
    if kind in "fc" and (dtype.is_integer or dtype.is_bool) or kind not in "fciub" or \
            dtype is dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if kind == "c" and not dtype.is_complex:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if kind in "iu" and dtype.is_integer and array.size and (
            array.min() < dtype.min or array.max() > dtype.max):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    return _scalar_or_array(array.astype(dtype._np))


def _strings(value: Any, dtype: DType | None) -> Any:
    """Strings as TensorFlow keeps them, as bytes (str encoded in UTF-8): a 0-d ``bytes_`` array
    for one string, or an object array of ``bytes``."""
    if dtype is not None and dtype is not dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    array = np.asarray(value)
    items = [x.encode() if isinstance(x, str) else x for x in array.flat]
    if not all(isinstance(x, bytes) for x in items):
        raise ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                         f"({type(value)}) to a Tensor.")
    if array.ndim == 0:  # a 0-d array, not a NumPy scalar: bytes_[()] would index the bytes
        return np.array(items[0])
    strings = np.empty(array.shape, dtype=object)
    strings.flat[:] = items
    return strings


def _scalar_or_array(array: np.ndarray) -> Any:
    """NumPy scalars for shape (): their arithmetic costs a tenth of a 0-d array's."""
    return array[()] if array.ndim == 0 else array


def _holds_tensor(seq: Sequence[Any]) -> builtins.bool:
    return any(isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _holds_tensor(x))
               for x in seq)


def _check_supported(np_dtype: np.dtype, value: Any) -> None:
    if np_dtype not in BY_NUMPY:
        raise TypeError(f"tapegrad has no dtype for NumPy's {np_dtype} (value {value!r}); "
                        "use a numeric or bool array.")


def _cast_value(tensor: Tensor, dtype: DType) -> Any:
    if tensor._value.dtype != dtype._np:
        raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                         f"{tensor.dtype.name}: {tensor!r}")
    return tensor._value


def tensor_of(x: Any) -> Tensor:
    """``x`` itself if it is a Tensor (a Variable stays the variable, so a tape sees the op read
    it), else ``x`` converted: how ops take their tensor arguments."""
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def convert_to_tensor(value: Any, dtype: DType | str | None = None,
                      dtype_hint: DType | str | None = None, name: str | None = None) -> Tensor:
    """``value`` as a Tensor: a Tensor as it is, a Variable read, anything else converted.

    >>> import tapegrad as tf
    >>> tf.convert_to_tensor([[10, 20, 30]], dtype=tf.float32)
    <tapegrad.Tensor: shape=(1, 3), dtype=float32, numpy=array([[10., 20., 30.]], dtype=float32)>
    """
    dtype = None if dtype is None else as_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None:
            _cast_value(value, dtype)
        return value.value() if isinstance(value, Variable) else value
    if dtype is None and dtype_hint is not None:
        try:
            return wrap(to_numpy(value, as_dtype(dtype_hint)))
        except (TypeError, ValueError):
            pass
    return wrap(to_numpy(value, dtype))


def constant(value: Any, dtype: DType | str | None = None,
             shape: Sequence[int] | None = None, name: str | None = None) -> Tensor:
    """A tensor holding a copy of ``value``, optionally cast to ``dtype`` and reshaped or filled.

    >>> import tapegrad as tf
    >>> tf.constant(3.0), tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy().tolist()
    (<tapegrad.Tensor: shape=(), dtype=float32, numpy=3.0>, [[1, 2], [3, 4]])
    """
    dtype = None if dtype is None else as_dtype(dtype)
    if isinstance(value, Tensor):
        array = concrete(value)  # a traced tensor made a constant: the plan guards its value
        array = array if dtype is None else array.astype(dtype._np)
    else:
        array = to_numpy(value, dtype)
    if shape is not None:
        shape = new_shape(shape, "Const")
        if np.size(array) == 1:
            array = np.full(shape, np.reshape(array, ()), dtype=array.dtype)
        elif np.size(array) == int(np.prod(shape, dtype=np.int64)):
            array = np.reshape(array, shape)
        else:
            raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                            f"{value!r} (converted from {value!r}) has {np.size(array)} elements, "
                            f"but got `shape` {shape} with {int(np.prod(shape))} elements).")
        array = _scalar_or_array(np.asarray(array))
    return wrap(array)


def as_ints(value: Any, what: str) -> tuple[int, ...]:
    """An integer argument (axis, shape, perm, multiples): an int, a sequence of ints, or an
    integer tensor or array of at most one dimension, as a tuple of ints.

    Other values are refused as TensorFlow refuses them, naming the argument, never truncated:
    a float, string or None is a TypeError; a tensor or array of a non-integer dtype, or of more
    than one dimension, is an InvalidArgumentError.

    >>> as_ints([2, np.int64(3)], "shape"), as_ints(constant([0, 1]), "axis")
    ((2, 3), (0, 1))
    """
    if isinstance(value, Tensor):
        value = concrete(value)
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind not in "iub":
            raise invalid_argument(f"{what} must be int32 or int64, got a {value.dtype.name} "
                                   f"value: {value!r}")
        if value.ndim > 1:
            raise invalid_argument(f"{what} must be a scalar or a vector, got one of shape "
                                   f"{list(value.shape)}")
        return tuple(int(v) for v in np.reshape(value, -1))
    ints = []
    for v in value if isinstance(value, (list, tuple)) else (value,):
        if isinstance(v, Tensor):
            v = concrete(v)
        if isinstance(v, (np.ndarray, np.generic)) and v.ndim == 0 and v.dtype.kind in "iub":
            v = int(v)
        if not isinstance(v, numbers.Integral):
            raise TypeError(f"{what} must be integers, got {value!r}")
        if not -2**63 <= v < 2**63:
            raise ValueError(f"Can't convert {what} {value!r}: an integer is out of range.")
        ints.append(int(v))
    return tuple(ints)


def as_int(value: Any, what: str) -> int:
    """One integer argument (an axis, a count): an int or a 0-d integer tensor; see ``as_ints``.

    >>> as_int(np.int32(2), "axis")
    2
    """
    if isinstance(value, (list, tuple)) or np.ndim(value._value if isinstance(value, Tensor)
                                                    else value) != 0:
        raise TypeError(f"{what} must be a single integer, got {value!r}")
    return as_ints(value, what)[0]


def as_shape(shape: Any) -> tuple[int, ...]:
    """A shape argument (list, tuple, TensorShape, int, or 1-D int tensor) as a tuple of ints."""
    return as_ints(shape, "shape")


def new_shape(shape: Any, op: str) -> tuple[int, ...]:
    """The shape of a tensor an op creates: ``as_shape``, refusing what TensorFlow refuses."""
    dims = as_shape(shape)
    for d in dims:
        if d < 0:
            raise invalid_argument(f"Dimension {d} must be >= 0 [Op:{op}] name: ")
    if math.prod(dims) >= 2**63:
        raise invalid_argument(f"Shape {list(dims)} would have more than 2**63 - 1 elements "
                               f"[Op:{op}] name: ")
    return dims


__all__ = ["Tensor", "Variable", "TensorShape", "TensorLike", "convert_to_tensor", "constant",
           "is_tensor", "tensor_of", "wrap", "to_numpy", "concrete", "as_shape", "as_int",
           "as_ints", "new_shape", "dtypes"]
