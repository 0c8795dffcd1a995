"""The Adam family: ``Adam`` (with AMSGrad), ``AdamW``, ``Adamax`` and ``Nadam``, as in Keras 3.

Each update is Keras's, operation for operation, in the variable's dtype: for example Adam's
``epsilon`` is added to ``sqrt(v)`` outside the bias correction (Kingma and Ba's "epsilon hat").
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Variable
from .base import Optimizer, keras_cast

# ufuncs called with an output array: ``_mul(a, b, out)`` is ``a * b`` written into ``out``
_add, _sub, _mul, _div = np.add, np.subtract, np.multiply, np.true_divide


class _Moments(Optimizer):
    """The arguments the Adam family shares: the two moments' decay rates and epsilon."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


class Adam(_Moments):
    """Adam: moving averages of the gradient and its square, with bias correction.

    ``m += (g - m)(1 - beta_1)``, ``v += (g² - v)(1 - beta_2)``,
    ``w -= lr·√(1 - beta_2ᵗ)/(1 - beta_1ᵗ) · m / (√v + epsilon)``; with ``amsgrad`` the
    running maximum of ``v`` replaces ``v``.

    >>> import tapegrad as tf
    >>> x = tf.Variable([1.0, -1.0])
    >>> opt = tf.optimizers.Adam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([3.0, -0.5]), x)])
    >>> [round(float(v), 4) for v in x.numpy()]
    [0.9, -0.9]
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = amsgrad

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the momentum and velocity slots (and velocity_hat with ``amsgrad``)."""
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        self._slots = list(zip(self._momentums, self._velocities))
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")
            self._slots = [s + (h,) for s, h in zip(self._slots, self._velocity_hats)]

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        # Keras casts beta_1, beta_2 for the powers and takes (1 - beta) in Python floats
        return keras_cast(f, self.beta_1), keras_cast(f, self.beta_2), f(1 - self.beta_1), \
            f(1 - self.beta_2), f(self.epsilon), f(0)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, epsilon, zero = \
            self._constants(dtype)
        t = zero + (step + 1)  # the step in the dtype (cheaper than dtype.type(step + 1))
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return alpha, one_minus_beta_1, one_minus_beta_2, epsilon

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        alpha, one_minus_beta_1, one_minus_beta_2, epsilon = k
        m, v = slots[0], slots[1]
        if type(x) is not np.ndarray:  # NumPy scalars: their arithmetic is the fastest
            m._value = m1 = m._value + (g - m._value) * one_minus_beta_1
            v._value = v1 = v._value + (g * g - v._value) * one_minus_beta_2
            if self.amsgrad:
                v_hat = slots[2]
                v_hat._value = v1 = np.maximum(v_hat._value, v1)
            return x - m1 * alpha / (np.sqrt(v1) + epsilon)
        # The same operations in the same order, the intermediates written into scratch arrays
        # and the scalars as 0-d arrays (which ufuncs take faster than NumPy scalars)
        a, b = self._scratch(x)
        alpha, one_minus_beta_1, one_minus_beta_2, epsilon = map(np.asarray, k)
        m._value = m1 = m._value + _mul(_sub(g, m._value, a), one_minus_beta_1, a)
        v._value = v1 = v._value + _mul(_sub(_mul(g, g, a), v._value, a), one_minus_beta_2, a)
        if self.amsgrad:
            v_hat = slots[2]
            v_hat._value = v1 = np.maximum(v_hat._value, v1)
        return x - _div(_mul(m1, alpha, a), _add(np.sqrt(v1, b), epsilon, b), a)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay: each step first does ``w -= w·weight_decay·lr``.

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> _ = opt.apply_gradients([(tf.constant(0.0), x)])
    >>> round(float(x), 4)
    0.95
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")


