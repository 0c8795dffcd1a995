"""Segment reductions (``segment_*``, ``unsorted_segment_*``), ``bincount``, ``confusion_matrix``,
``top_k`` and ``in_top_k``.

A segment sum is a scatter-add along the first axis (its gradient a gather); means and
``sqrt_n`` divide it by constant counts. Max, min and prod lay each segment out as one padded row
and reduce it, so their gradients are the reductions' own (ties share, zeros are handled).

>>> import tapegrad as tf
>>> tf.math.segment_sum([1.0, 2.0, 3.0], [0, 0, 1]).numpy().tolist()
[3.0, 3.0]
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from .. import tape
from ..dtypes import DType, as_dtype, float32
from ..errors import invalid_argument
from ..tensor import Tensor, as_int, concrete, convert_to_tensor, tensor_of, wrap
from .array import SCATTER_ADD, argsort, concat, gather, reshape
from .math import cast, where
from .reduce import reduce_max, reduce_min, reduce_prod


def _ids(segment_ids: Any, data: Tensor, op: str) -> Any:
    t = tensor_of(segment_ids)
    ids = concrete(t)  # a traced function checks the ids it was traced with
    if ids.dtype.kind not in "iu":
        raise TypeError(f"Value passed to parameter 'segment_ids' has DataType {t.dtype.name} "
                        "not in list of allowed values: int32, int64")
    shape = np.shape(data._value)
    if shape[:ids.ndim] != ids.shape:
        raise invalid_argument(f"data.shape = {list(shape)} does not start with "
                               f"segment_ids.shape = {list(ids.shape)} [Op:{op}]")
    return ids.astype(np.int64)


def _sorted_ids(segment_ids: Any, data: Tensor, op: str) -> tuple[Any, int]:
    ids = _ids(segment_ids, data, op)
    if ids.ndim != 1:
        raise invalid_argument(f"segment_ids should be a vector. [Op:{op}]")
    if np.any(np.diff(ids) < 0) or np.any(ids < 0):
        raise invalid_argument(f"segment ids are not increasing [Op:{op}]")
    return ids, int(ids[-1]) + 1 if ids.size else 0


def _kept(data: Tensor, ids: Any) -> tuple[Tensor, Any]:
    """Unsorted segment ops drop the entries whose id is negative."""
    keep = ids >= 0
    if keep.all():
        return data, ids
    rows = reshape(data, (-1,) + np.shape(data._value)[ids.ndim:])
    return gather(rows, np.flatnonzero(keep).astype(np.int64)), ids[keep]


def _sum(data: Tensor, ids: Any, n: int) -> Tensor:
    rest = np.shape(data._value)[ids.ndim:]
    return tape.apply(SCATTER_ADD, (data,), (ids, 0, (n,) + rest))


def _counts(ids: Any, n: int, data: Tensor) -> Any:
    """How many entries each segment has, shaped to divide a segment result."""
    counts = np.bincount(ids.reshape(-1), minlength=n)[:n].astype(data._value.dtype)
    return counts.reshape((n,) + (1,) * (data._value.ndim - ids.ndim))


def _padded(data: Tensor, ids: Any, n: int, fill: Any) -> Tensor:
    """[n, longest segment, ...]: each segment's entries in a row, padded with ``fill``."""
    rest = np.shape(data._value)[ids.ndim:]
    rows = reshape(data, (-1,) + rest)
    flat = ids.reshape(-1)
    order = np.argsort(flat, kind="stable")
    counts = np.bincount(flat, minlength=n)[:n]
    width = max(int(counts.max()) if counts.size else 0, 1)
    position = np.arange(flat.size) - np.repeat(np.cumsum(counts) - counts, counts)
    index = np.full((n, width), flat.size, np.int64)  # the padding row, by default
    index[flat[order], position] = order
    padding = wrap(np.full((1,) + rest, fill, data._value.dtype))
    return gather(concat([rows, padding], 0), index)


def _lowest(dtype: np.dtype, top: bool) -> Any:
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    return info.min if top else info.max


def _reduce(kind: str, data: Tensor, ids: Any, n: int, empty: Any) -> Tensor:
    dtype = data._value.dtype
    if kind == "sum":
        return _sum(data, ids, n)
    if kind in ("mean", "sqrt_n"):
        counts = np.maximum(_counts(ids, n, data), 1)
        return _sum(data, ids, n) / (counts if kind == "mean" else np.sqrt(counts))
    if kind == "prod":
        return reduce_prod(_padded(data, ids, n, 1), axis=1)
    fill = _lowest(dtype, kind == "max")
    out = (reduce_max if kind == "max" else reduce_min)(_padded(data, ids, n, fill), axis=1)
    if empty is None:
        return out
    return where(_counts(ids, n, data) > 0, out, wrap(np.asarray(empty, dtype)))


