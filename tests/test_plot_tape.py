"""The tape drawn: plot_tape's figure, tape_graph's nodes and edges, and GradientTape.to_dot."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.tapegraph import describe, tape_graph

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from tapegrad.plot import plot_tape  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def by_title(graph):
    return {node.title: node for node in graph.nodes}


def cube():
    x = tf.Variable(3.0, name="x")
    with tf.GradientTape(persistent=True) as tape:
        y = x ** 3
    return x, y, tape


def linear_regression():
    xs = tf.constant(np.linspace(0, 1, 100), dtype=tf.float32)
    ys = 3 * xs + 4
    w, b = tf.Variable(0.0, name="w"), tf.Variable(0.0, name="b")
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean(tf.square(w * xs + b - ys))
    return w, b, xs, ys, loss, tape


def logistic_regression():
    rng = np.random.default_rng(0)
    features = tf.constant(rng.normal(size=(20, 2)), dtype=tf.float32)
    labels = tf.constant((rng.random(20) > 0.5).astype(np.float32))
    weights, bias = tf.Variable([0.5, -0.5], name="weights"), tf.Variable(0.0, name="bias")
    with tf.GradientTape(persistent=True) as tape:
        logits = tf.linalg.matvec(features, weights) + bias
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels,
                                                                       logits=logits))
    return weights, bias, loss, tape


def test_cube_graph_nodes_edges_and_gradients():
    x, y, tape = cube()
    graph = tape_graph(tape, y, x)
    assert [(n.kind, n.title) for n in graph.nodes] == [
        ("source", "x"), ("constant", "Const"), ("op", "Pow")]
    assert graph.edges == [(0, 2), (1, 2)]
    source, const, power = graph.nodes
    assert source.detail == "float32 () = 3" and power.detail == "float32 () = 27"
    assert source.gradient == describe(tape.gradient(y, x)) == "27"
    assert power.gradient == "1" and power.target and not source.target
    assert const.gradient is None
    assert [n.layer for n in graph.nodes] == [0, 0, 1]


def test_second_derivative_outer_tape_shows_the_recorded_backward_pass():
    x = tf.Variable(3.0, name="x")
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            y = x ** 3
        dy_dx = inner.gradient(y, x)
    graph = tape_graph(outer, dy_dx, x)
    ops = [n for n in graph.nodes if n.kind == "op"]
    # 3 * x**2 computed by Pow's gradient rule, recorded as ops; the forward x**3 is not on the
    # path from x to dy/dx, so it is left out
    assert [n.title for n in ops] == ["Pow", "Mul"]
    assert [n.detail for n in ops] == ["float32 () = 9", "float32 () = 27"]
    assert by_title(graph)["x"].gradient == "18" == describe(outer.gradient(dy_dx, x))
    everything = tape_graph(outer)  # no target: every recorded op, the forward pass included
    assert [n.detail for n in everything.nodes if n.kind == "op"] == [
        "float32 () = 27", "float32 () = 9", "float32 () = 27"]
    assert all(n.gradient is None for n in everything.nodes)


def test_linear_regression_graph_matches_tape_gradient():
    w, b, xs, ys, loss, tape = linear_regression()
    graph = tape_graph(tape, loss, [w, b], names={xs: "x", ys: "y"})
    ops = [n.title for n in graph.nodes if n.kind == "op"]
    assert ops == ["Mul", "AddV2", "Sub", "Square", "Mean"]
    nodes = by_title(graph)
    gw, gb = tape.gradient(loss, [w, b])
    assert nodes["w"].kind == nodes["b"].kind == "source"
    assert nodes["w"].gradient == describe(gw) and nodes["b"].gradient == describe(gb)
    assert float(nodes["w"].gradient) == pytest.approx(-2 * np.mean((3 * xs.numpy() + 4)
                                                                      * xs.numpy()), rel=1e-3)
    assert nodes["x"].detail == "float32 (100,)" and nodes["x"].kind == "constant"
    assert nodes["Mean"].target and nodes["Mean"].detail.startswith("float32 () = ")
    # every op has exactly its inputs as edges: Mul(w, x), AddV2(Mul, b), Sub(AddV2, y), ...
    index = {n.title: i for i, n in enumerate(graph.nodes)}
    assert sorted(graph.edges) == sorted([
        (index["w"], index["Mul"]), (index["x"], index["Mul"]), (index["Mul"], index["AddV2"]),
        (index["b"], index["AddV2"]), (index["AddV2"], index["Sub"]), (index["y"], index["Sub"]),
        (index["Sub"], index["Square"]), (index["Square"], index["Mean"])])


def test_sources_choose_what_is_drawn():
    w, b, xs, ys, loss, tape = linear_regression()
    graph = tape_graph(tape, loss, w)
    assert by_title(graph)["b"].kind == "constant"
    assert by_title(graph)["w"].kind == "source"


def test_logistic_regression_graph():
    weights, bias, loss, tape = logistic_regression()
    graph = tape_graph(tape, loss, [weights, bias])
    titles = [n.title for n in graph.nodes if n.kind == "op"]
    assert "MatMul" in titles and titles[-2:] == ["SigmoidCrossEntropyWithLogits", "Mean"]
    gw, gb = tape.gradient(loss, [weights, bias])
    nodes = by_title(graph)
    assert nodes["weights"].gradient == describe(gw)
    assert nodes["bias"].gradient == describe(gb)
    assert nodes["SigmoidCrossEntropyWithLogits"].detail == "float32 (20,)"
    assert nodes["SigmoidCrossEntropyWithLogits"].gradient.startswith("norm ")


def test_figure_has_a_box_per_node_an_arrow_per_edge_and_the_gradients(tmp_path):
    w, b, xs, ys, loss, tape = linear_regression()
    path = tmp_path / "tape.png"
    ax = plot_tape(tape, loss, [w, b], names={xs: "x", ys: "y"}, path=path, title="step")
    graph = tape_graph(tape, loss, [w, b], names={xs: "x", ys: "y"})
    boxes = {t.get_gid(): t for t in ax.texts if t.get_gid().startswith("node")}
    assert len(boxes) == len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        assert boxes[f"node{i}"].get_text().split("\n")[0].startswith(node.title)
        assert node.detail in boxes[f"node{i}"].get_text()
    grads = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid().startswith("grad")}
    assert grads == {f"grad{i}": f"grad {n.gradient}" for i, n in enumerate(graph.nodes)
                     if n.gradient is not None}
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert sorted(p.get_gid() for p in arrows) == sorted(f"edge{a}-{b}" for a, b in graph.edges)
    target = next(i for i, n in enumerate(graph.nodes) if n.target)
    edge = boxes[f"node{target}"].get_bbox_patch().get_edgecolor()
    assert edge[0] > 0.7 and edge[1] < 0.3  # red
    assert ax.get_title() == "step"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_repeated_input_draws_two_arrows():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    ax = plot_tape(tape, y)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert [p.get_gid() for p in arrows] == ["edge0-1", "edge0-1"]
    assert tape_graph(tape, y).nodes[0].gradient == "4"


def test_non_persistent_tape_after_gradient_says_its_record_was_released():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x ** 3
    ax = plot_tape(tape, y)  # before gradient: drawing uses nothing up
    assert any(t.get_text() == "grad 27" for t in ax.texts)
    assert float(tape.gradient(y, x)) == 27.0
    with pytest.raises(RuntimeError, match=r"released its record.*persistent=True"):
        plot_tape(tape, y)
    with pytest.raises(RuntimeError, match="released its record"):
        tape.to_dot()


def test_nothing_recorded_is_a_clear_error():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x ** 3  # x is not watched
    with pytest.raises(ValueError, match=r"recorded no op.*tape.watch"):
        plot_tape(tape, y, x)
    assert tape.to_dot(y).splitlines()[-1] == "}"


def chain(n):
    x = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x
        for _ in range(n):
            y = y * 1.01
    return x, y, tape


def test_a_hundred_ops_draw_and_more_need_max_ops():
    x, y, tape = chain(100)
    ax = plot_tape(tape, y, x)
    boxes = [t for t in ax.texts if t.get_gid().startswith("node")]
    assert len(boxes) == 100 + 100 + 1  # x, a constant 1.01 and a Mul per step
    # 101 columns (x, then one per Mul) wrap into bands of 12, one under the other
    columns = {t.get_position()[0] for t in boxes}
    assert columns == set(range(12))
    rows = sorted({round(t.get_position()[1], 3) for t in boxes})
    assert len(rows) == 2 * 9  # nine bands of two rows: the Muls and their constants
    assert ax.figure.get_size_inches()[0] < 40
    x, y, tape = chain(101)
    with pytest.raises(ValueError, match=r"101 ops.*max_ops=100.*to_dot"):
        plot_tape(tape, y, x)
    ax = plot_tape(tape, y, x, max_ops=101)
    assert sum(t.get_gid().startswith("grad") for t in ax.texts) == 102  # x and every op


def test_to_dot_is_graphviz_source_of_the_same_graph():
    w, b, xs, ys, loss, tape = linear_regression()
    dot = tape.to_dot(loss, [w, b])
    graph = tape_graph(tape, loss, [w, b])
    lines = dot.splitlines()
    assert lines[0] == "digraph tape {" and lines[-1] == "}"
    assert sum("->" in line for line in lines) == len(graph.edges)
    assert sum("[label=" in line for line in lines) == len(graph.nodes)
    assert '"Mean (target)\\nfloat32 () = ' in dot and "penwidth=2" in dot
    assert f'label="w\\nfloat32 () = 0\\ngrad {describe(tape.gradient(loss, w))}"' in dot
    assert "grad" not in tape.to_dot()  # no target: no gradients