class Adamax(_Moments):
    """Adamax: Adam with the infinity norm, ``u = max(beta_2·u, |g|)``.

    ``w -= lr·m / ((1 - beta_1ᵗ)(u + epsilon))``.

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.Adamax(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant(2.0), x)])
    >>> round(float(x), 4)
    0.9
    """

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the momentum and norm slots."""
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])
        self._slots = list(zip(self._m, self._u))

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        return keras_cast(f, self.beta_1), f(1 - self.beta_1), f(self.beta_2), f(self.epsilon), \
            f(0)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        beta_1, one_minus_beta_1, beta_2, epsilon, zero = self._constants(dtype)
        return lr, one_minus_beta_1, beta_2, epsilon, 1 - beta_1 ** (zero + (step + 1))

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        lr, one_minus_beta_1, beta_2, epsilon, correction = k
        m, u = slots
        m._value = m1 = m._value + (g - m._value) * one_minus_beta_1
        u._value = u1 = np.maximum(beta_2 * u._value, np.abs(g))
        return x - lr * m1 / (correction * (u1 + epsilon))



class Nadam(_Moments):
    """Nadam: Adam with Nesterov momentum (Dozat's momentum schedule ``β1(1 - ½·0.96ᵗ)``).

    >>> import tapegrad as tf
    >>> x = tf.Variable(1.0)
    >>> opt = tf.optimizers.Nadam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant(2.0), x)])
    >>> round(float(x), 4)
    0.8937
    """

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the momentum and velocity slots, and the running product of momenta."""
        if self.built:
            return
        variables = list(variables)
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        self._slots = list(zip(self._momentums, self._velocities))
        dtype = variables[0]._value.dtype if variables else np.dtype(np.float32)
        self._u_product = self.add_variable((), "ones", dtype, name="variable")

    def _update_all(self, grads: Sequence[Any], variables: Sequence[Variable], step: int,
                    lr: Any) -> None:
        # u_product *= beta_1 * (1 - 0.5 * 0.96^t), with Keras's (uncast) Python floats
        u_product = self._u_product
        value = u_product._value
        beta_1, decay, half, zero = self._constants(value.dtype)[1]
        u_product._value = value * beta_1 * (1 - half * decay ** (zero + (step + 1)))
        super()._update_all(grads, variables, step, lr)

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        beta_1, beta_2, zero = keras_cast(f, self.beta_1), keras_cast(f, self.beta_2), f(0)
        # The update casts beta_1, beta_2 and 0.96 (Keras's ops.cast) and takes (1 - beta) of
        # the cast values; the u_product update multiplies by the Python floats themselves.
        update = (beta_1, beta_2, 1 - beta_1, 1 - beta_2, keras_cast(f, 0.96), f(0.5),
                  f(self.epsilon), zero)
        return update, (f(self.beta_1), f(0.96), f(0.5), zero)

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, decay, half, epsilon, zero = \
            self._constants(dtype)[0]
        t, t_next = zero + (step + 1), zero + (step + 2)
        u_t = beta_1 * (1 - half * decay ** t)
        u_next = beta_1 * (1 - half * decay ** t_next)
        u_product = self._u_product._value
        if u_product.dtype is not dtype:
            u_product = dtype.type(u_product)
        return (lr, one_minus_beta_1, one_minus_beta_2, epsilon, u_next,
                1 - u_product * u_next, 1 - u_t, 1 - u_product, 1 - beta_2 ** t)

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        (lr, one_minus_beta_1, one_minus_beta_2, epsilon, u_next, m_denominator,
         g_weight, g_denominator, v_denominator) = k
        m, v = slots
        if type(x) is not np.ndarray:  # NumPy scalars: their arithmetic is the fastest
            m._value = m1 = m._value + (g - m._value) * one_minus_beta_1
            v._value = v1 = v._value + (g * g - v._value) * one_minus_beta_2
            m_hat = u_next * m1 / m_denominator + g_weight * g / g_denominator
            return x - m_hat * lr / (np.sqrt(v1 / v_denominator) + epsilon)
        # The same operations in the same order, the intermediates written into scratch arrays
        # and the scalars as 0-d arrays (which ufuncs take faster than NumPy scalars)
        a, b = self._scratch(x)
        (lr, one_minus_beta_1, one_minus_beta_2, epsilon, u_next, m_denominator,
         g_weight, g_denominator, v_denominator) = map(np.asarray, k)
        m._value = m1 = m._value + _mul(_sub(g, m._value, a), one_minus_beta_1, a)
        v._value = v1 = v._value + _mul(_sub(_mul(g, g, a), v._value, a), one_minus_beta_2, a)
        m_hat = _add(_div(_mul(u_next, m1, a), m_denominator, a),
                     _div(_mul(g_weight, g, b), g_denominator, b), a)
        denominator = _add(np.sqrt(_div(v1, v_denominator, b), b), epsilon, b)
        return x - _div(_mul(m_hat, lr, a), denominator, a)



__all__ = ["Adam", "AdamW", "Adamax", "Nadam"]
