"""One framework per process: the harness starts a worker per framework and sends it commands.

Each worker imports only its own framework, single-threaded, so that no framework's threads or
allocator disturb another's timings. Commands arrive as JSON lines on stdin; replies go out as
JSON lines on the original stdout (stray prints from the frameworks are sent to stderr).

``python -m benchmarks.worker memory PEER ROWS`` instead measures, in a fresh process, the peak
memory a workload-7 step adds beyond X, and prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import time
import traceback
import tracemalloc
from typing import Any, Callable

import numpy as np

from . import peers, workloads

# Every framework single-threaded: set before any of them is imported.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "JAX_PLATFORMS": "cpu",
}

# peer -> (framework process, column title)
PEERS = {
    "numpy": ("numpy", "NumPy by hand"),
    "tapegrad": ("tapegrad", "tapegrad eager"),
    "tapegrad.function": ("tapegrad", "tapegrad.function"),
    "tensorflow": ("tensorflow", "TF eager"),
    "tf.function": ("tensorflow", "tf.function"),
    "torch": ("torch", "PyTorch eager"),
    "jax": ("jax", "JAX (no jit)"),
    "jax.jit": ("jax", "jax.jit"),
    "autograd": ("autograd", "autograd"),
}
NUMPY_BACKED = ("numpy", "tapegrad", "autograd")  # their memory is seen by tracemalloc


def load(framework: str) -> tuple[Any, dict[str, str]]:
    """Import ``framework`` single-threaded; returns the module and the versions to report."""
    from importlib.metadata import version
    versions = {"numpy": np.__version__}
    if framework == "numpy":
        return None, versions
    if framework == "tapegrad":
        import tapegrad
        versions["tapegrad"] = tapegrad.__version__
        return tapegrad, versions
    if framework == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.get_logger().setLevel("ERROR")
        versions.update(tensorflow=tf.__version__, keras=version("keras"))
        return tf, versions
    if framework == "torch":
        import torch
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        versions["torch"] = torch.__version__
        return torch, versions
    if framework == "jax":
        import jax
        versions.update(jax=jax.__version__, jaxlib=version("jaxlib"))
        return jax, versions
    if framework == "autograd":
        import autograd
        versions["autograd"] = version("autograd")
        return autograd, versions
    raise KeyError(framework)


def unavailable(peer: str, module: Any, key: str) -> str | None:
    """Why ``peer`` can't run workload ``key`` yet, or None."""
    if peer == "tapegrad.function" and not hasattr(module, "function"):
        return "n/a (not built)"
    if (peer.startswith("tapegrad") and key in peers.OPTIMIZER
            and not (hasattr(module, "keras") or hasattr(module, "optimizers"))):
        return "n/a (no tapegrad.optimizers)"
    return None


# ----- Workloads 1-7: one timed run -----

_data: dict[tuple[str, int], workloads.Data] = {}


def data_for(key: str, rows: int) -> workloads.Data:
    """The workload's data, made once per process (workload 7: per number of rows)."""
    cache_key = (key, rows)
    if cache_key not in _data:
        if key == "7":
            _data.clear()  # one X at a time
            _data[cache_key] = workloads.scale_data(rows)
        else:
            _data[cache_key] = workloads.DATA[key](workloads.WORKLOADS[key].steps)
    return _data[cache_key]


def run(module: Any, peer: str, key: str, steps: int, rows: int = 0) -> dict[str, Any]:
    """Build the program, run ``steps`` steps; time the first step and the rest apart."""
    reason = unavailable(peer, module, key)
    if reason:
        return {"skip": reason}
    data = data_for(key, rows)
    read_params, train_step = peers.build(peer, module, key, data)

    def inputs(i: int) -> tuple[Any, ...]:
        return workloads.step_inputs(key, data, i)

    start = time.perf_counter()
    np.asarray(train_step(*inputs(0)))  # the first step: tracing, compiling, building slots
    first = time.perf_counter()
    for i in range(1, steps):
        train_step(*inputs(i))
    params = read_params()  # waits for asynchronous dispatch (JAX)
    end = time.perf_counter()
    return {"first_s": first - start, "step_s": (end - first) / max(steps - 1, 1),
            "metrics": workloads.evaluate(key, data, params)}


# ----- Workload 8: the cost of one multiply -----


