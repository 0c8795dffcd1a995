"""Keras 3's documented behaviour of layers: building, weights, trainable flags, losses,
the training flag, symbolic calls, configs."""

import numpy as np
import pytest

import tapegrad as tf

K = tf.keras


def test_layer_builds_on_first_call_with_the_input_shape():
    seen = []

    class Scale(K.layers.Layer):
        def build(self, input_shape):
            seen.append(input_shape)
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    layer = Scale()
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 3)))
    assert seen == [(2, 3)] and layer.built
    assert out.dtype == tf.float32 and out.numpy().tolist() == [[1.0] * 3] * 2
    layer(np.ones((2, 3)))
    assert len(seen) == 1
    assert layer.w.path == f"{layer.name}/w" and layer.w.name == "w"
    assert repr(layer) == f"<Scale name={layer.name}, built=True>"


def test_weights_trainable_and_non_trainable_lists():
    layer = K.layers.Normalization()
    layer.adapt(np.array([[1.0, 2.0], [3.0, 6.0]]))
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    dense = K.layers.Dense(2)
    dense.build((None, 3))
    assert [w.name for w in dense.trainable_variables] == ["kernel", "bias"]
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert not dense.kernel.trainable  # Keras 3 sets each variable's flag
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(dense(tf.ones((1, 3))))
    assert tape.gradient(y, dense.kernel) is None


def test_get_and_set_weights_with_keras_errors():
    dense = K.layers.Dense(2, name="d")
    dense.build((None, 3))
    values = [np.full((3, 2), 0.5, np.float32), np.array([1.0, -1.0], np.float32)]
    dense.set_weights(values)
    assert [w.tolist() for w in dense.get_weights()] == [v.tolist() for v in values]
    with pytest.raises(ValueError, match=r"You called `set_weights\(weights\)` on layer 'd' "
                       r"with a weight list of length 1, but the layer was expecting 2 weights."):
        dense.set_weights(values[:1])
    with pytest.raises(ValueError, match=r"Layer d weight shape \(3, 2\) is not compatible with "
                       r"provided weight shape \(2,\)."):
        dense.set_weights([values[1], values[1]])
    with pytest.raises(ValueError, match="isn't built"):
        K.layers.Dense(2).count_params()
    assert dense.count_params() == 8


def test_regularization_losses_follow_the_current_weights():
    dense = K.layers.Dense(1, kernel_initializer="ones", kernel_regularizer=K.regularizers.L2(0.5))
    dense(np.ones((1, 2)))
    assert [float(x) for x in dense.losses] == [1.0]  # 0.5 * (1 + 1)
    dense.kernel.assign([[2.0], [0.0]])
    assert [float(x) for x in dense.losses] == [2.0]


