"""Keras 3's documented behaviour of models: Sequential, functional and subclassed models,
compile/fit/evaluate/predict, progress output, callbacks, saving."""

import re

import numpy as np
import pytest

import tapegrad as tf

K = tf.keras


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.25).astype("float32")


def _model(seed=0):
    K.utils.set_random_seed(seed)
    return K.Sequential([K.Input((3,)), K.layers.Dense(8, activation="tanh"),
                         K.layers.Dense(1)])


def test_sequential_from_a_list_or_add_and_its_layers():
    a = K.Sequential([K.layers.Dense(2, input_shape=(3,)), K.layers.Dense(1)])
    b = K.Sequential()
    b.add(K.Input((3,)))
    b.add(K.layers.Dense(2))
    assert [type(layer).__name__ for layer in a.layers] == ["Dense", "Dense"]
    assert a.built and b.output_shape == (None, 2)
    assert len(a.weights) == 4 and a.count_params() == 11
    with pytest.raises(ValueError, match="should have unique names"):
        b.add(K.layers.Dense(1, name=b.layers[0].name))
    unbuilt = K.Sequential([K.layers.Dense(2)])
    assert not unbuilt.built
    unbuilt(np.ones((4, 5)))
    assert unbuilt.built and unbuilt.layers[0].kernel.shape == (5, 2)


def test_functional_model_with_two_inputs():
    a, b = K.Input((3,), name="a"), K.Input((2,), name="b")
    merged = K.layers.Concatenate()([a, b])
    out = K.layers.Dense(1)(K.layers.Dense(4, activation="relu")(merged))
    model = K.Model([a, b], out)
    assert type(model).__name__ == "Functional"
    assert [layer.name for layer in model.layers][:2] == ["a", "b"]
    y = model([np.ones((5, 3)), np.ones((5, 2))])
    assert y.shape == (5, 1)
    with pytest.raises(ValueError, match="expects 2 input"):
        model(np.ones((5, 3)))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit([np.ones((8, 3)), np.zeros((8, 2))], np.ones((8, 1)), epochs=2,
                        verbose=0)
    assert len(history.history["loss"]) == 2


def test_functional_summary_has_keras_connected_to_column(capsys):
    K.backend.clear_session()
    a, b = K.Input((3,)), K.Input((2,), name="b")
    c = K.layers.Concatenate()([a, b])
    model = K.Model([a, b], K.layers.Dense(2)(c))
    model.summary()
    # Keras 3.15's output for the same model, at the default 80-column width.
    assert capsys.readouterr().out == '''\
Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 3)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 2)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 5)         │          0 │ input_layer[0][0… │
│ (Concatenate)       │                   │            │ b[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 2)         │         12 │ concatenate[0][0] │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 12 (48.00 B)
 Trainable params: 12 (48.00 B)
 Non-trainable params: 0 (0.00 B)
'''


def test_unbuilt_sequential_summary(capsys):
    K.backend.clear_session()
    K.Sequential([K.layers.Dense(4)]).summary()
    out = capsys.readouterr().out
    assert "│ dense (Dense)                   │ ?                      │   0 (unbuilt) │" in out
    assert out.endswith(" Total params: 0 (0.00 B)\n Trainable params: 0 (0.00 B)\n"
                        " Non-trainable params: 0 (0.00 B)\n")


def test_subclassed_model_tracks_layers_and_variables():
    class Net(K.Model):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [K.layers.Dense(units, activation="relu") for _ in range(2)]
            self.out = K.layers.Dense(1)
            self.scale = tf.Variable(2.0)

        def call(self, x, training=None):
            for block in self.blocks:
                x = block(x)
            return self.out(x) * self.scale

    net = Net()
    net(np.ones((2, 3)))
    assert len(net.layers) == 3 and len(net.trainable_variables) == 7
    assert net.trainable_variables[0] is net.scale
    net.compile(optimizer="adam", loss="mae")
    net.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0)


