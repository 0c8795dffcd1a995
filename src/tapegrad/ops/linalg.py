"""Linear algebra: matmul (batched, with transposes), tensordot, einsum, norms, inverses, solves.

>>> import tapegrad as tf
>>> a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
>>> tf.matmul(a, a, transpose_b=True).numpy().tolist()
[[5.0, 11.0], [11.0, 25.0]]
"""

from __future__ import annotations

import functools
import string
from typing import Any, Sequence

import numpy as np

from .. import tape
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_int, as_ints, convert_to_tensor, tensor_of, wrap
from .array import EachInput, concat, expand_dims, reshape, squeeze, transpose
from .math import abs, cast, check_kind, log, maximum, operands, pow, sqrt, square, where
from .reduce import reduce_max, reduce_sum

# ----- matmul -----

def _t(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _matmul(a: Any, b: Any, ta: bool, tb: bool) -> Any:
    return np.matmul(_t(a) if ta else a, _t(b) if tb else b)


def _matmul_rule_a(xp: Any, g: Any, ans: Any, a: Any, b: Any, ta: bool, tb: bool) -> Any:
    return xp.matmul(b, g, tb, True) if ta else xp.matmul(g, b, False, not tb)


def _matmul_rule_b(xp: Any, g: Any, ans: Any, a: Any, b: Any, ta: bool, tb: bool) -> Any:
    return xp.matmul(g, a, True, ta) if tb else xp.matmul(a, g, not ta, False)


MATMUL = Primitive("MatMul", _matmul, _matmul_rule_a, _matmul_rule_b)


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(map(str, shape)) + "]"


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, output_type: Any = None, grad_a: bool = False,
           grad_b: bool = False, name: str | None = None) -> Tensor:
    """The matrix product of the last two axes, broadcasting any leading (batch) axes.

    >>> import tapegrad as tf
    >>> tf.matmul([[1.0, 2.0]], [[3.0], [4.0]]).numpy().tolist()
    [[11.0]]
    """
    a, b = operands(MATMUL, a, b)
    check_kind(MATMUL, a, "fciu")
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    sa, sb = np.shape(a._value), np.shape(b._value)
    for k, s in enumerate((sa, sb)):
        if len(s) < 2:
            raise invalid_argument(f"In[{k}] ndims must be >= 2: {len(s)} [Op:MatMul] name: ")
    inner_a, inner_b = sa[-2] if ta else sa[-1], sb[-1] if tb else sb[-2]
    if inner_a != inner_b:
        raise invalid_argument(f"Matrix size-incompatible: In[0]: {_dims(sa)}, In[1]: "
                               f"{_dims(sb)} [Op:MatMul] name: ")
    try:
        return tape.apply(MATMUL, (a, b), (ta, tb))
    except ValueError:
        raise invalid_argument(f"In[0] and In[1] must have compatible batch dimensions: "
                               f"{list(sa)} vs. {list(sb)} [Op:BatchMatMulV2] name: ") from None


Tensor.__matmul__ = lambda a, b: matmul(a, b)
Tensor.__rmatmul__ = lambda b, a: matmul(a, b)


def matvec(a: Any, b: Any, transpose_a: bool = False, adjoint_a: bool = False,
           name: str | None = None) -> Tensor:
    """The matrix-vector product a @ b over the last axes.

    >>> import tapegrad as tf
    >>> tf.linalg.matvec([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy().tolist()
    [3.0, 7.0]
    """
    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=transpose_a or adjoint_a), -1)


def matrix_transpose(a: Any, name: str | None = None, conjugate: bool = False) -> Tensor:
    """The last two axes swapped.

    >>> import tapegrad as tf
    >>> tf.linalg.matrix_transpose([[1, 2, 3]]).shape
    TensorShape([3, 1])
    """
    x = tensor_of(a)
    ndim = x._value.ndim
    if ndim < 2:
        raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  Received "
                         f"`a` = {x!r} with shape: {x.shape}")
    return transpose(x, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Sum over the pairs of axes in ``axes`` (an int N: a's last N with b's first N).

    >>> import tapegrad as tf
    >>> tf.tensordot(tf.ones((2, 3)), tf.ones((3, 4)), 1).shape
    TensorShape([2, 4])
    """
    a, b = tensor_of(a), tensor_of(b)
    na, nb = a._value.ndim, b._value.ndim
    if not isinstance(axes, (list, tuple)) and np.ndim(
            axes._value if isinstance(axes, Tensor) else axes) == 0:
        n = as_int(axes, "axes")
        if n > min(na, nb) or n < 0:
            raise ValueError(f"`axes` must be at most the rank of `a` and `b`, got {n}")
        ax_a, ax_b = list(range(na - n, na)), list(range(n))
    else:
        if len(axes) != 2:
            raise ValueError(f"`axes` must be an integer or have length 2. Received {axes}.")
        ax_a, ax_b = (_axes_in(as_ints(axes[0], "axes"), na), _axes_in(as_ints(axes[1], "axes"),
                                                                        nb))
        if len(ax_a) != len(ax_b):
            raise ValueError(f"tensordot: `axes` pairs {len(ax_a)} axes of `a` with {len(ax_b)} "
                             "of `b`")
    sa, sb = np.shape(a._value), np.shape(b._value)
    if [sa[i] for i in ax_a] != [sb[i] for i in ax_b]:
        raise ValueError(f"tensordot: the contracted dimensions {[sa[i] for i in ax_a]} and "
                         f"{[sb[i] for i in ax_b]} differ")
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [i for i in range(nb) if i not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a], dtype=np.int64))
    left = reshape(transpose(a, free_a + ax_a), (-1, k))
    right = reshape(transpose(b, ax_b + free_b), (k, -1))
    return reshape(matmul(left, right), [sa[i] for i in free_a] + [sb[i] for i in free_b])


def _axes_in(axes: tuple[int, ...], ndim: int) -> list[int]:
    """Axes counted from the end when negative, each in range for a tensor of rank ``ndim``."""
    for a in axes:
        if not -ndim <= a < ndim:
            raise invalid_argument(f"axis {a} is out of range for a tensor of rank {ndim}")
    return [a % ndim for a in axes]


# ----- einsum -----

def _parse_einsum(equation: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """Operand and output subscripts with '...' spelled out and the output made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, out = equation.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(ndims):
        raise ValueError(f"einsum: the equation names {len(subs)} operands, got {len(ndims)}")
    spare = iter(c for c in string.ascii_letters if c not in equation)
    width = max([n - len(s.replace("...", "")) for s, n in zip(subs, ndims) if "..." in s],
                default=0)
    dots = "".join(next(spare) for _ in range(width))
    subs = [s.replace("...", dots[len(dots) - (n - len(s.replace("...", ""))):])
            for s, n in zip(subs, ndims)]
    if not arrow:
        counts = {c: "".join(subs).count(c) for c in "".join(subs)}
        out = dots + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in dots))
    else:
        out = out.replace("...", dots)
    for s, n in zip(subs, ndims):
        if len(s) != n:
            raise ValueError(f"einsum: subscripts '{s}' don't match an operand of rank {n}")
    return subs, out


