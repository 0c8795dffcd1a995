"""The same programs under TensorFlow and tapegrad print the same text (``tapegrad`` for ``tf``).

Each snippet is a small TensorFlow program from the tutorials this project grew from; it runs in
a fresh interpreter once with ``import tensorflow as tf`` and once with ``import tapegrad as
tf``. The text must match, with numbers equal to float32 rounding: float32 exp and log differ in
the last bit between TensorFlow (Eigen) and NumPy, which changes a printed digit and the padding
numpy puts around it. Runs only where TensorFlow is installed (CI installs it).
"""

import os
import re
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorflow")

SNIPPETS = {
    "tensors": """
        print(tf.constant([[10, 20, 30]]))
        print(repr(tf.constant([[10, 20, 30]])))
        print(tf.constant([1.5, 2.5], dtype=tf.float64))
        print(tf.convert_to_tensor([[10, 20, 30]], dtype=tf.float32))
        print(tf.constant([[1, 2], [3, 4]]).numpy())
        v = tf.Variable(42.0)
        print(repr(v))
        print(v)
        v.assign(5.0); print(v.numpy()); v.assign(10.0); print(v.numpy())
        a = tf.constant([[1, 2, 3], [4, 5, 6]], dtype=tf.float64)
        w = tf.Variable([[1.0], [2.0], [3.0]], dtype=tf.float64)
        print(tf.matmul(a, w))
        print(repr(tf.constant(0.1)), repr(tf.constant(True)), repr(tf.constant(5)))
        print(tf.constant(3.0).shape, repr(tf.ones((2, 3)).shape), tf.ones((2, 3)).dtype)
        print(repr(tf.float32))
    """,
    "gradients": """
        x = tf.Variable(3.0)
        with tf.GradientTape() as tape:
            y = x ** 3
        print(tape.gradient(y, x))
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x ** 3
            dy = t1.gradient(y, x)
        print(dy, t2.gradient(dy, x))
        c = tf.constant(3.0)
        with tf.GradientTape() as tape:
            y = c ** 3
        print(tape.gradient(y, c))
        with tf.GradientTape() as tape:
            tape.watch(c)
            y = c ** 3
        print(tape.gradient(y, c))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(c)
            y = c * c * c
            z = 2 * y
        print(tape.gradient(z, y), tape.gradient(y, c), tape.gradient(z, c))
        x = tf.Variable(10.0)
        with tf.GradientTape() as tape:
            y = 3 * x ** 3 + x ** 2
        print(tape.gradient(y, x))
        x = tf.constant(3.6)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        print(tape.gradient(y, x))
    """,
    "gradient descent": """
        x = tf.Variable(50.0)
        for i in range(50):
            with tf.GradientTape() as tape:
                y = x ** 2 - 20 * x + 100
            x.assign_sub(0.1 * tape.gradient(y, x))
            print(i, x.numpy())
    """,
    "tape rules": """
        x = tf.constant([1.0, 2.0, 3.0])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * x
        print(tape.gradient(y, x))
        print(tape.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, 10.0])))
        print(tape.jacobian(y, x))
        a, b = tf.Variable(1.0), tf.Variable(2.0)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(a)
            y = a * 3.0 + b * 4.0
        print(tape.gradient(y, [a, b]))
        with tf.GradientTape() as tape:
            z = a * 2.0
        print(tape.gradient(z, {"a": a, "b": [b]}))
        m = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        bias = tf.Variable([0.0, 0.0])
        with tf.GradientTape() as tape:
            out = tf.reduce_sum((m + bias) ** 2)
        print(tape.gradient(out, bias))
    """,
    "ops": """
        x = tf.constant([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
        print(tf.reduce_sum(x), tf.reduce_mean(x, axis=0), tf.reduce_max(x, axis=1))
        print(tf.nn.relu(x), tf.abs(x), tf.square(x))
        print(tf.transpose(x), tf.reshape(x, (3, 2)), x[:, 1])
        print(tf.nn.softmax(tf.constant([1.0, 2.0, 3.0])))
        print(tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0, 1.0],
                                                      logits=[2.0, -1.0, 0.0]))
        print(tf.nn.l2_loss(tf.constant([1.0, 2.0, 3.0])))
        print(tf.range(5), tf.linspace(0.0, 1.0, 5), tf.one_hot([0, 2], 3))
        print(tf.constant(3) / tf.constant(2), tf.constant(-7) // 2, tf.constant(-7.0) % 3)
        print(tf.cast([1.7, -1.7], tf.int32), tf.reduce_mean(tf.constant([1, 2])))
        print(tf.concat([x, x], 0).shape, tf.stack([x, x], 1).shape)
        print(tf.math.reduce_std(tf.constant([1.0, 2.0, 3.0, 4.0])))
        print(tf.norm(tf.constant([3.0, 4.0])), tf.tensordot(x, tf.ones((3, 2)), 1))
    """,
    "errors": """
        for f in [lambda: tf.constant(1) + tf.constant(1.0),
                  lambda: tf.constant([1]) + 1.5,
                  lambda: tf.constant(2) ** 0.5,
                  lambda: tf.constant([1, 2]) + tf.constant([1, 2, 3]),
                  lambda: tf.matmul([[1.0, 2.0]], [[1.0, 2.0]]),
                  lambda: tf.Variable(1.0).assign([1.0, 2.0]),
                  lambda: tf.constant([[1, 2], [3]])]:
            try:
                f()
            except Exception as e:
                print(type(e).__name__)
    """,
}


def _run(module: str, code: str) -> str:
    program = f"import {module} as tf\n" + textwrap.dedent(code)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def _assert_same_text_and_numbers(got: str, expected: str) -> None:
    words = ["".join(NUMBER.sub("#", t).split()) for t in (got, expected)]
    assert words[0] == words[1]
    numbers = [[float(n) for n in NUMBER.findall(t)] for t in (got, expected)]
    assert numbers[0] == pytest.approx(numbers[1], rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name", SNIPPETS)
def test_prints_what_tensorflow_prints(name: str) -> None:
    expected = _run("tensorflow", SNIPPETS[name]).replace("tf.", "tapegrad.")
    _assert_same_text_and_numbers(_run("tapegrad", SNIPPETS[name]), expected)


@pytest.mark.parametrize("name", ["tensors", "gradients", "gradient descent", "tape rules"])
def test_tutorials_print_exactly_what_tensorflow_prints(name: str) -> None:
    expected = _run("tensorflow", SNIPPETS[name]).replace("tf.", "tapegrad.")
    assert _run("tapegrad", SNIPPETS[name]) == expected
