"""The Markdown report (docs/benchmarks.md) from the harness's results.

>>> _time(0.0000388), _ratio(2.345), _metric(0.018305957)
('38.8', '2.3×', '0.018306')
"""

from __future__ import annotations

from typing import Any

from .worker import PEERS, THREAD_ENV
from .workloads import WORKLOADS

COMMAND = "python -m benchmarks"


# ----- number formats -----


def _time(seconds: float, unit: float = 1e-6) -> str:
    value = seconds / unit
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 1 else f"{value:.2g}"


def _ratio(r: float | None) -> str:
    if r is None:
        return ""
    return f"{r:.3g}×" if r < 10 else f"{r:,.0f}×"


def _metric(value: float) -> str:
    return f"{value:.6g}" if abs(value) >= 1e-4 else f"{value:.2e}"


def _metrics(cell: dict[str, Any]) -> str:
    return ", ".join(f"{name} {_metric(v)}" for name, v in cell.get("metrics", {}).items())


def _median(cell: dict[str, Any] | None) -> float | None:
    return cell.get("median") if cell else None


def _over(cell: dict[str, Any] | None, base: dict[str, Any] | None) -> float | None:
    a, b = _median(cell), _median(base)
    return a / b if a is not None and b else None


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": ":---", "r": "---:"}
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _title(peer: str) -> str:
    return PEERS[peer][1]


# ----- sections -----


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    lines = ["# Benchmarks", "",
             f"Written by `{COMMAND}{' --quick' if results.get('quick') else ''}` on "
             f"{m['date']} (tapegrad at `{m['commit']}`), in {results['wall_s'] / 60:.1f} "
             "minutes. Re-run it to refresh this page; see README, section Benchmarks.", ""]
    if results.get("quick"):
        lines += ["**Quick smoke run**: one round, smaller workload 7 and fewer repeats; the "
                  "numbers are rough.", ""]
    lines += ["## Machine and versions", ""]
    rows = [["CPU", m["cpu"]], ["cores", m["cores"]], ["memory", m["memory"]],
            ["OS", m["os"]], ["Python", m["python"]]]
    rows += [[name, v] for name, v in sorted(results.get("versions", {}).items())]
    for framework, why in results.get("missing", {}).items():
        rows.append([framework, f"not run: {why}"])
    return lines + _table(["", ""], rows, "ll")


def _method() -> list[str]:
    env = " ".join(f"`{k}={v}`" for k, v in THREAD_ENV.items() if k != "TF_CPP_MIN_LOG_LEVEL")
    return [
        "## How it was measured", "",
        "- Workloads 1–7 are written once as TensorFlow code taking the module as a parameter "
        "(`benchmarks/workloads.py`): the same program runs with `tensorflow` and with "
        "`tapegrad`, eagerly and under `tf.function` / `tapegrad.function`. The other peers "
        "(`benchmarks/peers.py`) are written the way their users write them: NumPy with "
        "gradients derived by hand; PyTorch with `backward` and `torch.optim` (Adam and NAdam "
        "set to Keras's ε=1e-7 and Nadam schedule); JAX (`value_and_grad` plus the update, "
        "with and without `jax.jit` on the whole step) and HIPS autograd, both with Keras's "
        "Adam/Nadam formulas written out.",
        "- Each framework runs in its own worker process and only one works at a time. Every "
        f"process is single-threaded for fairness on this small machine: {env}, "
        "`tf.config.threading.set_intra_op_parallelism_threads(1)` and "
        "`set_inter_op_parallelism_threads(1)`, `torch.set_num_threads(1)` and "
        "`set_num_interop_threads(1)`.",
        "- Repeats are interleaved (A B C … A B C …, each round starting one peer later) and "
        "the tables show medians. A peer stops repeating a workload once its runs add up to "
        "the time budget, so slow peers have fewer runs (the *runs* column).",
        "- A run performs the workload's full number of steps. *µs/step* is the time of steps "
        "2…N divided by N−1 (steady state); the first step, which holds tracing, compiling and "
        "optimizer slot creation, is shown apart. Workload 2's batches are drawn up front "
        "(seeded NumPy), so every peer trains on the same batches and no random number "
        "generator is timed.",
        "- The loss (and accuracy) beside each time is computed by one float64 NumPy formula "
        "from the parameters the peer ended with, so a fast wrong answer shows. Small "
        "differences between peers are float32 rounding and, for PyTorch's Adam, the place "
        "of ε.",
        "",
    ]


