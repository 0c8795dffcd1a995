"""GradientTape: record the ops on watched tensors, then play them back for gradients.

How it works, in five rules:

1. An op runs its NumPy kernel first. Only if a tape is recording on this thread does it call
   ``record``; the check is one global integer, so eager code without a tape pays nothing more.
2. A tape tracks tensors by identity: what it watches, and every output of an op it recorded. It
   records an op when one of the op's inputs is tracked. A trainable Variable is watched when an
   op reads it; the op sees a snapshot of the variable's value, linked back by a read entry.
3. ``gradient`` walks the recorded ops backwards from the targets, calling each op's gradient rules
   (vector-Jacobian products) and summing what reaches each tensor.
4. Gradient rules are written once, against an array vocabulary ``xp``. With no other tape
   recording, they run on raw NumPy values (first order pays no tensor overhead). With an outer
   tape recording, they run on tensors through tapegrad's own ops, so the outer tape records the
   backward pass and can differentiate it again: that is all higher-order gradients need.
5. A training loop records the same ops step after step. Each record extends the tape's key
   (primitive, params, output shape, where each input comes from); the second time a first-order
   backward pass with a given key runs, it is compiled into one straight-line Python function,
   a *backward plan*, which later tapes with that key run instead of walking their records. A
   plan makes the same rule calls on the same values in the same order: the results are the
   same bits.

>>> import tapegrad as tf
>>> x = tf.Variable(3.0)
>>> with tf.GradientTape() as outer:
...     with tf.GradientTape() as inner:
...         y = x ** 3
...     dy = inner.gradient(y, x)
>>> float(dy), float(outer.gradient(dy, x))
(27.0, 18.0)
"""

from __future__ import annotations

import contextlib
import enum
import functools
import operator
import threading
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import nest
from .errors import invalid_argument
from .tensor import (
    Tensor,
    Variable,
    base_variable,
    concrete,
    convert_to_tensor,
    snapshot,
    wrap,
)


def warn(message: str, *args: Any) -> None:
    """Log a warning on the ``tapegrad`` logger, as TensorFlow logs on ``tensorflow``.

    ``logging`` is imported here, on the first warning, to keep ``import tapegrad`` cheap.
    """
    import logging
    logging.getLogger("tapegrad").warning(message, *args)


# ----- Primitives: a NumPy kernel with its gradient rules -----

class Primitive:
    """An op on NumPy values, with one gradient rule (VJP) per input.

    ``kernel(*values, *params)`` computes the output value. ``vjps[i](xp, g, ans, *inputs,
    *params)`` returns the gradient with respect to input ``i``, given ``g``, the gradient with
    respect to the output ``ans``; ``xp`` is the array vocabulary (``tapegrad.ops.vocab``).
    Broadcast inputs need no care: the backward pass sums a gradient back to its input's shape.
    A rule that is None marks an input without a gradient (an index, a condition). A primitive
    with no rules at all is never recorded (comparisons, argmax, stop_gradient).
    """

    __slots__ = ("name", "kernel", "vjps", "pure")

    def __init__(self, name: str, kernel: Callable[..., Any] | None,
                 *vjps: Callable[..., Any] | None, pure: bool = True) -> None:
        self.name = name  # TensorFlow's op name, for messages: AddV2, Mul, MatMul
        self.kernel = kernel
        self.vjps = vjps
        self.pure = pure  # False for kernels with effects (random draws, updates): never folded

    def __repr__(self) -> str:
        return f"<Primitive {self.name}>"


_value_of = operator.attrgetter("_value")


def apply(prim: Primitive, inputs: tuple[Tensor, ...], params: tuple[Any, ...] = ()) -> Tensor:
    """Run ``prim`` on tensors: the kernel on their values, then recording if a tape listens."""
    out = wrap(prim.kernel(*map(_value_of, inputs), *params))
    if recording:
        record(prim, out, inputs, params)
    return out


# ----- The tape stack: thread-local, with one global count for the fast check -----

class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.tapes: list[GradientTape] = []  # the tapes recording on this thread, innermost last