def _einsum(*args: Any) -> Any:
    *values, subs, out = args
    big = len(values) > 2 or sum(np.size(v) for v in values) > 100_000
    return np.einsum(",".join(subs) + "->" + out, *values, optimize=big)


def _einsum_rule(i: int, xp: Any, g: Any, ans: Any, *args: Any) -> Any:
    *values, subs, out = args
    mine = subs[i]
    if len(set(mine)) != len(mine):
        raise NotImplementedError(f"einsum: no gradient through a repeated subscript ('{mine}')")
    others = [s for k, s in enumerate(subs) if k != i]
    present = set(out).union(*others)
    kept = "".join(c for c in mine if c in present)
    grad = xp.einsum(",".join([out] + others) + "->" + kept, g,
                     *[v for k, v in enumerate(values) if k != i])
    if kept != mine:  # subscripts summed inside this operand alone: broadcast back
        shape = xp.shape(values[i])
        grad = xp.broadcast_to(xp.reshape(grad, tuple(n if c in present else 1
                                                      for c, n in zip(mine, shape))), shape)
    return grad


EINSUM = Primitive("Einsum", _einsum)
EINSUM.vjps = EachInput(_einsum_rule)


def einsum(equation: str, *inputs: Any, name: str | None = None, **kwargs: Any) -> Tensor:
    """Sums of products named by Einstein notation, e.g. ``'ij,jk->ik'`` for matmul.

    >>> import tapegrad as tf
    >>> tf.einsum("ij,jk->ik", tf.ones((2, 3)), tf.ones((3, 4))).shape
    TensorShape([2, 4])
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum's equation must be a string such as 'ij,jk->ik', got "
                        f"{equation!r}")
    if not inputs:
        raise ValueError(f'Got 0 inputs for equation "{equation}", expecting at least 1')
    tensors = [tensor_of(x) for x in inputs]
    first = tensors[0]
    tensors = [first] + [operands(EINSUM, first, t)[1] for t in tensors[1:]]
    subs, out = _parse_einsum(equation, [t._value.ndim for t in tensors])
    try:
        return tape.apply(EINSUM, tuple(tensors), (subs, out))
    except ValueError as e:
        raise invalid_argument(f"{e} [Op:Einsum] name: ") from None


# ----- norms -----

def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None,
         keepdims: bool | None = None, name: str | None = None) -> Tensor:
    """A vector norm over ``axis`` (all entries when None), or a matrix norm over two axes.

    ``ord`` is 'euclidean' (2), 'fro', 1, np.inf or any p > 0 for vectors; 'fro', 'euclidean',
    1 or np.inf for matrices. Its gradient at 0 is NaN, as TensorFlow's.

    >>> import tapegrad as tf
    >>> float(tf.norm([3.0, 4.0])), float(tf.norm([3.0, -4.0], ord=1))
    (5.0, 7.0)
    """
    x = tensor_of(tensor)
    keepdims = bool(keepdims)
    axes = None if axis is None else _axes_in(as_ints(axis, "axis"), x._value.ndim)
    if axes is not None and len(axes) == 2 and ord not in ("euclidean", "fro"):
        rows, cols = axes
        if ord == 1:
            return reduce_max(reduce_sum(abs(x), rows, keepdims=True), axes, keepdims)
        if ord == np.inf:
            return reduce_max(reduce_sum(abs(x), cols, keepdims=True), axes, keepdims)
        raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, "
                         f"inf], got {ord}")
    if ord in ("euclidean", "fro", 2, 2.0):
        return sqrt(reduce_sum(square(x), axes, keepdims))
    if ord == 1:
        return reduce_sum(abs(x), axes, keepdims)
    if ord == np.inf:
        return reduce_max(abs(x), axes, keepdims)
    if isinstance(ord, (int, float)) and ord > 0:
        return pow(reduce_sum(pow(abs(x), float(ord)), axes, keepdims), 1.0 / ord)
    raise ValueError(f"'ord' must be a supported vector norm, got {ord}")


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Tensor:
    """t scaled down so that its L2 norm over ``axes`` is at most ``clip_norm``.

    >>> import tapegrad as tf
    >>> tf.clip_by_norm([3.0, 4.0], 1.0).numpy().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    x = tensor_of(t)
    length = norm(x, axis=axes, keepdims=True)
    limit = convert_to_tensor(clip_norm, dtype=x.dtype)
    return x * limit / maximum(length, limit)