def _targets(results: dict[str, Any]) -> list[str]:
    rows = []
    wl = results["workloads"]
    for key in WORKLOADS:
        cells = wl.get(key, {})
        if "note" in cells or "tapegrad" not in cells:
            continue
        r = _over(cells.get("tapegrad"), cells.get("numpy"))
        rows.append([f"workload {key}: tapegrad eager ≤ 3× NumPy by hand",
                     _ratio(r) if r else cells["tapegrad"].get("note", ""),
                     _verdict(r, 3.0)])
    for key in WORKLOADS:
        cells = wl.get(key, {})
        if "note" in cells or "tapegrad.function" not in cells:
            continue
        r = _over(cells["tapegrad.function"], cells.get("jax.jit"))
        rows.append([f"workload {key}: tapegrad.function ≤ jax.jit",
                     _ratio(r) if r else cells["tapegrad.function"].get("note", ""),
                     _verdict(r, 1.0)])
    scale = results.get("scale", {})
    if scale:
        rows_key = max(scale, key=int)
        cells = scale[rows_key]
        r = _over(cells.get("tapegrad"), cells.get("numpy"))
        rows.append([f"workload 7 at {int(rows_key):,} rows: tapegrad ≤ 1.1× NumPy by hand",
                     _ratio(r), _verdict(r, 1.1)])
        mem = results.get("memory", {}).get("peers", {}).get("tapegrad", {})
        if "x_bytes" in mem:
            # During training: the steps' peak above what building kept. Building keeps one
            # copy of X, as tf.constant does in TensorFlow (reported beside it).
            peak = mem.get("traced_peak", mem.get("rss_extra"))
            share = (peak - mem["built"]) / mem["x_bytes"]
            kept = mem["built"] / mem["x_bytes"]
            rows.append([f"workload 7 at {results['memory']['rows']:,} rows: tapegrad's extra "
                         "memory during training < 0.25× X (tracemalloc peak of the steps)",
                         f"{share:.3g}× X (+ {kept:.3g}× X kept by tf.constant(X))",
                         _verdict(share, 0.25, strict=True)])
    ops = results.get("ops", {})
    for key, limit, what in (("0/False", 1.5e-6, "without a tape"),
                             ("0/True", 2.5e-6, "with a tape watching the input")):
        m = _median(ops.get(key, {}).get("tapegrad"))
        if m is not None:
            rows.append([f"scalar multiply {what} ≤ {limit * 1e6:g} µs", f"{m * 1e6:.2f} µs",
                         _verdict(m, limit)])
    untaped, taped = (_median(ops.get(key, {}).get("tapegrad")) for key in ("0/False", "0/True"))
    if untaped is not None and taped is not None:
        rows.append(["recording: a tape's cost per op (scalar multiply with a tape − without) "
                     "≤ 0.4 µs", f"{(taped - untaped) * 1e6:.2f} µs ({taped / untaped:.2f}× the "
                     "untaped op)", _verdict(taped - untaped, 0.4e-6)])
    imports = results.get("imports", {})
    r = _over(imports.get("tapegrad"), imports.get("numpy"))
    if r:
        rows.append(["`import tapegrad` ≤ 1.15× `import numpy` (whole process)", _ratio(r),
                     _verdict(r, 1.15)])
    if not rows:
        return []
    return ["## Targets (issues 5 and 9)", ""] + _table(["target", "measured", "verdict"], rows,
                                                  "lrl")


