"""tapegrad.models against closed forms (numpy.linalg.lstsq) and scikit-learn, plus conventions."""

import doctest
import importlib
import inspect
import pickle
import warnings

import numpy as np
import pytest

from tapegrad.models import (
    DataConversionWarning,
    LinearRegression,
    LogisticRegression,
    NotFittedError,
    PolynomialRegression,
    from_dict,
    load_model,
    monomial_powers,
    save_model,
    to_dict,
)

RNG = np.random.default_rng(3)
N = 120
# features on very different scales and offsets: what standardisation is for
X = RNG.normal(size=(N, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, -2.0]
Y = X @ [1.5, -0.2, 4.0] + 3.0 + 0.3 * RNG.normal(size=N)
FAST = dict(learning_rate=0.05, max_steps=4000, standardize=True)


def lstsq_fit(features, y):
    solution = np.linalg.lstsq(np.c_[features, np.ones(len(y))], y, rcond=None)[0]
    return solution[:-1], solution[-1]


def ridge_fit(features, y, alpha):
    """argmin mean((F w + b - y)^2) + alpha |w|^2, by lstsq on the centred, augmented system."""
    n, p = features.shape
    mean_f, mean_y = features.mean(axis=0), y.mean()
    A = np.r_[features - mean_f, np.sqrt(n * alpha) * np.eye(p)]
    w = np.linalg.lstsq(A, np.r_[y - mean_y, np.zeros(p)], rcond=None)[0]
    return w, mean_y - mean_f @ w


def sklearn_logistic(alpha, n, penalty):
    """scikit-learn's LogisticRegression minimising our objective (mean log loss + penalty)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    new_api = "l1_ratio" in inspect.signature(linear_model.LogisticRegression).parameters
    common = dict(tol=1e-12, max_iter=100_000)
    if penalty is None:
        return linear_model.LogisticRegression(C=np.inf if new_api else 1e12, **common)
    if penalty == "l2":
        return linear_model.LogisticRegression(C=1 / (2 * n * alpha), **common)
    kind = dict(l1_ratio=1.0) if new_api else dict(penalty="l1")
    return linear_model.LogisticRegression(C=1 / (n * alpha), solver="saga", **kind, **common)


# ----- regression against lstsq -----

@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-5), (np.float32, 1e-3)])
def test_linear_regression_matches_lstsq(dtype, rtol):
    # the intercept is found as mean(y) - coef @ mean(X) with mean(X[:, 1]) = 50: 20x less exact
    model = LinearRegression(**FAST).fit(X.astype(dtype), Y.astype(dtype))
    coef, intercept = lstsq_fit(X, Y)
    assert model.converged_ and model.n_steps_ < 4000
    np.testing.assert_allclose(model.coef_, coef, rtol=rtol)
    assert float(model.intercept_) == pytest.approx(intercept, rel=20 * rtol)
    assert model.coef_.dtype == dtype and model.predict(X.astype(dtype)).dtype == dtype
    residual = np.mean((X @ coef + intercept - Y) ** 2)
    assert model.loss_ == pytest.approx(residual, rel=10 * rtol)
    assert model.score(X, Y) == pytest.approx(
        1 - residual / np.var(Y), rel=1e-4)


def test_standardize_changes_the_path_not_the_answer():
    Xs = X[:, :2] - [0.0, 50.0]  # well enough conditioned for raw Adam steps
    raw = LinearRegression(penalty="l2", alpha=0.1, learning_rate=0.02, max_steps=8000).fit(Xs, Y)
    std = LinearRegression(penalty="l2", alpha=0.1, **FAST).fit(Xs, Y)
    w, b = ridge_fit(Xs, Y, 0.1)
    np.testing.assert_allclose(std.coef_, w, rtol=1e-5)
    np.testing.assert_allclose(raw.coef_, w, rtol=1e-4)
    assert std.n_steps_ < raw.n_steps_
    assert float(std.intercept_) == pytest.approx(b, rel=1e-5)


def test_l1_penalty_matches_lasso_with_exact_zeros():
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(1)
    Xl = rng.normal(size=(100, 4))
    yl = Xl @ [2.0, 0.0, -1.0, 0.05] + 1 + 0.5 * rng.normal(size=100)
    model = LinearRegression(penalty="l1", alpha=0.2, max_steps=5000).fit(Xl, yl)
    lasso = linear_model.Lasso(alpha=0.1, tol=1e-12, max_iter=100_000).fit(Xl, yl)  # alpha / 2
    assert model.converged_
    np.testing.assert_allclose(model.coef_, lasso.coef_, atol=1e-4)
    assert model.coef_[1] == 0.0 and model.coef_[3] == 0.0
    assert float(model.intercept_) == pytest.approx(lasso.intercept_, abs=1e-4)


@pytest.mark.parametrize("standardize, rtol", [(True, 1e-4), (False, 1e-3)])
def test_polynomial_regression_matches_lstsq(standardize, rtol):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1.5, 2.0, size=(80, 1))
    y = 1 - 2 * x[:, 0] + 0.5 * x[:, 0] ** 2 + 0.3 * x[:, 0] ** 3 + 0.1 * rng.normal(size=80)
    model = PolynomialRegression(3, learning_rate=0.05, max_steps=20000,
                                 standardize=standardize).fit(x, y)
    coef, intercept = lstsq_fit(np.c_[x, x ** 2, x ** 3], y)
    assert model.converged_
    np.testing.assert_allclose(model.coef_, coef, rtol=rtol)
    assert float(model.intercept_) == pytest.approx(intercept, rel=rtol)
    np.testing.assert_array_equal(model.powers_, [[1], [2], [3]])


def test_polynomial_in_two_features_with_far_from_zero_data():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(150, 2)) * [2.0, 0.5] + [60.0, -3.0]
    powers = monomial_powers(2, 2)
    assert powers.tolist() == [[1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    features = np.stack([np.prod(x ** p, axis=1) for p in powers], axis=1)
    y = features @ [0.5, -1.0, 0.01, 0.2, 0.3] + 2 + 0.05 * rng.normal(size=150)
    model = PolynomialRegression(2, **FAST).fit(x, y)
    coef, intercept = lstsq_fit(features, y)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-3)
    # the intercept cancels terms near 100 (0.01 * 60**2, ...): judge it through the predictions
    np.testing.assert_allclose(model.predict(x), features @ coef + intercept, rtol=1e-5)


# ----- logistic regression against scikit-learn -----

XC = RNG.normal(size=(200, 3))
YC = (XC @ [1.5, -1.0, 0.0] + 0.3 + RNG.logistic(size=200) > 0).astype(int)


@pytest.mark.parametrize("penalty, alpha", [(None, 0.0), ("l2", 0.01), ("l1", 0.05)])
def test_binary_logistic_matches_sklearn(penalty, alpha):
    model = LogisticRegression(penalty=penalty, alpha=alpha, learning_rate=0.05,
                               max_steps=5000).fit(XC, YC)
    reference = sklearn_logistic(alpha, 200, penalty).fit(XC, YC)
    assert model.converged_ and model.coef_.shape == (1, 3) and model.intercept_.shape == (1,)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=2e-4)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=2e-4)
    np.testing.assert_allclose(model.predict_proba(XC), reference.predict_proba(XC), atol=1e-4)
    if penalty == "l1":
        assert model.coef_[0, 2] == reference.coef_[0, 2] == 0.0


def test_multinomial_logistic_matches_sklearn():
    rng = np.random.default_rng(6)
    Xm = rng.normal(size=(300, 2))
    logits = Xm @ [[1.0, -1.0, 0.0], [0.5, 0.5, -1.0]] + [0.2, 0.0, -0.2]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ym = np.array([rng.choice(3, p=row) for row in p])
    model = LogisticRegression(penalty="l2", alpha=0.01, learning_rate=0.05, tol=1e-13,
                               max_steps=5000).fit(Xm, ym)
    reference = sklearn_logistic(0.01, 300, "l2").fit(Xm, ym)
    assert model.coef_.shape == (3, 2) and model.intercept_.shape == (3,)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-4)
    np.testing.assert_allclose(model.predict_proba(Xm), reference.predict_proba(Xm), atol=1e-5)
    assert model.score(Xm, ym) == pytest.approx(reference.score(Xm, ym))


def test_string_labels_and_decision_function():
    labels = np.array(["no", "yes"])[YC]
    model = LogisticRegression(learning_rate=0.05).fit(XC, labels)
    assert model.classes_.tolist() == ["no", "yes"]
    decision = model.decision_function(XC)
    assert decision.shape == (200,)
    np.testing.assert_array_equal(model.predict(XC), np.where(decision > 0, "yes", "no"))
    np.testing.assert_allclose(model.predict_proba(XC)[:, 1], 1 / (1 + np.exp(-decision)))


def test_challenger_maximum_likelihood_estimate():
    from tapegrad.datasets import load_challenger
    table = load_challenger()
    model = LogisticRegression(learning_rate=0.1, tol=1e-12, standardize=True).fit(table.X,
                                                                                   table.y)
    # the classic estimates: logit P(distress) = 15.0429 - 0.232163 * temperature
    assert float(model.intercept_[0]) == pytest.approx(15.0429, abs=2e-3)
    assert float(model.coef_[0, 0]) == pytest.approx(-0.232163, abs=3e-5)


# ----- training: mini-batches, steps, tolerance, divergence, history -----

def test_minibatches_are_reproducible_and_converge_near_the_answer():
    kw = dict(batch_size=16, learning_rate=0.01, max_steps=3000, standardize=True)
    a = LinearRegression(random_state=1, **kw).fit(X, Y)
    b = LinearRegression(random_state=1, **kw).fit(X, Y)
    c = LinearRegression(random_state=2, **kw).fit(X, Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)
    coef, _ = lstsq_fit(X, Y)
    np.testing.assert_allclose(a.coef_, coef, rtol=0.1)  # Adam with a fixed rate keeps jittering
    assert a.score(X, Y) > 0.999 * LinearRegression(**FAST).fit(X, Y).score(X, Y)
    assert a.history_["loss"].shape == (a.n_steps_ + 1,)


def test_max_steps_and_tol():
    model = LinearRegression(solver="gradient", max_steps=37, tol=0).fit(X, Y)
    assert model.n_steps_ == 37 and not model.converged_
    assert model.history_["loss"].shape == (38,) and model.history_["coef"].shape == (38, 3)
    loose = LinearRegression(solver="gradient", tol=1e-3, **{**FAST, "max_steps": 1000}).fit(X, Y)
    tight = LinearRegression(solver="gradient", tol=1e-12, **{**FAST, "max_steps": 1000}).fit(X, Y)
    assert loose.converged_ and loose.n_steps_ < tight.n_steps_


def test_history_is_in_the_data_units():
    model = LinearRegression(**FAST).fit(X, Y)
    history = model.history_
    np.testing.assert_array_equal(history["coef"][-1], model.coef_)
    assert history["intercept"][-1] == model.intercept_
    assert history["loss"][-1] == pytest.approx(model.loss_)
    # the first entry is the start: zero slopes, the intercept at the mean of y
    np.testing.assert_allclose(history["coef"][0], 0.0, atol=1e-12)
    assert history["intercept"][0] == pytest.approx(Y.mean())
    assert history["loss"][0] == pytest.approx(np.var(Y))


def test_divergence_names_the_step_and_suggests_a_smaller_learning_rate():
    model = LinearRegression(solver="gradient", optimizer="sgd", learning_rate=0.5)
    with pytest.raises(FloatingPointError,
                       match=r"LinearRegression: the loss became (inf|nan) at step \d+; .*"
                             r"smaller learning rate \(it is 0\.5\)"):
        model.fit(X, Y)


def test_any_optimizer_by_name_or_instance():
    from tapegrad import optimizers
    sgd = LinearRegression(optimizer="sgd", learning_rate=0.1, standardize=True,
                           max_steps=3000).fit(X, Y)
    np.testing.assert_allclose(sgd.coef_, lstsq_fit(X, Y)[0], rtol=1e-4)
    instance = optimizers.Adam(learning_rate=0.05)
    first = LinearRegression(optimizer=instance, standardize=True).fit(X, Y)
    second = LinearRegression(optimizer=instance, standardize=True).fit(X, Y)
    np.testing.assert_array_equal(first.coef_, second.coef_)  # a fresh copy for each fit


# ----- scikit-learn conventions -----

def test_parameters_repr_clone_pickle():
    model = PolynomialRegression(3, penalty="l2", alpha=0.5)
    assert model.get_params()["degree"] == 3 and model.get_params()["alpha"] == 0.5
    assert repr(model) == "PolynomialRegression(degree=3, penalty='l2', alpha=0.5)"
    assert model.set_params(max_steps=10) is model and model.max_steps == 10
    with pytest.raises(ValueError, match="Invalid parameter 'steps'"):
        model.set_params(steps=10)
    twin = type(model)(**model.get_params())
    assert twin.get_params() == model.get_params()
    fitted = LinearRegression(**FAST).fit(X, Y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))


def test_sklearn_clone_and_pipeline():
    base = pytest.importorskip("sklearn.base")
    pipeline = pytest.importorskip("sklearn.pipeline")
    model = LogisticRegression(alpha=0.3, penalty="l2")
    copy = base.clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert base.is_classifier(model) and base.is_regressor(LinearRegression())
    pipe = pipeline.make_pipeline(LinearRegression(**FAST)).fit(X, Y)
    assert pipe.score(X, Y) == pytest.approx(LinearRegression(**FAST).fit(X, Y).score(X, Y))


def test_not_fitted_and_bad_input_errors():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LinearRegression().predict(X)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    model = LinearRegression(max_steps=5)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        model.fit(X[:, 0], Y)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.fit(bad, Y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        model.fit(X, None)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[120, 119\]"):
        model.fit(X, Y[:-1])
    model.fit(X, Y)
    with pytest.raises(ValueError, match="X has 2 features, but LinearRegression is expecting 3"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="'max_steps' parameter of LinearRegression must be an "
                                         "int >= 1; got 0"):
        LinearRegression(max_steps=0).fit(X, Y)
    with pytest.raises(ValueError, match="'penalty' parameter"):
        LinearRegression(penalty="l3").fit(X, Y)
    with pytest.raises(ValueError, match="up to degree 5 overflow float32; fit with standardize"):
        PolynomialRegression(5).fit(np.array([[1e10], [2e10]], np.float32), [1.0, 2.0])
    with pytest.raises(ValueError, match="only one class: 1.0"):
        LogisticRegression().fit(X, np.ones(N))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        LogisticRegression().fit(X, Y)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        LinearRegression(max_steps=3).fit(X, Y[:, None])


def test_estimator_checks():
    pytest.importorskip("sklearn", minversion="1.6")
    from sklearn.utils.estimator_checks import check_estimator
    for model in (LinearRegression(learning_rate=0.05, max_steps=300),
                  PolynomialRegression(learning_rate=0.05, max_steps=300, standardize=True),
                  LogisticRegression(learning_rate=0.05, max_steps=300)):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not inherit from")
            results = check_estimator(model, on_fail=None, on_skip=None)
        failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
                  if r["status"] == "failed"]
        assert not failed
        assert sum(r["status"] == "passed" for r in results) >= 48


# ----- JSON -----

@pytest.mark.parametrize("make, y", [
    (lambda: LinearRegression(**FAST), Y),
    (lambda: PolynomialRegression(2, **FAST), Y),
    (lambda: LogisticRegression(learning_rate=0.05), np.array(["a", "b", "c"])[np.arange(N) % 3]),
    (lambda: LogisticRegression(penalty="l1", alpha=0.01, learning_rate=0.05), Y > np.median(Y)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_json_round_trip_is_exact(tmp_path, make, y, dtype):
    model = make().fit(X.astype(dtype), y)
    model.feature_names_in_ = np.array(["a", "b", "c"], dtype=object)
    path = tmp_path / "model.json"
    save_model(model, path, target="y")
    loaded = load_model(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    assert loaded.coef_.dtype == model.coef_.dtype == dtype
    np.testing.assert_array_equal(loaded.intercept_, model.intercept_)
    np.testing.assert_array_equal(loaded.predict(X.astype(dtype)), model.predict(X.astype(dtype)))
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c"]
    assert loaded.n_steps_ == model.n_steps_ and loaded.loss_ == model.loss_
    if hasattr(model, "classes_"):
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        assert loaded.classes_.dtype == model.classes_.dtype
        np.testing.assert_array_equal(loaded.predict_proba(X.astype(dtype)),
                                      model.predict_proba(X.astype(dtype)))
    assert to_dict(loaded, target="y") == to_dict(model, target="y")


def test_from_dict_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="not a tapegrad model"):
        from_dict({"coef": [1.0]})
    data = to_dict(LinearRegression(max_steps=3).fit(X, Y))
    with pytest.raises(ValueError, match="unsupported tapegrad model version 9"):
        from_dict({**data, "version": 9})
    with pytest.raises(ValueError, match="unknown model class 'Ridge'"):
        from_dict({**data, "class": "Ridge"})
    with pytest.raises(ValueError, match="malformed.*coef does not match"):
        from_dict({**data, "coef": [1.0, 2.0]})
    with pytest.raises(ValueError, match="malformed"):
        from_dict({k: v for k, v in data.items() if k != "intercept"})


@pytest.mark.parametrize("module", [
    "tapegrad.solvers", "tapegrad.models", "tapegrad.models._base", "tapegrad.models.linear",
    "tapegrad.models.logistic", "tapegrad.models.io", "tapegrad.models.table", "tapegrad.datasets",
    "tapegrad.plot", "tapegrad.cli"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


# ----- the default solver: Newton with the tape's derivatives (L-BFGS on request) -----

@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("standardize", [False, True])
def test_second_order_solvers_converge_on_raw_and_standardised_data(solver, standardize):
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(400, 3)) * [1.0, 30.0, 0.02] + [4.0, -200.0, 1.0]
    y = raw @ [0.5, 0.01, 40.0] - 2.0 + rng.normal(size=400)
    model = LinearRegression(solver=solver, standardize=standardize).fit(raw, y)
    coef, intercept = lstsq_fit(raw, y)
    # L-BFGS is not affine invariant: on raw features (scales 0.02 to 30) it stops early
    rtol = 1e-6 if solver == "newton" else 1e-5 if standardize else 1e-3
    np.testing.assert_allclose(model.coef_, coef, rtol=rtol)
    assert model.intercept_ == pytest.approx(intercept, rel=rtol)
    assert model.converged_ and model.gradient_norm_ < rtol * 10
    assert model.n_steps_ <= (3 if solver == "newton" else 200)
    labels = (raw @ [1.0, 0.01, 20.0] - 20.0 + rng.logistic(size=400) > 0).astype(int)
    logistic = LogisticRegression(solver=solver, standardize=standardize).fit(raw, labels)
    sklearn = pytest.importorskip("sklearn.linear_model")
    theirs = sklearn.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000)  # no penalty
    theirs.fit((raw - raw.mean(0)) / raw.std(0), labels)  # scikit-learn needs it standardised
    np.testing.assert_allclose(logistic.coef_[0] * raw.std(0), theirs.coef_[0], rtol=rtol * 10)
    assert logistic.converged_ and logistic.gradient_norm_ < rtol * 10
    assert logistic.n_steps_ <= (12 if solver == "newton" else 500)


def test_newton_is_the_default_and_gradient_steps_stay_available():
    assert LinearRegression()._solver() == "newton"
    assert LinearRegression(batch_size=8)._solver() == "gradient"
    assert LinearRegression(penalty="l1")._solver() == "gradient"
    newton = LogisticRegression().fit(X, Y > np.median(Y))
    adam = LogisticRegression(solver="gradient", learning_rate=0.1, max_steps=5000,
                              tol=1e-12).fit(X, Y > np.median(Y))
    assert newton.n_steps_ < 15 < adam.n_steps_
    assert newton.loss_ <= adam.loss_ + 1e-9
    assert newton.history_["loss"].shape == (newton.n_steps_ + 1,)
    assert np.all(np.diff(newton.history_["loss"]) <= 0)
    with pytest.raises(ValueError, match="penalty='l1' need solver='gradient'"):
        LinearRegression(solver="newton", penalty="l1").fit(X, Y)
    with pytest.raises(ValueError, match=r"mini-batches \(batch_size\) need solver='gradient'"):
        LinearRegression(solver="lbfgs", batch_size=4).fit(X, Y)
    with pytest.raises(ValueError, match="'solver' parameter of LinearRegression must be"):
        LinearRegression(solver="sag").fit(X, Y)