def _segment(kind: str, doc: str) -> Any:
    op = f"Segment{kind.capitalize()}"

    def fn(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
        x = tensor_of(data)
        ids, n = _sorted_ids(segment_ids, x, op)
        return _reduce(kind, x, ids, n, 0)
    fn.__doc__ = doc
    return fn


def _unsorted(kind: str, doc: str) -> Any:
    op = f"UnsortedSegment{kind.capitalize()}"

    def fn(data: Any, segment_ids: Any, num_segments: Any, name: str | None = None) -> Tensor:
        x = tensor_of(data)
        ids = _ids(segment_ids, x, op)
        n = as_int(num_segments, "num_segments")
        if np.any(ids >= n):
            bad = ids[ids >= n].flat[0]
            raise invalid_argument(f"segment_ids[...] = {bad} is out of range [0, {n}) "
                                   f"[Op:{op}]")
        x, ids = _kept(x, ids)
        return _reduce(kind, x, ids, n, None)
    fn.__doc__ = doc
    return fn


segment_sum = _segment("sum", """Sums of ``data`` rows per sorted segment id.

    >>> import tapegrad as tf
    >>> tf.math.segment_sum([[1, 2], [3, 4], [5, 6]], [0, 0, 1]).numpy().tolist()
    [[4, 6], [5, 6]]
    """)
segment_mean = _segment("mean", """Means of ``data`` rows per sorted segment id (0 if empty).

    >>> import tapegrad as tf
    >>> tf.math.segment_mean([1.0, 3.0, 5.0], [0, 0, 1]).numpy().tolist()
    [2.0, 5.0]
    """)
segment_max = _segment("max", """Maxima per sorted segment id (0 for an empty segment).

    >>> import tapegrad as tf
    >>> tf.math.segment_max([1.0, 3.0, 5.0], [0, 0, 2]).numpy().tolist()
    [3.0, 0.0, 5.0]
    """)
segment_min = _segment("min", """Minima per sorted segment id (0 for an empty segment).

    >>> import tapegrad as tf
    >>> tf.math.segment_min([1.0, 3.0, 5.0], [0, 0, 1]).numpy().tolist()
    [1.0, 5.0]
    """)
segment_prod = _segment("prod", """Products per sorted segment id (1 for an empty segment).

    >>> import tapegrad as tf
    >>> tf.math.segment_prod([2.0, 3.0, 5.0], [0, 0, 1]).numpy().tolist()
    [6.0, 5.0]
    """)
unsorted_segment_sum = _unsorted("sum", """Sums per segment id, ids in any order; negative ids
    are dropped.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_sum([1.0, 2.0, 3.0], [1, 0, 1], 3).numpy().tolist()
    [2.0, 4.0, 0.0]
    """)
unsorted_segment_mean = _unsorted("mean", """Means per segment id, ids in any order.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_mean([1.0, 2.0, 3.0], [1, 0, 1], 2).numpy().tolist()
    [2.0, 2.0]
    """)
unsorted_segment_sqrt_n = _unsorted("sqrt_n", """Sums per segment id divided by the square root
    of the segment's size.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_sqrt_n([3.0, 1.0], [0, 0], 1).numpy().tolist()
    [2.8284270763397217]
    """)
unsorted_segment_max = _unsorted("max", """Maxima per segment id, ids in any order; an empty
    segment gives the dtype's lowest value.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_max([1, 2, 3], [1, 0, 1], 2).numpy().tolist()
    [2, 3]
    """)
unsorted_segment_min = _unsorted("min", """Minima per segment id, ids in any order; an empty
    segment gives the dtype's highest value.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_min([1, 2, 3], [1, 0, 1], 2).numpy().tolist()
    [2, 1]
    """)
unsorted_segment_prod = _unsorted("prod", """Products per segment id, ids in any order.

    >>> import tapegrad as tf
    >>> tf.math.unsorted_segment_prod([2, 3, 4], [1, 0, 1], 2).numpy().tolist()
    [3, 8]
    """)


# ----- counting -----

def bincount(arr: Any, weights: Any = None, minlength: Any = None, maxlength: Any = None,
             dtype: DType | str = "int32", name: str | None = None, axis: Any = None,
             binary_output: bool = False) -> Tensor:
    """How many times each value 0, 1, ... occurs in ``arr`` (or the sum of its ``weights``);
    ``axis=-1`` counts each row of a 2-D ``arr`` separately.

    >>> import tapegrad as tf
    >>> tf.math.bincount([1, 1, 3]).numpy().tolist()
    [0, 2, 0, 1]
    """
    a = concrete(tensor_of(arr))
    if a.dtype.kind not in "iu":
        raise TypeError(f"bincount needs integer values, got {a.dtype}")
    if np.any(a < 0):
        raise invalid_argument("Input arr must be non-negative! [Op:Bincount]")
    size = int(a.max()) + 1 if a.size else 0
    if minlength is not None:
        size = max(size, as_int(minlength, "minlength"))
    if maxlength is not None:
        size = min(size, as_int(maxlength, "maxlength"))
    w = None if weights is None else np.broadcast_to(concrete(tensor_of(weights)), a.shape)
    out_dtype = w.dtype if w is not None and not binary_output else as_dtype(dtype)._np
    rows = a.reshape(1, -1) if axis is None else a.reshape(-1, a.shape[-1])
    wrows = None if w is None else (w.reshape(1, -1) if axis is None
                                    else w.reshape(-1, a.shape[-1]))
    out = np.zeros((rows.shape[0], size), out_dtype)
    for r, row in enumerate(rows):
        keep = row < size
        if binary_output:
            out[r, row[keep]] = 1
        else:
            np.add.at(out[r], row[keep], 1 if wrows is None else wrows[r][keep])
    if axis is None:
        return wrap(out[0])
    if as_int(axis, "axis") not in (-1, a.ndim - 1) or a.ndim > 2:
        raise ValueError(f"Unsupported axis value {axis}. Only 0 and -1 are currently "
                         "supported.")
    return wrap(out.reshape(a.shape[:-1] + (size,)))


def confusion_matrix(labels: Any, predictions: Any, num_classes: Any = None, weights: Any = None,
                     dtype: DType | str = "int32", name: str | None = None) -> Tensor:
    """Counts [label, prediction] over pairs: rows are labels, columns predictions.

    >>> import tapegrad as tf
    >>> tf.math.confusion_matrix([0, 1, 2], [0, 2, 2]).numpy().tolist()
    [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    """
    y, p = (np.ravel(concrete(tensor_of(v))).astype(np.int64) for v in (labels, predictions))
    if y.shape != p.shape:
        raise ValueError(f"Dimensions {y.size} and {p.size} are not compatible")
    if np.any(y < 0) or np.any(p < 0):
        raise invalid_argument("`labels` and `predictions` must be non-negative")
    n = (max(int(y.max(initial=-1)), int(p.max(initial=-1))) + 1 if num_classes is None
         else as_int(num_classes, "num_classes"))
    if np.any(y >= n) or np.any(p >= n):
        raise invalid_argument(f"`labels` and `predictions` must be less than num_classes {n}")
    out = np.zeros((n, n), as_dtype(dtype)._np)
    np.add.at(out, (y, p), 1 if weights is None else np.ravel(concrete(tensor_of(weights))))
    return wrap(out)


# ----- top k -----

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input: Any, k: Any = 1, sorted: bool = True, index_type: DType | str = "int32",
          name: str | None = None) -> TopKV2:
    """The ``k`` largest entries of each last-axis row, largest first, and their indices (the
    lower index first at ties); the gradient goes back to where each value came from.

    >>> import tapegrad as tf
    >>> values, indices = tf.math.top_k([1.0, 3.0, 3.0, 2.0], k=2)
    >>> values.numpy().tolist(), indices.numpy().tolist()
    ([3.0, 3.0], [1, 2])
    """
    x = tensor_of(input)
    shape = np.shape(x._value)
    k = as_int(k, "k")
    if not shape or k < 0 or k > shape[-1]:
        columns = shape[-1] if shape else 0
        raise invalid_argument(f"input must have at least k columns. Had {columns}, needed {k} "
                               "[Op:TopKV2]")
    # The order is an op on x (argsort), so a traced function ranks each call's values.
    order = argsort(x, -1, "DESCENDING")[..., :k]
    n = shape[-1]
    offsets = (np.arange(int(np.prod(shape[:-1])), dtype=np.int32) * n).reshape(
        shape[:-1] + (1,))
    values = reshape(gather(reshape(x, (-1,)), reshape(order + offsets, (-1,))),
                     shape[:-1] + (k,))
    return TopKV2(values, cast(order, index_type))


