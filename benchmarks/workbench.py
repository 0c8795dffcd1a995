"""The workbench at real size: ``tapegrad fit`` against pandas + scikit-learn, and on Dask.

    python -m benchmarks.workbench [--rows 2000000] [--dir /tmp/wb] [--skip-dask]

Generates a linear and a logistic problem (ROWS x 20, features on different scales and offsets,
so unstandardised) as CSV files in DIR, then runs each contender end to end in its own child
process, one after the other: ``tapegrad fit FILE --target y [--model logistic] --json`` and
``pandas.read_csv`` + scikit-learn (``LinearRegression``; ``LogisticRegression(solver="lbfgs")``).
Prints wall time, peak memory (``ru_maxrss`` of each child, from ``RUSAGE_CHILDREN``) and the
largest coefficient difference. The Dask part writes 8 CSV shards of ROWS/4 x 20 and fits them
on a two-worker ``LocalCluster`` with tapegrad and with dask-ml's
``LinearRegression(solver="lbfgs")``, reporting fit times and the client's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FEATURES = 20

SKLEARN = """
import json, sys
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression
frame = pd.read_csv(sys.argv[1])
X, y = frame.drop(columns="y").to_numpy(), frame["y"].to_numpy()
model = LinearRegression() if sys.argv[2] == "linear" else LogisticRegression(solver="lbfgs")
model.fit(X, y)
print(json.dumps({"coef": np.ravel(model.coef_).tolist(),
                  "intercept": float(np.ravel(model.intercept_)[0]),
                  "steps": int(np.max(getattr(model, "n_iter_", 0)))}))
"""

DASK = """
import json, sys, time
import numpy as np
import dask.dataframe as dd
from distributed import Client, wait
address, pattern, who = sys.argv[1:4]
client = Client(address)
frame = client.persist(dd.read_csv(pattern, dtype="float64", blocksize="64MB"))
wait(frame)
if who == "tapegrad":
    from tapegrad.models import LinearRegression
    X, y = frame.drop(columns="y"), frame["y"]
    model = LinearRegression()
else:
    from dask_ml.linear_model import LinearRegression
    X = frame.drop(columns="y").to_dask_array(lengths=True)
    y = frame["y"].to_dask_array(lengths=True)
    model = LinearRegression(solver="lbfgs")
start = time.perf_counter()
model.fit(X, y)
seconds = time.perf_counter() - start
print(json.dumps({"fit_s": seconds, "coef": np.ravel(model.coef_).tolist(),
                  "intercept": float(np.ravel(model.intercept_)[0])}))
client.close()
"""


def generate(path: Path, rows: int, kind: str, seed: int) -> Path:
    """A CSV of ``rows`` x 20 features (3 decimals) and y, written in blocks; kept if present.

    linear: features with scales from 0.14 to 20 and offsets up to ±50, y = X w + 3 + noise.
    logistic: features with scales from 0.5 to 2, y = 1 where X w - 0.5 + logistic noise > 0.
    """
    if path.exists():
        return path
    import pyarrow as pa
    import pyarrow.csv as pacsv
    rng = np.random.default_rng(seed)
    if kind == "linear":
        scale, shift = np.exp(rng.uniform(-2, 3, FEATURES)), rng.uniform(-50, 50, FEATURES)
        w = rng.uniform(-2, 2, FEATURES) / scale
    else:
        scale, shift = rng.uniform(0.5, 2, FEATURES), np.zeros(FEATURES)
        w = rng.uniform(-1, 1, FEATURES) / scale
    names = [f"x{j}" for j in range(FEATURES)] + ["y"]
    tmp = path.with_suffix(".part")
    with pacsv.CSVWriter(tmp, pa.schema([(n, pa.float64()) for n in names])) as writer:
        for start in range(0, rows, 500_000):
            m = min(500_000, rows - start)
            X = np.round(rng.standard_normal((m, FEATURES)) * scale + shift, 3)
            if kind == "linear":
                y = np.round(X @ w + 3.0 + rng.standard_normal(m), 3)
            else:
                y = (X @ w - 0.5 + rng.logistic(size=m) > 0).astype(np.float64)
            writer.write_table(pa.table({**{n: X[:, j] for j, n in enumerate(names[:-1])},
                                         "y": y}))
    tmp.rename(path)
    return path


CLUSTER = """
import sys
from distributed import LocalCluster
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=":0") as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


def make(path: Path, rows: int, kind: str, seed: int) -> Path:
    """``generate`` in a child process: this one must stay small, because Linux counts the
    parent's peak memory at the time of the fork into each child's ru_maxrss."""
    if not path.exists():
        subprocess.run([sys.executable, "-m", "benchmarks.workbench", "--generate", str(path),
                        str(rows), kind, str(seed)], cwd=ROOT, check=True)
    return path


