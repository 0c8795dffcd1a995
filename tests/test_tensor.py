"""Tensors, dtypes and variables: TensorFlow's printed forms, conversion rules and errors.

Expected strings are what TensorFlow 2.21 prints, with ``tapegrad`` in place of ``tf``
(see shared/reference/tf-semantics.md §2.1–2.5).
"""

import pickle
import warnings

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.errors import InvalidArgumentError

# ----- printed forms -----


@pytest.mark.parametrize("make, text", [
    (lambda: tf.constant([[1, 2, 3]]),
     "<tapegrad.Tensor: shape=(1, 3), dtype=int32, numpy=array([[1, 2, 3]], dtype=int32)>"),
    (lambda: tf.constant(920.0), "<tapegrad.Tensor: shape=(), dtype=float32, numpy=920.0>"),
    (lambda: tf.constant(0.1),
     "<tapegrad.Tensor: shape=(), dtype=float32, numpy=0.10000000149011612>"),
    (lambda: tf.constant(0.1, tf.float64),
     "<tapegrad.Tensor: shape=(), dtype=float64, numpy=0.1>"),
    (lambda: tf.constant([[1.5, 2.], [3., 4.]]),
     "<tapegrad.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1.5, 2. ],\n"
     "       [3. , 4. ]], dtype=float32)>"),
    (lambda: tf.constant(np.array([1., 2.])),
     "<tapegrad.Tensor: shape=(2,), dtype=float64, numpy=array([1., 2.])>"),
    (lambda: tf.constant(True), "<tapegrad.Tensor: shape=(), dtype=bool, numpy=True>"),
    (lambda: tf.constant(5), "<tapegrad.Tensor: shape=(), dtype=int32, numpy=5>"),
    (lambda: tf.Variable(5), "<tapegrad.Variable 'Variable:0' shape=() dtype=int32, numpy=5>"),
    (lambda: tf.Variable([1., 2.]), "<tapegrad.Variable 'Variable:0' shape=(2,) dtype=float32, "
                                    "numpy=array([1., 2.], dtype=float32)>"),
    (lambda: tf.Variable(0.1), "<tapegrad.Variable 'Variable:0' shape=() dtype=float32, "
                               "numpy=0.10000000149011612>"),
    (lambda: tf.Variable(3., name="w"), "<tapegrad.Variable 'w:0' shape=() dtype=float32, "
                                        "numpy=3.0>"),
    (lambda: tf.Variable(1.).assign(5.),
     "<tapegrad.Variable 'UnreadVariable' shape=() dtype=float32, numpy=5.0>"),
])
def test_repr(make, text):
    assert repr(make()) == text


@pytest.mark.parametrize("make, text", [
    (lambda: tf.constant([[1, 2, 3]]), "tapegrad.Tensor([[1 2 3]], shape=(1, 3), dtype=int32)"),
    (lambda: tf.constant(920.0), "tapegrad.Tensor(920.0, shape=(), dtype=float32)"),
    (lambda: tf.constant(0.1), "tapegrad.Tensor(0.1, shape=(), dtype=float32)"),
    (lambda: tf.constant([[1.5, 2.], [3., 4.]]),
     "tapegrad.Tensor(\n[[1.5 2. ]\n [3.  4. ]], shape=(2, 2), dtype=float32)"),
    (lambda: tf.constant(True), "tapegrad.Tensor(True, shape=(), dtype=bool)"),
    (lambda: tf.range(2000.), "tapegrad.Tensor([0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 "
                              "1.998e+03 1.999e+03], shape=(2000,), dtype=float32)"),
])
def test_str(make, text):
    assert str(make()) == text


def test_shape_and_dtype_print_like_tensorflow():
    t = tf.constant([[1, 2, 3]])
    assert repr(t.shape) == "TensorShape([1, 3])" and str(t.shape) == "(1, 3)"
    assert repr(t.dtype) == "tapegrad.int32" and str(t.dtype) == "<dtype: 'int32'>"
    assert t.shape == (1, 3) and t.shape == [1, 3] and t.shape != (3, 1)
    assert tf.constant(1.).shape.as_list() == [] and t.shape.rank == 2
    assert f"{tf.constant(920.0)}" == "920.0" and f"{tf.constant(2.5):.2f}" == "2.50"
    assert "shape=(1, 3)" in t._repr_html_()


# ----- constructors and dtypes -----

