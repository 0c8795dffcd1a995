"""The trace compiler: ``tapegrad.function``, TensorFlow's ``tf.function`` for tapegrad.

On the first call with a new input signature, the Python function runs once, eagerly, while a
listener records every primitive it executes: its tapes' backward passes (run on tensors while
a tracer listens), variable writes and optimizer steps included. The record becomes a plan:
constants folded, values nobody uses dropped, and one straight-line Python function generated
that calls the NumPy kernels directly. Later calls with that signature run the generated
function: no op dispatch, no tensors, no tapes.

As in TensorFlow, Python side effects (``print``, appending to a list) happen while tracing only,
and Python control flow is fixed by what it saw then: here, the values of the first call with
that signature, since tracing runs eagerly on them. A signature is the shape and dtype of each
tensor or NumPy argument and the value of every other argument; a new one traces again. Traces
are specialised to shapes; ``reduce_retracing=True`` runs calls with unseen shapes eagerly
instead of tracing each one. Inside a recording GradientTape a function runs eagerly, so the tape
sees its ops and gradients flow through it.

>>> import tapegrad as tf
>>> w = tf.Variable(0.0)
>>> @tf.function
... def step(x, y):
...     with tf.GradientTape() as tape:
...         loss = tf.reduce_mean(tf.square(w * x - y))
...     w.assign_sub(0.1 * tape.gradient(loss, w))
...     return loss
>>> x = tf.constant([1.0, 2.0]); y = 3 * x
>>> for _ in range(50):
...     loss = step(x, y)
>>> round(float(w), 3), step.experimental_get_tracing_count()
(3.0, 1)
"""

from __future__ import annotations

import functools
import operator
import threading
from typing import Any, Callable, Sequence

import numpy as np

from . import config, nest, tape
from .dtypes import DType, as_dtype
from .ops import math as math_ops
from .tape import Primitive
from .tensor import Tensor, TensorShape, Variable, base_variable, to_numpy, wrap, write_listeners

__all__ = ["function", "Function", "TensorSpec"]


class TensorSpec:
    """The shape (None for any length) and dtype a ``function`` argument must have.

    >>> import tapegrad as tf
    >>> tf.TensorSpec(shape=[None, 3], dtype=tf.float32)
    TensorSpec(shape=(None, 3), dtype=tapegrad.float32, name=None)
    """

    def __init__(self, shape: Sequence[int | None] | None, dtype: DType | str = "float32",
                 name: str | None = None) -> None:
        self.shape = None if shape is None else TensorShape(shape)
        self.dtype = as_dtype(dtype)
        self.name = name

    def is_compatible_with(self, value: Any) -> bool:
        v = value._value if isinstance(value, Tensor) else np.asarray(value)
        return as_dtype(v.dtype) == self.dtype and (
            self.shape is None or self.shape.is_compatible_with(np.shape(v)))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorSpec) and (self.shape, self.dtype, self.name) == (
            other.shape, other.dtype, other.name)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.name))


# ----- recording a trace -----