def global_norm(t_list: Sequence[Any], name: str | None = None) -> Tensor:
    """sqrt of the sum of squares of every entry of every tensor in ``t_list`` (None skipped).

    >>> import tapegrad as tf
    >>> float(tf.linalg.global_norm([tf.constant([3.0]), tf.constant([4.0])]))
    5.0
    """
    if not isinstance(t_list, (list, tuple)):
        raise TypeError(f"t_list must be a sequence of tensors, got {t_list!r}")
    squares = [reduce_sum(square(tensor_of(t))) for t in t_list if t is not None]
    if not squares:
        return convert_to_tensor(0.0)
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    return sqrt(total)


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None,
                        name: str | None = None) -> tuple[list[Tensor | None], Tensor]:
    """Every tensor scaled by clip_norm / max(global_norm, clip_norm); returns (list, norm).

    >>> import tapegrad as tf
    >>> clipped, n = tf.clip_by_global_norm([tf.constant([3.0]), tf.constant([4.0])], 1.0)
    >>> float(n), [round(float(c[0]), 2) for c in clipped]
    (5.0, [0.6, 0.8])
    """
    if not isinstance(t_list, (list, tuple)):
        raise TypeError(f"t_list must be a sequence of tensors, got {t_list!r}")
    total = global_norm(t_list) if use_norm is None else tensor_of(use_norm)
    limit = convert_to_tensor(clip_norm, dtype=total.dtype)
    scale = limit / maximum(total, limit)
    return [None if t is None else tensor_of(t) * cast(scale, tensor_of(t).dtype)
            for t in t_list], total


# ----- inverses and solves -----

def _square_matrices(x: Tensor, prim: Primitive) -> None:
    s = np.shape(x._value)
    if len(s) < 2 or s[-1] != s[-2]:
        raise invalid_argument(f"Input matrix must be square, got shape {list(s)} "
                               f"[Op:{prim.name}] name: ")
    check_kind(prim, x, "fc")
    if x._value.dtype == np.float16 and prim is not INV:  # NumPy's linalg has no half kernels
        raise invalid_argument(f"Value for attr 'T' of half is not in the list of allowed "
                               f"values: float, double, complex64, complex128 [Op:{prim.name}]")


def _inv(x: Any) -> Any:
    try:
        if x.dtype == np.float16:  # TensorFlow inverts half matrices; NumPy needs float32
            return np.linalg.inv(x.astype(np.float32)).astype(np.float16)
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise invalid_argument("Input is not invertible. [Op:MatrixInverse] name: ") from None


INV = Primitive("MatrixInverse", _inv,
                lambda xp, g, ans, x: -xp.matmul(xp.matmul(ans, g, True, False), ans, False, True))
DET = Primitive("MatrixDeterminant", np.linalg.det,
                lambda xp, g, ans, x: xp.reshape(g * ans, xp.shape(ans) + (1, 1))
                * xp.matrix_transpose(xp.inv(x)))


def _solve(a: Any, b: Any, adjoint: bool) -> Any:
    try:
        return np.linalg.solve(_t(a) if adjoint else a, b)
    except np.linalg.LinAlgError:
        raise invalid_argument("Input matrix is not invertible. [Op:MatrixSolve] name: ") from None


def _solve_rule_b(xp: Any, g: Any, ans: Any, a: Any, b: Any, adjoint: bool) -> Any:
    return xp.solve(a, g, not adjoint)


def _solve_rule_a(xp: Any, g: Any, ans: Any, a: Any, b: Any, adjoint: bool) -> Any:
    gb = xp.solve(a, g, not adjoint)
    return -xp.matmul(ans, gb, False, True) if adjoint else -xp.matmul(gb, ans, False, True)


SOLVE = Primitive("MatrixSolve", _solve, _solve_rule_a, _solve_rule_b)


