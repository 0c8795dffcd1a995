"""What the estimators share: scikit-learn's parameter protocol, input checks, the training loop.

An estimator trains *working* parameters on *working* features: the raw features (or, for the
polynomial model, their monomials), optionally standardised. ``_Basis`` maps the working
coefficients back to coefficients of the raw features, so ``coef_`` is always in the data's own
units; with ``standardize=True`` the target of a regression is scaled too. The map is a pure
change of variables: the penalty is charged on the raw-unit coefficients, so standardising
changes how fast the optimizer gets there, not where it ends.
"""

from __future__ import annotations

import inspect
import itertools
import math
import sys
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .. import solvers
from ..ops.linalg import matmul
from ..ops.math import abs as tf_abs
from ..ops.math import square
from ..ops.reduce import reduce_sum
from ..tape import GradientTape
from ..tensor import Variable, constant

PENALTIES = (None, "l1", "l2")
SOLVERS = ("auto", "newton", "lbfgs", "gradient")
CHUNK = 1 << 16  # rows per block when summing the loss, gradient and Hessian over the data


# ----- scikit-learn's exception and warning, without importing scikit-learn -----

class NotFittedError(ValueError, AttributeError):
    """``predict`` (and friends) called before ``fit``.

    When scikit-learn is loaded the error raised is also an instance of scikit-learn's
    ``NotFittedError``, so code written for either catches it.

    >>> from tapegrad.models import LinearRegression, NotFittedError
    >>> try:
    ...     LinearRegression().predict([[1.0]])
    ... except NotFittedError as e:
    ...     print(str(e)[:41])
    This LinearRegression instance is not fit
    """


class DataConversionWarning(UserWarning):
    """A column vector was given where a 1-d target was expected, and was flattened."""


def _with_sklearn(ours: type, module: str, name: str) -> type:
    """``ours``, or a subclass of it and of scikit-learn's class of that name if sklearn is loaded.

    scikit-learn's checks test for its own classes; importing it to get them would cost every
    user of tapegrad half a second, so its class is used only when something else loaded it.
    """
    theirs = getattr(sys.modules.get(module), name, None)
    if theirs is None:
        return ours
    cached = _SKLEARN_TWINS.get((ours, theirs))
    if cached is None:
        cached = _SKLEARN_TWINS[(ours, theirs)] = type(name, (ours, theirs), {})
    return cached


_SKLEARN_TWINS: dict[tuple[type, type], type] = {}


# ----- input checks, in scikit-learn's words (its estimator checks match some of them) -----

def check_X(X: Any, estimator: str) -> np.ndarray:
    """A 2-d float array without NaN or inf; float32 stays float32, other numbers become float64."""
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(f"{estimator} does not support sparse input: sparse data was passed; "
                        "convert it with X.toarray()")
    X = np.asarray(X)
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported: X has complex values")
    if X.dtype.kind not in "f" or X.dtype.itemsize < 4:
        X = X.astype(np.float32 if X.dtype == np.float16 else np.float64)
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array, got {'scalar' if X.ndim == 0 else f'{X.ndim}D'} "
                         "array instead. Reshape your data either using array.reshape(-1, 1) if "
                         "your data has a single feature or array.reshape(1, -1) if it contains a "
                         "single sample.")
    if X.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 "
                         f"is required by {estimator}.")
    if X.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 "
                         f"is required by {estimator}.")
    _check_finite(X, "X")
    return X


def _check_finite(a: np.ndarray, name: str) -> None:
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        if np.isnan(a).any():
            raise ValueError(f"Input {name} contains NaN.")
        raise ValueError(f"Input {name} contains infinity or a value too large for "
                         f"dtype({a.dtype.name!r}).")


def check_y(y: Any, n_samples: int, estimator: str) -> np.ndarray:
    """A 1-d target with one entry per sample; a column vector is flattened with a warning."""
    if y is None:
        raise ValueError(f"{estimator} requires y to be passed, but the target y is None.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(_with_sklearn(DataConversionWarning, "sklearn.exceptions",
                                    "DataConversionWarning")(
            "A column-vector y was passed when a 1d array was expected. Please change the shape "
            "of y to (n_samples, ), for example using ravel()."), stacklevel=3)
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
    if y.shape[0] != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{n_samples}, {y.shape[0]}]")
    if y.dtype.kind == "c":
        raise ValueError("Complex data not supported: y has complex values")
    if y.dtype.kind == "f":
        _check_finite(y, "y")
    return y


