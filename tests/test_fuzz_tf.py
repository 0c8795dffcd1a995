"""Differential fuzzing against TensorFlow: random programs run in tapegrad and in TensorFlow.

Hypothesis builds small programs from the op table (tests/op_table.py) and from generators of
its own: elementwise ops on random shapes with broadcasting, reductions over random axes with and
without keepdims, random indexing, reshapes and joins, in float32 and float64. Each program
differentiates its outputs in one of five ways: a plain tape, a persistent tape asked about
several targets (and an intermediate, sometimes a Jacobian), nested tapes to the second order,
output_gradients, unconnected_gradients='zero'. Leaves are Variables, watched constants or plain
constants. A few programs are invalid on purpose (shapes that don't broadcast, axes out of range):
where TensorFlow raises, tapegrad must raise the same exception class.

The same op table runs in both: it is loaded a second time with ``tensorflow`` in the place of
``tapegrad``, which is the project's promise (``import tapegrad as tf``) put to work.

Runs only where TensorFlow imports. The example count comes from the hypothesis profile
``tf-fuzz``: ``TAPEGRAD_FUZZ_EXAMPLES`` programs (default 6000, about a minute on one core),
the same ones every run unless ``TAPEGRAD_FUZZ_RANDOM=1`` asks for new ones. The terminal summary
says how many programs ran, what they did and which ops they covered.
"""

from __future__ import annotations

import collections
import importlib.util
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tensorflow = pytest.importorskip("tensorflow")

import op_table  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's notes on inf, NaN

import tapegrad  # noqa: E402

