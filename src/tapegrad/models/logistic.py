"""Logistic regression on the tape: binary (sigmoid) and multinomial (softmax).

The objective is the mean log loss plus an optional penalty on the coefficients (not the
intercepts): ``alpha * sum(coef**2)`` for ``penalty="l2"``, ``alpha * sum(|coef|)`` for ``"l1"``.
For n samples that is scikit-learn's ``LogisticRegression`` with ``C = 1 / (2 n alpha)`` (L2) or
``C = 1 / (n alpha)`` (L1).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops.nn import sigmoid_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits
from ..ops.reduce import reduce_mean
from ._base import GradientModel

_CONTINUOUS = ("Unknown label type: continuous. Maybe you are trying to fit a classifier, which "
               "expects discrete classes on a regression target with continuous values.")


def class_labels(y: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """The sorted classes of y and each sample's class index; refuses continuous or one-class y.

    >>> classes, index = class_labels(np.array(["b", "a", "b"]), "LogisticRegression")
    >>> classes.tolist(), index.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    values = y
    if y.dtype.kind == "O":
        if any(isinstance(v, (float, np.floating)) for v in y):
            values = y.astype(np.float64)
    if values.dtype.kind == "f" and not np.all(values == np.round(values)):
        raise ValueError(_CONTINUOUS)
    try:
        classes, index = np.unique(y, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in y})
        raise ValueError(f"Unknown label type: y mixes {', '.join(kinds)}") from None
    if classes.shape[0] < 2:
        raise ValueError(f"{estimator} needs samples of at least 2 classes in the data, but the "
                         f"data contains only one class: {classes[0]}")
    return classes, index.reshape(-1)


class LogisticRegression(GradientModel):
    """Logistic regression with the tape's derivatives, in scikit-learn's conventions.

    Two classes: one weight vector and a sigmoid (``coef_`` has shape (1, n_features)). More
    classes: one weight vector per class and a softmax (multinomial; ``coef_`` (n_classes,
    n_features)). Labels may be any sortable values; ``classes_`` holds them in order. The other
    parameters (``solver``: Newton by default), the stopping rule and ``history_`` are as for
    ``LinearRegression``;
    ``standardize`` scales the features only.

    >>> import numpy as np
    >>> from tapegrad.models import LogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0], [0.5], [-0.5]])
    >>> y = np.array(["no", "no", "yes", "yes", "no", "yes"])
    >>> model = LogisticRegression(learning_rate=0.1).fit(X, y)
    >>> model.classes_.tolist(), model.predict([[-3.0], [3.0]]).tolist()
    (['no', 'yes'], ['no', 'yes'])
    """

    _estimator_type = "classifier"

    def fit(self, X: Any, y: Any, *, callback: Callable[[int, float], None] | None = None
            ) -> LogisticRegression:
        """Fit to X (n_samples, n_features) and class labels y (n_samples,); returns self.

        ``callback(step, loss)`` is called before every step and once more with the final loss
        (the CLI's progress bar uses it).
        """
        return self._fit(X, y, callback)

    def decision_function(self, X: Any) -> np.ndarray:
        """The logits: (n_samples,) for two classes, else (n_samples, n_classes)."""
        X = self._check_predict_X(X)
        logits = X @ self.coef_.T + self.intercept_
        return logits[:, 0] if self.classes_.shape[0] == 2 else logits

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class, (n_samples, n_classes); rows sum to 1."""
        logits = self.decision_function(X)
        if logits.ndim == 1:
            p = np.exp(-np.logaddexp(0, -logits))  # sigmoid without overflow
            return np.stack([1 - p, p], axis=1)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        logits = self.decision_function(X)
        index = (logits > 0).astype(int) if logits.ndim == 1 else np.argmax(logits, axis=1)
        return self.classes_[index]

    def score(self, X: Any, y: Any) -> float:
        """The accuracy: the fraction of samples whose class is predicted right."""
        return float(np.mean(self.predict(X) == np.asarray(y).reshape(-1)))

    # -- the GradientModel hooks --
    def _targets(self, y: np.ndarray, dtype: np.dtype
                 ) -> tuple[np.ndarray, float, float, np.ndarray]:
        self.classes_, index = class_labels(y, type(self).__name__)
        counts = np.bincount(index).astype(np.float64)
        if counts.shape[0] == 2:
            start = np.log(counts[1] / counts[0])  # the best intercept while the weights are 0
            return index.astype(dtype)[:, None], 1.0, 0.0, np.array([start], dtype)
        start = np.log(counts) - np.log(counts).mean()
        return index, 1.0, 0.0, start.astype(dtype)

    @staticmethod
    def _data_loss(logits: Any, target: Any) -> Any:
        if target.shape.rank == 2:
            return reduce_mean(sigmoid_cross_entropy_with_logits(labels=target, logits=logits))
        return reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits))

    def _store(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if b.shape[-1] > 2:
            # Softmax ignores a shift shared by every class, and the intercepts are never
            # penalised: report them centred. Unpenalised weights are centred the same way.
            b = b - b.mean(axis=-1, keepdims=True)
            if self.penalty is None or self.alpha == 0:
                w = w - w.mean(axis=-1, keepdims=True)
        return np.swapaxes(w, -1, -2), b
