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
from typing import Any

from . import config, debugging, errors, linalg, math, nest, nn, random
from .debugging import assert_equal, assert_greater, assert_less
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
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from .function import ConcreteFunction, Function, TensorSpec, function
from .ops.array import (
    argsort,
    boolean_mask,
    broadcast_to,
    concat,
    ensure_shape,
    expand_dims,
    eye,
    fill,
    gather,
    identity_n,
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
from .ops.control_flow import (
    case,
    cond,
    control_dependencies,
    foldl,
    foldr,
    get_static_value,
    group,
    map_fn,
    no_op,
    numpy_function,
    print,
    py_function,
    scan,
    switch_case,
    vectorized_map,
    while_loop,
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


__all__ = [
    # tensors, variables, dtypes
    "Tensor", "TensorShape", "Variable", "constant", "convert_to_tensor", "is_tensor", "cast",
    "identity", "DType", "as_dtype", "bool", "complex64", "complex128", "double", "float16",
    "float32", "float64", "half", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64",
    # gradients and the trace compiler
    "function", "Function", "TensorSpec", "GradientTape", "UnconnectedGradients",
    "custom_gradient", "stop_gradient", "ConcreteFunction",
    # control flow as functions
    "case", "cond", "foldl", "foldr", "map_fn", "scan", "switch_case", "vectorized_map",
    "while_loop", "py_function", "numpy_function", "no_op", "group", "control_dependencies",
    "get_static_value", "identity_n", "ensure_shape",
    # checks (also in tapegrad.debugging)
    "assert_equal", "assert_greater", "assert_less",
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
    "autodiff",
    # modules, scopes, checkpoints and input pipelines
    "Module", "name_scope", "init_scope", "train", "data", "string", "image",
]

# Loaded on first use, so that `import tapegrad` stays cheap: name -> (module, attribute or None).
_LAZY = {"optimizers": (".optimizers", None), "keras": (".keras", None),
         "test": (".test", None),
         "autodiff": (".autodiff", None),
         "minimize": (".solvers", "minimize"),  # minimize: the workbench's driver, not a TF name
         "Module": (".module", "Module"), "name_scope": (".module", "name_scope"),
         "init_scope": (".module", "init_scope"), "train": (".train", None),
         "data": (".data", None), "image": (".image", None)}


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
