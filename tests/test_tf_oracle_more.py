"""Values and gradients of the issue-13 array, math, nn and random ops against TensorFlow itself.

Each case is a function of the module (``tensorflow`` or ``tapegrad``), so the same program runs
on both; skipped when TensorFlow is not installed.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import tapegrad

tensorflow = pytest.importorskip("tensorflow")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 5, 6, 3)).astype(np.float32)
W = RNG.normal(size=(3, 2, 3, 4)).astype(np.float32)
M = RNG.normal(size=(4, 3))
P = RNG.uniform(0.2, 3.0, size=(6,))


def _grad(m: Any, fn: Callable[..., Any], *values: np.ndarray) -> list[Any]:
    """The function's value and its gradients (for a fixed weighting of the outputs)."""
    xs = [m.constant(v) for v in values]
    with m.GradientTape() as tape:
        tape.watch(xs)
        y = fn(*xs)
        weights = m.constant(np.linspace(0.5, 1.5, int(np.prod(y.shape))).reshape(y.shape)
                             .astype(values[0].dtype))
        loss = m.reduce_sum(y * weights)
    return [y, *tape.gradient(loss, xs)]


CASES: dict[str, Callable[[Any], Any]] = {
    "gather_nd": lambda m: _grad(m, lambda x: m.gather_nd(x, [[1, 0], [3, 2], [1, 0]]), M),
    "gather_nd batch_dims": lambda m: _grad(
        m, lambda x: m.gather_nd(x, [[[1], [0]], [[2], [2]]], batch_dims=1), M[:2]),
    "scatter_nd": lambda m: _grad(m, lambda u: m.scatter_nd([[1], [3], [1]], u, [5, 3]), M[:3]),
    "tensor_scatter_nd_update": lambda m: _grad(
        m, lambda x, u: m.tensor_scatter_nd_update(x, [[0], [2]], u), M, M[:2] * 2),
    "tensor_scatter_nd_max": lambda m: _grad(
        m, lambda x, u: m.tensor_scatter_nd_max(x, [[0, 1], [3, 2]], u), M, np.array([5.0, -5])),
    "strided_slice masks": lambda m: _grad(m, lambda x: m.strided_slice(
        x, [1, 0, 2], [-1, 0, 3], [1, -2, 1], begin_mask=2, end_mask=2, shrink_axis_mask=4),
        X[0].astype(np.float64)),
    "strided_slice ellipsis": lambda m: m.strided_slice(
        X, [0, 1], [0, 4], [1, 2], ellipsis_mask=1),
    "slice": lambda m: m.slice(X, [1, 0, 2, 0], [1, -1, 3, 2]),
    "roll": lambda m: m.roll(M, [2, -1], [0, 1]),
    "repeat": lambda m: _grad(m, lambda x: m.repeat(x, [2, 0, 1, 3], axis=0), M),
    "reverse_sequence": lambda m: _grad(
        m, lambda x: m.reverse_sequence(x, [2, 3, 1], seq_axis=0, batch_axis=1), M),
    "meshgrid": lambda m: m.meshgrid([1, 2], [3, 4, 5], [6, 7]),
    "unique": lambda m: list(m.unique([4, 2, 4, 1, 2])),
    "searchsorted": lambda m: m.searchsorted([[1.0, 2.0, 3.0], [0.0, 5.0, 9.0]],
                                             [[2.0, 3.5], [9.0, -1.0]], side="right"),
    "sequence_mask": lambda m: m.sequence_mask([[1, 3], [0, 2]], 4),
    "where one argument": lambda m: m.where([[True, False], [True, True]]),
    "erf erfc erfinv": lambda m: [m.math.erf(P - 1.5), m.math.erfc(P - 1.5),
                                  m.math.erfinv(P / 4 - 0.4)],
    "lgamma digamma polygamma": lambda m: [m.math.lgamma(P - 1.1), m.math.digamma(P - 1.1),
                                           m.math.polygamma(2.0, P), m.math.zeta(3.0, P)],
    "lgamma gradient": lambda m: _grad(m, m.math.lgamma, P),
    "digamma gradient": lambda m: _grad(m, m.math.digamma, P),
    "xlogy family": lambda m: [m.math.xlogy([0.0, 2.0], [0.0, 3.0]),
                               m.math.xdivy([0.0, 2.0], [0.0, 3.0]),
                               m.math.xlog1py([0.0, 2.0], [-1.0, 3.0]),
                               m.math.divide_no_nan([1.0, 2.0], [0.0, 4.0]),
                               m.math.multiply_no_nan([np.inf, 2.0], [0.0, 4.0])],
    "xlogy gradient": lambda m: _grad(m, m.math.xlogy, np.array([0.0, 2.0, -1.0]),
                                      np.array([1.0, 3.0, 0.5])),
    "inverse hyperbolic": lambda m: _grad(m, lambda x: m.math.asinh(x) + m.math.acosh(x + 1)
                                          + m.math.atanh(x / 4), P),
    "cumprod": lambda m: _grad(m, lambda x: m.math.cumprod(x, 1, True, True), M),
    "cumulative_logsumexp": lambda m: _grad(
        m, lambda x: m.math.cumulative_logsumexp(x, 0, reverse=True), M * 100),
    "segments": lambda m: [f(M, [0, 0, 2, 2]) for f in (
        m.math.segment_sum, m.math.segment_mean, m.math.segment_max, m.math.segment_min,
        m.math.segment_prod)],
    "unsorted segments": lambda m: [f(M, [3, -1, 0, 3], 4) for f in (
        m.math.unsorted_segment_sum, m.math.unsorted_segment_mean, m.math.unsorted_segment_max,
        m.math.unsorted_segment_min, m.math.unsorted_segment_prod,
        m.math.unsorted_segment_sqrt_n)],
    "segment_max gradient": lambda m: _grad(
        m, lambda x: m.math.unsorted_segment_max(x, [1, 0, 1, 1], 2), np.array([3.0, 1, 3, 2])),
    "counting": lambda m: [m.math.bincount([3, 1, 1], minlength=5),
                           m.math.confusion_matrix([0, 2, 1], [0, 1, 1]),
                           m.math.count_nonzero(M > 0, axis=1), m.math.zero_fraction([0, 1]),
                           m.math.in_top_k([1, 2], [[0.1, 0.5, 0.5], [1.0, 2.0, 0.0]], 1)],
    "top_k": lambda m: list(m.math.top_k(M, 2)),
    "top_k gradient": lambda m: _grad(m, lambda x: m.math.top_k(x, 2).values, M),
    "conv2d": lambda m: _grad(m, lambda x, w: m.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), X, W),
    "conv2d dilated": lambda m: _grad(m, lambda x, w: m.nn.conv2d(x, w, 1, "SAME", dilations=2),
                                      X, W),
    "conv1d": lambda m: _grad(m, lambda x, w: m.nn.conv1d(x, w, 2, "VALID"), X[0], W[0]),
    "conv2d_transpose": lambda m: _grad(
        m, lambda x, w: m.nn.conv2d_transpose(x, w, [2, 9, 11, 3], 2, "SAME"), X[:, :, :, :1]
        .repeat(4, -1), W),
    "depthwise and separable": lambda m: _grad(m, lambda x, w, p: m.nn.separable_conv2d(
        x, w, p, [1, 2, 2, 1], "SAME"), X, W[:, :, :, :2],
        W[:1, :1, :, :2].reshape(1, 1, 6, 1)),
    "ndtri lbeta": lambda m: [m.math.ndtri(P / 4), m.math.lbeta(M + 2)],
    "max_pool2d": lambda m: _grad(m, lambda x: m.nn.max_pool2d(x, 3, 2, "SAME"), X),
    "avg_pool2d": lambda m: _grad(m, lambda x: m.nn.avg_pool2d(x, [2, 3], [1, 2], "SAME"), X),
    "activations": lambda m: _grad(m, lambda x: m.nn.gelu(x) + m.nn.gelu(x, approximate=True)
                                   + m.nn.selu(x) + m.nn.silu(x), M),
    "losses": lambda m: [m.nn.log_poisson_loss(P, M[:2].ravel(), compute_full_loss=True),
                         m.nn.weighted_cross_entropy_with_logits(P / 3, M[:2].ravel(), 2.5),
                         m.nn.batch_normalization(M, *np.array([[0.5], [2.0], [0.1], [3.0]]), 1e-3),
                         m.nn.crelu(M), m.nn.compute_average_loss(P),
                         m.nn.embedding_lookup(M, [[3, 0]], max_norm=1.0)],
}


