"""``tapegrad.linalg``: TensorFlow's ``tf.linalg`` names.

>>> import tapegrad as tf
>>> float(tf.linalg.det(tf.eye(3)))
1.0
"""

from .linear_operator import LinearOperatorDiag, LinearOperatorFullMatrix
from .ops.array import eye
from .ops.linalg import (
                         adjoint,
                         band_part,
                         cholesky,
                         cholesky_solve,
                         cross,
                         det,
                         diag,
                         diag_part,
                         eigh,
                         eigvalsh,
                         einsum,
                         expm,
                         global_norm,
                         inv,
                         logdet,
                         lstsq,
                         matmul,
                         matrix_transpose,
                         matvec,
                         norm,
                         normalize,
                         pinv,
                         qr,
                         set_diag,
                         slogdet,
                         solve,
                         svd,
                         tensordot,
                         trace,
                         triangular_solve,
)
from .ops.nn import l2_normalize

__all__ = ["LinearOperatorDiag", "LinearOperatorFullMatrix", "adjoint", "band_part", "cholesky",
           "cholesky_solve", "cross", "det", "diag", "diag_part", "eigh", "eigvalsh", "einsum",
           "expm", "eye", "global_norm", "inv", "l2_normalize", "logdet", "lstsq", "matmul",
           "matrix_transpose", "matvec", "norm", "normalize", "pinv", "qr", "set_diag", "slogdet",
           "solve", "svd", "tensordot", "trace", "triangular_solve"]
