"""``tapegrad.random.experimental``: the names TensorFlow keeps in ``tf.random.experimental``.

>>> import tapegrad as tf
>>> tf.random.experimental.stateless_split([1, 2], num=2).shape
TensorShape([2, 2])
"""

from ..ops.random import (
    Algorithm,
    Generator,
    create_rng_state,
    get_global_generator,
    set_global_generator,
    stateless_shuffle,
)
from ..ops.random import fold_in as stateless_fold_in
from ..ops.random import split as stateless_split

__all__ = ["Algorithm", "Generator", "create_rng_state", "get_global_generator",
           "set_global_generator", "stateless_fold_in", "stateless_shuffle", "stateless_split"]
