"""The ``tapegrad`` command: fit a model to a CSV file, predict with a saved model, run the demo.

    tapegrad fit DATA --target COL [--features A,B] [--model linear|polynomial|logistic] ...
    tapegrad predict MODEL.json DATA.csv
    tapegrad demo

A mistake in the input (a missing file, an unknown column, a value that is not a number, ...)
prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any, Callable, NoReturn

import numpy as np

from . import datasets, solvers
from .models import LinearRegression, LogisticRegression, PolynomialRegression, from_dict
from .models import save_model as write_model
from .models import table as datamod
from .models._base import SOLVERS

MODELS = {"linear": LinearRegression, "polynomial": PolynomialRegression,
          "logistic": LogisticRegression}
LAUNCH_TEMPERATURE_F = 31.0  # Challenger, 28 January 1986
DEMO_PLOT = "tapegrad-demo.png"


class UsageError(Exception):
    """A mistake in the command or its input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if not (isinstance(value, int) or math.isfinite(value)) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be a positive {kind.__name__}")
        return value
    parse.__name__ = kind.__name__
    return parse


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid float") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a float >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tapegrad", description="Fit regression models with derivatives "
                     "from tapegrad's tape.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"tapegrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = sub.add_parser("fit", help="fit a model to a table and print its coefficients",
                         description="Fit a model to the numeric columns of a table: a CSV file "
                         "(also .csv.gz), a .parquet file or a folder of them.")
    fit.add_argument("data", metavar="DATA", help="a CSV file with a header row (.csv.gz too), "
                     "a .parquet file or a folder of Parquet files; with --dask also a quoted "
                     "glob such as 'data/*.csv'")
    fit.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    fit.add_argument("--features", metavar="A,B,...",
                     help="comma-separated feature columns (default: all but the target)")
    fit.add_argument("--model", choices=sorted(MODELS), default="linear",
                     help="the model (default: linear)")
    fit.add_argument("--degree", type=_positive(int), metavar="N",
                     help="the polynomial's degree (--model polynomial; default 2)")
    fit.add_argument("--penalty", choices=["l1", "l2"], help="penalise the coefficients")
    fit.add_argument("--alpha", type=_nonnegative_float, default=0.01, metavar="X",
                     help="the penalty's strength (default 0.01)")
    _add_training_options(fit)
    fit.add_argument("--dropna", action="store_true",
                     help="drop rows with missing values instead of refusing them")
    fit.add_argument("--dtype", choices=list(datamod.DTYPES), default="float64",
                     help="hold the data as float64 (the default), float32 (half the memory), "
                     "or auto: float32 when it keeps every value of the file exactly (checking "
                     "costs about a third of the reading time)")
    fit.add_argument("--plot", metavar="FILE.png", help="draw the fit into this image file "
                     "(at most 20000 points, a random sample of larger data)")
    fit.add_argument("--dask", action="store_true",
                     help="fit on a Dask cluster: DATA (CSV files or a glob of them, or Parquet) "
                     "is read in blocks by the workers; starts a LocalCluster with one worker "
                     "per core and prints its dashboard address")
    fit.add_argument("--memory-limit", metavar="SIZE",
                     help="memory per worker of the LocalCluster, e.g. 2GB (default: the "
                     "machine's memory shared out)")
    fit.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                     help="fit on this running Dask cluster instead (implies --dask)")
    fit.add_argument("--json", action="store_true", help="print the result as JSON")
    fit.add_argument("--save", metavar="MODEL.json", help="save the fitted model as JSON")
    fit.set_defaults(run=run_fit)

    predict = sub.add_parser("predict", help="predict with a model saved by 'fit --save'",
                             description="Print the data's feature columns with the model's "
                             "predictions, as CSV.")
    predict.add_argument("model", metavar="MODEL.json", help="a model saved by 'fit --save'")
    predict.add_argument("data", metavar="DATA.csv", help="a CSV file with the model's features")
    predict.add_argument("--dropna", action="store_true",
                         help="drop rows with missing values instead of refusing them")
    predict.set_defaults(run=run_predict)

    demo = sub.add_parser("demo", help="fit the bundled Challenger O-ring data and plot it",
                          description="Logistic regression of Space Shuttle O-ring distress on "
                          "launch temperature (public-domain NASA data bundled with tapegrad).")
    demo.add_argument("--plot", metavar="FILE", default=DEMO_PLOT,
                      help=f"where to write the plot (default: {DEMO_PLOT})")
    demo.add_argument("--steps", type=_positive(int), default=2000, metavar="N",
                      help="the most Newton steps (default 2000)")
    demo.set_defaults(run=run_demo)
    return parser


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--solver", choices=list(SOLVERS), default="auto",
                        help="newton (the tape's Hessian), lbfgs (SciPy, the tape's gradients) "
                        "or gradient (optimizer steps); default auto: newton, or gradient when "
                        "--optimizer, --learning-rate, --batch-size or --penalty l1 is given")
    parser.add_argument("--optimizer", metavar="NAME",
                        help="a tapegrad optimizer for --solver gradient: adam, sgd, ... "
                        "(default adam)")
    parser.add_argument("--learning-rate", type=_positive(float), metavar="X",
                        help="the optimizer's learning rate (default 0.01)")
    parser.add_argument("--steps", type=_positive(int), default=1000, metavar="N",
                        help="the most steps (default 1000)")
    parser.add_argument("--tol", type=_nonnegative_float, default=1e-10, metavar="X",
                        help="stop when the loss moves (gradient steps) or can still fall "
                        "(Newton) by less than this, relatively (default 1e-10)")
    parser.add_argument("--batch-size", type=_positive(int), metavar="N",
                        help="train on shuffled mini-batches of N rows (default: all rows)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the seed for shuffling mini-batches (default 0)")
    parser.add_argument("--standardize", action="store_true",
                        help="train on standardised features (coefficients stay in data units)")