@pytest.mark.parametrize("value, dtype", [
    (3.0, tf.float32), (3, tf.int32), (True, tf.bool), ([1, 2.5], tf.float32),
    (np.array([1., 2.]), tf.float64), (np.float64(1.), tf.float64), (np.array([1, 2]), tf.int64),
    (2 ** 40, tf.int64), (np.float32(1.0), tf.float32), ([[1, 2], [3, 4]], tf.int32),
])
def test_constant_dtypes(value, dtype):
    assert tf.constant(value).dtype == dtype


def test_conversion_errors_have_tensorflows_messages():
    with pytest.raises(ValueError, match="out-of-range integer"):
        tf.constant(2 ** 70)
    with pytest.raises(ValueError, match="non-rectangular Python sequence"):
        tf.constant([[1, 2], [3]])
    with pytest.raises(TypeError, match=r"Cannot convert \[1.5\] to EagerTensor of dtype int32"):
        tf.convert_to_tensor([1.5], dtype=tf.int32)
    with pytest.raises(ValueError, match="Tensor conversion requested dtype float64 for Tensor "
                                         "with dtype float32"):
        tf.convert_to_tensor(tf.constant(1.0), dtype=tf.float64)
    with pytest.raises(ValueError, match=r"Attempt to convert a value \(None\) with an "
                                         r"unsupported type \(<class 'NoneType'>\)"):
        tf.constant(1.0) + None


def test_conversions_that_work():
    assert repr(tf.convert_to_tensor([[10, 20, 30]], dtype=tf.float32)) == (
        "<tapegrad.Tensor: shape=(1, 3), dtype=float32, numpy=array([[10., 20., 30.]], "
        "dtype=float32)>")
    assert tf.convert_to_tensor(np.array([1.]), dtype=tf.float32).dtype == tf.float32
    assert tf.constant(np.array([1.5]), dtype=tf.int32).numpy().tolist() == [1]
    assert tf.constant(3.0, shape=(2, 2)).numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy().tolist() == [[1, 2], [3, 4]]
    assert tf.convert_to_tensor([tf.constant(1.0), 2.0]).numpy().tolist() == [1.0, 2.0]
    assert tf.ones((2,)).dtype == tf.float32 and tf.random.normal((2,)).dtype == tf.float32


def test_dtype_objects():
    assert tf.float32.name == "float32" and tf.float32.is_floating and not tf.int8.is_floating
    assert tf.int32.is_integer and tf.uint8.is_unsigned and tf.bool.is_bool
    assert tf.float64.as_numpy_dtype is np.float64
    assert tf.float32 == np.float32 and tf.float32 == "float32" and tf.float32 != tf.float64
    assert tf.as_dtype(float) == tf.float32 and tf.as_dtype("double") == tf.float64
    assert tf.int8.min == -128 and tf.uint8.max == 255
    assert pickle.loads(pickle.dumps(tf.float16)) is tf.float16
    with pytest.raises(TypeError, match="Cannot convert"):
        tf.as_dtype("float33")


# ----- mixing dtypes -----

def test_no_silent_promotion_between_tensors():
    with pytest.raises(InvalidArgumentError, match=r"cannot compute AddV2 as input "
                       r"#1\(zero-based\) was expected to be a int32 tensor but is a float "
                       r"tensor \[Op:AddV2\]"):
        tf.constant(1) + tf.constant(1.0)
    with pytest.raises(InvalidArgumentError, match="expected to be a float tensor but is a "
                                                   "double tensor"):
        tf.constant(1.0) * tf.constant(1.0, tf.float64)
    with pytest.raises(InvalidArgumentError, match="expected to be a float tensor but is a "
                                                   "double tensor"):
        tf.Variable(1.0) * tf.constant([1.0], tf.float64)
    with pytest.raises(InvalidArgumentError):
        tf.matmul(tf.ones((1, 1)), tf.constant([[1]]))


def test_python_float_into_integer_tensor():
    with pytest.raises(InvalidArgumentError, match="was expected to be a int32 tensor"):
        tf.constant([1]) + 1.5
    with pytest.raises(InvalidArgumentError):
        tf.constant([1]) + [1.5, 2]
    with pytest.raises(TypeError, match="Cannot convert 0.5 to EagerTensor of dtype int32"):
        tf.constant(2) ** 0.5
    for op in (lambda t: t - 1.5, lambda t: t * 1.5, lambda t: t / 1.5, lambda t: t < 2.5,
               lambda t: 1.5 + t, lambda t: tf.maximum(t, 2.5), lambda t: t == 1.5):
        with pytest.raises(TypeError, match="Cannot convert 1.5|Cannot convert 2.5"):
            op(tf.constant([1]))


