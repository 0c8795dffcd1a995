"""Pictures of a fit with matplotlib (``pip install 'tapegrad[plot]'``), imported when first used.

``plot_fit`` draws data and the fitted line or curve, ``plot_history`` the loss (on a log axis)
and the parameters step by step, ``plot_decision_boundary`` a two-feature classifier's regions.
Each draws on ``ax`` (a new figure when None), saves to ``path`` when given, and returns the
Axes it drew on.

>>> import numpy as np
>>> from tapegrad.models import LinearRegression
>>> from tapegrad.plot import plot_fit
>>> X = np.array([[0.0], [1.0], [2.0]])
>>> model = LinearRegression(learning_rate=0.1).fit(X, [1.0, 3.0, 5.0])
>>> ax = plot_fit(model, X, [1.0, 3.0, 5.0])  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from .models.table import format_number

MARGIN = 0.05  # of the data's range, added on each side of a plotted grid
MAX_POINTS = 20_000  # larger data is drawn as a random sample of this many points


def sample(X: np.ndarray, y: np.ndarray, limit: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` rows of (X, y), a random sample (seeded, in the data's order) when there
    are more: two million points take minutes to draw and show no more than twenty thousand.

    >>> X, y = sample(np.zeros((50_000, 1)), np.arange(50_000))
    >>> X.shape, bool(np.all(np.diff(y) > 0))
    ((20000, 1), True)
    """
    if X.shape[0] <= limit:
        return X, y
    rows = np.sort(np.random.default_rng(0).choice(X.shape[0], limit, replace=False))
    return X[rows], y[rows]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("tapegrad.plot needs matplotlib: pip install 'tapegrad[plot]'") from None
    return plt


def _axes(ax: Any, **figure: Any) -> Any:
    if ax is not None:
        return ax
    return _pyplot().subplots(**figure)[1]