settings.register_profile(
    "tf-fuzz", max_examples=int(os.environ.get("TAPEGRAD_FUZZ_EXAMPLES", "6000")), deadline=None,
    derandomize=os.environ.get("TAPEGRAD_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])

PROGRAMS: collections.Counter[str] = collections.Counter()  # programs run, by outcome and mode
COVERED: collections.Counter[str] = collections.Counter()  # ops used, by name


def summary() -> str:
    """What the fuzzer did, for the terminal summary (tests/conftest.py prints it)."""
    if not PROGRAMS:
        return ""
    ops = ", ".join(f"{name} {n}" for name, n in sorted(COVERED.items()))
    missed = [op.name for op in op_table.OPS if op.name not in COVERED]
    return (f"TensorFlow differential fuzzer: {PROGRAMS['ran']} programs "
            f"({', '.join(f'{k} {v}' for k, v in sorted(PROGRAMS.items()) if k != 'ran')}); "
            f"{len(op_table.OPS) - len(missed)} of the {len(op_table.OPS)} op-table entries"
            f"{' (not: ' + ', '.join(missed) + ')' if missed else ''} and "
            f"{len(COVERED) - len(op_table.OPS) + len(missed)} generated ops covered, "
            f"times used: {ops}")


# ----- the op table, twice -----

def _table_for(module: Any) -> Any:
    """tests/op_table.py executed with ``module`` bound where it says ``import tapegrad as tf``."""
    saved = sys.modules["tapegrad"]
    sys.modules["tapegrad"] = module
    try:
        spec = importlib.util.spec_from_file_location(
            "op_table_tf", Path(__file__).with_name("op_table.py"))
        table = importlib.util.module_from_spec(spec)
        sys.modules["op_table_tf"] = table  # dataclasses look their module up
        spec.loader.exec_module(table)
    finally:
        sys.modules["tapegrad"] = saved
    return table


@dataclass(frozen=True)
class Framework:
    name: str
    tf: Any  # tapegrad or tensorflow
    ops: list[Any]  # its op table's OPS, in the same order


TG = Framework("tapegrad", tapegrad, op_table.OPS)
TF = Framework("tensorflow", tensorflow, _table_for(tensorflow).OPS)
OP_INDEX = {op.name: i for i, op in enumerate(op_table.OPS)}

# The namespaces whose names the fuzzer calls ops by: TensorFlow's names for one function.
NAMESPACES = ["", "math", "linalg", "nn", "random", "dtypes", "debugging"]


def _aliases(fn: Any) -> list[str]:
    """Every dotted name (``math.add``, ``add``) under which TensorFlow exposes ``fn``."""
    names = []
    for namespace in NAMESPACES:
        module = tensorflow
        for part in namespace.split(".") if namespace else ():
            module = getattr(module, part)
        names += [f"{namespace}.{n}".lstrip(".") for n in dir(module)
                  if not n.startswith("_") and getattr(module, n, None) is fn]
    return sorted(names)


# For each op-table entry whose TensorFlow op is a plain function: its names, so that a step can
# call it by any of them (a name tapegrad lacks is an AttributeError there, and a finding).
ALIASES = {op.name: _aliases(tf_op.fn) for op, tf_op in zip(TG.ops, TF.ops)
           if not getattr(tf_op.fn, "__name__", "<lambda>") == "<lambda>"}


# ----- programs -----

@dataclass
class Leaf:
    value: np.ndarray
    kind: str  # "variable", "watched" or "constant"


@dataclass
class Step:
    label: str  # the op, for the coverage count
    make: Callable[[Framework], Callable[..., Any]]  # the op in a framework
    args: list[int]  # positions in the pool: leaves first, then step outputs


@dataclass
class Program:
    dtype: str
    mode: str
    leaves: list[Leaf] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    events: list[tuple[str, int]] = field(default_factory=list)  # ("leaf", k), ("step", k)
    targets: list[int] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    invalid: bool = False  # the last step is meant to fail
    # The pool: leaves and step outputs in the order they were made. What generation saw,
    # running tapegrad: each entry's value, whether a step made it, whether it may feed an
    # argument that takes any real number.
    values: list[Any] = field(default_factory=list)
    from_step: list[bool] = field(default_factory=list)
    real: list[bool] = field(default_factory=list)
    made: list[int] = field(default_factory=list)  # pool entries each step made

    def describe(self) -> str:
        lines, position = [], 0
        for kind, k in self.events:
            if kind == "leaf":
                leaf = self.leaves[k]
                lines.append(f"v{position} = {leaf.kind} {leaf.value.dtype}"
                             f"{list(leaf.value.shape)}")
                position += 1
            else:
                step = self.steps[k]
                lines.append(f"v{position} = {step.label}"
                             f"({', '.join(f'v{a}' for a in step.args)})")
                position += self.made[k] if k < len(self.made) else 1
        return f"{self.mode} in {self.dtype}: " + "; ".join(lines) + f"; targets {self.targets}"


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


class Builder:
    """Draws a program step by step, running each step in tapegrad to learn its outputs."""

    def __init__(self, draw: st.DrawFn, dtype: str, mode: str) -> None:
        self.draw = draw
        self.program = Program(dtype, mode)
        self.rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))

    def _add(self, value: Any, from_step: bool, real: bool) -> int:
        p = self.program
        p.values.append(value)
        p.from_step.append(from_step)
        p.real.append(real)
        return len(p.values) - 1

    def leaf(self, value: np.ndarray, real: bool) -> int:
        value = np.asarray(value)
        if value.dtype.kind == "f":
            value = value.astype(self.program.dtype)
            # NumPy arrays are operands of Python operators (_operator_step), not leaves: under a
            # tape TensorFlow converts a float64 array argument of some ops (max_pool2d) to
            # float32, an accident of its internals that tapegrad does not copy (README)
            kind = self.draw(st.sampled_from(["variable", "variable", "watched", "watched",
                                              "constant"]), label="leaf kind")
        else:
            kind = "constant"
        p = self.program
        p.events.append(("leaf", len(p.leaves)))
        p.leaves.append(Leaf(value, kind))
        return self._add(value, False, real and value.dtype.kind == "f")

    def input(self, shape: tuple[int, ...], sampler: Any) -> int:
        """An argument: an earlier value of this shape where any real will do, or a new leaf."""
        if sampler is op_table.normal:
            reuse = [i for i, v in enumerate(self.program.values)
                     if self.program.real[i] and np.shape(v) == tuple(shape)]
            if reuse and self.draw(st.booleans(), label="chain"):
                return self.draw(st.sampled_from(reuse), label="reuse")
        return self.leaf(sampler(self.rng, tuple(shape)), sampler is op_table.normal)

    def step(self, label: str, make: Callable[[Framework], Callable[..., Any]],
             args: list[int]) -> bool:
        """Add a step; False when it raised in tapegrad (the program stops there)."""
        p = self.program
        p.events.append(("step", len(p.steps)))
        p.steps.append(Step(label, make, list(args)))
        try:
            xs = [tapegrad.constant(p.values[a]) for a in args]
            outs = _outputs(make(TG)(*xs))
        except Exception:
            p.invalid = True
            return False
        for out in outs:
            value = out.numpy() if isinstance(out, tapegrad.Tensor) else np.asarray(out)
            finite = value.dtype.kind == "f" and bool(np.all(np.isfinite(value))) and \
                (value.size == 0 or float(np.max(np.abs(value))) < 20)
            self._add(value, True, finite)
        p.made.append(len(outs))
        return True