def inv(input: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    """The inverse of each square matrix in the last two axes.

    >>> import tapegrad as tf
    >>> tf.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    x = tensor_of(input)
    _square_matrices(x, INV)
    out = tape.apply(INV, (x,))
    return matrix_transpose(out) if adjoint else out


def det(input: Any, name: str | None = None) -> Tensor:
    """The determinant of each square matrix in the last two axes.

    >>> import tapegrad as tf
    >>> float(tf.linalg.det([[2.0, 1.0], [1.0, 3.0]]))
    5.0
    """
    x = tensor_of(input)
    _square_matrices(x, DET)
    return tape.apply(DET, (x,))


def solve(matrix: Any, rhs: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    """X such that matrix @ X = rhs (matrixᵀ with ``adjoint``), for each matrix in a batch.

    >>> import tapegrad as tf
    >>> tf.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [[1.0], [1.0]]).numpy().tolist()
    [[0.5], [0.25]]
    """
    a, b = operands(SOLVE, matrix, rhs)
    _square_matrices(a, SOLVE)
    if np.ndim(b._value) < 2 or np.shape(b._value)[-2] != np.shape(a._value)[-1]:
        raise invalid_argument(f"Input matrix and right-hand side must have the same number of "
                               f"rows: {list(np.shape(a._value))} vs. {list(np.shape(b._value))} "
                               "[Op:MatrixSolve] name: ")
    return tape.apply(SOLVE, (a, b), (bool(adjoint),))



# ----- bands and diagonals -----

def _rule_op(prim: Primitive, inputs: tuple[Any, ...], params: tuple[Any, ...] = ()) -> Any:
    """``prim`` inside a gradient rule: its kernel on NumPy values, the op on tensors (recorded,
    so that the rule can be differentiated in turn)."""
    if any(isinstance(x, Tensor) for x in inputs):
        return tape.apply(prim, tuple(tensor_of(x) for x in inputs), tuple(params))
    return prim.kernel(*inputs, *params)


def _check_matrices(x: Tensor, op: str, square: bool = False) -> None:
    s = np.shape(x._value)
    if len(s) < 2:
        raise invalid_argument(f"Input must have rank >= 2, got shape {list(s)} [Op:{op}] name: ")
    if square and s[-1] != s[-2]:
        raise invalid_argument(f"Input matrix must be square, got shape {list(s)} [Op:{op}] "
                               "name: ")
    if x._value.dtype.kind not in "fc" or x._value.dtype == np.float16:
        raise invalid_argument(f"Value for attr 'T' of {x.dtype._op_name} is not in the list of "
                               f"allowed values: double, float, complex64, complex128 [Op:{op}]")


def _band_mask(shape: tuple[int, ...], lower: int, upper: int) -> Any:
    rows, cols = shape[-2:]
    offset = np.arange(cols) - np.arange(rows)[:, None]  # column minus row
    return ((lower < 0) | (-offset <= lower)) & ((upper < 0) | (offset <= upper))


BAND_PART = Primitive(
    "MatrixBandPart", lambda x, lower, upper: np.where(_band_mask(x.shape, lower, upper), x,
                                                       x.dtype.type(0)),
    lambda xp, g, ans, x, lower, upper: _rule_op(BAND_PART, (g,), (lower, upper)))


def band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None) -> Tensor:
    """Each matrix with everything outside a band zeroed: ``num_lower`` diagonals below the main
    one and ``num_upper`` above are kept (a negative count keeps the whole triangle).

    >>> import tapegrad as tf
    >>> tf.linalg.band_part(tf.ones((3, 3)), 0, -1).numpy().tolist()
    [[1.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    """
    x = tensor_of(input)
    if x._value.ndim < 2:
        raise invalid_argument(f"input must be at least 2-dim, received shape: "
                               f"{list(np.shape(x._value))} [Op:MatrixBandPart] name: ")
    return tape.apply(BAND_PART, (x,), (as_int(num_lower, "num_lower"),
                                        as_int(num_upper, "num_upper")))


def _diagonal(rows: int, cols: int, k: int) -> tuple[Any, Any]:
    """Row and column indices of diagonal ``k`` (above the main one when positive)."""
    n = max(min(rows - max(-k, 0), cols - max(k, 0)), 0)
    return np.arange(n) + max(-k, 0), np.arange(n) + max(k, 0)


def _diag_part(x: Any, k: int) -> Any:
    return x[(..., *_diagonal(*x.shape[-2:], k))]


def _diag_embed(v: Any, k: int, rows: int, cols: int, padding: Any) -> Any:
    out = np.full(v.shape[:-1] + (rows, cols), padding, v.dtype)
    out[(..., *_diagonal(rows, cols, k))] = v
    return out


def _set_diag(x: Any, d: Any, k: int) -> Any:
    out = x.copy()
    out[(..., *_diagonal(*x.shape[-2:], k))] = d
    return out


DIAG_PART = Primitive("MatrixDiagPartV3", _diag_part, lambda xp, g, ans, x, k: _rule_op(
    DIAG_EMBED, (g,), (k, *xp.shape(x)[-2:], 0)))
DIAG_EMBED = Primitive("MatrixDiagV3", _diag_embed, lambda xp, g, ans, v, k, rows, cols, pad:
                       _rule_op(DIAG_PART, (g,), (k,)))
SET_DIAG = Primitive(
    "MatrixSetDiagV3", _set_diag,
    lambda xp, g, ans, x, d, k: g * _set_diag(np.ones(xp.shape(g)[-2:], xp.dtype(g)),
                                              np.zeros((), xp.dtype(g)), k),
    lambda xp, g, ans, x, d, k: _rule_op(DIAG_PART, (g,), (k,)))


def _offset(k: Any) -> int:
    if isinstance(k, (list, tuple)) or np.ndim(k._value if isinstance(k, Tensor) else k) > 0:
        raise ValueError("tapegrad's diagonal ops take one diagonal offset k (an int), not a "
                         "band of them")
    return as_int(k, "k")


def diag_part(input: Any, name: str = "diag_part", k: Any = 0, padding_value: Any = 0,
              align: str = "RIGHT_LEFT") -> Tensor:
    """Diagonal ``k`` of each matrix in the last two axes (k > 0: above the main one).

    >>> import tapegrad as tf
    >>> tf.linalg.diag_part([[1.0, 2.0], [3.0, 4.0]]).numpy().tolist()
    [1.0, 4.0]
    """
    x = tensor_of(input)
    if x._value.ndim < 2:
        raise invalid_argument(f"input must be at least 2-dim, received shape: "
                               f"{list(np.shape(x._value))} [Op:MatrixDiagPartV3] name: ")
    return tape.apply(DIAG_PART, (x,), (_offset(k),))


def diag(diagonal: Any, name: str = "diag", k: Any = 0, num_rows: Any = -1, num_cols: Any = -1,
         padding_value: Any = 0, align: str = "RIGHT_LEFT") -> Tensor:
    """Matrices with ``diagonal`` (a batch of vectors) on diagonal ``k`` and ``padding_value``
    elsewhere; square of side len + |k| unless ``num_rows``/``num_cols`` say otherwise.

    >>> import tapegrad as tf
    >>> tf.linalg.diag([1.0, 2.0]).numpy().tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    v = tensor_of(diagonal)
    if v._value.ndim < 1:
        raise invalid_argument("diagonal must be at least 1-dim [Op:MatrixDiagV3] name: ")
    k = _offset(k)
    length = np.shape(v._value)[-1]
    rows, cols = as_int(num_rows, "num_rows"), as_int(num_cols, "num_cols")
    side = length + (k if k >= 0 else -k)  # `abs` is the op here
    rows, cols = (rows if rows >= 0 else length + max(-k, 0) if cols >= 0 else side,
                  cols if cols >= 0 else length + max(k, 0) if rows >= 0 else side)
    if len(_diagonal(rows, cols, k)[0]) != length:
        raise invalid_argument("The number of rows or columns is not consistent with the "
                               "specified d_lower, d_upper, and diagonal. [Op:MatrixDiagV3]")
    padding = convert_to_tensor(padding_value, dtype=v.dtype)._value
    return tape.apply(DIAG_EMBED, (v,), (k, rows, cols, padding))


def set_diag(input: Any, diagonal: Any, name: str = "set_diag", k: Any = 0,
             align: str = "RIGHT_LEFT") -> Tensor:
    """Each matrix with diagonal ``k`` replaced by ``diagonal``.

    >>> import tapegrad as tf
    >>> tf.linalg.set_diag(tf.zeros((2, 2)), [1.0, 2.0]).numpy().tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    x, d = operands(SET_DIAG, input, diagonal)
    k = _offset(k)
    s, ds = np.shape(x._value), np.shape(d._value)
    want = s[:-2] + (len(_diagonal(*s[-2:], k)[0]),) if len(s) >= 2 else None
    if want is None or ds != want:
        raise invalid_argument(f"diagonal must have shape {list(want or ())} for an input of "
                               f"shape {list(s)}, got {list(ds)} [Op:MatrixSetDiagV3] name: ")
    return tape.apply(SET_DIAG, (x, d), (k,))


def trace(x: Any, name: str | None = None) -> Tensor:
    """The sum of the main diagonal of each matrix in the last two axes.

    >>> import tapegrad as tf
    >>> float(tf.linalg.trace([[1.0, 2.0], [3.0, 4.0]]))
    5.0
    """
    return reduce_sum(diag_part(x), -1)


def adjoint(matrix: Any, name: str | None = None) -> Tensor:
    """The conjugate transpose of each matrix (the transpose, for real ones).

    >>> import tapegrad as tf
    >>> tf.linalg.adjoint([[1.0, 2.0]]).numpy().tolist()
    [[1.0], [2.0]]
    """
    return matrix_transpose(matrix, conjugate=True)


# ----- triangular solves and Cholesky -----

def _triangular_solve(a: Any, b: Any, lower: bool, adjoint: bool) -> Any:
    t = np.tril(a) if lower else np.triu(a)
    t = _t(t) if adjoint else t
    try:
        return np.linalg.solve(t, b)
    except np.linalg.LinAlgError:  # a zero on the diagonal: substitution gives inf and NaN
        return _substitute(t, np.broadcast_to(b, np.broadcast_shapes(
            t.shape[:-2], b.shape[:-2]) + b.shape[-2:]), lower != adjoint)


def _substitute(t: Any, b: Any, lower: bool) -> Any:
    """Forward (or back) substitution, which divides by zero where LAPACK's solve refuses."""
    x = np.zeros(b.shape, np.result_type(t, b))
    n = t.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n) if lower else reversed(range(n)):
            x[..., i, :] = (b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)) \
                / t[..., i, i, None]
    return x