def child(argv: list[str]) -> dict[str, Any]:
    """Run a child process; its wall time, peak memory (ru_maxrss of that child) and stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, cwd=ROOT, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{argv[:4]} failed: {err.read().decode()[-2000:]}")
    return {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "out": json.loads(out or "{}")}


def coefficients(report: dict[str, Any]) -> np.ndarray:
    """Intercept then coefficients, from a ``tapegrad fit --json`` report or a child's JSON."""
    if "coefficients" in report:
        return np.r_[report["intercept"], list(report["coefficients"].values())]
    return np.r_[report["intercept"], report["coef"]]


def in_memory(folder: Path, rows: int) -> list[dict[str, Any]]:
    results = []
    for seed, kind in enumerate(("linear", "logistic")):
        data = make(folder / f"{kind}-{rows}.csv", rows, kind, seed)
        extra = [] if kind == "linear" else [
            "--model", "logistic", "--penalty", "l2", "--alpha", repr(1 / (2 * rows))]  # C=1
        ours = child([sys.executable, "-m", "tapegrad.cli", "fit", str(data), "--target", "y",
                      "--json", *extra])
        theirs = child([sys.executable, "-c", SKLEARN, str(data), kind])
        difference = float(np.max(np.abs(coefficients(ours["out"]) -
                                          coefficients(theirs["out"]))))
        results.append({"problem": kind, "rows": rows, "tapegrad": ours, "sklearn": theirs,
                        "max_coef_diff": difference})
        print(f"{kind:9} tapegrad fit      {ours['wall_s']:7.2f} s {ours['peak_mb']:7.0f} MB "
              f"(fit {ours['out']['time_s']:.2f} s, {ours['out']['steps']} Newton steps)")
        print(f"{kind:9} pandas + sklearn  {theirs['wall_s']:7.2f} s {theirs['peak_mb']:7.0f} MB "
              f"({theirs['out']['steps']} iterations)")
        print(f"{kind:9} ratio             {ours['wall_s'] / theirs['wall_s']:7.2f}   "
              f"{ours['peak_mb'] / theirs['peak_mb']:7.2f}    largest coefficient difference "
              f"{difference:.2e}", flush=True)
    return results


def on_dask(folder: Path, shard_rows: int, shards: int) -> dict[str, Any]:
    shard_dir = folder / f"shards-{shards}x{shard_rows}"
    shard_dir.mkdir(exist_ok=True)
    for i in range(shards):
        make(shard_dir / f"part{i}.csv", shard_rows, "linear", 100)  # one distribution
    pattern = str(shard_dir / "*.csv")
    # the cluster in a process of its own, which unpickles tapegrad's tasks
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        address = cluster.stdout.readline().strip()
        ours = child([sys.executable, "-c", DASK, address, pattern, "tapegrad"])
        theirs = child([sys.executable, "-c", DASK, address, pattern, "dask-ml"])
        cli = child([sys.executable, "-m", "tapegrad.cli", "fit", pattern, "--target", "y",
                     "--scheduler", address, "--json"])
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)
    difference = float(np.max(np.abs(coefficients(ours["out"]) - coefficients(theirs["out"]))))
    print(f"dask      tapegrad LinearRegression        fit {ours['out']['fit_s']:7.2f} s, "
          f"client peak {ours['peak_mb']:5.0f} MB (data persisted on the workers)")
    print(f"dask      dask-ml LinearRegression(lbfgs)  fit {theirs['out']['fit_s']:7.2f} s, "
          f"client peak {theirs['peak_mb']:5.0f} MB (data persisted on the workers)")
    print(f"dask      ratio {ours['out']['fit_s'] / theirs['out']['fit_s']:.2f}, largest "
          f"coefficient difference {difference:.2e} (dask-ml's default C=1 L2 penalty)")
    print(f"dask      tapegrad fit 'shards/*.csv' --scheduler: wall {cli['wall_s']:.2f} s, fit "
          f"(reading the CSV on every pass) {cli['out']['time_s']:.2f} s, client peak "
          f"{cli['peak_mb']:.0f} MB, {cli['out']['steps']} Newton steps", flush=True)
    return {"tapegrad": ours, "dask_ml": theirs, "cli": cli, "max_coef_diff": difference,
            "shards": shards, "shard_rows": shard_rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workbench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--shard-rows", type=int, default=500_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(),
                                                      "tapegrad-workbench"))
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--generate", nargs=4, metavar=("PATH", "ROWS", "KIND", "SEED"),
                        help=argparse.SUPPRESS)  # the data-making child of ``make``
    args = parser.parse_args(argv)
    if args.generate:
        path, rows, kind, seed = args.generate
        generate(Path(path), int(rows), kind, int(seed))
        return 0
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if not args.skip_memory:
        results["in_memory"] = in_memory(folder, args.rows)
    if not args.skip_dask:
        results["dask"] = on_dask(folder, args.shard_rows, args.shards)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
