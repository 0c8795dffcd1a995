"""tf.random beyond normal/uniform: shapes, dtypes, defaults and determinism as TensorFlow has
them (the numbers themselves are tapegrad's own), and rough statistics."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf


def _same(a: tf.Tensor, b: tf.Tensor) -> bool:
    return bool(np.array_equal(a.numpy(), b.numpy()))


def test_categorical_shapes_dtypes_and_frequencies() -> None:
    tf.random.set_seed(0)
    draws = tf.random.categorical(tf.math.log([[0.2, 0.8], [1.0, 0.0]]), 4000)
    assert draws.shape == (2, 4000) and draws.dtype == tf.int64
    assert abs(np.mean(draws.numpy()[0]) - 0.8) < 0.03 and not draws.numpy()[1].any()
    assert tf.random.categorical([[0.0, 0.0]], 2, dtype=tf.int32).dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrix"):
        tf.random.categorical([0.0, 1.0], 2)


def test_gamma_and_poisson_shapes_and_means() -> None:
    tf.random.set_seed(1)
    g = tf.random.gamma([20000], [0.5, 3.0], beta=[1.0, 2.0])
    assert g.shape == (20000, 2) and g.dtype == tf.float32
    np.testing.assert_allclose(g.numpy().mean(0), [0.5, 1.5], rtol=0.05)
    p = tf.random.poisson([20000], [1.0, 4.0], dtype=tf.int64)
    assert p.shape == (20000, 2) and p.dtype == tf.int64
    np.testing.assert_allclose(p.numpy().mean(0), [1.0, 4.0], rtol=0.05)


def test_op_seeds_repeat_after_set_seed() -> None:
    tf.random.set_seed(5)
    a = [tf.random.gamma([3], 2.0, seed=1), tf.random.categorical([[0.0, 0.0]], 5, seed=1)]
    tf.random.set_seed(5)
    b = [tf.random.gamma([3], 2.0, seed=1), tf.random.categorical([[0.0, 0.0]], 5, seed=1)]
    assert all(_same(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("draw", [
    lambda s: tf.random.stateless_normal([3, 2], s, mean=1.0, dtype=tf.float64),
    lambda s: tf.random.stateless_uniform([4], s),
    lambda s: tf.random.stateless_uniform([4], s, minval=-3, maxval=3, dtype=tf.int32),
    lambda s: tf.random.stateless_uniform([4], s, minval=None, maxval=None, dtype=tf.int64),
    lambda s: tf.random.stateless_truncated_normal([50], s),
    lambda s: tf.random.stateless_categorical([[0.0, 1.0]], 6, s),
    lambda s: tf.random.stateless_gamma([5], s, alpha=2.0),
    lambda s: tf.random.stateless_poisson([5], s, lam=3.0),
    lambda s: tf.random.stateless_binomial([5], s, counts=10.0, probs=0.3),
    lambda s: tf.random.experimental.stateless_shuffle(tf.range(10), s),
])
def test_stateless_ops_are_functions_of_the_seed(draw) -> None:
    a, b, c = draw([1, 2]), draw(tf.constant([1, 2])), draw([2, 1])
    assert _same(a, b) and not _same(a, c)


def test_stateless_defaults_and_errors() -> None:
    assert tf.random.stateless_normal([2], [0, 0]).dtype == tf.float32
    assert tf.random.stateless_poisson([2], [0, 0], lam=1.0).dtype == tf.int32
    assert tf.random.stateless_categorical([[0.0]], 1, [0, 0]).dtype == tf.int64
    assert float(tf.reduce_max(tf.abs(tf.random.stateless_truncated_normal([999], [0, 1])))) <= 2
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \[2\]"):
        tf.random.stateless_normal([2], seed=[1, 2, 3])
    with pytest.raises(ValueError, match="both None or not None"):
        tf.random.stateless_uniform([2], [1, 2], maxval=None, dtype=tf.int32)


def test_split_and_fold_in_make_seed_pairs() -> None:
    pairs = tf.random.split([1, 2], num=3)
    assert pairs.shape == (3, 2) and pairs.dtype == tf.int32
    assert _same(pairs, tf.random.experimental.stateless_split(tf.constant([1, 2]), 3))
    assert len({tuple(p) for p in pairs.numpy().tolist()}) == 3
    f = tf.random.fold_in(tf.constant([1, 2], tf.int64), 7)
    assert f.shape == (2,) and f.dtype == tf.int64
    assert _same(f, tf.random.experimental.stateless_fold_in(tf.constant([1, 2], tf.int64), 7))
    assert not _same(f, tf.random.fold_in(tf.constant([1, 2], tf.int64), 8))


def test_generator_determinism_state_and_split() -> None:
    g, h = tf.random.Generator.from_seed(7), tf.random.Generator.from_seed(7)
    assert _same(g.normal([3]), h.normal([3]))
    assert not _same(g.normal([3]), g.normal([3]))  # each draw advances the state
    state = g.state.numpy().copy()
    a = g.uniform([4], maxval=10, dtype=tf.int32)
    assert a.dtype == tf.int32 and a.numpy().max() < 10
    g.reset(state)
    assert _same(a, g.uniform([4], maxval=10, dtype=tf.int32))
    seeds = g.make_seeds(3)
    assert seeds.shape == (2, 3) and seeds.dtype == tf.int64
    left, right = g.split(2)
    assert not _same(left.normal([3]), right.normal([3]))
    assert tf.random.Generator.from_seed(1).state.dtype == tf.int64
    assert isinstance(tf.random.get_global_generator(), tf.random.Generator)


def test_generator_draws_anew_inside_a_function() -> None:
    g = tf.random.Generator.from_seed(3)

    @tf.function
    def draw() -> tf.Tensor:
        return g.normal([2])

    assert not _same(draw(), draw())


def test_gamma_is_differentiable_in_alpha_and_beta() -> None:
    # E[x] = alpha / beta, so the mean of the sample gradients estimates 1 / beta and
    # -alpha / beta**2
    tf.random.set_seed(0)
    alpha, beta = tf.constant(3.0, tf.float64), tf.constant(2.0, tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([alpha, beta])
        mean = tf.reduce_mean(tf.random.gamma([20000], alpha, beta, dtype=tf.float64))
        stateless = tf.reduce_mean(tf.random.stateless_gamma([20000], [1, 2], alpha, beta,
                                                             dtype=tf.float64))
    for target in (mean, stateless):
        ga, gb = tape.gradient(target, [alpha, beta])
        assert float(ga) == pytest.approx(0.5, rel=0.02)
        assert float(gb) == pytest.approx(-0.75, rel=0.02)
