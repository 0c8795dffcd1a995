"""Control flow as functions (``tf.cond``, ``tf.while_loop``, ``tf.map_fn``, ...) and ``tf.print``.

Each runs its branch or loop eagerly: a GradientTape sees the ops of the branch taken and of
every iteration, so gradients flow through them. Inside a traced ``tapegrad.function``, a
predicate is read with ``bool`` and so becomes a guard: calls that take another branch get a
plan of their own (see ``tapegrad.function``), never a wrong answer.

``tapegrad.print`` is an op with an effect: a traced function prints on every call, as
TensorFlow's does, while Python's ``print`` runs only while tracing.

>>> import tapegrad as tf
>>> x = tf.constant(2.0)
>>> tf.cond(x > 0, lambda: x * 10.0, lambda: -x)
<tapegrad.Tensor: shape=(), dtype=float32, numpy=20.0>
>>> i, s = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2.0), (0, 1.0))
>>> int(i), float(s)
(4, 16.0)
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable

import numpy as np

from .. import nest, tape
from .. import tensor as tensor_module
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, TensorShape, Variable, convert_to_tensor
from .array import stack, unstack

# ----- tf.print -----

# Output that a compiled plan holds back until it completes (innermost last): a plan whose
# guard fails after a print drops what it printed, as if the partial run never happened.
_print_buffers: list[list[tuple[Any, str]]] = []


def _write(stream: Any, text: str) -> None:
    if _print_buffers:
        _print_buffers[-1].append((stream, text))
    else:
        (sys.stderr if stream is None else stream).write(text)


def flush(buffer: list[tuple[Any, str]]) -> None:
    """Write what a completed plan printed."""
    for stream, text in buffer:
        _write(stream, text)


def _scalar_text(v: Any) -> str:
    """A scalar as TensorFlow prints it: the shortest of %.6g/%.9g (float32) or %.15g/%.17g
    (float64) that reads back the same; bools as 1 and 0."""
    if isinstance(v, (np.floating, float)):
        short, long = (6, 9) if np.dtype(type(v)).itemsize <= 4 else (15, 17)
        text = f"{v:.{short}g}"
        return text if type(v)(text) == v or v != v else f"{v:.{long}g}"
    if isinstance(v, (np.bool_, bool)):
        return str(int(v))
    return str(v)


def _array_text(value: Any, summarize: int, depth: int = 1) -> str:
    if value.ndim == 0:
        return _scalar_text(value[()])
    n = value.shape[0]
    if 0 <= summarize < n and 2 * summarize < n:
        parts = [_array_text(value[i], summarize, depth + 1) for i in range(summarize)] + \
            ["..."] + [_array_text(value[i], summarize, depth + 1) for i in range(n - summarize, n)]
    else:
        parts = [_array_text(value[i], summarize, depth + 1) for i in range(n)]
    separator = " " if value.ndim == 1 else "\n" * (value.ndim - 1) + " " * depth
    return "[" + separator.join(parts) + "]"


def _print_kernel(*values: Any) -> None:
    *tensors, (template, stream, sep, end, summarize) = values
    it = iter(tensors)
    texts = [_array_text(np.asarray(next(it)), summarize) if t is None else t
             for t in template]
    _write(stream, sep.join(texts) + end)


PRINT = Primitive("PrintV2", _print_kernel, pure=False)


def print(*inputs: Any, output_stream: Any = None, sep: str = " ", end: str = "\n",
          summarize: int = 3, name: str | None = None) -> None:
    """Print tensors as their values (``tf.print``): to stderr unless ``output_stream`` says.

    ``summarize`` elements are shown at each end of a long dimension (-1: all). In a traced
    ``tapegrad.function`` it prints on every call.

    >>> import sys, tapegrad as tf
    >>> tf.print("x =", tf.constant([1.0, 2.5]), [1, 2], output_stream=sys.stdout)
    x = [1 2.5] [1, 2]
    >>> tf.print(tf.range(10), summarize=2, output_stream=sys.stdout)
    [0 1 ... 8 9]
    """
    tensors = tuple(x for x in inputs if isinstance(x, Tensor))
    template = tuple(None if isinstance(x, Tensor) else str(x) for x in inputs)
    tape.apply(PRINT, tensors, ((template, output_stream, sep, end, summarize),))


# ----- branches -----

def _tracing() -> bool:
    return tensor_module._on_convert is not None


def cond(pred: Any, true_fn: Callable[[], Any] | None = None,
         false_fn: Callable[[], Any] | None = None, name: str | None = None) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``tf.cond``); ``pred`` a scalar bool.

    >>> import tapegrad as tf
    >>> tf.cond(tf.constant(False), lambda: 1, lambda: 2)
    2
    """
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if _tracing():
        _predicate_checks(pred, "pred")
        compiled = _compiled(pred, "bool", [(True, true_fn), (False, false_fn)])
        if compiled is not NotImplemented:
            return compiled
    return true_fn() if _predicate(pred, "pred") else false_fn()


