"""Fitting on a Dask cluster: the data stays on the workers, only the parameters travel.

Each step of Newton's method (or L-BFGS) sends the current parameters to every chunk of rows;
the worker holding the chunk computes the chunk's loss, gradient and Hessian with tapegrad's
tape and the results are summed in a tree on the cluster, so the client receives one
(loss, gradient, Hessian) of (d+1)² numbers per step. This is the scheme of dask-glm; the
problems are small in parameters and large in rows, which is where it shines. A chunk lost
with its worker is recomputed by Dask from the chunk's recipe (a CSV block, a Parquet row
group, ...), so a worker that dies mid-fit only slows the fit down.

Needs ``pip install 'tapegrad[dask]'``. Without a ``distributed.Client``, Dask's local
threads do the work.

>>> import numpy as np, dask.array as da
>>> from tapegrad.models import LinearRegression
>>> X = da.from_array(np.random.default_rng(0).normal(size=(10, 2)), chunks=(4, 2))
>>> y = X[:, 0] - 2 * X[:, 1] + 1
>>> model = LinearRegression().fit(X, y)  # three chunks of rows, summed
>>> model.coef_.round(6).tolist(), round(float(model.intercept_), 6)
([1.0, -2.0], 1.0)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..solvers import _tape_terms
from ._base import (
    CHUNK,
    GradientModel,
    _History,
    _Weights,
    glm_terms,
    monomial_powers,
    monomials,
    sum_terms,
)
from .table import DataError

FANIN = 8  # partial sums combined per task of the reduction tree
TARGET = "__tapegrad_target__"


def blocks(*collections: Any) -> list[tuple[Any, ...]]:
    """Delayed row blocks of Dask arrays, DataFrames or Series, aligned across the collections.

    A 2-d array whose columns are split is rechunked to whole rows first.
    """
    per: list[list[Any]] = []
    for c in collections:
        if hasattr(c, "divisions"):  # a DataFrame or Series
            per.append(list(c.to_delayed()))
            continue
        if not hasattr(c, "chunks"):
            raise TypeError(f"expected Dask collections for every input, got {type(c).__name__}")
        if c.ndim == 2 and len(c.chunks[1]) > 1:
            c = c.rechunk({1: -1})
        per.append(list(c.to_delayed().reshape(-1)))
    counts = {len(p) for p in per}
    if len(counts) > 1:
        raise ValueError(f"the Dask inputs have different numbers of row chunks "
                         f"({', '.join(str(len(p)) for p in per)}); split them alike")
    return list(zip(*per))


def total(parts: list[Any]) -> tuple[Any, ...]:
    """Sum delayed terms in a tree on the cluster; the client gets the total only."""
    import dask
    summed = dask.delayed(sum_terms, pure=True)
    while len(parts) > 1:
        parts = [summed(parts[i:i + FANIN]) for i in range(0, len(parts), FANIN)]
    (result,) = dask.compute(parts[0])
    return result


def _array(block: Any) -> np.ndarray:
    return block.to_numpy() if hasattr(block, "to_numpy") else np.asarray(block)


def _glm_block(X: Any, y: Any, W: np.ndarray, data_loss: Callable[[Any, Any], Any],
               hessian: bool, classes: np.ndarray | None, powers: np.ndarray | None,
               dropna: bool) -> tuple[Any, ...]:
    """On a worker: one chunk's (loss sum, gradient, Hessian, rows) for ``glm_terms``."""
    if y is None:  # a data frame block whose last column is the target
        X = _array(X)
        X, y = X[:, :-1], X[:, -1]
    X, y = _array(X).astype(np.float64, copy=False), _array(y).reshape(-1)
    if X.ndim == 1:
        X = X[:, None]
    missing = np.isnan(X).any(axis=1) | (np.isnan(y) if y.dtype.kind == "f" else False)
    if missing.any():
        if not dropna:
            raise DataError(f"{int(missing.sum())} row(s) of a chunk have missing values; "
                            "drop them with dropna")
        X, y = X[~missing], y[~missing]
    if not np.isfinite(X).all() or (y.dtype.kind == "f" and not np.isfinite(y).all()):
        raise DataError("a chunk holds an infinite value")
    if classes is None:
        target = y.astype(np.float64)[:, None]
    else:
        index = np.searchsorted(classes, y)
        target = index.astype(np.float64)[:, None] if classes.shape[0] == 2 else index
    # a block of rows at a time: the temporaries stay small however large the partition
    return sum_terms([glm_terms(X[a:a + CHUNK] if powers is None
                                else monomials(X[a:a + CHUNK], powers),
                                target[a:a + CHUNK], W, data_loss, hessian)
                      for a in range(0, X.shape[0], CHUNK)])