class _Recorder:
    """Collects the ops and variable writes one thread runs while a function is traced."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.steps: list[tuple[Any, ...]] = []

    def on_op(self, prim: Primitive, out: Tensor, inputs: tuple[Tensor, ...],
              params: tuple[Any, ...]) -> None:
        if threading.get_ident() == self.thread:
            self.steps.append(("op", prim, out, inputs, params))

    def on_write(self, variable: Variable, mode: str, operand: Any) -> None:
        if threading.get_ident() == self.thread:
            self.steps.append(("write", variable, mode, operand))


# Kernels written inline in the generated code: a Python operator instead of a call.
_INLINE: dict[Any, str] = {
    operator.add: "{0} + {1}", operator.sub: "{0} - {1}", operator.mul: "{0} * {1}",
    operator.truediv: "{0} / {1}", operator.neg: "-{0}", operator.lt: "{0} < {1}",
    operator.le: "{0} <= {1}", operator.gt: "{0} > {1}", operator.ge: "{0} >= {1}",
}


def _inline(prim: Primitive, inputs: tuple[Tensor, ...]) -> str | None:
    if prim.kernel in _INLINE:
        return _INLINE[prim.kernel]
    floats = all(x._value.dtype.kind in "fc" for x in inputs)
    if prim is math_ops.DIV and floats:
        return "{0} / {1}"
    if prim is math_ops.SQUARE:
        return "{0} * {0}"
    if prim is math_ops.POW and floats:
        return "{0} ** {1}"
    return None


class _Plan:
    """A trace compiled into one straight-line Python function over NumPy values."""

    def __init__(self, recorder: _Recorder, placeholders: list[Tensor], result: Any) -> None:
        self.names: dict[int, str] = {id(p): f"a{i}" for i, p in enumerate(placeholders)}
        self.constants: dict[int, Any] = {}  # id -> value, for tensors known at trace time
        self.namespace: dict[str, Any] = {}
        self.variables: dict[int, str] = {}
        kept = self._fold(recorder.steps)
        result_leaves = nest.flatten(result)
        self.result = result
        # What each result leaf is read from; None for a variable or a Python value, returned
        # as they were when traced.
        self.returns = [self._source(x) if isinstance(x, Tensor) and not isinstance(x, Variable)
                        else None for x in result_leaves]
        self.single = type(result) is Tensor  # one tensor: no structure to rebuild
        lines = self._emit(self._live(kept, result_leaves))
        args = ", ".join(f"a{i}" for i in range(len(placeholders)))
        outs = "".join(f"{r}, " for r in self.returns if r is not None)
        source = f"def replay({args}):\n" + "".join(f"    {line}\n" for line in lines) + \
            f"    return ({outs})\n"
        self.source = source
        exec(compile(source, "<tapegrad.function>", "exec"), self.namespace)
        self.replay: Callable[..., tuple[Any, ...]] = self.namespace["replay"]

    def _bind(self, value: Any, prefix: str) -> str:
        name = f"{prefix}{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def _source(self, x: Any) -> str:
        """The expression for a value an op or write reads."""
        if isinstance(x, Tensor):
            if id(x) in self.names:
                return self.names[id(x)]
            if isinstance(x, Variable):
                return f"{self._variable(x)}._value"
            x = self.constants.get(id(x), x._value)
        return self._bind(x, "c")

    def _variable(self, v: Variable) -> str:
        """The name the generated code uses for variable ``v``."""
        root = base_variable(v)
        if id(root) not in self.variables:
            self.variables[id(root)] = self._bind(root, "V")
        return self.variables[id(root)]

    def _fold(self, steps: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Drop pure ops whose inputs are all known now; their outputs become constants."""
        kept = []
        for step in steps:
            if step[0] == "op":
                _, prim, out, inputs, _ = step
                known = all(id(x) not in self.names and not isinstance(x, Variable)
                            for x in inputs)
                if prim.pure and known:
                    self.constants[id(out)] = out._value
                    continue
                self.names[id(out)] = f"v{len(self.names)}"
            kept.append(step)
        return kept

    def _live(self, steps: list[tuple[Any, ...]], result: list[Any]) -> list[tuple[Any, ...]]:
        """The steps that feed a result, a variable write or an op with effects."""
        live = {id(x) for x in result if isinstance(x, Tensor)}
        needed = []
        for step in reversed(steps):
            if step[0] == "write":
                reads = [step[3]]
            elif not step[1].pure or id(step[2]) in live:
                reads = list(step[3])
            else:
                continue
            live.update(id(x) for x in reads if isinstance(x, Tensor))
            needed.append(step)
        return needed[::-1]

    def _emit(self, steps: list[tuple[Any, ...]]) -> list[str]:
        lines = []
        for step in steps:
            if step[0] == "write":
                _, variable, mode, operand = step
                target = f"{self._variable(variable)}._value"
                value = self._source(operand)
                expr = value if mode == "assign" else \
                    f"{target} {'+' if mode == 'add' else '-'} {value}"
                lines.append(f"{target} = {expr}")
                continue
            _, prim, out, inputs, params = step
            args = [self._source(x) for x in inputs]
            template = _inline(prim, inputs) if not params else None
            if template is not None:
                expr = template.format(*args)
            else:
                kernel = self._bind(prim.kernel, "k")
                args += [self._bind(p, "p") for p in params]
                expr = f"{kernel}({', '.join(args)})"
            lines.append(f"{self.names[id(out)]} = {expr}")
        return lines

    def outputs(self, values: tuple[Any, ...]) -> Any:
        """The function's result rebuilt from the replay's values."""
        if self.single:
            return wrap(values[0])
        it = iter(values)
        leaves = [x if r is None else wrap(next(it))
                  for x, r in zip(nest.flatten(self.result), self.returns)]
        return nest.pack_sequence_as(self.result, leaves)


# ----- the decorator -----

def _signature_part(x: Any) -> Any:
    if type(x) is Tensor:
        return ("tensor", x._value.shape, x._value.dtype)
    if isinstance(x, Variable):
        return ("variable", id(base_variable(x)))
    if isinstance(x, np.ndarray):
        return ("tensor", x.shape, x.dtype)
    try:
        hash(x)
        return ("python", type(x), x)
    except TypeError:
        return ("object", id(x))


def _is_tensor_argument(x: Any) -> bool:
    return isinstance(x, np.ndarray) or (isinstance(x, Tensor) and not isinstance(x, Variable))


