"""Every peer's version of the workloads, each written the way its users write it.

A builder returns ``(read_params, train_step)``: ``train_step(*batch)`` runs one step and returns
the loss; ``read_params()`` gives the parameters as NumPy arrays for judging. The harness owns the
loop, so every peer is timed the same way.

- TensorFlow and tapegrad run the one TensorFlow-style program of ``workloads.py``, eagerly or
  under their ``function`` decorator.
- NumPy by hand: gradients derived on paper, the optimizers' formulas written out.
- PyTorch eager: ``backward`` (or ``torch.autograd.grad``) and ``torch.optim``.
- JAX and HIPS autograd: a loss function, ``value_and_grad``, and Keras's update formulas
  written out; JAX with and without ``jax.jit`` on the whole step.

>>> from benchmarks import workloads
>>> read, step = build("numpy", None, "1", workloads.line_data())
>>> for _ in range(1000):
...     loss = step()
>>> [round(float(p), 2) for p in read()]
[3.01, 4.24]
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .workloads import SCALE_LEARNING_RATE, TF_PROGRAMS, Data

Program = tuple[Callable[[], list[np.ndarray]], Callable[..., Any]]

# The learning rates and optimizers of the workloads, for the peers that write them out.
LEARNING_RATES = {"1": 0.02, "2": 0.03, "3a": 0.001, "3b": 0.1, "4": 0.01, "5": 0.1, "6": 0.01,
                  "7": SCALE_LEARNING_RATE}
OPTIMIZER = {"3b": "adam", "4": "nadam", "5": "nadam", "6": "adam"}


# ----- Keras 3's Adam and Nadam, written out once for any array module `xp` -----


class Adam:
    """Keras's Adam as a pure function of (params, grads, state); ε outside the bias correction.

    >>> opt = Adam(0.1)
    >>> params, state = [np.float32(1.0)], opt.init(np, [np.float32(1.0)])
    >>> params, state = opt.update(np, params, [np.float32(2.0)], state)
    >>> round(float(params[0]), 4)
    0.9
    """

    def __init__(self, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon

    def init(self, xp: Any, params: list[Any]) -> tuple[Any, ...]:
        return (0, [xp.zeros_like(p) for p in params], [xp.zeros_like(p) for p in params])

    def update(self, xp: Any, params: list[Any], grads: list[Any], state: tuple[Any, ...]
               ) -> tuple[list[Any], tuple[Any, ...]]:
        t, m, v = state
        t = t + 1
        b1, b2 = self.b1, self.b2
        m = [mi + (g - mi) * (1 - b1) for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * (1 - b2) for vi, g in zip(v, grads)]
        alpha = self.lr * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
        params = [p - alpha * mi / (xp.sqrt(vi) + self.eps) for p, mi, vi in zip(params, m, v)]
        return params, (t, m, v)


class Nadam(Adam):
    """Keras's Nadam: momentum schedule u_t = β1(1 − ½·0.96ᵗ), as ``keras.optimizers.Nadam``."""

    def init(self, xp: Any, params: list[Any]) -> tuple[Any, ...]:
        return (1.0,) + super().init(xp, params)

    def update(self, xp: Any, params: list[Any], grads: list[Any], state: tuple[Any, ...]
               ) -> tuple[list[Any], tuple[Any, ...]]:
        u_product, t, m, v = state
        t = t + 1
        b1, b2 = self.b1, self.b2
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t
        m = [mi + (g - mi) * (1 - b1) for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * (1 - b2) for vi, g in zip(v, grads)]
        m_scale, g_scale = u_next / (1 - u_product * u_next), (1 - u_t) / (1 - u_product)
        v_scale = 1 / (1 - b2 ** t)
        params = [p - self.lr * (m_scale * mi + g_scale * g) / (xp.sqrt(vi * v_scale) + self.eps)
                  for p, mi, vi, g in zip(params, m, v, grads)]
        return params, (u_product, t, m, v)


def make_optimizer(key: str) -> Adam | None:
    kind = OPTIMIZER.get(key)
    if kind is None:
        return None
    return (Adam if kind == "adam" else Nadam)(LEARNING_RATES[key])


# ----- TensorFlow and tapegrad: the one TensorFlow-style program -----


def tf_style(tf: Any, key: str, data: Data, compiled: bool) -> Program:
    variables, step = TF_PROGRAMS[key](tf, data)
    if compiled:
        step = tf.function(step)
    return (lambda: [np.asarray(v.numpy()) for v in variables]), step


# ----- NumPy by hand -----


