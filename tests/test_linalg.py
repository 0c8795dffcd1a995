"""tf.linalg beyond the op table: TensorFlow's conventions (return orders, which triangle is
read, the shape of gradients), errors, and values and gradients against TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tapegrad as tf


def _spd(n: int, seed: int = 0) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def test_decompositions_reconstruct_their_input() -> None:
    a = np.random.default_rng(1).normal(size=(2, 4, 3))
    s, u, v = tf.linalg.svd(a)
    assert (s.shape, u.shape, v.shape) == ((2, 3), (2, 4, 3), (2, 3, 3))
    np.testing.assert_allclose((u.numpy() * s.numpy()[:, None, :]) @ np.swapaxes(v.numpy(), 1, 2),
                               a, atol=1e-12)
    s, u, v = tf.linalg.svd(a, full_matrices=True)
    assert (u.shape, v.shape) == ((2, 4, 4), (2, 3, 3))
    q, r = tf.linalg.qr(a)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-12)
    assert np.allclose(np.tril(r.numpy(), -1), 0)
    sym = _spd(3)
    e, vecs = tf.linalg.eigh(sym)
    np.testing.assert_allclose(vecs.numpy() @ np.diag(e.numpy()) @ vecs.numpy().T, sym,
                               atol=1e-12)
    chol = tf.linalg.cholesky(sym).numpy()
    np.testing.assert_allclose(chol @ chol.T, sym, atol=1e-12)


def test_float32_stays_float32() -> None:
    a = tf.constant(_spd(3).astype(np.float32))
    for out in [tf.linalg.cholesky(a), *tf.linalg.svd(a), *tf.linalg.qr(a), *tf.linalg.eigh(a),
                *tf.linalg.slogdet(a), tf.linalg.logdet(a), tf.linalg.expm(a / 10.0),
                tf.linalg.pinv(a), tf.linalg.lstsq(a, a), tf.linalg.triangular_solve(a, a)]:
        assert out.dtype == tf.float32


def test_only_the_lower_triangle_is_read() -> None:
    sym = _spd(3)
    garbage = sym + np.triu(np.full((3, 3), 100.0), 1)
    np.testing.assert_allclose(tf.linalg.cholesky(garbage).numpy(), np.linalg.cholesky(sym))
    np.testing.assert_allclose(tf.linalg.eigvalsh(garbage).numpy(), np.linalg.eigvalsh(sym))
    np.testing.assert_allclose(tf.linalg.triangular_solve(garbage, np.eye(3)).numpy(),
                               np.linalg.inv(np.tril(sym)), atol=1e-12)


def test_gradient_shapes_follow_tensorflow() -> None:
    """Cholesky's gradient is symmetric; eigh's lives on the lower triangle it reads."""
    x = tf.constant(_spd(3))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        chol = tf.reduce_sum(tf.linalg.cholesky(x) * np.arange(9.0).reshape(3, 3))
        eig = tf.reduce_sum(tf.linalg.eigvalsh(x) * [1.0, 2.0, 3.0])
    g = tape.gradient(chol, x).numpy()
    np.testing.assert_allclose(g, g.T)
    g = tape.gradient(eig, x).numpy()
    assert np.all(np.triu(g, 1) == 0) and np.any(np.tril(g, -1) != 0)


def test_batches_broadcast_in_triangular_solve() -> None:
    a = np.tril(np.random.default_rng(2).normal(size=(2, 3, 3))) + 3 * np.eye(3)
    b = np.random.default_rng(3).normal(size=(3, 2))
    x = tf.linalg.triangular_solve(a, b)
    assert x.shape == (2, 3, 2)
    np.testing.assert_allclose(a @ x.numpy(), np.broadcast_to(b, (2, 3, 2)), atol=1e-12)


def test_diag_sizes_and_padding() -> None:
    out = tf.linalg.diag([1.0, 2.0], k=1, num_rows=2, num_cols=3, padding_value=9.0)
    assert out.numpy().tolist() == [[9, 1, 9], [9, 9, 2]]
    assert tf.linalg.diag([1.0, 2.0], k=-1, num_cols=2).numpy().tolist() == [[0, 0], [1, 0],
                                                                              [0, 2]]
    assert tf.linalg.diag([1.0, 2.0], k=1).shape == (3, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not consistent"):
        tf.linalg.diag([1.0, 2.0], num_rows=3, num_cols=4)
    assert tf.linalg.diag_part(np.arange(12.0).reshape(3, 4), k=-1).numpy().tolist() == [4, 9]
    with pytest.raises(ValueError, match="one diagonal offset"):
        tf.linalg.diag_part(tf.eye(3), k=(0, 1))


def test_errors_name_the_problem() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be square"):
        tf.linalg.eigh(tf.ones((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank >= 2"):
        tf.linalg.svd([1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="only defined for 3-element"):
        tf.linalg.cross([1.0, 2.0], [3.0, 4.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"same shape: \[2,3\] vs. \[3\]"):
        tf.linalg.cross(tf.ones((2, 3)), tf.ones(3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="same number of rows"):
        tf.linalg.lstsq(tf.ones((3, 2)), tf.ones((2, 1)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="diagonal must have shape"):
        tf.linalg.set_diag(tf.zeros((3, 3)), [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="allowed values"):
        tf.linalg.cholesky(tf.eye(2, dtype=tf.int32))


def test_cholesky_of_an_indefinite_matrix_is_nan_as_in_tensorflow() -> None:
    out = tf.linalg.cholesky([[[1.0, 2.0], [2.0, 1.0]], [[4.0, 0.0], [0.0, 1.0]]]).numpy()
    assert np.isnan(out[0][np.tril_indices(2)]).all() and out[0, 0, 1] == 0
    assert out[1].tolist() == [[2.0, 0.0], [0.0, 1.0]]


def test_gradients_tensorflow_does_not_define() -> None:
    tall = tf.constant(np.random.default_rng(4).normal(size=(3, 2)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(tall)
        _, u, _ = tf.linalg.svd(tall, full_matrices=True)
        q, _ = tf.linalg.qr(tall, full_matrices=True)
        slow = tf.linalg.lstsq(tall, tf.ones((3, 1), tf.float64), fast=False)
    with pytest.raises(NotImplementedError, match="full_matrices is set to True"):
        tape.gradient(u, tall)
    with pytest.raises(NotImplementedError, match="nrows > ncols and full_matrices"):
        tape.gradient(q, tall)
    with pytest.raises(ValueError, match="Gradient not defined for fast=False"):
        tape.gradient(slow, tall)
    np.testing.assert_allclose(slow.numpy(), np.linalg.lstsq(tall.numpy(), np.ones((3, 1)),
                                                              rcond=None)[0])


def test_regularized_slow_lstsq_matches_the_fast_one() -> None:
    a = np.random.default_rng(5).normal(size=(4, 3))
    b = np.random.default_rng(6).normal(size=(4, 2))
    np.testing.assert_allclose(tf.linalg.lstsq(a, b, 0.3, fast=False).numpy(),
                               tf.linalg.lstsq(a, b, 0.3).numpy(), atol=1e-12)


def test_pinv_drops_tiny_singular_values() -> None:
    a = np.array([[1.0, 0.0], [0.0, 1e-20]])
    np.testing.assert_allclose(tf.linalg.pinv(a).numpy(), [[1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(tf.linalg.pinv(a, rcond=1e-30).numpy(), np.diag([1.0, 1e20]))


def test_hessian_of_logdet_by_forward_over_backward() -> None:
    """d²/dX² log det X [U] = -X⁻¹ U X⁻¹ on symmetric directions."""
    x = tf.constant(_spd(3))
    u = np.random.default_rng(7).normal(size=(3, 3))
    u = tf.constant(u + u.T)
    with tf.autodiff.ForwardAccumulator(x, u) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.linalg.logdet(x)
        g = tape.gradient(y, x)
    inv = np.linalg.inv(x.numpy())
    np.testing.assert_allclose(g.numpy(), inv, atol=1e-12)
    np.testing.assert_allclose(acc.jvp(g).numpy(), -inv @ u.numpy() @ inv, atol=1e-12)


# ----- against TensorFlow -----

def _both(fn: Any, *values: np.ndarray) -> tuple[list[Any], list[Any]]:
    """fn's outputs and gradients (of a fixed weighting of them) in tapegrad and TensorFlow."""
    tf_ = pytest.importorskip("tensorflow")
    results = []
    for lib in (tf, tf_):
        xs = [lib.constant(v) for v in values]
        with lib.GradientTape() as tape:
            tape.watch(xs)
            outs = fn(lib, *xs)
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            terms = [lib.reduce_sum(o * np.linspace(0.5, 1.5, int(np.prod(o.shape)))
                                    .reshape(o.shape)) for o in outs]
            total = sum(terms[1:], terms[0])
        grads = tape.gradient(total, xs)
        results.append(([o.numpy() for o in outs], [g.numpy() for g in grads]))
    return results[0], results[1]