def _value_of(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else to_numpy(x, None)


class Function:
    """A Python function compiled by tracing; see the module docstring. Made by ``function``."""

    def __init__(self, python_function: Callable[..., Any],
                 input_signature: Sequence[TensorSpec] | None = None,
                 reduce_retracing: bool = False) -> None:
        self.python_function = python_function
        if input_signature is not None and not isinstance(input_signature, (list, tuple)):
            raise TypeError(f"input_signature must be a list or tuple of TensorSpec, got "
                            f"{input_signature!r}")
        self.input_signature = None if input_signature is None else list(input_signature)
        self.reduce_retracing = reduce_retracing
        self._plans: dict[Any, _Plan] = {}
        self._traces = 0
        functools.update_wrapper(self, python_function)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return self if instance is None else functools.partial(self._call, (instance,))

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function has been traced."""
        return self._traces

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call((), *args, **kwargs)

    def _call(self, bound: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        """Call with ``bound`` (a method's instance) before ``args``."""
        if self.input_signature is not None:
            self._check_signature(args)
        args = bound + args
        if tape._state.tapes or tape._listeners or config._run_eagerly:
            # A tape records (it must see the ops), a trace is running (inline into it), or the
            # user asked for eager functions (tapegrad.config.run_functions_eagerly).
            return self.python_function(*args, **kwargs)
        if not kwargs and not any(isinstance(a, (list, tuple, dict)) for a in args):
            leaves: list[Any] = list(args)  # flat arguments: the common case, kept cheap
            structure = None
        else:
            leaves = nest.flatten((args, kwargs))
            structure = repr(nest.pack_sequence_as((args, kwargs), [0] * len(leaves)))
        key = (structure, tuple(map(_signature_part, leaves)))
        plan = self._plans.get(key)
        if plan is None:
            if self.reduce_retracing and self._seen_with_other_shapes(key):
                return self.python_function(*args, **kwargs)
            return self._trace(args, kwargs, leaves, key)  # the traced run is this call
        return plan.outputs(plan.replay(*[_value_of(x) for x in leaves
                                          if _is_tensor_argument(x)]))

    def _check_signature(self, args: tuple[Any, ...]) -> None:
        specs = self.input_signature
        if len(args) != len(specs) or not all(spec.is_compatible_with(a)
                                              for spec, a in zip(specs, args)):
            raise TypeError(f"Binding inputs to tapegrad.function failed: {args!r} does not "
                            f"match the input_signature {specs!r}.")

    def _seen_with_other_shapes(self, key: Any) -> bool:
        def shapeless(k: Any) -> Any:
            return (k[0], tuple(p[:1] + (len(p[1]),) + p[2:] if p[0] == "tensor" else p
                                for p in k[1]))
        return any(shapeless(k) == shapeless(key) for k in self._plans)

    def _trace(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
               key: Any) -> Any:
        """Run the function once on placeholders, keep its plan, and return its result."""
        placeholders = [wrap(_value_of(x)) for x in leaves if _is_tensor_argument(x)]
        substitutes = iter(placeholders)
        traced_args, traced_kwargs = nest.pack_sequence_as(
            (args, kwargs), [next(substitutes) if _is_tensor_argument(x) else x for x in leaves])
        recorder = _Recorder()
        tape.add_listener(recorder.on_op)
        write_listeners.append(recorder.on_write)
        try:
            result = self.python_function(*traced_args, **traced_kwargs)
        finally:
            write_listeners.remove(recorder.on_write)
            tape.remove_listener(recorder.on_op)
        self._traces += 1
        if self._traces == 5:
            tape.warn("5 calls to %s triggered tapegrad.function retracing. Tracing is "
                         "expensive: pass tensors of fixed shapes rather than Python numbers, "
                         "or use reduce_retracing=True.", self.python_function.__name__)
        self._plans[key] = _Plan(recorder, placeholders, result)
        return result


def function(func: Callable[..., Any] | None = None,
             input_signature: Sequence[TensorSpec] | None = None, autograph: bool = True,
             jit_compile: bool | None = None, reduce_retracing: bool = False,
             experimental_compile: bool | None = None, name: str | None = None
             ) -> Any:
    """Compile ``func`` by tracing, as ``tf.function``; usable with or without arguments.

    >>> import tapegrad as tf
    >>> @tf.function
    ... def f(x):
    ...     return x * x + 1.0
    >>> f(tf.constant(3.0))
    <tapegrad.Tensor: shape=(), dtype=float32, numpy=10.0>
    """
    def decorate(f: Callable[..., Any]) -> Function:
        return Function(f, input_signature, reduce_retracing)
    return decorate if func is None else decorate(func)