SHAPES = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
SHAPES_WITH_EMPTY = st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple)


# Where tapegrad deliberately differs from TensorFlow at second order, being right where TF is
# not (test_ops.py checks tapegrad's against finite differences):
# - at an exact zero TF's Hessian of reduce_prod is not symmetric: its Hessian-vector product
#   misses the terms through the zero entry;
# - TF's EuclideanNorm gradient is x / (norm / g): where the upstream g is 0 (an entry a later
#   slice drops) its second derivative is NaN (inf · 0); tapegrad's is the finite value.
SECOND_ORDER_DIFFERS = ("reduce_prod with zeros", "reduce_prod with two zeros",
                        "reduce_euclidean_norm", "math.reduce_euclidean_norm")


def _table_step(b: Builder) -> bool:
    ops = [op for op in op_table.OPS if b.program.dtype == "float64" or op.float32]
    if b.program.mode == "second":
        ops = [op for op in ops if (op.order2 or not op.grad)
               and not op.name.startswith(SECOND_ORDER_DIFFERS)]
    op = b.draw(st.sampled_from(ops), label="op")
    # the shapes of earlier values that any real may replace: a chance to chain ops
    chainable = sorted({np.shape(v) for v, real in zip(b.program.values, b.program.real)
                        if real})
    if op.shapes == op_table.UNARY_SHAPES:
        shapes = (b.draw(st.sampled_from(chainable) if chainable and b.draw(st.booleans())
                         else SHAPES, label="shape"),)
    elif op.shapes == op_table.BINARY_SHAPES:
        shapes = tuple(b.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                              label="broadcast shapes").input_shapes)
        if chainable and b.draw(st.booleans(), label="chain shape"):
            first = b.draw(st.sampled_from(chainable), label="shape")
            second = b.draw(st.sampled_from([first, first[1:], (), first[:-1] + (1,)])
                            if first else st.just(()), label="other shape")
            shapes = (first, second) if b.draw(st.booleans()) else (second, first)
    else:
        shapes = b.draw(st.sampled_from(list(op.shapes)), label="shapes")
    samplers = op.samplers(len(shapes))
    args = [b.input(s, sampler) for s, sampler in zip(shapes, samplers)]
    names = ALIASES.get(op.name)
    if names and b.draw(st.booleans(), label="by name"):
        path = b.draw(st.sampled_from(names), label="name")
        return b.step(f"{op.name} as tf.{path}", lambda fw: _function(fw, path), args)
    index = OP_INDEX[op.name]
    return b.step(op.name, lambda fw, i=index: fw.ops[i].fn, args)


REDUCTIONS = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
              "reduce_logsumexp", "math.reduce_variance", "math.reduce_std",
              "math.reduce_euclidean_norm", "cumsum"]


def _function(fw: Framework, path: str) -> Callable[..., Any]:
    obj = fw.tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _axes(b: Builder, ndim: int) -> Any:
    return b.draw(st.one_of(
        st.none(), st.integers(-ndim, ndim - 1),
        st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim, min_size=1,
                 max_size=ndim)), label="axis")


