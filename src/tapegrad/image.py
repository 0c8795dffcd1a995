"""``tapegrad.image``: the one ``tf.image`` op TensorFlow's gradient guide uses.

``adjust_contrast`` has no gradient in TensorFlow: a tape records it, and asking for a gradient
through it raises ``LookupError``, as the guide shows.

>>> import tapegrad as tf
>>> tf.image.adjust_contrast([[[1.0], [3.0]]], 2.0).numpy().tolist()
[[[0.0], [4.0]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tape
from .errors import invalid_argument
from .tape import Primitive
from .tensor import Tensor, convert_to_tensor


def _adjust_contrast(x: Any, factor: Any) -> Any:
    work = x if x.dtype.kind == "f" else x.astype(np.float32)
    mean = np.mean(work, axis=(-3, -2), keepdims=True, dtype=work.dtype)
    out = (work - mean) * factor.astype(work.dtype) + mean
    if x.dtype.kind == "f":
        return out
    info = np.iinfo(x.dtype)  # TensorFlow saturates back into the integer type, truncating
    return np.clip(out, info.min, info.max).astype(x.dtype)


def _no_gradient(*_: Any) -> Any:
    raise LookupError("gradient registry has no entry for: AdjustContrastv2")


# Recorded (it has rules), but each rule raises: TensorFlow registers no gradient for it.
ADJUST_CONTRAST = Primitive("AdjustContrastv2", _adjust_contrast, _no_gradient, _no_gradient)


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """``(x - mean) * contrast_factor + mean`` for each channel of each image, the mean taken
    over height and width (the last three axes are height, width, channels).

    >>> import tapegrad as tf
    >>> tf.image.adjust_contrast([[[0.5, 0.0, 0.0]]], 0.1).numpy().tolist()
    [[[0.5, 0.0, 0.0]]]
    """
    x = images if isinstance(images, Tensor) else convert_to_tensor(images)
    if x._value.ndim < 3:
        raise invalid_argument(f"input must be at least 3-D, got shape"
                               f"{list(np.shape(x._value))} [Op:AdjustContrastv2] name: ")
    factor = convert_to_tensor(contrast_factor, dtype_hint="float32")
    return tape.apply(ADJUST_CONTRAST, (x, factor))


__all__ = ["adjust_contrast"]
