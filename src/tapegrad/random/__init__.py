"""``tapegrad.random``: TensorFlow's ``tf.random`` names.

>>> import tapegrad as tf
>>> tf.random.set_seed(0)
>>> tf.random.uniform((2,)).shape
TensorShape([2])
"""

from ..ops.random import (
    Algorithm,
    Generator,
    categorical,
    create_rng_state,
    fold_in,
    gamma,
    get_global_generator,
    normal,
    poisson,
    set_global_generator,
    set_seed,
    shuffle,
    split,
    stateless_binomial,
    stateless_categorical,
    stateless_gamma,
    stateless_normal,
    stateless_poisson,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_normal,
    uniform,
)
from . import experimental

__all__ = ["Algorithm", "Generator", "categorical", "create_rng_state", "experimental", "fold_in",
           "gamma", "get_global_generator", "normal", "poisson", "set_global_generator",
           "set_seed", "shuffle", "split", "stateless_binomial", "stateless_categorical",
           "stateless_gamma", "stateless_normal", "stateless_poisson",
           "stateless_truncated_normal", "stateless_uniform", "truncated_normal", "uniform"]
