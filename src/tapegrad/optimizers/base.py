"""The optimizer base class: Keras 3's ``Optimizer`` on NumPy.

One ``apply_gradients`` call is one primitive, ``ApplyGradients``: its kernel gets the gradients'
values and does the whole step (loss-scale, clipping, the learning rate of this iteration, weight
decay, the update of every variable and slot, moving averages, the iteration count). The update
math runs on raw NumPy values in the variables' own dtype, with Keras's order of operations, so a
float32 problem stays float32 and matches Keras to the last bit or two. Everything that cannot
change between steps (slots, per-dtype constants, which variables decay) is worked out once, when
the optimizer is built for its variables on the first call.

>>> import tapegrad as tf
>>> w = tf.Variable([1.0, 2.0])
>>> opt = tf.optimizers.SGD(learning_rate=0.1)
>>> with tf.GradientTape() as tape:
...     loss = tf.reduce_sum(w * w)
>>> opt.apply_gradients(zip([tape.gradient(loss, w)], [w]))  # returns the step count
<tapegrad.Variable '...iteration:0' shape=() dtype=int64, numpy=1>
>>> w.numpy().tolist()
[0.800000011920929, 1.600000023841858]
"""

from __future__ import annotations

import collections
import numbers
import os
import re
import sys
import warnings
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..errors import InvalidArgumentError
from ..tape import GradientTape, Primitive, apply
from ..tensor import Tensor, Variable, _scalar_or_array, base_variable, to_numpy, wrap
from . import schedules

# ----- names: Keras's snake-case auto-names with _1-style suffixes -----

_name_counts: collections.defaultdict[str, int] = collections.defaultdict(int)


def _snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(class_name: str) -> str:
    """``RMSprop`` -> ``rm_sprop``, then ``rm_sprop_1``, ... as Keras names its objects."""
    base = _snake_case(class_name)
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


_HERE = os.path.dirname(os.path.abspath(__file__))


def _stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) \
            == _HERE:
        frame, level = frame.f_back, level + 1
    return level


# ----- the one primitive an optimizer step is -----

def _apply_gradients_kernel(*values: Any) -> np.int64:
    """``(*gradient values, optimizer, variables)`` -> the new iteration count."""
    return values[-2]._apply(values[:-2], values[-1])


APPLY_GRADIENTS = Primitive("ApplyGradients", _apply_gradients_kernel, pure=False)


def keras_cast(f: Callable[[Any], Any], value: Any) -> Any:
    """Keras's ``ops.cast(value, dtype)`` of a Python float: through float32, then ``f``.

    Keras turns a Python float into a float32 tensor before casting it, so a float64 variable
    sees ``float64(float32(0.9))``; a Python float used directly in an op stays exact.
    """
    return f(np.float32(value)) if type(value) is float else f(value)


def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> Any:
    return _scalar_or_array(np.zeros(shape, dtype))