def _finish(ax: Any, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")


def _span(values: np.ndarray, limits: tuple[float, float] | None) -> tuple[float, float]:
    if limits is not None:
        return float(limits[0]), float(limits[1])
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = MARGIN * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad


def _feature_name(model: Any, i: int) -> str:
    names = getattr(model, "feature_names_in_", None)
    return str(names[i]) if names is not None else f"x{i}"


def plot_fit(model: Any, X: Any, y: Any, *, predicted: bool = False,
             xlim: tuple[float, float] | None = None, ax: Any = None,
             path: str | os.PathLike[str] | None = None, xlabel: str | None = None,
             ylabel: str | None = None, title: str | None = None) -> Any:
    """The data and a fitted model: a line or curve for one feature, else fitted vs observed.
    Data of more than ``MAX_POINTS`` rows is drawn as a random sample of them.

    For a one-feature regression, the fitted curve over ``xlim`` (default: the data's range);
    for a one-feature binary classifier, the probability of the second class, the data drawn at
    0 and 1. With more features, a regression's predictions against the observed values.
    ``predicted=True`` also marks the model's prediction at each data point.

    >>> import numpy as np
    >>> from tapegrad.models import LogisticRegression
    >>> from tapegrad.plot import plot_fit
    >>> X, y = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 1, 0, 1])
    >>> ax = plot_fit(LogisticRegression().fit(X, y), X, y, path="fit.png")  # doctest: +SKIP
    """
    X, y = sample(np.asarray(X), np.asarray(y).reshape(-1))
    classifier = hasattr(model, "classes_")
    ax = _axes(ax, figsize=(6.4, 4.2))
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        raise ValueError(f"plot_fit needs X with the model's {model.n_features_in_} feature(s); "
                         f"got shape {X.shape}")
    if model.n_features_in_ > 1:
        if classifier:
            raise ValueError("plot_fit draws one-feature classifiers; for two features use "
                             "plot_decision_boundary")
        fitted = model.predict(X)
        ax.scatter(y, fitted, s=18, label="data")
        lo, hi = _span(np.concatenate([y, fitted]), None)
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--", label="fitted = observed")
        ax.set_xlabel(xlabel or "observed")
        ax.set_ylabel(ylabel or "fitted")
    else:
        x = X[:, 0]
        grid = np.linspace(*_span(x, xlim), 400, dtype=X.dtype)[:, None]
        if classifier and model.classes_.shape[0] == 2:
            positive = model.classes_[1]
            ax.scatter(x, (y == positive).astype(float), s=22, alpha=0.7, label="data",
                       zorder=3)
            ax.plot(grid[:, 0], model.predict_proba(grid)[:, 1], lw=2, label="fitted model")
            ax.set_ylim(-0.05, 1.05)
            ax.set_ylabel(ylabel or f"P(y = {format_number(positive)})")
        elif classifier:
            for k, label in enumerate(model.classes_):
                line, = ax.plot(grid[:, 0], model.predict_proba(grid)[:, k], lw=2,
                                label=f"P(y = {format_number(label)})")
                ax.scatter(x[y == label], np.full(int(np.sum(y == label)), -0.04), s=18,
                           color=line.get_color(), zorder=3)
            ax.set_ylabel(ylabel or "probability")
        else:
            ax.scatter(x, y, s=18, label="data", zorder=3)
            ax.plot(grid[:, 0], model.predict(grid), lw=2, label="fitted model")
            ax.set_ylabel(ylabel or "y")
        if predicted:
            shown = (model.predict_proba(X)[:, 1] if classifier and model.classes_.shape[0] == 2
                     else model.predict(X))
            ax.scatter(x, shown, marker="x", s=30, label="predicted", zorder=4)
        ax.set_xlabel(xlabel or _feature_name(model, 0))
    if title:
        ax.set_title(title)
    ax.legend(loc="best", frameon=False)
    _finish(ax, path)
    return ax


def _history_of(source: Any) -> tuple[Mapping[str, Any], list[str] | None]:
    """The history dict of a MinimizeResult, a fitted estimator or a dict, and feature names."""
    if isinstance(source, Mapping):
        return source, None
    if hasattr(source, "history_"):
        names = getattr(source, "feature_names_in_", None)
        return source.history_, None if names is None else [str(n) for n in names]
    if hasattr(source, "history"):
        return source.history, None
    raise TypeError(f"plot_history takes a history dict, a MinimizeResult or a fitted tapegrad "
                    f"model; got {type(source).__name__}")


def plot_history(source: Any, true_values: Mapping[str, Any] | None = None, *, axes: Any = None,
                 path: str | os.PathLike[str] | None = None, title: str | None = None
                 ) -> tuple[Any, Any]:
    """The loss per step on a log axis (left) and every parameter per step (right).

    ``source`` is a history dict (``{"loss": ..., name: values per step}``), a
    ``MinimizeResult`` or a fitted tapegrad model. ``true_values`` maps parameter names to known
    values, drawn as dashed lines in the parameter's colour. ``axes`` is a pair of Axes to draw
    on. Returns the pair (loss Axes, parameter Axes).

    >>> import tapegrad as tf
    >>> from tapegrad.plot import plot_history
    >>> w = tf.Variable(0.0, name="w")
    >>> result = tf.minimize(lambda: (w - 3.0) ** 2, w, learning_rate=0.1)
    >>> loss_ax, w_ax = plot_history(result, {"w": 3.0})  # doctest: +SKIP
    """
    history, feature_names = _history_of(source)
    if axes is None:
        axes = _pyplot().subplots(1, 2, figsize=(10, 4))[1]
    loss_ax, param_ax = axes
    loss = np.asarray(history["loss"], dtype=np.float64)
    steps = np.arange(loss.shape[0])
    loss_ax.plot(steps, loss, lw=1.5)
    if np.all(loss > 0):
        loss_ax.set_yscale("log")
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("loss" + (" (log scale)" if np.all(loss > 0) else ""))
    truths = dict(true_values or {})
    unknown = set(truths) - set(history)
    if unknown:
        raise ValueError(f"true_values names {sorted(unknown)}, which the history does not have; "
                         f"it has {sorted(k for k in history if k != 'loss')}")
    for name, values in history.items():
        if name == "loss":
            continue
        values = np.asarray(values, dtype=np.float64).reshape(loss.shape[0], -1)
        truth = (None if name not in truths
                 else np.broadcast_to(np.asarray(truths[name], np.float64).reshape(-1),
                                      values.shape[1:]))
        for j in range(values.shape[1]):
            label = name if values.shape[1] == 1 else f"{name}[{j}]"
            if name == "coef" and feature_names and values.shape[1] == len(feature_names):
                label = f"coef {feature_names[j]}"
            line, = param_ax.plot(steps, values[:, j], lw=1.5, label=label)
            if truth is not None:
                param_ax.axhline(truth[j], color=line.get_color(), ls="--", lw=1)
    param_ax.set_xlabel("step")
    param_ax.set_ylabel("value" + (" (dashed: true value)" if truths else ""))
    param_ax.legend(loc="best", frameon=False, fontsize="small")
    if title:
        loss_ax.figure.suptitle(title)
    _finish(loss_ax, path)
    return loss_ax, param_ax


def plot_decision_boundary(model: Any, X: Any, y: Any, *, resolution: int = 200,
                           ax: Any = None, path: str | os.PathLike[str] | None = None,
                           title: str | None = None) -> Any:
    """A two-feature classifier's predicted class over the plane, with the data on top.

    Binary models also shade the probability of the second class and draw the 0.5 contour.

    >>> import numpy as np
    >>> from tapegrad.models import LogisticRegression
    >>> from tapegrad.plot import plot_decision_boundary
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]); y = [0, 1, 1, 0]
    >>> ax = plot_decision_boundary(LogisticRegression().fit(X, y), X, y)  # doctest: +SKIP
    """
    X, y = sample(np.asarray(X), np.asarray(y).reshape(-1))
    if not hasattr(model, "predict_proba") or getattr(model, "n_features_in_", None) != 2:
        raise ValueError("plot_decision_boundary needs a fitted classifier with exactly two "
                         "features")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs X with two columns; got shape {X.shape}")
    ax = _axes(ax, figsize=(6, 5))
    gx = np.linspace(*_span(X[:, 0], None), resolution, dtype=X.dtype)
    gy = np.linspace(*_span(X[:, 1], None), resolution, dtype=X.dtype)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    classes = model.classes_
    if classes.shape[0] == 2:
        p = model.predict_proba(grid)[:, 1].reshape(xx.shape)
        shade = ax.contourf(xx, yy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.4)
        ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.5)
        ax.figure.colorbar(shade, ax=ax, label=f"P(y = {format_number(classes[1])})")
        colors = ["tab:blue", "tab:red"]
    else:
        index = np.searchsorted(classes, model.predict(grid)).reshape(xx.shape)
        ax.contourf(xx, yy, index, levels=np.arange(classes.shape[0] + 1) - 0.5, cmap="tab10",
                    vmin=0, vmax=9, alpha=0.3)
        colors = [_pyplot().get_cmap("tab10")(k % 10) for k in range(classes.shape[0])]
    for k, label in enumerate(classes):
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=24, color=colors[k], edgecolor="white",
                   linewidth=0.8, label=f"y = {format_number(label)}")
    ax.set_xlabel(_feature_name(model, 0))
    ax.set_ylabel(_feature_name(model, 1))
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    _finish(ax, path)
    return ax