def _verdict(value: float | None, limit: float, strict: bool = False) -> str:
    if value is None:
        return "n/a"
    ok = value < limit if strict else value <= limit
    return "met" if ok else "**missed**"


def _summary(results: dict[str, Any], peers: list[str]) -> list[str]:
    wl = results["workloads"]
    keys = [k for k in WORKLOADS if k in wl]
    if not keys:
        return []
    lines = ["## Workloads 1–6: summary", "",
             "Median µs per step (steady state); the cell says why where a peer did not run.",
             ""]
    header = ["workload"] + [_title(p) for p in peers]

    def row(key: str, fn: Any) -> list[str]:
        cells = wl[key]
        if "note" in cells:
            return [key, cells["note"]] + [""] * (len(peers) - 1)
        return [f"{key}: {WORKLOADS[key].steps} steps"] + [fn(cells, p) for p in peers]

    def time_cell(cells: dict[str, Any], p: str) -> str:
        c = cells.get(p, {})
        return _time(c["median"]) if "median" in c else c.get("note", "")

    def ratio_cell(base: str) -> Any:
        return lambda cells, p: _ratio(_over(cells.get(p), cells.get(base)))

    lines += _table(header, [row(k, time_cell) for k in keys])
    if "numpy" in peers:
        lines += ["Ratio to NumPy by hand (lower is faster):", ""]
        lines += _table(header, [row(k, ratio_cell("numpy")) for k in keys])
    if "tensorflow" in peers:
        lines += ["Ratio to TensorFlow eager:", ""]
        lines += _table(header, [row(k, ratio_cell("tensorflow")) for k in keys])
    return lines


def _details(results: dict[str, Any], peers: list[str]) -> list[str]:
    lines = ["## Workloads 1–6: each in detail", ""]
    for key, wl in WORKLOADS.items():
        cells = results["workloads"].get(key)
        if cells is None:
            continue
        lines += [f"### {key}. {wl.title}, {wl.steps} steps", ""]
        if "note" in cells:
            lines += [cells["note"], ""]
            continue
        rows = []
        for p in peers:
            c = cells.get(p, {})
            if "median" not in c:
                rows.append([_title(p), c.get("note", ""), "", "", "", "", ""])
                continue
            rows.append([_title(p), _time(c["median"]), _ratio(_over(c, cells.get("numpy"))),
                         _ratio(_over(c, cells.get("tensorflow"))),
                         _time(c["first_s"], 1e-3), str(c["n"]), _metrics(c)])
        lines += _table(["peer", "µs/step", "× NumPy", "× TF eager", "first step (ms)", "runs",
                         "final loss / accuracy"], rows, "lrrrrrl")
    return lines