_state = _ThreadState()
_lock = threading.Lock()
recording = 0  # recording tapes (all threads) plus listeners; ops call `record` only when non-zero
_listeners: list[Callable[[Primitive, Tensor, tuple[Tensor, ...], tuple[Any, ...]], None]] = []


def add_listener(listener: Callable[[Primitive, Tensor, tuple[Tensor, ...], tuple[Any, ...]],
                                    None]) -> None:
    """Call ``listener(prim, out, inputs, params)`` after every op, on every thread, until removed.

    This is how ``enable_check_numerics`` and the trace compiler see each op; with no listener
    and no tape, ops pay nothing for it.
    """
    global recording
    with _lock:
        _listeners.append(listener)
        recording += 1


def remove_listener(listener: Callable[..., None]) -> None:
    global recording
    with _lock:
        _listeners.remove(listener)
        recording -= 1


def _start(tape: GradientTape, position: int | None = None) -> None:
    global recording
    with _lock:
        tapes = _state.tapes
        tapes.insert(len(tapes) if position is None else position, tape)
        recording += 1


def _stop(tape: GradientTape) -> int:
    global recording
    with _lock:
        position = _state.tapes.index(tape)
        del _state.tapes[position]
        recording -= 1
        return position


def record(prim: Primitive, out: Tensor, inputs: tuple[Tensor, ...],
           params: tuple[Any, ...]) -> None:
    """Note an op on each tape of this thread that tracks one of its inputs.

    Every op calls this while any tape records, so that a listener can see all of them. A tape
    keeps ops that have gradient rules and a float result, with the input values the op saw: a
    variable assigned later does not change what its gradient is computed from. Each record
    also extends the tape's key (see ``_planned``): the primitive, its params, the output's
    shape and each input's slot (the op that made it, a watched tensor and its shape, or None).
    Listeners run after the tapes: ops a listener runs on ``out`` (forward mode's tangents) are
    recorded.
    """
    tapes = _state.tapes
    if tapes and prim.vjps and out._value.dtype.kind in "fc":
        shape = out._value.shape
        recorded = inputs  # with what `assign` returned replaced by its variable
        for tape in tapes:
            tracked = tape._tracked
            key = [prim, params, shape]
            values = []
            hit = False
            for x in inputs:
                v = x._value
                slot = tracked.get(id(x))
                if slot is None and x._trainable and tape._watch_accessed:  # a variable read
                    root = x if x._parent is None else x._parent
                    slot = tape._watch_variable(root)
                    if root is not x:  # what `assign` returned: its variable gets the gradient
                        recorded = tuple(root if i is x else i for i in recorded)
                if slot is not None:
                    hit = True
                    if slot < 0:  # a watched tensor or variable: its shape, which keys need
                        key.append(v.shape)
                key.append(slot)
                values.append(v)
            if hit:
                ops = tape._ops
                tracked[id(out)] = len(ops)
                ops.append((prim, out, recorded, params, tuple(values)))
                tape._key.append(tuple(key))
    for listener in _listeners:
        listener(prim, out, inputs, params)


# ----- GradientTape -----

class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


_NON_PERSISTENT = ("A non-persistent GradientTape can only be used to compute one set of "
                   "gradients (or jacobians)")
_warned_persistent_inside = False
_int_watch_warnings = 0


