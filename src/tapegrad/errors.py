"""TensorFlow's error classes (`tapegrad.errors`).

>>> import tapegrad as tf
>>> try:
...     tf.constant(1) + tf.constant(1.0)
... except tf.errors.InvalidArgumentError as e:
...     print(type(e).__name__)
InvalidArgumentError
"""

from __future__ import annotations


class OpError(Exception):
    """An operation failed; ``message`` says why. The base of TensorFlow's op errors."""

    def __init__(self, node_def: object, op: object, message: str, *args: object) -> None:
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message


class InvalidArgumentError(OpError):
    """An op received an argument it cannot use: wrong dtype, incompatible shapes, ..."""


class NotFoundError(OpError):
    """A file or other named thing does not exist: a checkpoint path, for one."""


class OutOfRangeError(OpError):
    """An iterator ran past its end: ``next`` on a finished ``tf.data`` iterator inside a
    traced function."""


def invalid_argument(message: str) -> InvalidArgumentError:
    """The InvalidArgumentError TensorFlow raises from an eager op, with the same text."""
    return InvalidArgumentError(None, None, message)


__all__ = ["OpError", "InvalidArgumentError", "NotFoundError", "OutOfRangeError"]
