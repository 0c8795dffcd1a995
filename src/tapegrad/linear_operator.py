"""``tf.linalg.LinearOperatorFullMatrix`` and ``LinearOperatorDiag``: a (batch of) matrices
behind matmul, solve and determinant, computed the cheap way for a diagonal.

Operators hold the tensors they are given (variables too), so gradients reach them.

>>> import tapegrad as tf
>>> op = tf.linalg.LinearOperatorDiag([1.0, 2.0])
>>> op.matvec([3.0, 3.0]).numpy().tolist(), float(op.log_abs_determinant())
([3.0, 6.0], 0.6931471824645996)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import DType
from .ops import linalg
from .ops.array import expand_dims
from .ops.math import abs, log
from .ops.reduce import reduce_prod, reduce_sum
from .tensor import Tensor, TensorShape, convert_to_tensor


class LinearOperator:
    """What the operators share: shapes, flags, and everything derived from ``to_dense``."""

    def __init__(self, value: Any, name: str, is_non_singular: bool | None,
                 is_self_adjoint: bool | None, is_positive_definite: bool | None,
                 is_square: bool | None) -> None:
        self._value = value if isinstance(value, Tensor) else convert_to_tensor(value)
        self._name = name
        self.is_non_singular = is_non_singular
        self.is_self_adjoint = is_self_adjoint
        self.is_positive_definite = is_positive_definite
        self.is_square = is_square

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> DType:
        return self._value.dtype

    @property
    def shape(self) -> TensorShape:
        raise NotImplementedError

    @property
    def batch_shape(self) -> TensorShape:
        return TensorShape(tuple(self.shape)[:-2])

    @property
    def tensor_rank(self) -> int:
        return len(self.shape)

    @property
    def domain_dimension(self) -> int:
        return self.shape[-1]

    @property
    def range_dimension(self) -> int:
        return self.shape[-2]

    def to_dense(self, name: str = "to_dense") -> Tensor:
        raise NotImplementedError

    def _operand(self, x: Any, rows: int, what: str) -> Tensor:
        x = x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=self.dtype)
        shape = np.shape(x._value)
        if len(shape) < 1 or shape[-1 if what == "vector" else -2] != rows:
            raise ValueError(f"Dimensions {rows} and "
                             f"{shape[-1 if what == 'vector' else -2] if shape else 0} are not "
                             "compatible")
        return x

    def matmul(self, x: Any, adjoint: bool = False, adjoint_arg: bool = False,
               name: str = "matmul") -> Tensor:
        """This operator (or its adjoint) times the matrix ``x`` (or its adjoint)."""
        x = x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=self.dtype)
        x = linalg.adjoint(x) if adjoint_arg else x
        cols = self.range_dimension if adjoint else self.domain_dimension
        self._operand(x, cols, "matrix")
        return self._matmul(x, adjoint)

    def _matmul(self, x: Tensor, adjoint: bool) -> Tensor:
        return linalg.matmul(self.to_dense(), x, adjoint_a=adjoint)

    def matvec(self, x: Any, adjoint: bool = False, name: str = "matvec") -> Tensor:
        """This operator (or its adjoint) times the vector ``x``."""
        x = self._operand(x, self.range_dimension if adjoint else self.domain_dimension,
                          "vector")
        return self._matmul(expand_dims(x, -1), adjoint)[..., 0]

    def __matmul__(self, x: Any) -> Tensor:
        return self.matmul(x)

    def solve(self, rhs: Any, adjoint: bool = False, adjoint_arg: bool = False,
              name: str = "solve") -> Tensor:
        """X with (this operator or its adjoint) @ X = rhs (or its adjoint)."""
        rhs = rhs if isinstance(rhs, Tensor) else convert_to_tensor(rhs, dtype=self.dtype)
        rhs = linalg.adjoint(rhs) if adjoint_arg else rhs
        self._operand(rhs, self.range_dimension, "matrix")
        return self._solve(rhs, adjoint)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return linalg.solve(self.to_dense(), rhs, adjoint=adjoint)

    def solvevec(self, rhs: Any, adjoint: bool = False, name: str = "solve") -> Tensor:
        """x with (this operator or its adjoint) @ x = the vector ``rhs``."""
        rhs = self._operand(rhs, self.range_dimension, "vector")
        return self._solve(expand_dims(rhs, -1), adjoint)[..., 0]

    def determinant(self, name: str = "det") -> Tensor:
        return linalg.det(self.to_dense())

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return linalg.slogdet(self.to_dense())[1]

    def diag_part(self, name: str = "diag_part") -> Tensor:
        return linalg.diag_part(self.to_dense())

    def trace(self, name: str = "trace") -> Tensor:
        return reduce_sum(self.diag_part(), -1)

    def add_to_tensor(self, x: Any, name: str = "add_to_tensor") -> Tensor:
        """The dense matrix plus ``x``."""
        return self.to_dense() + x

    def adjoint(self, name: str = "adjoint") -> LinearOperator:
        raise NotImplementedError

    @property
    def H(self) -> LinearOperator:
        return self.adjoint()

    def __repr__(self) -> str:
        return f"<tapegrad.linalg.{type(self).__name__} '{self.name}' shape={self.shape} " \
               f"dtype={self.dtype.name}>"


class LinearOperatorFullMatrix(LinearOperator):
    """A linear operator given by its (batch of) matrices.

    >>> import tapegrad as tf
    >>> op = tf.linalg.LinearOperatorFullMatrix([[1.0, 2.0], [3.0, 4.0]])
    >>> op.matvec([1.0, 1.0]).numpy().tolist(), float(op.determinant())
    ([3.0, 7.0], -2.0)
    """

    def __init__(self, matrix: Any, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str = "LinearOperatorFullMatrix") -> None:
        super().__init__(matrix, name, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square)
        shape = np.shape(self._value._value)
        if len(shape) < 2:
            raise ValueError(f"Argument `matrix` must have at least 2 dimensions. Received: "
                             f"{self._value!r}.")
        if self.is_square is None:
            self.is_square = shape[-1] == shape[-2]

    @property
    def matrix(self) -> Tensor:
        return self._value

    @property
    def shape(self) -> TensorShape:
        return TensorShape(np.shape(self._value._value))

    def to_dense(self, name: str = "to_dense") -> Tensor:
        return self._value

    def adjoint(self, name: str = "adjoint") -> LinearOperator:
        """The adjoint operator (a full matrix here; TensorFlow wraps it instead)."""
        return LinearOperatorFullMatrix(linalg.adjoint(self._value), self.is_non_singular,
                                        self.is_self_adjoint, self.is_positive_definite,
                                        self.is_square, name=self.name + "_adjoint")


class LinearOperatorDiag(LinearOperator):
    """A diagonal (batch of) square matrices given by their diagonals: products, solves and
    determinants cost O(n) per matrix.

    >>> import tapegrad as tf
    >>> op = tf.linalg.LinearOperatorDiag([2.0, 4.0])
    >>> op.solvevec([1.0, 1.0]).numpy().tolist(), float(op.determinant())
    ([0.5, 0.25], 8.0)
    """

    def __init__(self, diag: Any, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = True, name: str = "LinearOperatorDiag") -> None:
        super().__init__(diag, name, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square)
        if np.ndim(self._value._value) < 1:
            raise ValueError(f"Argument `diag` must have at least 1 dimension. Received: "
                             f"{self._value!r}.")
        if not is_square and is_square is not None:
            raise ValueError("A diagonal operator is always square.")
        if self.is_self_adjoint is None and self._value._value.dtype.kind != "c":
            self.is_self_adjoint = True

    @property
    def diag(self) -> Tensor:
        return self._value

    @property
    def shape(self) -> TensorShape:
        shape = np.shape(self._value._value)
        return TensorShape(shape + shape[-1:])

    def to_dense(self, name: str = "to_dense") -> Tensor:
        return linalg.diag(self._value)

    def _matmul(self, x: Tensor, adjoint: bool) -> Tensor:
        return expand_dims(self._value, -1) * x

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return rhs / expand_dims(self._value, -1)

    def determinant(self, name: str = "det") -> Tensor:
        return reduce_prod(self._value, -1)

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return reduce_sum(log(abs(self._value)), -1)

    def diag_part(self, name: str = "diag_part") -> Tensor:
        return self._value

    def adjoint(self, name: str = "adjoint") -> LinearOperator:
        return self


__all__ = ["LinearOperator", "LinearOperatorDiag", "LinearOperatorFullMatrix"]