class GradientTape:
    """Records operations for automatic differentiation, as ``tf.GradientTape``.

    Ops that read a watched tensor or a trainable variable inside the ``with`` block are recorded;
    ``gradient`` differentiates a target with respect to sources. A tape answers one ``gradient``
    (or ``jacobian``) call and frees its records, unless it is ``persistent``.

    >>> import tapegrad as tf
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     tape.watch(x)
    ...     y = x * x * x
    ...     z = 2 * y
    >>> [float(tape.gradient(z, y)), float(tape.gradient(y, x)), float(tape.gradient(z, x))]
    [2.0, 27.0, 54.0]
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._recording = False
        # Never entered: no records, so gradient raises as in TensorFlow; __enter__ makes them.
        self._ops: list[tuple[Any, ...]] | None = None
        self._tracked: dict[int, int] | None = None
        self._leaves: dict[int, Tensor] = {}
        self._variables: dict[int, Variable] = {}
        self._key: list[tuple[Any, ...]] = []

    def _clear(self) -> None:
        # (primitive, output, inputs, params, input values), in the order the ops ran
        self._ops: list[tuple[Any, ...]] | None = []
        # id -> slot: the position of the op that made it, or -1, -2, ... for watched tensors.
        # The tensors are held by the records and by _leaves, which keeps their ids unique.
        self._tracked: dict[int, int] | None = {}
        self._leaves: dict[int, Tensor] = {}  # id -> the watched tensors and variables
        self._variables: dict[int, Variable] = {}  # watched variables, in the order first seen
        self._key: list[tuple[Any, ...]] = []  # one entry per record; see `record`

    # -- recording --
    def __enter__(self) -> GradientTape:
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter an "
                             "already-active tape.")
        if self._ops is None:  # used and released: start afresh, as TensorFlow does
            self._clear()
        _start(self)
        self._recording = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._recording:
            _stop(self)
            self._recording = False

    def _watch_variable(self, v: Variable) -> int | None:
        """Watch ``v``; its slot, or None when gradients cannot reach it (not a float)."""
        self._variables.setdefault(id(v), v)
        if v._value.dtype.kind not in "fc":
            return None
        return self._watch_leaf(v)

    def _watch_leaf(self, t: Tensor) -> int:
        """Track ``t`` as a leaf: a tensor gradients flow to, whatever made it."""
        slot = self._tracked.get(id(t))
        if slot is None:
            slot = self._tracked[id(t)] = -1 - len(self._leaves)
        self._leaves[id(t)] = t
        return slot

    def watch(self, tensor: Any) -> None:
        """Track ``tensor`` (or every tensor in a nested structure) so gradients reach it."""
        global _int_watch_warnings
        if not self._recording:
            raise RuntimeError("GradientTape.watch needs the tape to be recording: call it inside "
                               "`with tapegrad.GradientTape() as tape:`.")
        for t in nest.flatten(tensor):
            if not isinstance(t, Tensor):
                raise ValueError(f"Passed in object {t!r} of type '{type(t).__name__}', not "
                                 "tapegrad.Tensor or tapegrad.Variable.")
            if isinstance(t, Variable):
                self._watch_variable(base_variable(t))
            elif t._value.dtype.kind not in "fc":
                if _int_watch_warnings < 5:
                    _int_watch_warnings += 1
                    warn("The dtype of the watched tensor must be floating (e.g. "
                                 "tapegrad.float32), got %r", t.dtype)
            else:
                self._watch_leaf(t)

    def watched_variables(self) -> tuple[Variable, ...]:
        """The variables this tape watches, in the order it first saw them."""
        return tuple(self._variables.values())

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Pause this tape: ops inside the block are not recorded.

        >>> import tapegrad as tf
        >>> a, b = tf.Variable(2.0), tf.Variable(3.0)
        >>> with tf.GradientTape() as tape:
        ...     y = a * b
        ...     with tape.stop_recording():
        ...         z = a * a  # a constant, as far as the tape knows
        ...     y = y + z
        >>> float(tape.gradient(y, a))
        3.0
        """
        if not self._recording:
            raise ValueError("Tape must be recording when stop_recording is called.")
        position = _stop(self)
        self._recording = False
        try:
            yield
        finally:
            _start(self, position)
            self._recording = True

    def reset(self) -> None:
        """Forget everything recorded so far, as if the tape were entered afresh."""
        self._clear()

    # -- gradients --
    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: UnconnectedGradients | str = UnconnectedGradients.NONE
                 ) -> Any:
        """d(sum of target)/d(source) for each source, in the structure of ``sources``.

        ``target`` is a tensor or a nested structure of tensors (their sums are added);
        ``output_gradients`` weights each target, as in a vector-Jacobian product. A source the
        target does not reach gets None, or zeros with ``unconnected_gradients='zero'``.
        """
        unconnected = _unconnected(unconnected_gradients)
        self._begin_use()
        targets = [target] if isinstance(target, Tensor) else \
            [_as_target(t) for t in nest.flatten(_as_target(target, nested=True))]
        single = isinstance(sources, Tensor)
        flat_sources = [sources] if single else nest.flatten(sources)
        for s in flat_sources:
            _check_source(s)
        grads = self._gradients(targets, _seeds(targets, output_gradients), flat_sources,
                                unconnected)
        self._end_use()
        return grads[0] if single else nest.pack_sequence_as(sources, grads)

    def jacobian(self, target: Any, sources: Any,
                 unconnected_gradients: UnconnectedGradients | str = UnconnectedGradients.NONE,
                 parallel_iterations: int | None = None, experimental_use_pfor: bool = True
                 ) -> Any:
        """The Jacobian of ``target`` for each source, of shape target.shape + source.shape.

        >>> import tapegrad as tf
        >>> x = tf.constant([1.0, 2.0, 3.0])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.jacobian(y, x).numpy().tolist()
        [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
        """
        unconnected = _unconnected(unconnected_gradients)
        self._begin_use()
        target = _as_target(target)
        flat_sources = nest.flatten(sources)
        for s in flat_sources:
            _check_source(s)
        shape = target._value.shape
        rows = []
        for index in np.ndindex(*shape):
            rows.append(self._gradients([target], [_one_hot(target, index)], flat_sources,
                                        unconnected))
        self._end_use()
        jacobians = [_stack_rows([row[k] for row in rows], shape, s)
                     for k, s in enumerate(flat_sources)]
        return nest.pack_sequence_as(sources, jacobians)

    def batch_jacobian(self, target: Tensor, source: Tensor,
                       unconnected_gradients: UnconnectedGradients | str =
                       UnconnectedGradients.NONE, parallel_iterations: int | None = None,
                       experimental_use_pfor: bool = True) -> Tensor | None:
        """Per-example Jacobians: ``result[b]`` is d target[b] / d source[b].

        The first axis of ``target`` and ``source`` is the batch, and example ``b`` of the target
        must depend only on example ``b`` of the source. Shape: target.shape + source.shape[1:].
        """
        unconnected = _unconnected(unconnected_gradients)
        target = _as_target(target)
        _check_source(source)
        t_shape, s_shape = target._value.shape, np.shape(source._value)
        if len(t_shape) < 1 or len(s_shape) < 1 or t_shape[0] != s_shape[0]:
            raise ValueError(f"batch_jacobian needs a target and a source with the same first "
                             f"(batch) dimension; got shapes {t_shape} and {s_shape}.")
        self._begin_use()
        rows = []
        for index in np.ndindex(*t_shape[1:]):
            seed = np.zeros(t_shape, target._value.dtype)
            seed[(slice(None),) + index] = 1
            rows.append(self._gradients([target], [seed], [source], unconnected)[0])
        self._end_use()
        if all(r is None for r in rows):
            return None
        from .ops.array import reshape, stack  # the result is built from ops: it may be recorded
        stacked = stack(rows, axis=1)  # (batch, target elements, *source.shape[1:])
        return reshape(stacked, t_shape + s_shape[1:])

    def _begin_use(self) -> None:
        global _warned_persistent_inside
        if self._ops is None:
            raise RuntimeError(_NON_PERSISTENT)
        if self._recording:
            if not self._persistent:
                # TensorFlow stops a non-persistent tape before its one backward pass.
                _stop(self)
                self._recording = False
            elif not _warned_persistent_inside:
                _warned_persistent_inside = True
                warn(
                    "Calling GradientTape.gradient on a persistent tape inside its context is "
                    "significantly less efficient than calling it outside the context (it causes "
                    "the gradient ops to be recorded on the tape, leading to increased CPU and "
                    "memory usage). Only call GradientTape.gradient inside the context if you "
                    "actually want to trace the gradient in order to compute higher order "
                    "derivatives.")

    def _end_use(self) -> None:
        if not self._persistent:
            self._ops = self._tracked = None  # free every recorded value now

    def _gradients(self, targets: list[Tensor], seeds: list[Any], sources: list[Any],
                   unconnected: UnconnectedGradients) -> list[Tensor | None]:
        """One backward pass: the gradient of the seeded targets for each source."""
        # No outer tape and no op listener: run the rules on NumPy values. A listener (check
        # numerics, a tracer) must see the backward pass as ops, as TensorFlow's callbacks do.
        raw = not _state.tapes and not _listeners
        keys = [id(s if s._parent is None else s._parent) for s in sources]
        found = self._planned(targets, seeds, keys) if raw else None
        if found is None:
            vocab = _vocabulary()
            grads = backward(self._ops, self._tracked, self._leaves, targets, seeds, set(keys),
                             vocab.NUMPY if raw else vocab.TENSOR, raw)
            found = [grads.get(k) for k in keys]
        results: list[Tensor | None] = []
        for s, g in zip(sources, found):
            value = s._value
            if g is None or value.dtype.kind not in "fc":
                zero = unconnected is UnconnectedGradients.ZERO  # any dtype: TF's zeros_like
                results.append(wrap(np.zeros(value.shape, value.dtype)) if zero else None)
            elif raw:  # a NumPy scalar, not a 0-d array, for shape ()
                results.append(wrap(g[()] if type(g) is np.ndarray and g.ndim == 0 else g))
            else:
                results.append(g)
        return results

    def _planned(self, targets: list[Tensor], seeds: list[Any], keys: list[int]
                 ) -> list[Any] | None:
        """The raw gradients for ``keys`` from this tape's backward plan; None for no plan yet.

        The first time a key (the records' key, the targets and the sources) is seen, it is
        counted; the second time, the general backward pass runs with a log, from which the
        plan is compiled; from then on the plan runs.
        """
        tracked = self._tracked
        roots = [id(t if t._parent is None else t._parent) for t in targets]
        slots = tuple(map(tracked.get, roots + keys))
        if None in slots[:len(roots)]:  # a target the tape did not record: nothing to compile
            return None
        # The seeds have the targets' shapes: nothing the plan decides depends on them.
        key = (tuple(self._key), len(roots), slots)
        try:
            plan = _plans.get(key, _UNSEEN)
        except TypeError:  # a param that cannot be a key (an array of indices): no plan
            return None
        if callable(plan):
            return plan(self._ops, seeds)
        if plan is _UNSEEN:
            if len(_plans) >= _MAX_PLANS:
                _plans.clear()
            _plans[key] = _SEEN
            return None
        if plan is _SEEN:
            log: list[tuple[Any, ...]] = []
            grads = backward(self._ops, tracked, self._leaves, targets, seeds, set(keys),
                             _vocabulary().NUMPY, True, log)
            _plans[key] = compile_plan(self._ops, roots, keys, log)
            return [grads.get(k) for k in keys]
        return None  # a key whose backward pass cannot be compiled

    # -- drawing: reads the record only through `read_record` below --
    def to_dot(self, target: Tensor | None = None, sources: Any = None) -> str:
        r"""Graphviz source (``dot`` language) of what this tape recorded, for ``dot -Tsvg``.

        The same graph as ``tapegrad.plot.plot_tape``: one box per op, edges along the data flow,
        and with a ``target``, only the ops between ``sources`` (default: the watched tensors)
        and the target, each tensor with the gradient of the target that reaches it.

        >>> import tapegrad as tf
        >>> x = tf.Variable(3.0, name="x")
        >>> with tf.GradientTape(persistent=True) as tape:
        ...     y = x ** 3
        >>> print(tape.to_dot(y))  # doctest: +ELLIPSIS
        digraph tape {
        ...
          n2 [label="Pow (target)\nfloat32 () = 27\ngrad 1", ...];
          n0 -> n2;
        ...
        """
        from .tapegraph import tape_graph
        return tape_graph(self, target, sources).to_dot()


