"""A differential test of the trace compiler: generated functions, traced vs eager, call by call.

Functions are assembled from statement templates with value-dependent Python control flow
(``if``/``while``/``for`` on tensor values, early returns), conversions (``float``, ``int``,
``bool``, ``.numpy()``, indices), variable writes, optimizer steps (SGD, Adam), random draws,
``tapegrad.print`` and the functional ``cond``/``while_loop``. Each is built twice, with its own
variables and optimizer; one copy runs eagerly, the other under ``tapegrad.function``, on input
sequences that switch paths. Results, variables, optimizer state and printed text must agree
exactly after every call.
"""

import io
import random

import numpy as np
import pytest

import tapegrad as tf

TEMPLATES = [
    "if tf.reduce_sum(y) > {c}:\n    y = y * {a}\nelse:\n    y = y - {b}",
    "s = float(tf.reduce_max(y))\ny = y + (s if s < {c} else -s)",
    "for _ in range(int(n) % 3):\n    y = y * 0.5 + {a}",
    "i = int(tf.argmax(y))\ny = y + y[i] * {a}",
    "y = y + y[tf.argmin(y)]",
    "k = 0\nwhile tf.reduce_sum(tf.abs(y)) < {c} and k < 4:\n    y = y * 2.0 + 1.0\n    k += 1",
    "v.assign_add(tf.reduce_mean(y) * 0.1)\nif v > {c}:\n    y = y + v",
    "with tf.GradientTape() as tape:\n    loss = tf.reduce_sum(tf.square(w * y - 1.0))\n"
    "if loss > {c}:\n    opt.apply_gradients([(tape.gradient(loss, w), w)])\ny = y + w",
    "with tf.GradientTape() as tape:\n"
    "    loss = tf.reduce_sum(w * y) if tf.reduce_sum(y) > {c} else tf.reduce_sum(w * w)\n"
    "w.assign_sub(0.01 * tape.gradient(loss, w))",
    "a = y.numpy()\ny = y + tf.constant(np.sort(a)) * {a}",
    "with tf.GradientTape() as tape:\n"
    "    loss = tf.cond(tf.reduce_sum(y) > {c}, lambda: tf.reduce_sum(w * y),\n"
    "                   lambda: tf.reduce_sum(w * w * {a}))\n"
    "opt.apply_gradients([(tape.gradient(loss, w), w)])",
    "y = tf.cond(tf.reduce_min(y) > {c}, lambda: y * 2.0, lambda: y + {b})",
    "y = tf.while_loop(lambda t: tf.reduce_sum(t) < {c}, lambda t: t + 1.0, [y],\n"
    "                  maximum_iterations=4)[0]",
    "if bool(tf.reduce_any(y > {c})):\n    return y * 3.0, v * 1.0",
    "tf.print('y', y, output_stream=out)",
    "y = y + tf.random.uniform((2,), -1.0, 1.0)",
    "if y[0] < {c}:\n    v.assign(v * 0.5)",
    "y = tf.switch_case(int(n) % 3, [lambda: y, lambda: -y, lambda: y * y * 0.1])",
]


def _source(rng: random.Random) -> str:
    body = []
    for _ in range(rng.randint(2, 5)):
        template = rng.choice(TEMPLATES)
        body.append(template.format(c=rng.choice([-2.0, 0.0, 1.0, 3.0, 8.0]),
                                    a=rng.choice([0.5, 1.5, -1.0]),
                                    b=rng.choice([1.0, 2.5])))
        body.append("y = tf.clip_by_value(y, -50.0, 50.0)")
    body.append("return y + v, v * 1.0" if rng.random() < 0.5 else "return y * 2.0, w + 0.0")
    return "def f(x, n):\n    y = x\n" + "".join(
        "    " + line + "\n" for line in "\n".join(body).split("\n"))


def _build(source: str, adam: bool):
    env = {"tf": tf, "np": np, "out": io.StringIO(), "v": tf.Variable(0.5),
           "w": tf.Variable([1.0, -1.0])}
    env["opt"] = tf.keras.optimizers.Adam(0.1) if adam else \
        tf.keras.optimizers.SGD(0.05, momentum=0.5)
    exec(compile(source, "<generated>", "exec"), env)
    return env


def _state(env):
    return [env["v"].numpy(), env["w"].numpy(), env["out"].getvalue()] + [
        v.numpy() for v in env["opt"].variables]


def _equal(a, b):
    a = a.numpy() if isinstance(a, tf.Tensor) else a
    b = b.numpy() if isinstance(b, tf.Tensor) else b
    if isinstance(a, str):
        return a == b
    return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("seed", range(8))
def test_traced_functions_agree_with_eager_call_by_call(seed):
    rng = random.Random(seed)
    disagreements, traces = [], 0
    for case in range(6):
        source = _source(rng)
        adam = rng.random() < 0.5
        eager_env, traced_env = _build(source, adam), _build(source, adam)
        traced = tf.function(traced_env["f"])
        for call in range(8):
            x = tf.constant([rng.choice([-3.0, -1.0, 0.5, 2.0, 4.0]) for _ in range(2)])
            n = tf.constant(rng.randint(0, 5))
            tf.random.set_seed(100 * case + call)
            expected = eager_env["f"](x, n)
            tf.random.set_seed(100 * case + call)
            got = traced(x, n)
            agree = all(map(_equal, tf.nest.flatten(expected), tf.nest.flatten(got))) and \
                all(map(_equal, _state(eager_env), _state(traced_env)))
            if not agree:
                disagreements.append((source, call))
                break
        traces += traced.experimental_get_tracing_count()
    assert disagreements == []
    assert traces > 6  # the inputs did switch paths
