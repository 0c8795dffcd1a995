"""``tf.data``: input pipelines over in-memory data (``Dataset``) and its constants.

>>> import tapegrad as tf
>>> ds = tf.data.Dataset.range(10).shuffle(10, seed=1).batch(4, drop_remainder=True)
>>> len(ds), ds.element_spec
(2, TensorSpec(shape=(4,), dtype=tapegrad.int64, name=None))
"""

from __future__ import annotations

from . import experimental
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset

__all__ = ["Dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "experimental"]