def read_record(tape: GradientTape) -> tuple[list[tuple[Primitive, Tensor, tuple[Tensor, ...]]],
                                             set[int]]:
    """What ``tape`` recorded, for drawing: (primitive, output, inputs) per op, oldest first,
    and the ids of the tensors and variables it watches.

    A non-persistent tape releases its record in its one ``gradient`` call: drawing it after
    that raises, naming the two ways out.
    """
    if tape._ops is None:
        raise RuntimeError(
            "This GradientTape holds no record to draw: it was never entered, or it is a "
            "non-persistent tape whose one gradient (or jacobian) call released its record. Draw "
            "it before calling gradient, or use GradientTape(persistent=True).")
    return [(prim, out, inputs) for prim, out, inputs, _, _ in tape._ops], set(tape._leaves)


def gradients_of_all(tape: GradientTape, target: Tensor) -> dict[int, Any]:
    """d sum(target) / d t for every tensor t ``tape`` tracks, keyed by id, as NumPy values.

    One backward pass over the record on NumPy values: nothing is recorded by any tape, and a
    non-persistent tape keeps its record for its own ``gradient`` call.
    """
    read_record(tape)
    tracked = tape._tracked
    return backward(tape._ops, tracked, tape._leaves, [target], _seeds([target], None),
                    set(tracked), _vocabulary().NUMPY, True)