# ----- fit -----

def run_fit(args: argparse.Namespace) -> int:
    if args.degree is not None and args.model != "polynomial":
        raise UsageError("--degree applies to --model polynomial only")
    features = None
    if args.features is not None:
        features = [name.strip() for name in args.features.split(",")]
        if not all(features):
            raise UsageError(f"--features {args.features!r} has an empty column name")
    if args.dask or args.scheduler:
        return _fit_dask(args, features)
    if args.memory_limit:
        raise UsageError("--memory-limit applies to --dask")
    table = datamod.load_csv(args.data, target=args.target, features=features,
                             dropna=args.dropna, dtype=args.dtype)
    if args.model == "logistic":
        datamod.check_classes(table, args.data)
    model = MODELS[args.model](**_params(args))
    seconds = _train(model, table.X, table.y)
    model.feature_names_in_ = np.asarray(table.features, dtype=object)
    report = _report(model, table, args.data, seconds, args.model)
    if args.save:
        _write(args.save, lambda: write_model(model, args.save, target=table.target))
        report["saved"] = args.save
    if args.plot:
        _save_plot(args.plot, lambda: _draw_fit(model, table))
        report["plot"] = args.plot
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params = dict(penalty=args.penalty, alpha=args.alpha, **_training(args))
    if args.model == "polynomial":
        params["degree"] = args.degree or 2
    return params


def _training(args: argparse.Namespace) -> dict[str, Any]:
    gradient_options = [f"--{name.replace('_', '-')}" for name in
                        ("optimizer", "learning_rate", "batch_size")
                        if getattr(args, name) is not None]
    solver = args.solver
    if solver == "auto" and gradient_options:
        solver = "gradient"
    elif solver in ("newton", "lbfgs") and gradient_options:
        raise UsageError(f"{gradient_options[0]} applies to --solver gradient, not {solver}")
    if solver in ("newton", "lbfgs") and getattr(args, "penalty", None) == "l1":
        raise UsageError(f"--penalty l1 is not smooth: use --solver gradient, not {solver}")
    optimizer = args.optimizer or "adam"
    learning_rate = 0.01 if args.learning_rate is None else args.learning_rate
    try:
        solvers.make_optimizer(optimizer, learning_rate)
    except ValueError as e:
        raise UsageError(f"--optimizer: {e}") from None
    return dict(solver=solver, optimizer=optimizer.lower(), learning_rate=learning_rate,
                max_steps=args.steps, tol=args.tol, batch_size=args.batch_size,
                random_state=args.seed, standardize=args.standardize)


