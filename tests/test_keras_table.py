"""Generic checks of everything in tests/keras_table.py."""

import numpy as np
import pytest
from keras_table import (
    ACTIVATIONS,
    CALLBACKS,
    CONSTRAINTS,
    INITIALIZERS,
    LAYER_CLASSES,
    LAYERS,
    LOSS_FUNCTIONS,
    LOSSES,
    METRICS,
    REGULARIZERS,
    loss_data,
)

import tapegrad as tf
from tapegrad.test import check_gradients

K = tf.keras


def _inputs(case, rng, dtype="float32"):
    shapes = case.input_shape if isinstance(case.input_shape, list) else [case.input_shape]
    if case.integer_input:
        arrays = [rng.integers(0, case.integer_input, size=s) for s in shapes]
    else:
        arrays = [rng.normal(size=s).astype(dtype) for s in shapes]
    return arrays if isinstance(case.input_shape, list) else arrays[0]


def _call(layer, x):
    return layer([tf.constant(a) for a in x] if isinstance(x, list) else tf.constant(x))


def test_every_public_layer_is_in_the_table():
    public = {name for name in K.layers.__all__ if isinstance(getattr(K.layers, name), type)
              and issubclass(getattr(K.layers, name), K.layers.Layer)}
    assert public <= LAYER_CLASSES


