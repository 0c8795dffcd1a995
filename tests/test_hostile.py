"""Hostile input: the public API called with what it should refuse.

Wrong types, ragged lists, mismatched shapes, empty tensors, NaN, huge, negative and zero-size
dimensions, integer sources, non-tensor targets. The rule: a result, or one of the documented
exceptions (TypeError, ValueError, tapegrad.errors.InvalidArgumentError; RuntimeError for tape
misuse; MemoryError for a tensor larger than memory, where TensorFlow raises
ResourceExhaustedError) raised by tapegrad's own checks with a message, never an internal
AttributeError, IndexError, KeyError, ZeroDivisionError or OverflowError, never NumPy's error
escaping, and never a silently wrong result.
"""

from __future__ import annotations

import collections
import inspect
import linecache
import math
import traceback
import warnings
from typing import Any, Callable, Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tapegrad as tf
from tapegrad.errors import InvalidArgumentError

DOCUMENTED = (TypeError, ValueError, InvalidArgumentError)
INTERNAL = (IndexError, KeyError, AttributeError, ZeroDivisionError, OverflowError,
            np.exceptions.AxisError, AssertionError, NotImplementedError, FloatingPointError,
            RecursionError, UnboundLocalError, NameError)
TRIED: collections.Counter[str] = collections.Counter()  # calls tried, by outcome


@pytest.fixture(autouse=True, scope="module")
def report() -> Iterator[None]:
    yield
    print(f"\nhostile calls tried: {sum(TRIED.values())} ({dict(TRIED)})")


# Python's own protocols for a value used as a number or a truth value: float(), int() and
# `if x:` of an array or a string given for a scalar option (alpha, rate, transpose_a, ...).
PROTOCOL = ("only 0-dimensional arrays can be converted", "only length-1 arrays",
            "only integer scalar arrays can be converted to a scalar index",
            "cannot convert float NaN to integer",
            "can only convert an array of size 1", "could not convert string to float",
            "float() argument must be", "int() argument must be", "invalid literal for int()",
            "The truth value of an array with more than one element is ambiguous",
            "The truth value of an empty array is ambiguous")


def _documented(e: BaseException) -> None:
    """Fail unless ``e`` is a documented error that tapegrad raised on purpose, with a message."""
    where = traceback.extract_tb(e.__traceback__)[-1]
    if isinstance(e, MemoryError):  # NumPy's: "Unable to allocate 8 TiB ... shape (...)"
        assert "shape" in str(e), e
        return
    assert isinstance(e, DOCUMENTED) and not isinstance(e, INTERNAL), \
        f"{type(e).__name__} at {where.filename}:{where.lineno}: {e}"
    assert str(e).strip(), f"{type(e).__name__} without a message"
    if str(e).startswith(PROTOCOL):
        return
    assert "/tapegrad/" in where.filename and \
        linecache.getline(where.filename, where.lineno).strip().startswith("raise"), \
        f"not raised by tapegrad's checks ({where.filename}:{where.lineno}): {e!r}"


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(*args), or None after checking that what it raised was documented."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's notes on NaN and overflow; the watch warning
        try:
            result = fn(*args, **kwargs)
        except TypeError as e:
            if not any("/tapegrad/" in f.filename for f in traceback.extract_tb(e.__traceback__)):
                TRIED["did not bind"] += 1  # wrong number of arguments: Python's own check
                return None
            TRIED["raised"] += 1
            _documented(e)
            return None
        except Exception as e:
            TRIED["raised"] += 1
            _documented(e)
            return None
    TRIED["returned"] += 1
    _well_formed(result)
    return result


def _well_formed(result: Any) -> None:
    """Every tensor a call returns holds a NumPy value of a tapegrad dtype."""
    for t in tf.nest.flatten(result) if isinstance(result, (list, tuple, dict)) else [result]:
        if isinstance(t, tf.Tensor):
            assert isinstance(t._value, (np.ndarray, np.generic)), type(t._value)
            assert t._value.dtype in tf.dtypes.BY_NUMPY, t._value.dtype


# ----- what hostile arguments look like -----

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_,
          np.complex64]
