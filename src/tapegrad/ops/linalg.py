"""Linear algebra: matmul (batched, with transposes), tensordot, einsum, norms, inverses, solves.

>>> import tapegrad as tf
>>> a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
>>> tf.matmul(a, a, transpose_b=True).numpy().tolist()
[[5.0, 11.0], [11.0, 25.0]]
"""

from __future__ import annotations

import string
from typing import Any, Sequence

import numpy as np

from .. import tape
from ..errors import invalid_argument
from ..tape import Primitive
from ..tensor import Tensor, as_int, as_ints, convert_to_tensor
from .array import EachInput, expand_dims, reshape, squeeze, transpose
from .math import abs, cast, check_kind, maximum, operands, pow, sqrt, square
from .reduce import reduce_max, reduce_sum


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


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
    x = _tensor(a)
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
    a, b = _tensor(a), _tensor(b)
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
    tensors = [_tensor(x) for x in inputs]
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
    x = _tensor(tensor)
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
    x = _tensor(t)
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
    squares = [reduce_sum(square(_tensor(t))) for t in t_list if t is not None]
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
    total = global_norm(t_list) if use_norm is None else _tensor(use_norm)
    limit = convert_to_tensor(clip_norm, dtype=total.dtype)
    scale = limit / maximum(total, limit)
    return [None if t is None else _tensor(t) * cast(scale, _tensor(t).dtype)
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
    x = _tensor(input)
    _square_matrices(x, INV)
    out = tape.apply(INV, (x,))
    return matrix_transpose(out) if adjoint else out


def det(input: Any, name: str | None = None) -> Tensor:
    """The determinant of each square matrix in the last two axes.

    >>> import tapegrad as tf
    >>> float(tf.linalg.det([[2.0, 1.0], [1.0, 3.0]]))
    5.0
    """
    x = _tensor(input)
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