def _compiled(selector: Any, mode: str, fns: list[tuple[Any, Callable[[], Any]]]) -> Any:
    """A traced function's real branch on ``selector``; see ``function.compile_branches``."""
    if not isinstance(selector, Tensor):
        return NotImplemented
    from ..function import compile_branches
    return compile_branches(selector, mode, fns)


def _predicate(pred: Any, what: str) -> bool:
    _predicate_checks(pred, what)
    return bool(pred)


def _predicate_checks(pred: Any, what: str) -> None:
    if isinstance(pred, Tensor):
        value = pred._value
        if value.dtype.kind != "b" or value.ndim != 0:
            raise invalid_argument(f"{what} must be a scalar bool tensor, got a "
                                   f"{pred.dtype.name} tensor of shape {list(pred.shape)}")


def case(pred_fn_pairs: Any, default: Callable[[], Any] | None = None,
         exclusive: bool = False, strict: bool = False, name: str = "case") -> Any:
    """The function of the first true predicate (``tf.case``), else ``default()``.

    With ``exclusive``, more than one true predicate is an error. Without a default, the last
    pair's function is the default, as in TensorFlow.

    >>> import tapegrad as tf
    >>> x = tf.constant(3)
    >>> tf.case([(x < 0, lambda: -1), (x > 2, lambda: 1)], default=lambda: 0)
    1
    """
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    elif isinstance(pred_fn_pairs, (list, tuple)):
        pairs = list(pred_fn_pairs)
    else:
        raise TypeError("'pred_fn_pairs' must be a list, tuple, or dict. "
                        f"Received: {type(pred_fn_pairs)}")
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'pred_fn_pairs' must be a 2-tuple. Received {pair}.")
        if not isinstance(pair[0], (Tensor, bool)):
            raise TypeError(f"pred must be a Tensor or bool, got: {pair[0]}")
        if not callable(pair[1]):
            raise TypeError(f"fn for pred {pair[0]} must be callable.")
    if default is not None and not callable(default):
        raise TypeError("default must be callable.")
    if default is None:
        if not pairs:
            raise ValueError("pred_fn_pairs must not be empty when default is None.")
        default = pairs[-1][1]
        pairs = pairs[:-1] if not exclusive else pairs
    taken = [fn for pred, fn in pairs if _predicate(pred, "pred")] if exclusive else None
    if taken is not None:
        if len(taken) > 1:
            raise invalid_argument("Input error: exclusive=True and more than 1 conditions "
                                   "evaluated as True.")
        return taken[0]() if taken else default()
    return _first_true(pairs, default)


def _first_true(pairs: list[tuple[Any, Callable[[], Any]]], default: Callable[[], Any]) -> Any:
    """``case`` as nested ``cond``s, so a traced function compiles it into real branches."""
    if not pairs:
        return default()
    (pred, fn), rest = pairs[0], pairs[1:]
    return cond(pred, fn, lambda: _first_true(rest, default))


