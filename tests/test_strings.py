"""String constants: tf.string tensors of bytes, printed as TensorFlow prints them; equality."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tapegrad as tf


def test_scalars_and_arrays_print_as_tensorflow():
    t = tf.constant("text")
    assert repr(t) == "<tapegrad.Tensor: shape=(), dtype=string, numpy=b'text'>"
    assert str(t) == "tapegrad.Tensor(b'text', shape=(), dtype=string)"
    assert repr(tf.constant(["a", "bc"])) == ("<tapegrad.Tensor: shape=(2,), dtype=string, "
                                              "numpy=array([b'a', b'bc'], dtype=object)>")
    assert str(tf.constant([["a"]])) == "tapegrad.Tensor([[b'a']], shape=(1, 1), dtype=string)"
    assert repr(tf.Variable("s")) == \
        "<tapegrad.Variable 'Variable:0' shape=() dtype=string, numpy=b's'>"


def test_values_are_utf8_bytes():
    assert tf.constant("é").numpy() == "é".encode()
    assert tf.constant(b"xy").numpy() == b"xy"
    arr = tf.constant(np.array(["u", "v"])).numpy()
    assert arr.dtype == object and arr.tolist() == [b"u", b"v"]
    assert tf.constant(["a", b"b"]).numpy().tolist() == [b"a", b"b"]
    assert tf.convert_to_tensor("q").shape == ()
    assert tf.constant([["a", "b"]]).shape == (1, 2)


def test_the_string_dtype():
    assert tf.constant("a").dtype is tf.string
    assert tf.constant(["a"]).dtype == tf.string == "string"
    assert tf.as_dtype("string") is tf.string
    assert (repr(tf.string), str(tf.string)) == ("tapegrad.string", "<dtype: 'string'>")
    assert not (tf.string.is_floating or tf.string.is_integer or tf.string.is_bool)
    assert tf.constant("a", dtype=tf.string).numpy() == b"a"


def test_equality():
    assert bool(tf.constant("a") == "a")
    assert (tf.constant(["a", "b"]) == "a").numpy().tolist() == [True, False]
    assert (tf.constant(["a", "b"]) != tf.constant(["a", "c"])).numpy().tolist() == [False, True]
    assert bool(tf.equal("ab", tf.constant("ab")))
    assert bool(tf.not_equal(tf.constant("ab"), "abc"))


def test_strings_and_numbers_do_not_mix():
    with pytest.raises(TypeError, match="Cannot convert 'a' to EagerTensor of dtype float32"):
        tf.constant("a", dtype=tf.float32)
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype string"):
        tf.constant(1, dtype=tf.string)
    with pytest.raises(TypeError):
        tf.constant(1.0) == "a"  # noqa: B015
    with pytest.raises(tf.errors.InvalidArgumentError, match="Value for attr 'T' of string"):
        tf.constant("a") < "b"  # noqa: B015
    with pytest.raises(ValueError, match="unsupported type"):
        tf.constant(np.array([object()]))


def test_datasets_of_strings():
    ds = tf.data.Dataset.from_tensor_slices(["a", "b", "c"])
    assert ds.element_spec == tf.TensorSpec((), tf.string)
    assert [x.numpy() for x in ds] == [b"a", b"b", b"c"]
    assert next(iter(ds.batch(2))).numpy().tolist() == [b"a", b"b"]
    assert [x.numpy() for x in ds.batch(2).unbatch()] == [b"a", b"b", b"c"]
    words = tf.data.Dataset.from_generator(lambda: iter(["hi", "yo"]),
                                           output_signature=tf.TensorSpec((), tf.string))
    assert [x.numpy() for x in words] == [b"hi", b"yo"]


def test_same_text_as_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    real = pytest.importorskip("tensorflow")

    def texts(lib):
        values = [lib.constant("text"), lib.constant(["a", "bc"]), lib.constant([["x"]]),
                  lib.constant("é"), lib.constant(["a", "b"]) == "a"]
        return [(repr(v), str(v)) for v in values]

    ours = [(r.replace("tapegrad.", "tf."), s.replace("tapegrad.", "tf.")) for r, s in texts(tf)]
    assert ours == texts(real)


def test_plus_joins_strings_eagerly_and_in_a_traced_function() -> None:
    a, b = tf.constant("ab"), tf.constant(["x", "yz"])
    assert (a + a).numpy() == b"abab"
    assert (a + b).numpy().tolist() == [b"abx", b"abyz"]
    assert tf.add(b, b).numpy().tolist() == [b"xx", b"yzyz"]
    double = tf.function(lambda s: s + s)
    assert [double(tf.constant(s)).numpy() for s in ("a", "b", "cd")] == [b"aa", b"bb", b"cdcd"]
    concrete = double.get_concrete_function(tf.TensorSpec([], tf.string))
    assert concrete(tf.constant("c")).numpy() == b"cc"
