"""tapegrad: automatic differentiation the GradientTape way, on NumPy, without TensorFlow.

A TensorFlow autodiff program runs unchanged after ``import tapegrad as tf``:

>>> import tapegrad as tf
>>> x = tf.Variable(3.0)
>>> with tf.GradientTape() as tape:
...     y = x ** 3
>>> tape.gradient(y, x)
<tapegrad.Tensor: shape=(), dtype=float32, numpy=27.0>
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
from typing import Any

from . import config, debugging, errors, linalg, math, nest, nn, random
from .dtypes import (
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from .function import Function, TensorSpec, function
from .ops.array import (
    argsort,
    boolean_mask,
    broadcast_to,
    concat,
    expand_dims,
    eye,
    fill,
    gather,
    linspace,
    newaxis,
    one_hot,
    ones,
    ones_like,
    pad,
    range,
    rank,
    reshape,
    reverse,
    shape,
    size,
    sort,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    unstack,
    zeros,
    zeros_like,
)
from .ops.indexing import (
    gather_nd,
    meshgrid,
    repeat,
    reverse_sequence,
    roll,
    scatter_nd,
    searchsorted,
    sequence_mask,
    slice,
    strided_slice,
    tensor_scatter_nd_add,
    tensor_scatter_nd_max,
    tensor_scatter_nd_min,
    tensor_scatter_nd_sub,
    tensor_scatter_nd_update,
    unique,
    unique_with_counts,
)
from .ops.linalg import clip_by_global_norm, clip_by_norm, einsum, matmul, norm, tensordot
from .ops.math import (
    abs,
    acos,
    add,
    asin,
    atan,
    atan2,
    cast,
    clip_by_value,
    cos,
    cosh,
    divide,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    stop_gradient,
    subtract,
    tan,
    tanh,
    truediv,
    where,
)
from .ops.reduce import (
    argmax,
    argmin,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from .ops.special import acosh, add_n, asinh, atanh
from .tape import GradientTape, UnconnectedGradients, custom_gradient
from .tensor import Tensor, TensorShape, Variable, constant, convert_to_tensor, is_tensor

__version__ = "0.1.0"


def executing_eagerly() -> bool:
    """Always True: tapegrad runs every op as it is called."""
    return True


def print(*inputs: Any, output_stream: Any = None, sep: str = " ", end: str = "\n",
          summarize: int = 3) -> None:
    """Print tensors as their values (``tf.print``): to stderr unless ``output_stream`` says.

    >>> import sys, tapegrad as tf
    >>> tf.print("x =", tf.constant([1, 2]), output_stream=sys.stdout)
    x = [1 2]
    """
    import numpy as np
    stream = _sys.stderr if output_stream is None else output_stream
    texts = [np.array2string(np.asarray(x._value), separator=" ", threshold=2 * summarize + 1,
                             edgeitems=summarize) if isinstance(x, Tensor) else str(x)
             for x in inputs]
    stream.write(sep.join(texts) + end)


__all__ = [
    # tensors, variables, dtypes
    "Tensor", "TensorShape", "Variable", "constant", "convert_to_tensor", "is_tensor", "cast",
    "identity", "DType", "as_dtype", "bool", "complex64", "complex128", "double", "float16",
    "float32", "float64", "half", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64",
    # gradients and the trace compiler
    "function", "Function", "TensorSpec", "GradientTape", "UnconnectedGradients",
    "custom_gradient", "stop_gradient",
    # math
    "abs", "acos", "add", "asin", "atan", "atan2", "clip_by_value", "cos", "cosh", "divide",
    "equal", "exp", "floor", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_not", "logical_or", "maximum", "minimum", "multiply", "negative", "not_equal", "pow",
    "round", "sigmoid", "sign", "sin", "sinh", "sqrt", "square", "subtract", "tan", "tanh",
    "truediv", "where",
    # reductions
    "argmax", "argmin", "cumsum", "reduce_all", "reduce_any", "reduce_logsumexp", "reduce_max",
    "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum",
    # arrays
    "argsort", "boolean_mask", "broadcast_to", "concat", "expand_dims", "eye", "fill", "gather",
    "linspace", "newaxis", "one_hot", "ones", "ones_like", "pad", "range", "rank", "reshape",
    "reverse", "shape", "size", "sort", "split", "squeeze", "stack", "tile", "transpose",
    "unstack", "zeros", "zeros_like",
    "gather_nd", "meshgrid", "repeat", "reverse_sequence", "roll", "scatter_nd", "searchsorted",
    "sequence_mask", "slice", "strided_slice", "tensor_scatter_nd_add", "tensor_scatter_nd_max",
    "tensor_scatter_nd_min", "tensor_scatter_nd_sub", "tensor_scatter_nd_update", "unique",
    "unique_with_counts", "acosh", "add_n", "asinh", "atanh",
    # linear algebra and clipping
    "clip_by_global_norm", "clip_by_norm", "einsum", "matmul", "norm", "tensordot",
    # the workbench (not in TensorFlow)
    "minimize",
    # namespaces and helpers
    "config", "debugging", "errors", "keras", "linalg", "math", "nest", "nn", "optimizers",
    "random", "executing_eagerly", "print",
]

# Loaded on first use, so that `import tapegrad` stays cheap: name -> (module, attribute or None).
_LAZY = {"optimizers": (".optimizers", None), "keras": (".keras", None),
         "test": (".test", None),
         "minimize": (".solvers", "minimize")}  # minimize: the workbench's driver, not a TF name


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tapegrad' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = _importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
