"""``tf.data.Dataset`` for data held in memory: a pipeline of Python iterators over NumPy values.

Each dataset yields elements: a NumPy value, or a tuple or dict of them (lists become tensors,
as in TensorFlow). Iterating wraps them as tensors. Slices of ``from_tensor_slices`` are views of
one read-only copy of the data, so an epoch copies nothing but the batches it stacks.

Inside a ``tapegrad.function`` trace the elements come out of two ops with effects,
``MakeIterator`` and ``IteratorGetNext``, so every call of the traced function starts a fresh
pass (reshuffled where the dataset says so) and reads new elements; the number of elements it
takes is the number the trace took.

>>> import tapegrad as tf
>>> ds = tf.data.Dataset.from_tensor_slices(([1.0, 2.0, 3.0], [0, 1, 0])).batch(2)
>>> ds
<_BatchDataset element_spec=(TensorSpec(shape=(None,), dtype=tapegrad.float32, name=None), \
TensorSpec(shape=(None,), dtype=tapegrad.int32, name=None))>
>>> [x.numpy().tolist() for x, y in ds]
[[1.0, 2.0], [3.0]]
"""

from __future__ import annotations

import itertools
import operator
from typing import Any, Callable, Iterator

import numpy as np

from .. import tape
from ..errors import InvalidArgumentError, OutOfRangeError, invalid_argument
from ..function import TensorSpec
from ..tensor import Tensor, TensorShape, as_int, to_numpy, wrap

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2

# ----- element structures: tuples (named ones too) and dicts nest; everything else is a leaf -----


def _flat(structure: Any) -> list[Any]:
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure) for leaf in _flat(structure[k])]
    if isinstance(structure, tuple):
        return [leaf for item in structure for leaf in _flat(item)]
    return [structure]