def _triangular_solve_rule_a(xp: Any, g: Any, ans: Any, a: Any, b: Any, lower: bool,
                             adjoint: bool) -> Any:
    gb = _rule_op(TRIANGULAR_SOLVE, (a, g), (lower, not adjoint))
    ga = -(xp.matmul(ans, gb, False, True) if adjoint else xp.matmul(gb, ans, False, True))
    return _rule_op(BAND_PART, (ga,), (-1, 0) if lower else (0, -1))


TRIANGULAR_SOLVE = Primitive(
    "MatrixTriangularSolve", _triangular_solve, _triangular_solve_rule_a,
    lambda xp, g, ans, a, b, lower, adjoint: _rule_op(TRIANGULAR_SOLVE, (a, g),
                                                      (lower, not adjoint)))


def triangular_solve(matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False,
                     name: str | None = None) -> Tensor:
    """X with matrix @ X = rhs, reading only the lower (or upper) triangle of ``matrix``;
    ``adjoint`` solves with its transpose. Batch axes broadcast.

    >>> import tapegrad as tf
    >>> tf.linalg.triangular_solve([[2.0, 0.0], [1.0, 1.0]], [[2.0], [3.0]]).numpy().tolist()
    [[1.0], [2.0]]
    """
    a, b = operands(TRIANGULAR_SOLVE, matrix, rhs)
    _check_matrices(a, "MatrixTriangularSolve", square=True)
    sa, sb = np.shape(a._value), np.shape(b._value)
    if len(sb) < 2 or sb[-2] != sa[-1]:
        raise invalid_argument(f"Input matrix and right-hand side must have the same number of "
                               f"rows: {list(sa)} vs. {list(sb)} [Op:MatrixTriangularSolve] name: ")
    try:
        return tape.apply(TRIANGULAR_SOLVE, (a, b), (bool(lower), bool(adjoint)))
    except ValueError:
        raise invalid_argument(f"Incompatible batch shapes: {list(sa)} vs. {list(sb)} "
                               "[Op:MatrixTriangularSolve] name: ") from None


def _cholesky(x: Any) -> Any:
    try:
        return np.linalg.cholesky(x)
    except np.linalg.LinAlgError:  # as TensorFlow: the failed matrices come out as NaN
        tape.warn("Cholesky decomposition was not successful. Filling lower-triangular output "
                  "with NaNs.")
        out = np.zeros_like(x)
        for index in np.ndindex(*x.shape[:-2]):
            try:
                out[index] = np.linalg.cholesky(x[index])
            except np.linalg.LinAlgError:
                out[index] = np.where(np.tri(x.shape[-1], dtype=bool), np.nan, 0)
        return out