def numpy_program(key: str, data: Data) -> Program:
    """Hand-derived gradients on float32 NumPy arrays."""
    f32 = np.float32
    lr = LEARNING_RATES[key]
    opt = make_optimizer(key)
    if key in ("1", "2", "3a", "3b"):
        w, b = (f32(10.0), f32(1.0)) if key == "2" else (f32(0.0), f32(0.0))
        x, y = data.x, data.y
        halved = key.startswith("3")  # workload 3's loss is Σerr²/(2m), the others' the mean
        state = opt.init(np, [w, b]) if opt else None

        def step(*batch):
            nonlocal w, b, state
            xs, ys = batch if batch else (x, y)
            m = 2 * xs.shape[0] if halved else xs.shape[0]
            err = w * xs + b - ys
            loss = err @ err / m
            gw, gb = 2 * (err @ xs) / m, 2 * err.sum() / m
            if opt is None:
                w, b = w - lr * gw, b - lr * gb
            else:
                (w, b), state = opt.update(np, [w, b], [gw, gb], state)
            return loss

        return (lambda: [np.asarray(w), np.asarray(b)]), step
    if key == "4":
        X, Y = data.x, data.y
        W = np.zeros((3, 1), f32)
        state = opt.init(np, [W])

        def step():
            nonlocal W, state
            err = X @ W - Y
            loss = np.sum(err * err)
            (W,), state = opt.update(np, [W], [2 * (X.T @ err)], state)
            return loss

        return (lambda: [W]), step
    if key == "5":
        params = [f32(0.0)] * 4
        state = opt.init(np, params)

        def step():
            nonlocal params, state
            a, b, c, d = params
            r1, r2, r3, r4 = a + b - 9, c - d - 1, a + c - 8, b - d - 2
            loss = r1 * r1 + r2 * r2 + r3 * r3 + r4 * r4
            grads = [2 * (r1 + r3), 2 * (r1 + r4), 2 * (r2 + r3), -2 * (r2 + r4)]
            params, state = opt.update(np, params, grads, state)
            return loss

        return (lambda: [np.asarray(p) for p in params]), step
    if key == "6":
        X, Y = data.x, data.y
        W, b = data.w_init.copy(), f32(0.0)
        n = X.shape[1]
        state = opt.init(np, [W, b])

        def step():
            nonlocal W, b, state
            z = W @ X + b
            loss = np.mean(np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z))))
            dz = (1 / (1 + np.exp(-z)) - Y) / n
            (W, b), state = opt.update(np, [W, b], [dz @ X.T, dz.sum()], state)
            return loss

        return (lambda: [W, np.asarray(b)]), step
    if key == "7":
        X, y = data.x, data.y
        w, b = np.zeros((X.shape[1], 1), f32), f32(0.0)
        n = X.shape[0]

        def step():
            nonlocal w, b
            err = X @ w + b - y
            loss = np.vdot(err, err) / n
            w = w - (lr * 2 / n) * (X.T @ err)
            b = b - (lr * 2 / n) * err.sum()
            return loss

        return (lambda: [w, np.asarray(b)]), step
    raise KeyError(key)


# ----- JAX and autograd: a loss function, value_and_grad, the update written out -----


def initial_params(key: str, data: Data) -> list[np.ndarray]:
    f32 = np.float32
    if key == "2":
        return [f32(10.0), f32(1.0)]
    if key in ("1", "3a", "3b"):
        return [f32(0.0), f32(0.0)]
    if key == "4":
        return [np.zeros((3, 1), f32)]
    if key == "5":
        return [f32(0.0)] * 4
    if key == "6":
        return [data.w_init.copy(), f32(0.0)]
    if key == "7":
        return [np.zeros((data.x.shape[1], 1), f32), f32(0.0)]
    raise KeyError(key)


def loss_function(key: str, xp: Any) -> Callable[..., Any]:
    """The workload's loss as ``loss(params, *arrays)`` in the array module ``xp``."""
    if key in ("1", "2"):
        return lambda p, x, y: xp.mean(xp.square(y - (p[0] * x + p[1])))
    if key in ("3a", "3b"):
        def lecture(p, x, y):
            err = p[0] * x + p[1] - y
            return xp.sum(err * err) / (2 * x.shape[0])
        return lecture
    if key == "4":
        return lambda p, X, Y: xp.sum(xp.square(Y - xp.dot(X, p[0])))
    if key == "5":
        def equations(p):
            a, b, c, d = p
            return (a + b - 9) ** 2 + (c - d - 1) ** 2 + (a + c - 8) ** 2 + (b - d - 2) ** 2
        return equations
    if key == "6":
        def logistic(p, X, Y):
            z = xp.dot(p[0], X) + p[1]
            return xp.mean(xp.maximum(z, 0) - z * Y + xp.log1p(xp.exp(-xp.abs(z))))
        return logistic
    if key == "7":
        return lambda p, X, y: xp.mean(xp.square(xp.dot(X, p[0]) + p[1] - y))
    raise KeyError(key)


def data_arrays(key: str, data: Data) -> tuple[Any, ...]:
    """The arrays a functional step takes besides the parameters (workload 2: its batch)."""
    if key in ("2", "5"):
        return ()
    return (data.x, data.y)


def jax_tree_map(fn: Callable, tree: Any) -> Any:
    import jax
    return jax.tree_util.tree_map(fn, tree)