SHAPES = st.lists(st.integers(0, 3), max_size=3).map(tuple)
ODD_FLOATS = [0.0, 1.0, -1.5, np.nan, np.inf, -np.inf, 1e30, -0.0]


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    shape, dtype = draw(SHAPES), draw(st.sampled_from(DTYPES))
    if np.dtype(dtype).kind in "fc":
        values = draw(st.lists(st.sampled_from(ODD_FLOATS), min_size=1, max_size=4))
        flat = np.resize(np.array(values), math.prod(shape))
    else:
        flat = np.arange(math.prod(shape)) % 3
    with np.errstate(all="ignore"):  # inf and NaN cast to integers: whatever NumPy makes
        return flat.reshape(shape).astype(dtype)


PYTHON_JUNK = [None, "abc", b"x", {}, {"a": 1}, set(), object(), len, 1 + 2j, [], [[]],
               [[1, 2], [3]], [1, "a"], [None], (1, 2.5), [[1.0], [2.0, 3.0]], 2**70, -2**40,
               True, Ellipsis, slice(1, 2), range(3)]
NUMBERS = [0, 1, -1, 2, 3, -4, 100, 2**40, 0.5, -0.0, float("nan"), float("inf")]
SHAPE_LIKE = [(2, 3), [3], (), (0,), (-1, 2), (2**40,), (2**40, 2**40), [2, -3], (1.5,),
              ("a",), [None, 2], (0, 2**40)]
WORDS = ["SAME", "REFLECT", "CONSTANT", "DESCENDING", "ij,jk->ik", "...", "ii", "zero"]

hostile = st.one_of(
    arrays().map(tf.constant), arrays().map(tf.constant), arrays(),
    arrays().map(tf.Variable), st.sampled_from(PYTHON_JUNK), st.sampled_from(NUMBERS),
    st.sampled_from(SHAPE_LIKE), st.sampled_from(WORDS),
    st.sampled_from([tf.float32, tf.int32, tf.bool, tf.float64, "float32", "nonsense"]),
    st.lists(arrays().map(tf.constant), max_size=3))


def _public(module: Any, skip: set[str]) -> list[tuple[str, Callable[..., Any], int, int]]:
    """(name, function, fewest and most positional arguments) of a module's public functions."""
    prefix = "tf." if module is tf else f"tf.{module.__name__.rsplit('.', 1)[1]}."
    found = []
    for name in module.__all__:
        fn = getattr(module, name)
        if not callable(fn) or isinstance(fn, type) or name in skip:
            continue
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
        required = sum(p.default is p.empty and p.kind != p.VAR_POSITIONAL for p in params)
        most = 4 if any(p.kind == p.VAR_POSITIONAL for p in params) else min(len(params), 4)
        found.append((prefix + name, fn, min(required, most), most))
    return found


# Global state is left alone: print writes, set_seed and enable_check_numerics change later runs.
STATEFUL = {"print", "set_seed", "enable_check_numerics", "disable_check_numerics"}
FUNCTIONS = list({id(entry[1]): entry for entry in (
    _public(tf, STATEFUL) + _public(tf.math, STATEFUL) + _public(tf.nn, STATEFUL)
    + _public(tf.linalg, STATEFUL) + _public(tf.random, STATEFUL)
    + _public(tf.debugging, STATEFUL))}.values())


def test_the_api_has_many_functions_to_attack() -> None:
    assert len(FUNCTIONS) > 130


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
@given(st.sampled_from(FUNCTIONS), st.data())
def test_public_functions_raise_only_documented_errors(function: tuple[Any, ...],
                                                       data: st.DataObject) -> None:
    name, fn, fewest, most = function
    args = data.draw(st.lists(hostile, min_size=fewest, max_size=most), label=name)
    _call(fn, *args)


BINARY = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
          "__rtruediv__", "__floordiv__", "__mod__", "__pow__", "__rpow__", "__matmul__", "__lt__",
          "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__and__", "__or__", "__getitem__"]
UNARY = {"-": lambda x: -x, "abs": abs, "~": lambda x: ~x, "len": len, "bool": bool,
         "iter": lambda x: list(x), "numpy": lambda x: x.numpy(), "asarray": np.asarray,
         "float": float, "int": int, "index": lambda x: [0, 1][x], "ref": lambda x: x.ref()}


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
@given(st.one_of(arrays().map(tf.constant), arrays().map(tf.Variable)),
       st.sampled_from(BINARY + sorted(UNARY)), hostile)