def switch_case(branch_index: Any, branch_fns: Any, default: Callable[[], Any] | None = None,
                name: str = "switch_case") -> Any:
    """``branch_fns[branch_index]()`` (``tf.switch_case``); out of range, ``default()`` or the
    last branch.

    >>> import tapegrad as tf
    >>> tf.switch_case(tf.constant(1), [lambda: 10, lambda: 20, lambda: 30])
    20
    """
    if isinstance(branch_fns, dict):
        fns = dict(branch_fns)
    elif isinstance(branch_fns, (list, tuple)):
        fns = dict(branch_fns) if branch_fns and isinstance(branch_fns[0], tuple) \
            else dict(enumerate(branch_fns))
    else:
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    if not fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    for key, fn in fns.items():
        if not isinstance(key, int):
            raise TypeError(f"branch_fns dict keys must be ints, got {key!r}")
        if not callable(fn):
            raise TypeError(f"branch_fns[{key}] must be callable.")
    if default is not None and not callable(default):
        raise TypeError("default must be callable.")
    if isinstance(branch_index, Tensor) and (branch_index._value.dtype.kind not in "iu" or
                                             branch_index._value.ndim != 0):
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype!r}")
    if _tracing():
        arms = [(k, f) for k, f in fns.items() if default is not None or k != max(fns)]
        arms.append((None, default if default is not None else fns[max(fns)]))
        compiled = _compiled(branch_index, "index", arms)
        if compiled is not NotImplemented:
            return compiled
    index = int(branch_index)
    fn = fns.get(index)
    if fn is None:
        fn = default if default is not None else fns[max(fns)]
    return fn()


# ----- loops -----