def backward(ops: list[tuple[Any, ...]], tracked: dict[int, int], leaves: dict[int, Tensor],
             targets: list[Tensor], seeds: list[Any], sources: set[int], xp: Any, raw: bool,
             log: list[tuple[Any, ...]] | None = None) -> dict[int, Any]:
    """Walk ``ops`` backwards from the seeded targets; returns gradients keyed by tensor id.

    Only ops on a path from a source to a target run. ``raw`` gradients are NumPy values;
    otherwise tensors, computed by ops that an outer tape may record. ``log`` collects each
    rule's call as (record, input index, result), for ``compile_plan``.
    """
    grads: dict[int, Any] = {}
    for t, seed in zip(targets, seeds):
        k = id(t if t._parent is None else t._parent)
        if k in tracked or k in sources:
            if not raw:
                seed = wrap(seed)
            grads[k] = seed if k not in grads else grads[k] + seed
    if leaves.keys() <= sources:
        reach: Any = tracked  # every tracked tensor depends on a source
    else:
        reach = sources & tracked.keys()  # the tensors that depend on a source
        for _, out, inputs, _, _ in ops:
            for x in inputs:
                if id(x) in reach:
                    reach.add(id(out))
                    break
    for op in reversed(ops):
        prim, out, inputs, params, values = op
        oid = id(out)
        if oid not in reach:
            continue
        g = grads.get(oid) if oid in sources else grads.pop(oid, None)
        if g is None:
            continue
        if raw:
            ans, args = out._value, values
        else:  # tensors, except where a variable has changed since the op read it
            ans, args = out, [x if x._value is v else snapshot(v) for x, v in zip(inputs, values)]
        vjps = prim.vjps
        for i, x in enumerate(inputs):
            if id(x) not in reach or vjps[i] is None:
                continue
            gx = vjps[i](xp, g, ans, *args, *params)
            if log is not None:
                log.append((op, i, gx))
            if gx is None:
                continue
            shape = values[i].shape
            if (gx.shape if raw else gx._value.shape) != shape:
                gx = unbroadcast(xp, gx, shape)
            xid = id(x)
            prev = grads.get(xid)
            grads[xid] = gx if prev is None else prev + gx
    return grads