MAX_TAPE_OPS = 100  # plot_tape draws at most this many ops unless told otherwise
TAPE_COLORS = {"source": "#d9f2d9", "op": "#e8eef8", "constant": "#f2f2f2"}


def plot_tape(tape: Any, target: Any = None, sources: Any = None, *,
              names: Mapping[Any, str] | None = None, gradients: bool = True,
              max_ops: int = MAX_TAPE_OPS, wrap: int = 12, ax: Any = None,
              path: str | os.PathLike[str] | None = None, title: str | None = None) -> Any:
    """What a GradientTape recorded between ``sources`` and ``target``, drawn left to right.

    One box per op (TensorFlow's op name, the output's dtype and shape, its value if a scalar),
    arrows along the data flow, sources in green, the target outlined in red, and beside each
    tensor (in red) the gradient of ``target`` that reaches it. ``sources`` default to what the
    tape watches; with no ``target`` every recorded op is drawn. ``names`` maps tensors to the
    names to show. A tape recorded inside another shows its recorded backward pass on the outer
    tape. A non-persistent tape releases its record in its one ``gradient`` call: draw it before
    that call, or use ``GradientTape(persistent=True)``. A tape more than ``wrap`` ops deep is
    drawn in bands of ``wrap`` columns, one under the other; more than ``max_ops`` ops raise a
    ValueError (``tape.to_dot()`` gives Graphviz source for large tapes).

    >>> import tapegrad as tf
    >>> from tapegrad.plot import plot_tape
    >>> x = tf.Variable(3.0, name="x")
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     y = x ** 3
    >>> ax = plot_tape(tape, y, x, path="tape.png")  # doctest: +SKIP
    """
    from .tapegraph import tape_graph
    graph = tape_graph(tape, target, sources, names, gradients)
    if not graph.n_ops:
        raise ValueError("this tape recorded no op between the sources and the target: watch "
                         "the sources (tape.watch) and compute the target from them inside "
                         "the tape's with block")
    if graph.n_ops > max_ops:
        raise ValueError(f"this tape recorded {graph.n_ops} ops between the sources and the "
                         f"target, more than max_ops={max_ops} can be drawn readably: draw a "
                         f"smaller part (pass sources closer to the target), raise max_ops, or "
                         f"use tape.to_dot() with Graphviz")
    rows = _tape_rows(graph)
    n_layers = 1 + max((node.layer for node in graph.nodes), default=0)
    n_rows = max((r + 1 for r in rows), default=1)
    # A long tape is drawn in bands of `wrap` columns, one under the other.
    n_cols, n_bands = min(n_layers, wrap), -(-n_layers // wrap)
    band_rows = n_rows + 0.6

    def position(i: int) -> tuple[float, float]:
        band, column = divmod(graph.nodes[i].layer, wrap)
        return column, -(band * band_rows + rows[i])

    # a box's width in inches: 8-point bold text takes about 0.065 in a letter
    inches = [0.065 * max(len(node.title + " (target)" * node.target), len(node.detail)) + 0.25
              for node in graph.nodes]
    column_inches = max([2.0] + [w + 0.5 for w in inches])
    height = 0.62  # of a box, in rows
    if ax is None:  # the axes span the figure's width, so that a column is column_inches wide
        ax = _axes(ax, figsize=(max(4.0, column_inches * n_cols),
                                max(2.0, 1.25 * n_bands * band_rows)))
        ax.figure.subplots_adjust(left=0, right=1)
    for i, node in enumerate(graph.nodes):
        x, y = position(i)
        text = node.title + (" (target)" if node.target else "") + "\n" + node.detail
        ax.text(x, y + 0.06, text, ha="center", va="center", fontsize=8, gid=f"node{i}",
                fontweight="bold" if node.kind == "op" else "normal",
                bbox=dict(boxstyle="round,pad=0.4", facecolor=TAPE_COLORS[node.kind],
                          edgecolor="#c0392b" if node.target else "#555555",
                          linewidth=2 if node.target else 0.8))
        if node.gradient is not None:
            ax.text(x, y - height / 2, f"grad {node.gradient}", ha="center", va="top",
                    fontsize=7.5, color="#c0392b", gid=f"grad{i}")
    from matplotlib.patches import FancyArrowPatch
    seen: dict[tuple[int, int], int] = {}
    for a, b in graph.edges:
        repeat = seen[(a, b)] = seen.get((a, b), -1) + 1  # x * x: two arrows, bent apart
        (xa, ya), (xb, yb) = position(a), position(b)
        ax.add_patch(FancyArrowPatch(
            (xa + inches[a] / 2 / column_inches, ya), (xb - inches[b] / 2 / column_inches, yb),
            arrowstyle="-|>", mutation_scale=10, color="#555555", lw=0.9, gid=f"edge{a}-{b}",
            connectionstyle=f"arc3,rad={0.25 * repeat}"))
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-n_bands * band_rows + 0.95, 0.6)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    _finish(ax, path)
    return ax


def _tape_rows(graph: Any) -> list[int]:
    """A row for each node within its column, ordered so that arrows cross little: each column
    sorted by the mean row of its nodes' neighbours, sweeping right then left twice."""
    columns: dict[int, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        columns.setdefault(node.layer, []).append(i)
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(graph.nodes))}
    for a, b in graph.edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    rows = [0.0] * len(graph.nodes)
    for members in columns.values():
        for r, i in enumerate(members):
            rows[i] = r
    order = sorted(columns)
    for sweep in order * 2 + order[::-1] * 2:
        members = columns[sweep]
        members.sort(key=lambda i: (np.mean([rows[j] for j in neighbours[i]])
                                    if neighbours[i] else rows[i]))
        for r, i in enumerate(members):
            rows[i] = r
    return [int(r) for r in rows]


__all__ = ["plot_fit", "plot_history", "plot_decision_boundary", "plot_tape"]