def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               shape_invariants: Any = None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False,
               maximum_iterations: Any = None, name: str | None = None) -> Any:
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (``tf.while_loop``).

    ``loop_vars`` is a (nested) tuple or list; the body returns the same structure. At most
    ``maximum_iterations`` iterations run. Inside a traced function each variable keeps its
    shape (or its ``shape_invariants`` entry), as TensorFlow's graph loop requires.

    >>> import tapegrad as tf
    >>> tf.while_loop(lambda x: tf.reduce_sum(x) < 10, lambda x: [x * 2], [tf.constant([1, 2])])
    [<tapegrad.Tensor: shape=(2,), dtype=int32, numpy=array([4, 8], dtype=int32)>]
    """
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    single = not isinstance(loop_vars, (list, tuple))
    structure = (loop_vars,) if single else loop_vars
    if not nest.flatten(structure):
        raise ValueError("'loop_vars' must be provided.")
    state = nest.map_structure(_as_loop_tensor, structure)
    shapes = None
    if _tracing():
        shapes = nest.flatten(shape_invariants) if shape_invariants is not None else \
            [x.shape for x in nest.flatten(state)]

    def advance(*current: Any) -> Any:
        out = body(*current)
        if single or (len(structure) == 1 and not isinstance(out, (list, tuple))):
            out = (out,)
        _same_structure(current, out)
        new = nest.map_structure(_as_loop_tensor, out)
        if shapes is not None:
            _check_shapes(nest.flatten(state), nest.flatten(new), shapes)
        return nest.pack_sequence_as(structure, nest.flatten(new))

    limit = None if maximum_iterations is None else int(maximum_iterations)
    if _tracing():
        from ..function import compile_loop
        compiled = compile_loop(cond, advance, state, limit)
        if compiled is not NotImplemented:
            return compiled[0] if single else compiled
    count = 0
    while (limit is None or count < limit) and _predicate(cond(*state), "cond"):
        state = advance(*state)
        count += 1
    return state[0] if single else state


def _as_loop_tensor(x: Any) -> Any:
    return x if isinstance(x, Tensor) or x is None else convert_to_tensor(x)


def _same_structure(a: Any, b: Any) -> None:
    fa, fb = nest.flatten(a), nest.flatten(b)
    if len(fa) != len(fb):
        raise ValueError(
            f"The two structures don't have the same nested structure.\n\nFirst structure: "
            f"type={type(a).__name__} str={a!r}\n\nSecond structure: type={type(b).__name__} "
            f"str={b!r}\n\nMore specifically: The two structures don't have the same number "
            f"of elements. First structure: type={type(a).__name__} str={a!r}. Second "
            f"structure: type={type(b).__name__} str={b!r}")


def _check_shapes(initial: list[Any], new: list[Any], shapes: list[Any]) -> None:
    for x0, x, shape in zip(initial, new, shapes):
        if not isinstance(x, Tensor):
            continue
        allowed = TensorShape(shape) if shape is not None else None
        if allowed is not None and not allowed.is_compatible_with(x.shape):
            raise ValueError(
                f"Input tensor enters the loop with shape {TensorShape(np.shape(_value(x0)))}"
                f", but has shape {x.shape} after one iteration. To allow the shape to vary "
                f"across iterations, use the `shape_invariants` argument of "
                f"tapegrad.while_loop to specify a less-specific shape.")


def _value(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else x


def _check_fn(fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"{getattr(fn, '__name__', repr(fn))} is not callable. Please provide a "
                        "callable function.")


def _unstacked(elems: Any, fn: Any) -> tuple[list[Any], int]:
    """Each leaf of ``elems`` as a list of its slices along axis 0, and their count."""
    _check_fn(fn)
    leaves = [convert_to_tensor(x) for x in nest.flatten(elems)]
    if not leaves:
        raise ValueError("elems must be a Tensor or (possibly nested) sequence of Tensors. "
                         "Got [], which does not contain any Tensors.")
    n = leaves[0].shape[0] if leaves[0].ndim else None
    for x in leaves:
        if x.ndim == 0:
            raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
        if x.shape[0] != n:
            raise ValueError(f"All elements in elems must have the same size along axis 0; "
                             f"got {n} and {x.shape[0]}")
    return [unstack(x) for x in leaves], n


def _element(elems: Any, slices: list[Any], i: int) -> Any:
    return nest.pack_sequence_as(elems, [s[i] for s in slices])


def _stacked(results: list[Any]) -> Any:
    if not results:
        raise ValueError("map_fn over zero elements needs fn_output_signature; not supported")
    flats = [nest.flatten(r) for r in results]
    return nest.pack_sequence_as(results[0], [stack([convert_to_tensor(f[k]) for f in flats])
                                              for k in range(len(flats[0]))])


def map_fn(fn: Callable[[Any], Any], elems: Any, dtype: Any = None,
           parallel_iterations: int | None = None, back_prop: bool = True,
           swap_memory: bool = False, infer_shape: bool = True, name: str | None = None,
           fn_output_signature: Any = None) -> Any:
    """``fn`` applied to each slice of ``elems`` along axis 0, results stacked (``tf.map_fn``).

    >>> import tapegrad as tf
    >>> tf.map_fn(lambda x: x * x, tf.constant([1.0, 2.0, 3.0])).numpy().tolist()
    [1.0, 4.0, 9.0]
    """
    slices, n = _unstacked(elems, fn)
    return _stacked([fn(_element(elems, slices, i)) for i in range(n)])


def vectorized_map(fn: Callable[[Any], Any], elems: Any, fallback_to_while_loop: bool = True,
                   warn: bool = True) -> Any:
    """``map_fn`` by another name (``tf.vectorized_map``): each slice in turn, stacked.

    >>> import tapegrad as tf
    >>> tf.vectorized_map(lambda x: tf.reduce_sum(x), tf.ones((2, 3))).numpy().tolist()
    [3.0, 3.0]
    """
    return map_fn(fn, elems)


def scan(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
         parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
         infer_shape: bool = True, reverse: bool = False, name: str | None = None) -> Any:
    """Every accumulator of ``acc = fn(acc, x)`` over the slices of ``elems``, stacked
    (``tf.scan``); without an initializer the first slice starts it.

    >>> import tapegrad as tf
    >>> tf.scan(lambda a, x: a + x, tf.constant([1, 2, 3, 4])).numpy().tolist()
    [1, 3, 6, 10]
    """
    results = _accumulators(fn, elems, initializer, reverse)
    return _stacked(results[::-1] if reverse else results)


def foldl(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
          name: str | None = None) -> Any:
    """``acc = fn(acc, x)`` over the slices of ``elems`` from the first (``tf.foldl``).

    >>> import tapegrad as tf
    >>> int(tf.foldl(lambda a, x: a * 10 + x, tf.constant([1, 2, 3])))
    123
    """
    return _fold(fn, elems, initializer, reverse=False)


def foldr(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
          name: str | None = None) -> Any:
    """``acc = fn(acc, x)`` over the slices of ``elems`` from the last (``tf.foldr``).

    >>> import tapegrad as tf
    >>> int(tf.foldr(lambda a, x: a * 10 + x, tf.constant([1, 2, 3])))
    321
    """
    return _fold(fn, elems, initializer, reverse=True)


def _fold(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any, reverse: bool) -> Any:
    results = _accumulators(fn, elems, initializer, reverse)
    return results[-1] if results else initializer


def _accumulators(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any,
                  reverse: bool) -> list[Any]:
    """Each ``acc = fn(acc, x)`` over the slices of ``elems`` in order (the last slice first
    with ``reverse``); without an initializer the first slice taken starts it."""
    slices, n = _unstacked(elems, fn)
    order = list(range(n))[::-1] if reverse else list(range(n))
    if initializer is None:
        if not order:
            raise ValueError("elems has no elements along axis 0 and no initializer was given")
        acc = _element(elems, slices, order[0])
        results = [acc]
        order = order[1:]
    else:
        acc, results = initializer, []
    for i in order:
        acc = fn(acc, _element(elems, slices, i))
        results.append(acc)
    return results


# ----- Python functions as ops -----

def _tracing_paused() -> Any:
    """A context in which a running trace does not listen: the plan calls the Python function
    as one op, so its inner ops must not also be recorded."""
    from ..function import _Paused, _this_thread_recorder
    recorder = _this_thread_recorder()
    return contextlib.nullcontext() if recorder is None else _Paused(recorder)


def _results(out: Any, Tout: Any) -> Any:
    """The Python function's result as tensors of ``Tout``: one, or a list when ``Tout`` is."""
    if isinstance(Tout, (list, tuple)):
        outs = out if isinstance(out, (list, tuple)) else (out,)
        if len(outs) != len(Tout):
            raise invalid_argument(f"The Python function returned {len(outs)} values, but "
                                   f"Tout has {len(Tout)} dtypes")
        return [convert_to_tensor(o, dtype=d) for o, d in zip(outs, Tout)]
    return None if Tout is None else convert_to_tensor(out, dtype=Tout)