def _reduce_step(b: Builder) -> bool:
    name = b.draw(st.sampled_from([r for r in REDUCTIONS if b.program.mode != "second"
                                   or not r.startswith(SECOND_ORDER_DIFFERS)]), label="reduction")
    chained = [i for i, v in enumerate(b.program.values) if b.program.real[i] and np.ndim(v)]
    # products, deviations and norms only of fresh values: their derivatives at the exact zeros
    # and ties that chained values can hold are conventions (see tf-semantics.md)
    fresh_only = name in ("reduce_prod", "math.reduce_std", "math.reduce_euclidean_norm")
    if chained and not fresh_only and b.draw(st.booleans(), label="chain"):
        x = b.draw(st.sampled_from(chained), label="reuse")
    else:
        shape = b.draw(SHAPES_WITH_EMPTY if name != "reduce_prod" else
                       st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
                       label="shape")
        sampler = op_table.spread if name in ("reduce_max", "reduce_min") else \
            (lambda rng, s: rng.uniform(0.6, 1.4, s) * rng.choice([-1.0, 1.0], s)) \
            if name == "reduce_prod" else op_table.normal
        x = b.leaf(sampler(b.rng, shape), sampler is op_table.normal)
    ndim = np.ndim(b.program.values[x])
    if name == "cumsum":
        axis = b.draw(st.integers(-ndim, ndim - 1), label="axis")
        exclusive, reverse = b.draw(st.booleans(), label="exclusive"), b.draw(st.booleans())
        label = "cumsum(random axis)"
        return b.step(label, lambda fw: lambda t: fw.tf.cumsum(t, axis, exclusive, reverse), [x])
    axis, keepdims = _axes(b, ndim), b.draw(st.booleans(), label="keepdims")
    return b.step(f"{name}(random axis)",
                  lambda fw: lambda t: _function(fw, name)(t, axis, keepdims), [x])


@st.composite
def _index_key(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[Any, ...]:
    key: list[Any] = []
    used_ellipsis = False
    for n in shape:
        part = draw(st.sampled_from(["int", "slice", "slice", "all", "newaxis", "ellipsis"]))
        if part == "int" and n:
            key.append(draw(st.integers(-n, n - 1)))
        elif part == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            key.append(slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -2]))))
        elif part == "newaxis":
            key += [None, slice(None)]
        elif part == "ellipsis" and not used_ellipsis:
            key.append(Ellipsis)
            used_ellipsis = True
            break  # the rest of the axes are covered by the ellipsis
        else:
            key.append(slice(None))
    return tuple(key)


def _index_step(b: Builder) -> bool:
    chained = [i for i, v in enumerate(b.program.values) if b.program.real[i] and np.ndim(v)]
    if chained and b.draw(st.booleans(), label="chain"):
        x = b.draw(st.sampled_from(chained), label="reuse")
    else:
        x = b.leaf(op_table.normal(b.rng, b.draw(SHAPES_WITH_EMPTY, label="shape")), True)
    shape = np.shape(b.program.values[x])
    how = b.draw(st.sampled_from(["getitem", "getitem", "gather"]), label="indexing")
    if how == "gather" and shape[0]:
        axis = b.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        n = shape[axis]
        if n:
            # no empty index list: TensorFlow's gradient then fails for most axes ("data.shape
            # = [1,0] does not start with segment_ids.shape = [0]"); test_hostile.py checks ours
            indices = b.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4),
                             label="indices")
            return b.step("gather(random indices)", lambda fw: lambda t: fw.tf.gather(
                t, np.array(indices, np.int32), axis=axis), [x])
    key = b.draw(_index_key(shape), label="key")
    return b.step("getitem(random key)", lambda fw: lambda t: t[key], [x])