def test_fit_returns_history_and_learns():
    x, y = _data()
    model = _model()
    model.compile(optimizer=K.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert history.params == {"verbose": 0, "epochs": 40, "steps": 4}
    assert history.epoch == list(range(40)) and list(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    assert model.history is history
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(float(np.mean((model.predict(x, verbose=0) - y) ** 2)),
                                 rel=1e-4)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["mae"] == pytest.approx(mae)


def test_traced_and_eager_training_agree():
    x, y = _data(50)
    losses = []
    for eager in (False, True):
        model = _model()
        model.compile(optimizer="adam", loss="mse", run_eagerly=eager)
        losses.append(model.fit(x, y, epochs=3, batch_size=16, shuffle=False,
                                verbose=0).history["loss"])
        assert bool(model._functions) is not eager  # the traced path used tapegrad.function
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)


def test_fit_accepts_tensors_pandas_and_batch_iterables():
    pd = pytest.importorskip("pandas")
    x, y = _data(32)
    results = []
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]
    for inputs in [(x, y), (tf.constant(x), tf.constant(y)), (frame, pd.Series(y[:, 0])),
                   (batches, None), ((b for b in batches), None)]:
        model = _model()
        model.compile(optimizer="sgd", loss="mse")
        results.append(model.fit(inputs[0], inputs[1], epochs=1, batch_size=8, shuffle=False,
                                 verbose=0).history["loss"])
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], rtol=1e-6)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(batches, y)


def test_validation_split_and_validation_data():
    x, y = _data(40)
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    split = model.fit(x, y, epochs=2, validation_split=0.25, shuffle=False, verbose=0).history
    assert list(split) == ["loss", "val_loss"]
    np.testing.assert_allclose(split["val_loss"][-1], model.evaluate(x[30:], y[30:], verbose=0),
                               rtol=1e-6)
    given = model.fit(x, y, epochs=1, validation_data=(x[:10], y[:10]), verbose=0).history
    np.testing.assert_allclose(given["val_loss"][-1], model.evaluate(x[:10], y[:10], verbose=0),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="`validation_split` is only supported for Tensors"):
        model.fit([(x, y)], validation_split=0.5, verbose=0)


def test_progress_output_verbose_1_2_and_0(capsys):
    x, y = _data(40)
    model = _model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - loss: \d\.\d{4} - mae: \d\.\d{4}",
                        lines[1])
    model.fit(x, y, epochs=1, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out and out.endswith("\n")
    final = out.split("\r")[-1]
    assert re.fullmatch(r"\x1b\[1m3/3\x1b\[0m \x1b\[32m━{20}\x1b\[0m\x1b\[37m\x1b\[0m "
                        r"\x1b\[1m\d+s\x1b\[0m \d+(us|ms|s)/step - loss: \d\.\d{4} - "
                        r"mae: \d\.\d{4} *\n", final)
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_accuracy_string_resolves_by_loss_and_shapes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64")
    for loss, y, units, activation, cls in [
            ("sparse_categorical_crossentropy", labels, 2, "softmax", "SparseCategoricalAccuracy"),
            ("categorical_crossentropy", np.eye(2)[labels], 2, "softmax", "CategoricalAccuracy"),
            ("binary_crossentropy", labels[:, None].astype("float32"), 1, "sigmoid",
             "BinaryAccuracy")]:
        model = K.Sequential([K.Input((3,)), K.layers.Dense(units, activation=activation)])
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        history = model.fit(x, y, epochs=1, verbose=0)
        assert type(model.metrics[1]).__name__ == cls
        assert list(history.history) == ["accuracy", "loss"]
        expected = np.mean(np.argmax(model.predict(x, verbose=0), -1) == labels) if units > 1 \
            else np.mean((model.predict(x, verbose=0)[:, 0] > 0.5) == labels)
        assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == \
            pytest.approx(expected)


def test_train_test_predict_on_batch():
    x, y = _data(16)
    model = _model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    before = model.test_on_batch(x, y)
    assert isinstance(before, list) and len(before) == 2
    loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert loss == pytest.approx(before[0], rel=1e-6)
    assert model.test_on_batch(x, y)[0] < before[0]
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray) and out.shape == (16, 1) and out.dtype == np.float32