def test_tensor_operators_raise_only_documented_errors(x: tf.Tensor, operator: str,
                                                       other: Any) -> None:
    if operator in UNARY:
        try:
            UNARY[operator](x)
            TRIED["returned"] += 1
        except (OverflowError, IndexError) as e:  # int(inf), [0, 1][5]: Python's, and TF's
            assert operator in ("int", "index"), e
            TRIED["raised"] += 1
        except Exception as e:
            TRIED["raised"] += 1
            _documented(e)
        return
    _call(getattr(x, operator), other)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
@given(arrays().map(tf.Variable), hostile,
       st.sampled_from(["assign", "assign_add", "assign_sub"]))
def test_variable_assign_raises_only_documented_errors(v: tf.Variable, value: Any,
                                                       method: str) -> None:
    before = v.numpy()
    if _call(getattr(v, method), value) is None:  # a refused assign changes nothing
        np.testing.assert_array_equal(v.numpy(), before)


# ----- tape misuse -----

def _tape_case(target: str, sources: str, output_gradients: Any, unconnected: Any,
               how: str) -> Any:
    x = tf.constant([1.0, 2.0])
    v = tf.Variable([0.5, -1.0])
    i = tf.constant([1, 2])
    pool = {"float": lambda: x * v, "int": lambda: i * 2, "none": lambda: None,
            "number": lambda: 3.0, "array": lambda: np.ones(2), "list": lambda: [x * 2, v * v],
            "ragged": lambda: [x * 2, "a"], "dict": lambda: {"a": x * v}, "empty": lambda: [],
            "nested": lambda: [[x], {"k": (v,)}]}
    with tf.GradientTape(persistent=how == "persistent") as tape:
        tape.watch(x)
        tape.watch(i)  # an integer tensor: TF warns and gives None
        y = pool[target]()
    src = {"float": x, "int": i, "none": None, "number": 3.0, "array": np.ones(2),
           "list": [x, v, i], "ragged": [x, "a"], "dict": {"a": x, "b": v}, "empty": [],
           "nested": [[x], {"k": (v,)}]}[sources]
    if how == "jacobian":
        return tape.jacobian(y, src, unconnected_gradients=unconnected)
    if how == "batch_jacobian":
        return tape.batch_jacobian(y, src, unconnected_gradients=unconnected)
    grads = tape.gradient(y, src, output_gradients, unconnected)
    if how == "twice":
        tape.gradient(y, src)  # RuntimeError: a non-persistent tape answers once
    return grads


KINDS = ["float", "int", "none", "number", "array", "list", "ragged", "dict", "empty", "nested"]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
@given(st.sampled_from(KINDS), st.sampled_from(KINDS),
       st.sampled_from([None, [1.0, 0.0], tf.constant([1, 2]), tf.constant([2.0, 3.0]),
                        tf.ones(3), tf.constant([1.0, 2.0], tf.float64), "a", [None]]),
       st.sampled_from(["none", "zero", tf.UnconnectedGradients.ZERO, "foo", None]),
       st.sampled_from(["once", "twice", "persistent", "jacobian", "batch_jacobian"]))
def test_tape_misuse_raises_only_documented_errors(target: str, sources: str,
                                                   output_gradients: Any, unconnected: Any,
                                                   how: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _tape_case(target, sources, output_gradients, unconnected, how)
        TRIED["returned"] += 1
    except RuntimeError as e:
        TRIED["raised"] += 1
        assert how == "twice" and "non-persistent GradientTape" in str(e)
    except Exception as e:
        TRIED["raised"] += 1
        _documented(e)


def test_tape_misuse_messages() -> None:
    x = tf.constant(2.0)
    tape = tf.GradientTape()
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(x, x)  # never entered
    with pytest.raises(RuntimeError, match="recording"):
        tape.watch(x)
    with tape:
        with pytest.raises(ValueError, match="Tape is still recording"):
            tape.__enter__()
        with pytest.raises(ValueError, match="Passed in object 'a' of type 'str'"):
            tape.watch("a")
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match="Tape must be recording"):
        with tape.stop_recording():
            pass
    with pytest.raises(TypeError, match="received None"):
        tape.gradient(None, x)
    with pytest.raises(TypeError, match="received 3.0 of type float"):
        tape.gradient(3.0, x)
    with pytest.raises(TypeError, match="got 'a' of type str"):
        tape.gradient(y, [x, "a"])
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'foo'"):
        tape.gradient(y, x, unconnected_gradients="foo")
    assert float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)