def _py_function_kernel(*values: Any) -> Any:
    *args, (func, Tout, wrap_inputs) = values
    with _tracing_paused():
        inputs = [tensor_module.wrap(v) for v in args] if wrap_inputs else args
        results = _results(func(*inputs), Tout)
    if isinstance(results, list):
        return tuple(r._value for r in results)
    return None if results is None else results._value


# An op with an effect: never folded, and a traced function calls the Python function each call.
PY_FUNC = Primitive("EagerPyFunc", _py_function_kernel, pure=False)
_ITEM = Primitive("Unpack", lambda packed, i: packed[i])


def _call_python(func: Callable[..., Any], inp: Any, Tout: Any, wrap_inputs: bool) -> Any:
    if not callable(func):
        raise TypeError(f"func must be callable, got {func!r}")
    inputs = tuple(convert_to_tensor(x) for x in inp)
    packed = tape.apply(PY_FUNC, inputs, ((func, Tout, wrap_inputs),))
    if not isinstance(Tout, (list, tuple)):
        return None if Tout is None else packed
    return [tape.apply(_ITEM, (packed,), (i,)) for i in range(len(Tout))]


def py_function(func: Callable[..., Any] | None = None, inp: Any = None, Tout: Any = None,
                name: str | None = None) -> Any:
    """Call ``func`` on tensors as one op (``tf.py_function``): its results converted to ``Tout``
    (a dtype, or a list of dtypes for several results).

    Under a GradientTape the ops ``func`` runs are recorded, so gradients flow through it, as in
    TensorFlow. A traced ``tapegrad.function`` calls ``func`` on every call.

    >>> import tapegrad as tf
    >>> tf.py_function(lambda x: x * 2, [tf.constant(3.0)], tf.float32)
    <tapegrad.Tensor: shape=(), dtype=float32, numpy=6.0>

    Without ``inp`` it is a decorator, as in TensorFlow: ``@tf.py_function(Tout=tf.float32)``.
    """
    if inp is None:
        def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
            return lambda *args: py_function(f, list(args), Tout, name)
        return decorate if func is None else decorate(func)
    if tape._state.tapes and callable(func):
        return _results(func(*(convert_to_tensor(x) for x in inp)), Tout)
    return _call_python(func, inp, Tout, wrap_inputs=True)