def test_early_stopping_restores_the_best_weights():
    x, y = _data(32)
    model = _model()
    model.compile(optimizer=K.optimizers.SGD(2.0), loss="mse")  # diverges after a while
    stop = K.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=50, verbose=0, callbacks=[stop])
    losses = history.history["loss"]
    assert len(losses) < 50 and stop.stopped_epoch == len(losses) - 1
    best = int(np.argmin(losses))
    assert stop.best_epoch == best and len(losses) == best + 3
    assert model.evaluate(x, y, verbose=0) <= losses[best] * 10


def test_initial_epoch_and_lambda_callback():
    x, y = _data(16)
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    callback = K.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    history = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[callback])
    assert seen == [2, 3] and history.epoch == [2, 3]


def test_save_and_load_round_trips_exactly(tmp_path):
    x, y = _data(32)
    model = _model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = K.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is K.Sequential and loaded.compiled
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    # the optimizer's state came back too: training continues identically
    h1 = model.fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    h2 = loaded.fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_array_equal(h1, h2)
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = _model(seed=1)
    fresh.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(tmp_path / "w.h5")
    (tmp_path / "keras.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ValueError, match="cannot read Keras's HDF5 files"):
        fresh.load_weights(tmp_path / "keras.weights.h5")


def test_save_and_load_functional_and_custom_models(tmp_path):
    inputs = K.Input((3,))
    hidden = K.layers.Dense(4, activation="relu")
    x = hidden(inputs)
    outputs = K.layers.Add()([K.layers.Dense(4)(x), x])
    model = K.Model(inputs, outputs, name="residual")
    model.save(tmp_path / "f.keras")
    loaded = K.models.load_model(tmp_path / "f.keras")
    assert loaded.name == "residual" and [la.name for la in loaded.layers] == \
        [la.name for la in model.layers]
    data = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(data, verbose=0), loaded.predict(data, verbose=0))

    @K.saving.register_keras_serializable(package="test")
    class Scaled(K.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    custom = K.Sequential([K.Input((3,)), Scaled(3.0), K.layers.Dense(2)])
    custom.save(tmp_path / "c.keras")
    again = K.models.load_model(tmp_path / "c.keras")
    assert again.layers[0].factor == 3.0
    np.testing.assert_array_equal(custom.predict(data, verbose=0), again.predict(data, verbose=0))


def test_model_checkpoint_save_best_only(tmp_path):
    x, y = _data(32)
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "best.keras"
    checkpoint = K.callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[checkpoint])
    assert checkpoint.best == min(history.history["loss"])
    assert K.models.load_model(path).count_params() == model.count_params()
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        K.callbacks.ModelCheckpoint(str(tmp_path / "x.keras"), save_weights_only=True)


def test_compile_errors_and_loss_objects():
    model = _model()
    with pytest.raises(ValueError, match="You must call `compile\\(\\)`"):
        model.fit(np.ones((2, 3)), np.ones((2, 1)), verbose=0)
    model.compile(optimizer=K.optimizers.SGD(0.1),
                  loss=K.losses.Huber(delta=0.5), metrics=[K.metrics.RootMeanSquaredError()])
    logs = model.evaluate(np.ones((4, 3)), np.zeros((4, 1)), verbose=0, return_dict=True)
    assert list(logs) == ["loss", "root_mean_squared_error"]
    pred = model.predict(np.ones((4, 3)), verbose=0)
    assert logs["root_mean_squared_error"] == pytest.approx(float(np.sqrt(np.mean(pred ** 2))),
                                                            rel=1e-5)
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        model.compile(loss="nope")


def test_subclassed_model_calls_once_saves_and_loads(tmp_path):
    calls = []

    @K.saving.register_keras_serializable(package="tests")
    class Two(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = K.layers.Dense(3)
            self.second = K.layers.Dense(2)

        def call(self, x):
            calls.append(1)
            return self.second(self.first(x))

    model = Two(name="two")
    x = np.arange(3, dtype="float32")[None]
    y = model(x)
    assert len(calls) == 1
    model.save(tmp_path / "two.keras")
    loaded = K.models.load_model(tmp_path / "two.keras")
    assert type(loaded) is Two and loaded.name == "two"
    np.testing.assert_array_equal(loaded(x).numpy(), y.numpy())
