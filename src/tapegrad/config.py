"""``tapegrad.config``: TensorFlow's switch between traced and eager functions.

>>> import tapegrad as tf
>>> tf.config.run_functions_eagerly(True)
>>> tf.config.functions_run_eagerly()
True
>>> tf.config.run_functions_eagerly(False)
"""

from __future__ import annotations

_run_eagerly = False


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Make every ``tapegrad.function`` run its Python function on each call (no tracing).

    For debugging, as in TensorFlow: prints and breakpoints inside the function then run every
    time. Results are the same either way.
    """
    global _run_eagerly
    _run_eagerly = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether ``run_functions_eagerly(True)`` is in force."""
    return _run_eagerly


__all__ = ["run_functions_eagerly", "functions_run_eagerly"]