# ----- Backward plans: a repeated backward pass as straight-line code -----

_plans: dict[Any, Any] = {}  # key -> the compiled plan, _SEEN, or None when it cannot compile
_UNSEEN, _SEEN = "never seen", "seen once"
_MAX_PLANS = 256


def compile_plan(ops: list[tuple[Any, ...]], targets: list[int], sources: list[int],
                 log: list[tuple[Any, ...]]) -> Callable[[list[Any], list[Any]], list[Any]] | None:
    """The raw backward pass that ``log`` shows, as one Python function ``plan(ops, seeds)``.

    One line per rule call, in the same order on the same values as ``backward``, so the results
    are bit-identical: sums are unrolled and unbroadcasting decided here. Every value, param
    and seed is read from the arguments: a plan serves every tape with the same key. None when
    a rule gave no gradient (a custom gradient's choice, which a plan cannot foresee).
    """
    position = {id(op): p for p, op in enumerate(ops)}
    namespace: dict[str, Any] = {"xp": _vocabulary().NUMPY}
    names: dict[int, str] = {}  # tensor id -> the local holding its gradient
    lines: list[str] = []

    def add(k: int, expr: str) -> None:
        if k in names:
            lines.append(f"{names[k]} = {names[k]} + {expr}")
        else:
            names[k] = f"g{len(names)}"
            lines.append(f"{names[k]} = {expr}")

    def bind(value: Any) -> str:
        name = f"c{len(namespace)}"
        namespace[name] = value
        return name

    for t, k in enumerate(targets):
        add(k, f"seeds[{t}]")
    unpacked: dict[int, list[str]] = {}  # op position -> its names for (ans, *values, *params)
    for op, i, gx in log:
        if gx is None:
            return None
        prim, out, inputs, params, values = op
        p = position[id(op)]
        if p not in unpacked:
            vs = [f"v{p}_{j}" for j in range(len(values))]
            ps = [f"p{p}_{j}" for j in range(len(params))]
            lines.append(f"_, o{p}, _, {_unpack(ps)}, {_unpack(vs)} = ops[{p}]")
            unpacked[p] = [f"o{p}._value", *vs, *ps]
        expr = f"{bind(prim.vjps[i])}(xp, {names[id(out)]}, {', '.join(unpacked[p])})"
        shape = values[i].shape
        if gx.shape != shape:
            lines.append(f"d = {expr}")
            expr = "xp.sum(d, None, False)" if not shape else \
                f"xp.reshape(xp.sum(d, {_summed_axes(gx.shape, shape)}, False), {shape})"
        add(id(inputs[i]), expr)
    returns = "".join(f"{names.get(k)}, " for k in sources)
    source = "def plan(ops, seeds):\n" + "".join(f"    {line}\n" for line in lines) + \
        f"    return [{returns}]\n"
    exec(compile(source, "<tapegrad backward plan>", "exec"), namespace)
    plan = namespace["plan"]
    plan.source = source
    return plan


