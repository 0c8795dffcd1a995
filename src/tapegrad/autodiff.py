"""``tapegrad.autodiff``: TensorFlow's ``tf.autodiff`` names (forward and reverse mode).

>>> import tapegrad as tf
>>> tf.autodiff.GradientTape is tf.GradientTape
True
"""

from .forward import ForwardAccumulator
from .tape import GradientTape

__all__ = ["ForwardAccumulator", "GradientTape"]