def _shape_step(b: Builder) -> bool:
    chained = [i for i, v in enumerate(b.program.values) if b.program.real[i]]
    if chained and b.draw(st.booleans(), label="chain"):
        x = b.draw(st.sampled_from(chained), label="reuse")
    else:
        x = b.leaf(op_table.normal(b.rng, b.draw(SHAPES, label="shape")), True)
    shape = tuple(np.shape(b.program.values[x]))
    ndim, size = len(shape), math.prod(shape)
    how = b.draw(st.sampled_from(["reshape", "transpose", "expand_dims", "squeeze", "concat",
                                  "stack", "tile", "reverse", "broadcast_to"]), label="how")
    if how == "reshape":
        dims = [d for d in range(1, size + 1) if size % d == 0]
        first = b.draw(st.sampled_from(dims), label="dim") if size else 0
        new = b.draw(st.sampled_from([(first, -1), (-1,), (size // first, first, 1)])) \
            if size else (3, 0)
        return b.step("reshape(random shape)", lambda fw: lambda t: fw.tf.reshape(t, new), [x])
    if how == "transpose":
        perm = b.draw(st.permutations(range(ndim)), label="perm")
        return b.step("transpose(random perm)",
                      lambda fw: lambda t: fw.tf.transpose(t, list(perm)), [x])
    if how == "expand_dims":
        axis = b.draw(st.integers(-ndim - 1, ndim), label="axis")
        return b.step("expand_dims", lambda fw: lambda t: fw.tf.expand_dims(t, axis), [x])
    if how == "squeeze":
        return b.step("squeeze", lambda fw: lambda t: fw.tf.squeeze(t), [x])
    if how in ("concat", "stack") and ndim:
        axis = b.draw(st.integers(-ndim, ndim - 1 + (how == "stack")), label="axis")
        other_shape = list(shape)
        if how == "concat":
            other_shape[axis] = b.draw(st.integers(0, 2), label="size")
        y = b.input(tuple(other_shape), op_table.normal)
        fn = "concat" if how == "concat" else "stack"
        return b.step(f"{fn}(random axis)",
                      lambda fw: lambda s, t: getattr(fw.tf, fn)([s, t], axis), [x, y])
    if how == "tile":
        multiples = b.draw(st.lists(st.integers(0, 2), min_size=ndim, max_size=ndim))
        return b.step("tile", lambda fw: lambda t: fw.tf.tile(t, multiples), [x])
    if how == "reverse" and ndim:
        axes = b.draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim,
                               max_size=ndim), label="axes")
        return b.step("reverse(random axes)", lambda fw: lambda t: fw.tf.reverse(t, axes), [x])
    target = b.draw(st.lists(st.integers(1, 3), max_size=1), label="lead") + \
        [n if n != 1 else b.draw(st.integers(1, 3)) for n in shape]
    return b.step("broadcast_to", lambda fw: lambda t: fw.tf.broadcast_to(t, target), [x])


OPERATORS = {"+": lambda s, t: s + t, "-": lambda s, t: s - t, "*": lambda s, t: s * t,
             "/": lambda s, t: s / t, "**": lambda s, t: s ** t}


def _operator_step(b: Builder) -> bool:
    """A Python operator with a NumPy array or a Python float on either side of a tensor."""
    symbol = b.draw(st.sampled_from(sorted(OPERATORS)), label="operator")
    shapes = b.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                    label="broadcast shapes").input_shapes
    sampler = op_table.positive if symbol == "**" else op_table.away_from_zero
    x = b.input(shapes[0], sampler)
    other = b.draw(st.sampled_from(["array", "float"]), label="other operand")
    if other == "float":
        value = float(np.round(b.rng.uniform(0.5, 2.0), 2))
        operand: Any = lambda fw: value  # noqa: E731
    else:
        array = sampler(b.rng, shapes[1]).astype(b.program.dtype)
        operand = lambda fw: array  # noqa: E731
    left = b.draw(st.booleans(), label="tensor on the left")
    fn = OPERATORS[symbol]
    if left:
        return b.step(f"tensor {symbol} {other}",
                      lambda fw: lambda t: fn(t, operand(fw)), [x])
    return b.step(f"{other} {symbol} tensor", lambda fw: lambda t: fn(operand(fw), t), [x])


def _invalid_step(b: Builder) -> bool:
    """A step that TensorFlow refuses; tapegrad must refuse it with the same exception class."""
    how = b.draw(st.sampled_from(["broadcast", "axis", "index", "matmul", "reshape", "concat",
                                  "transpose", "xent", "repeated axis", "mixed division"]),
                 label="invalid")
    x = b.leaf(op_table.normal(b.rng, (2, 3)), True)
    if how == "repeated axis":
        name = b.draw(st.sampled_from([r for r in REDUCTIONS if r != "cumsum"]), label="reduction")
        axis = b.draw(st.sampled_from([[0, 0], [1, -1], [0, 1, 0], [-2, 0]]), label="axis")
        return b.step(f"{name}(repeated axis)",
                      lambda fw: lambda t: _function(fw, name)(t, axis), [x])
    if how == "mixed division":
        other = "float32" if b.program.dtype == "float64" else "float64"
        y = np.ones((2, 3), other)
        return b.step("divide(mixed dtypes)", lambda fw: lambda t: fw.tf.math.divide(
            t, fw.tf.constant(y)), [x])
    if how == "broadcast":
        y = b.leaf(op_table.normal(b.rng, (4,)), True)
        op = b.draw(st.sampled_from(["add", "multiply", "maximum", "subtract"]))
        return b.step(f"{op}(incompatible shapes)", lambda fw: getattr(fw.tf, op), [x, y])
    if how == "axis":
        axis = b.draw(st.sampled_from([2, -3, 5]))
        return b.step("reduce_sum(axis out of range)",
                      lambda fw: lambda t: fw.tf.reduce_sum(t, axis), [x])
    if how == "index":
        i = b.draw(st.sampled_from([2, -3, 7]))
        return b.step("getitem(index out of range)", lambda fw: lambda t: t[i], [x])
    if how == "matmul":
        return b.step("matmul(incompatible shapes)", lambda fw: fw.tf.matmul, [x, x])
    if how == "reshape":
        return b.step("reshape(wrong size)", lambda fw: lambda t: fw.tf.reshape(t, (4, 2)), [x])
    if how == "concat":
        y = b.leaf(op_table.normal(b.rng, (2, 4)), True)
        return b.step("concat(mismatched shapes)",
                      lambda fw: lambda s, t: fw.tf.concat([s, t], 0), [x, y])
    if how == "transpose":
        return b.step("transpose(bad perm)", lambda fw: lambda t: fw.tf.transpose(t, [0, 0]), [x])
    y = b.leaf(op_table.normal(b.rng, (2, 4)), True)
    return b.step("softmax_cross_entropy(mismatched shapes)", lambda fw: lambda s, t:
                  fw.tf.nn.softmax_cross_entropy_with_logits(s, t), [x, y])


GENERATORS = [_table_step] * 4 + [_reduce_step] * 2 + [_index_step, _shape_step, _operator_step]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    dtype = draw(st.sampled_from(["float32", "float64"]), label="dtype")
    mode = draw(st.sampled_from(["first", "first", "persistent", "second", "output_gradients",
                                 "unconnected_zero"]), label="mode")
    b = Builder(draw, dtype, mode)
    for _ in range(draw(st.integers(1, 6), label="steps")):
        generator = draw(st.sampled_from(GENERATORS), label="step kind")
        if not generator(b):
            break
    if not b.program.invalid and draw(st.integers(0, 11), label="break it") == 7:  # 1 in 12
        _invalid_step(b)
    p = b.program
    if not p.invalid:
        floats = [i for i, v in enumerate(p.values)
                  if p.from_step[i] and np.asarray(v).dtype.kind == "f"]
        p.targets = floats[-2:] if floats else []
        p.weights = [(b.rng.uniform(0.5, 1.5, np.shape(p.values[t]))
                      * b.rng.choice([-1.0, 1.0], np.shape(p.values[t])))
                     .astype(np.asarray(p.values[t]).dtype) for t in p.targets]
    return p


# ----- running a program in one framework -----

def _numpy(x: Any) -> Any:
    if x is None:
        return None
    if hasattr(x, "values") and hasattr(x, "indices"):  # TensorFlow's IndexedSlices
        x = tensorflow.convert_to_tensor(x)
    return np.asarray(x.numpy())


def _run(p: Program, fw: Framework, leaves: list[Any]) -> list[Any]:
    """The pool: each leaf and each step's outputs, in the order the program made them."""
    pool: list[Any] = []
    for kind, k in p.events:
        if kind == "leaf":
            pool.append(leaves[k])
        else:
            step = p.steps[k]
            pool.extend(_outputs(step.make(fw)(*[pool[a] for a in step.args])))
    return pool


def _made(p: Program, pool: list[Any]) -> list[Any]:
    """The step outputs in the pool, as NumPy values."""
    return [_numpy(v) for v, from_step in zip(pool, p.from_step) if from_step]


def _loss(p: Program, fw: Framework, pool: list[Any]) -> Any:
    tf = fw.tf
    total = None
    for t, w in zip(p.targets, p.weights):
        term = tf.reduce_sum(pool[t] * tf.constant(w))
        total = term if total is None else total + tf.cast(term, total.dtype)
    return total


def execute(p: Program, fw: Framework) -> dict[str, Any]:
    """Run ``p`` in ``fw``: the values of every step and the gradients its mode asks for, or the
    exception class it raised."""
    tf = fw.tf
    leaves = [tf.Variable(leaf.value) if leaf.kind == "variable" else tf.constant(leaf.value)
              for leaf in p.leaves]
    watched = [t for t, leaf in zip(leaves, p.leaves) if leaf.kind == "watched"]
    out: dict[str, Any] = {"texts": [_texts(t) for t in leaves]}
    try:
        if p.mode == "second":
            with tf.GradientTape() as outer:
                outer.watch(watched)
                with tf.GradientTape() as inner:
                    inner.watch(watched)
                    pool = _run(p, fw, leaves)
                    loss = _loss(p, fw, pool) if p.targets else None
                if loss is None:
                    return {**out, "values": _made(p, pool)}
                grads = inner.gradient(loss, leaves)
                total = None
                for g, leaf in zip(grads, p.leaves):
                    if g is not None:
                        term = tf.reduce_sum(tf.convert_to_tensor(g) * tf.constant(
                            np.full(leaf.value.shape, 0.75, leaf.value.dtype)))
                        total = term if total is None else total + tf.cast(term, total.dtype)
            out["grads"] = [_numpy(g) for g in grads]
            out["second"] = [_numpy(g) for g in outer.gradient(total, leaves)] \
                if total is not None else None
        else:
            persistent = p.mode == "persistent"
            with tf.GradientTape(persistent=persistent) as tape:
                tape.watch(watched)
                pool = _run(p, fw, leaves)
                loss = _loss(p, fw, pool) if p.targets else None
            if loss is None:
                return {**out, "values": _made(p, pool)}
            if p.mode == "output_gradients":
                t, w = p.targets[-1], p.weights[-1]
                grads = tape.gradient(pool[t], leaves, output_gradients=tf.constant(w))
            elif p.mode == "unconnected_zero":
                grads = tape.gradient(loss, leaves, unconnected_gradients="zero")
            else:
                grads = tape.gradient(loss, leaves)
            out["grads"] = [_numpy(g) for g in grads]
            if persistent:
                first = pool[p.targets[0]]
                out["first target"] = [_numpy(g) for g in tape.gradient(first, leaves)]
                out["both targets"] = [_numpy(g) for g in tape.gradient(
                    [pool[t] for t in p.targets], leaves)]
                middle = [i for step in p.steps for i in step.args if p.from_step[i]]
                if middle:
                    out["intermediate"] = _numpy(tape.gradient(loss, pool[middle[0]]))
                # small targets only (a TensorFlow Jacobian costs 50 ms), and not empty ones:
                # TensorFlow's pfor fails on them ("shape (0, 1) is not compatible")
                if 0 < np.size(p.values[p.targets[-1]]) <= 6 and len(p.steps) == 1:
                    out["jacobian"] = [_numpy(j) for j in tape.jacobian(pool[p.targets[-1]],
                                                                        leaves)]
        out["values"] = _made(p, pool)
        out["loss"] = _numpy(loss)
    except Exception as e:  # compared with the other framework's by class
        return {"error": e}
    return out


def _texts(t: Any) -> list[str]:
    """How a leaf prints: repr, str, f"{t}" and, for a scalar, a format spec; TensorFlow's
    ``tf.`` is tapegrad's ``tapegrad.``, and TensorFlow's ResourceVariable our Variable."""
    texts = [repr(t), str(t), f"{t}"]
    if np.ndim(t) == 0 and not hasattr(t, "assign"):
        texts.append(f"{t:.3f}|{t:+.2e}")
    return [text.replace("tapegrad.", "tf.").replace("ResourceVariable", "Variable")
            for text in texts]


def _compare_texts(mine: list[list[str]], theirs: list[list[str]]) -> None:
    assert mine == theirs, f"printed forms differ: tapegrad {mine}, TensorFlow {theirs}"


# ----- comparing -----

ERRORS = {"InvalidArgumentError": tapegrad.errors.InvalidArgumentError, "ValueError": ValueError,
          "TypeError": TypeError}


def _close(name: str, got: Any, want: Any, dtype: str) -> None:
    if want is None or got is None:
        assert got is None and want is None, f"{name}: tapegrad {got!r}, TensorFlow {want!r}"
        return
    assert got.shape == want.shape, f"{name}: shape {got.shape} vs TensorFlow's {want.shape}"
    if want.dtype.kind != "f":
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} vs {want.dtype}"
        np.testing.assert_array_equal(got, want, err_msg=name)
        return
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} vs TensorFlow's {want.dtype}"
    finite = want[np.isfinite(want)]
    scale = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
    tol = 1e-9 if dtype == "float64" and want.dtype == np.float64 else 2e-4
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, equal_nan=True,
                               err_msg=name)


