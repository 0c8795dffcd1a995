"""The tapegrad command: its output, saved models, the demo, and one line for every user error."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tapegrad.cli import main
from tapegrad.datasets import path as dataset_path
from tapegrad.models import LinearRegression, load_model

CHALLENGER = dataset_path()


@pytest.fixture
def line_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, size=40)
    y = 3 * x - 2 + 0.1 * rng.normal(size=40)
    file = tmp_path / "line.csv"
    file.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    return str(file), x, y


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_fit_prints_the_table(capsys, line_csv):
    file, x, y = line_csv
    status, out, err = run(capsys, "fit", file, "--target", "y", "--standardize",
                           "--learning-rate", "0.1")
    assert status == 0 and err == ""  # no progress bar when stderr is not a terminal
    slope, intercept = np.polyfit(x, y, 1)
    lines = out.splitlines()
    assert lines[0] == "linear regression of y on x"
    row = {line.split()[0]: line.split()[1] for line in lines if line[:1].isalpha()}
    assert float(row["x"]) == pytest.approx(slope, rel=1e-4)
    assert float(row["intercept"]) == pytest.approx(intercept, rel=1e-3)
    assert "(converged, gradient norm" in out and "R²" in out and "mean squared error" in out


def test_fit_json_matches_a_library_fit(capsys, line_csv):
    file, x, y = line_csv
    status, out, _ = run(capsys, "fit", file, "--target", "y", "--json", "--steps", "500",
                         "--learning-rate", "0.05", "--standardize", "--penalty", "l2",
                         "--alpha", "0.5")
    report = json.loads(out)
    model = LinearRegression(penalty="l2", alpha=0.5, learning_rate=0.05, max_steps=500,
                             standardize=True, random_state=0, solver="gradient"
                             ).fit(x[:, None], y)  # --learning-rate asks for gradient steps
    assert status == 0 and report["model"] == "linear" and report["features"] == ["x"]
    assert report["coefficients"] == {"x": float(model.coef_[0])}
    assert report["intercept"] == float(model.intercept_)
    assert report["loss"] == model.loss_ and report["steps"] == model.n_steps_
    assert report["metric"] == "r2" and report["score"] == pytest.approx(model.score(x[:, None], y))
    assert report["penalty"] == "l2" and report["alpha"] == 0.5 and report["time_s"] >= 0


def test_polynomial_terms_and_multiclass_columns(capsys, tmp_path):
    status, out, _ = run(capsys, "fit", CHALLENGER, "--target", "distressed_orings",
                         "--features", "temperature_f", "--model", "polynomial", "--degree",
                         "2", "--standardize", "--learning-rate", "0.1", "--json")
    assert status == 0
    assert list(json.loads(out)["coefficients"]) == ["temperature_f", "temperature_f^2"]
    status, out, _ = run(capsys, "fit", CHALLENGER, "--target", "distressed_orings",
                         "--features", "temperature_f", "--model", "logistic", "--standardize")
    assert status == 0
    assert out.splitlines()[4].split() == ["term", "class", "0", "class", "1", "class", "2"]


def test_save_then_predict_round_trips(capsys, tmp_path):
    saved = tmp_path / "model.json"
    status, _, _ = run(capsys, "fit", CHALLENGER, "--target", "distress", "--features",
                       "temperature_f", "--model", "logistic", "--standardize",
                       "--learning-rate", "0.1", "--save", str(saved))
    assert status == 0
    data = json.loads(saved.read_text())
    assert data["target"] == "distress" and data["feature_names_in"] == ["temperature_f"]
    model = load_model(saved)
    status, out, err = run(capsys, "predict", str(saved), CHALLENGER)
    assert status == 0
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["temperature_f", "prediction", "probability_0", "probability_1"]
    temperatures = np.array([[float(r[0])] for r in rows[1:]])
    np.testing.assert_array_equal([float(r[3]) for r in rows[1:]],
                                  model.predict_proba(temperatures)[:, 1])
    assert [int(r[1]) for r in rows[1:]] == model.predict(temperatures).tolist()
    assert err.startswith("tapegrad: accuracy 0.8696 on 23 rows")


def test_demo_prints_the_fit_and_writes_the_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "demo.png"
    status, out, _ = run(capsys, "demo", "--plot", str(plot))
    assert status == 0
    assert "intercept             15.0429" in out and "temperature_f       -0.232163" in out
    assert "at 31 °F" in out and out.rstrip().endswith(str(plot))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_without_matplotlib_still_fits_and_says_how_to_get_the_plot(capsys, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    status, out, _ = run(capsys, "demo", "--plot", str(tmp_path / "demo.png"))
    assert status == 0 and "intercept             15.0429" in out
    assert "not drawn: matplotlib is not installed (pip install 'tapegrad[plot]')" in out
    assert not (tmp_path / "demo.png").exists()


def test_fit_plot_files(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    for features, model in (["temperature_f", "logistic"], ["temperature_f,launch", "logistic"],
                            ["temperature_f,launch", "linear"]):
        image = tmp_path / f"{model}{features.count(',')}.png"
        status, out, _ = run(capsys, "fit", CHALLENGER, "--target", "distress", "--features",
                             features, "--model", model, "--standardize", "--plot", str(image))
        assert status == 0 and out.rstrip().endswith(str(image))
        assert image.read_bytes()[:4] == b"\x89PNG"


def test_dtype_option_holds_the_data_in_float32(capsys, tmp_path):
    saved = tmp_path / "m.json"
    for dtype, expected in (("auto", "float32"), ("float64", "float64"), ("float32", "float32")):
        status, out, _ = run(capsys, "fit", CHALLENGER, "--target", "distress", "--features",
                             "temperature_f", "--model", "logistic", "--dtype", dtype, "--json",
                             "--save", str(saved))
        report = json.loads(out)
        assert status == 0 and report["dtype"] == expected and report["converged"]
        assert report["coefficients"]["temperature_f"] == pytest.approx(-0.232163, rel=1e-5)
        assert load_model(saved).coef_.dtype == np.dtype(expected)


def test_progress_bar_only_on_a_terminal(capsys, line_csv, monkeypatch):
    pytest.importorskip("tqdm")
    file, _, _ = line_csv
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = run(capsys, "fit", file, "--target", "y", "--steps", "4000", "--tol", "0",
                         "--solver", "gradient")
    assert status == 0 and "fitting" in err and "loss=" in err


# ----- user errors: one line on stderr, status 2 -----

@pytest.fixture
def files(tmp_path):
    made = {}
    for name, text in {"ok": "x,y\n1,2\n2,4.1\n3,5.9\n", "text": "x,y\n1,2\nabc,4\n",
                       "nan": "x,y\n1,2\n,4\n3,5\n", "empty": "", "header": "x,y\n",
                       "one": "x,y\n1,1\n2,1\n", "fraction": "x,y\n1,0\n2,0.5\n",
                       "ragged": "x,y\n1,2,3\n", "bad_json": "{not json",
                       "other_json": '{"format": "something-else"}'}.items():
        file = tmp_path / (name.replace("_", ".") if name.endswith("json") else f"{name}.csv")
        file.write_text(text)
        made[name] = str(file)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81")
    made["binary"] = str(tmp_path / "binary.csv")
    made["missing"] = str(tmp_path / "missing.csv")
    made["dir"] = str(tmp_path)
    return made


ERRORS = [
    (["fit", "{missing}", "--target", "y"], "missing.csv: no such file"),
    (["fit", "{dir}", "--target", "y"], "is a directory"),
    (["fit", "{binary}", "--target", "y"], "not a text file"),
    (["fit", "{empty}", "--target", "y"], "the file is empty"),
    (["fit", "{header}", "--target", "y"], "no data rows"),
    (["fit", "{ok}", "--target", "z"], "unknown column 'z'; the columns are x, y"),
    (["fit", "{ok}", "--target", "y", "--features", "x,w"], "unknown column 'w'"),
    (["fit", "{text}", "--target", "y"], "row 2 (line 3), column 'x': 'abc' is not a number"),
    (["fit", "{nan}", "--target", "y"], "1 missing value(s) in column(s) 'x' (1), first on "
                                        "line 3; drop those rows with --dropna"),
    (["fit", "{ragged}", "--target", "y"], "line 2 has 3 fields"),
    (["fit", "{one}", "--target", "y", "--model", "logistic"],
     "target 'y' has only one class (1); logistic regression needs at least two"),
    (["fit", "{fraction}", "--target", "y", "--model", "logistic"], "not a class label"),
    (["fit", "{ok}", "--target", "y", "--optimizer", "fast"], "unknown optimizer 'fast'"),
    (["fit", "{ok}", "--target", "y", "--optimizer", "sgd", "--learning-rate", "100"],
     "diverged. Try a smaller learning rate (it is 100)"),
    (["fit", "{ok}", "--target", "y", "--degree", "3"], "--degree applies to --model polynomial"),
    (["fit", "{ok}", "--target", "y", "--steps", "0"], "'0' must be a positive int"),
    (["fit", "{ok}", "--target", "y", "--learning-rate", "fast"], "'fast' is not a valid float"),
    (["fit", "{ok}"], "the following arguments are required: --target"),
    (["fit", "{ok}", "--target", "y", "--save", "{dir}/no/such/dir/m.json"], "cannot write it"),
    (["predict", "{missing}", "{ok}"], "missing.csv: no such file"),
    (["predict", "{bad_json}", "{ok}"], "bad.json: not valid JSON"),
    (["predict", "{other_json}", "{ok}"], "other.json: not a tapegrad model file"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("argv, message", ERRORS)
def test_user_errors_print_one_line_and_exit_2(capsys, files, argv, message):
    argv = [a.format(**files) for a in argv]
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's own errors
        status = e.code
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("tapegrad") and "error: " in err
    assert message in err and "Traceback" not in err


def test_predict_needs_the_models_columns(capsys, tmp_path, files):
    saved = tmp_path / "m.json"
    assert main(["fit", files["ok"], "--target", "y", "--save", str(saved)]) == 0
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    capsys.readouterr()
    status, _, err = run(capsys, "predict", str(saved), str(other))
    assert status == 2 and "unknown column 'x'; the columns are a, b" in err


def test_real_process_exit_status_and_stderr(files):
    result = subprocess.run([sys.executable, "-m", "tapegrad.cli", "fit", files["text"],
                             "--target", "y"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"tapegrad: error: {files['text']}: row 2 (line 3), column 'x': 'abc' is not a number"]


def test_plots_of_large_data_draw_a_sample(tmp_path):
    pytest.importorskip("matplotlib")
    from tapegrad import plot
    from tapegrad.cli import _draw_fit
    from tapegrad.models.table import load_csv
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50_000, 2))
    file = tmp_path / "many.csv"
    np.savetxt(file, np.c_[x, x @ [1.0, 2.0]], delimiter=",", header="a,b,y", comments="")
    table = load_csv(str(file), target="y")
    model = LinearRegression().fit(table.X, table.y)
    ax = _draw_fit(model, table)  # fitted against observed: one point per row drawn
    assert ax.collections[0].get_offsets().shape == (plot.MAX_POINTS, 2)
    plot._pyplot().close(ax.figure)
