"""tf.nn beyond the op table: a small CNN trains, conv/pool shapes and padding as TensorFlow
computes them, NCHW, second derivatives of conv, and the loss helpers' conventions."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.test import check_gradients


def _bars(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """8x8 images of a horizontal bar, a vertical bar, or either diagonal, with noise."""
    labels = rng.integers(0, 4, n)
    images = rng.normal(0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    for k, (y, at) in enumerate(zip(labels, rng.integers(1, 7, n))):
        if y == 0:
            images[k, at, :, 0] += 1
        elif y == 1:
            images[k, :, at, 0] += 1
        elif y == 2:
            images[k, np.arange(8), np.arange(8), 0] += 1
        else:
            images[k, np.arange(8), 7 - np.arange(8), 0] += 1
    return images, labels.astype(np.int32)


def test_a_small_cnn_trains() -> None:
    rng = np.random.default_rng(0)
    x, y = _bars(rng, 256)
    tf.random.set_seed(0)
    w1 = tf.Variable(tf.random.normal((3, 3, 1, 8), stddev=0.3))
    w2 = tf.Variable(tf.random.normal((3, 3, 8, 8), stddev=0.2))
    dense = tf.Variable(tf.random.normal((2 * 2 * 8, 4), stddev=0.2))
    params = [w1, w2, dense]

    def loss_fn() -> tf.Tensor:
        h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME"))
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.relu(tf.nn.conv2d(h, w2, 1, "SAME"))
        h = tf.nn.avg_pool2d(h, 2, 2, "VALID")
        logits = tf.reshape(h, (-1, 2 * 2 * 8)) @ dense
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)), logits

    first = float(loss_fn()[0])
    for _ in range(60):
        with tf.GradientTape() as tape:
            loss, _ = loss_fn()
        for p, g in zip(params, tape.gradient(loss, params)):
            p.assign_sub(0.5 * g)
    loss, logits = loss_fn()
    accuracy = np.mean(np.argmax(logits.numpy(), 1) == y)
    assert float(loss) < first / 3 and accuracy > 0.9


@pytest.mark.parametrize("size, stride, padding, want", [
    (7, 2, "SAME", 4), (7, 2, "VALID", 3), (8, 3, "SAME", 3), (5, 1, "VALID", 3)])
def test_conv_output_sizes(size: int, stride: int, padding: str, want: int) -> None:
    out = tf.nn.conv2d(tf.ones((1, size, size, 2)), tf.ones((3, 3, 2, 4)), stride, padding)
    assert out.shape == (1, want, want, 4)
    assert tf.nn.max_pool2d(tf.ones((1, size, size, 2)), 3, stride, padding).shape == \
        (1, want, want, 2)


def test_nchw_and_explicit_padding_agree_with_nhwc() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(3, 3, 3, 2))
    nhwc = tf.nn.conv2d(x, w, [1, 2, 2, 1], [[0, 0], [1, 1], [0, 1], [0, 0]])
    nchw = tf.nn.conv2d(np.transpose(x, (0, 3, 1, 2)), w, [1, 1, 2, 2],
                        [[0, 0], [0, 0], [1, 1], [0, 1]], data_format="NCHW")
    np.testing.assert_allclose(np.transpose(nchw.numpy(), (0, 2, 3, 1)), nhwc.numpy())
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 2, "SAME").numpy(), nhwc.numpy())


def test_dilated_and_strided_conv_second_derivatives() -> None:
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(1, 6, 6, 2)), rng.normal(size=(2, 2, 2, 2))
    check_gradients(lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2), [x, w], order=2)
    check_gradients(lambda x, w: tf.nn.conv2d(x, w, 3, "VALID"), [x, w], order=2)
    check_gradients(lambda x: tf.nn.max_pool(x, 3, 2, "SAME"), [x], order=2)


def test_max_pool_gradient_goes_to_the_first_maximum() -> None:
    x = tf.constant([[[[1.0], [1.0]], [[0.0], [1.0]]]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    assert tape.gradient(y, x).numpy().ravel().tolist() == [1.0, 0.0, 0.0, 0.0]


def test_conv_errors() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="depth"):
        tf.nn.conv2d(tf.ones((1, 4, 4, 3)), tf.ones((2, 2, 2, 1)), 1, "VALID")
    with pytest.raises(ValueError, match="padding"):
        tf.nn.conv2d(tf.ones((1, 4, 4, 1)), tf.ones((2, 2, 1, 1)), 1, "FULL")
    with pytest.raises(ValueError, match="strides"):
        tf.nn.conv2d(tf.ones((1, 4, 4, 1)), tf.ones((2, 2, 1, 1)), [1, 2, 3], "SAME")


def test_loss_helpers() -> None:
    assert float(tf.nn.compute_average_loss([1.0, 2.0, 3.0, 6.0])) == 3.0
    assert float(tf.nn.compute_average_loss([1.0, 2.0], sample_weight=[2.0, 0.0])) == 1.0
    assert float(tf.nn.scale_regularization_loss(tf.constant([1.0, 2.0]))) == 3.0
    z = tf.nn.weighted_cross_entropy_with_logits([1.0, 0.0], [1000.0, -1000.0], 2.0)
    assert z.numpy().tolist() == [0.0, 0.0]
    bn = tf.nn.batch_normalization(tf.constant([[1.0, 2.0]]), [1.0, 0.0], [4.0, 1.0],
                                   [0.5, 0.5], [2.0, 1.0], 0.0)
    assert bn.numpy().tolist() == [[0.5, 2.5]]
    assert tf.nn.gelu(tf.constant([0.0], tf.float64)).dtype == tf.float64