def _compare(p: Program, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    if "error" in theirs:
        expected = ERRORS[type(theirs["error"]).__name__]
        assert "error" in mine, f"TensorFlow raised {theirs['error']!r}, tapegrad did not"
        assert isinstance(mine["error"], expected), (
            f"TensorFlow raised {type(theirs['error']).__name__}: {theirs['error']}; "
            f"tapegrad {type(mine['error']).__name__}: {mine['error']}")
        return
    assert "error" not in mine, f"tapegrad raised {mine['error']!r}; TensorFlow did not"
    assert mine.keys() == theirs.keys(), (sorted(mine), sorted(theirs))
    _compare_texts(mine["texts"], theirs["texts"])
    for key in sorted(set(theirs) - {"texts"}):
        got, want = mine[key], theirs[key]
        if isinstance(want, list):
            assert len(got) == len(want), key
            for i, (g, w) in enumerate(zip(got, want)):
                _close(f"{key}[{i}]", g, w, p.dtype)
        else:
            _close(key, got, want, p.dtype)


@settings(settings.get_profile("tf-fuzz"))
@given(programs())
def test_programs_agree_with_tensorflow(p: Program) -> None:
    mine, theirs = execute(p, TG), execute(p, TF)
    PROGRAMS["ran"] += 1
    if "error" in theirs and type(theirs["error"]).__name__ not in ERRORS:
        # TensorFlow cannot run it: a gradient it has no rule for (LookupError: the second
        # derivative of softsign), a kernel it lacks (NotFoundError). Nothing to compare.
        PROGRAMS["TensorFlow cannot"] += 1
        return
    PROGRAMS[p.mode if "error" not in theirs else "TensorFlow raised"] += 1
    for step in p.steps:
        COVERED[step.label] += 1
    try:
        _compare(p, mine, theirs)
    except AssertionError as e:
        raise AssertionError(f"{e}\nprogram: {p.describe()}") from None