def _cholesky_rule(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    n = xp.shape(ans)[-1]
    dtype = xp.dtype(ans)
    half_diagonal = np.tril(np.ones((n, n), dtype)) - np.eye(n, dtype=dtype) / 2
    p = xp.matmul(ans, g, True, False) * half_diagonal  # the lower part of Lᵀ Ḡ, diagonal halved
    left = _rule_op(TRIANGULAR_SOLVE, (ans, p), (True, True))  # L⁻ᵀ P
    s = xp.matrix_transpose(_rule_op(TRIANGULAR_SOLVE, (ans, xp.matrix_transpose(left)),
                                     (True, True)))  # L⁻ᵀ P L⁻¹
    return (s + xp.matrix_transpose(s)) * dtype.type(0.5)


CHOLESKY = Primitive("Cholesky", _cholesky, _cholesky_rule)


def cholesky(input: Any, name: str | None = None) -> Tensor:
    """The lower-triangular L with L @ Lᵀ = input, for each symmetric positive-definite matrix
    (only the lower triangle is read; a matrix that is not positive definite gives NaNs, as in
    TensorFlow). Its gradient is symmetric, as TensorFlow's.

    >>> import tapegrad as tf
    >>> tf.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]]).numpy().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    x = tensor_of(input)
    _check_matrices(x, "Cholesky", square=True)
    return tape.apply(CHOLESKY, (x,))


def cholesky_solve(chol: Any, rhs: Any, name: str | None = None) -> Tensor:
    """X with A @ X = rhs, given ``chol`` = cholesky(A).

    >>> import tapegrad as tf
    >>> chol = tf.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]])
    >>> tf.linalg.cholesky_solve(chol, [[6.0], [7.0]]).numpy().tolist()
    [[1.0], [1.0]]
    """
    y = triangular_solve(chol, rhs, lower=True, adjoint=False)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def logdet(matrix: Any, name: str | None = None) -> Tensor:
    """log(det(matrix)) of each Hermitian positive-definite matrix, through its Cholesky factor.

    >>> import tapegrad as tf
    >>> round(float(tf.linalg.logdet([[2.0, 0.0], [0.0, 3.0]])), 5)
    1.79176
    """
    chol = cholesky(matrix)
    return 2.0 * reduce_sum(log(diag_part(chol)), -1)


# ----- decompositions with several outputs -----

class _Decomposition:
    """A kernel with several outputs, each the output of its own primitive (its own gradient
    rule, which recomputes what it needs through ``__call__``); one kernel call computes all."""

    def __init__(self, name: str, kernel: Any, *rules: Any) -> None:
        self.kernel = kernel
        self.parts = [Primitive(name, functools.partial(self._part, k), r)
                      for k, r in enumerate(rules)]

    def _part(self, k: int, x: Any, *params: Any) -> Any:
        return self.kernel(x, *params)[k]

    def __call__(self, x: Any, params: tuple[Any, ...]) -> list[Any]:
        """Every output: NumPy values for a NumPy ``x``, tensors (recorded) for a tensor."""
        if not isinstance(x, Tensor):
            return list(self.kernel(x, *params))
        outs = [wrap(v) for v in self.kernel(x._value, *params)]
        if tape.recording:
            for prim, out in zip(self.parts, outs):
                tape.record(prim, out, (x,), params)
        return outs


def _diag_matrix(xp: Any, v: Any) -> Any:
    k = xp.shape(v)[-1]
    return xp.reshape(v, xp.shape(v) + (1,)) * np.eye(k, dtype=xp.dtype(v))


def _reciprocal_gaps(xp: Any, w: Any) -> Any:
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    k = xp.shape(w)[-1]
    eye = np.eye(k, dtype=bool)
    gaps = xp.reshape(w, xp.shape(w)[:-1] + (1, k)) - xp.reshape(w, xp.shape(w) + (1,))
    return xp.where(eye, xp.dtype(w).type(0), 1 / xp.where(eye, xp.dtype(w).type(1), gaps))


def _qr_kernel(a: Any, full: bool) -> tuple[Any, Any]:
    return tuple(np.linalg.qr(a, mode="complete" if full else "reduced"))


def _right_triangular_solve(xp: Any, x: Any, r: Any) -> Any:
    """x @ r⁻ᵀ for upper-triangular r."""
    return xp.matrix_transpose(_rule_op(TRIANGULAR_SOLVE, (r, xp.matrix_transpose(x)),
                                        (False, False)))


def _qr_grad_tall(xp: Any, q: Any, r: Any, gq: Any, gr: Any) -> Any:
    qdq = xp.matmul(q, gq, True, False)
    rdr = xp.matmul(r, gr, False, True)
    low = _rule_op(BAND_PART, (qdq - xp.matrix_transpose(qdq) + rdr - xp.matrix_transpose(rdr),),
                   (-1, 0))
    return xp.matmul(q, gr + _right_triangular_solve(xp, low, r), False, False) + \
        _right_triangular_solve(xp, gq - xp.matmul(q, qdq, False, False), r)


def _qr_grad(xp: Any, a: Any, full: bool, gq: Any = None, gr: Any = None) -> Any:
    q, r = QR(a, (full,))
    m, n = xp.shape(a)[-2:]
    if full and m > n:
        raise NotImplementedError(f"QrGrad not implemented when nrows > ncols and full_matrices "
                                  f"is true. Received r.shape={xp.shape(r)} with nrows={m} and "
                                  f"ncols={n}.")
    gq = q * 0 if gq is None else gq
    gr = r * 0 if gr is None else gr
    if m >= n:
        return _qr_grad_tall(xp, q, r, gq, gr)
    # wide: a = [x | y] with x square; r = [u | qᵀy]; y reaches q only through r's right block
    y, gw = a[..., m:], gr[..., m:]
    gx = _qr_grad_tall(xp, q, r[..., :m], gq + xp.matmul(y, gw, False, True), gr[..., :m])
    gy = xp.matmul(q, gw, False, False)
    return concat([gx, gy], -1) if isinstance(gx, Tensor) else np.concatenate([gx, gy], -1)


QR = _Decomposition("Qr", _qr_kernel,
                    lambda xp, g, ans, a, full: _qr_grad(xp, a, full, gq=g),
                    lambda xp, g, ans, a, full: _qr_grad(xp, a, full, gr=g))


def qr(input: Any, full_matrices: bool = False, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(q, r): orthonormal columns q and upper-triangular r with q @ r = input, per matrix.

    >>> import tapegrad as tf
    >>> q, r = tf.linalg.qr([[3.0, 1.0], [4.0, 2.0]], name="qr")
    >>> tf.abs(r).numpy().astype(float).round(3).tolist()
    [[5.0, 2.2], [0.0, 0.4]]
    """
    x = tensor_of(input)
    _check_matrices(x, "Qr")
    q, r = QR(x, (bool(full_matrices),))
    return q, r


def _svd_kernel(a: Any, full: bool) -> tuple[Any, Any, Any]:
    try:
        u, s, vh = np.linalg.svd(a, full_matrices=full)
    except np.linalg.LinAlgError:  # no convergence (NaN or inf entries): NaNs, as TensorFlow
        *batch, m, n = a.shape
        k = min(m, n)
        return tuple(np.full((*batch, *shape), np.nan, a.dtype)
                     for shape in [(k,), (m, m if full else k), (n, n if full else k)])
    return s, u, _t(vh)