def _scale(results: dict[str, Any], peers: list[str]) -> list[str]:
    scale = results.get("scale")
    if not scale:
        return []
    bw = results.get("bandwidth", {})
    read = bw.get("read")
    lines = ["## Workload 7: scale (100 float32 features, one full-batch GD step)", ""]
    if read:
        lines += [f"Memory bandwidth measured in this run (NumPy, one thread, best of 5 passes "
                  f"over {results['settings']['bandwidth_mb']} MB): read {read / 1e9:.1f} GB/s "
                  f"(`np.dot(a, a)`), copy {bw['copy'] / 1e9:.1f} GB/s (read + write). The "
                  "floor is the time to read X twice at the read rate: once for X·w, once for "
                  "Xᵀ·err. Below a few million rows X fits in the CPU's caches and a step can "
                  "beat the floor.", ""]
    for rows_key, cells in scale.items():
        rows_n = int(rows_key)
        x_bytes = rows_n * 100 * 4
        floor = 2 * x_bytes / read if read else None
        lines += [f"### {rows_n:,} rows (X is {x_bytes / 2 ** 20:,.0f} MiB)"
                  + (f"; floor {floor * 1e3:.3g} ms" if floor else ""), ""]
        table = []
        for p in peers:
            c = cells.get(p, {})
            if "median" not in c:
                table.append([_title(p), c.get("note", ""), "", "", "", ""])
                continue
            table.append([_title(p), _time(c["median"], 1e-3), _ratio(_over(c, cells.get("numpy"))),
                          _ratio(c["median"] / floor) if floor else "", str(c["n"]), _metrics(c)])
        lines += _table(["peer", "ms/step", "× NumPy", "× floor", "runs", "loss after the run"],
                        table, "lrrrrl")
    memory = results.get("memory")
    if memory:
        lines += [f"### Peak memory at {memory['rows']:,} rows, beyond X itself", "",
                  "Each peer in a fresh process: X made as a NumPy array, then the program "
                  "built (its copy of X, if it makes one) and two steps run. *RSS* is the rise "
                  "of the resident-set high-water mark (reset through /proc/self/clear_refs); "
                  "*tracemalloc* the peak of NumPy-backed allocations; *kept by building* is "
                  "what the program held before its first step (tracemalloc where it sees the "
                  "peer, else RSS): for most peers, their own copy of X.", ""]
        table = []
        for p in peers:
            m = memory["peers"].get(p)
            if m is None:
                continue
            if "x_bytes" not in m:
                table.append([_title(p), m.get("skip") or f"error: {m.get('error')}", "", ""])
                continue
            x = m["x_bytes"]
            table.append([_title(p),
                          f"{m['rss_extra'] / x:.2f}× X" if "rss_extra" in m else "",
                          f"{m['traced_peak'] / x:.2f}× X" if "traced_peak" in m else "",
                          f"{m['built'] / x:.2f}× X"])
        lines += _table(["peer", "RSS", "tracemalloc", "kept by building"], table)
    return lines


def _ops(results: dict[str, Any], peers: list[str]) -> list[str]:
    ops = results.get("ops")
    if not ops:
        return []
    lines = ["## Workload 8: per-op overhead", "",
             "µs per `x * y` on float32 (loop included), median over interleaved rounds. *With "
             "a tape*: TensorFlow and tapegrad inside a `GradientTape` that watches x; PyTorch "
             "with `x.requires_grad`; JAX inside `jax.vjp`; autograd inside `make_vjp` "
             "(without a tape: `autograd.numpy.multiply` on arrays).", ""]
    columns = [("0/False", "scalar"), ("0/True", "scalar, tape"), ("1000/False", "1000"),
               ("1000/True", "1000, tape")]
    table = []
    for p in peers:
        if not any("median" in ops[k].get(p, {}) for k, _ in columns):
            continue
        row = [_title(p)]
        for k, _ in columns:
            c = ops[k].get(p, {})
            row.append(f"{c['median'] * 1e6:.2f}" if "median" in c else c.get("note", ""))
        table.append(row)
    return lines + _table(["peer"] + [title for _, title in columns], table)


def _imports(results: dict[str, Any]) -> list[str]:
    imports = results.get("imports")
    if not imports:
        return []
    lines = ["## Workload 9: import time", "",
             'Whole process, `python -c "import X"`, from a warm file cache; median of '
             "interleaved runs.", ""]
    base = imports.get("numpy")
    table = []
    for name, c in imports.items():
        if "median" not in c:
            table.append([f"`{name}`", c.get("note", ""), "", ""])
            continue
        table.append([f"`{name}`" if not name.startswith("(") else name,
                      f"{c['median'] * 1e3:,.0f}", _ratio(_over(c, base)), str(c["n"])])
    return lines + _table(["import", "ms", "× numpy", "runs"], table)


def overview(results: dict[str, Any]) -> str:
    """The targets, the summary and the per-op table: what the harness prints when done."""
    peers = results["peers"]
    return "\n".join(_targets(results) + _summary(results, peers) + _ops(results, peers)) + "\n"


def markdown(results: dict[str, Any]) -> str:
    peers = results["peers"]
    lines = (_header(results) + _targets(results) + _summary(results, peers)
             + _details(results, peers) + _scale(results, peers) + _ops(results, peers)
             + _imports(results) + _method())
    return "\n".join(lines).rstrip() + "\n"