class Optimizer:
    """The base of every optimizer, as ``tf.keras.optimizers.Optimizer`` (Keras 3).

    A subclass makes its slot variables in ``build`` and gives the update of one variable,
    either the fast way (``_step_constants`` and ``_update`` on NumPy values, as the built-in
    optimizers do) or Keras's way: ``update_step(gradient, variable, learning_rate)`` written
    with tapegrad ops and ``self.assign``/``assign_add``/``assign_sub``.

    Every optimizer takes, besides its own arguments, Keras's common keyword arguments, handled
    here: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (at most one of the
    three), ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
    ``gradient_accumulation_steps`` and ``name``.

    >>> import tapegrad as tf
    >>> class HalfStep(tf.keras.optimizers.Optimizer):
    ...     def __init__(self, learning_rate=0.5, **kwargs):
    ...         super().__init__(learning_rate=learning_rate, **kwargs)
    ...     def update_step(self, gradient, variable, learning_rate):
    ...         self.assign_sub(variable, gradient * learning_rate)
    >>> x = tf.Variable(4.0)
    >>> _ = HalfStep().apply_gradients([(tf.constant(2.0), x)])
    >>> float(x)
    3.0
    """

    def __init__(self, learning_rate: Any, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self._constant_cache: dict[np.dtype, Any] = {}  # hyperparameters in each dtype
        self._buffers: dict[Any, tuple[np.ndarray, np.ndarray]] = {}  # see `_scratch`
        if "lr" in kwargs:
            # Keras 3 refuses `lr`; the TensorFlow 2.x tutorials use it, so we take it and warn.
            learning_rate = kwargs.pop("lr")
            warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.",
                          DeprecationWarning, stacklevel=_stacklevel())
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=_stacklevel())
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError("`ema_momentum` must be in the range [0, 1]. Received: "
                                 f"ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.name = _auto_name(type(self).__name__) if name is None else name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}  # id(variable) -> its position in the build list
        self._slots: list[tuple[Variable, ...]] = []  # per variable: what `_update` needs
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern[str] | None = None
        self._iterations = Variable(np.int64(0), trainable=False, name=f"{self.name}/iteration")
        self._variables.append(self._iterations)
        self._learning_rate: Any = None
        self._set_learning_rate(learning_rate)

    # ----- learning rate and iterations -----

    def _set_learning_rate(self, learning_rate: Any) -> None:
        old = self._learning_rate
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            if isinstance(old, Variable):  # by identity: `==` on tensors compares values
                self._variables = [v for v in self._variables if v is not old]
            return
        if isinstance(learning_rate, Variable):
            # Keras 3 refuses a Variable; TensorFlow 2.x took one, and assigning it later set the
            # rate. We keep it, as the optimizer's learning rate variable.
            learning_rate = base_variable(learning_rate)
            if isinstance(old, Variable):
                self._variables = [learning_rate if v is old else v for v in self._variables]
            else:
                self._variables.insert(1, learning_rate)
            self._learning_rate = learning_rate
            return
        if isinstance(old, schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        # Keras takes only a Python float here; we take any real number (an int, a NumPy or
        # tapegrad scalar) as the float it stands for.
        if isinstance(learning_rate, Tensor):
            learning_rate = learning_rate._value
        if isinstance(learning_rate, (bool, np.bool_)) or not isinstance(
                learning_rate, numbers.Real) and not (
                isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0
                and learning_rate.dtype.kind in "iuf"):
            raise ValueError("Argument `learning_rate` should be float, or an instance of "
                             "LearningRateSchedule, or a callable (that takes in the current "
                             "iteration value and returns the corresponding learning rate "
                             f"value). Received instead: learning_rate={learning_rate!r}")
        if isinstance(old, Variable):
            old.assign(float(learning_rate))
        else:  # the first time, or after a callable
            self._learning_rate = Variable(np.float32(learning_rate), trainable=False,
                                           name=f"{self.name}/learning_rate")
            self._variables.insert(1, self._learning_rate)

    @property
    def learning_rate(self) -> Any:
        """The learning rate: its float32 Variable, or the schedule's or callable's value now."""
        return self._current_learning_rate(as_tensor=True)

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        self._set_learning_rate(learning_rate)

    @property
    def lr(self) -> Any:
        """Deprecated alias of ``learning_rate`` (TensorFlow 2.x's name; Keras 3 has none)."""
        warnings.warn("`lr` is deprecated, use `learning_rate` instead.", DeprecationWarning,
                      stacklevel=2)
        return self.learning_rate

    @lr.setter
    def lr(self, learning_rate: Any) -> None:
        warnings.warn("`lr` is deprecated, use `learning_rate` instead.", DeprecationWarning,
                      stacklevel=2)
        self._set_learning_rate(learning_rate)

    def _current_learning_rate(self, as_tensor: bool = False) -> Any:
        """The learning rate of this iteration: a NumPy scalar, or a Tensor with ``as_tensor``."""
        lr = self._learning_rate
        if type(lr) is Variable:
            return lr if as_tensor else lr._value
        value = lr(self._iterations) if isinstance(lr, schedules.LearningRateSchedule) else lr()
        if as_tensor:
            return value
        if isinstance(value, Tensor):
            return value._value
        return value if isinstance(value, (np.generic, np.ndarray)) else np.float32(value)

    @property
    def iterations(self) -> Any:
        """The number of steps taken: an int64 Variable (steps // accumulation steps if set)."""
        if self.gradient_accumulation_steps:
            return wrap(self._iterations._value // np.int64(self.gradient_accumulation_steps))
        return self._iterations

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state: iterations, the learning rate variable, then every slot.

        Assigning saved values to these (``set_weights``) resumes training exactly.
        """
        return self._variables[:]

    # ----- building: slots and everything else fixed for the run -----

    def build(self, variables: Sequence[Variable]) -> None:
        """Make the state for ``variables``: moving averages, accumulators and the slots."""
        variables = list(variables)
        for v in variables:
            _check_variable(v)
        self._trainable_variables = variables[:]
        self._index = {id(v): i for i, v in enumerate(variables)}
        if self.use_ema:
            self._averages = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(variables,
                                                                       "gradient_accumulator")
        self._slots = [() for _ in variables]
        self._decays = [self._use_weight_decay(v) for v in variables]
        self._clip = self._clipper()
        self._fast_update = type(self)._update is not Optimizer._update
        self.built = True

    def add_variable(self, shape: Sequence[int], initializer: Any = "zeros",
                     dtype: Any = None, aggregation: str = "none", layout: Any = None,
                     name: str | None = None) -> Variable:
        """A new state variable of this optimizer, listed in ``variables``.

        ``initializer`` is ``"zeros"``, ``"ones"``, a number, or a callable ``f(shape, dtype)``.
        """
        np_dtype = np.dtype(np.float32 if dtype is None else getattr(dtype, "_np", dtype))
        shape = tuple(int(d) for d in shape)
        if callable(initializer):
            value = to_numpy(initializer(shape, np_dtype), None).astype(np_dtype)
        else:
            fill = {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
            if isinstance(fill, str):
                raise ValueError(f"Unknown initializer {initializer!r}: use 'zeros', 'ones', a "
                                 "number or a callable.")
            value = np.full(shape, keras_cast(np_dtype.type, fill), np_dtype)
        variable = Variable(_scalar_or_array(value), trainable=False,
                            name=f"{self.name}/{name or 'variable'}")
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer: Any = "zeros") -> Variable:
        """A state variable shaped like ``reference_variable``, named after it."""
        ref = reference_variable.name.replace("/", "_").replace(":", "_")
        return self.add_variable(reference_variable.shape, initializer,
                                 reference_variable._value.dtype, name=f"{ref}_{name or 'var'}")

    def add_optimizer_variables(self, trainable_variables: Sequence[Variable], name: Any,
                                initializer: Any = "zeros") -> Any:
        """One state variable per trainable variable for each name, interleaved as in Keras.

        With a list of names, returns a tuple of lists, one list per name.
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = [initializer] * len(names) if isinstance(initializer, (str, numbers.Number)) \
            or callable(initializer) else list(initializer)
        if len(inits) != len(names):
            raise ValueError(f"The number of provided names must match the number of provided "
                             f"initializers.  Received name='{name}', "
                             f"initializer='{initializer}'")
        made: tuple[list[Variable], ...] = tuple([] for _ in names)
        for v in trainable_variables:
            for k, (slot, init) in enumerate(zip(names, inits)):
                made[k].append(self.add_variable_from_reference(v, slot, init))
        return made[0] if isinstance(name, str) else made

    def exclude_from_weight_decay(self, var_list: Sequence[Variable] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Spare these variables (or those whose name contains one of ``var_names``) the decay.

        Call it before the first step.
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        return self._exclude_pattern is None or \
            self._exclude_pattern.search(variable.name) is None

    def _get_variable_index(self, variable: Variable) -> int:
        return self._index[id(variable)]

    # ----- applying gradients -----

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Variable:
        """One optimisation step from ``(gradient, variable)`` pairs; returns ``iterations``.

        Pairs whose gradient is None are skipped with a warning naming their variables. The
        first call builds the optimizer for its variables; later calls may pass only those.

        >>> import tapegrad as tf
        >>> x = tf.Variable(2.0)
        >>> opt = tf.optimizers.Adam(learning_rate=0.1)
        >>> int(opt.apply_gradients([(tf.constant(4.0), x)])), round(float(x), 4)
        (1, 1.9)
        """
        pairs = list(grads_and_vars)
        if not self.built:
            self.build([base_variable(v) if isinstance(v, Variable) else v for _, v in pairs])
        index = self._index
        grads: list[Tensor] = []
        variables: list[Variable] = []
        missing = None
        for g, v in pairs:
            if type(v) is not Variable:  # a view (what `assign` returns) or not a variable
                _check_variable(v)
                v = base_variable(v)
            if id(v) not in index:
                raise ValueError(f"Unknown variable: {v!r}. This optimizer can only be called "
                                 "for the variables it was originally built with. When working "
                                 "with a new set of variables, you should recreate a new "
                                 "optimizer instance.")
            if g is None:
                missing = [] if missing is None else missing
                missing.append(v.name)
                continue
            if not isinstance(g, Tensor):  # a Python or NumPy value: the variable's dtype
                g = wrap(to_numpy(g, v.dtype))
            if g._value.shape != v._value.shape:
                raise InvalidArgumentError(
                    None, None, f"Cannot update variable '{v.name}' with shape "
                    f"{list(v._value.shape)} using a gradient with shape "
                    f"{list(g._value.shape)}, shapes must be equal.")
            grads.append(g)
            variables.append(v)
        if not grads:
            raise ValueError("No gradients provided for any variable.")
        if missing is not None:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?", stacklevel=_stacklevel())
        apply(APPLY_GRADIENTS, tuple(grads), (self, tuple(variables)))
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None
              ) -> None:
        """``apply_gradients`` from separate lists; without variables, those it was built for."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the "
                                 f"gradients must match `optimizer.variables` one-to-one. "
                                 f"Received a list of {len(grads)} gradients, but the optimizer "
                                 f"is tracking {len(self._trainable_variables)} trainable "
                                 "variables.")
            trainable_variables = self._trainable_variables
        self.apply_gradients(zip(grads, trainable_variables))

    def minimize(self, loss: Any, var_list: Any, tape: GradientTape | None = None) -> Variable:
        """Compute the gradients of ``loss`` for ``var_list`` and apply them (TF 2.x's way).

        ``loss`` is a zero-argument callable, run on a GradientTape here; or a tensor computed
        under ``tape``. ``var_list`` may be a callable returning the variables. Keras 3 has no
        ``minimize``; tutorials written for TensorFlow 2.x use it.

        >>> import tapegrad as tf
        >>> x = tf.Variable(3.0)
        >>> opt = tf.optimizers.SGD(learning_rate=0.1)
        >>> _ = opt.minimize(lambda: (x - 1.0) ** 2, [x])
        >>> round(float(x), 4)
        2.6
        """
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        if callable(loss):
            with GradientTape() as tape:
                tape.watch(var_list)
                value = loss()
        elif tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed. Received: "
                             f"loss={loss!r}, tape=None.")
        else:
            value = loss
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    # ----- the kernel: one whole step on NumPy values -----

    def _apply(self, grads: tuple[Any, ...], variables: tuple[Variable, ...]) -> np.int64:
        """The step itself (the ApplyGradients kernel); returns the new iteration count."""
        iterations = self._iterations
        before = iterations._value
        count = int(before)
        lr = self._current_learning_rate()
        if self.loss_scale_factor is not None:
            scale = self.loss_scale_factor
            grads = tuple([g / g.dtype.type(scale) for g in grads])
        steps = self.gradient_accumulation_steps
        if steps:
            step = count // steps
            self._accumulate(grads, variables, count, step, lr)
        else:
            step = count
            self._update_all(grads, variables, step, lr)
        if self.use_ema:
            self._update_averages(step)
        iterations._value = after = before + np.int64(1)
        return after

    def _update_all(self, grads: Sequence[Any], variables: Sequence[Variable], step: int,
                    lr: Any) -> None:
        """Clip, decay and update every variable; ``step`` is ``iterations`` before the step."""
        if self._clip is not None:
            grads = self._clip(grads)
        index, slots = self._index, self._slots
        decays = self._decays if self.weight_decay is not None else None
        update = self._update if self._fast_update else None
        k_dtype = None
        for g, var in zip(grads, variables):
            i = index[id(var)]
            x = var._value
            dtype = x.dtype
            if dtype is not k_dtype:
                k_dtype = dtype
                lr_d = lr if lr.dtype is dtype else dtype.type(lr)
                k = self._step_constants(step, lr_d, dtype) if update is not None else None
                if decays is not None:
                    decay = keras_cast(dtype.type, self.weight_decay)
            if g.dtype is not dtype:
                g = g.astype(dtype)
            if decays is not None and decays[i]:
                x = x - x * decay * lr_d
            if update is not None:
                var._store(update(g, x, slots[i], k))
            else:  # a subclass written Keras's way, with ops
                if x is not var._value:
                    var._store(x)
                self.update_step(wrap(g), var, wrap(lr_d))

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name[0] != "_" and "_constant_cache" in self.__dict__:  # a hyperparameter changed
            self._constant_cache.clear()
            if self.__dict__.get("built"):
                self._clip = self._clipper()

    def _constants(self, dtype: np.dtype) -> Any:
        """``_dtype_constants`` for ``dtype``, worked out once (until a hyperparameter changes)."""
        k = self._constant_cache.get(dtype)
        if k is None:
            k = self._constant_cache[dtype] = self._dtype_constants(dtype.type)
        return k

    def _dtype_constants(self, f: Callable[[Any], Any]) -> Any:
        """The hyperparameters as scalars of one dtype (``f`` makes one), in Keras's casts."""
        return ()

    def _step_constants(self, step: int, lr: Any, dtype: np.dtype) -> Any:
        """Scalars shared by all variables of ``dtype`` at this step (in that dtype)."""
        return lr

    def _update(self, g: Any, x: Any, slots: tuple[Variable, ...], k: Any) -> Any:
        """The new value of a variable from its gradient ``g``, its value ``x`` and its slots.

        A subclass writes each slot's new value to ``slot._value`` (a new array, never in
        place); ``k`` is what ``_step_constants`` returned for this dtype and step.
        """
        raise NotImplementedError

    def _scratch(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two arrays like ``x`` for an update's intermediate results (NumPy's ``out=``).

        Kept from step to step, so small updates skip most allocations; never stored in a
        variable, so no tensor ever sees them change. New values are always new arrays.
        """
        key = (x.shape, x.dtype)
        buffers = self._buffers.get(key)
        if buffers is None:
            buffers = self._buffers[key] = (np.empty_like(x), np.empty_like(x))
        return buffers

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor) -> None:
        """Keras's per-variable update, for subclasses that do not define ``_update``."""
        raise NotImplementedError(f"{type(self).__name__} must define `update_step` (or "
                                  "`_update`).")

    def _accumulate(self, grads: Sequence[Any], variables: Sequence[Variable], count: int,
                    step: int, lr: Any) -> None:
        """Gradient accumulation: add up, and every ``steps``-th call update with the mean."""
        steps = self.gradient_accumulation_steps
        index, accumulators = self._index, self._accumulated_gradients
        sums = []
        for g, var in zip(grads, variables):
            acc = accumulators[index[id(var)]]
            g = g.astype(acc._value.dtype, copy=False)
            sums.append(g + acc._value)
        if (count + 1) % steps:
            for total, var in zip(sums, variables):
                accumulators[index[id(var)]]._value = total
            return
        self._update_all([total / steps for total in sums], variables, step, lr)
        for acc in accumulators:
            acc._value = _zeros(acc._value.shape, acc._value.dtype)

    def _update_averages(self, step: int) -> None:
        # inside the kernel: every write goes through _write, which the trace compiler ignores
        """The moving averages of all variables (``use_ema``), and their periodic overwrite."""
        for var, average in zip(self._trainable_variables, self._averages):
            x = var._value
            dtype = x.dtype
            momentum = dtype.type(step != 0) * dtype.type(self.ema_momentum)
            average._value = momentum * average._value + (dtype.type(1) - momentum) * x
        frequency = self.ema_overwrite_frequency
        if frequency and (step + 1) % frequency == 0:
            self._overwrite_with_averages(self._trainable_variables)

    def _overwrite_with_averages(self, var_list: Sequence[Variable]) -> None:
        if len(var_list) != len(self._averages):
            raise ValueError(f"The length of model variables ({len(var_list)}) to override "
                             "does not match the length of model variables stored in the "
                             f"optimizer ({len(self._averages)}). Please check if the optimizer "
                             "was called on your model.")
        for var, average in zip(var_list, self._averages):
            _write(var, average._value)

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """With ``use_ema``, give the variables their moving averages (end of training)."""
        if self.use_ema:
            for var, average in zip(var_list, self._averages):
                var.assign(wrap(average._value), read_value=False)

    # ----- gradient clipping (inside the kernel) -----

    def _clipper(self) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
        if self.clipnorm and self.clipnorm > 0:
            return self._clip_each_norm
        if self.global_clipnorm and self.global_clipnorm > 0:
            return self._clip_global_norm
        if self.clipvalue and self.clipvalue > 0:
            return self._clip_values
        return None

    def _clip_each_norm(self, grads: Sequence[Any]) -> list[Any]:
        # tf.clip_by_norm: g * c / max(||g||, c), in g's dtype
        clipped = []
        for g in grads:
            c = g.dtype.type(self.clipnorm)
            clipped.append(g * c / np.maximum(np.sqrt(np.sum(g * g)), c))
        return clipped

    def _clip_global_norm(self, grads: Sequence[Any]) -> list[Any]:
        # Keras: scale = c * min(1 / norm, 1 / c) + (norm - norm): NaN for a non-finite norm
        total = sum(np.sum(g * g) for g in grads)  # the widest dtype of the gradients
        norm = np.sqrt(total)
        c = self.global_clipnorm
        with np.errstate(divide="ignore"):
            scale = norm.dtype.type(c) * np.minimum(norm.dtype.type(1) / norm,
                                                    norm.dtype.type(1 / c)) + (norm - norm)
        return [g * g.dtype.type(scale) for g in grads]

    def _clip_values(self, grads: Sequence[Any]) -> list[Any]:
        c = self.clipvalue
        return [np.clip(g, g.dtype.type(-c), g.dtype.type(c)) for g in grads]

    # ----- Keras's assign helpers, for update_step (they run inside the kernel) -----

    def assign(self, variable: Variable, value: Any) -> None:
        """Set ``variable`` to ``value`` (cast to its dtype)."""
        _write(variable, _as_dtype(value, variable))

    def assign_add(self, variable: Variable, value: Any) -> None:
        """Add ``value`` (cast to the variable's dtype) to ``variable``."""
        _write(variable, variable._value + _as_dtype(value, variable))

    def assign_sub(self, variable: Variable, value: Any) -> None:
        """Subtract ``value`` (cast to the variable's dtype) from ``variable``."""
        _write(variable, variable._value - _as_dtype(value, variable))

    # ----- state and configuration -----

    def scale_loss(self, loss: Any) -> Any:
        """``loss * loss_scale_factor`` when one is set (the gradients are divided back)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def get_weights(self) -> list[Any]:
        """The values of ``variables``, as NumPy values."""
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Give ``variables`` these values (from ``get_weights`` of an optimizer like this)."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` to "
                             "create the optimizer weights before calling `set_weights()`.")
        if len(weights) != len(self._variables):
            raise ValueError(f"The optimizer has {len(self._variables)} variables, but "
                             f"{len(weights)} weights were given.")
        for variable, weight in zip(self._variables, weights):
            if np.shape(weight) != variable._value.shape:
                raise ValueError(f"Optimizer variable {variable.name} has shape "
                                 f"{variable.shape} not compatible with provided weight shape "
                                 f"{np.shape(weight)}.")
            variable.assign(weight)

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Write the state into ``store`` under the keys "0", "1", ... (Keras's format)."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: dict[str, Any]) -> None:
        """Read the state written by ``save_own_variables`` (build the optimizer first)."""
        if len(store) != len(self._variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it "
                          f"has {len(self._variables)} variables whereas the saved optimizer "
                          f"has {len(store)} variables. " + (
                              "This is likely because the optimizer has not been called/built "
                              "yet." if not self.built else ""), stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, enough for ``from_config`` to make a fresh copy."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            learning_rate: Any = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr._value)
        else:  # Keras serialises the callable's code; we keep the callable itself
            learning_rate = lr
        return {"name": self.name, "learning_rate": learning_rate,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                    ) -> Optimizer:
        """An optimizer like the one ``get_config`` described (without its state).

        >>> import tapegrad as tf
        >>> opt = tf.optimizers.Adam(learning_rate=0.01, amsgrad=True)
        >>> copy = tf.optimizers.Adam.from_config(opt.get_config())
        >>> copy.amsgrad, float(copy.learning_rate)
        (True, 0.009999999776482582)
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)


def _check_variable(v: Any) -> None:
    if not isinstance(v, Variable):
        raise TypeError(f"An optimizer updates tapegrad.Variable objects; got {v!r} of type "
                        f"{type(v).__name__}. Make the parameter a tapegrad.Variable.")


def _write(variable: Variable, value: Any) -> None:
    """A write from inside the ApplyGradients kernel: the trace compiler replays the kernel, so
    the write must not be seen as a separate step (``Variable._store``, not ``assign``)."""
    if np.shape(value) != variable._value.shape:
        raise ValueError(f"Cannot update variable {variable.name} with shape "
                         f"{list(variable._value.shape)} using a value with shape "
                         f"{list(np.shape(value))}, shapes must be equal.")
    variable._store(value)


def _as_dtype(value: Any, variable: Variable) -> Any:
    value = value._value if isinstance(value, Tensor) else np.asarray(value)
    dtype = variable._value.dtype
    return value if value.dtype == dtype else value.astype(dtype)


__all__ = ["Optimizer", "APPLY_GRADIENTS", "keras_cast"]
