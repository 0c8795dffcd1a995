"""The primitives, by family; each module defines its ops with their gradient rules.

``math`` (elementwise and the operators), ``reduce``, ``array`` (shapes, indexing, creation),
``linalg``, ``nn`` and ``random``; ``indexing`` (n-d gather and scatter, slices), ``special``
(special functions, the no-NaN family), ``segment`` (segment reductions, counting, top_k),
``conv`` (convolutions and pooling) and ``nn_more``; ``vocab`` is the array vocabulary the rules
are written in.
"""

from . import (
    array,
    control_flow,
    conv,
    indexing,
    linalg,
    math,
    nn,
    nn_more,
    random,
    reduce,
    segment,
    special,
    vocab,
)

__all__ = ["array", "control_flow", "conv", "indexing", "linalg", "math", "nn", "nn_more",
           "random", "reduce", "segment", "special", "vocab"]