def _numpy(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_numpy(v) for v in x]
    return np.asarray(x)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_tensorflow(name: str) -> None:
    ours, theirs = _numpy(CASES[name](tapegrad)), _numpy(CASES[name](tensorflow))
    ours, theirs = (v if isinstance(v, list) else [v] for v in (ours, theirs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=2e-5 if a.dtype == np.float32 else 1e-10,
                                       atol=1e-5 if a.dtype == np.float32 else 1e-12)
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["categorical", "gamma", "poisson", "stateless_normal",
                                  "stateless_uniform", "truncated_normal", "Generator"])
def test_random_shapes_and_dtypes_match(name: str) -> None:
    def draw(m: Any) -> Any:
        r = m.random
        return {"categorical": lambda: r.categorical([[0.0, 1.0], [1.0, 0.0]], 5),
                "gamma": lambda: r.gamma([3], [1.0, 2.0], [[1.0], [2.0]], dtype=m.float64),
                "poisson": lambda: r.poisson([3, 1], [1.0, 2.0], dtype=m.int32),
                "stateless_normal": lambda: r.stateless_normal([2, 3], [4, 5]),
                "stateless_uniform": lambda: r.stateless_uniform([3], [4, 5], 0, 7, m.int64),
                "truncated_normal": lambda: r.truncated_normal([4], dtype=m.float64),
                "Generator": lambda: r.Generator.from_seed(3).make_seeds(4)}[name]()
    ours, theirs = draw(tapegrad), draw(tensorflow)
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name == theirs.dtype.name