def _train(model: Any, X: Any, y: Any, fit: Callable[..., Any] | None = None) -> float:
    """Fit, with a progress bar showing the loss when stderr is a terminal; returns seconds."""
    bar = _progress_bar(model.max_steps)
    callback = None
    if bar is not None:
        def callback(step: int, loss: float) -> None:
            if step < bar.total:  # the last call reports the final loss, after the last step
                bar.update(1)
            if step % 10 == 0:
                bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
    start = time.perf_counter()
    try:
        (fit or model.fit)(X, y, callback=callback)
    finally:
        if bar is not None:
            bar.close()
    return time.perf_counter() - start


def _progress_bar(total: int) -> Any:
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="fitting", unit="step", leave=False, file=sys.stderr)


def _write(path: str, write: Callable[[], None]) -> None:
    """Run a writer of ``path``, turning a file system failure into a one-line error."""
    try:
        write()
    except OSError as e:
        raise UsageError(f"{path}: cannot write it ({e.strerror or e})") from None


def _terms(model: Any, features: list[str]) -> list[str]:
    """Readable names of the columns that ``coef_`` multiplies."""
    powers = getattr(model, "powers_", None)
    if powers is None:
        return list(features)
    names = []
    for row in powers:
        parts = [name if k == 1 else f"{name}^{k}" for name, k in zip(features, row) if k]
        names.append("*".join(parts))
    return names


def _report(model: Any, table: Any, source: str, seconds: float, kind: str
            ) -> dict[str, Any]:
    """The fit as data; ``table`` is a Table, or for Dask a namespace of the same fields with
    X and y None (the score then is not computed: it would take one more pass)."""
    terms = _terms(model, table.features)
    classifier = kind == "logistic"
    report: dict[str, Any] = {
        "model": kind, "data": source, "rows": int(table.rows), "dropped": table.dropped,
        "target": table.target, "features": table.features,
    }
    if classifier and model.classes_.shape[0] > 2:
        labels = [datamod.format_number(c) for c in model.classes_]
        report["coefficients"] = {label: dict(zip(terms, map(float, row)))
                                  for label, row in zip(labels, model.coef_)}
        report["intercept"] = dict(zip(labels, map(float, model.intercept_)))
    else:
        coef = np.ravel(model.coef_)
        report["coefficients"] = dict(zip(terms, map(float, coef)))
        report["intercept"] = float(np.ravel(model.intercept_)[0])
    if classifier:
        report["classes"] = [float(c) if not float(c).is_integer() else int(c)
                             for c in model.classes_]
    report.update({
        "loss": float(model.loss_),
        "loss_kind": "mean log loss" if classifier else "mean squared error",
        "metric": "accuracy" if classifier else "r2",
        "score": None if table.X is None else float(model.score(table.X, table.y)),
        "steps": int(model.n_steps_), "converged": bool(model.converged_),
        "gradient_norm": float(model.gradient_norm_), "time_s": round(seconds, 4),
        "solver": model._solver(), "dtype": model.coef_.dtype.name,
        "optimizer": model.optimizer, "learning_rate": model.learning_rate,
        "batch_size": model.batch_size, "standardize": bool(model.standardize),
        "penalty": model.penalty, "alpha": model.alpha if model.penalty else None,
    })
    if kind == "polynomial":
        report["degree"] = int(model.degree)
    return report


