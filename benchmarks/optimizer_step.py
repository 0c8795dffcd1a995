"""Time one optimizer step on a 3-element float32 variable against the same update in NumPy.

Run from the repository root: ``python benchmarks/optimizer_step.py`` (the ratios are what to
compare; the absolute times depend on the machine).
"""

from __future__ import annotations

import timeit

import numpy as np

import tapegrad as tf

B1, B2, EPS, LR = 0.9, 0.999, 1e-7, 0.001


def numpy_adam() -> tuple[object, dict]:
    s = {"x": np.array([1.0, 2.0, 3.0], np.float32), "m": np.zeros(3, np.float32),
         "v": np.zeros(3, np.float32), "t": 0, "g": np.array([0.1, -0.2, 0.3], np.float32)}

    def step() -> None:
        s["t"] = t = s["t"] + 1
        g = s["g"]
        s["m"] = m = B1 * s["m"] + (1 - B1) * g
        s["v"] = v = B2 * s["v"] + (1 - B2) * g * g
        alpha = LR * (1 - B2 ** t) ** 0.5 / (1 - B1 ** t)
        s["x"] = s["x"] - alpha * m / (np.sqrt(v) + EPS)
    return step, s


def numpy_nadam() -> tuple[object, dict]:
    s = {"x": np.array([1.0, 2.0, 3.0], np.float32), "m": np.zeros(3, np.float32),
         "v": np.zeros(3, np.float32), "t": 0, "u_product": 1.0,
         "g": np.array([0.1, -0.2, 0.3], np.float32)}

    def step() -> None:
        s["t"] = t = s["t"] + 1
        g = s["g"]
        u_t = B1 * (1 - 0.5 * 0.96 ** t)
        u_next = B1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["u_product"] = u_product = s["u_product"] * u_t
        s["m"] = m = B1 * s["m"] + (1 - B1) * g
        s["v"] = v = B2 * s["v"] + (1 - B2) * g * g
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - B2 ** t)
        s["x"] = s["x"] - LR * m_hat / (np.sqrt(v_hat) + EPS)
    return step, s


def tapegrad_step(cls: type) -> tuple[object, tf.Variable]:
    x = tf.Variable([1.0, 2.0, 3.0])
    g = tf.constant([0.1, -0.2, 0.3])
    opt = cls()
    pairs = [(g, x)]

    def step() -> None:
        opt.apply_gradients(pairs)
    return step, x


def best_of(step: object, number: int = 20000, repeat: int = 7) -> float:
    return min(timeit.repeat(step, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    for name, reference, cls in (("Adam", numpy_adam, tf.optimizers.Adam),
                                 ("Nadam", numpy_nadam, tf.optimizers.Nadam)):
        np_step, _ = reference()
        tg_step, _ = tapegrad_step(cls)
        t_np, t_tg = best_of(np_step), best_of(tg_step)
        print(f"{name:6s} NumPy {t_np:6.2f} us  tapegrad {t_tg:6.2f} us  ratio {t_tg / t_np:4.2f}")


if __name__ == "__main__":
    main()
