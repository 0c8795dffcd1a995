"""Logistic regression telling the digit 0 from the digit 1 (scikit-learn's bundled digits).

The 8x8 images are standardised and split 90/10 (fixed random_state); features are rows, so
the data matrix is (64, samples) and the weights (1, 64), drawn from N(0, 0.05). The model is
sigmoid(W X + b), trained with sigmoid cross-entropy on the logits and Adam for 70 iterations:
one `tf.function` call each (traced on the first call, replayed after), returning the loss
before the update and the training accuracy after it.

Run from the repository root: python examples/10_logistic_regression_digits.py
"""

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tapegrad as tf

digits = load_digits()
keep = digits.target < 2  # the zeros and the ones
images, labels = digits.data[keep], digits.target[keep]
x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=0.1,
                                                    random_state=42)
scaler = StandardScaler().fit(x_train)
x_train = tf.constant(scaler.transform(x_train).T, dtype=tf.float32)  # (64, m)
x_test = tf.constant(scaler.transform(x_test).T, dtype=tf.float32)
y_train = tf.constant(y_train.reshape(1, -1), dtype=tf.float32)  # (1, m)
y_test = tf.constant(y_test.reshape(1, -1), dtype=tf.float32)
print(f"training on {x_train.shape[1]} images, testing on {x_test.shape[1]}")

tf.random.set_seed(0)
W = tf.Variable(tf.random.normal([1, 64], stddev=0.05))
b = tf.Variable(tf.zeros([1, 1]))


def logits(x):
    return tf.matmul(W, x) + b


def accuracy(x, y):
    predicted = tf.cast(tf.sigmoid(logits(x)) > 0.5, tf.float32)
    return tf.reduce_mean(tf.cast(tf.equal(predicted, y), tf.float32))


optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits(x)))
    optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
    return loss, accuracy(x, y)


for iteration in range(1, 71):
    loss, train_accuracy = train_step(x_train, y_train)
    print(f"iteration {iteration:2d}: loss = {loss.numpy():.4f}, "
          f"accuracy = {train_accuracy.numpy():.4f}")

print(f"test accuracy: {accuracy(x_test, y_test).numpy():.4f}")
