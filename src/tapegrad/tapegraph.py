"""The graph a GradientTape recorded, as nodes and edges: what ``plot_tape`` and ``to_dot`` draw.

``tape_graph(tape, target, sources)`` keeps the ops on a path from a source to the target, one
node per op output (TensorFlow's op name, dtype, shape, the value of a scalar), one per source,
and one per other input (a constant, or a watched tensor that is not a source); each edge runs
from an input to the op that read it. With a target, each tensor also carries the gradient of
the target that reaches it, computed by one backward pass over the record that uses nothing up.

>>> import tapegrad as tf
>>> from tapegrad.tapegraph import tape_graph
>>> x = tf.Variable(3.0, name="x")
>>> with tf.GradientTape(persistent=True) as tape:
...     y = x ** 3
>>> graph = tape_graph(tape, y)
>>> [(n.kind, n.title, n.gradient) for n in graph.nodes]
[('source', 'x', '27'), ('constant', 'Const', None), ('op', 'Pow', '1')]
>>> graph.edges
[(0, 2), (1, 2)]
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from . import nest
from .tape import GradientTape, gradients_of_all, read_record
from .tensor import Tensor, Variable

MAX_VALUES = 3  # arrays with at most this many elements are written out; larger, their norm


@dataclasses.dataclass
class Node:
    """One tensor in the drawing: an op's output, a source, or another input of an op."""

    kind: str  # "op", "source" or "constant" (any input that is neither: a constant, a watched x)
    title: str  # the op's TensorFlow name (Mul, MatMul), or the tensor's name
    detail: str  # dtype, shape and, for a scalar, its value: "float32 () = 27"
    gradient: str | None = None  # the gradient of the target reaching this tensor, if any
    target: bool = False
    layer: int = 0  # the column of the drawing: data flows from layer to layer

    @property
    def label(self) -> str:
        lines = [self.title + (" (target)" if self.target else ""), self.detail]
        if self.gradient is not None:
            lines.append(f"grad {self.gradient}")
        return "\n".join(lines)


@dataclasses.dataclass
class TapeGraph:
    """Nodes and edges (input index, op index), in the order the ops ran."""

    nodes: list[Node]
    edges: list[tuple[int, int]]

    @property
    def n_ops(self) -> int:
        return sum(node.kind == "op" for node in self.nodes)

    def to_dot(self) -> str:
        """Graphviz source: boxes left to right, sources green, the target red."""
        colors = {"source": "#d9f2d9", "op": "#e8eef8", "constant": "#f2f2f2"}
        lines = ["digraph tape {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", '
                 'fontname="Helvetica"];']
        for i, node in enumerate(self.nodes):
            label = node.label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            border = ', color="#c0392b", penwidth=2' if node.target else ""
            lines.append(f'  n{i} [label="{label}", fillcolor="{colors[node.kind]}"{border}];')
        lines += [f"  n{a} -> n{b};" for a, b in self.edges]
        lines.append("}")
        return "\n".join(lines)


def describe(value: Any) -> str:
    """A value in a few characters: ``27``, ``[1 2 3]``, or its norm for a larger array."""
    value = np.asarray(value)
    if value.size <= MAX_VALUES:
        text = np.array2string(value.ravel(), precision=4, separator=" ", suppress_small=True)
        return f"{value.item():.4g}" if value.ndim == 0 else text
    return f"norm {float(np.linalg.norm(value.astype(np.float64).ravel())):.4g}"


def _detail(t: Tensor) -> str:
    value = t._value
    text = f"{value.dtype.name} {tuple(value.shape)}"
    return text + (f" = {describe(value)}" if value.ndim == 0 else "")


def tape_graph(tape: GradientTape, target: Tensor | None = None, sources: Any = None,
               names: Mapping[Any, str] | None = None, gradients: bool = True) -> TapeGraph:
    """The ops ``tape`` recorded between ``sources`` and ``target``, as a ``TapeGraph``.

    ``sources`` default to the tensors and variables the tape watches; with no ``target`` every
    recorded op is kept. ``names`` maps tensors to the names to show (a Variable shows its own
    name). ``gradients`` writes beside each tensor the gradient of ``target`` that reaches it.
    """
    ops, watched = read_record(tape)
    names = {id(t): n for t, n in (names or {}).items()}
    source_ids = watched if sources is None else {
        id(s if s._parent is None else s._parent) for s in nest.flatten(sources)}
    # keep the ops that depend on a source ...
    reached = set(source_ids)
    keep = []
    for k, (_, out, inputs) in enumerate(ops):
        if any(id(x) in reached for x in inputs):
            reached.add(id(out))
            keep.append(k)
    # ... and that the target depends on
    if target is not None:
        needed = {id(target)}
        for k in reversed(keep):
            _, out, inputs = ops[k]
            if id(out) in needed:
                needed.update(id(x) for x in inputs)
        keep = [k for k in keep if id(ops[k][1]) in needed]
    grads = gradients_of_all(tape, target) if gradients and target is not None else {}

    nodes: list[Node] = []
    index: dict[int, int] = {}

    def node_of(t: Tensor, kind: str, title: str) -> int:
        if id(t) not in index:
            index[id(t)] = len(nodes)
            g = grads.get(id(t))
            nodes.append(Node(kind, names.get(id(t), title), _detail(t),
                              None if g is None else describe(g), id(t) == id(target)))
        return index[id(t)]

    edges = []
    kept = {id(ops[k][1]) for k in keep}
    for k in keep:
        prim, out, inputs = ops[k]
        ins = []
        for x in inputs:
            if id(x) in kept:
                ins.append(index[id(x)])
                continue
            default = x.name.split(":")[0] if isinstance(x, Variable) else "Const"
            if id(x) in source_ids:
                kind = "source"
                default = default if isinstance(x, Variable) else "x"
            else:
                kind = "constant"
            ins.append(node_of(x, kind, default))
        o = node_of(out, "op", prim.name)
        edges += [(i, o) for i in ins]
    _assign_layers(nodes, edges)
    return TapeGraph(nodes, edges)


def _assign_layers(nodes: list[Node], edges: list[tuple[int, int]]) -> None:
    """Each op one column after its latest input op (column 1 if it reads only sources and
    constants); each source or constant one column before its first reader, so that arrows
    are short."""
    inputs: dict[int, list[int]] = {}
    for a, b in edges:
        inputs.setdefault(b, []).append(a)
    for i, node in enumerate(nodes):  # nodes are in the order the ops ran: inputs come first
        if node.kind == "op":
            node.layer = 1 + max((nodes[a].layer for a in inputs[i] if nodes[a].kind == "op"),
                                 default=0)
    for i, node in enumerate(nodes):
        if node.kind != "op":
            node.layer = min(nodes[b].layer for a, b in edges if a == i) - 1


__all__ = ["Node", "TapeGraph", "tape_graph", "describe"]
