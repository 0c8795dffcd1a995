"""Smoke test of the benchmark harness: ``--quick`` with NumPy by hand and tapegrad only.

The losses the harness reports are checked against the closed form of gradient descent on a
quadratic (θₖ = θ* + Mᵏ(θ₀ − θ*)), computed here in float64 from the same data.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import workloads  # noqa: E402 - benchmarks/ is not an installed package


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--peers", "numpy,tapegrad",
                    "--out", str(out / "benchmarks.md"), "--json", str(out / "results.json")],
                   cwd=ROOT, check=True, timeout=300, capture_output=True)
    return (json.loads((out / "results.json").read_text()),
            (out / "benchmarks.md").read_text())


def gd_closed_form(features, y, lr, steps, theta0, halved):
    """Loss after ``steps`` of GD on mean (or Σ/2m when ``halved``) squared error, float64."""
    A = np.asarray(features, np.float64)
    y = np.asarray(y, np.float64)
    m = 2 * len(y) if halved else len(y)
    theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
    M = np.eye(A.shape[1]) - lr * 2 / m * A.T @ A
    theta = theta_star + np.linalg.matrix_power(M, steps) @ (np.asarray(theta0) - theta_star)
    err = A @ theta - y
    return err @ err / m


def losses(results, key):
    cells = results["workloads"][key]
    return {peer: cells[peer]["metrics"]["loss"] for peer in ("numpy", "tapegrad")
            if "metrics" in cells[peer]}


def test_line_losses_match_the_closed_form(bench):
    results, _ = bench
    line = workloads.line_data()
    expected = gd_closed_form(np.stack([line.x, np.ones(100)], 1), line.y, 0.02, 1000, [0, 0],
                              halved=False)
    lecture = workloads.lecture_data()
    expected_3a = gd_closed_form(np.stack([lecture.x, np.ones(100)], 1), lecture.y, 0.001,
                                 10000, [0, 0], halved=True)
    for key, value in (("1", expected), ("3a", expected_3a)):
        found = losses(results, key)
        assert set(found) == {"numpy", "tapegrad"}
        for loss in found.values():
            assert loss == pytest.approx(value, rel=1e-4)


def test_other_workloads_agree_and_converge(bench):
    results, _ = bench
    found = losses(results, "2")
    assert found["numpy"] == pytest.approx(found["tapegrad"], rel=1e-5)
    assert 0.95 < found["numpy"] < 1.05  # the noise variance is 1: the fit is as good as it gets
    assert losses(results, "5")["numpy"] < 1e-6  # the system is solved
    for key in ("3b", "4", "5", "6"):
        cells = results["workloads"][key]
        if "note" in cells:  # workload 6 without scikit-learn
            continue
        if "metrics" in cells["tapegrad"]:  # once tapegrad.optimizers exists
            assert losses(results, key)["tapegrad"] == pytest.approx(
                losses(results, key)["numpy"], rel=1e-3, abs=1e-6)
        else:
            assert cells["tapegrad"]["note"].startswith("n/a")


def test_scale_losses_match_float64_gradient_descent(bench):
    results, _ = bench
    for rows, cells in results["scale"].items():
        data = workloads.scale_data(int(rows))
        steps = results["settings"]["scale_steps"][rows]
        A = np.hstack([data.x, np.ones((int(rows), 1), np.float32)]).astype(np.float64)
        expected = gd_closed_form(A, data.y.ravel(), workloads.SCALE_LEARNING_RATE, steps,
                                  np.zeros(101), halved=False)
        for peer in ("numpy", "tapegrad"):
            assert cells[peer]["metrics"]["loss"] == pytest.approx(expected, rel=1e-4)


def test_overheads_imports_and_report(bench):
    results, markdown = bench
    assert 0 < results["ops"]["0/True"]["tapegrad"]["median"] < 1e-3
    assert results["ops"]["0/True"]["numpy"]["note"] == "n/a (no tape)"
    assert results["imports"]["tapegrad"]["median"] > results["imports"]["(python alone)"][
        "median"]
    assert results["memory"]["peers"]["numpy"]["x_bytes"] == 100_000 * 100 * 4
    assert results["bandwidth"]["read"] > 1e8
    for heading in ("## Machine and versions", "## Targets (issues 5 and 9)", "## Workload 7",
                    "## Workload 8", "## Workload 9", "| tapegrad eager |"):
        assert heading in markdown
    assert "n/a (not built)" not in markdown  # tapegrad.function was not asked for