def test_integer_sources_and_targets_get_none_as_in_tensorflow() -> None:
    i, x = tf.constant([1, 2]), tf.constant([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([i, x])
            y = tf.cast(i, tf.float32) * x
            k = i * 3
    assert tape.gradient(y, i) is None
    assert tape.gradient(k, x) is None
    zeros = tape.gradient(y, [i, x, tf.constant([True])], unconnected_gradients="zero")
    assert zeros[0].dtype == tf.int32 and zeros[0].numpy().tolist() == [0, 0]  # TF: zeros_like
    assert zeros[2].dtype == tf.bool and zeros[2].numpy().tolist() == [False]
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0])


def test_output_gradients_of_another_dtype_are_refused_as_in_tensorflow() -> None:
    x = tf.constant([1.0, 2.0])
    for wrong, name in [(tf.constant([1, 2]), "int32"), (tf.constant([1.0, 2.0], tf.float64),
                                                         "double")]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        with pytest.raises(InvalidArgumentError,
                           match=f"expected to be a {name} tensor but is a float tensor"):
            tape.gradient(y, x, output_gradients=wrong)


# ----- messages that name shapes and dtypes -----

@pytest.mark.parametrize("call, words", [
    (lambda: tf.add(tf.ones((2, 3)), tf.ones((4,))), ["[2, 3]", "[4]", "Incompatible shapes"]),
    (lambda: tf.multiply(tf.constant(1), tf.constant(1.0)), ["int32", "float"]),
    (lambda: tf.matmul(tf.ones((2, 3)), tf.ones((2, 3))), ["[2,3]", "Matrix size-incompatible"]),
    (lambda: tf.reshape(tf.ones((2, 3)), (4, 2)), ["6 values", "8"]),
    (lambda: tf.concat([tf.ones((2, 3)), tf.ones((2, 4))], 0), ["[2, 3]", "[2, 4]"]),
    (lambda: tf.stack([tf.ones((2,)), tf.ones((3,))]), ["[2]", "[3]"]),
    (lambda: tf.reduce_sum(tf.ones((2, 3)), axis=2), ["2 for input with 2 dimension"]),
    (lambda: tf.transpose(tf.ones((2, 3)), [0, 2]), ["[2, 3]", "[0, 2]"]),
    (lambda: tf.zeros((2, -3)), ["Dimension -3 must be >= 0"]),
    (lambda: tf.zeros((2**40, 2**40)), ["[1099511627776, 1099511627776]", "2**63 - 1"]),
    (lambda: tf.ones(tf.constant([2.0])), ["shape", "float32"]),
    (lambda: tf.reduce_sum(tf.ones(3), axis=0.5), ["axis", "0.5"]),
    (lambda: tf.one_hot([1], 2.5), ["depth", "2.5"]),
    (lambda: tf.gather(tf.ones((2, 3)), [0], axis=3), ["axis", "[-2, 2)", "3"]),
    (lambda: tf.argmax(tf.ones((0, 2))), ["Reduction axis 0 is empty in shape [0,2]"]),
    (lambda: tf.nn.softmax_cross_entropy_with_logits(tf.ones((2, 3)), tf.ones((2, 4))),
     ["[2, 4]", "[2, 3]"]),
    (lambda: tf.Variable(1.0).assign([1.0, 2.0]), ["()", "(2,)"]),
    (lambda: tf.constant([[1, 2], [3]]), ["non-rectangular"]),
])
def test_errors_name_the_shapes_and_dtypes(call: Callable[[], Any], words: list[str]) -> None:
    with pytest.raises(DOCUMENTED) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


# ----- integer arguments are checked, never truncated or wrapped around -----

@pytest.mark.parametrize("call", [
    lambda x: tf.reduce_sum(x, axis=0.5), lambda x: tf.reduce_mean(x, axis=tf.constant(1.0)),
    lambda x: tf.expand_dims(x, 0.5), lambda x: tf.concat([x, x], 0.9),
    lambda x: tf.transpose(x, [1.0, 0.0]), lambda x: tf.tile(x, [1.0, 2.0]),
    lambda x: tf.zeros((1.5,)), lambda x: tf.reshape(x, (1.5, 4)), lambda x: tf.eye(2.5),
    lambda x: tf.linspace(0.0, 1.0, 2.5), lambda x: tf.one_hot([1], 2.5),
    lambda x: tf.gather(x, [0], axis=0.5), lambda x: tf.cumsum(x, 0.5),
    lambda x: tf.argsort(x, 0.5), lambda x: tf.split(x, 2.5, axis=1), lambda x: x[0.5:],
    lambda x: tf.transpose(x, [2, 0]), lambda x: tf.reverse(x, [5]),
    lambda x: tf.gather(x, [0], axis=7), lambda x: tf.split(x, 3, axis=-7),
    lambda x: tf.norm(x, axis=4), lambda x: tf.tensordot(x, x, [[0], [3]]),
    lambda x: tf.sort(x, axis=2),
])
def test_integer_arguments_are_checked(call: Callable[[tf.Tensor], Any]) -> None:
    x = tf.reshape(tf.range(6.0), (2, 3))
    with pytest.raises((TypeError, InvalidArgumentError)) as info:
        call(x)
    _documented(info.value)