def _svd_grad(xp: Any, a: Any, full: bool, gs: Any = None, gu: Any = None, gv: Any = None
              ) -> Any:
    m, n = xp.shape(a)[-2:]
    if full and m != n and (gu is not None or gv is not None):
        raise NotImplementedError(f"SVD gradient has not been implemented for input with "
                                  f"unequal number of rows and columns when full_matrices is "
                                  f"set to True. Received: m={m} and n={n}.")
    s, u, v = SVD(a, (full,))
    k = min(m, n)
    row = xp.reshape(s, xp.shape(s)[:-1] + (1, k))  # s_j at [i, j]
    inner: Any = 0
    if gs is not None:
        inner = _diag_matrix(xp, gs)
    if gu is not None or gv is not None:
        f = _reciprocal_gaps(xp, s * s)
    if gu is not None:
        utgu = xp.matmul(u, gu, True, False)
        inner = inner + f * (utgu - xp.matrix_transpose(utgu)) * row
    if gv is not None:
        vtgv = xp.matmul(v, gv, True, False)
        inner = inner + xp.matrix_transpose(row) * f * (vtgv - xp.matrix_transpose(vtgv))
    grad = xp.matmul(xp.matmul(u, inner, False, False), v, False, True)
    if gu is not None and m > k:  # the part of gu outside u's span
        grad = grad + xp.matmul((gu - xp.matmul(u, utgu, False, False)) / row, v, False, True)
    if gv is not None and n > k:
        grad = grad + xp.matmul(u, (gv - xp.matmul(v, vtgv, False, False)) / row, False, True)
    return grad


SVD = _Decomposition("Svd", _svd_kernel,
                     lambda xp, g, ans, a, full: _svd_grad(xp, a, False, gs=g),
                     lambda xp, g, ans, a, full: _svd_grad(xp, a, full, gu=g),
                     lambda xp, g, ans, a, full: _svd_grad(xp, a, full, gv=g))


def svd(tensor: Any, full_matrices: bool = False, compute_uv: bool = True,
        name: str | None = None) -> Any:
    """The singular value decomposition tensor = u @ diag(s) @ vᵀ, returned as (s, u, v) in
    TensorFlow's order (s alone when not ``compute_uv``), singular values descending.
    Gradients need distinct nonzero singular values.

    >>> import tapegrad as tf
    >>> s, u, v = tf.linalg.svd([[3.0, 0.0], [0.0, -2.0]])
    >>> s.numpy().tolist()
    [3.0, 2.0]
    """
    x = tensor_of(tensor)
    _check_matrices(x, "Svd")
    if not compute_uv:
        return SVD(x, (False,))[0]
    s, u, v = SVD(x, (bool(full_matrices),))
    return s, u, v


def _eigh_grad(xp: Any, a: Any, ge: Any = None, gv: Any = None) -> Any:
    e, v = EIGH(a, ())
    inner: Any = 0 if ge is None else _diag_matrix(xp, ge)
    if gv is not None:
        inner = inner + _reciprocal_gaps(xp, e) * xp.matmul(v, gv, True, False)
    grad = xp.matmul(xp.matmul(v, inner, False, False), v, False, True)
    n = xp.shape(e)[-1]
    dtype = xp.dtype(e)
    lower = np.tril(np.ones((n, n), dtype)) - np.eye(n, dtype=dtype) / 2  # the triangle read
    return (grad + xp.matrix_transpose(grad)) * lower


def _eigh(a: Any) -> tuple[Any, Any]:
    try:
        if not np.isfinite(np.tril(a)).all():  # LAPACK may or may not converge: never does in TF
            raise np.linalg.LinAlgError
        return tuple(np.linalg.eigh(a))
    except np.linalg.LinAlgError:
        raise invalid_argument("Self-adjoint eigen decomposition was not successful. The input "
                               "might not be valid. [Op:SelfAdjointEigV2] name: ") from None


EIGH = _Decomposition("SelfAdjointEigV2", _eigh,
                      lambda xp, g, ans, a: _eigh_grad(xp, a, ge=g),
                      lambda xp, g, ans, a: _eigh_grad(xp, a, gv=g))


