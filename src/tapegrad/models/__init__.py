"""Regression estimators trained on the tape, in scikit-learn's conventions.

``LinearRegression``, ``PolynomialRegression`` and ``LogisticRegression`` fit by Newton's
method, L-BFGS or any tapegrad optimizer, on NumPy arrays or (``tapegrad[dask]``) Dask
collections; ``save_model``/``load_model`` keep a fitted model as JSON.

>>> import numpy as np
>>> from tapegrad.models import LinearRegression
>>> X = np.array([[1.0], [2.0], [3.0]])
>>> model = LinearRegression(learning_rate=0.1, standardize=True).fit(X, [2.0, 4.0, 6.0])
>>> model.predict([[4.0]]).round(3)
array([8.])
"""

from ._base import DataConversionWarning, NotFittedError, monomial_powers
from .io import from_dict, load_model, save_model, to_dict
from .linear import LinearRegression, PolynomialRegression
from .logistic import LogisticRegression

__all__ = ["LinearRegression", "PolynomialRegression", "LogisticRegression", "NotFittedError",
           "DataConversionWarning", "monomial_powers", "save_model", "load_model", "to_dict",
           "from_dict"]