def test_gamma_sample_gradient_is_tensorflows() -> None:
    from tapegrad.ops.random import _gamma_alpha_rule
    alpha = np.array([0.3, 1.0, 2.5, 10.0, 50.0])
    x = np.array([0.1, 2.0, 0.7, 12.0, 45.0])
    want = tensorflow.raw_ops.RandomGammaGrad(alpha=alpha, sample=x).numpy()
    got = _gamma_alpha_rule(np, np.ones(5), x, alpha, None, None, None)
    np.testing.assert_allclose(got, want, rtol=1e-6)


MINE = {
    "": ["gather_nd", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add",
         "tensor_scatter_nd_sub", "tensor_scatter_nd_max", "tensor_scatter_nd_min", "slice",
         "strided_slice", "repeat", "roll", "meshgrid", "unique", "unique_with_counts",
         "searchsorted", "sequence_mask", "reverse_sequence", "acosh", "asinh", "atanh", "add_n"],
    "math": ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "zeta", "xlogy", "xdivy",
             "xlog1py", "divide_no_nan", "multiply_no_nan", "reciprocal_no_nan", "acosh",
             "asinh", "atanh", "cumprod", "cumulative_logsumexp", "segment_sum", "segment_mean",
             "segment_max", "segment_min", "segment_prod", "unsorted_segment_sum",
             "unsorted_segment_mean", "unsorted_segment_max", "unsorted_segment_min",
             "unsorted_segment_prod", "unsorted_segment_sqrt_n", "bincount", "count_nonzero",
             "top_k", "in_top_k", "polyval", "add_n", "confusion_matrix", "is_non_decreasing",
             "is_strictly_increasing", "rint", "zero_fraction", "ndtri", "lbeta"],
    "nn": ["gelu", "crelu", "log_poisson_loss", "weighted_cross_entropy_with_logits",
           "batch_normalization", "embedding_lookup", "compute_average_loss",
           "scale_regularization_loss", "top_k", "in_top_k", "zero_fraction", "conv1d",
           "conv2d", "conv2d_transpose", "convolution", "max_pool", "max_pool1d", "max_pool2d",
           "avg_pool", "avg_pool1d", "avg_pool2d", "depthwise_conv2d", "separable_conv2d"],
    "random": ["categorical", "gamma", "poisson", "stateless_normal", "stateless_uniform",
               "stateless_truncated_normal", "stateless_categorical", "stateless_gamma",
               "stateless_poisson", "stateless_binomial", "Generator", "split", "fold_in",
               "Algorithm", "create_rng_state", "get_global_generator", "set_global_generator"],
    "random.experimental": ["stateless_split", "stateless_fold_in", "stateless_shuffle",
                            "Generator", "create_rng_state"],
}


@pytest.mark.parametrize("namespace", list(MINE))
def test_names_are_where_tensorflow_has_them(namespace: str) -> None:
    def module(m: Any) -> Any:
        for part in filter(None, namespace.split(".")):
            m = getattr(m, part)
        return m
    for name in MINE[namespace]:
        assert hasattr(module(tensorflow), name), f"TensorFlow has no {namespace}.{name}"
        assert hasattr(module(tapegrad), name), f"tapegrad lacks {namespace}.{name}"
