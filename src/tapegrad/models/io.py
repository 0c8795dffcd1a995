"""Fitted models as plain JSON: every parameter written so that it reads back exactly.

Floats go through Python's shortest round-trip repr (float32 values are widened exactly and
narrowed back), so a loaded model predicts bit for bit what the saved one did.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ._base import Estimator, monomial_powers
from .linear import LinearRegression, PolynomialRegression
from .logistic import LogisticRegression

FORMAT, VERSION = "tapegrad-model", 1
CLASSES = {cls.__name__: cls for cls in (LinearRegression, PolynomialRegression,
                                         LogisticRegression)}


def to_dict(model: Estimator, **extra: Any) -> dict[str, Any]:
    """The fitted model as JSON-ready data; ``extra`` entries (e.g. ``target="y"``) ride along.

    >>> import numpy as np
    >>> from tapegrad.models import LinearRegression, to_dict
    >>> model = LinearRegression(max_steps=1).fit(np.eye(2), [1.0, 2.0])
    >>> sorted(to_dict(model))[:4]
    ['class', 'coef', 'converged', 'dtype']
    """
    model._check_fitted()
    name = type(model).__name__
    if name not in CLASSES:
        raise TypeError(f"cannot save a {name}; only {', '.join(CLASSES)}")
    params = model.get_params()
    if not isinstance(params["optimizer"], str):  # an optimizer object is not data: keep its kind
        params["optimizer"] = type(params["optimizer"]).__name__.lower()
        params["learning_rate"] = _float(getattr(model.optimizer, "learning_rate", None))
    data: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "class": name, "params": params,
        "dtype": model.coef_.dtype.name, "n_features_in": int(model.n_features_in_),
        "feature_names_in": (list(model.feature_names_in_)
                             if hasattr(model, "feature_names_in_") else None),
        "coef": model.coef_.tolist(), "intercept": np.asarray(model.intercept_).tolist(),
        "loss": float(model.loss_), "n_steps": int(model.n_steps_),
        "converged": bool(model.converged_),
    }
    if hasattr(model, "classes_"):
        data["classes"] = model.classes_.tolist()
        data["classes_dtype"] = model.classes_.dtype.str
    data.update(extra)
    return data


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def from_dict(data: dict[str, Any]) -> Estimator:
    """The model ``to_dict`` described, fitted and ready to predict.

    >>> import numpy as np
    >>> from tapegrad.models import LinearRegression, from_dict, to_dict
    >>> model = LinearRegression(max_steps=5).fit(np.eye(2), [1.0, 2.0])
    >>> copy = from_dict(to_dict(model))
    >>> bool(np.array_equal(copy.predict(np.eye(2)), model.predict(np.eye(2))))
    True
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a tapegrad model file (no \"format\": \"tapegrad-model\" entry)")
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported tapegrad model version {data.get('version')!r}; this "
                         f"tapegrad reads version {VERSION}")
    cls = CLASSES.get(data.get("class"))
    if cls is None:
        raise ValueError(f"unknown model class {data.get('class')!r}; expected one of "
                         f"{', '.join(CLASSES)}")
    try:
        model = cls(**data["params"])
        dtype = np.dtype(data["dtype"])
        model.coef_ = np.array(data["coef"], dtype=dtype)
        intercept = np.array(data["intercept"], dtype=dtype)
        model.intercept_ = intercept[()] if intercept.ndim == 0 else intercept
        model.n_features_in_ = int(data["n_features_in"])
        if data.get("feature_names_in") is not None:
            model.feature_names_in_ = np.asarray(data["feature_names_in"], dtype=object)
        model.loss_ = float(data["loss"])
        model.n_steps_ = int(data["n_steps"])
        model.converged_ = bool(data["converged"])
        if "classes" in data:
            model.classes_ = np.array(data["classes"], dtype=np.dtype(data["classes_dtype"]))
        if isinstance(model, PolynomialRegression):
            model.powers_ = monomial_powers(model.n_features_in_, int(model.degree))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"malformed tapegrad model data: {type(e).__name__}: {e}") from None
    columns = model.powers_.shape[0] if hasattr(model, "powers_") else model.n_features_in_
    if model.coef_.shape[-1] != columns:
        raise ValueError("malformed tapegrad model data: coef does not match n_features_in")
    return model


def save_model(model: Estimator, path: str | os.PathLike[str], **extra: Any) -> None:
    """Write ``to_dict(model, **extra)`` to ``path`` as JSON.

    >>> import os, tempfile, numpy as np
    >>> from tapegrad.models import LinearRegression, load_model, save_model
    >>> model = LinearRegression(max_steps=3).fit(np.eye(2), [1.0, 2.0])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(model, os.path.join(folder, "model.json"), target="y")
    ...     loaded = load_model(os.path.join(folder, "model.json"))
    >>> bool(np.array_equal(loaded.coef_, model.coef_))
    True
    """
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_dict(model, **extra), f, indent=1)
        f.write("\n")


def load_model(path: str | os.PathLike[str]) -> Estimator:
    """The model saved at ``path`` by ``save_model``."""
    with open(path, encoding="utf-8") as f:
        return from_dict(json.load(f))