def _print_report(r: dict[str, Any]) -> None:
    title = {"linear": "linear regression", "polynomial": f"polynomial regression of degree "
             f"{r.get('degree')}", "logistic": "logistic regression"}[r["model"]]
    how = (f"{r['optimizer']}, learning rate {r['learning_rate']:g}"
           if r["solver"] == "gradient" else r["solver"])
    how += f", {r['dtype']}"
    if r["batch_size"]:
        how += f", mini-batches of {r['batch_size']}"
    if r["standardize"]:
        how += ", standardized"
    if r["penalty"]:
        how += f", {r['penalty'].upper()} penalty {r['alpha']:g}"
    rows = f"{r['rows']} rows" + (f" ({r['dropped']} with missing values dropped)"
                                  if r["dropped"] else "")
    if r.get("dask"):
        rows += f", on Dask at {r['dask']}"
    print(f"{title} of {r['target']} on {', '.join(r['features'])}")
    print(f"data      {r['data']}: {rows}")
    print(f"training  {how}")
    print()
    coefficients = r["coefficients"]
    if isinstance(r["intercept"], dict):  # one column per class
        labels = list(r["intercept"])
        terms = list(next(iter(coefficients.values())))
        width = max(len(t) for t in ["intercept", *terms]) + 2
        print("term".ljust(width) + "".join(f"{'class ' + c:>14}" for c in labels))
        print("intercept".ljust(width)
              + "".join(f"{r['intercept'][c]:>14.6g}" for c in labels))
        for t in terms:
            print(t.ljust(width) + "".join(f"{coefficients[c][t]:>14.6g}" for c in labels))
    else:
        width = max(len(t) for t in ["intercept", *coefficients]) + 2
        print("term".ljust(width) + f"{'coefficient':>14}")
        print("intercept".ljust(width) + f"{r['intercept']:>14.6g}")
        for t, v in coefficients.items():
            print(t.ljust(width) + f"{v:>14.6g}")
    print()
    metric = "accuracy" if r["metric"] == "accuracy" else "R²"
    state = "converged" if r["converged"] else "did not converge"
    print(f"loss      {r['loss']:.6g} ({r['loss_kind']})")
    if r["score"] is not None:
        print(f"{metric:<10}{r['score']:.4f}")
    print(f"steps     {r['steps']} ({state}, gradient norm {r['gradient_norm']:.2g})")
    print(f"time      {r['time_s']:.2f} s")
    if not r["converged"]:
        print("hint      try more --steps" + (
            " or a larger --learning-rate" + ("" if r["standardize"] else ", or --standardize")
            if r["solver"] == "gradient" else ""))
    for key in ("saved", "plot"):
        if key in r:
            print(f"{'model' if key == 'saved' else 'plot':<10}{r[key]}")


def _draw_fit(model: Any, table: datamod.Table) -> Any:
    """plot_fit for one feature, plot_decision_boundary for a two-feature classifier, else the
    training history; returns the Axes."""
    from . import plot
    classifier = hasattr(model, "classes_")
    if model.n_features_in_ == 2 and classifier:
        return plot.plot_decision_boundary(model, table.X, table.y)
    if model.n_features_in_ == 1 or not classifier:
        return plot.plot_fit(model, table.X, table.y)
    return plot.plot_history(model)[0]


def _save_plot(path: str, draw: Callable[[], Any]) -> None:
    """Draw a figure with ``draw`` (which returns an Axes), write it to ``path``, close it."""
    from . import plot
    try:
        plt = plot._pyplot()
    except ImportError as e:
        raise UsageError(f"--plot: {e}") from None

    def write() -> None:
        ax = draw()
        try:
            ax.figure.savefig(path, dpi=120, bbox_inches="tight")
        finally:
            plt.close(ax.figure)
    _write(path, write)