def op_cost(module: Any, peer: str, size: int, taped: bool, n: int) -> dict[str, Any]:
    """Seconds per ``x * y`` on float32 scalars (size 0) or vectors, averaged over ``n``."""
    a = np.float32(1.5) if size == 0 else np.full(size, 1.5, np.float32)
    b = np.float32(0.5) if size == 0 else np.full(size, 0.5, np.float32)
    clock = time.perf_counter

    def loop(x: Any, y: Any) -> float:
        for _ in range(10):  # warm: JAX compiles each new op on its first call
            x * y
        start = clock()
        for _ in range(n):
            x * y
        return (clock() - start) / n

    if peer == "numpy":
        return {"skip": "n/a (no tape)"} if taped else {"s": loop(a, b)}
    if peer in ("tapegrad", "tensorflow"):
        tf = module
        x, y = tf.constant(a), tf.constant(b)
        if not taped:
            return {"s": loop(x, y)}
        # Tapes of 100 ops, as a training step's: one tape over all n ops would hold n outputs.
        start, chunks = clock(), max(n // 100, 1)
        for _ in range(chunks):
            with tf.GradientTape() as tape:
                tape.watch(x)
                for _ in range(100):
                    x * y
        return {"s": (clock() - start) / (chunks * 100)}
    if peer == "torch":
        x, y = module.tensor(a, requires_grad=taped), module.tensor(b)
        return {"s": loop(x, y)}
    if peer == "autograd":
        import autograd.numpy as anp
        if not taped:
            start = clock()
            for _ in range(n):
                anp.multiply(a, b)
            return {"s": (clock() - start) / n}
        return {"s": _inside_trace(lambda f: module.make_vjp(f)(a), lambda x: loop(x, b))}
    if peer == "jax":
        import jax.numpy as jnp
        x, y = jnp.asarray(a), jnp.asarray(b)
        if not taped:
            (x * y).block_until_ready()
            start = clock()
            for _ in range(n):
                r = x * y
            r.block_until_ready()
            return {"s": (clock() - start) / n}
        return {"s": _inside_trace(lambda f: module.vjp(f, x), lambda x: loop(x, y))}
    return {"skip": "n/a (per-op)"}


def _inside_trace(trace: Callable[[Callable], Any], timed: Callable[[Any], float]) -> float:
    """Time ``timed(x)`` where x is the traced value of a reverse-mode trace (autograd, JAX)."""
    seconds = []

    def f(x: Any) -> Any:
        seconds.append(timed(x))
        return x * x

    trace(f)
    return seconds[0]


# ----- Memory bandwidth, for workload 7's floor -----


def bandwidth(megabytes: int, repeats: int) -> dict[str, float]:
    """Bytes per second reading a large array (BLAS dot with itself) and copying it.

    The best of ``repeats``: other work on the machine can only make a pass slower.
    """
    a = np.ones(megabytes * 2 ** 20 // 4, np.float32)
    b = np.empty_like(a)
    reads, copies = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        np.dot(a, a)
        reads.append(a.nbytes / (time.perf_counter() - start))
        start = time.perf_counter()
        np.copyto(b, a)
        copies.append(2 * a.nbytes / (time.perf_counter() - start))
    return {"read": max(reads), "copy": max(copies)}


# ----- Peak memory of workload 7, in a fresh process -----


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(field + r":\s+(\d+)", f.read()).group(1)) * 1024


def memory(peer: str, rows: int) -> dict[str, Any]:
    """Peak bytes added to the process by building and running two workload-7 steps.

    Measured from the moment X exists as a NumPy array: the resident-set high-water mark (reset
    through /proc/self/clear_refs) for every peer, and tracemalloc's peak for NumPy-backed peers.
    """
    module, _ = load(PEERS[peer][0])
    reason = unavailable(peer, module, "7")
    if reason:
        return {"skip": reason}
    data = workloads.scale_data(rows)
    gc.collect()
    baseline = _status("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        rss_ok = True
    except OSError:
        rss_ok = False
    traced = PEERS[peer][0] in NUMPY_BACKED
    if traced:
        tracemalloc.start()
    read_params, train_step = peers.build(peer, module, "7", data)
    # what building kept (a framework's own copy of X), apart from the steps' temporaries
    built = tracemalloc.get_traced_memory()[0] if traced else _status("VmRSS") - baseline
    for _ in range(2):
        np.asarray(train_step())
    read_params()
    result: dict[str, Any] = {"x_bytes": data.x.nbytes, "built": built}
    if traced:
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if rss_ok:
        result["rss_extra"] = _status("VmHWM") - baseline
    return result


# ----- The command loop -----


def serve(framework: str) -> None:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything the frameworks print goes to the log, not into the replies
    sys.stdout = sys.stderr
    try:
        module, versions = load(framework)
        replies.write(json.dumps({"versions": versions}) + "\n")
    except Exception as exc:  # not installed, or broken: the harness reports the reason
        replies.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("cmd")
        if command == "quit":
            break
        try:
            if command == "run":
                reply = run(module, **request)
            elif command == "op":
                reply = op_cost(module, **request)
            elif command == "bandwidth":
                reply = bandwidth(**request)
            else:
                raise ValueError(f"unknown command {command!r}")
        except Exception as exc:
            traceback.print_exc()
            reply = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:200]}
        gc.collect()
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "memory":
        print(json.dumps(memory(sys.argv[2], int(sys.argv[3]))))
    else:
        serve(sys.argv[1])
