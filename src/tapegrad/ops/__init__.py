"""The primitives, by family; each module defines its ops with their gradient rules.

``math`` (elementwise and the operators), ``reduce``, ``array`` (shapes, indexing, creation),
``linalg``, ``nn`` and ``random``; ``vocab`` is the array vocabulary the rules are written in.
"""

from . import array, control_flow, linalg, math, nn, random, reduce, vocab

__all__ = ["array", "control_flow", "linalg", "math", "nn", "random", "reduce", "vocab"]
