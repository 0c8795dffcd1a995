"""Keras 3 itself (TensorFlow backend) as the oracle: the same data and initial weights give
the same History, epoch by epoch, to float32 rounding."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "tensorflow":
    pytest.skip("the oracle runs Keras on its TensorFlow backend", allow_module_level=True)

import tapegrad as tf  # noqa: E402


def _pair(build, x, y, compile_args, **fit_args):
    """Fit a Keras model and the same tapegrad model from the same initial weights."""
    theirs = build(keras)
    ours = build(tf.keras)
    ours.set_weights(theirs.get_weights())
    theirs.compile(**compile_args(keras))
    ours.compile(**compile_args(tf.keras))
    h_theirs = theirs.fit(x, y, verbose=0, shuffle=False, **fit_args)
    h_ours = ours.fit(x, y, verbose=0, shuffle=False, **fit_args)
    return theirs, ours, h_theirs.history, h_ours.history


def test_regression_history_matches_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3)).astype("float32")
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype("float32")

    def build(k):
        return k.Sequential([k.Input((3,)), k.layers.Dense(8, activation="tanh"),
                             k.layers.Dense(1)])

    def compile_args(k):
        return {"optimizer": k.optimizers.Adam(0.01), "loss": "mse", "metrics": ["mae"]}

    theirs, ours, h_theirs, h_ours = _pair(build, x, y, compile_args, epochs=6, batch_size=16,
                                           validation_split=0.2)
    assert list(h_ours) == list(h_theirs) == ["loss", "mae", "val_loss", "val_mae"]
    for key in h_theirs:
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=2e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0),
                               rtol=1e-5)


def test_classifier_history_matches_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")

    def build(k):
        return k.Sequential([k.Input((4,)), k.layers.Dense(16, activation="relu"),
                             k.layers.Dense(3, activation="softmax")])

    def compile_args(k):
        return {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                "metrics": ["accuracy"]}

    theirs, ours, h_theirs, h_ours = _pair(build, x, y, compile_args, epochs=5, batch_size=32)
    assert list(h_ours) == list(h_theirs)
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=2e-5)
    np.testing.assert_allclose(h_ours["accuracy"], h_theirs["accuracy"])
    # evaluate lists the loss first, then the metrics
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0),
                               rtol=1e-5)


def test_logits_regularizer_and_dropout_free_model_match_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.integers(0, 4, size=(64,))

    def build(k):
        inputs = k.Input((5,))
        hidden = k.layers.Dense(6, activation="gelu", kernel_regularizer=k.regularizers.L2(0.01))
        return k.Model(inputs, k.layers.Dense(4)(hidden(inputs)))

    def compile_args(k):
        return {"optimizer": k.optimizers.SGD(0.1, momentum=0.9),
                "loss": k.losses.SparseCategoricalCrossentropy(from_logits=True)}

    _, _, h_theirs, h_ours = _pair(build, x, y, compile_args, epochs=4, batch_size=10)
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=2e-5)


def test_summary_prints_keras_table(capsys):
    def build(k):
        return k.Sequential([k.Input((3,)), k.layers.Dense(4, activation="relu", name="hidden"),
                             k.layers.Dense(1, name="out")], name="net")

    build(keras).summary()
    theirs = capsys.readouterr().out
    build(tf.keras).summary()
    assert capsys.readouterr().out == theirs


def test_losses_and_metrics_match_keras():
    rng = np.random.default_rng(3)
    y_true = rng.uniform(0.1, 1, size=(6, 3)).astype("float32")
    y_pred = rng.uniform(0.1, 1, size=(6, 3)).astype("float32")
    weights = rng.uniform(size=(6,)).astype("float32")
    for name in ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
                 "MeanSquaredLogarithmicError", "Huber", "LogCosh", "BinaryCrossentropy",
                 "CategoricalCrossentropy", "KLDivergence", "Poisson", "CosineSimilarity",
                 "Hinge", "SquaredHinge"]:
        for reduction in ["sum_over_batch_size", "sum", None]:
            theirs = getattr(keras.losses, name)(reduction=reduction)(y_true, y_pred, weights)
            ours = getattr(tf.keras.losses, name)(reduction=reduction)(y_true, y_pred, weights)
            np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5,
                                       atol=1e-6, err_msg=f"{name} {reduction}")
    for name in ["MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
                 "CategoricalAccuracy", "BinaryAccuracy", "AUC", "Precision", "Recall"]:
        theirs, ours = getattr(keras.metrics, name)(), getattr(tf.keras.metrics, name)()
        labels = (y_true > 0.5).astype("float32") if name in ("AUC", "Precision", "Recall",
                                                             "BinaryAccuracy") else y_true
        for k in range(2):
            theirs.update_state(labels[k::2], y_pred[k::2], sample_weight=weights[k::2])
            ours.update_state(labels[k::2], y_pred[k::2], sample_weight=weights[k::2])
        np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-5,
                                   err_msg=name)


def test_normalization_layers_match_keras():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 4)).astype("float32") * 3 + 1
    for name, kwargs in [("BatchNormalization", {"momentum": 0.9}),
                         ("LayerNormalization", {"epsilon": 1e-5})]:
        theirs = getattr(keras.layers, name)(**kwargs)
        ours = getattr(tf.keras.layers, name)(**kwargs)
        theirs.build(x.shape)
        ours.build(x.shape)
        weights = [rng.normal(size=w.shape).astype("float32") for w in theirs.weights]
        weights = [np.abs(w) if "variance" in v.path else w
                   for w, v in zip(weights, theirs.weights)]
        theirs.set_weights(weights)
        ours.set_weights(weights)
        for training in (True, False):
            np.testing.assert_allclose(ours(x, training=training).numpy(),
                                       np.asarray(theirs(x, training=training)), rtol=1e-5,
                                       atol=1e-5, err_msg=f"{name} training={training}")
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)