@pytest.mark.parametrize("make, dtype, values", [
    (lambda: tf.Variable(1.0) * np.array([1., 2.]), tf.float32, [1., 2.]),
    (lambda: np.array([1., 2.]) * tf.constant(1.0), tf.float32, [1., 2.]),
    (lambda: tf.constant([1.]) + 2, tf.float32, [3.]),
    (lambda: tf.constant([1.]) + np.float64(2.), tf.float32, [3.]),
    (lambda: tf.constant([1.]) + np.array([2], np.int64), tf.float32, [3.]),
    (lambda: tf.constant([1.]) + [1, 2], tf.float32, [2., 3.]),
    (lambda: tf.constant([1]) * np.array([1.5]), tf.int32, [1]),
    (lambda: tf.matmul(tf.ones((1, 2)), np.ones((2, 1))), tf.float32, [[2.]]),
    (lambda: tf.constant([3]) / tf.constant([2]), tf.float64, [1.5]),
    (lambda: tf.constant([3], tf.int8) / tf.constant([2], tf.int8), tf.float32, [1.5]),
    (lambda: tf.constant([-7]) // 2, tf.int32, [-4]),
    (lambda: tf.constant([-7]) % 3, tf.int32, [2]),
    (lambda: tf.constant([-7.]) % 3, tf.float32, [2.]),
    (lambda: tf.constant([1, 2], tf.uint8) - 3, tf.uint8, [254, 255]),
    (lambda: tf.reduce_mean(tf.constant([1, 2])), tf.int32, 1),
    (lambda: tf.reduce_mean(tf.constant([-1, -2])), tf.int32, -1),
    (lambda: tf.cast([1.7, -1.7], tf.int32), tf.int32, [1, -1]),
    (lambda: 2 ** tf.constant(2.), tf.float32, 4.0),
])
def test_mixed_operands_take_the_tensors_dtype(make, dtype, values):
    t = make()
    assert t.dtype == dtype
    assert t.numpy().tolist() == values


def test_integer_errors():
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        tf.constant(2) // 0
    with pytest.raises(InvalidArgumentError, match="negative integer powers"):
        tf.constant(2) ** -1
    with pytest.raises(InvalidArgumentError, match="Value for attr 'T' of int32 is not in the "
                                                   "list of allowed values"):
        tf.exp(tf.constant(1))
    with pytest.raises(InvalidArgumentError, match="of bool"):
        tf.reduce_sum(tf.constant([True]))
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\] "
                                                   r"\[Op:AddV2\]"):
        tf.constant([1, 2]) + tf.constant([1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="In\\[0\\] ndims must be >= 2: 1"):
        tf.matmul([1., 2.], [[1.], [2.]])
    with pytest.raises(InvalidArgumentError, match=r"Matrix size-incompatible: In\[0\]: \[1,2\], "
                                                   r"In\[1\]: \[1,2\]"):
        tf.matmul([[1., 2.]], [[1., 2.]])


# ----- Python protocols -----

def test_python_protocols():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2 and [r.numpy().tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(2.7)) == 2
    assert [10, 20, 30][tf.constant(1)] == 20
    assert bool(tf.constant(1.0) > 0.5)
    with pytest.raises(ValueError, match="truth value of an array with more than one element"):
        bool(t > 0)
    with pytest.raises(TypeError, match="Scalar tensor has no `len\\(\\)`"):
        len(tf.constant(1.0))
    with pytest.raises(TypeError, match="Cannot iterate over a scalar tensor"):
        iter(tf.constant(1.0))
    with pytest.raises(TypeError):
        [1, 2][tf.constant(1.0)]
    assert {t: 1}[t] == 1 and hash(t) == id(t)
    assert t.ref().deref() is t and t.ref() == t.ref()
    assert t.ndim == 2 and t.device.endswith("CPU:0")
    assert (tf.constant([1.0, 2.0]) == None) is False  # noqa: E711 - TensorFlow's rule
    assert (tf.constant([1, 2]) == tf.constant([1, 2, 3])).numpy() is np.False_


def test_numpy_interop_is_copy_safe():
    t = tf.constant([1.0, 2.0])
    copy = t.numpy()
    copy[0] = 99.0
    assert t.numpy().tolist() == [1.0, 2.0]
    view = np.asarray(t)
    assert view.dtype == np.float32 and not view.flags.writeable
    source = np.array([1.0, 2.0])
    c = tf.constant(source)
    source[0] = 5.0
    assert c.numpy().tolist() == [1.0, 2.0]
    assert isinstance(np.array([1.0, 2.0]) * tf.constant(2.0), tf.Tensor)
    assert isinstance(np.ones(2) + tf.constant([1.0, 2.0]), tf.Tensor)
    assert tf.constant(2.0).numpy() == np.float32(2.0)
    assert type(tf.constant(2.0).numpy()) is np.float32
    assert pickle.loads(pickle.dumps(t)).numpy().tolist() == [1.0, 2.0]


def test_getitem_follows_tensorflow():
    x = tf.reshape(tf.range(12), (3, 4))
    assert x[1].numpy().tolist() == [4, 5, 6, 7]
    assert x[:, ::-2].numpy().tolist() == [[3, 1], [7, 5], [11, 9]]
    assert x[..., tf.newaxis].shape == (3, 4, 1)
    assert x[tf.constant(2), -1].numpy() == 11
    assert x[[1, 2]].numpy() == 6  # a list is a tuple of indices in TensorFlow
    with pytest.raises(InvalidArgumentError, match="slice index 5 of dimension 0 out of bounds"):
        x[5]
    with pytest.raises(InvalidArgumentError, match="Index out of range using input dim 2"):
        x[0, 0, 0]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[tf.constant(1.0)]


# ----- variables -----

def test_variable_dtypes_and_names():
    assert tf.Variable(5).dtype == tf.int32 and tf.Variable(5.0).dtype == tf.float32
    assert tf.Variable(np.array([1.])).dtype == tf.float64
    assert tf.Variable(1.0).name == "Variable:0" and tf.Variable(1.0, name="w").name == "w:0"
    assert tf.Variable(lambda: tf.ones(2)).numpy().tolist() == [1.0, 1.0]
    v = tf.Variable(2.0)
    assert isinstance(v, tf.Variable) and type(v + 1) is tf.Tensor
    assert repr(v.read_value()) == "<tapegrad.Tensor: shape=(), dtype=float32, numpy=2.0>"


def test_assign_family():
    v = tf.Variable(1.0)
    assert v.assign(5.).numpy() == 5.0 and v.name == "Variable:0"
    assert v.assign_add(1.).numpy() == 6.0 and v.assign_sub(2.).numpy() == 4.0
    assert v.assign(7., read_value=False) is None and v.numpy() == 7.0
    assert v.assign(1.0).assign_add(2.0).numpy() == 3.0  # calls chain
    v.assign(2)  # a Python int or a float64 scalar is cast
    v.assign(np.float64(3.5))
    assert v.numpy() == 3.5 and v.dtype == tf.float32
    with pytest.raises(ValueError, match=r"Cannot assign value to variable ' Variable:0': Shape "
                       r"mismatch.The variable shape \(\), and the assigned value shape \(2,\) "
                       r"are incompatible."):
        v.assign([1.0, 2.0])
    with pytest.raises(ValueError, match="Tensor conversion requested dtype float32 for Tensor "
                                         "with dtype float64"):
        v.assign(tf.constant(1.0, tf.float64))
    with pytest.raises(TypeError, match="Cannot convert 2.5 to EagerTensor of dtype int32"):
        tf.Variable(1).assign(2.5)


def test_variable_with_unknown_dimension_accepts_other_lengths():
    v = tf.Variable([1.0, 2.0], shape=tf.TensorShape([None]))
    v.assign([1.0, 2.0, 3.0])
    assert v.shape == (3,)


def test_reads_are_snapshots():
    v = tf.Variable([1.0, 2.0])
    before = v.read_value()
    v.assign([5.0, 6.0])
    assert before.numpy().tolist() == [1.0, 2.0] and v.numpy().tolist() == [5.0, 6.0]


def test_print_writes_values_to_stderr(capsys):
    tf.print("loss:", tf.constant([1, 2]))
    assert capsys.readouterr().err == "loss: [1 2]\n"
    assert tf.executing_eagerly()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.print(tf.constant(1.5))
