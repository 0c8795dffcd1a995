"""Run each program in examples/ and check the numbers it prints (and the figure it saves).

The training examples (03 to 10) run twice: as written, their `tf.function` steps traced once
and replayed, and with `tf.config.run_functions_eagerly(True)`; both runs must print the same.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import tapegrad as tf
from tapegrad.function import Function

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, capsys, monkeypatch, *args: str) -> str:
    """Run examples/<name>.py as __main__ (with ``args`` as its arguments); returns stdout."""
    path = EXAMPLES / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [str(path), *args])
    runpy.run_path(str(path), run_name="__main__")
    return capsys.readouterr().out


def run_training_example(name: str, capsys, monkeypatch, *args: str) -> str:
    """Run a training example traced, then eagerly; return stdout.

    Both runs must print the same text and leave the example's Variables equal bit for bit.
    Traced, each ``tf.function`` step the example defines must be traced exactly once (one
    signature; every later call replays the trace); eagerly, never. Each run starts from a fresh
    process's random state (``set_seed(None)``), so op-seeded draws such as example 09's
    ``tf.random.normal([], seed=1)`` repeat.
    """
    path = EXAMPLES / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [str(path), *args])
    tf.random.set_seed(None)
    traced = runpy.run_path(str(path), run_name="__main__")
    traced_out = capsys.readouterr().out
    steps = {k: f.experimental_get_tracing_count() for k, f in traced.items()
             if isinstance(f, Function)}
    assert steps and set(steps.values()) == {1}, steps
    tf.random.set_seed(None)
    tf.config.run_functions_eagerly(True)
    try:
        eager = runpy.run_path(str(path), run_name="__main__")
    finally:
        tf.config.run_functions_eagerly(False)
    eager_out = capsys.readouterr().out
    assert {k: f.experimental_get_tracing_count() for k, f in eager.items()
            if isinstance(f, Function)} == dict.fromkeys(steps, 0)
    assert traced_out.splitlines() == eager_out.splitlines()
    assert final_variables(traced) == final_variables(eager)
    return traced_out


def final_variables(namespace: dict[str, object]) -> dict[str, bytes]:
    return {k: v.numpy().tobytes() for k, v in namespace.items() if isinstance(v, tf.Variable)}


def numbers(pattern: str, text: str) -> list[float]:
    return [float(m) for m in re.findall(pattern, text)]


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_example_is_listed_in_the_readme():
    readme = (EXAMPLES / "README.md").read_text()
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert len(scripts) == 10
    for script in scripts:
        assert f"({script})" in readme, script


def test_01_tensors_and_variables(capsys, monkeypatch):
    out = run_example("01_tensors_and_variables", capsys, monkeypatch)
    assert out.splitlines() == [
        "tapegrad.Tensor([[10 20 30]], shape=(1, 3), dtype=int32)",
        "tapegrad.Tensor([[1.5 2.  2.5]], shape=(1, 3), dtype=float32)",
        "tapegrad.Tensor([1. 2. 3.], shape=(3,), dtype=float64)",
        "[[10 20 30]]",
        "ndarray int32",
        "<tapegrad.Variable 'Variable:0' shape=() dtype=float32, numpy=5.0>",
        "10.0",
        "tapegrad.Tensor(",
        "[[ 8. ]",
        " [18.5]], shape=(2, 1), dtype=float64)",
        "shape: (2, 1) dtype: float64",
    ]


def test_02_gradients(capsys, monkeypatch):
    out = run_example("02_gradients", capsys, monkeypatch)
    values = [line.rpartition(": ")[2] for line in out.splitlines()]
    assert values == ["27.0", "18.0", "None", "27.0", "2.0", "27.0", "54.0", "920.0"]


def test_03_minimise_a_quadratic(capsys, monkeypatch):
    out = run_training_example("03_minimise_a_quadratic", capsys, monkeypatch)
    xs = numbers(r"step +\d+: x = ([\d.]+)", out)
    assert xs[:4] == [42.0, 35.6, 30.48, 26.384]
    final, = numbers(r"minimum found at x = ([\d.]+)", out)
    assert final == pytest.approx(10.0, abs=0.01) and final > 10.0
    assert numbers(r"SGD: x = ([\d.]+)", out) == [final]


def test_04_linear_regression(capsys, monkeypatch):
    out = run_training_example("04_linear_regression", capsys, monkeypatch)
    losses = numbers(r"loss = ([\d.]+), w0", out)
    assert len(losses) == 10 and losses == sorted(losses, reverse=True)
    w0, w1, loss = [float(v) for v in re.search(
        r"final: w0 = ([\d.]+), w1 = ([\d.]+), loss = ([\d.]+)", out).groups()]
    assert w0 == pytest.approx(3.0, abs=0.05)
    assert w1 == pytest.approx(4.25, abs=0.05)
    assert loss == pytest.approx(0.02, abs=0.005)


def test_05_minibatch_linear_regression(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "history.png"
    out = run_training_example("05_minibatch_linear_regression", capsys, monkeypatch, str(figure))
    w, b = [float(v) for v in re.search(r"learned w = ([\d.]+) .*, b = ([\d.]+)", out).groups()]
    assert w == pytest.approx(7.0, abs=0.2) and b == pytest.approx(4.0, abs=0.2)
    first_w = numbers(r"step +0: .*w = ([\d.]+)", out)[0]
    assert 9.0 < first_w < 10.0  # one step from 10 toward 7
    assert_png(figure)


def test_06_lecture_linear_regression(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "fit.png"
    out = run_training_example("06_lecture_linear_regression", capsys, monkeypatch, str(figure))

    def fit(label):
        return [float(v) for v in re.search(
            label + r": +w = ([\d.]+), b = ([\d.]+)", out).groups()]
    gd, adam, best = fit("gradient descent"), fit("Adam"), fit("least squares")
    assert adam == pytest.approx(best, abs=2e-3)  # Adam reaches the least-squares line
    assert gd[0] == pytest.approx(2.5, abs=0.05) and gd[1] == pytest.approx(3.07, abs=0.05)
    costs = numbers(r"cost = ([\d.]+)", out)
    assert costs[:5] == sorted(costs[:5], reverse=True)
    assert_png(figure)


def test_07_polynomial_regression(capsys, monkeypatch):
    out = run_training_example("07_polynomial_regression", capsys, monkeypatch)
    a, b, c = [float(v) for v in re.search(
        r"learned y = ([\d.]+) x\^2 \+ ([\d.]+) x \+ ([\d.]+)", out).groups()]
    assert (a, b, c) == pytest.approx((1.0, 2.0, 3.0), abs=0.05)


def test_08_system_of_equations(capsys, monkeypatch):
    out = run_training_example("08_system_of_equations", capsys, monkeypatch)
    residuals = numbers(r"([-\d.e+]+)", out.split("residuals  =")[1])
    assert len(residuals) == 4 and max(abs(r) for r in residuals) < 1e-4
    a, b, c, d = numbers(r"([-\d.]+)", out.split("A, B, C, D =")[1].splitlines()[0])
    assert (a + b, c - d, a + c, b - d) == pytest.approx((9, 1, 8, 2), abs=1e-4)


def test_09_line_fit(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "line.png"
    out = run_training_example("09_line_fit", capsys, monkeypatch, str(figure))
    initial, = numbers(r"initial loss: ([\d.]+)", out)
    final, = numbers(r"final loss: ([\d.]+)", out)
    assert final < 0.5 < initial
    w, b = [float(v) for v in re.search(r"learned W = ([-\d.]+), B = ([-\d.]+)", out).groups()]
    assert w == pytest.approx(6.0, abs=0.1) and b == pytest.approx(-5.0, abs=0.1)
    prediction, = numbers(r"prediction for x = 3.5: ([-\d.]+)", out)
    assert prediction == pytest.approx(w * 3.5 + b, abs=2e-3)
    assert_png(figure)


def test_10_logistic_regression_digits(capsys, monkeypatch):
    pytest.importorskip("sklearn")
    out = run_training_example("10_logistic_regression_digits", capsys, monkeypatch)
    rows = re.findall(r"iteration +(\d+): loss = ([\d.]+), accuracy = ([\d.]+)", out)
    assert [int(r[0]) for r in rows] == list(range(1, 71))
    losses = [float(r[1]) for r in rows]
    assert losses[-1] < losses[0] / 10
    assert float(rows[-1][2]) == 1.0
    assert numbers(r"test accuracy: ([\d.]+)", out) == [1.0]


def test_an_example_runs_as_a_script_from_the_repository_root():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "examples/02_gradients.py"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "d(3x^3 + x^2)/dx at 10: 920.0"