def test_every_public_loss_metric_initializer_callback_is_in_the_table():
    assert {n for n in K.losses.__all__ if isinstance(getattr(K.losses, n), type)} - {
        "Loss", "LossFunctionWrapper"} == {c.name for c in LOSSES}
    assert {n for n in K.metrics.__all__ if isinstance(getattr(K.metrics, n), type)} - {
        "Metric", "MeanMetricWrapper"} == {c.name for c in METRICS}
    assert {n for n in K.initializers.__all__ if isinstance(getattr(K.initializers, n), type)} \
        - {"Initializer"} == {name for name, _ in INITIALIZERS}
    assert {n for n in K.callbacks.__all__} - {"Callback", "CallbackList"} == \
        {name for name, _ in CALLBACKS}
    assert set(K.activations.__all__) - {"get", "serialize", "deserialize"} == set(ACTIVATIONS)


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_layer_config_round_trip_gives_the_same_layer(case):
    rng = np.random.default_rng(0)
    layer = case.make()
    x = _inputs(case, rng)
    out = _call(layer, x)
    config = layer.get_config()
    unsafe = {"safe_mode": False} if case.name == "Lambda" else {}  # Lambda: Python bytecode
    clone = type(layer).from_config(config, **unsafe)

    def comparable(c):  # marshal's bytes of the same code object can differ in reference flags
        return {k: v for k, v in c.items() if not (unsafe and k == "function")}

    assert comparable(clone.get_config()) == comparable(config)
    _call(clone, x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(_call(clone, x).numpy(), out.numpy())
    serialized = K.layers.serialize(layer)
    assert serialized["class_name"] == type(layer).__name__
    assert comparable(K.saving.deserialize_keras_object(serialized, **unsafe).get_config()) \
        == comparable(config)


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_layer_output_shape_symbolic_equals_eager(case):
    rng = np.random.default_rng(1)
    x = _inputs(case, rng)
    eager = _call(case.make(), x)
    shapes = case.input_shape if isinstance(case.input_shape, list) else [case.input_shape]
    dtype = "int32" if case.integer_input else "float32"
    symbolic_in = [K.Input(s[1:], dtype=dtype) for s in shapes]
    symbolic = case.make()(symbolic_in if isinstance(case.input_shape, list) else symbolic_in[0])
    assert symbolic.shape == (None,) + tuple(eager.shape[1:])
    assert symbolic.dtype == eager.dtype.name


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_layer_float32_preserved_and_float64_inputs_cast(case):
    rng = np.random.default_rng(2)
    layer = case.make()
    out = _call(layer, _inputs(case, rng))
    assert out.dtype == tf.float32
    assert all(w.dtype == tf.float32 for w in layer.weights if w.dtype.is_floating)
    if not case.integer_input:  # Keras casts float inputs to the layer's dtype
        assert _call(layer, _inputs(case, rng, "float64")).dtype == tf.float32


def _weight_fd(layer, x, eps=1e-6):
    """Tape gradients and central differences of sum(out * r) for each trainable weight."""
    out = _call(layer, x)
    r = tf.constant(np.random.default_rng(9).normal(size=out.shape))
    with tf.GradientTape() as tape:
        scalar = tf.reduce_sum(_call(layer, x) * r) + sum(tf.reduce_sum(loss)
                                                          for loss in layer.losses)
    grads = tape.gradient(scalar, layer.trainable_weights)
    for w, g in zip(layer.trainable_weights, grads):
        base = w.numpy().copy()
        numeric = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            values = []
            for sign in (1, -1):
                shifted = base.copy()
                shifted[i] += sign * eps
                w.assign(shifted)
                values.append(float(tf.reduce_sum(_call(layer, x) * r) +
                                    sum(tf.reduce_sum(loss) for loss in layer.losses)))
            numeric[i] = (values[0] - values[1]) / (2 * eps)
        w.assign(base)
        np.testing.assert_allclose(np.asarray(g), numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{layer.name}: {w.path}")


@pytest.mark.parametrize("case", [c for c in LAYERS if c.grad], ids=lambda c: c.name)
def test_layer_gradients_match_finite_differences_in_float64(case):
    rng = np.random.default_rng(3)
    layer = case.make(dtype="float64")
    x = _inputs(case, rng, "float64")
    _call(layer, x)
    if not case.integer_input:
        if isinstance(x, list):
            check_gradients(lambda *xs: layer(list(xs)), x)
        else:
            check_gradients(layer, [x])
    _weight_fd(layer, x)


@pytest.mark.parametrize("case", LOSSES, ids=lambda c: f"{c.name}-{c.kwargs}")
def test_loss_value_config_and_gradient(case):
    rng = np.random.default_rng(4)
    y_true, y_pred = loss_data(case.labels, rng, from_logits=case.from_logits)
    loss = getattr(K.losses, case.name)(**case.kwargs)
    config = loss.get_config()
    assert type(loss).from_config(config).get_config() == config
    assert K.losses.deserialize(K.losses.serialize(loss)).get_config() == config
    fn = getattr(K.losses, LOSS_FUNCTIONS[case.name])
    per_sample = fn(y_true.astype("float32"), y_pred.astype("float32"), **case.kwargs)
    value = loss(y_true.astype("float32"), y_pred.astype("float32"))
    assert value.dtype == tf.float32 and value.shape == ()
    np.testing.assert_allclose(float(value), float(np.mean(per_sample)), rtol=1e-6)
    weights = rng.uniform(size=(4,))
    summed = getattr(K.losses, case.name)(reduction="sum", **case.kwargs)
    np.testing.assert_allclose(
        float(summed(y_true.astype("float32"), y_pred.astype("float32"), weights)),
        float(np.sum(np.asarray(per_sample) * weights)), rtol=1e-5)
    loss64 = getattr(K.losses, case.name)(dtype="float64", **case.kwargs)
    check_gradients(lambda p: loss64(tf.constant(y_true), p), [y_pred])


def _metric_data(case, rng):
    if case.labels == "values":
        return (rng.normal(size=(5,)),)
    y_true, y_pred = loss_data(case.labels, rng, shape=(5, 3))
    if case.name in ("Precision", "Recall", "AUC", "Accuracy"):
        y_pred = (y_pred > 0.5).astype(np.float64) if case.name == "Accuracy" else y_pred
    return y_true, y_pred


@pytest.mark.parametrize("case", METRICS, ids=lambda c: c.name)
def test_metric_state_result_reset_and_config(case):
    rng = np.random.default_rng(5)
    metric = getattr(K.metrics, case.name)(**case.kwargs)
    first, second = _metric_data(case, rng), _metric_data(case, rng)
    metric.update_state(*first)
    metric.update_state(*second)
    result = metric.result()
    assert result.dtype == tf.float32
    both = getattr(K.metrics, case.name)(**case.kwargs)
    joined = tuple(np.concatenate([a, b]) for a, b in zip(first, second))
    both.update_state(*joined)
    np.testing.assert_allclose(float(both.result()), float(result), rtol=1e-5)
    metric.reset_state()
    assert all(not np.any(v.numpy()) for v in metric.variables)
    metric.update_state(*first)
    fresh = getattr(K.metrics, case.name)(**case.kwargs)
    np.testing.assert_allclose(float(fresh(*first)), float(metric.result()), rtol=1e-6)
    config = metric.get_config()
    assert type(metric).from_config(config).get_config() == config


@pytest.mark.parametrize("name, kwargs", INITIALIZERS, ids=[n for n, _ in INITIALIZERS])
def test_initializer_shape_dtype_seed_and_config(name, kwargs):
    init = getattr(K.initializers, name)(**kwargs)
    value = init((4, 4))
    assert value.shape == (4, 4) and value.dtype == tf.float32
    assert init((4, 4), dtype="float64").dtype == tf.float64
    again = getattr(K.initializers, name).from_config(init.get_config())
    assert again.get_config() == init.get_config()
    np.testing.assert_array_equal(again((4, 4)).numpy(), value.numpy())  # seeded: same values
    np.testing.assert_array_equal(init((4, 4)).numpy(), value.numpy())
    assert K.initializers.get(K.initializers.serialize(init)).get_config() == init.get_config()


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradient_float32_and_name(name):
    fn = K.activations.get(name)
    assert K.activations.serialize(fn) in (name, "silu")
    x = np.array([[-1.7, -0.3, 0.4, 2.2]])
    check_gradients(fn, [x])
    assert fn(tf.constant(x, dtype=tf.float32)).dtype == tf.float32


@pytest.mark.parametrize("name, kwargs", REGULARIZERS, ids=[n for n, _ in REGULARIZERS])
def test_regularizer_value_gradient_and_config(name, kwargs):
    reg = getattr(K.regularizers, name)(**kwargs)
    x = np.array([[0.5, -2.0], [1.5, 0.3]])
    expected = kwargs.get("l1", 0) * np.abs(x).sum() + kwargs.get("l2", 0) * (x * x).sum()
    np.testing.assert_allclose(float(reg(tf.constant(x))), expected)
    check_gradients(reg, [x])
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()


@pytest.mark.parametrize("name, kwargs", CONSTRAINTS, ids=[n for n, _ in CONSTRAINTS])
def test_constraint_projects_and_config(name, kwargs):
    c = getattr(K.constraints, name)(**kwargs)
    w = tf.constant([[3.0, -1.0], [0.5, -0.2]])
    out = c(w).numpy()
    if name == "NonNeg":
        assert (out >= 0).all()
    elif name == "UnitNorm":
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    else:
        norms = np.linalg.norm(out, axis=0)
        assert (norms <= kwargs["max_value"] + 1e-5).all()
    assert type(c).from_config(c.get_config()).get_config() == c.get_config()


@pytest.mark.parametrize("name, make", CALLBACKS, ids=[n for n, _ in CALLBACKS])
def test_callback_runs_in_fit(name, make, tmp_path, capsys):
    tf.keras.utils.set_random_seed(0)
    model = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
    model.compile(optimizer=K.optimizers.SGD(0.1), loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 2))
    callback = make(tmp_path)
    history = model.fit(x, x.sum(1), epochs=3, batch_size=4, verbose=0, callbacks=[callback])
    assert history.epoch == [0, 1, 2]
    assert callback.model is model
    if name == "ModelCheckpoint":
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"m-{i}.weights.h5"
                                                             for i in (1, 2, 3)]
    if name == "LearningRateScheduler":
        np.testing.assert_allclose(float(np.asarray(model.optimizer.learning_rate)),
                                   0.1 / 8, rtol=1e-6)
    if name == "CSVLogger":
        assert (tmp_path / "log.csv").read_text().splitlines()[0] == "epoch,loss"