def eigh(tensor: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(e, v): the eigenvalues (ascending) and eigenvectors (columns) of each self-adjoint
    matrix, reading its lower triangle. Eigenvector gradients need distinct eigenvalues.

    >>> import tapegrad as tf
    >>> e, v = tf.linalg.eigh([[2.0, 1.0], [1.0, 2.0]])
    >>> e.numpy().tolist()
    [1.0, 3.0]
    """
    x = tensor_of(tensor)
    _check_matrices(x, "SelfAdjointEigV2", square=True)
    e, v = EIGH(x, ())
    return e, v


def eigvalsh(tensor: Any, name: str | None = None) -> Tensor:
    """The eigenvalues (ascending) of each self-adjoint matrix.

    >>> import tapegrad as tf
    >>> tf.linalg.eigvalsh([[2.0, 0.0], [0.0, 1.0]]).numpy().tolist()
    [1.0, 2.0]
    """
    return eigh(tensor)[0]


def _slogdet_rule(xp: Any, g: Any, ans: Any, a: Any) -> Any:
    return xp.reshape(g, xp.shape(g) + (1, 1)) * xp.matrix_transpose(xp.inv(a))


SLOGDET = _Decomposition(
    "LogMatrixDeterminant", lambda a: tuple(np.linalg.slogdet(a)),
    # the sign is flat: connected zeros (of every order), as TensorFlow's gradient gives
    lambda xp, g, ans, a: _slogdet_rule(xp, g * 0, ans, a), _slogdet_rule)


def slogdet(input: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(sign, log_abs_determinant) of each square matrix: the determinant without overflow.

    >>> import tapegrad as tf
    >>> sign, logabs = tf.linalg.slogdet([[0.0, 2.0], [1.0, 0.0]])
    >>> float(sign), round(float(logabs), 4)
    (-1.0, 0.6931)
    """
    x = tensor_of(input)
    _check_matrices(x, "LogMatrixDeterminant", square=True)
    sign, logabs = SLOGDET(x, ())
    return sign, logabs


# ----- built from the above -----

def lstsq(matrix: Any, rhs: Any, l2_regularizer: Any = 0.0, fast: bool = True,
          name: str | None = None) -> Tensor:
    """The least-squares solution X of matrix @ X ≈ rhs, minimizing
    ||matrix @ X - rhs||² + l2_regularizer ||X||², for each matrix in a batch.

    ``fast`` solves the normal equations by Cholesky (differentiable); otherwise an SVD-based
    pseudo-inverse, which has no gradient, as in TensorFlow.

    >>> import tapegrad as tf
    >>> tf.linalg.lstsq([[1.0], [1.0]], [[1.0], [3.0]]).numpy().tolist()
    [[2.0]]
    """
    a, b = operands(MATMUL, matrix, rhs)
    _check_matrices(a, "MatrixSolveLs")
    sa, sb = np.shape(a._value), np.shape(b._value)
    if len(sb) < 2 or sb[-2] != sa[-2]:
        raise invalid_argument(f"Input matrix and right-hand side must have the same number of "
                               f"rows: {list(sa)} vs. {list(sb)} [Op:MatrixSolveLs] name: ")
    reg = convert_to_tensor(l2_regularizer, dtype=a.dtype)
    m, n = sa[-2:]
    if not fast:
        return tape.apply(LSTSQ, (a, b, reg))
    if m >= n:
        gram = matmul(a, a, transpose_a=True) + reg * np.eye(n, dtype=a._value.dtype)
        return cholesky_solve(cholesky(gram), matmul(a, b, transpose_a=True))
    gram = matmul(a, a, transpose_b=True) + reg * np.eye(m, dtype=a._value.dtype)
    return matmul(a, cholesky_solve(cholesky(gram), b), transpose_a=True)


def _lstsq_by_pinv(a: Any, b: Any, reg: Any) -> Any:
    n = a.shape[-1]
    if reg != 0:  # the regularized problem is plain least squares on a stacked system
        a = np.concatenate([a, np.broadcast_to(np.sqrt(reg) * np.eye(n, dtype=a.dtype),
                                               a.shape[:-2] + (n, n))], -2)
        b = np.concatenate([b, np.zeros(b.shape[:-2] + (n, b.shape[-1]), b.dtype)], -2)
    try:
        return np.matmul(np.linalg.pinv(a), b)
    except np.linalg.LinAlgError:  # no convergence: NaN or inf entries
        return np.full(a.shape[:-2] + (a.shape[-1], b.shape[-1]), np.nan, a.dtype)


def _no_gradient_unless_fast(*args: Any) -> Any:
    raise ValueError("Gradient not defined for fast=False")


LSTSQ = Primitive("MatrixSolveLs", _lstsq_by_pinv, _no_gradient_unless_fast,
                  _no_gradient_unless_fast, None)


def pinv(a: Any, rcond: Any = None, validate_args: bool = False,
         name: str | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix, through its SVD: singular values at or
    below rcond * max(s) count as zero (rcond defaults to 10 * max(rows, cols) * eps).

    >>> import tapegrad as tf
    >>> tf.linalg.pinv([[2.0, 0.0], [0.0, 0.0]]).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.0]]
    """
    x = tensor_of(a)
    _check_matrices(x, "Pinv")
    dtype = x._value.dtype
    if rcond is None:
        rcond = 10 * max(np.shape(x._value)[-2:]) * np.finfo(dtype).eps
    s, u, v = svd(x)
    cutoff = convert_to_tensor(rcond, dtype=x.dtype) * reduce_max(s, -1, keepdims=True)
    inverse = 1 / where(s > cutoff, s, np.inf)
    return matmul(v * expand_dims(inverse, -2), u, transpose_b=True)


def normalize(tensor: Any, ord: Any = "euclidean", axis: Any = None,
              name: str | None = None) -> tuple[Tensor, Tensor]:
    """(tensor / norm, norm), the norm kept with the reduced axes (see ``norm``).

    >>> import tapegrad as tf
    >>> unit, length = tf.linalg.normalize([3.0, 4.0])
    >>> unit.numpy().tolist(), length.numpy().tolist()
    ([0.6000000238418579, 0.800000011920929], [5.0])
    """
    x = tensor_of(tensor)
    length = norm(x, ord=ord, axis=axis, keepdims=True)
    return x / length, length


CROSS = Primitive("Cross", lambda a, b: np.cross(a, b),
                  lambda xp, g, ans, a, b: _rule_op(CROSS, (b, g)),
                  lambda xp, g, ans, a, b: _rule_op(CROSS, (g, a)))


def cross(a: Any, b: Any, name: str | None = None) -> Tensor:
    """The cross product of 3-vectors in the last axis of two tensors of one shape.

    >>> import tapegrad as tf
    >>> tf.linalg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).numpy().tolist()
    [0.0, 0.0, 1.0]
    """
    x, y = operands(CROSS, a, b)
    check_kind(CROSS, x, "fiu")
    sx, sy = np.shape(x._value), np.shape(y._value)
    if sx != sy:
        raise invalid_argument(f"Both inputs must be of same shape: {_dims(sx)} vs. {_dims(sy)} "
                               "[Op:Cross] name: ")
    if not sx or sx[-1] != 3:
        raise invalid_argument("Cross-products are only defined for 3-element vectors. "
                               "[Op:Cross] name: ")
    return tape.apply(CROSS, (x, y))


# Padé [7/7] coefficients and the 1-norm up to which they are accurate in float64 (Higham 2005)
_PADE7 = (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0)
_THETA7 = 0.95


def expm(input: Any, name: str | None = None) -> Tensor:
    """The matrix exponential of each square matrix: scaling and squaring around a [7/7] Padé
    approximant, built from matmul and solve, so it is differentiable to any order.

    >>> import tapegrad as tf
    >>> tf.linalg.expm([[0.0, 1.0], [0.0, 0.0]]).numpy().tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    x = tensor_of(input)
    _check_matrices(x, "MatrixExponential", square=True)
    value = x._value
    n = value.shape[-1]
    norm1 = float(np.max(np.sum(np.abs(value), axis=-2))) if value.size else 0.0
    squarings = int(np.ceil(np.log2(norm1 / _THETA7))) if np.isfinite(norm1) and \
        norm1 > _THETA7 else 0
    a = x * (0.5 ** squarings) if squarings else x
    b = _PADE7
    eye = np.eye(n, dtype=value.dtype)
    a2 = matmul(a, a)
    a4 = matmul(a2, a2)
    a6 = matmul(a4, a2)
    odd = matmul(a, b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    even = b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    out = solve(even - odd, even + odd)
    for _ in range(squarings):
        out = matmul(out, out)
    return out