def _check_param(ok: bool, name: str, estimator: str, wanted: str, value: Any) -> None:
    if not ok:
        raise ValueError(f"The {name!r} parameter of {estimator} must be {wanted}; got "
                         f"{value!r}.")


# ----- the working features and the map back to raw units -----

def monomial_powers(n_features: int, degree: int) -> np.ndarray:
    """Exponents of every monomial of degree 1..degree, in scikit-learn's PolynomialFeatures order.

    >>> monomial_powers(2, 2).tolist()
    [[1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    """
    rows = []
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(n_features), d):
            row = [0] * n_features
            for j in combo:
                row[j] += 1
            rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(-1, n_features)


def monomials(X: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """The columns prod_j X[:, j] ** powers[k, j], in X's dtype."""
    if powers.shape[0] == X.shape[1] and np.array_equal(powers, np.eye(X.shape[1], dtype=int)):
        return X
    out = np.ones((X.shape[0], powers.shape[0]), dtype=X.dtype)
    for k, row in enumerate(powers):
        for j in np.flatnonzero(row):
            out[:, k] *= X[:, j] ** row[j]
    return out


def _expansion(powers: np.ndarray, scale: np.ndarray, shift: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each monomial of z = scale * x + shift as a combination of the monomials of x.

    Returns (E, e0) with monomial_k(z) = sum_l E[l, k] monomial_l(x) + e0[k].
    """
    index = {tuple(row): i for i, row in enumerate(powers.tolist())}
    p = powers.shape[0]
    E, e0 = np.zeros((p, p)), np.zeros(p)
    for k, row in enumerate(powers.tolist()):
        for q in itertools.product(*(range(r + 1) for r in row)):
            c = 1.0
            for j, (r, qj) in enumerate(zip(row, q)):
                if r:
                    c *= math.comb(r, qj) * scale[j] ** qj * shift[j] ** (r - qj)
            if any(q):
                E[index[q], k] += c
            else:
                e0[k] += c
    return E, e0


class _Basis:
    """The working features of X and the affine map from working to raw-unit coefficients.

    Raw-unit model: f = monomials(X) @ w + b. Working model: f = sy * (Z @ theta + beta) + my with
    Z = (monomials(z) - m) / s and z = (X - mu) / sigma. Then w = sy * (E / s) @ theta and
    b = sy * (((e0 - m) / s) @ theta + beta) + my.
    """

    def __init__(self, X: np.ndarray, degree: int, standardize: bool) -> None:
        self.powers = monomial_powers(X.shape[1], degree)
        p = self.powers.shape[0]
        if not standardize:
            with np.errstate(over="ignore"):  # an overflow is reported just below
                self.Z = monomials(X, self.powers)
            if degree > 1 and not np.isfinite(self.Z).all():
                raise ValueError(f"the monomials of X up to degree {degree} overflow "
                                 f"{X.dtype.name}; fit with standardize=True")
            self.to_raw, self.offset = np.eye(p), np.zeros(p)
            return
        mu, sigma = _mean_std(X)
        phi = monomials((X - mu) / sigma, self.powers)
        if degree == 1:  # z is standardised already
            self.Z, m, s = phi, np.zeros(p), np.ones(p)
        else:
            m, s = _mean_std(phi)
            self.Z = (phi - m) / s
        # the map uses the dtype-rounded statistics that made Z, in float64
        inv = 1.0 / sigma.astype(np.float64)
        E, e0 = _expansion(self.powers, inv, -mu.astype(np.float64) * inv)
        s64 = np.asarray(s, np.float64)
        self.to_raw = E / s64
        self.offset = (e0 - np.asarray(m, np.float64)) / s64

    def raw(self, theta: np.ndarray, beta: np.ndarray, sy: float, my: float
            ) -> tuple[np.ndarray, np.ndarray]:
        """Raw-unit (w, b) of working (theta, beta), for one step or a leading axis of steps."""
        w = sy * np.einsum("lp,...pk->...lk", self.to_raw, theta)
        b = sy * (np.einsum("p,...pk->...k", self.offset, theta) + beta) + my
        return w, b


def _mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations in X's dtype (float64 sums); a zero std becomes 1."""
    mean = X.mean(axis=0, dtype=np.float64).astype(X.dtype)
    var = np.square(X - mean).mean(axis=0, dtype=np.float64)
    std = np.sqrt(var).astype(X.dtype)
    std[std == 0] = 1
    return mean, std


# ----- the estimator base -----

class Estimator:
    """scikit-learn's estimator protocol: parameters from ``__init__``, repr, tags, fitted state."""

    _estimator_type = ""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, by name (``deep`` is scikit-learn's; nothing nests here).

        >>> from tapegrad.models import LinearRegression
        >>> LinearRegression(alpha=0.5).get_params()["alpha"]
        0.5
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set constructor parameters by name; returns self.

        >>> from tapegrad.models import LinearRegression
        >>> LinearRegression().set_params(max_steps=50).max_steps
        50
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for estimator {self!r}. Valid "
                                 f"parameters are: {valid!r}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default
                    for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if not _same(value, defaults.get(name))]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags
        classifier = self._estimator_type == "classifier"
        return Tags(estimator_type=self._estimator_type, target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags() if classifier else None,
                    regressor_tags=None if classifier else RegressorTags(),
                    non_deterministic=self.get_params().get("batch_size") is not None
                    and self.get_params().get("random_state") is None)

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise _with_sklearn(NotFittedError, "sklearn.exceptions", "NotFittedError")(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator.")

    def _check_predict_X(self, X: Any) -> np.ndarray:
        self._check_fitted()
        X = check_X(X, type(self).__name__)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input.")
        return X


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b


class GradientModel(Estimator):
    """A linear model in working units, trained by a tapegrad optimizer on the tape.

    Subclasses say how targets become working targets (``_targets``), what the data loss is
    (``_data_loss``) and how the raw-unit parameters are laid out (``_store``).
    """

    degree = 1

    def __init__(self, *, penalty: str | None = None, alpha: float = 0.01, solver: str = "auto",
                 optimizer: Any = "adam", learning_rate: float = 0.01, max_steps: int = 1000,
                 tol: float = 1e-10, batch_size: int | None = None, standardize: bool = False,
                 random_state: int | None = None) -> None:
        self.penalty = penalty
        self.alpha = alpha
        self.solver = solver
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_steps = max_steps
        self.tol = tol
        self.batch_size = batch_size
        self.standardize = standardize
        self.random_state = random_state

    def _validate_params(self) -> None:
        name = type(self).__name__
        _check_param(self.penalty in PENALTIES, "penalty", name, "None, 'l1' or 'l2'",
                     self.penalty)
        _check_param(_is_real(self.alpha) and self.alpha >= 0, "alpha", name, "a float >= 0",
                     self.alpha)
        _check_param(_is_int(self.max_steps) and self.max_steps >= 1, "max_steps", name,
                     "an int >= 1", self.max_steps)
        _check_param(_is_real(self.tol) and self.tol >= 0, "tol", name, "a float >= 0",
                     self.tol)
        _check_param(_is_real(self.learning_rate) and self.learning_rate > 0, "learning_rate",
                     name, "a float > 0", self.learning_rate)
        _check_param(self.batch_size is None or (_is_int(self.batch_size)
                                                 and self.batch_size >= 1),
                     "batch_size", name, "None or an int >= 1", self.batch_size)
        _check_param(isinstance(self.standardize, (bool, np.bool_)), "standardize", name,
                     "True or False", self.standardize)
        _check_param(self.random_state is None or _is_int(self.random_state)
                     or isinstance(self.random_state, np.random.Generator), "random_state",
                     name, "None, an int or a numpy Generator", self.random_state)
        _check_param(_is_int(self.degree) and self.degree >= 1, "degree", name, "an int >= 1",
                     self.degree)
        _check_param(self.solver in SOLVERS, "solver", name,
                     "'auto', 'newton', 'lbfgs' or 'gradient'", self.solver)
        _check_param(isinstance(self.optimizer, str) or hasattr(self.optimizer,
                                                                "apply_gradients"),
                     "optimizer", name, "a name such as 'adam' or a tapegrad optimizer",
                     self.optimizer)

    def _solver(self) -> str:
        """The solver ``"auto"`` stands for: Newton, unless mini-batches or an L1 penalty (not
        smooth) call for gradient steps."""
        l1 = self.penalty == "l1" and self.alpha != 0
        if self.solver == "auto":
            return "gradient" if self.batch_size is not None or l1 else "newton"
        if self.solver != "gradient" and (self.batch_size is not None or l1):
            why = "mini-batches (batch_size)" if self.batch_size is not None else "penalty='l1'"
            raise ValueError(f"solver={self.solver!r} works on the full, smooth objective; "
                             f"{why} need solver='gradient'")
        return self.solver

    def _fit(self, X: Any, y: Any, callback: Callable[[int, float], None] | None
             ) -> GradientModel:
        self._validate_params()
        if _is_dask(X) or _is_dask(y):
            from . import cluster  # Dask is imported only for Dask input
            return cluster.fit(self, X, y, callback)
        name = type(self).__name__
        names = _feature_names(X)
        X = check_X(X, name)
        y = check_y(y, X.shape[0], name)
        dtype = X.dtype
        solver = self._solver()
        basis = _Basis(X, int(self.degree), bool(self.standardize))
        target, sy, my, beta0 = self._targets(y, dtype)
        Z, p, k = basis.Z, basis.powers.shape[0], beta0.shape[0]
        history = _History(sy, dtype, callback)
        weights = _Weights((p, k), dtype, basis.to_raw, self.penalty, float(self.alpha), sy)
        if solver == "gradient":
            result = self._descend(Z, target, beta0, weights, history)
        else:
            x0 = np.concatenate([np.zeros(p * k), beta0.astype(np.float64)])
            data_loss = type(self)._data_loss

            def sums(W: np.ndarray, hessian: bool) -> tuple[Any, ...]:
                return sum_terms([glm_terms(Z[a:a + CHUNK], target[a:a + CHUNK], W, data_loss,
                                            hessian) for a in range(0, Z.shape[0], CHUNK)])

            result = self._second_order(solver, sums, x0, (p, k), weights, history)
        w, b = basis.raw(np.stack(history.thetas), np.stack(history.betas), sy, my)
        self._keep(w, b, dtype, X.shape[1], names, basis.powers)
        self._result(history, *result)
        return self

    def _result(self, history: _History, steps: int, converged: bool, final: float,
                gradient: float) -> None:
        self.history_["loss"] = np.array(history.losses)
        self.loss_, self.n_steps_, self.converged_ = final * history.sy ** 2, steps, converged
        self.gradient_norm_ = gradient

    def _keep(self, w: np.ndarray, b: np.ndarray, dtype: np.dtype, n_features: int,
              names: np.ndarray | None, powers: np.ndarray) -> None:
        """Store the raw-unit coefficients of every step (the last is the fit) and the data's
        shape and names."""
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        coef, intercept = self._store(w.astype(dtype), b.astype(dtype))
        self.coef_, self.intercept_ = coef[-1], intercept[-1]
        self.history_ = {"coef": coef, "intercept": intercept}
        if "degree" in self._param_names():
            self.powers_ = powers

    def _second_order(self, solver: str, sums: Callable[[np.ndarray, bool], Any],
                      x0: np.ndarray, shape: tuple[int, int], weights: _Weights,
                      on_step: _History) -> tuple[int, bool, float, float]:
        """Newton or L-BFGS on x = (theta, beta) flattened, float64; ``sums(W, hessian)`` gives
        the data loss summed over all rows, its gradient and Hessian in W = [theta; beta], and
        the number of rows. Returns (steps, converged, final loss, final gradient norm)."""
        p, k = shape
        penalty = weights.kind is not None
        if penalty:
            theta = weights.variables[0]
            penalty_terms = solvers._tape_terms(lambda: weights.penalty(theta), [theta])

        def terms(x: np.ndarray, hessian: bool) -> tuple[float, np.ndarray, Any]:
            f, G, H, n = sums(x.reshape(p + 1, k), hessian)
            f, G = f / n, G.reshape(-1) / n
            H = H / n if hessian else None
            if penalty:
                pf, pg, pH = penalty_terms(x[:p * k], hessian)
                f, G = f + pf, G + np.concatenate([pg, np.zeros(k)])
                if hessian:
                    H[:p * k, :p * k] += pH
            return f, G, H

        solve = solvers.newton if solver == "newton" else solvers.lbfgs
        x, f, g, steps, converged, _ = solve(
            terms, x0, int(self.max_steps), float(self.tol),
            lambda step, loss, x: on_step(step, loss, x[:p * k].reshape(p, k), x[p * k:]),
            type(self).__name__)
        if not math.isfinite(f):
            raise solvers.diverged(f, steps, None, type(self).__name__)
        if len(on_step.losses) == steps:  # else the last point is in the history already
            on_step(steps, f, x[:p * k].reshape(p, k), x[p * k:])
        return steps, converged, f, float(np.linalg.norm(g))

    def _descend(self, Z: np.ndarray, target: np.ndarray, beta0: np.ndarray, weights: _Weights,
                 on_step: Callable[..., None]) -> tuple[int, bool, float, float]:
        """Steps of a tapegrad optimizer, on all rows or shuffled mini-batches.
        Returns (steps, converged, final loss, final gradient norm)."""
        name = type(self).__name__
        beta = Variable(beta0, name="beta")
        optimizer = solvers.fresh_optimizer(
            self.optimizer, self.learning_rate if isinstance(self.optimizer, str) else None)
        n = Z.shape[0]
        batch = n if self.batch_size is None else min(int(self.batch_size), n)
        per_epoch = -(-n // batch)
        rng = np.random.default_rng(self.random_state)
        order = np.arange(n)

        def objective(rows: np.ndarray | None) -> Any:
            Zb, tb = (Z, target) if rows is None else (Z[rows], target[rows])
            theta = weights.theta()
            loss = self._data_loss(matmul(constant(Zb), theta) + beta, constant(tb))
            return loss + weights.penalty(theta)

        def loss_at(step: int) -> Any:
            if batch == n:
                return objective(None)
            start = (step % per_epoch) * batch
            if start == 0:
                rng.shuffle(order)
            return objective(order[start:start + batch])

        variables = [*weights.variables, beta]
        steps, converged = solvers.descend(
            loss_at, variables, optimizer, int(self.max_steps), float(self.tol),
            max(solvers.WINDOW, per_epoch),
            lambda step, loss: on_step(step, loss, weights.theta()._value, beta._value), name,
            after_step=weights.project)
        with GradientTape() as tape:
            loss = objective(None)
        final = float(loss)
        if not math.isfinite(final):
            raise solvers.diverged(final, steps, solvers.learning_rate_of(optimizer), name)
        grads = tape.gradient(loss, variables, unconnected_gradients="zero")
        on_step(steps, final, weights.theta()._value, beta._value)
        return steps, converged, final, float(np.sqrt(sum(np.sum(np.square(g._value))
                                                          for g in grads)))

    def _features(self, X: np.ndarray) -> np.ndarray:
        """The columns that ``coef_`` multiplies: X, or its monomials for a polynomial model."""
        return monomials(X, self.powers_) if hasattr(self, "powers_") else X


def glm_terms(Z: np.ndarray, target: np.ndarray, W: np.ndarray,
              data_loss: Callable[[Any, Any], Any], hessian: bool
              ) -> tuple[float, np.ndarray, np.ndarray | None]:
    """The data loss of the linear model ``Z @ W[:-1] + W[-1]`` summed over the rows of one
    block, its gradient in W and (if asked) its Hessian, in float64, from the tape.

    ``data_loss(eta, target)`` is the mean loss of the linear predictor eta (rows, k). Its
    derivatives in eta come from nested tapes (one backward pass per column of eta: the loss is
    a sum over rows); the chain rule through ``Z`` is two matrix products. Workers of a Dask
    cluster call this on their chunks.
    """
    n, k = Z.shape[0], W.shape[1]
    Z1 = np.empty((n, Z.shape[1] + 1))
    Z1[:, :-1], Z1[:, -1] = Z, 1.0
    eta = constant(Z1 @ W)
    labels = constant(target if target.dtype.kind in "iu" else target.astype(np.float64))
    with GradientTape(persistent=True) as outer, np.errstate(all="ignore"):
        outer.watch(eta)
        with GradientTape() as inner:
            inner.watch(eta)
            loss = data_loss(eta, labels) * n
        g = inner.gradient(loss, eta)
        columns = [g[:, c] for c in range(k)] if hessian else []
    G = Z1.T @ g._value
    if not hessian:
        return float(loss), G, None, n
    H = np.empty((Z1.shape[1], k, Z1.shape[1], k))
    for c, column in enumerate(columns):
        h = outer.gradient(column, eta)._value  # d g[:, c] / d eta, row by row
        for c2 in range(k):
            if c == c2 and np.all(h[:, c] >= 0):  # R.T @ R of one buffer: half the work (syrk)
                R = Z1 * np.sqrt(h[:, c:c + 1])
                H[:, c, :, c2] = R.T @ R
            else:
                H[:, c, :, c2] = Z1.T @ (Z1 * h[:, c2:c2 + 1])
    return float(loss), G, H.reshape(Z1.shape[1] * k, -1), n


def sum_terms(parts: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The sum of several blocks' terms, entry by entry (an entry that is None stays None)."""
    return tuple(None if part[0] is None else sum(part[1:], part[0]) for part in zip(*parts))


class _History:
    """The loss and working parameters before each step and at the end; calls ``callback`` with
    the loss in the data's units."""

    def __init__(self, sy: float, dtype: np.dtype,
                 callback: Callable[[int, float], None] | None) -> None:
        self.sy, self.dtype, self.callback = sy, dtype, callback
        self.thetas: list[np.ndarray] = []
        self.betas: list[np.ndarray] = []
        self.losses: list[float] = []

    def __call__(self, step: int, loss: float, theta: np.ndarray, beta: np.ndarray) -> None:
        self.losses.append(loss * self.sy ** 2)
        self.thetas.append(np.array(theta, self.dtype))
        self.betas.append(np.array(beta, self.dtype))
        if self.callback is not None:
            self.callback(step, loss * self.sy ** 2)


def _is_dask(a: Any) -> bool:
    return type(a).__module__.split(".")[0] in ("dask", "dask_expr")


class _Weights:
    """The working coefficients theta, as variables, and their penalty in raw units.

    The penalty is charged on the raw-unit coefficients ``to_raw @ theta`` and divided by sy**2
    like the working loss. An L1 penalty with a diagonal ``to_raw`` (every model but a
    standardised polynomial) splits theta = u - v with u, v >= 0, projected back onto u, v >= 0
    after each step: the penalty is then linear and smooth, so coefficients settle exactly at
    zero instead of rattling around it. Otherwise L1 takes plain subgradient steps.
    """

    def __init__(self, shape: tuple[int, int], dtype: np.dtype, to_raw: np.ndarray,
                 penalty: str | None, alpha: float, sy: float) -> None:
        self.kind = None if penalty is None or alpha == 0 else penalty
        diagonal = not np.any(to_raw - np.diag(np.diag(to_raw)))
        if diagonal:
            self.scale = constant(np.abs(np.diag(to_raw))[:, None].astype(dtype))
        else:
            self.scale = constant(to_raw.astype(dtype))
        self.diagonal = diagonal
        self.strength = alpha if self.kind == "l2" else alpha / sy
        self.split = self.kind == "l1" and diagonal
        if self.split:
            self.variables = [Variable(np.zeros(shape, dtype), name="theta_plus"),
                              Variable(np.zeros(shape, dtype), name="theta_minus")]
        else:
            self.variables = [Variable(np.zeros(shape, dtype), name="theta")]

    def theta(self) -> Any:
        if self.split:
            plus, minus = self.variables
            return plus - minus
        return self.variables[0]

    def penalty(self, theta: Any) -> Any:
        if self.kind is None:
            return 0.0
        if self.split:
            plus, minus = self.variables
            return self.strength * reduce_sum(self.scale * (plus + minus))
        raw = self.scale * theta if self.diagonal else matmul(self.scale, theta)
        if self.kind == "l2":
            return self.strength * reduce_sum(square(raw))
        return self.strength * reduce_sum(tf_abs(raw))

    def project(self) -> None:
        if self.split:
            for v in self.variables:
                v.assign(np.maximum(v._value, 0))


def _feature_names(X: Any) -> np.ndarray | None:
    """String column names of a data frame, as scikit-learn keeps them."""
    columns = getattr(X, "columns", None)
    if columns is None or not all(isinstance(c, str) for c in columns):
        return None
    return np.asarray(list(columns), dtype=object)


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v: Any) -> bool:
    return (isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_)) and math.isfinite(v))