def _pack(structure: Any, leaves: Iterator[Any]) -> Any:
    """``structure`` rebuilt from ``leaves`` (taken in ``_flat``'s order)."""
    if isinstance(structure, dict):
        packed = {k: _pack(structure[k], leaves) for k in sorted(structure)}
        return type(structure)((k, packed[k]) for k in structure)
    if isinstance(structure, tuple):
        items = [_pack(item, leaves) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    return next(leaves)


def _map(f: Callable[[Any], Any], structure: Any) -> Any:
    return _pack(structure, iter([f(leaf) for leaf in _flat(structure)]))


def _value(x: Any) -> Any:
    """A leaf as a NumPy value, by tensor conversion rules (pandas objects keep their dtype)."""
    if isinstance(x, Tensor):
        return x._value
    return to_numpy(x, None)


def _normalize(structure: Any) -> Any:
    return _map(_value, structure)


def _tensors(values: Any) -> Any:
    return _map(wrap, values)


def _spec(value: Any) -> TensorSpec:
    return TensorSpec(np.shape(value), wrap(value).dtype)


def _check_structures(a: Any, b: Any, what: str) -> None:
    if _pack(a, iter([0] * len(_flat(a)))) != _pack(b, iter([0] * len(_flat(b)))):
        raise TypeError(f"{what}: the elements do not have the same structure: {a!r} and {b!r}")


# ----- the base class -----


class Dataset:
    """A sequence of elements, built from in-memory data and transformed lazily
    (``tf.data.Dataset``). Iterate it with ``for``; each element is a tensor or a tuple or dict
    of tensors.

    >>> import tapegrad as tf
    >>> ds = tf.data.Dataset.range(6).map(lambda x: x * 2).filter(lambda x: x > 2)
    >>> list(ds.as_numpy_iterator())
    [np.int64(4), np.int64(6), np.int64(8), np.int64(10)]
    """

    _spec_cache: Any = None

    # -- what subclasses give --
    def _values(self) -> Iterator[Any]:
        """One pass over the elements, as structures of NumPy values."""
        raise NotImplementedError

    def _cardinality(self) -> int:
        raise NotImplementedError

    def _element_spec(self) -> Any:
        raise NotImplementedError

    # -- sources --
    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> Dataset:
        """The slices of ``tensors`` along their first dimension: one element per row.

        ``tensors`` is a tensor, array, list, pandas object, or a tuple or dict of them, all with
        the same length.

        >>> import tapegrad as tf
        >>> list(tf.data.Dataset.from_tensor_slices({"a": [1, 2]}).as_numpy_iterator())
        [{'a': np.int32(1)}, {'a': np.int32(2)}]
        """
        return _TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> Dataset:
        """A dataset of one element: ``tensors`` itself.

        >>> import tapegrad as tf
        >>> tf.data.Dataset.from_tensors([1, 2]).cardinality().numpy()
        np.int64(1)
        """
        return _TensorDataset(tensors)

    @staticmethod
    def range(*args: int, output_type: Any = "int64", name: str | None = None) -> Dataset:
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars, as Python's range.

        >>> import tapegrad as tf
        >>> list(tf.data.Dataset.range(1, 8, 3).as_numpy_iterator())
        [np.int64(1), np.int64(4), np.int64(7)]
        """
        return _RangeDataset(args, output_type)

    @staticmethod
    def zip(*args: Any, datasets: Any = None, name: str | None = None) -> Dataset:
        """Elements of several datasets side by side, in their structure; as long as the
        shortest.

        >>> import tapegrad as tf
        >>> a, b = tf.data.Dataset.range(3), tf.data.Dataset.range(10, 12)
        >>> [(int(x), int(y)) for x, y in tf.data.Dataset.zip(a, b)]
        [(0, 10), (1, 11)]
        """
        if datasets is not None and args:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        if datasets is None:
            datasets = args[0] if len(args) == 1 else tuple(args)
        return _ZipDataset(datasets)

    @staticmethod
    def from_generator(generator: Callable[..., Any], output_types: Any = None,
                       output_shapes: Any = None, args: Any = None,
                       output_signature: Any = None, name: str | None = None) -> Dataset:
        """The elements a Python generator function yields, each pass calling it anew.

        >>> import tapegrad as tf
        >>> def gen():
        ...     yield from ([1.0, 2.0], [3.0, 4.0])
        >>> ds = tf.data.Dataset.from_generator(
        ...     gen, output_signature=tf.TensorSpec(shape=(2,), dtype=tf.float32))
        >>> [x.numpy().tolist() for x in ds]
        [[1.0, 2.0], [3.0, 4.0]]
        """
        if output_signature is None:
            if output_types is None:
                raise TypeError("The `output_types` argument can not be None if "
                                "`output_signature` is not used.")
            shapes = output_shapes if output_shapes is not None else \
                _map(lambda _: None, output_types)
            output_signature = _pack(output_types, iter(
                [TensorSpec(s, t) for t, s in zip(_flat(output_types), _flat(shapes))]))
        return _GeneratorDataset(generator, () if args is None else tuple(args),
                                 output_signature)

    # -- transformations --
    def batch(self, batch_size: int, drop_remainder: bool = False,
              num_parallel_calls: int | None = None, deterministic: bool | None = None,
              name: str | None = None) -> Dataset:
        """Consecutive elements stacked into batches of ``batch_size`` (the last one shorter
        unless ``drop_remainder``)."""
        return _BatchDataset(self, batch_size, drop_remainder)

    def unbatch(self, name: str | None = None) -> Dataset:
        """Split each element along its first dimension: the inverse of ``batch``."""
        return _UnbatchDataset(self)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True, name: str | None = None) -> Dataset:
        """Elements in random order, drawn from a buffer of ``buffer_size`` elements as
        TensorFlow does: a buffer at least as large as the dataset shuffles it uniformly. Each
        pass draws a new order unless ``reshuffle_each_iteration=False``; ``seed`` (with
        ``tf.random.set_seed``) makes the orders reproducible."""
        return _ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: int | None = None, name: str | None = None) -> Dataset:
        """The dataset ``count`` times over (forever for None or -1)."""
        return _RepeatDataset(self, count)

    def map(self, map_func: Callable[..., Any], num_parallel_calls: int | None = None,
            deterministic: bool | None = None, synchronous: bool | None = None,
            use_unbounded_threadpool: bool = False, name: str | None = None) -> Dataset:
        """``map_func`` applied to each element; a tuple element is passed as positional
        arguments, anything else as one argument."""
        return _MapDataset(self, map_func)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        """The elements for which ``predicate`` (called as ``map`` calls) returns True."""
        return _FilterDataset(self, predicate)

    def take(self, count: int, name: str | None = None) -> Dataset:
        """The first ``count`` elements (all for -1)."""
        return _TakeDataset(self, count)

    def skip(self, count: int, name: str | None = None) -> Dataset:
        """All but the first ``count`` elements (none for -1)."""
        return _SkipDataset(self, count)

    def cache(self, filename: str = "", name: str | None = None) -> Dataset:
        """Keep the elements of the first complete pass and replay them on later passes (in
        memory, also when a ``filename`` is given)."""
        return CacheDataset(self)

    def prefetch(self, buffer_size: int, name: str | None = None) -> Dataset:
        """Accepted for compatibility: elements are computed when asked for."""
        return _PrefetchDataset(self)

    def enumerate(self, start: int = 0, name: str | None = None) -> Dataset:
        """``(index, element)`` pairs, the index an int64 counting from ``start``."""
        return _ZipDataset((_RangeDataset((start, np.iinfo(np.int64).max), "int64"), self))

    def concatenate(self, dataset: Dataset, name: str | None = None) -> Dataset:
        """This dataset's elements, then ``dataset``'s (of the same structure)."""
        return _ConcatenateDataset(self, dataset)

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """``transformation_func(self)``."""
        return transformation_func(self)

    def reduce(self, initial_state: Any, reduce_func: Callable[[Any, Any], Any]) -> Any:
        """Fold the elements into a state: ``state = reduce_func(state, element)``.

        >>> import tapegrad as tf
        >>> tf.data.Dataset.range(5).reduce(tf.constant(0, tf.int64), lambda s, x: s + x)
        <tapegrad.Tensor: shape=(), dtype=int64, numpy=10>
        """
        state = _tensors(_normalize(initial_state))
        for element in self:
            state = _tensors(_normalize(reduce_func(state, element)))
        return state

    # -- reading --
    @property
    def element_spec(self) -> Any:
        """The structure of an element: a TensorSpec per tensor (None for a length that varies)."""
        if self._spec_cache is None:
            self._spec_cache = self._element_spec()
        return self._spec_cache

    def cardinality(self) -> Tensor:
        """The number of elements as an int64 scalar: -1 (``INFINITE_CARDINALITY``) for a
        dataset that repeats forever, -2 (``UNKNOWN_CARDINALITY``) after ``filter``."""
        return wrap(np.int64(self._cardinality()))

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __iter__(self) -> OwnedIterator:
        if tape._listeners:  # a trace records: read the elements through ops it replays
            return OwnedIterator(_traced_elements(self), self)
        return OwnedIterator(map(_tensors, self._values()), self)

    def as_numpy_iterator(self) -> Iterator[Any]:
        """The elements as NumPy values (NumPy scalars for scalars), without tensors."""
        return self._values()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} element_spec={self.element_spec}>"


class OwnedIterator:
    """What ``iter(dataset)`` returns: ``next(it)`` or ``it.get_next()`` give the next element.

    >>> import tapegrad as tf
    >>> it = iter(tf.data.Dataset.range(3))
    >>> int(next(it)), int(it.get_next()), it.element_spec
    (0, 1, TensorSpec(shape=(), dtype=tapegrad.int64, name=None))
    """

    def __init__(self, elements: Iterator[Any], dataset: Dataset) -> None:
        self._elements = elements
        self._dataset = dataset

    @property
    def element_spec(self) -> Any:
        return self._dataset.element_spec

    def __iter__(self) -> OwnedIterator:
        return self

    def __next__(self) -> Any:
        return next(self._elements)

    def get_next(self) -> Any:
        """The next element; OutOfRangeError after the last one."""
        element = next(self._elements, _END)
        if element is _END:
            raise OutOfRangeError(None, None, "End of sequence [Op:IteratorGetNext]")
        return element


# ----- sources -----


class _TensorSliceDataset(Dataset):
    def __init__(self, tensors: Any) -> None:
        if hasattr(tensors, "columns") and hasattr(tensors, "to_numpy"):  # a pandas DataFrame
            tensors = np.asarray(tensors)
        self._data = _map(_read_only, _normalize(tensors))
        leaves = _flat(self._data)
        for leaf in leaves:
            if np.ndim(leaf) == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        lengths = [len(leaf) for leaf in leaves]
        for n in lengths[1:]:
            if n != lengths[0]:
                raise ValueError(f"Dimensions {lengths[0]} and {n} are not compatible")
        self._n = lengths[0]

    def _values(self) -> Iterator[Any]:
        data = self._data
        if not isinstance(data, (tuple, dict)):
            return _rows(data)
        return (_pack(data, iter(row)) for row in zip(*map(_rows, _flat(data))))

    def _batches(self, order: Any, size: int, drop_remainder: bool) -> Iterator[Any]:
        """Batches of the rows in ``order``: views of the data for ``range(n)``, else one copy
        per batch."""
        stop = self._n - self._n % size if drop_remainder else self._n
        for start in range(0, stop, size):
            rows = order[start:start + size]
            yield _map(operator.itemgetter(slice(rows.start, rows.stop) if isinstance(
                rows, range) else rows), self._data)

    def _cardinality(self) -> int:
        return self._n

    def _element_spec(self) -> Any:
        return _map(lambda leaf: TensorSpec(np.shape(leaf)[1:], wrap(leaf).dtype), self._data)


def _rows(value: np.ndarray) -> Iterator[Any]:
    """The rows of an array; a string comes out as a 0-d array, as tensors hold strings."""
    return map(np.array, value) if value.dtype == object and value.ndim == 1 else iter(value)


def _read_only(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.view()
        value.flags.writeable = False
    return value


class _TensorDataset(Dataset):
    def __init__(self, tensors: Any) -> None:
        self._data = _map(_read_only, _normalize(tensors))

    def _values(self) -> Iterator[Any]:
        return iter((self._data,))

    def _cardinality(self) -> int:
        return 1

    def _element_spec(self) -> Any:
        return _map(_spec, self._data)


class _RangeDataset(Dataset):
    def __init__(self, args: tuple[Any, ...], output_type: Any) -> None:
        from ..dtypes import as_dtype
        self._range = range(*(as_int(a, "range argument") for a in args))
        self._dtype = as_dtype(output_type)

    def _values(self) -> Iterator[Any]:
        return map(self._dtype._np.type, self._range)

    def _cardinality(self) -> int:
        return len(self._range)

    def _element_spec(self) -> Any:
        return TensorSpec((), self._dtype)


class _GeneratorDataset(Dataset):
    def __init__(self, generator: Callable[..., Any], args: tuple[Any, ...],
                 signature: Any) -> None:
        self._generator = generator
        self._args = args
        self._signature = signature

    def _values(self) -> Iterator[Any]:
        for element in self._generator(*self._args):
            element = _normalize(element)
            values = [v if s.dtype.name == "string" or v.dtype == s.dtype._np
                      else np.asarray(v).astype(s.dtype._np)[()]
                      for v, s in zip(_flat(element), _flat(self._signature))]
            yield _pack(self._signature, iter(values))

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    def _element_spec(self) -> Any:
        return self._signature


class _ZipDataset(Dataset):
    def __init__(self, datasets: Any) -> None:
        for d in _flat(datasets):
            if not isinstance(d, Dataset):
                raise TypeError(f"Invalid `datasets`. `datasets` is expected to be a (nested) "
                                f"structure of `tf.data.Dataset` objects. Received: {datasets}")
        self._datasets = datasets

    def _values(self) -> Iterator[Any]:
        iterators = [d._values() for d in _flat(self._datasets)]
        for elements in zip(*iterators):
            yield _pack(self._datasets, iter(elements))

    def _cardinality(self) -> int:
        counts = [d._cardinality() for d in _flat(self._datasets)]
        if UNKNOWN_CARDINALITY in counts:
            return UNKNOWN_CARDINALITY
        finite = [c for c in counts if c >= 0]
        return min(finite) if finite else INFINITE_CARDINALITY

    def _element_spec(self) -> Any:
        return _map(lambda d: d.element_spec, self._datasets)


# ----- transformations -----


class _Unary(Dataset):
    """A dataset made from one input dataset; by default with its elements and count."""

    def __init__(self, input_dataset: Dataset) -> None:
        self._input = input_dataset

    def _values(self) -> Iterator[Any]:
        return self._input._values()

    def _cardinality(self) -> int:
        return self._input._cardinality()

    def _element_spec(self) -> Any:
        return self._input.element_spec


class _PrefetchDataset(_Unary):
    pass


class _BatchDataset(_Unary):
    def __init__(self, input_dataset: Dataset, batch_size: int, drop_remainder: bool) -> None:
        super().__init__(input_dataset)
        self._size = as_int(batch_size, "batch_size")
        if self._size <= 0:
            raise invalid_argument(f"Batch size must be greater than zero, got {self._size}")
        self._drop = bool(drop_remainder)

    def _values(self) -> Iterator[Any]:
        source = self._input
        if isinstance(source, _TensorSliceDataset):
            return source._batches(range(source._n), self._size, self._drop)
        if isinstance(source, _ShuffleDataset) and isinstance(source._input,
                                                               _TensorSliceDataset):
            return source._input._batches(source._order(), self._size, self._drop)
        return self._stacked()

    def _stacked(self) -> Iterator[Any]:
        elements = self._input._values()
        while True:
            group = list(itertools.islice(elements, self._size))
            if not group or (self._drop and len(group) < self._size):
                return
            structure = group[0]
            columns = zip(*(_flat(e) for e in group))
            yield _pack(structure, iter([_stack(column, k) for k, column in enumerate(columns)]))

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _element_spec(self) -> Any:
        size = self._size if self._drop else None
        return _map(lambda s: TensorSpec(TensorShape([size]).concatenate(s.shape), s.dtype),
                    self._input.element_spec)


def _stack(values: tuple[Any, ...], component: int) -> np.ndarray:
    first = np.shape(values[0])
    for i, v in enumerate(values):
        if np.shape(v) != first:
            raise InvalidArgumentError(
                None, None, f"Cannot batch tensors with different shapes in component "
                f"{component}. First element had shape {list(first)} and element {i} had shape "
                f"{list(np.shape(v))}.")
    return np.stack(values)


class _UnbatchDataset(_Unary):
    def _values(self) -> Iterator[Any]:
        for element in self._input._values():
            leaves = _flat(element)
            if any(np.ndim(leaf) == 0 for leaf in leaves):
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
            n = len(leaves[0])
            if any(len(leaf) != n for leaf in leaves):
                raise invalid_argument("Input element must have the same batch size in each "
                                       "component.")
            for row in zip(*map(_rows, leaves)):
                yield _pack(element, iter(row))

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        return n if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY

    def _element_spec(self) -> Any:
        return _map(lambda s: TensorSpec(s.shape[1:], s.dtype), self._input.element_spec)


class _ShuffleDataset(_Unary):
    def __init__(self, input_dataset: Dataset, buffer_size: int, seed: int | None,
                 reshuffle_each_iteration: bool) -> None:
        super().__init__(input_dataset)
        self._buffer = as_int(buffer_size, "buffer_size")
        if self._buffer <= 0:
            raise invalid_argument("buffer_size must be greater than zero.")
        from ..ops import random as random_ops
        global_seed = random_ops.get_global_generator_seed()
        if seed is None:  # from the global stream: reproducible after tf.random.set_seed
            self._seed = [int(random_ops._generator(None).integers(2**63))]
        else:
            self._seed = [0 if global_seed is None else global_seed % 2**64,
                          as_int(seed, "seed") % 2**64]
        self._reshuffle = reshuffle_each_iteration
        self._passes = 0

    def _rng(self) -> np.random.Generator:
        """This pass's generator: a new stream for each pass unless told to repeat the order."""
        rng = np.random.default_rng(self._seed + [self._passes])
        if self._reshuffle:
            self._passes += 1
        return rng

    def _order(self) -> np.ndarray:
        """This pass's order of the rows of a ``from_tensor_slices`` input."""
        n = self._input._n
        return np.fromiter(_buffer_shuffle(iter(range(n)), self._buffer, self._rng()),
                           np.int64, n)

    def _values(self) -> Iterator[Any]:
        if isinstance(self._input, _TensorSliceDataset):  # rows by index: the same order
            data = self._input._data
            return (_pack(data, iter([_row(leaf, i) for leaf in _flat(data)]))
                    for i in self._order())
        return _buffer_shuffle(self._input._values(), self._buffer, self._rng())


def _buffer_shuffle(elements: Iterator[Any], size: int, rng: np.random.Generator
                    ) -> Iterator[Any]:
    """TensorFlow's shuffle buffer: fill it, then emit a random one and put the next in its
    place; at the end, empty it in random order."""
    buffer = list(itertools.islice(elements, size))
    while buffer:
        draws = rng.random(1024).tolist()  # in blocks: one draw per call costs microseconds
        for u in draws:
            i = int(u * len(buffer))
            element = next(elements, _END)
            if element is _END:
                buffer[i], buffer[-1] = buffer[-1], buffer[i]
                yield buffer.pop()
                if not buffer:
                    return
            else:
                yield buffer[i]
                buffer[i] = element


_END = object()


def _row(leaf: np.ndarray, i: int) -> Any:
    row = leaf[i]
    return np.array(row) if isinstance(row, bytes) else row


class _RepeatDataset(_Unary):
    def __init__(self, input_dataset: Dataset, count: int | None) -> None:
        super().__init__(input_dataset)
        self._count = -1 if count is None else as_int(count, "count")

    def _values(self) -> Iterator[Any]:
        passes = itertools.count() if self._count < 0 else range(self._count)
        for _ in passes:
            empty = True
            for element in self._input._values():
                empty = False
                yield element
            if empty:
                return

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n == 0 or self._count == 0:
            return 0
        if self._count < 0:
            return INFINITE_CARDINALITY if n != UNKNOWN_CARDINALITY else n
        return n if n < 0 else n * self._count


class _TakeDataset(_Unary):
    def __init__(self, input_dataset: Dataset, count: int) -> None:
        super().__init__(input_dataset)
        self._count = as_int(count, "count")

    def _values(self) -> Iterator[Any]:
        values = self._input._values()
        return values if self._count < 0 else itertools.islice(values, self._count)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE_CARDINALITY:
            return self._count
        return n if n == UNKNOWN_CARDINALITY else min(n, self._count)


class _SkipDataset(_Unary):
    def __init__(self, input_dataset: Dataset, count: int) -> None:
        super().__init__(input_dataset)
        self._count = as_int(count, "count")

    def _values(self) -> Iterator[Any]:
        if self._count < 0:
            return iter(())
        return itertools.islice(self._input._values(), self._count, None)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)


