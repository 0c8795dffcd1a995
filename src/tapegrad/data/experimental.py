"""``tf.data.experimental``: the names TensorFlow kept there.

>>> import tapegrad as tf
>>> tf.data.experimental.cardinality(tf.data.Dataset.range(3).repeat()).numpy()
np.int64(-1)
"""

from __future__ import annotations

from ..tensor import Tensor
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def cardinality(dataset: Dataset) -> Tensor:
    """``dataset.cardinality()``."""
    return dataset.cardinality()


__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]