def _unpack(names: list[str]) -> str:
    """An assignment target for a tuple of ``len(names)`` items."""
    return f"({', '.join(names)},)" if names else "_"


_vocab: Any = None


def _vocabulary() -> Any:
    """The gradient rules' array vocabulary (``tapegrad.ops.vocab``), built from the ops."""
    global _vocab
    if _vocab is None:
        from .ops import vocab
        _vocab = vocab
    return _vocab


def unbroadcast(xp: Any, g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` summed over the axes that broadcasting added or stretched, back to ``shape``."""
    if not shape:
        return xp.sum(g, None, False)
    return xp.reshape(xp.sum(g, _summed_axes(xp.shape(g), shape), False), shape)


def _summed_axes(g_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of a gradient of ``g_shape`` that broadcasting to it added or stretched."""
    lead = len(g_shape) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                        if n == 1 and g_shape[lead + i] != 1)


def _unconnected(value: UnconnectedGradients | str) -> UnconnectedGradients:
    if value is UnconnectedGradients.NONE:
        return value
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError(f'"Unknown value for unconnected_gradients: {value!r}"') from None


def _as_target(t: Any, nested: bool = False) -> Any:
    """A target tensor (or, with ``nested``, a structure of them); TypeError for anything else."""
    if isinstance(t, Tensor) or (nested and isinstance(t, (list, tuple, dict))):
        return t
    what = "None" if t is None else f"{t!r} of type {type(t).__name__}"
    raise TypeError(f"Argument `target` should be a list or nested structure of Tensors, "
                    f"Variables or CompositeTensors to be differentiated, but received {what}.")


def _check_source(s: Any) -> None:
    if not isinstance(s, Tensor):
        raise TypeError(f"gradient sources must be tensors or variables; got {s!r} of type "
                        f"{type(s).__name__}.")


def _seeds(targets: list[Tensor], output_gradients: Any) -> list[Any]:
    """The starting gradient of each target: ones, or the given output gradients."""
    if output_gradients is None:
        given: Sequence[Any] = ()
    elif isinstance(output_gradients, (list, tuple)):
        given = output_gradients
    else:
        given = (output_gradients,)
    seeds = []
    for i, t in enumerate(targets):
        og = given[i] if i < len(given) else None
        value = t._value
        if og is None:
            seeds.append(value.dtype.type(1) if value.ndim == 0
                         else np.ones(value.shape, value.dtype))
            continue
        if isinstance(og, Tensor) and og._value.dtype != value.dtype:  # TF: no silent cast
            raise invalid_argument(
                f"cannot compute Mul as input #1(zero-based) was expected to be a "
                f"{og.dtype._op_name} tensor but is a {t.dtype._op_name} tensor [Op:Mul] name: ")
        # concrete: a seed enters the backward pass as a value; a tracing function guards it
        og = concrete(convert_to_tensor(og, dtype_hint=t.dtype)).astype(value.dtype,
                                                                      copy=False)
        try:
            seeds.append(np.broadcast_to(og, value.shape))
        except ValueError:
            raise invalid_argument(f"Incompatible shapes: {list(np.shape(og))} vs. "
                                   f"{list(value.shape)} [Op:Mul] name: ") from None
    return seeds


def _one_hot(target: Tensor, index: tuple[int, ...]) -> Any:
    value = target._value
    if value.ndim == 0:
        return value.dtype.type(1)
    seed = np.zeros(value.shape, value.dtype)
    seed[index] = 1
    return seed


def _stack_rows(rows: list[Tensor | None], t_shape: tuple[int, ...], source: Tensor
                ) -> Tensor | None:
    """Jacobian rows (one per target element) as one tensor of shape t_shape + source.shape."""
    from .ops.array import reshape, stack, zeros, zeros_like
    if not rows:  # an empty target: an empty Jacobian, as TensorFlow gives
        return zeros(t_shape + np.shape(source._value), source.dtype)
    if all(r is None for r in rows):
        return None
    rows = [zeros_like(source) if r is None else r for r in rows]
    return reshape(stack(rows), t_shape + np.shape(source._value))


# ----- stop_gradient's companion: custom gradients -----

def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator giving a function its own gradient, as ``tf.custom_gradient``.

    ``f(*xs)`` returns ``(y, grad_fn)``; ``grad_fn(dy)`` returns the gradient for each tensor in
    ``xs`` (a tensor, or a list with one entry per input). The ops inside ``f`` are not recorded.

    >>> import tapegrad as tf
    >>> @tf.custom_gradient
    ... def clip_grad(x):
    ...     return tf.identity(x), lambda dy: tf.clip_by_value(dy, -0.5, 0.5)
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = clip_grad(x) * 10.0
    >>> float(tape.gradient(y, x))
    0.5
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tapes = list(_state.tapes)
        for tape in tapes:
            _stop(tape)
        try:
            y, grad_fn = f(*args, **kwargs)
        finally:
            for tape in tapes:
                _start(tape)
        inputs = tuple(a for a in nest.flatten(args) if isinstance(a, Tensor))
        out = _identity_output(y)
        cache: dict[str, Any] = {}

        def rule(i: int) -> Callable[..., Any]:
            def vjp(xp: Any, g: Any, ans: Any, *values: Any) -> Any:
                if cache.get("g") is not g:
                    upstream = g if isinstance(g, Tensor) else wrap(g)
                    grads = grad_fn(upstream)
                    cache["g"] = g
                    cache["grads"] = list(grads) if isinstance(grads, (list, tuple)) else [grads]
                gi = cache["grads"][i]
                if gi is None:
                    return None
                gi = convert_to_tensor(gi)
                return gi if isinstance(g, Tensor) else gi._value
            return vjp

        prim = Primitive(f"CustomGradient-{f.__name__}", None,
                         *(rule(i) for i in range(len(inputs))))
        if recording and inputs:
            record(prim, out, inputs, ())
        return out

    return wrapper


def _identity_output(y: Any) -> Tensor:
    if not isinstance(y, Tensor):
        y = convert_to_tensor(y)
    return wrap(y._value)


__all__ = ["GradientTape", "UnconnectedGradients", "Primitive", "apply", "record",
           "custom_gradient", "backward", "add_listener", "remove_listener"]