def in_top_k(targets: Any, predictions: Any, k: Any, name: str | None = None) -> Tensor:
    """Whether each row's prediction for its target class is among its ``k`` largest (entries
    tied at the boundary all count as in).

    >>> import tapegrad as tf
    >>> tf.math.in_top_k([2, 0], [[1.0, 3.0, 3.0], [1.0, 3.0, 2.0]], 2).numpy().tolist()
    [True, False]
    """
    if isinstance(predictions, Tensor) and predictions.dtype != float32:
        raise ValueError(f"Incompatible type conversion requested to type float32 for "
                         f"predictions of type {predictions.dtype.name}: in_top_k takes float32 "
                         "predictions.")
    t = concrete(tensor_of(targets))
    p = concrete(convert_to_tensor(predictions, dtype=float32))
    if p.ndim != 2 or t.shape != p.shape[:1]:
        raise invalid_argument(f"predictions must be 2-dimensional and targets 1-dimensional "
                               f"of the same length, got {list(p.shape)} and {list(t.shape)}")
    k = as_int(k, "k")
    valid = (t >= 0) & (t < p.shape[1])
    target = p[np.arange(len(t)), np.where(valid, t, 0)]
    above = np.sum(p > target[:, None], axis=1)
    ok = valid & np.isfinite(target) & np.all(np.isfinite(p), axis=1)
    return wrap(ok & (above < k))


__all__ = ["segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod",
           "unsorted_segment_sum", "unsorted_segment_mean", "unsorted_segment_sqrt_n",
           "unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod", "bincount",
           "confusion_matrix", "TopKV2", "top_k", "in_top_k"]
