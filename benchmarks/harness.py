"""Run every workload on every peer, interleaved, and write the report.

``python -m benchmarks`` (see README) starts one worker process per framework, single-threaded,
then for each workload runs the peers in rounds (A B C … A B C …, each round starting one peer
later), keeps the median of each peer's runs, and writes ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import report
from .worker import PEERS, THREAD_ENV
from .workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = ["numpy", "tapegrad", "tensorflow", "torch", "jax", "autograd"]


@dataclass
class Settings:
    """How much to run: the full run, or ``--quick`` for a smoke run."""

    rounds: int = 5  # interleaved runs of each peer per workload (fewer past the budget)
    budget_s: float = 15.0  # a peer stops repeating a workload once its runs took this long
    scale_rows: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    scale_steps: dict[int, int] = field(default_factory=lambda: {10_000: 30, 100_000: 8,
                                                                  1_000_000: 4})
    scale_rounds: int = 3
    op_rounds: int = 7
    op_n: int = 20_000  # multiplies per measurement (a tenth of that for the slow dispatchers)
    import_rounds: int = 7
    bandwidth_mb: int = 400

    @classmethod
    def quick(cls) -> Settings:
        return cls(rounds=1, budget_s=2.0, scale_rows=(10_000, 100_000),
                   scale_steps={10_000: 5, 100_000: 3}, scale_rounds=1, op_rounds=2, op_n=5_000,
                   import_rounds=2, bandwidth_mb=100)


def child_env() -> dict[str, str]:
    """The environment of every child process: single-threaded, this checkout's tapegrad."""
    env = dict(os.environ, **THREAD_ENV)
    paths = [str(ROOT / "src"), str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(
        os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class Worker:
    """A framework's process, answering one JSON request at a time."""

    def __init__(self, framework: str, log_dir: Path) -> None:
        self.framework = framework
        self.log_path = log_dir / f"{framework}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", framework], cwd=ROOT, env=child_env(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        hello = self._read()
        self.versions: dict[str, str] = hello.get("versions", {})
        self.error: str | None = hello.get("error")

    def _read(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:
            tail = self.log_path.read_text()[-800:]
            return {"error": f"worker exited ({self.process.poll()}): {tail.strip()}"}
        return json.loads(line)

    def ask(self, cmd: str, **request: Any) -> dict[str, Any]:
        if self.error:
            if self.error.startswith("ModuleNotFoundError"):
                return {"skip": "not installed"}
            return {"error": self.error}
        try:
            self.process.stdin.write(json.dumps(dict(cmd=cmd, **request)) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            self.error = "worker died"
            return {"error": self.error}
        reply = self._read()
        if self.process.poll() is not None:
            self.error = reply.get("error", "worker died")
        return reply

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write('{"cmd": "quit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.log.close()


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def interleaved(peers: list[str], rounds: int, budget_s: float, measure: Any
                ) -> dict[str, list[dict[str, Any]]]:
    """Run ``measure(peer)`` for each peer in rounds, rotating who goes first.

    A peer stops once it has been skipped or failed, or its runs add up to ``budget_s``.
    """
    runs: dict[str, list[dict[str, Any]]] = {p: [] for p in peers}
    spent = dict.fromkeys(peers, 0.0)
    for r in range(rounds):
        order = peers[r % len(peers):] + peers[:r % len(peers)]
        for peer in order:
            done = runs[peer] and ("skip" in runs[peer][-1] or "error" in runs[peer][-1])
            if done or spent[peer] >= budget_s:
                continue
            start = time.perf_counter()
            runs[peer].append(measure(peer))
            spent[peer] += time.perf_counter() - start
    return runs


def summarise(runs: list[dict[str, Any]], value: str) -> dict[str, Any]:
    """The median of ``value`` over the runs, with the first run's metrics and any reason."""
    good = [r for r in runs if value in r]
    if not good:
        bad = runs[-1] if runs else {"skip": "not run"}
        return {"note": bad.get("skip") or f"error: {bad.get('error')}"}
    out = {"median": statistics.median(r[value] for r in good), "n": len(good)}
    for extra in ("first_s", "metrics"):
        if extra in good[-1]:
            out[extra] = (statistics.median(r[extra] for r in good) if extra == "first_s"
                          else good[-1][extra])
    return out


def time_imports(modules: list[str], rounds: int) -> dict[str, Any]:
    """Whole-process ``python -c "import X"`` seconds, interleaved, median per module.

    As after a normal install: bytecode is written (one untimed import first), whatever
    PYTHONDONTWRITEBYTECODE says here.
    """
    env = child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    present = ["(python alone)"] + [m for m in modules if _installed(m, env)]
    for m in present[1:]:
        subprocess.run([sys.executable, "-c", f"import {m}"], env=env, cwd=tempfile.gettempdir(),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: dict[str, list[float]] = {m: [] for m in present}
    for r in range(rounds):
        for m in present[r % len(present):] + present[:r % len(present)]:
            code = "pass" if m == "(python alone)" else f"import {m}"
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, cwd=tempfile.gettempdir(),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[m].append(time.perf_counter() - start)
    result = {m: {"median": statistics.median(s), "n": len(s)} for m, s in samples.items()}
    for m in modules:
        result.setdefault(m, {"note": "not installed"})
    return result


def _installed(module: str, env: dict[str, str]) -> bool:
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([sys.executable, "-c", probe], env=env, cwd=tempfile.gettempdir()
                          ).returncode == 0


def measure_memory(peer: str, rows: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.worker", "memory", peer, str(rows)],
                          cwd=ROOT, env=child_env(), capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:200]}
    return json.loads(lines[-1])


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
        memory = f"{kb / 2 ** 20:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory,
            "os": platform.platform(), "python": platform.python_version(),
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "commit": commit}


def run_all(settings: Settings, peers: list[str], only: list[str]) -> dict[str, Any]:
    """Every requested measurement; the results as one JSON-able dict."""
    results: dict[str, Any] = {"machine": machine(), "settings": settings.__dict__,
                               "peers": peers, "workloads": {}, "scale": {}}
    with tempfile.TemporaryDirectory(prefix="tapegrad-bench-") as logs:
        workers: dict[str, Worker] = {}
        for framework in dict.fromkeys(PEERS[p][0] for p in peers):
            progress(f"starting the {framework} worker")
            workers[framework] = Worker(framework, Path(logs))
        try:
            versions = {}
            for w in workers.values():
                versions.update(w.versions)
            if importlib.util.find_spec("sklearn"):
                from importlib.metadata import version
                versions["scikit-learn"] = version("scikit-learn")
            results["versions"] = versions
            results["missing"] = {f: w.error for f, w in workers.items() if w.error}

            def ask(peer: str, cmd: str, **request: Any) -> dict[str, Any]:
                return workers[PEERS[peer][0]].ask(cmd, peer=peer, **request)

            if "8" in only:
                progress("workload 8: per-op overhead")
                results["ops"] = {}
                for size in (0, 1000):
                    for taped in (False, True):
                        def op(peer: str, size: int = size, taped: bool = taped
                               ) -> dict[str, Any]:
                            slow = PEERS[peer][0] in ("tensorflow", "jax")
                            n = settings.op_n // 10 if slow else settings.op_n
                            return ask(peer, "op", size=size, taped=taped, n=n)
                        runs = interleaved(peers, settings.op_rounds, float("inf"), op)
                        results["ops"][f"{size}/{taped}"] = {p: summarise(r, "s")
                                                             for p, r in runs.items()}
            for key, wl in WORKLOADS.items():
                if key not in only:
                    continue
                progress(f"workload {key}: {wl.title}")
                missing = [m for m in wl.needs if not importlib.util.find_spec(m)]
                if missing:
                    results["workloads"][key] = {"note": f"skipped: {', '.join(missing)} not "
                                                         "installed"}
                    continue
                runs = interleaved(peers, settings.rounds, settings.budget_s,
                                   lambda p, key=key, wl=wl: ask(p, "run", key=key,
                                                                 steps=wl.steps))
                results["workloads"][key] = {p: summarise(r, "step_s") for p, r in runs.items()}
            if "7" in only:
                if "numpy" in workers:
                    progress("memory bandwidth")
                    results["bandwidth"] = workers["numpy"].ask("bandwidth",
                                                                megabytes=settings.bandwidth_mb,
                                                                repeats=5)
                for rows in settings.scale_rows:
                    progress(f"workload 7: {rows} rows")
                    steps = settings.scale_steps[rows]
                    runs = interleaved(peers, settings.scale_rounds, float("inf"),
                                       lambda p, rows=rows, steps=steps: ask(
                                           p, "run", key="7", steps=steps, rows=rows))
                    results["scale"][str(rows)] = {p: summarise(r, "step_s")
                                                   for p, r in runs.items()}
        finally:
            for w in workers.values():
                w.close()
    if "7" in only:
        rows = settings.scale_rows[-1]
        progress(f"workload 7: peak memory at {rows} rows, one fresh process per peer")
        results["memory"] = {"rows": rows, "peers": {
            p: measure_memory(p, rows) for p in peers if PEERS[p][0] not in results["missing"]}}
    if "9" in only:
        progress("workload 9: import times")
        frameworks = [m for m in IMPORTS if any(PEERS[p][0] == m for p in peers)]
        results["imports"] = time_imports(frameworks, settings.import_rounds)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: one round, smaller workload 7, fewer repeats")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated, from: {', '.join(PEERS)}")
    parser.add_argument("--only", default=",".join([*WORKLOADS, "7", "8", "9"]),
                        help="comma-separated workloads to run (1,2,3a,3b,4,5,6,7,8,9)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"),
                        help="the Markdown report to write (default docs/benchmarks.md)")
    parser.add_argument("--json", help="also write the raw results to this JSON file")
    args = parser.parse_args(argv)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown peers {unknown}; choose from {list(PEERS)}")
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    settings = Settings.quick() if args.quick else Settings()
    started = time.perf_counter()
    results = run_all(settings, peers, only)
    results["wall_s"] = time.perf_counter() - started
    results["quick"] = args.quick
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    progress(f"wrote {out} in {results['wall_s']:.0f} s")
    print(report.overview(results))
    return 0