def numpy_function(func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool = True,
                   name: str | None = None) -> Any:
    """Call ``func`` on NumPy values as one op (``tf.numpy_function``); no gradient flows
    through it. A traced ``tapegrad.function`` calls ``func`` on every call.

    >>> import numpy as np, tapegrad as tf
    >>> tf.numpy_function(lambda x: np.sort(x), [tf.constant([3, 1, 2])], tf.int32)
    <tapegrad.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>
    """
    return _call_python(func, inp, Tout, wrap_inputs=False)


# ----- what graphs need and eager execution does not -----

def no_op(name: str | None = None) -> None:
    """Nothing (``tf.no_op``): eager ops run in order already."""


def group(*inputs: Any, name: str | None = None) -> None:
    """Nothing (``tf.group``): in eager execution the inputs have already run."""


def control_dependencies(control_inputs: Any) -> contextlib.AbstractContextManager[None]:
    """An empty context (``tf.control_dependencies``): eager ops run in program order.

    >>> import tapegrad as tf
    >>> with tf.control_dependencies([tf.constant(1.0)]):
    ...     y = tf.constant(2.0)
    """
    return contextlib.nullcontext()


def get_static_value(tensor: Any, partial: bool = False) -> Any:
    """The value of ``tensor`` as NumPy if it is known without running anything
    (``tf.get_static_value``): a constant's value; None for a variable and, in a traced
    ``tapegrad.function``, for a value that depends on the arguments; other values as they are.

    >>> import tapegrad as tf
    >>> tf.get_static_value(tf.constant([1, 2]))
    array([1, 2], dtype=int32)
    >>> tf.get_static_value(tf.Variable(1.0)) is None
    True
    """
    if not isinstance(tensor, Tensor):
        return tensor
    if isinstance(tensor, Variable):
        return None
    if _tracing():
        from ..function import _this_thread_recorder
        recorder = _this_thread_recorder()
        if recorder is not None and recorder.is_traced(tensor):
            return None
    return np.array(tensor._value)


__all__ = ["cond", "case", "switch_case", "while_loop", "map_fn", "vectorized_map", "scan",
           "foldl", "foldr", "print", "PRINT", "py_function", "numpy_function", "no_op", "group",
           "control_dependencies", "get_static_value"]

