"""The trace compiler: ``tapegrad.function``, TensorFlow's ``tf.function`` for tapegrad.

On the first call with a new input signature, the Python function runs once, eagerly, while a
listener records every primitive it executes: its tapes' backward passes (run on tensors while
a tracer listens), variable writes and optimizer steps included. The record becomes a plan:
constants folded, values nobody uses dropped, and one straight-line Python function generated
that calls the NumPy kernels directly. Later calls with that signature run the generated
function: no op dispatch, no tensors, no tapes.

A traced function is never wrong: it returns what the eager function returns, call by call.
Python control flow sees real values while tracing (``if tf.reduce_sum(x) > 0``, ``float(t)``,
``int(n)`` in a ``range``, ``t.numpy()``, an index from ``tf.argmax``), so each point where a
traced tensor's value becomes a Python value is a *guard*: the plan checks, right after it
computes that tensor, that the value still converts to what the trace saw. When a guard fails,
the plan's partial run is rolled back (the variables it wrote get their values back, random
generators their state, ``tapegrad.print`` output is dropped: it is buffered until the plan
completes) and the call runs the function again while tracing, which gives eager's result and a
new plan for that path. Each signature keeps a tree of at most 8 such plans, chosen by guard
outcomes; beyond that, calls on new paths run eagerly (with one warning). TensorFlow's AutoGraph
instead rewrites ``if``/``while`` on tensors into graph conditionals, and raises where it cannot:
here the Python code runs as written. The functional forms ``tapegrad.cond``, ``case``,
``switch_case`` and ``while_loop`` on traced values compile into real ``if``/``while`` blocks of
one plan; under a GradientTape inside the function, a branch's gradient is a compiled branch
too. Where they cannot compile (a branch with effects, a loop under a tape) they run the branch
taken, guarded like Python control flow.

As in TensorFlow, Python side effects (``print``, appending to a list) happen while tracing
only, and ``tapegrad.print`` prints on every call. A signature is the shape and dtype of each
tensor or NumPy argument and the value of every other argument; a new one traces again. Traces
are specialised to shapes; ``reduce_retracing=True`` runs calls with unseen shapes eagerly
instead of tracing each one. Inside a recording GradientTape a function runs eagerly, so the
tape sees its ops and gradients flow through it.

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
import inspect
import itertools
import operator
import sys
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import config, nest, tape
from . import tensor as tensor_module
from .dtypes import DType, as_dtype
from .errors import invalid_argument
from .ops import control_flow
from .ops import math as math_ops
from .ops import reduce as reduce_ops
from .tape import Primitive
from .tensor import (
    Tensor,
    TensorShape,
    Variable,
    base_variable,
    snapshot,
    to_numpy,
    wrap,
    write_listeners,
)

__all__ = ["function", "Function", "ConcreteFunction", "TensorSpec"]

MAX_PATHS = 8  # plans per signature, one per path through value-dependent Python control flow


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

    @classmethod
    def from_tensor(cls, tensor: Any, name: str | None = None) -> TensorSpec:
        """The spec of a tensor or array: its shape and dtype."""
        v = _value_of(tensor)
        return cls(np.shape(v), as_dtype(v.dtype), name)

    def is_compatible_with(self, value: Any) -> bool:
        if isinstance(value, TensorSpec):
            return value.dtype == self.dtype and (
                self.shape is None or value.shape is not None and
                self.shape.is_compatible_with(value.shape))
        v = value._value if isinstance(value, Tensor) else np.asarray(value)
        return as_dtype(v.dtype) == self.dtype and (
            self.shape is None or self.shape.is_compatible_with(np.shape(v)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorSpec) and (self.shape, self.dtype, self.name) == (
            other.shape, other.dtype, other.name)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.name))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"



# ----- recording a trace -----

_recorders: list[_Recorder] = []  # the traces running now, on any thread


def _on_convert(t: Tensor, convert: Any, result: Any) -> None:
    for recorder in _recorders:
        recorder.on_convert(t, convert, result)


class _Recorder:
    """Collects the ops, variable writes and guards one thread runs while a function is traced."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.steps: list[tuple[Any, ...]] = []
        self.guards = 0
        self.opaque = False  # the trace needs a value no plan can compute: run eagerly
        self.created: list[Variable] = []  # variables made while tracing
        self.traced: set[int] = set()  # ids of values that depend on the arguments or effects

    def on_op(self, prim: Primitive, out: Tensor, inputs: tuple[Tensor, ...],
              params: tuple[Any, ...]) -> None:
        if threading.get_ident() == self.thread:
            self.steps.append(("op", prim, out, inputs, params))
            if not prim.pure or any(id(x) in self.traced or isinstance(x, Variable)
                                    for x in inputs):
                self.traced.add(id(out))

    def is_traced(self, t: Any) -> bool:
        return isinstance(t, Variable) or (isinstance(t, Tensor) and id(t) in self.traced)

    def on_write(self, variable: Variable, mode: str, operand: Any) -> None:
        if threading.get_ident() == self.thread:
            self.steps.append(("write", variable, mode, operand))

    def on_convert(self, t: Tensor, convert: Any, result: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        if convert is Variable:
            self.created.append(t)
            return
        if convert is snapshot:  # a variable's earlier value: no plan can replay it
            self.opaque = True
            return
        if convert is None:  # the value itself: keep what it was
            result = result.copy()
        self.steps.append(("guard", t, convert, result, self.guards))
        self.guards += 1

    def __enter__(self) -> _Recorder:
        tape.add_listener(self.on_op)
        write_listeners.append(self.on_write)
        _recorders.append(self)
        tensor_module._on_convert = _on_convert
        return self

    def __exit__(self, *exc: object) -> None:
        _recorders.remove(self)
        if not _recorders:
            tensor_module._on_convert = None
        write_listeners.remove(self.on_write)
        tape.remove_listener(self.on_op)


def _this_thread_recorder() -> _Recorder | None:
    thread = threading.get_ident()
    return next((r for r in reversed(_recorders) if r.thread == thread), None)


def compile_branches(selector: Tensor, mode: str, fns: list[tuple[Any, Callable[[], Any]]]
                     ) -> Any:
    """While tracing, make a ``cond`` (``mode`` "bool") or ``switch_case`` ("index") on a
    traced ``selector`` one step of the plan: a real ``if`` whose arms are the branches'
    traces, so one plan covers every branch. ``fns`` are (key, branch), the last one the
    ``else``. Every branch runs now, on the traced values; their effects are undone.

    With GradientTapes recording, the branches run unseen by them, and each output is
    recorded as one op whose gradient is itself a compiled branch (each arm recomputes its
    branch under a tape and differentiates it), so the plan's backward pass also follows
    the branch each call takes.

    Returns NotImplemented (the caller then runs the branch taken, and the plan guards the
    selector) when the branches cannot be compiled: when not tracing, on a constant selector,
    or when a branch has effects, makes variables, raises, or returns what the others cannot
    match.
    """
    recorder = _this_thread_recorder()
    if recorder is None or not recorder.is_traced(selector):
        return NotImplemented
    outer, created = recorder.steps, len(recorder.created)
    tapes = list(tape._state.tapes)
    arms = []
    try:
        with _Effectless():
            for t in tapes:
                tape._stop(t)
            for key, fn in fns:
                recorder.steps = []
                out = fn()
                arms.append((key, recorder.steps, out))
    except Exception:
        return NotImplemented
    finally:
        recorder.steps = outer
        for t in tapes:
            tape._start(t)
    if len(recorder.created) != created or any(
            s[0] == "write" or (s[0] == "op" and not s[1].pure) for _, inner, _ in arms
            for s in _flat_steps(inner)):
        del recorder.created[created:]
        return NotImplemented
    flats = [nest.flatten(out) for _, _, out in arms]
    if any(len(f) != len(flats[0]) for f in flats):
        return NotImplemented
    taken_index = _taken(selector, mode, [key for key, _, _ in arms])
    outs, leaves_by_arm = [], [[] for _ in arms]
    results = []
    for column in zip(*flats):
        if not any(isinstance(x, Tensor) for x in column):
            if any(type(x) is not type(column[0]) or x != column[0] for x in column[1:]):
                return NotImplemented
            results.append(column[0])
            continue
        if not all(isinstance(x, Tensor) for x in column) or \
                len({x._value.dtype for x in column}) != 1:
            return NotImplemented
        out = wrap(column[taken_index]._value)
        outs.append(out)
        for leaves, x in zip(leaves_by_arm, column):
            leaves.append(x)
        results.append(out)
    recorder.traced.update(map(id, outs))
    recorder.steps.append(("branch", selector, mode,
                           [(key, inner, leaves) for (key, inner, _), leaves
                            in zip(arms, leaves_by_arm)], outs))
    if tapes:
        _record_branch_gradients(recorder, selector, mode, fns, arms, outs)
    return nest.pack_sequence_as(arms[taken_index][2], results)


def _record_branch_gradients(recorder: _Recorder, selector: Tensor, mode: str,
                             fns: list[tuple[Any, Callable[[], Any]]],
                             arms: list[tuple[Any, list[Any], Any]], outs: list[Tensor]) -> None:
    """Record each float output of a compiled branch on the recording tapes, as one op of the
    float values the branches read (their captures)."""
    produced: set[int] = set()
    for _, inner, _ in arms:
        for s in _flat_steps(inner):
            if s[0] == "op":
                produced.add(id(s[2]))
    captures: dict[int, Tensor] = {}
    for _, inner, leaves in arms:
        for x in nest.flatten(leaves) + [r for s in inner for r in _reads(s)]:
            if isinstance(x, Tensor) and id(x) not in produced and \
                    x._value.dtype.kind in "fc":
                x = base_variable(x) if isinstance(x, Variable) else x
                captures.setdefault(id(x), x)
    inputs = tuple(captures.values())
    if not inputs:
        return
    cache: dict[tuple[int, int], Any] = {}

    def rule(j: int, i: int) -> Callable[..., Any]:
        def vjp(xp: Any, g: Any, ans: Any, *values: Any) -> Any:
            hit = cache.get((j, id(g)))
            if hit is None:
                upstream = g if isinstance(g, Tensor) else wrap(g)
                hit = cache[(j, id(g))] = (g, _branch_gradients(selector, mode, fns, inputs,
                                                                j, upstream))
            gi = hit[1][i]
            return gi if isinstance(g, Tensor) else gi._value
        return vjp

    for j, out in enumerate(outs):
        if out._value.dtype.kind in "fc":
            prim = Primitive("If", None, *(rule(j, i) for i in range(len(inputs))))
            with _Paused(recorder):  # the plan runs the branch step, not this op
                tape.record(prim, out, inputs, ())


def _branch_gradients(selector: Tensor, mode: str, fns: list[tuple[Any, Callable[[], Any]]],
                      captures: tuple[Tensor, ...], j: int, upstream: Tensor) -> list[Tensor]:
    """The gradient of output ``j`` of a branch for each capture, weighted by ``upstream``:
    a compiled branch whose arms each recompute their branch under a tape."""
    def arm(fn: Callable[[], Any]) -> Callable[[], Any]:
        def gradients() -> list[Tensor]:
            with tape.GradientTape() as inner:
                inner.watch(list(captures))
                out = [x for x in nest.flatten(fn()) if isinstance(x, Tensor)][j]
                # upstream weights the output by ops, so the plan computes it on every call
                weighted = reduce_ops.reduce_sum(out * upstream)
            return inner.gradient(weighted, list(captures), unconnected_gradients="zero")
        return gradients
    compiled = compile_branches(selector, mode, [(key, arm(fn)) for key, fn in fns])
    if compiled is not NotImplemented:
        return compiled
    keys = [key for key, _ in fns]  # the branch taken, read as a Python value: a guard
    index = (0 if bool(selector) else 1) if mode == "bool" else (
        keys.index(int(selector)) if int(selector) in keys[:-1] else len(keys) - 1)
    return arm(fns[index][1])()


def compile_loop(cond: Callable[..., Any], body: Callable[..., Any], state: Any,
                 limit: int | None) -> Any:
    """While tracing, make a ``while_loop`` one step of the plan: a real ``while`` loop whose
    test and body are traces of ``cond`` and ``body`` on stand-ins for the loop variables.

    ``state`` is the loop variables (a tuple of tensors or structures of them); ``body``
    returns the same structure, of tensors. Returns the final state, computed
    by running the loop now, or NotImplemented (the caller loops eagerly, its predicates
    guarded) when not tracing, with a tape recording, when nothing traced enters the loop, or
    when the test or body has effects, guards, makes variables, or changes a structure or dtype.
    """
    recorder = _this_thread_recorder()
    if recorder is None or tape._state.tapes:
        return NotImplemented
    leaves = nest.flatten(state)
    if not all(isinstance(x, Tensor) for x in leaves):
        return NotImplemented
    outer_traced = set(recorder.traced)
    stand_ins = [wrap(x._value) for x in leaves]
    recorder.traced.update(map(id, stand_ins))
    structure = nest.pack_sequence_as(state, stand_ins)
    outer, created = recorder.steps, len(recorder.created)
    try:
        with _Effectless():
            recorder.steps = test_steps = []
            test = cond(*structure)
            recorder.steps = body_steps = []
            out = body(*structure)
    except Exception:
        return NotImplemented
    finally:
        recorder.steps = outer
    inner = _flat_steps(test_steps + body_steps)
    new = nest.flatten(out)
    if len(recorder.created) != created or not isinstance(test, Tensor) or \
            test._value.dtype.kind != "b" or np.ndim(test._value) != 0 or \
            len(new) != len(leaves) or not all(
                isinstance(y, Tensor) and y._value.dtype == x._value.dtype
                for x, y in zip(leaves, new)) or any(
                s[0] in ("write", "guard") or (s[0] == "op" and not s[1].pure) for s in inner):
        del recorder.created[created:]
        return NotImplemented
    if not any(id(x) in outer_traced or isinstance(x, Variable)
               for x in leaves + [r for s in inner for r in _reads(s)]):
        return NotImplemented  # everything is known now: loop eagerly, folded into constants
    with _Paused(recorder):
        values = [x._value for x in leaves]
        count = 0
        while limit is None or count < limit:
            current = nest.pack_sequence_as(state, [wrap(v) for v in values])
            if not bool(cond(*current)._value):
                break
            values = [y._value for y in nest.flatten(body(*current))]
            count += 1
    outs = [wrap(v) for v in values]
    recorder.traced.update(map(id, outs))
    recorder.steps.append(("loop", leaves, stand_ins, test_steps, test, body_steps, new, outs,
                           limit))
    return nest.pack_sequence_as(state, outs)


class _Paused:
    """Stops ``recorder`` listening (ops, writes, conversions) for a block."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder

    def __enter__(self) -> None:
        self.recorder.thread = -1  # its listeners ignore other threads

    def __exit__(self, *exc: object) -> None:
        self.recorder.thread = threading.get_ident()


def _flat_steps(steps: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The steps, with those of compiled branches and loops in place of them."""
    flat = []
    for s in steps:
        if s[0] == "branch":
            flat += [y for _, inner, _ in s[3] for y in _flat_steps(inner)]
        elif s[0] == "loop":
            flat += _flat_steps(s[3] + s[5])
        else:
            flat.append(s)
    return flat


def _taken(selector: Tensor, mode: str, keys: list[Any]) -> int:
    """Which arm the selector's value takes (read without a guard: the plan branches on it)."""
    value = selector._value
    if mode == "bool":
        return 0 if bool(value) else 1
    index = int(value)
    return keys.index(index) if index in keys[:-1] else len(keys) - 1


class _OtherPathError(Exception):
    """Raised by a plan whose guard ``index`` saw a value that converts differently."""

    def __init__(self, index: int, value: Any) -> None:
        self.index = index
        self.value = value


def _outcome(convert: Any, value: Any) -> Any:
    """What a guard's value converts to, as a dictionary key (NaN made equal to itself)."""
    if convert is None:
        value = np.asarray(value)
        return (value.dtype.str, value.shape, value.tobytes())
    result = convert(value)
    return "nan" if result != result else result


def _same_array(value: Any, expected: Any) -> bool:
    return np.shape(value) == np.shape(expected) and value.dtype == expected.dtype and \
        np.array_equal(value, expected, equal_nan=value.dtype.kind in "fc")


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


def _reads(step: tuple[Any, ...]) -> list[Any]:
    """The values a step reads (for a compiled branch: every value its arms read)."""
    kind = step[0]
    if kind == "op":
        return list(step[3])
    if kind == "write":
        return [step[3]]
    if kind == "guard":
        return [step[1]]
    if kind == "loop":
        return step[1] + [step[4]] + step[6] + [r for s in step[3] + step[5] for r in _reads(s)]
    return [step[1]] + [x for _, inner, leaves in step[3]
                        for x in leaves + [r for s in inner for r in _reads(s)]]


def _collect_guards(steps: list[tuple[Any, ...]], after: dict[int, list[Any]],
                    in_place: set[int], produced: set[int]) -> None:
    """Sort guards: those on a value computed in the same block (or an argument, at the top)
    go right after it (``after``, by the value's id); others are checked where they stand
    (``in_place``, by the guard's id): a variable's, or one in a branch on an outer value."""
    for step in steps:
        if step[0] == "op":
            produced.add(id(step[2]))
        elif step[0] == "branch":
            for _, inner, _ in step[3]:
                _collect_guards(inner, after, in_place, set())
            produced.update(id(o) for o in step[4] if o is not None)
        elif step[0] == "loop":
            produced.update(map(id, step[7]))
    for step in steps:
        if step[0] == "guard":
            if isinstance(step[1], Variable) or id(step[1]) not in produced:
                in_place.add(id(step))
            else:
                after.setdefault(id(step[1]), []).append(step)


def _param_variables(params: tuple[Any, ...]) -> list[Variable]:
    """The variables an op with effects may write: those among its parameters, and the
    ``variables`` of an object among them (an optimizer's slots and iteration count)."""
    found: list[Variable] = []
    for p in params:
        for x in (p if isinstance(p, (list, tuple)) else (p,)):
            if isinstance(x, Variable):
                found.append(base_variable(x))
            elif isinstance(getattr(type(x), "variables", None), property):
                found.extend(base_variable(v) for v in x.variables
                             if isinstance(v, Variable))
    return found


class _Plan:
    """A trace compiled into one straight-line Python function over NumPy values."""

    def __init__(self, recorder: _Recorder, placeholders: list[Tensor], result: Any) -> None:
        self.names: dict[int, str] = {id(p): f"a{i}" for i, p in enumerate(placeholders)}
        self.constants: dict[int, Any] = {}  # id -> value, for tensors known at trace time
        self.namespace: dict[str, Any] = {"D": _OtherPathError, "same": _same_array}
        self.variables: dict[int, str] = {}
        self.converts: dict[int, Any] = {}  # guard index -> its conversion
        self.children: dict[tuple[int, Any], _Plan] = {}  # guard outcome -> the plan taken then
        kept = self._fold(recorder.steps)
        result_leaves = nest.flatten(result)
        self.result = result
        # What each result leaf is read from; None for a variable or a Python value, returned
        # as they were when traced.
        self.returns = [self._source(x) if isinstance(x, Tensor) and not isinstance(x, Variable)
                        else None for x in result_leaves]
        self.single = type(result) is Tensor  # one tensor: no structure to rebuild
        lines, undo = self._emit(self._live(kept, result_leaves))
        args = ", ".join(f"a{i}" for i in range(len(placeholders)))
        outs = "".join(f"{r}, " for r in self.returns if r is not None)
        source = f"def replay({args}):\n" + "".join(f"    {line}\n" for line in lines) + \
            f"    return ({outs})\n"
        self.source = source
        exec(compile(source, "<tapegrad.function>", "exec"), self.namespace)
        raw: Callable[..., tuple[Any, ...]] = self.namespace["replay"]
        self.replay = raw if undo is None else _undoable(raw, *undo)

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
        """Drop pure ops whose inputs are all known now, their outputs becoming constants, and
        guards on such constants."""
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
            elif step[0] == "guard" and id(step[1]) not in self.names and \
                    not isinstance(step[1], Variable):
                continue
            elif step[0] == "branch":
                _, selector, mode, branches, outs = step
                branches = [(key, self._fold(inner), leaves) for key, inner, leaves in branches]
                for out in outs:
                    self.names[id(out)] = f"v{len(self.names)}"
                step = ("branch", selector, mode, branches, outs)
            elif step[0] == "loop":
                _, init, stand_ins, test_steps, test, body_steps, new, outs, limit = step
                for x in stand_ins:
                    self.names[id(x)] = f"v{len(self.names)}"
                test_steps, body_steps = self._fold(test_steps), self._fold(body_steps)
                for out in outs:
                    self.names[id(out)] = f"v{len(self.names)}"
                step = ("loop", init, stand_ins, test_steps, test, body_steps, new, outs, limit)
            kept.append(step)
        return kept

    def _live(self, steps: list[tuple[Any, ...]], result: list[Any]) -> list[tuple[Any, ...]]:
        """The steps that feed a result, a variable write, a guard or an op with effects."""
        live = {id(x) for x in result if isinstance(x, Tensor)}
        needed = []
        for step in reversed(steps):
            if step[0] == "write":
                reads = [step[3]]
            elif step[0] == "guard":
                reads = [step[1]]
            elif step[0] == "branch":
                _, selector, mode, branches, outs = step
                used = [id(o) in live for o in outs]
                if not any(used) and not any(s[0] == "guard" for _, inner, _ in branches
                                             for s in inner):
                    continue
                reads = [selector]
                pruned = []
                for key, inner, leaves in branches:
                    kept_leaves = [x for x, u in zip(leaves, used) if u]
                    inner = self._live(inner, kept_leaves)
                    reads += kept_leaves + [x for s in inner for x in _reads(s)]
                    pruned.append((key, inner, leaves))
                step = ("branch", selector, mode, pruned, [o if u else None
                                                           for o, u in zip(outs, used)])
            elif step[0] == "loop":
                if not any(id(o) in live for o in step[7]):
                    continue
                reads = _reads(step)
            elif not step[1].pure or id(step[2]) in live:
                reads = list(step[3])
            else:
                continue
            live.update(id(x) for x in reads if isinstance(x, Tensor))
            needed.append(step)
        return needed[::-1]

    def _guard(self, step: tuple[Any, ...]) -> str:
        """The line that checks a guard: raise _OtherPathError unless it converts the same."""
        _, t, convert, result, index = step
        self.converts[index] = convert
        x = self._source(t)
        if convert is bool:
            test = f"not {x}" if result else x
        elif convert is None and result.dtype.kind in "iub" and result.size <= 16:
            # a shape, an axis, an index: compared as a list, a few hundred nanoseconds
            test = f"{x}.shape != {result.shape!r} or {x}.tolist() != " \
                f"{self._bind(result.tolist(), 'c')}"
        elif convert is None:
            test = f"not same({x}, {self._bind(result, 'c')})"
        else:
            kind = self._bind(convert, "f")
            test = f"{kind}({x}) == {kind}({x})" if result != result else \
                f"{kind}({x}) != {self._bind(result, 'c')}"
        return f"if {test}: raise D({index}, {x})"

    def _emit(self, steps: list[tuple[Any, ...]]) -> tuple[list[str], Any]:
        """The plan's lines, each guard right after the op that computes its value; and what a
        failed guard must undo (None when every guard comes before every effect)."""
        self.after: dict[int, list[tuple[Any, ...]]] = {}  # op output id -> guards on it
        self.in_place: set[int] = set()
        arguments = {p for p, name in self.names.items() if name.startswith("a")}
        _collect_guards(steps, self.after, self.in_place, set(arguments))
        lines = [self._guard(g) for p in arguments for g in self.after.get(p, ())]
        self.written: dict[int, Variable] = {}  # variables written before a later guard
        self.copied: dict[int, Variable] = {}  # ... by a kernel, which might write in place
        self.effects = self.draws = self.prints = self.undo_needed = False
        lines += self._lines(steps)
        if not self.undo_needed:
            return lines, None
        return lines, ([v for k, v in self.written.items() if k not in self.copied],
                       list(self.copied.values()), self.draws, self.prints)

    def _lines(self, steps: list[tuple[Any, ...]]) -> list[str]:
        lines = []
        for step in steps:
            kind = step[0]
            if kind == "guard":
                if id(step) in self.in_place:
                    lines.append(self._guard(step))
                    self.undo_needed |= self.effects
                continue
            if kind == "write":
                _, variable, mode, operand = step
                root = base_variable(variable)
                self.written[id(root)] = root
                self.effects = True
                target = f"{self._variable(variable)}._value"
                value = self._source(operand)
                expr = value if mode == "assign" else \
                    f"{target} {'+' if mode == 'add' else '-'} {value}"
                lines.append(f"{target} = {expr}")
                continue
            if kind == "branch":
                lines += self._branch(step)
                outs = step[4]
            elif kind == "loop":
                lines += self._loop(step)
                outs = step[7]
            else:
                _, prim, out, inputs, params = step
                lines.append(f"{self.names[id(out)]} = {self._call(prim, inputs, params)}")
                outs = [out]
                if not prim.pure:
                    self.effects = True
                    self.prints |= prim is control_flow.PRINT
                    self.draws |= prim is not control_flow.PRINT
                    for v in _param_variables(params):
                        self.copied[id(v)] = v
            for out in outs:
                for g in self.after.get(id(out), ()):
                    lines.append(self._guard(g))
                    self.undo_needed |= self.effects
        return lines

    def _call(self, prim: Primitive, inputs: tuple[Tensor, ...], params: tuple[Any, ...]) -> str:
        args = [self._source(x) for x in inputs]
        template = _inline(prim, inputs) if not params else None
        if template is not None:
            return template.format(*args)
        kernel = self._bind(prim.kernel, "k")
        args += [self._bind(p, "p") for p in params]
        return f"{kernel}({', '.join(args)})"

    def _loop(self, step: tuple[Any, ...]) -> list[str]:
        """A compiled ``while_loop``: a real ``while``, its variables the stand-ins' names."""
        _, init, stand_ins, test_steps, test, body_steps, new, outs, limit = step
        names = [self.names[id(x)] for x in stand_ins]
        lines = [f"{n} = {self._source(x)}" for n, x in zip(names, init)]
        body = []
        if limit is not None:
            counter = f"n{len(self.namespace)}"
            self.namespace[counter] = None  # reserves the name
            lines.append(f"{counter} = 0")
            body += [f"if {counter} >= {limit}: break", f"{counter} += 1"]
        body += self._lines(test_steps) + [f"if not {self._source(test)}: break"]
        body += self._lines(body_steps)
        body.append(f"{', '.join(names)}, = {', '.join(self._source(y) for y in new)},")
        lines.append("while True:")
        lines += [f"    {line}" for line in body]
        lines += [f"{self.names[id(o)]} = {n}" for o, n in zip(outs, names)]
        return lines

    def _branch(self, step: tuple[Any, ...]) -> list[str]:
        """A compiled ``cond``/``switch_case``: a real ``if``, each arm setting the outputs."""
        _, selector, mode, branches, outs = step
        test = self._source(selector)
        lines = []
        for i, (key, inner, leaves) in enumerate(branches):
            if i == len(branches) - 1:
                lines.append("else:")
            elif mode == "bool":
                lines.append(f"if {test}:")
            else:
                lines.append(f"{'if' if i == 0 else 'elif'} {test} == {key!r}:")
            body = self._lines(inner) + [f"{self.names[id(o)]} = {self._source(x)}"
                                         for o, x in zip(outs, leaves) if o is not None]
            lines += [f"    {line}" for line in body or ["pass"]]
        return lines

    def outputs(self, values: tuple[Any, ...]) -> Any:
        """The function's result rebuilt from the replay's values."""
        if self.single:
            return wrap(values[0])
        it = iter(values)
        leaves = [x if r is None else wrap(next(it))
                  for x, r in zip(nest.flatten(self.result), self.returns)]
        return nest.pack_sequence_as(self.result, leaves)


def _rng_state() -> Any:
    """The random ops' state: the global generator's and each op seed's call count."""
    random_ops = sys.modules.get("tapegrad.ops.random")
    if random_ops is None:
        return None
    rng = random_ops._global_rng
    counts = {}
    for seed, counter in list(random_ops._op_calls.items()):
        counts[seed] = n = next(counter)
        random_ops._op_calls[seed] = itertools.count(n)
    return random_ops, rng, None if rng is None else rng.bit_generator.state, counts


def _set_rng_state(state: Any) -> None:
    if state is None:
        return
    random_ops, rng, rng_state, counts = state
    if rng is not None:
        rng.bit_generator.state = rng_state
    random_ops._global_rng = rng
    random_ops._op_calls.clear()
    random_ops._op_calls.update({s: itertools.count(n) for s, n in counts.items()})


def _undoable(raw: Callable[..., Any], written: list[Variable], copied: list[Variable],
              draws: bool, prints: bool) -> Callable[..., Any]:
    """``raw`` made to leave no trace when one of its guards fails after an effect ran: it
    restores the variables it wrote and the random state, and prints only once it completes."""
    def replay(*args: Any) -> Any:
        saved = [v._value for v in written]
        copies = [v._value.copy() for v in copied]
        rng = _rng_state() if draws else None
        if prints:
            control_flow._print_buffers.append(buffer := [])
        try:
            out = raw(*args)
        except _OtherPathError:
            for v, value in zip(written, saved):
                v._value = value
            for v, value in zip(copied, copies):
                v._value = value
            _set_rng_state(rng)
            if prints:
                control_flow._print_buffers.remove(buffer)
            raise
        except BaseException:
            if prints:
                control_flow._print_buffers.remove(buffer)
                control_flow.flush(buffer)
            raise
        if prints:
            control_flow._print_buffers.remove(buffer)
            control_flow.flush(buffer)
        return out
    return replay


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


def _as_output(x: Any) -> Any:
    """A returned Python or NumPy number becomes a tensor, as TensorFlow returns tf.Tensor."""
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return wrap(to_numpy(x, None))
    return x


_CREATED_LATER = ("tapegrad.function only supports singleton tapegrad.Variables created on the "
                  "first call. Make sure the tapegrad.Variable is only created once or created "
                  "outside tapegrad.function. See https://www.tensorflow.org/guide/"
                  "function#creating_tfvariables for more information.")


class Function:
    """A Python function compiled by tracing; see the module docstring. Made by ``function``."""

    def __init__(self, python_function: Callable[..., Any],
                 input_signature: Sequence[TensorSpec] | None = None,
                 reduce_retracing: bool = False, jit_compile: bool | None = None,
                 autograph: bool = True) -> None:
        self.python_function = python_function
        if input_signature is not None and not isinstance(input_signature, (list, tuple)):
            raise TypeError(f"input_signature must be a list or tuple of TensorSpec, got "
                            f"{input_signature!r}")
        self.input_signature = None if input_signature is None else list(input_signature)
        self.reduce_retracing = reduce_retracing
        self.jit_compile = jit_compile  # accepted; plans are already compiled Python
        self.autograph = autograph  # accepted; guards make Python control flow safe instead
        self._plans: dict[Any, _Plan] = {}
        self._paths: dict[Any, int] = {}  # signature -> plans traced for it
        self._eager = False  # a trace needed what no plan can replay: every call runs eagerly
        self._concrete: list[ConcreteFunction] = []  # in the order they were made
        self._traces = 0
        self._warned_paths = False
        self._bound: Any = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, python_function)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """A method: each instance gets its own Function (its own traces), as in TensorFlow."""
        if instance is None:
            return self
        try:
            bound = self._bound.get(instance)
        except TypeError:  # not weakly referenceable: plans are keyed by the instance anyway
            return functools.partial(self._call, (instance,))
        if bound is None:
            ref = weakref.ref(instance)
            method = self.python_function

            @functools.wraps(method)
            def call(*args: Any, **kwargs: Any) -> Any:
                return method(ref(), *args, **kwargs)
            try:
                signature = inspect.signature(method)
                call.__signature__ = signature.replace(  # type: ignore[attr-defined]
                    parameters=list(signature.parameters.values())[1:])
            except (TypeError, ValueError):
                pass
            bound = Function(call, self.input_signature, self.reduce_retracing,
                             self.jit_compile, self.autograph)
            self._bound[instance] = bound
        return bound

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
        if tape._state.tapes or tape._listeners or config._run_eagerly or self._eager:
            # A tape records (it must see the ops), a trace is running (inline into it), or the
            # user asked for eager functions (tapegrad.config.run_functions_eagerly).
            result = self.python_function(*args, **kwargs)
            return result if config._run_eagerly or type(result) is Tensor else \
                nest.map_structure(_as_output, result)
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
                return nest.map_structure(_as_output, self.python_function(*args, **kwargs))
            return self._trace(args, kwargs, leaves, key)[1]  # the traced run is this call
        values = [_value_of(x) for x in leaves if _is_tensor_argument(x)]
        try:
            return plan.outputs(plan.replay(*values))
        except _OtherPathError as diverged:
            return self._other_path(plan, diverged, args, kwargs, leaves, key, values)

    def _other_path(self, plan: _Plan, diverged: _OtherPathError, args: tuple[Any, ...],
                    kwargs: dict[str, Any], leaves: list[Any], key: Any,
                    values: list[Any]) -> Any:
        """A guard failed: follow the plan traced for that outcome, or trace one."""
        while True:
            outcome = (diverged.index, _outcome(plan.converts[diverged.index], diverged.value))
            child = plan.children.get(outcome)
            if child is None:
                break
            plan = child
            try:
                return plan.outputs(plan.replay(*values))
            except _OtherPathError as again:
                diverged = again
        if self._paths[key] >= MAX_PATHS:
            if not self._warned_paths:
                self._warned_paths = True
                tape.warn("%s took more than %d paths through Python control flow on tensor "
                          "values; tapegrad.function runs calls on new paths eagerly. Use "
                          "tapegrad.cond or tapegrad.while_loop, or compute the condition "
                          "outside the function.", self.python_function.__name__, MAX_PATHS)
            return nest.map_structure(_as_output, self.python_function(*args, **kwargs))
        child, result = self._trace(args, kwargs, leaves, key)
        plan.children[outcome] = child
        return result

    def _check_signature(self, args: tuple[Any, ...]) -> None:
        specs = self.input_signature
        if len(args) != len(specs) or not all(spec.is_compatible_with(a)
                                              for spec, a in zip(specs, args)):
            raise TypeError(f"Binding inputs to tapegrad.function failed: {args!r} does not "
                            f"match the input_signature {specs!r}.")

    def _seen_with_other_shapes(self, key: Any) -> bool:
        return any(_shapeless(k) == _shapeless(key) for k in self._plans)

    def _trace(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
               key: Any) -> tuple[_Plan, Any]:
        """Run the function once on placeholders, keep its plan, and return it and its result.

        The first plan of a signature is ``self._plans[key]``; the caller files a later one
        (another path) under the guard outcome that led to it.
        """
        placeholders = [wrap(_value_of(x)) for x in leaves if _is_tensor_argument(x)]
        substitutes = iter(placeholders)
        traced_args, traced_kwargs = nest.pack_sequence_as(
            (args, kwargs), [next(substitutes) if _is_tensor_argument(x) else x for x in leaves])
        first = self._traces == 0
        with _Recorder() as recorder:
            recorder.traced.update(map(id, placeholders))
            result = self.python_function(*traced_args, **traced_kwargs)
        if recorder.opaque:
            self._eager = True
            tape.warn("%s runs eagerly: a GradientTape in it differentiates through a variable "
                      "assigned after the tape read it, which a traced plan cannot replay.",
                      self.python_function.__name__)
        new_signature = key not in self._paths
        # Another path of a traced signature may make variables (an optimizer's slots, first
        # used on that path): TensorFlow's AutoGraph would have traced that branch at first.
        if recorder.created and not first and new_signature:
            raise ValueError(_CREATED_LATER)
        if recorder.created and first:
            # TensorFlow traces a function that made variables once more, and refuses it if
            # that makes variables again (one made on every call); so does this, undoing the
            # second run's effects.
            with _Recorder() as check, _Effectless():
                self.python_function(*traced_args, **traced_kwargs)
            if check.created:
                raise ValueError(_CREATED_LATER)
        result = nest.map_structure(_as_output, result)
        self._paths[key] = self._paths.get(key, 0) + 1
        # A trace for a signature that an existing concrete function covers (an
        # input_signature's or get_concrete_function's None dimensions) is that concrete
        # function, as in TensorFlow: a plan per shape is an implementation detail.
        if not new_signature or self._concrete_for(args, kwargs) is None:
            self._traces += 1
        if new_signature and self._concrete_for(args, kwargs) is None:
            args_, kwargs_ = self._canonical(args, kwargs)
            signature = (tuple(self.input_signature) + args_[len(self.input_signature):],
                         kwargs_) if self.input_signature is not None else \
                nest.map_structure(_spec_of, (args_, kwargs_))
            self._concrete.append(ConcreteFunction(self, signature,
                                                   nest.map_structure(_spec_of, result)))
        if self._traces == 5 and new_signature:
            tape.warn("5 calls to %s triggered tapegrad.function retracing. Tracing is "
                      "expensive: pass tensors of fixed shapes rather than Python numbers, "
                      "or use reduce_retracing=True.", self.python_function.__name__)
        plan = _Plan(recorder, placeholders, result)
        if new_signature:
            self._plans[key] = plan
        return plan, result

    def _canonical(self, args: tuple[Any, ...], kwargs: dict[str, Any]
                   ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``args`` and ``kwargs`` bound to the parameters, defaults filled in."""
        try:
            bound = inspect.signature(self.python_function).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return tuple(args), dict(kwargs)
        bound.apply_defaults()
        return tuple(bound.args), dict(bound.kwargs)

    def _concrete_for(self, args: tuple[Any, ...], kwargs: dict[str, Any]
                      ) -> ConcreteFunction | None:
        """The concrete function whose signature these arguments fit, if there is one."""
        canonical = self._canonical(args, kwargs)
        return next((c for c in self._concrete if c._fits(canonical)), None)

    # -- TensorFlow's introspection --
    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        """The function specialised to ``args``: tensors, TensorSpecs or Python values (or, with
        an input_signature, nothing). Tracing here runs the function on stand-in values, then
        undoes every variable write, random draw and print it made."""
        if not args and not kwargs and self.input_signature is not None:
            args = tuple(self.input_signature)
        args, kwargs = self._canonical(args, kwargs)
        signature = nest.map_structure(_spec_of, (args, kwargs))
        concrete = next((c for c in self._concrete if c._fits(signature)), None)
        if concrete is None:
            concrete = ConcreteFunction(self, signature, self._output_specs(args, kwargs))
            self._concrete.append(concrete)
            self._traces += 1
        return concrete

    def _output_specs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run the function eagerly on stand-ins for ``args`` and undo its effects. With None
        dimensions, it runs with them as 2, then as 3: a dimension of the result that changes
        is None."""
        unknown = any(isinstance(x, TensorSpec) and (x.shape is None or None in x.shape)
                      for x in nest.flatten((args, kwargs)))
        results = []
        for size in (2, 3) if unknown else (2,):
            stand_ins = nest.map_structure(lambda x, size=size: _stand_in(x, size),
                                           (args, kwargs))
            with _Effectless():
                out = self.python_function(*stand_ins[0], **stand_ins[1])
            results.append(nest.map_structure(_as_output, out))

        def spec(a: Any, b: Any) -> Any:
            if not isinstance(a, Tensor):
                return a
            sa, sb = np.shape(a._value), np.shape(b._value)
            shape = [d if len(sa) == len(sb) and d == e else None for d, e in zip(sa, sb)]
            return TensorSpec(shape, a.dtype)
        return nest.map_structure(spec, results[0], results[-1])

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        """Every concrete function's signature, as ``ConcreteFunction.pretty_printed_signature``.

        >>> import tapegrad as tf
        >>> f = tf.function(lambda x: x + 1.0)
        >>> _ = f(tf.constant([1.0, 2.0]))
        >>> print(f.pretty_printed_concrete_signatures())
        Input Parameters:
          x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(2,), dtype=tapegrad.float32, name=None)
        Output Type:
          TensorSpec(shape=(2,), dtype=tapegrad.float32, name=None)
        Captures:
          None
        """
        return "\n\n".join(c.pretty_printed_signature(verbose) for c in self._concrete)


def _spec_of(x: Any) -> Any:
    """A tensor or array argument (or result) as its TensorSpec; anything else as it is."""
    return TensorSpec.from_tensor(x) if _is_tensor_argument(x) else x


def _fits(spec: Any, value: Any) -> bool:
    """Whether an argument (or a TensorSpec) fits a signature's entry."""
    if isinstance(spec, TensorSpec):
        if isinstance(value, TensorSpec):  # a spec asks for exactly that concrete function
            return spec.shape == value.shape and spec.dtype == value.dtype
        return _is_tensor_argument(value) and spec.is_compatible_with(value)
    if value is spec:
        return True
    if _is_tensor_argument(value) or isinstance(value, (Tensor, TensorSpec)) or \
            type(value) is not type(spec):
        return False
    try:
        return bool(value == spec)
    except Exception:
        return False


def _shapeless(k: Any) -> Any:
    return (k[0], tuple(p[:1] + (len(p[1]),) + p[2:] if p[0] == "tensor" else p for p in k[1]))


def _stand_in(x: Any, size: int) -> Any:
    """A tensor of zeros for a TensorSpec (None dimensions ``size``); other values as given."""
    if isinstance(x, TensorSpec):
        shape = () if x.shape is None else tuple(size if d is None else d for d in x.shape)
        return wrap(np.zeros(shape, x.dtype._np)[()])
    return x


class _Effectless:
    """Runs code eagerly, then undoes its effects: the variables it read or wrote get their
    values back (every live variable is saved first), random state is restored, prints dropped.
    """

    def __enter__(self) -> None:
        import gc
        self.saved = [(v, v._value.copy()) for v in gc.get_objects()
                      if isinstance(v, Variable) and v._parent is None]
        self.rng = _rng_state()
        self.buffer: list[Any] = []
        control_flow._print_buffers.append(self.buffer)

    def __exit__(self, *exc: object) -> None:
        for v, value in self.saved:
            v._value = value
        _set_rng_state(self.rng)
        control_flow._print_buffers.remove(self.buffer)


class ConcreteFunction:
    """A ``Function`` specialised to one input signature, from ``get_concrete_function``.

    Calling it checks the arguments against that signature (TensorFlow's TypeError when they do
    not fit), then runs the function's plan for them.

    >>> import tapegrad as tf
    >>> f = tf.function(lambda x: x * 2.0)
    >>> g = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    >>> g(tf.constant([1.0, 2.0])).numpy().tolist()
    [2.0, 4.0]
    >>> g.structured_outputs
    TensorSpec(shape=(None,), dtype=tapegrad.float32, name=None)
    """

    def __init__(self, function: Function, signature: Any, outputs: Any) -> None:
        self._function = function
        self.structured_input_signature = signature
        self.structured_outputs = outputs
        self.function_type = _FunctionType(self)

    def _fits(self, canonical: Any) -> bool:
        flat, expected = nest.flatten(canonical), nest.flatten(self.structured_input_signature)
        return len(flat) == len(expected) and _structure(canonical) == _structure(
            self.structured_input_signature) and all(map(_fits, expected, flat))

    def __repr__(self) -> str:
        args, kwargs = self.structured_input_signature
        names = self._parameter_names()
        params = [f"{names[i][0] if i < len(names) else f'arg{i}'}: {_type_text(v)}"
                  for i, v in enumerate(args)] + [f"{k}: {_type_text(v)}"
                                                  for k, v in kwargs.items()]
        return f"<ConcreteFunction ({', '.join(params)}) -> " \
               f"{_type_text(self.structured_outputs)} at 0x{id(self):X}>"

    def _parameter_names(self) -> list[tuple[str, str]]:
        try:
            parameters = inspect.signature(self._function.python_function).parameters.values()
        except (TypeError, ValueError):
            return []
        return [(p.name, p.kind.name) for p in parameters]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call with the tensor arguments only, as TensorFlow does: the other arguments are the
        ones it was made with (the whole argument list is accepted too)."""
        if not self._fits(self._function._canonical(args, kwargs)):
            args, kwargs = self._with_fixed_arguments(args, kwargs)
        return self._function(*args, **kwargs)

    def _with_fixed_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]
                              ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The full argument list: ``args``/``kwargs`` in the TensorSpec slots of the signature,
        the values it was made with elsewhere; TensorFlow's TypeError when they do not fit."""
        fixed_args, fixed_kwargs = self.structured_input_signature
        names = [name for name, _ in self._parameter_names()]
        slots = [i for i, v in enumerate(fixed_args) if isinstance(v, TensorSpec)] + \
            [k for k, v in fixed_kwargs.items() if isinstance(v, TensorSpec)]
        given = dict(zip(slots, args))
        for key, value in kwargs.items():
            slot = names.index(key) if key in names[:len(fixed_args)] else key
            if slot not in slots or slot in given:
                given = {}
                break
            given[slot] = value
        full = (tuple(given.get(i, v) for i, v in enumerate(fixed_args)),
                {k: given.get(k, v) for k, v in fixed_kwargs.items()})
        if len(given) == len(slots) == len(args) + len(kwargs):
            for slot, value in given.items():  # a tensor of another dtype: TensorFlow's error
                spec = fixed_args[slot] if isinstance(slot, int) else fixed_kwargs[slot]
                if isinstance(value, Tensor) and value.dtype != spec.dtype:
                    position = slots.index(slot)
                    op = f"__inference_{self._function.python_function.__name__}"
                    raise invalid_argument(
                        f"cannot compute {op} as input #{position}(zero-based) was expected to "
                        f"be a {spec.dtype._op_name} tensor but is a {value.dtype._op_name} "
                        f"tensor [Op:{op}]")
        if len(args) > len(slots) or len(given) != len(slots) or not self._fits(full):
            raise TypeError(f"Binding inputs to tapegrad.function failed: the arguments "
                            f"{args!r}, {kwargs!r} do not match the concrete function's "
                            f"signature {self.structured_input_signature!r}.")
        return full

    @property
    def captured_inputs(self) -> list[Variable]:
        """The variables the plans of this function read or write."""
        seen: dict[int, Variable] = {}
        for plan in self._function._plans.values():
            for name in plan.variables.values():
                v = plan.namespace[name]
                seen[id(v)] = v
        return list(seen.values())

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        """The parameters, output type and captures, in TensorFlow's layout."""
        args, kwargs = self.structured_input_signature
        lines = ["Input Parameters:"]
        names = self._parameter_names()
        for i, value in enumerate(args):
            name, kind = names[i] if i < len(names) else (f"arg{i}", "POSITIONAL_ONLY")
            lines.append(f"  {name} ({kind}): {_type_text(value)}")
        for name, value in kwargs.items():
            lines.append(f"  {name} (KEYWORD_ONLY): {_type_text(value)}")
        lines += ["Output Type:", f"  {_type_text(self.structured_outputs)}", "Captures:"]
        captures = self.captured_inputs
        lines += [f"  {id(v)}: {TensorSpec.from_tensor(v)!r}" for v in captures] or ["  None"]
        return "\n".join(lines)


class _FunctionType:
    """What ``ConcreteFunction.function_type`` gives: it prints as the signature does."""

    def __init__(self, concrete: ConcreteFunction) -> None:
        self._concrete = concrete

    def __repr__(self) -> str:
        return self._concrete.pretty_printed_signature()


def _structure(x: Any) -> str:
    flat = nest.flatten(x)
    return repr(nest.pack_sequence_as(x, [0] * len(flat)))


def _type_text(value: Any) -> str:
    """TensorFlow's text for a parameter or output type: a TensorSpec, Literal[...] or a
    structure of them."""
    if isinstance(value, TensorSpec):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_type_text(v) for v in value)
        return f"{'List' if isinstance(value, list) else 'Tuple'}[{inner}]"
    if isinstance(value, dict):
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(v)}]" for k, v in value.items()) + "]"
    if value is None:
        return "NoneType"
    return f"Literal[{value!r}]"


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
        return Function(f, input_signature, reduce_retracing,
                        jit_compile if jit_compile is not None else experimental_compile,
                        autograph)
    return decorate if func is None else decorate(func)