def _call(func: Callable[..., Any], element: Any) -> Any:
    """TensorFlow's calling convention: a tuple is unpacked into positional arguments."""
    tensors = _tensors(element)
    return func(*tensors) if type(tensors) is tuple else func(tensors)


class _MapDataset(_Unary):
    def __init__(self, input_dataset: Dataset, func: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._func = func

    def _values(self) -> Iterator[Any]:
        func = self._func
        for element in self._input._values():
            yield _normalize(_call(func, element))

    def _element_spec(self) -> Any:
        """From the first element's result; a dimension unknown in the input's first
        component stays unknown where the result has the same length there."""
        first = next(self._input._values(), None)
        if first is None:
            raise ValueError("Cannot work out the element_spec of a map over an empty dataset.")
        unknown = {len(v) for s, v in zip(_flat(self._input.element_spec), _flat(first))
                   if s.shape and s.shape[0] is None and np.ndim(v)}
        result = _normalize(_call(self._func, first))
        return _map(lambda v: TensorSpec([None if i == 0 and d in unknown else d
                                          for i, d in enumerate(np.shape(v))],
                                         wrap(v).dtype), result)


class _FilterDataset(_Unary):
    def __init__(self, input_dataset: Dataset, predicate: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._predicate = predicate

    def _values(self) -> Iterator[Any]:
        for element in self._input._values():
            keep = _value(_call(self._predicate, element))
            if np.ndim(keep) != 0 or np.asarray(keep).dtype != np.bool_:
                raise ValueError(f"Invalid `predicate`. `predicate` must return a `tf.bool` "
                                 f"scalar tensor, but its return type is {_spec(keep)}.")
            if keep:
                yield element

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY


class CacheDataset(_Unary):
    def __init__(self, input_dataset: Dataset) -> None:
        super().__init__(input_dataset)
        self._cache: list[Any] | None = None

    def _values(self) -> Iterator[Any]:
        if self._cache is not None:
            yield from self._cache
            return
        seen = []
        for element in self._input._values():
            seen.append(element)
            yield element
        self._cache = seen  # only a complete pass is kept


class _ConcatenateDataset(_Unary):
    def __init__(self, input_dataset: Dataset, other: Dataset) -> None:
        super().__init__(input_dataset)
        _check_structures(input_dataset.element_spec, other.element_spec, "concatenate")
        self._other = other

    def _values(self) -> Iterator[Any]:
        return itertools.chain(self._input._values(), self._other._values())

    def _cardinality(self) -> int:
        counts = (self._input._cardinality(), self._other._cardinality())
        if INFINITE_CARDINALITY in counts:
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in counts else sum(counts)


# ----- iterating inside a trace -----


class _Cursor:
    """One ``iter(dataset)`` made while tracing; each replay starts it again."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.values: Iterator[Any] = iter(())
        self.pending: list[Any] | None = None  # the element the trace looked ahead to
        self.current: list[Any] = []


def _make_iterator(cursor: _Cursor) -> np.bool_:
    cursor.values = cursor.dataset._values()
    cursor.pending = None
    return np.True_


def _get_next(cursor: _Cursor, component: int) -> Any:
    if component == 0:
        if cursor.pending is not None:
            cursor.current, cursor.pending = cursor.pending, None
        else:
            element = next(cursor.values, None)
            if element is None:
                raise OutOfRangeError(None, None, "End of sequence [Op:IteratorGetNext]")
            cursor.current = _flat(element)
    return cursor.current[component]


MAKE_ITERATOR = tape.Primitive("MakeIterator", _make_iterator, pure=False)
GET_NEXT = tape.Primitive("IteratorGetNext", _get_next, pure=False)


def _traced_elements(dataset: Dataset) -> Iterator[Any]:
    cursor = _Cursor(dataset)
    tape.apply(MAKE_ITERATOR, (), (cursor,))
    while True:
        element = next(cursor.values, None)  # look ahead, unrecorded: is there one more?
        if element is None:
            return
        cursor.pending = _flat(element)
        yield _pack(element, iter([tape.apply(GET_NEXT, (), (cursor, k))
                                   for k in range(len(cursor.pending))]))


__all__ = ["Dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]