def _unique(y: Any) -> np.ndarray:
    y = _array(y)
    y = y[:, -1] if y.ndim == 2 else y
    return np.unique(y[~np.isnan(y)] if y.dtype.kind == "f" else y)


def fit(model: GradientModel, X: Any, y: Any, callback: Callable[[int, float], None] | None,
        dropna: bool = False) -> GradientModel:
    """``model.fit(X, y)`` for Dask X and y: Newton or L-BFGS, each step summed on the cluster.

    Without standardisation (Newton's method does not need it) and without mini-batches.
    """
    import dask

    from .logistic import class_labels

    name = type(model).__name__
    solver = model._solver()
    if solver == "gradient":
        raise ValueError(f"{name} fits Dask data with solver='newton' or 'lbfgs' (not gradient "
                         "steps, mini-batches or an L1 penalty)")
    if model.standardize:
        raise ValueError(f"{name}: standardize=True is not available for Dask data; Newton's "
                         "method does not need it")
    columns = getattr(X, "columns", None)
    if columns is not None and hasattr(y, "divisions"):
        # one frame: X's and y's partitions could be planned differently when read apart
        pieces = [(block, None) for block in X.assign(**{TARGET: y}).to_delayed()]
    else:
        pieces = blocks(X, y)
    n_features = len(columns) if columns is not None else (X.shape[1] if X.ndim == 2 else 1)
    dtype = np.dtype(X.dtypes.iloc[0] if columns is not None and len(columns) else X.dtype)
    dtype = dtype if dtype.kind == "f" and dtype.itemsize >= 4 else np.dtype(np.float64)
    classes = None
    if model._estimator_type == "classifier":
        found = dask.compute(*[dask.delayed(_unique)(Xb if yb is None else yb)
                               for Xb, yb in pieces])
        model.classes_, _ = class_labels(np.unique(np.concatenate(found)), name)
        classes = model.classes_
    k = 1 if classes is None or classes.shape[0] == 2 else classes.shape[0]
    powers = monomial_powers(n_features, int(model.degree))
    p = powers.shape[0]
    use_powers = None if int(model.degree) == 1 else powers
    data_loss = type(model)._data_loss
    chunk = dask.delayed(_glm_block, pure=True)

    def sums(W: np.ndarray, hessian: bool) -> tuple[Any, ...]:
        result = total([chunk(Xb, yb, W, data_loss, hessian, classes, use_powers, dropna)
                        for Xb, yb in pieces])
        model._rows = int(result[3])  # the rows fitted (the CLI reports them)
        return result

    history = _History(1.0, dtype, callback)
    weights = _Weights((p, k), dtype, np.eye(p), model.penalty, float(model.alpha), 1.0)
    result = model._second_order(solver, sums, np.zeros(p * k + k), (p, k), weights, history)
    names = None
    if columns is not None and all(isinstance(c, str) for c in columns):
        names = np.asarray(list(columns), dtype=object)
    model._keep(np.stack(history.thetas), np.stack(history.betas), dtype, n_features, names,
                powers)
    model._result(history, *result)
    return model


class _Problem:
    """A loss for one chunk and its variables, shipped to the workers in one piece (one pickle
    keeps the function's variables and the list the same objects)."""

    def __init__(self, fn: Callable[..., Any], variables: Sequence[Any]) -> None:
        self.fn, self.variables = fn, list(variables)


def _problem_block(problem: _Problem, x: np.ndarray, hessian: bool, *chunk: Any
                   ) -> tuple[Any, ...]:
    """On a worker: the chunk's value, gradient and (if asked) Hessian at x, from the tape."""
    return _tape_terms(problem.fn, problem.variables)(x, hessian, *map(_array, chunk))


def chunked_terms(fn: Callable[..., Any], variables: Sequence[Any], data: Any
                  ) -> Callable[[np.ndarray, bool], tuple[Any, ...]]:
    """terms(x, hessian) of the sum over the chunks of ``data`` of ``fn(*chunk)``, computed on
    the cluster (``tapegrad.minimize(..., data=...)``)."""
    import dask
    collections = data if isinstance(data, (tuple, list)) else (data,)
    pieces = blocks(*collections)
    problem = dask.delayed(_Problem(fn, variables), pure=False)
    chunk = dask.delayed(_problem_block, pure=True)

    def terms(x: np.ndarray, hessian: bool) -> tuple[Any, ...]:
        return total([chunk(problem, x, hessian, *piece) for piece in pieces])
    return terms


__all__ = ["fit", "blocks", "chunked_terms"]