def functional_program(key: str, data: Data, xp: Any, value_and_grad: Callable,
                       to_array: Callable, jit: Callable | None = None) -> Program:
    """A pure step ``(params, state, *arrays) -> (params, state, loss)``, optionally jitted."""
    lr = LEARNING_RATES[key]
    opt = make_optimizer(key)
    grad_fn = value_and_grad(loss_function(key, xp))

    def pure_step(params, state, *arrays):
        loss, grads = grad_fn(params, *arrays)
        if opt is None:
            params = [p - lr * g for p, g in zip(params, grads)]
        else:
            params, state = opt.update(xp, params, grads, state)
        return params, state, loss

    if jit is not None:
        pure_step = jit(pure_step)
    params = [to_array(p) for p in initial_params(key, data)]
    state = opt.init(xp, params) if opt else ()
    if jit is not None:  # the step counter and schedule as arrays, so the first call's trace holds
        state = jax_tree_map(to_array, state)
    carry = [params, state]
    arrays = tuple(to_array(a) for a in data_arrays(key, data))

    def step(*batch):
        carry[0], carry[1], loss = pure_step(carry[0], carry[1], *(batch or arrays))
        return loss

    return (lambda: [np.asarray(p) for p in carry[0]]), step


def jax_program(jax: Any, key: str, data: Data, jitted: bool) -> Program:
    import jax.numpy as jnp
    return functional_program(key, data, jnp, jax.value_and_grad, jnp.asarray,
                              jax.jit if jitted else None)


def autograd_program(autograd: Any, key: str, data: Data) -> Program:
    import autograd.numpy as anp

    # autograd's gradients are NumPy arrays: the update runs in plain NumPy
    return functional_program(key, data, anp, autograd.value_and_grad, np.asarray)


# ----- PyTorch eager -----


def torch_program(torch: Any, key: str, data: Data) -> Program:
    """Natural PyTorch: tensors with requires_grad, ``backward``, ``torch.optim``."""
    lr = LEARNING_RATES[key]
    params = [torch.tensor(p, requires_grad=True) for p in initial_params(key, data)]
    arrays = tuple(torch.from_numpy(a) for a in data_arrays(key, data))
    kind = OPTIMIZER.get(key)
    # eps=1e-7 as Keras; momentum_decay=1 gives Keras's Nadam schedule β1(1 − ½·0.96ᵗ)
    opt = (torch.optim.Adam(params, lr=lr, eps=1e-7) if kind == "adam" else
           torch.optim.NAdam(params, lr=lr, eps=1e-7, momentum_decay=1.0) if kind == "nadam"
           else None)
    F = torch.nn.functional

    def loss_fn(*t):
        p = params
        if key in ("1", "2"):
            x, y = t
            return ((y - (p[0] * x + p[1])) ** 2).mean()
        if key in ("3a", "3b"):
            x, y = t
            err = p[0] * x + p[1] - y
            return (err * err).sum() / (2 * x.shape[0])
        if key == "4":
            X, Y = t
            return ((Y - X @ p[0]) ** 2).sum()
        if key == "5":
            a, b, c, d = p
            return (a + b - 9) ** 2 + (c - d - 1) ** 2 + (a + c - 8) ** 2 + (b - d - 2) ** 2
        if key == "6":
            X, Y = t
            return F.binary_cross_entropy_with_logits(p[0] @ X + p[1], Y)
        X, y = t
        return ((X @ p[0] + p[1] - y) ** 2).mean()

    if key == "2":  # the persistent tape's two gradient calls
        w, b = params

        def step(x, y):
            loss = loss_fn(torch.from_numpy(x), torch.from_numpy(y))
            dw, = torch.autograd.grad(loss, w, retain_graph=True)
            db, = torch.autograd.grad(loss, b)
            with torch.no_grad():
                w.sub_(lr * dw)
                b.sub_(lr * db)
            return loss.detach()
    elif opt is None:
        def step():
            loss = loss_fn(*arrays)
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad = None
            return loss.detach()
    else:
        def step():
            opt.zero_grad()
            loss = loss_fn(*arrays)
            loss.backward()
            opt.step()
            return loss.detach()

    return (lambda: [p.detach().numpy().copy() for p in params]), step


# ----- Dispatch -----


def build(peer: str, module: Any, key: str, data: Data) -> Program:
    """The program of ``peer`` (a name from ``PEERS``) for workload ``key``."""
    if peer == "numpy":
        return numpy_program(key, data)
    if peer in ("tapegrad", "tensorflow"):
        return tf_style(module, key, data, compiled=False)
    if peer in ("tapegrad.function", "tf.function"):
        return tf_style(module, key, data, compiled=True)
    if peer == "torch":
        return torch_program(module, key, data)
    if peer in ("jax", "jax.jit"):
        return jax_program(module, key, data, jitted=peer == "jax.jit")
    if peer == "autograd":
        return autograd_program(module, key, data)
    raise KeyError(peer)
