"""``tapegrad.minimize``: minimise a scalar function of Variables, with the tape's gradients.

Three methods share one result type (``newton`` and ``lbfgs`` also work on a vector of float64
parameters given a function of them returning value, gradient and Hessian, which is how the
estimators and the Dask path use them):

- ``"gradient"``: steps of a tapegrad optimizer (Adam unless told otherwise).
- ``"newton"``: Newton's method with the Hessian from nested tapes, damped where the Hessian is
  not positive definite (for problems with a few dozen parameters at most).
- ``"lbfgs"``: SciPy's L-BFGS-B, fed the value and the gradient from the tape.

>>> import tapegrad as tf
>>> x = tf.Variable([0.0, 0.0])
>>> result = tf.minimize(lambda: tf.reduce_sum((x - [1.0, 2.0]) ** 2), x, method="newton")
>>> result.converged, x.numpy().tolist()
(True, [1.0, 2.0])
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .ops.array import concat, reshape
from .tape import GradientTape
from .tensor import Tensor, Variable

WINDOW = 10  # the gradient method compares the mean loss of consecutive blocks of this many steps
METHODS = ("gradient", "newton", "lbfgs")


@dataclass
class MinimizeResult:
    """What ``minimize`` found.

    ``value`` is the function at the returned variables; ``steps`` counts optimizer steps
    (Newton or L-BFGS iterations for those methods); ``history["loss"]`` holds the value before
    each step and, last, the final value, and ``history[name]`` the matching values of each
    variable (named by the variable's name when those are unique, else ``x0``, ``x1``, ...).

    >>> import tapegrad as tf
    >>> w = tf.Variable(0.0, name="w")
    >>> r = tf.minimize(lambda: (w - 3.0) ** 2, w, method="newton")
    >>> r.steps, r.value, r.history["w"].tolist()
    (1, 0.0, [0.0, 3.0])
    """

    value: float
    variables: list[Variable]
    steps: int
    history: dict[str, np.ndarray]
    converged: bool
    method: str
    message: str = field(default="")

    def __repr__(self) -> str:
        state = "converged" if self.converged else "not converged"
        return (f"MinimizeResult(value={self.value!r}, steps={self.steps}, {state}, "
                f"method={self.method!r}, message={self.message!r})")


def make_optimizer(optimizer: Any = "adam", learning_rate: float | None = None) -> Any:
    """A tapegrad optimizer from a name (``"adam"``, ``"sgd"``, ...) or an optimizer itself.

    A name is looked up, case-insensitively, among the classes of ``tapegrad.optimizers`` and
    built with ``learning_rate`` when one is given. An optimizer instance is returned as is.

    >>> from tapegrad.solvers import make_optimizer
    >>> type(make_optimizer("sgd", 0.1)).__name__
    'SGD'
    """
    from . import optimizers  # the optimizers import the core only; loaded when first needed

    if isinstance(optimizer, str):
        classes = {name.lower(): cls for name, cls in vars(optimizers).items()
                   if isinstance(cls, type) and hasattr(cls, "apply_gradients")
                   and not name.startswith("_") and name != "Optimizer"}
        cls = classes.get(optimizer.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                             f"{', '.join(sorted(classes))}")
        return cls() if learning_rate is None else cls(learning_rate=learning_rate)
    if not hasattr(optimizer, "apply_gradients"):
        raise TypeError(f"optimizer must be a name such as 'adam' or an optimizer with "
                        f"apply_gradients; got {optimizer!r}")
    if learning_rate is not None:
        raise ValueError("learning_rate applies to an optimizer given by name; set it on the "
                         "optimizer instead")
    return optimizer


def fresh_optimizer(optimizer: Any, learning_rate: float | None) -> Any:
    """``make_optimizer``, but an instance is copied unused, so that each fit starts afresh."""
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, learning_rate)
    make_optimizer(optimizer)  # the same checks
    if hasattr(optimizer, "get_config") and hasattr(type(optimizer), "from_config"):
        return type(optimizer).from_config(optimizer.get_config())
    return copy.deepcopy(optimizer)


def diverged(loss: float, step: int, learning_rate: Any, what: str) -> FloatingPointError:
    """The error for a non-finite loss: where it happened and what to try."""
    rate = "" if learning_rate is None else f" (it is {learning_rate:g})"
    return FloatingPointError(f"{what}: the loss became {loss} at step {step}; the optimizer "
                              f"diverged. Try a smaller learning rate{rate}.")


def learning_rate_of(optimizer: Any) -> float | None:
    """The optimizer's learning rate as a float, where it has one."""
    rate = getattr(optimizer, "learning_rate", None)
    try:
        return float(rate)
    except (TypeError, ValueError):
        return None


def scalar(loss: Any, what: str) -> float:
    """The loss as a float; a loss that is not a scalar is a ValueError."""
    value = loss._value if isinstance(loss, Tensor) else np.asarray(loss)
    if np.ndim(value) != 0:
        raise ValueError(f"{what}: the function to minimise must return a scalar; got shape "
                         f"{np.shape(value)}")
    return float(value)


def descend(loss_at: Callable[[int], Tensor], variables: Sequence[Variable], optimizer: Any,
            steps: int, tol: float, window: int,
            on_step: Callable[[int, float], None], what: str,
            after_step: Callable[[], None] | None = None) -> tuple[int, bool]:
    """Take up to ``steps`` optimizer steps on ``loss_at(step)``; returns (steps, converged).

    ``on_step(step, loss)`` sees each loss before its step; ``after_step()`` runs after each
    (a projection onto constraints, say). Convergence: the mean loss of a block
    of ``window`` steps differs from the previous block's by at most ``tol * max(1, |mean|)``.
    A non-finite loss stops everything with ``FloatingPointError``.
    """
    block = previous = 0.0
    for step in range(steps):
        with GradientTape() as tape, np.errstate(all="ignore"):  # non-finite losses are caught
            loss = loss_at(step)
        value = scalar(loss, what)
        if not math.isfinite(value):
            raise diverged(value, step, learning_rate_of(optimizer), what)
        on_step(step, value)
        grads = tape.gradient(loss, list(variables))
        for v, g in zip(variables, grads):
            if g is None:
                raise ValueError(f"{what}: the loss does not depend on variable {v.name!r}")
        optimizer.apply_gradients(zip(grads, variables))
        if after_step is not None:
            after_step()
        block += value
        if (step + 1) % window == 0:
            mean = block / window
            if step + 1 > window and abs(previous - mean) <= tol * max(1.0, abs(mean)):
                return step + 1, True
            previous, block = mean, 0.0
    return steps, False


class _Recorder:
    """Collects the loss and a copy of each variable at every step, for ``history``."""

    def __init__(self, variables: Sequence[Variable]) -> None:
        self.variables = variables
        self.losses: list[float] = []
        self.values: list[list[np.ndarray]] = [[] for _ in variables]

    def __call__(self, step: int, loss: float) -> None:
        self.losses.append(loss)
        for store, v in zip(self.values, self.variables):
            store.append(np.array(v._value))

    def history(self) -> dict[str, np.ndarray]:
        names = [v.name.split(":")[0] for v in self.variables]
        if len(set(names)) < len(names) or {"loss", "Variable"} & set(names):  # unnamed, or clash
            names = [f"x{i}" for i in range(len(names))]
        out = {"loss": np.array(self.losses)}
        for name, store in zip(names, self.values):
            out[name] = np.array(store)
        return out


def minimize(fn: Callable[..., Any], variables: Variable | Sequence[Variable],
             optimizer: Any = None, steps: int = 1000, tol: float = 1e-10,
             method: str | None = None, learning_rate: float | None = None,
             callback: Callable[[int, float], None] | None = None,
             data: Any = None) -> MinimizeResult:
    """Minimise the scalar ``fn()`` over ``variables``; the variables end at the minimiser.

    ``method="gradient"`` (the default without ``data``) takes up to ``steps`` steps of
    ``optimizer`` (a name such as ``"adam"`` or ``"sgd"``, or a tapegrad optimizer; Adam with
    learning rate 0.01 by default) and stops when the mean loss of a block of 10 steps moved by
    at most ``tol * max(1, |loss|)`` from the block before. ``"newton"`` solves with the Hessian
    from nested tapes, damped where it is not positive definite, backtracking until the step
    lowers ``fn``; it stops when the Newton decrement ``g·H⁻¹g / 2`` is at most
    ``tol * max(1, |f|)``. ``"lbfgs"`` runs SciPy's L-BFGS-B with ``ftol = gtol = tol``.
    ``callback(step, loss)`` runs before each step. A non-finite loss raises
    ``FloatingPointError`` naming the step.

    ``data``: a Dask array or DataFrame, or a tuple of Dask arrays split into the same row
    chunks. Then ``fn(*chunk)`` is the loss of one chunk (NumPy arrays, a DataFrame's as one
    2-d array) and ``minimize`` minimises the sum over the chunks: each step's value, gradient
    (and Hessian) are computed chunk by chunk on the Dask workers and summed there; only the
    variables' values travel. ``method`` is then ``"lbfgs"`` (the default) or ``"newton"``.

    >>> import tapegrad as tf
    >>> w, b = tf.Variable(0.0), tf.Variable(0.0)
    >>> x, y = tf.constant([0.0, 1.0, 2.0]), tf.constant([1.0, 3.0, 5.0])
    >>> r = tf.minimize(lambda: tf.reduce_mean((w * x + b - y) ** 2), [w, b],
    ...                 optimizer="adam", learning_rate=0.1, steps=2000)
    >>> r.converged, round(float(w), 3), round(float(b), 3)
    (True, 2.0, 1.0)
    """
    if not callable(fn):
        raise TypeError(f"minimize needs a function fn() that returns the loss, got {fn!r}")
    single = isinstance(variables, Variable)
    var_list = [variables] if single or not isinstance(variables, (list, tuple)) \
        else list(variables)
    if not var_list or not all(isinstance(v, Variable) for v in var_list):
        raise TypeError("minimize needs a Variable or a list of Variables to adjust")
    if method is None:
        method = "gradient" if data is None else "lbfgs"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method != "gradient" and (optimizer is not None or learning_rate is not None):
        raise ValueError(f"method={method!r} takes no optimizer or learning rate")
    if int(steps) < 1:
        raise ValueError(f"steps must be at least 1; got {steps}")
    record = _Recorder(var_list)

    def on_step(step: int, loss: float, x: Any = None) -> None:
        if x is not None:  # the variables at this step (on a cluster, only x was there)
            _assign_flat(var_list, x)
        record(step, loss)
        if callback is not None:
            callback(step, loss)

    message = ""
    if data is not None:
        if method == "gradient":
            raise ValueError("minimize over data chunks takes method='lbfgs' or 'newton'")
        from .models import cluster  # Dask is imported only here
        terms = cluster.chunked_terms(fn, var_list, data)
    else:
        terms = _tape_terms(fn, var_list)
    if method == "gradient":
        opt = make_optimizer("adam" if optimizer is None else optimizer,
                             0.01 if optimizer is None and learning_rate is None
                             else learning_rate)
        taken, converged = descend(lambda step: fn(), var_list, opt, int(steps), tol, WINDOW,
                                   on_step, "minimize")
        value = _value(fn)
    else:
        solve = newton if method == "newton" else lbfgs
        x, value, _, taken, converged, message = solve(terms, _flat(var_list), int(steps), tol,
                                                      on_step, "minimize")
        _assign_flat(var_list, x)
    if not math.isfinite(value):
        raise diverged(value, taken, None, "minimize")
    if len(record.losses) == taken:  # the final point is not in the history yet
        record(taken, value)
    return MinimizeResult(value=value, variables=var_list, steps=taken, history=record.history(),
                          converged=converged, method=method, message=message)


# ----- Newton and L-BFGS on a vector x, given terms(x, hessian) -> (f, gradient, Hessian) -----

Terms = Callable[[np.ndarray, bool], "tuple[float, np.ndarray, np.ndarray | None]"]
Solved = "tuple[np.ndarray, float, np.ndarray, int, bool, str]"


def _value(fn: Callable[[], Any]) -> float:
    return scalar(fn(), "minimize")


def _flat(variables: Sequence[Variable]) -> np.ndarray:
    return np.concatenate([np.ravel(v._value).astype(np.float64) for v in variables])


def _assign_flat(variables: Sequence[Variable], x: np.ndarray) -> None:
    start = 0
    for v in variables:
        size = int(np.size(v._value))
        v.assign(x[start:start + size].reshape(np.shape(v._value)))
        start += size


def _tape_terms(fn: Callable[..., Any], variables: Sequence[Variable]) -> Terms:
    """terms(x, hessian) of ``fn(*args)`` at the variables set to x: its value, its gradient and
    (if asked) its Hessian from nested tapes, all float64. Extra args go to ``fn``."""
    def terms(x: np.ndarray, hessian: bool, *args: Any) -> tuple[float, np.ndarray, Any]:
        _assign_flat(variables, x)
        with GradientTape(persistent=True) as outer:
            with GradientTape() as inner, np.errstate(all="ignore"):
                loss = fn(*args)
                f = scalar(loss, "minimize")
            grads = inner.gradient(loss, list(variables), unconnected_gradients="zero")
            flat_grad = concat([reshape(g, [-1]) for g in grads], axis=0)
        g = flat_grad.numpy().astype(np.float64)
        if not hessian or not math.isfinite(f):
            return f, g, None
        blocks = outer.jacobian(flat_grad, list(variables), unconnected_gradients="zero")
        H = np.concatenate([np.reshape(b._value, (g.size, -1)) for b in blocks], axis=1)
        return f, g, H.astype(np.float64)
    return terms


def _newton_direction(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """-H⁻¹g, with H shifted to positive definite first where it is not."""
    H = (H + H.T) / 2  # symmetric up to rounding
    try:
        return -np.linalg.solve(H, g) if np.all(np.linalg.eigvalsh(H) > 0) else _shifted(H, g)
    except np.linalg.LinAlgError:
        return _shifted(H, g)


def _shifted(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    lowest = float(np.min(np.linalg.eigvalsh(H))) if np.all(np.isfinite(H)) else -1.0
    shift = -lowest + max(1e-3 * abs(lowest), 1e-8 * max(1.0, float(np.max(np.abs(H)))))
    return -np.linalg.lstsq(H + shift * np.eye(H.shape[0]), g, rcond=None)[0]


def newton(terms: Terms, x: np.ndarray, steps: int, tol: float,
           on_step: Callable[[int, float, np.ndarray], None], what: str) -> Any:
    """Newton's method with backtracking: returns (x, f, gradient, steps, converged, message).

    ``on_step(step, f, x)`` sees each iterate before its step. Stops when the Newton decrement
    ``g·H⁻¹g / 2`` is at most ``tol * max(1, |f|)``, after that last step if it lowers f; every
    accepted step lowers f.
    """
    f, g, H = terms(x, True)
    for step in range(steps):
        if not math.isfinite(f):
            raise diverged(f, step, None, what)
        on_step(step, f, x)
        if not np.any(g):
            return x, f, g, step, True, "the gradient is zero"
        d = _newton_direction(H, g)
        if float(-g @ d) / 2 <= tol * max(1.0, abs(f)):
            # quadratic convergence: the last step is worth taking, checked at a gradient's cost
            f_new, g_new, _ = terms(x + d, False)
            if f_new <= f:
                return x + d, f_new, g_new, step + 1, True, "the Newton decrement fell below tol"
            return x, f, g, step, True, "the Newton decrement fell below tol"
        t = 1.0
        for _ in range(50):
            f_new, g_new, H_new = terms(x + t * d, True)
            if f_new <= f:
                break
            t /= 2
        else:
            return x, f, g, step, False, "no Newton step lowered the loss"
        x, f, g, H = x + t * d, f_new, g_new, H_new
    return x, f, g, steps, False, "reached the step limit"


def lbfgs(terms: Terms, x0: np.ndarray, steps: int, tol: float,
          on_step: Callable[[int, float, np.ndarray], None], what: str) -> Any:
    """SciPy's L-BFGS-B on terms' value and gradient: (x, f, gradient, steps, converged, msg)."""
    try:
        from scipy.optimize import minimize as scipy_minimize
    except ImportError:
        raise ImportError("method='lbfgs' needs SciPy: pip install 'tapegrad[scipy]'") from None
    last: dict[str, Any] = {}
    iterations = [0]

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        f, g, _ = terms(x, False)
        if not math.isfinite(f):
            raise diverged(f, iterations[0], None, what)
        last["x"], last["f"], last["g"] = np.array(x), f, g
        return f, g

    def record(x: np.ndarray) -> None:  # SciPy calls this after each iteration, at its new x
        f = last["f"] if np.array_equal(last.get("x"), x) else value_and_gradient(x)[0]
        iterations[0] += 1
        on_step(iterations[0], f, x)

    on_step(0, value_and_gradient(x0)[0], x0)
    result = scipy_minimize(value_and_gradient, x0, jac=True, method="L-BFGS-B", tol=tol,
                            callback=record, options={"maxiter": steps})
    f, g = (last["f"], last["g"]) if np.array_equal(last["x"], result.x) else \
        value_and_gradient(result.x)
    return result.x, f, g, iterations[0], bool(result.success), str(result.message)


__all__ = ["minimize", "MinimizeResult", "make_optimizer"]
