"""``tapegrad.linalg``: TensorFlow's ``tf.linalg`` names.

>>> import tapegrad as tf
>>> float(tf.linalg.det(tf.eye(3)))
1.0
"""

from .ops.array import eye
from .ops.linalg import (
                         det,
                         einsum,
                         global_norm,
                         inv,
                         matmul,
                         matrix_transpose,
                         matvec,
                         norm,
                         solve,
                         tensordot,
)
from .ops.nn import l2_normalize

__all__ = ["det", "einsum", "eye", "global_norm", "inv", "l2_normalize", "matmul",
           "matrix_transpose", "matvec", "norm", "solve", "tensordot"]