def _fit_dask(args: argparse.Namespace, features: list[str] | None) -> int:
    """``fit --dask``: read DATA with dask.dataframe on a cluster and fit there."""
    try:
        import dask.dataframe as dd
        from dask.utils import parse_bytes
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs Dask: pip install 'tapegrad[dask]'") from None
    from .models import cluster

    if args.plot:
        raise UsageError("--plot draws data in memory; it does not apply to --dask")
    if args.scheduler and args.memory_limit:
        raise UsageError("--memory-limit applies to the LocalCluster of --dask, not to "
                         "--scheduler")
    if args.memory_limit:
        try:
            parse_bytes(args.memory_limit)
        except (ValueError, TypeError):
            raise UsageError(f"--memory-limit {args.memory_limit!r} is not a size such as "
                             "2GB") from None
    files, parquet = _shards(args.data)
    columns = None
    for file in files:  # each shard's header, on the client: a missing column names its file
        header = _parquet_columns(file) if parquet else datamod.read_header(file)[1]
        chosen = datamod.choose_columns(file, header, args.target, features)
        if columns is not None and chosen != columns:
            missing = [c for c in columns if c not in header]
            raise datamod.DataError(f"{file}: no column {missing[0]!r}; the columns are "
                                    f"{', '.join(header)}" if missing else
                                    f"{file}: other columns than {files[0]}")
        columns = chosen
    model = MODELS[args.model](**_params(args))
    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler} "
                             f"({' '.join(str(e).split())[:200]})") from None
        local = None
    else:
        local = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                             processes=True, memory_limit=args.memory_limit or "auto",
                             dashboard_address=":0")
        client = Client(local)
        print(f"tapegrad: Dask dashboard at {client.dashboard_link}", file=sys.stderr)
    try:
        wanted = [*columns, args.target]
        if parquet:
            frame = dd.read_parquet(files, columns=wanted)
        else:
            frame = dd.read_csv(files, usecols=wanted, dtype=dict.fromkeys(wanted, "float64"),
                                na_values=sorted(datamod.MISSING - {""}),
                                # a gzip'd file cannot be cut into blocks: one per file
                                blocksize=None if files[0].endswith(".gz") else "16MB")
        try:
            seconds = _train(model, frame[columns], frame[args.target],
                             fit=lambda X, y, callback: cluster.fit(model, X, y, callback,
                                                                    args.dropna))
        except (UsageError, KeyboardInterrupt):
            raise
        except Exception as e:  # a shard that cannot be read: find which, and where
            raise UsageError(_shard_error(client, files, args, features, e)) from None
        address = args.scheduler or client.scheduler.address
    finally:
        client.close()
        if local is not None:
            local.close()
    table = argparse.Namespace(features=columns, target=args.target, X=None, y=None,
                               rows=model._rows, dropped=None)
    report = _report(model, table, args.data, seconds, args.model)
    report["dask"] = address
    if args.save:
        _write(args.save, lambda: write_model(model, args.save, target=args.target))
        report["saved"] = args.save
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0


def _shards(data: str) -> tuple[list[str], bool]:
    """The files DATA names (a file, a glob, a folder of Parquet files) and whether Parquet."""
    import glob
    if os.path.isdir(data):
        files = sorted(glob.glob(os.path.join(data, "*.parquet")))
    else:
        files = sorted(glob.glob(data)) if glob.has_magic(data) else [data]
    if not files or not all(os.path.isfile(f) for f in files):
        raise UsageError(f"{data}: no such file" if not glob.has_magic(data)
                         else f"{data}: no file matches")
    parquet = all(f.endswith(".parquet") for f in files)
    return files, parquet


def _parquet_columns(file: str) -> list[str]:
    import pyarrow.parquet as pq
    try:
        return list(pq.read_schema(file).names)
    except Exception as e:  # pyarrow's errors vary by version
        raise datamod.DataError(f"{file}: not a Parquet file ({e})") from None


def _check_shard(file: str, target: str, features: list[str] | None, dropna: bool) -> str:
    """On a worker: the one-line error of a shard read whole, or "" if it is fine."""
    try:
        datamod.load_csv(file, target=target, features=features, dropna=dropna)
    except datamod.DataError as e:
        return str(e)
    return ""


def _shard_error(client: Any, files: list[str], args: argparse.Namespace,
                 features: list[str] | None, error: Exception) -> str:
    """Name the file and line behind a failed Dask fit: each shard is checked on the workers by
    tapegrad's own reader, which names them."""
    checks = client.map(_check_shard, files, target=args.target, features=features,
                        dropna=args.dropna, pure=False)
    for message in client.gather(checks):
        if message:
            return message
    return f"the Dask fit failed: {type(error).__name__}: {error}"


# ----- predict -----