# ----- arguments of the wrong kind are refused by a check, not by a crash inside -----

@pytest.mark.parametrize("call, error, words", [
    (lambda: tf.einsum(("ij",), tf.ones((2, 2))), TypeError, "equation must be a string"),
    (lambda: tf.einsum("ii"), ValueError, "Got 0 inputs"),
    (lambda: tf.nn.bias_add(tf.ones((2, 3)), tf.ones(3), data_format=3), TypeError,
     "data_format"),
    (lambda: tf.stack([tf.ones(2), tf.ones(2), tf.ones(3)]), InvalidArgumentError,
     "values[2].shape = [3]"),
    (lambda: tf.pad(tf.ones((2,)), [[1, 1]], mode=3), ValueError, "mode"),
    (lambda: tf.linalg.global_norm(tf.ones(3)), TypeError, "sequence"),
    (lambda: tf.clip_by_global_norm(0, 1.0), TypeError, "sequence"),
    (lambda: tf.argsort(tf.ones(3), direction=np.array([1])), ValueError, "direction"),
    (lambda: tf.cast(1.0, tf.Variable(1.0)), TypeError, "DType"),
    (lambda: tf.constant(["a", "b"], dtype=tf.float32), TypeError, "Cannot convert"),
    (lambda: tf.range([1, 2]), InvalidArgumentError, "shape [2]"),
    (lambda: tf.range(0.0, float("inf")), InvalidArgumentError, "finite"),
    (lambda: tf.range(5, 1), InvalidArgumentError, "Requires start <= limit"),
    (lambda: tf.range(0.0, 1e30, 1e-30), InvalidArgumentError, "2**63 - 1"),
    (lambda: tf.one_hot([1], 3, on_value=[1.0, 2.0]), InvalidArgumentError,
     "on_value must be a scalar"),
    (lambda: tf.linspace(tf.ones(2), tf.ones(3), 4), InvalidArgumentError, "[2] vs. [3]"),
    (lambda: tf.clip_by_value(tf.ones((2, 3)), tf.zeros(4), 1.0), InvalidArgumentError,
     "[2, 3], [4]"),
    (lambda: tf.split(tf.ones(3), []), InvalidArgumentError, "num_split"),
    (lambda: tf.linalg.det(tf.eye(2, dtype=tf.float16)), InvalidArgumentError, "half"),
    (lambda: tf.math.softplus(tf.constant([1j])), InvalidArgumentError, "complex128"),
    (lambda: tf.pad(tf.ones(2), [[1, 2], [3]]), InvalidArgumentError, "2 columns"),
    (lambda: tf.minimize(tf.float64, tf.Variable(1.0)), TypeError, "fn() that returns"),
    (lambda: tf.minimize(lambda: tf.constant(1.0), tf.float32), TypeError, "list of Variables"),
    (lambda: tf.function(lambda x: x, input_signature=tf.float32), TypeError, "input_signature"),
    (lambda: tf.reverse(tf.ones((2, 2)), [0, -2]), InvalidArgumentError, "more than once"),
])
def test_bad_arguments_are_refused_by_a_check(call: Callable[[], Any], error: type,
                                              words: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
    _documented(info.value)


def test_half_matrices_invert_as_in_tensorflow() -> None:
    got = tf.linalg.inv(tf.constant([[2.0, 0.0], [0.0, 4.0]], tf.float16))
    assert got.dtype == tf.float16
    np.testing.assert_array_equal(got.numpy(), [[0.5, 0.0], [0.0, 0.25]])


def test_assign_add_and_sub_need_the_variables_shape_as_in_tensorflow() -> None:
    v = tf.Variable(tf.ones((3, 3)))
    for delta in [1.0, tf.ones((3,)), tf.ones((3, 2, 1))]:
        with pytest.raises(InvalidArgumentError, match=r"Cannot update variable with shape "
                           r"\[3,3\] using a Tensor with shape \[.*\], shapes must be equal"):
            v.assign_add(delta)
    with pytest.raises(InvalidArgumentError, match="AssignSubVariableOp"):
        tf.Variable(True).assign_sub(True)
    np.testing.assert_array_equal(v.assign_sub(tf.ones((3, 3))).numpy(), np.zeros((3, 3)))


# ----- empty and degenerate tensors give the right results -----

REDUCTIONS = {  # TensorFlow's values over nothing: sum 0, prod 1, mean NaN, max -inf, ...
    "reduce_sum": np.sum, "reduce_prod": np.prod, "reduce_mean": np.mean,
    "reduce_max": lambda x, axis, keepdims: np.max(x, axis, keepdims=keepdims, initial=-np.inf),
    "reduce_min": lambda x, axis, keepdims: np.min(x, axis, keepdims=keepdims, initial=np.inf),
    "reduce_logsumexp": lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis,
                                                                keepdims=keepdims)),
}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3), st.data(),
       st.sampled_from(sorted(REDUCTIONS)), st.booleans(),
       st.sampled_from([np.float32, np.float64]))
