"""Least squares on the tape: ``LinearRegression`` and ``PolynomialRegression``.

The objective is the mean squared error plus an optional penalty on the coefficients (not the
intercept): ``alpha * sum(coef**2)`` for ``penalty="l2"``, ``alpha * sum(|coef|)`` for ``"l1"``
(the Keras regularisers' convention). Without a penalty the answer is ordinary least squares.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops.math import square
from ..ops.reduce import reduce_mean
from ._base import GradientModel, _mean_std


class LinearRegression(GradientModel):
    """Linear least squares with the tape's derivatives, in scikit-learn's conventions.

    ``solver``: ``"newton"`` (Newton's method with the Hessian from the tape, summed over
    blocks of rows; one step solves least squares), ``"lbfgs"`` (SciPy's L-BFGS-B with the tape's
    gradients), ``"gradient"`` (steps of ``optimizer``) or ``"auto"`` (the default: Newton,
    or gradient steps for mini-batches and L1 penalties, which are not smooth).
    ``penalty`` is None, ``"l2"`` or ``"l1"`` with strength ``alpha``. ``optimizer`` is a name
    (``"adam"``, ``"sgd"``, ...) built with ``learning_rate``, or a tapegrad optimizer (copied
    afresh for each fit). Training stops after ``max_steps`` steps, or when the mean loss of a
    block of 10 steps (of one epoch, with mini-batches) moved by at most ``tol * max(1, |loss|)``
    from the block before. ``batch_size`` turns on mini-batches, shuffled every epoch by a
    generator seeded with ``random_state``. ``standardize`` trains on standardised features and
    target; ``coef_`` and ``intercept_`` are always in the data's units, and the penalty is
    charged on them either way.

    After ``fit``: ``coef_`` (n_features,), ``intercept_``, ``loss_`` (the final objective),
    ``n_steps_``, ``converged_``, ``gradient_norm_`` (of the objective, in working units, at the
    end), ``history_`` (``"loss"``, ``"coef"``, ``"intercept"`` before each
    step, then at the end; with mini-batches the losses before the end are batch losses).

    >>> import numpy as np
    >>> from tapegrad.models import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 2 * X[:, 0] + 1
    >>> model = LinearRegression(learning_rate=0.1, standardize=True).fit(X, y)
    >>> model.coef_.round(3).tolist(), round(float(model.intercept_), 3)
    ([2.0], 1.0)
    >>> round(model.score(X, y), 4)
    1.0
    """

    _estimator_type = "regressor"

    def fit(self, X: Any, y: Any, *, callback: Callable[[int, float], None] | None = None
            ) -> LinearRegression:
        """Fit to X (n_samples, n_features) and y (n_samples,); returns self.

        ``callback(step, loss)`` is called before every step and once more with the final loss
        (the CLI's progress bar uses it).
        """
        return self._fit(X, y, callback)

    def predict(self, X: Any) -> np.ndarray:
        """The fitted values ``X @ coef_ + intercept_`` (with monomials for polynomials)."""
        X = self._check_predict_X(X)
        return self._features(X) @ self.coef_ + self.intercept_

    def score(self, X: Any, y: Any) -> float:
        """The coefficient of determination R² of the predictions (1 is a perfect fit)."""
        prediction = self.predict(X)
        y = np.asarray(y, dtype=np.float64).reshape(prediction.shape)
        residual = float(np.sum((y - prediction) ** 2))
        total = float(np.sum((y - y.mean()) ** 2))
        if total == 0:
            return 1.0 if residual == 0 else 0.0
        return 1.0 - residual / total

    # -- the GradientModel hooks --
    def _targets(self, y: np.ndarray, dtype: np.dtype
                 ) -> tuple[np.ndarray, float, float, np.ndarray]:
        if y.dtype.kind not in "fiub":
            y = y.astype(np.float64)  # numbers given as objects; anything else fails here
        y = y.astype(dtype, copy=False)
        if self.standardize:
            mean, std = _mean_std(y[:, None])
            my, sy = float(mean[0]), float(std[0])
            target = ((y - mean[0]) / std[0])[:, None]
        else:
            my, sy, target = 0.0, 1.0, y[:, None]
        return target, sy, my, np.array([target.mean(dtype=np.float64)], dtype)

    @staticmethod
    def _data_loss(prediction: Any, target: Any) -> Any:
        return reduce_mean(square(prediction - target))

    @staticmethod
    def _store(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return w[..., 0], b[..., 0]


class PolynomialRegression(LinearRegression):
    """Least squares on every monomial of the features up to ``degree``.

    The columns are ordered as scikit-learn's ``PolynomialFeatures`` without the bias column
    (``x, x², ...`` for one feature); ``powers_[k]`` holds the exponents of column k, and
    ``coef_[k]`` its coefficient in the data's units. With ``standardize=True`` training uses
    monomials of the standardised features, which are far better conditioned; the coefficients
    are converted back exactly. Other parameters as ``LinearRegression``.

    >>> import numpy as np
    >>> from tapegrad.models import PolynomialRegression
    >>> x = np.linspace(-1, 1, 9)[:, None]
    >>> y = 1 - 2 * x[:, 0] + 3 * x[:, 0] ** 2
    >>> model = PolynomialRegression(2, learning_rate=0.1, standardize=True).fit(x, y)
    >>> model.powers_.tolist(), model.coef_.round(2).tolist(), round(float(model.intercept_), 2)
    ([[1], [2]], [-2.0, 3.0], 1.0)
    """

    def __init__(self, degree: int = 2, *, penalty: str | None = None, alpha: float = 0.01,
                 solver: str = "auto", optimizer: Any = "adam", learning_rate: float = 0.01,
                 max_steps: int = 1000, tol: float = 1e-10, batch_size: int | None = None,
                 standardize: bool = False, random_state: int | None = None) -> None:
        self.degree = degree
        super().__init__(penalty=penalty, alpha=alpha, solver=solver, optimizer=optimizer,
                         learning_rate=learning_rate, max_steps=max_steps, tol=tol,
                         batch_size=batch_size, standardize=standardize,
                         random_state=random_state)