def run_predict(args: argparse.Namespace) -> int:
    saved = _read_model(args.model)
    model = from_dict(saved)
    names = getattr(model, "feature_names_in_", None)
    header, _ = datamod.read_csv(args.data)
    if names is None:  # a model fitted on arrays: take the columns in order, but the target
        names = [c for c in header if c != saved.get("target")]
        if len(names) != model.n_features_in_:
            raise UsageError(f"{args.model}: the model has no feature names and {args.data} has "
                             f"{len(names)} columns for its {model.n_features_in_} features")
    target = saved.get("target") if saved.get("target") in header else None
    table = datamod.load_csv(args.data, target=target, features=list(names), dropna=args.dropna)
    prediction = model.predict(table.X.astype(model.coef_.dtype, copy=False))
    columns = [*table.features, "prediction"]
    extra: list[np.ndarray] = []
    if hasattr(model, "classes_"):
        probability = model.predict_proba(table.X.astype(model.coef_.dtype, copy=False))
        columns += [f"probability_{datamod.format_number(c)}" for c in model.classes_]
        extra = [probability[:, k] for k in range(probability.shape[1])]
    out = sys.stdout
    out.write(",".join(columns) + "\n")
    for i in range(table.X.shape[0]):
        cells = [datamod.format_number(v) for v in table.X[i]]
        cells.append(datamod.format_number(prediction[i]))
        cells += [datamod.format_number(p[i]) for p in extra]
        out.write(",".join(cells) + "\n")
    if table.dropped:
        print(f"tapegrad: dropped {table.dropped} rows with missing values", file=sys.stderr)
    if target is not None:
        metric = "accuracy" if hasattr(model, "classes_") else "R²"
        print(f"tapegrad: {metric} {model.score(table.X, table.y):.4f} on {table.X.shape[0]} "
              f"rows with {target!r} known", file=sys.stderr)
    return 0


def _read_model(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read it ({type(e).__name__})") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON ({e})") from None
    try:
        from_dict(saved)
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from None
    return saved


# ----- demo -----

def run_demo(args: argparse.Namespace) -> int:
    table = datasets.load_challenger()
    model = LogisticRegression(max_steps=args.steps, tol=1e-12, standardize=True)
    print("Space Shuttle O-ring thermal distress against launch temperature: the 23 launches "
          "of 1981-1986")
    print(f"before Challenger's last (public-domain NASA data, {datasets.path()})")
    print()
    seconds = _train(model, table.X, table.y)
    model.feature_names_in_ = np.asarray(table.features, dtype=object)
    report = _report(model, table, "challenger.csv", seconds, "logistic")
    _print_report(report)
    risk = model.predict_proba([[LAUNCH_TEMPERATURE_F]])[0, 1]
    print()
    print(f"P(O-ring distress) at {LAUNCH_TEMPERATURE_F:g} °F, the temperature of Challenger's "
          f"launch on 28 January 1986: {risk:.4f}")
    try:
        _save_plot(args.plot, lambda: _draw_demo(model, table))
    except UsageError as e:
        if "matplotlib" not in str(e):
            raise
        print("plot      not drawn: matplotlib is not installed "
              "(pip install 'tapegrad[plot]')")
    else:
        print(f"plot      {args.plot}")
    return 0


def _draw_demo(model: Any, table: datamod.Table) -> Any:
    from . import plot
    ax = plot.plot_fit(model, table.X, table.y, xlim=(25, 85),
                       xlabel="launch temperature (°F)", ylabel="P(O-ring thermal distress)",
                       title="Challenger O-rings: logistic regression fitted by tapegrad")
    ax.axvline(LAUNCH_TEMPERATURE_F, color="gray", ls=":", lw=1.5)
    ax.annotate(f"Challenger, {LAUNCH_TEMPERATURE_F:g} °F", (LAUNCH_TEMPERATURE_F, 0.5),
                xytext=(6, 0), textcoords="offset points", color="gray")
    return ax


# ----- entry point -----

def main(argv: list[str] | None = None) -> int:
    """Run the ``tapegrad`` command; returns its exit status.

    >>> from tapegrad.cli import main
    >>> main(["fit", "no-such-file.csv", "--target", "y"])  # doctest: +SKIP
    2
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, datamod.DataError, FloatingPointError) as e:
        message = " ".join(str(e).split())
        print(f"tapegrad: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of stdout went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "build_parser"]