def test_reductions_of_empty_and_small_tensors(shape: list[int], data: st.DataObject, op: str,
                                               keepdims: bool, dtype: type) -> None:
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                               st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim,
                                        max_size=ndim)))
    values = np.random.default_rng(0).normal(size=shape).astype(dtype)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's mean of nothing
        want = np.asarray(REDUCTIONS[op](values.astype(np.float64), np_axis, keepdims=keepdims))
        x = tf.constant(values)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = getattr(tf, op)(x, axis, keepdims)
        grad = tape.gradient(y, x)
    assert y.dtype == x.dtype and y.shape == want.shape
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, equal_nan=True)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    if op == "reduce_sum":
        np.testing.assert_array_equal(grad.numpy(), np.ones(shape))


def _jacobian_of_nothing() -> tf.Tensor:
    x = tf.Variable(tf.zeros((0,)))
    with tf.GradientTape() as tape:
        y = tf.reshape(x * 2.0, (0, 2))
    return tape.jacobian(y, x)


@pytest.mark.parametrize("call, want", [
    (lambda: tf.nn.softmax(tf.zeros((2, 0))), np.zeros((2, 0))),
    (lambda: tf.nn.log_softmax(tf.zeros((0, 3))), np.zeros((0, 3))),
    (lambda: tf.sort(tf.zeros((3, 0))), np.zeros((3, 0))),
    (lambda: tf.sort(tf.zeros((0,))), np.zeros((0,))),
    (lambda: tf.random.shuffle(tf.constant(1.0)), np.float32(1.0)),
    (lambda: tf.reverse(tf.constant(1.0), [0]), np.float32(1.0)),
    (lambda: tf.matmul(tf.zeros((2, 0)), tf.zeros((0, 3))), np.zeros((2, 3))),
    (lambda: tf.concat([tf.zeros((0, 2)), tf.ones((1, 2))], 0), np.ones((1, 2))),
    (lambda: tf.gather(tf.ones((3, 2)), tf.zeros((0,), tf.int32)), np.zeros((0, 2))),
    (lambda: tf.reshape(tf.zeros((0, 4)), (-1, 2)), np.zeros((0, 2))),
    (lambda: tf.linalg.det(tf.zeros((0, 0))), np.float32(1.0)),
    (lambda: tf.one_hot(tf.zeros((0,), tf.int32), 3), np.zeros((0, 3))),
    (lambda: tf.tile(tf.ones((2,)), [0]), np.zeros((0,))),
    (lambda: tf.stack(tf.ones((2, 3))), np.ones((2, 3))),  # TF: one tensor stacks to itself
    (lambda: tf.concat(3, 0), np.int32(3)),
    (lambda: _jacobian_of_nothing(), np.zeros((0, 2, 0))),
])
def test_degenerate_shapes_give_the_right_values(call: Callable[[], tf.Tensor],
                                                 want: Any) -> None:
    got = call()
    assert got.shape == np.shape(want)
    np.testing.assert_array_equal(got.numpy(), want)
