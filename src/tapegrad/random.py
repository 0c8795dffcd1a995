"""``tapegrad.random``: TensorFlow's ``tf.random`` names.

>>> import tapegrad as tf
>>> tf.random.set_seed(0)
>>> tf.random.uniform((2,)).shape
TensorShape([2])
"""

from .ops.random import normal, set_seed, shuffle, truncated_normal, uniform

__all__ = ["normal", "set_seed", "shuffle", "truncated_normal", "uniform"]