def test_add_loss_is_cleared_at_each_outer_call():
    class Penalized(K.layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(x))
            return x

    class Outer(K.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Penalized()

        def call(self, x):
            return self.inner(self.inner(x))

    outer = Outer()
    outer(tf.ones((2,)))
    assert [float(x) for x in outer.losses] == [2.0, 2.0]
    outer(tf.ones((3,)))
    assert [float(x) for x in outer.losses] == [3.0, 3.0]


def test_training_flag_reaches_nested_layers():
    class Block(K.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dropout = K.layers.Dropout(0.5, seed=0)

        def call(self, x):
            return self.dropout(x)

    block = Block()
    x = tf.ones((200,))
    assert block(x).numpy().tolist() == [1.0] * 200
    dropped = block(x, training=True).numpy()
    assert set(dropped.tolist()) == {0.0, 2.0} and 60 < (dropped == 0).sum() < 140


def test_dropout_is_reproducible_with_a_seed():
    K.utils.set_random_seed(1)
    a = K.layers.Dropout(0.3, seed=7)(tf.ones((50,)), training=True)
    K.utils.set_random_seed(1)
    b = K.layers.Dropout(0.3, seed=7)(tf.ones((50,)), training=True)
    assert a.numpy().tolist() == b.numpy().tolist()
    with pytest.raises(ValueError, match="Invalid value received for argument `rate`"):
        K.layers.Dropout(1.5)


def test_symbolic_calls_record_a_graph():
    x = K.Input((4,), name="x")
    assert repr(x) == "<KerasTensor shape=(None, 4), dtype=float32, sparse=False, " \
                      "ragged=False, name=x>"
    dense = K.layers.Dense(3, name="dense_out")
    y = dense(x)
    assert y.shape == (None, 3) and y.dtype == "float32"
    assert dense.output is y and dense.input is x
    assert K.layers.Flatten()(K.Input((2, 3))).shape == (None, 6)
    assert K.layers.Reshape((2, -1))(K.Input((6,))).shape == (None, 2, 3)
    assert K.layers.Concatenate()([K.Input((2,)), K.Input((3,))]).shape == (None, 5)
    assert (x * 2 + 1).shape == (None, 4)
    assert K.layers.Embedding(10, 4)(K.Input((5,), dtype="int32")).shape == (None, 5, 4)


def test_dense_rejects_a_wrong_input_size():
    dense = K.layers.Dense(2, name="d")
    dense(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r'Input 0 of layer "d" is incompatible with the layer: '
                       r"expected axis -1 of input shape to have value 3"):
        dense(np.ones((1, 4)))


def test_layer_configs_in_keras_layout():
    config = K.layers.Dense(3, activation="relu", name="d").get_config()
    assert config["units"] == 3 and config["activation"] == "relu"
    assert config["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None}, "registered_name": None}
    assert config["dtype"]["config"]["name"] == "float32"
    assert K.layers.Dropout(0.5, name="x").get_config()["rate"] == 0.5
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        K.layers.Dense(2, foo=1)


def test_normalization_adapt_and_invert():
    data = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    layer = K.layers.Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean.numpy(), data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), data.var(0), rtol=1e-6)
    out = layer(data).numpy()
    np.testing.assert_allclose(out, (data - data.mean(0)) / data.std(0), rtol=1e-5)
    inverse = K.layers.Normalization(mean=data.mean(0), variance=data.var(0), invert=True)
    np.testing.assert_allclose(inverse(out).numpy(), data, rtol=1e-5)
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        K.layers.Normalization(mean=1.0)


def test_lambda_layer_and_activation_strings():
    layer = K.layers.Lambda(lambda x, scale: x * scale, arguments={"scale": 3.0})
    assert layer(tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    for name in ["relu", "gelu", "swish", "leaky_relu", "softmax"]:
        out = K.layers.Activation(name)(tf.constant([[-1.0, 0.5]]))
        assert out.dtype == tf.float32
    np.testing.assert_allclose(K.activations.gelu(tf.constant([1.0])).numpy(), [0.8413447],
                               rtol=1e-6)
    np.testing.assert_allclose(K.activations.gelu(tf.constant([1.0]), approximate=True).numpy(),
                               [0.8411920], rtol=1e-6)
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        K.activations.get("nope")


def test_initializers_follow_keras_scales():
    w = K.initializers.GlorotUniform(seed=0)((300, 200)).numpy()
    limit = np.sqrt(6 / 500)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    he = K.initializers.HeNormal(seed=1)((400, 300)).numpy()
    np.testing.assert_allclose(he.std(), np.sqrt(2 / 400), rtol=0.05)
    assert np.abs(he).max() <= 2 * np.sqrt(2 / 400) / 0.87962566103423978 + 1e-6
    q = K.initializers.Orthogonal(seed=2)((5, 3)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-6)
    assert K.initializers.Identity()((2, 2)).numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert K.initializers.get("he_uniform").__class__ is K.initializers.HeUniform
    unseeded = K.initializers.RandomNormal()
    np.testing.assert_array_equal(unseeded((3,)).numpy(), unseeded((3,)).numpy())
    K.utils.set_random_seed(4)
    first = K.initializers.RandomNormal()((3,)).numpy()
    K.utils.set_random_seed(4)
    np.testing.assert_array_equal(K.initializers.RandomNormal()((3,)).numpy(), first)


def test_embedding_looks_up_rows_and_trains():
    layer = K.layers.Embedding(4, 2, embeddings_initializer="ones")
    out = layer(np.array([[0, 3]]))
    assert out.shape == (1, 2, 2) and out.dtype == tf.float32
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(np.array([1, 1, 2])))
    assert tape.gradient(y, layer.embeddings).numpy()[:, 0].tolist() == [0.0, 2.0, 1.0, 0.0]


def test_merge_layers_need_lists():
    with pytest.raises(ValueError, match="A merge layer should be called on a list of inputs"):
        K.layers.Add()(tf.ones((2, 2)))
    assert K.layers.Average()([tf.ones(2), 3 * tf.ones(2)]).numpy().tolist() == [2.0, 2.0]