def _sign_free(x: Any) -> Any:
    return x * x[..., :1, :]


CASES = {
    "cholesky": (lambda lib, x: lib.linalg.cholesky(x), [_spd(3)]),
    "eigh": (lambda lib, x: (lambda e, v: [e, _sign_free(v)])(*lib.linalg.eigh(x)),
             [_spd(3) - 4 * np.eye(3)]),
    "svd": (lambda lib, x: (lambda s, u, v: [s, _sign_free(u), _sign_free(v)])(
        *lib.linalg.svd(x)), [np.random.default_rng(8).normal(size=(4, 3))]),
    "qr": (lambda lib, x: list(lib.linalg.qr(x)), [np.random.default_rng(9).normal(size=(3, 3))]),
    "qr wide": (lambda lib, x: list(lib.linalg.qr(x)),
                [np.random.default_rng(10).normal(size=(2, 4))]),
    "slogdet": (lambda lib, x: lib.linalg.slogdet(x)[1],
                [np.random.default_rng(11).normal(size=(2, 3, 3))]),
    "triangular_solve": (lambda lib, a, b: lib.linalg.triangular_solve(a, b, lower=False,
                                                                       adjoint=True),
                         [np.triu(_spd(3)), np.ones((3, 2))]),
    "lstsq": (lambda lib, a, b: lib.linalg.lstsq(a, b, l2_regularizer=0.1),
              [np.random.default_rng(12).normal(size=(4, 3)), np.ones((4, 1))]),
    "expm": (lambda lib, x: lib.linalg.expm(x), [np.random.default_rng(13).normal(size=(3, 3))]),
    "pinv": (lambda lib, x: lib.linalg.pinv(x), [np.random.default_rng(14).normal(size=(3, 2))]),
    "diagonals": (lambda lib, x: lib.linalg.set_diag(lib.linalg.band_part(x, 1, 0),
                                                     lib.linalg.diag_part(x, k=1) * 2.0, k=-1),
                  [np.random.default_rng(15).normal(size=(2, 3, 3))]),
    "cross and normalize": (lambda lib, a, b: lib.linalg.normalize(lib.linalg.cross(a, b))[0],
                            [np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_tensorflow(name: str) -> None:
    fn, values = CASES[name]
    (mine, my_grads), (theirs, their_grads) = _both(fn, *values)
    for a, b in zip(mine + my_grads, theirs + their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_names_where_tensorflow_has_them() -> None:
    tf_ = pytest.importorskip("tensorflow")
    names = ["adjoint", "band_part", "cholesky", "cholesky_solve", "cross", "diag", "diag_part",
             "eigh", "eigvalsh", "expm", "logdet", "lstsq", "normalize", "pinv", "qr",
             "set_diag", "slogdet", "svd", "trace", "triangular_solve", "LinearOperatorDiag",
             "LinearOperatorFullMatrix"]
    for name in names:
        for namespace in ("", "linalg", "math", "nn"):
            theirs = getattr(tf_, namespace) if namespace else tf_
            mine = getattr(tf, namespace) if namespace else tf
            assert hasattr(theirs, name) == hasattr(mine, name), (namespace, name)
    assert hasattr(tf.autodiff, "ForwardAccumulator") and tf.autodiff.GradientTape is \
        tf.GradientTape


def test_linear_operators() -> None:
    m = np.array([[2.0, 1.0], [0.5, 3.0]])
    x = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, 1.0]])
    full = tf.linalg.LinearOperatorFullMatrix(m)
    assert full.shape == (2, 2) and full.batch_shape == () and full.is_square
    assert full.domain_dimension == 2 and full.range_dimension == 2 and full.tensor_rank == 2
    np.testing.assert_allclose(full.matmul(x).numpy(), m @ x)
    np.testing.assert_allclose((full @ x).numpy(), m @ x)
    np.testing.assert_allclose(full.matmul(x, adjoint=True).numpy(), m.T @ x)
    np.testing.assert_allclose(full.matmul(x.T, adjoint_arg=True).numpy(), m @ x)
    np.testing.assert_allclose(full.solve(x).numpy(), np.linalg.solve(m, x))
    np.testing.assert_allclose(full.solvevec([1.0, 1.0]).numpy(), np.linalg.solve(m, [1, 1]))
    np.testing.assert_allclose(float(full.log_abs_determinant()), np.log(abs(np.linalg.det(m))))
    np.testing.assert_allclose(full.H.to_dense().numpy(), m.T)
    assert float(full.trace()) == 5.0
    d = np.array([[2.0, -4.0], [1.0, 0.5]])  # a batch of two diagonal operators
    diag = tf.linalg.LinearOperatorDiag(d)
    assert diag.shape == (2, 2, 2) and diag.batch_shape == (2,) and diag.is_self_adjoint
    dense = np.stack([np.diag(row) for row in d])
    np.testing.assert_allclose(diag.to_dense().numpy(), dense)
    np.testing.assert_allclose(diag.matmul(x[:, :2]).numpy(), dense @ x[:, :2])
    np.testing.assert_allclose(diag.matvec([1.0, 1.0]).numpy(), d)
    np.testing.assert_allclose(diag.solve(x[:, :2]).numpy(), np.linalg.solve(dense, x[:, :2]))
    np.testing.assert_allclose(diag.determinant().numpy(), np.linalg.det(dense))
    np.testing.assert_allclose(diag.log_abs_determinant().numpy(),
                               np.linalg.slogdet(dense)[1])
    with pytest.raises(ValueError, match="Dimensions 2 and 3 are not compatible"):
        diag.matmul(tf.ones((3, 1), tf.float64))
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.linalg.LinearOperatorDiag(v).log_abs_determinant()
    assert tape.gradient(y, v).numpy().tolist() == [1.0, 0.5]


def test_singular_and_nan_inputs_as_tensorflow_treats_them() -> None:
    a = np.array([[2.0, 0.0], [1.0, 0.0]])
    assert tf.linalg.triangular_solve(a, [[2.0], [3.0]]).numpy().ravel().tolist() == [1.0, np.inf]
    assert tf.linalg.triangular_solve(a, [[2.0], [3.0]], adjoint=True).numpy().ravel().tolist() \
        == [-np.inf, np.inf]
    nan = np.full((3, 2), np.nan)
    s, u, v = tf.linalg.svd(nan)
    assert (s.shape, u.shape, v.shape) == ((2,), (3, 2), (2, 2)) and np.isnan(u.numpy()).all()
    assert np.isnan(tf.linalg.pinv(nan).numpy()).all()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Self-adjoint eigen decomposition"):
        tf.linalg.eigh(np.full((2, 2), np.nan))
