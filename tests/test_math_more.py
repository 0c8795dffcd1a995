"""tf.math beyond the op table: special values, the no-NaN conventions and their gradients,
segment edge cases, counting ops, and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad as tf


def _grad(fn, *xs):
    xs = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = fn(*xs)
    return [g.numpy() for g in tape.gradient(y, xs)]


def test_special_functions_at_poles_and_known_values() -> None:
    assert tf.math.lgamma([0.0, -1.0]).numpy().tolist() == [math.inf, math.inf]
    assert np.isnan(tf.math.digamma([0.0, -2.0]).numpy()).all()
    assert float(tf.math.polygamma(1.0, 0.0)) == math.inf
    np.testing.assert_allclose(tf.math.digamma(tf.constant([1.0, 0.5], tf.float64)).numpy(),
                               [-0.5772156649015329, -1.9635100260214235], rtol=1e-14)
    np.testing.assert_allclose(tf.math.polygamma([1.0, 2.0], 1.0).numpy(),
                               [math.pi ** 2 / 6, -2.4041138063191885], rtol=1e-6)
    assert tf.math.erfinv([1.0, -1.0]).numpy().tolist() == [math.inf, -math.inf]
    assert np.isnan(float(tf.math.erfinv(1.5)))
    x = tf.constant(np.linspace(-0.99, 0.99, 23))
    np.testing.assert_allclose(tf.math.erf(tf.math.erfinv(x)).numpy(), x.numpy(), rtol=1e-14)
    assert tf.math.erf(tf.constant(1.0)).dtype == tf.float32


def test_third_derivative_of_lgamma_is_polygamma_2() -> None:
    x = tf.constant(1.5, tf.float64)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.math.lgamma(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    np.testing.assert_allclose([float(d1), float(d2), float(d3)],
                               [float(tf.math.digamma(x)), float(tf.math.polygamma(1.0, x)),
                                float(tf.math.polygamma(2.0, x))], rtol=1e-14)


def test_no_nan_ops_give_zero_and_finite_gradients_where_tensorflow_does() -> None:
    assert tf.math.divide_no_nan([math.nan, 1.0], [0.0, 0.0]).numpy().tolist() == [0.0, 0.0]
    assert tf.math.multiply_no_nan([math.nan], [0.0]).numpy().tolist() == [0.0]
    assert tf.math.xlogy([0.0], [0.0]).numpy().tolist() == [0.0]
    assert tf.math.xdivy([0.0], [0.0]).numpy().tolist() == [0.0]
    gx, gy = _grad(tf.math.divide_no_nan, [1.0, 2.0], [0.0, 4.0])
    assert gx.tolist() == [0.0, 0.25] and gy.tolist() == [0.0, -0.125]
    gx, gy = _grad(tf.math.xlogy, [0.0, 2.0], [0.0, 1.0])
    assert gx.tolist() == [0.0, 0.0] and gy.tolist() == [0.0, 2.0]


def test_cumprod_gradient_at_zero_is_tensorflows() -> None:
    (g,) = _grad(tf.math.cumprod, [2.0, 0.0, 3.0])
    assert g.tolist() == [1.0, 0.0, 0.0]  # TensorFlow's divide_no_nan rule


def test_cumulative_logsumexp_stays_finite_for_large_inputs() -> None:
    x = [1000.0, 1000.0, -1000.0]
    out = tf.math.cumulative_logsumexp(tf.constant(x, tf.float64))
    np.testing.assert_allclose(out.numpy(), [1000.0, 1000.0 + math.log(2), 1000 + math.log(2)])
    (g,) = _grad(tf.math.cumulative_logsumexp, np.array(x))
    np.testing.assert_allclose(g, [2.0, 1.0, 0.0], atol=1e-12)


def test_segment_edge_cases_match_tensorflow() -> None:
    assert tf.math.unsorted_segment_max([1.0, 2.0], [0, 0], 3).numpy().tolist() == \
        [2.0, float(np.finfo(np.float32).min), float(np.finfo(np.float32).min)]
    assert tf.math.segment_max([1.0, 2.0], [0, 2]).numpy().tolist() == [1.0, 0.0, 2.0]
    assert tf.math.unsorted_segment_prod([1.0, 2.0], [0, 0], 3).numpy().tolist() == [2, 1, 1]
    assert tf.math.unsorted_segment_mean([1.0, 2.0], [0, -1], 2).numpy().tolist() == [1, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        tf.math.segment_sum([1.0, 2.0], [1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.math.unsorted_segment_sum([1.0, 2.0], [0, 3], 2)


def test_counting_ops() -> None:
    assert tf.math.bincount([1, 1, 3]).numpy().tolist() == [0, 2, 0, 1]
    w = tf.math.bincount([1, 1, 3], weights=[0.5, 0.5, 1.0])
    assert w.dtype == tf.float32 and w.numpy().tolist() == [0, 1, 0, 1]
    assert tf.math.bincount([1, 1, 3], minlength=6, maxlength=3).numpy().tolist() == [0, 2, 0]
    assert tf.math.bincount([[1, 2], [0, 0]], axis=-1).numpy().tolist() == [[0, 1, 1], [2, 0, 0]]
    assert tf.math.confusion_matrix([0, 1], [1, 1], num_classes=3).numpy().tolist() == \
        [[0, 1, 0], [0, 1, 0], [0, 0, 0]]
    c = tf.math.count_nonzero([[0.0, 1.0], [2.0, 0.0]])
    assert c.dtype == tf.int64 and int(c) == 2
    z = tf.math.zero_fraction([0, 1, 0])
    assert z.dtype == tf.float32 and float(z) == pytest.approx(2 / 3)
    assert not bool(tf.math.is_strictly_increasing([1, 1, 2]))
    assert tf.math.in_top_k([2, 0], [[1.0, 3.0, 3.0, 2.0]] * 2, 2).numpy().tolist() == \
        [True, False]


def test_top_k_ties_and_errors() -> None:
    values, indices = tf.math.top_k([[1.0, 3.0, 3.0, 2.0]], k=3)
    assert values.numpy().tolist() == [[3.0, 3.0, 2.0]] and indices.numpy().tolist() == [[1, 2, 3]]
    assert tf.nn.top_k is tf.math.top_k
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least k columns"):
        tf.math.top_k([1.0, 2.0], k=3)


def test_add_n_and_polyval() -> None:
    with pytest.raises(ValueError, match="same dtype and shape"):
        tf.math.add_n([[1.0], [1.0, 2.0]])
    assert float(tf.math.polyval([], 3.0)) == 0.0
    assert tf.add_n is tf.math.add_n and tf.acosh is tf.math.acosh


def test_segment_prod_second_derivative_at_a_zero_is_the_true_one() -> None:
    from tapegrad.test import check_gradients
    check_gradients(lambda x: tf.math.unsorted_segment_prod(x, [1, 0, 1, 1], 2),
                    [[0.0, 2.0, 0.5, -1.5]], order=2)
