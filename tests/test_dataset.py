"""tf.data.Dataset over in-memory data: sources, transformations, specs, counts, tracing."""

from __future__ import annotations

import os
from collections import Counter, namedtuple

import numpy as np
import pytest

import tapegrad as tf

Dataset = tf.data.Dataset


def numbers(ds) -> list:
    return [np.asarray(x).tolist() for x in ds.as_numpy_iterator()]


def test_slices_of_tuples_dicts_and_nested_structures():
    ds = Dataset.from_tensor_slices(([1.0, 2.0], {"b": [[3], [4]], "a": np.array([5, 6])}))
    first = next(iter(ds))
    assert isinstance(first, tuple) and list(first[1]) == ["b", "a"]  # the dict keeps its order
    assert first[0].dtype == tf.float32 and first[1]["a"].dtype == tf.int64
    assert first[1]["b"].numpy().tolist() == [3]
    assert ds.element_spec == ds.element_spec  # cached
    assert repr(ds) == (
        "<_TensorSliceDataset element_spec=(TensorSpec(shape=(), dtype=tapegrad.float32, "
        "name=None), {'b': TensorSpec(shape=(1,), dtype=tapegrad.int32, name=None), "
        "'a': TensorSpec(shape=(), dtype=tapegrad.int64, name=None)})>")
    Point = namedtuple("Point", "x y")
    p = next(iter(Dataset.from_tensor_slices(Point([1, 2], [3, 4]))))
    assert isinstance(p, Point) and (int(p.x), int(p.y)) == (1, 3)


def test_slices_copy_the_data_once_and_batches_are_views():
    data = np.arange(12.0).reshape(6, 2)
    ds = Dataset.from_tensor_slices(data)
    data[0, 0] = 100.0  # the dataset took a copy
    batches = list(ds.batch(4).as_numpy_iterator())
    assert batches[0][0, 0] == 0.0
    assert batches[0].base is not None and not batches[0].flags.writeable  # a view, read-only
    assert [b.shape for b in batches] == [(4, 2), (2, 2)]


def test_pandas_objects():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [4, 5, 6]})
    assert Dataset.from_tensor_slices(df).element_spec == \
        Dataset.from_tensor_slices(df.values).element_spec
    by_column = Dataset.from_tensor_slices((dict(df), df["y"]))
    spec = by_column.element_spec
    assert (spec[0]["x"].dtype, spec[0]["y"].dtype, spec[1].shape) == \
        (tf.float64, tf.int64, ())
    assert [(float(f["x"]), int(t)) for f, t in by_column] == [(1.0, 4), (2.0, 5), (3.0, 6)]


def test_slicing_errors():
    with pytest.raises(ValueError, match="Dimensions 2 and 3 are not compatible"):
        Dataset.from_tensor_slices(([1, 2], [1, 2, 3]))
    with pytest.raises(ValueError, match="Unbatching a tensor is only supported for rank >= 1"):
        Dataset.from_tensor_slices(3)


def test_from_tensors_range_and_zip():
    assert numbers(Dataset.from_tensors([1, 2])) == [[1, 2]]
    assert numbers(Dataset.range(5)) == [0, 1, 2, 3, 4]
    assert numbers(Dataset.range(2, 10, 3)) == [2, 5, 8]
    assert Dataset.range(3, output_type=tf.int32).element_spec.dtype == tf.int32
    a, b = Dataset.range(3), Dataset.range(10, 20)
    assert [(int(x), int(y)) for x, y in Dataset.zip(a, b)] == [(0, 10), (1, 11), (2, 12)]
    nested = Dataset.zip({"p": a, "q": (b, a)})
    assert [int(e["q"][0]) for e in nested] == [10, 11, 12]
    assert Dataset.zip((a, b)).cardinality().numpy() == 3
    with pytest.raises(TypeError, match="structure of `tf.data.Dataset` objects"):
        Dataset.zip((a, [1, 2]))


def test_batch_and_unbatch():
    ds = Dataset.range(7)
    assert numbers(ds.batch(3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert numbers(ds.batch(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5]]
    assert str(ds.batch(3).element_spec.shape) == "(None,)"
    assert ds.batch(3, drop_remainder=True).element_spec.shape == (3,)
    assert (len(ds.batch(3)), len(ds.batch(3, drop_remainder=True))) == (3, 2)
    pairs = Dataset.from_tensor_slices(([1.0, 2.0, 3.0], [[1], [2], [3]])).map(
        lambda x, y: (x * 2.0, y)).batch(2)
    x, y = next(iter(pairs))
    assert x.numpy().tolist() == [2.0, 4.0] and y.shape == (2, 1)
    assert numbers(ds.batch(3).unbatch()) == list(range(7))
    assert ds.batch(2).unbatch().element_spec.shape == ()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Batch size must be greater than"):
        ds.batch(0)
    ragged = Dataset.from_generator(lambda: iter([[1], [1, 2]]),
                                    output_signature=tf.TensorSpec([None], tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot batch tensors with "
                       r"different shapes in component 0. First element had shape \[1\] and "
                       r"element 1 had shape \[2\]."):
        list(ragged.batch(2))


def test_repeat_take_skip_and_counts():
    ds = Dataset.range(4)
    assert numbers(ds.repeat(2)) == [0, 1, 2, 3, 0, 1, 2, 3]
    assert numbers(ds.repeat().take(6)) == [0, 1, 2, 3, 0, 1]
    assert numbers(ds.skip(1).take(2)) == [1, 2]
    assert numbers(ds.take(-1)) == [0, 1, 2, 3] and numbers(ds.skip(-1)) == []
    counts = {"repeat()": ds.repeat(), "repeat(3)": ds.repeat(3), "take(10)": ds.take(10),
              "skip(10)": ds.skip(10), "repeat().take(5)": ds.repeat().take(5),
              "filter": ds.filter(lambda x: x > 1), "empty repeat": ds.take(0).repeat()}
    got = {k: int(d.cardinality()) for k, d in counts.items()}
    assert got == {"repeat()": tf.data.INFINITE_CARDINALITY, "repeat(3)": 12, "take(10)": 4,
                   "skip(10)": 0, "repeat().take(5)": 5, "filter": tf.data.UNKNOWN_CARDINALITY,
                   "empty repeat": 0}
    assert numbers(ds.take(0).repeat()) == []  # an empty dataset repeated ends
    assert int(tf.data.experimental.cardinality(ds)) == 4
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(ds.repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(ds.filter(lambda x: x > 1))


def test_map_filter_enumerate_cache_prefetch_concatenate_reduce():
    ds = Dataset.range(6)
    assert numbers(ds.map(lambda x: x * x, num_parallel_calls=tf.data.AUTOTUNE)) == \
        [0, 1, 4, 9, 16, 25]
    assert numbers(ds.filter(lambda x: x % 2 == 0)) == [0, 2, 4]
    with pytest.raises(ValueError, match="`predicate` must return a `tf.bool` scalar"):
        list(ds.filter(lambda x: x))
    dicts = Dataset.from_tensor_slices({"a": [1.0, 2.0]}).map(lambda d: d["a"] + 1.0)
    assert numbers(dicts) == [2.0, 3.0]
    assert [(int(i), int(x)) for i, x in ds.take(2).enumerate(start=5)] == [(5, 0), (6, 1)]
    assert type(ds.enumerate()).__name__ == "_ZipDataset"
    calls = []
    cached = ds.map(lambda x: (calls.append(1), x)[1]).cache()
    assert numbers(cached) == numbers(cached) == list(range(6))
    assert len(calls) == 6  # the second pass came from the cache
    assert numbers(ds.prefetch(tf.data.AUTOTUNE)) == list(range(6))
    assert numbers(ds.take(2).concatenate(Dataset.range(7, 9))) == [0, 1, 7, 8]
    assert int(ds.take(2).concatenate(ds).cardinality()) == 8
    assert int(ds.reduce(tf.constant(0, tf.int64), lambda s, x: s + x)) == 15
    assert numbers(ds.apply(lambda d: d.take(1))) == [0]


def test_map_element_spec_keeps_an_unknown_batch_dimension():
    ds = Dataset.from_tensor_slices(np.zeros((5, 3), np.float32)).batch(2)
    mapped = ds.map(lambda x: (tf.reduce_sum(x, axis=1), x[0]))
    spec = mapped.element_spec
    assert str(spec[0].shape) == "(None,)" and spec[1].shape == (3,)
    assert repr(Dataset.range(3).map(lambda x: x)).startswith("<_MapDataset element_spec=")


def test_shuffle_buffer_semantics_and_seeds():
    ds = Dataset.range(10)
    one = numbers(ds.shuffle(10, seed=1))
    assert sorted(one) == list(range(10)) and one != list(range(10))
    assert numbers(ds.shuffle(10, seed=1)) == one  # a seed reproduces the first order
    reshuffled = ds.shuffle(10, seed=1)
    assert numbers(reshuffled) != numbers(reshuffled)  # new pass, new order
    fixed = ds.shuffle(10, seed=1, reshuffle_each_iteration=False)
    assert numbers(fixed) == numbers(fixed)
    tf.random.set_seed(3)
    a = numbers(ds.shuffle(10))
    tf.random.set_seed(3)
    assert numbers(ds.shuffle(10)) == a
    # A buffer of 1 keeps the order; with a buffer of b, output p is one of the first p + b.
    assert numbers(ds.shuffle(1)) == list(range(10))
    for _ in range(20):
        order = numbers(ds.shuffle(3))
        assert all(order[p] <= p + 2 for p in range(10))
    with pytest.raises(tf.errors.InvalidArgumentError, match="buffer_size must be greater"):
        ds.shuffle(0)


def test_shuffled_slices_and_batches_follow_the_same_order():
    rows = Dataset.from_tensor_slices(np.arange(10))
    for buffer in (1, 4, 10, 50):
        expected = numbers(Dataset.range(10).shuffle(buffer, seed=5))
        assert numbers(rows.shuffle(buffer, seed=5)) == expected  # the by-index path
        batched = numbers(rows.shuffle(buffer, seed=5).batch(3))
        assert [x for b in batched for x in b] == expected
    pairs = Dataset.from_tensor_slices((np.arange(10), np.arange(10) * 10)).shuffle(10).batch(4)
    for a, b in pairs.as_numpy_iterator():
        assert (b == a * 10).all() and a.flags.writeable  # rows gathered together, one copy


def test_full_buffer_shuffle_is_uniform():
    ds = Dataset.range(3).shuffle(3, seed=0)
    firsts = Counter(numbers(ds)[0] for _ in range(3000))
    assert all(900 < firsts[k] < 1100 for k in range(3))


def test_iteration_yields_tensors_and_next_works():
    it = iter(Dataset.range(2))
    assert isinstance(next(it), tf.Tensor)
    assert int(next(it)) == 1
    with pytest.raises(StopIteration):
        next(it)
    it = iter(Dataset.from_tensor_slices(([1.0], [2])))
    assert it.element_spec[1].dtype == tf.int32
    assert float(it.get_next()[0]) == 1.0
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()


def test_from_generator():
    def gen(n):
        for i in range(int(n)):
            yield i, [float(i)] * 2

    ds = Dataset.from_generator(gen, args=(3,), output_signature=(
        tf.TensorSpec((), tf.int64), tf.TensorSpec((2,), tf.float32)))
    assert [(int(i), v.numpy().tolist()) for i, v in ds] == [(0, [0.0, 0.0]), (1, [1.0, 1.0]),
                                                              (2, [2.0, 2.0])]
    assert next(iter(ds))[0].dtype == tf.int64
    legacy = Dataset.from_generator(lambda: iter([1, 2]), output_types=tf.int32)
    assert numbers(legacy) == [1, 2] and int(legacy.cardinality()) == -2
    with pytest.raises(TypeError, match="`output_types` argument can not be None"):
        Dataset.from_generator(lambda: iter([]))


def test_iteration_inside_a_traced_function_reads_new_elements_each_call():
    ds = Dataset.from_tensor_slices(np.arange(6, dtype=np.float32)).shuffle(6, seed=3).batch(2)
    total = tf.Variable(0.0)

    @tf.function
    def epoch(data):
        firsts = []
        for x in data:
            total.assign_add(tf.reduce_sum(x))
            firsts.append(x[0])
        return tf.stack(firsts)

    runs = [epoch(ds).numpy().tolist() for _ in range(4)]
    assert epoch.experimental_get_tracing_count() == 1
    assert float(total) == 4 * 15.0  # every call saw all the data
    assert len({tuple(r) for r in runs}) > 1  # reshuffled on each call

    @tf.function
    def first_two(data):
        it = iter(data)
        return next(it) + next(it)

    plain = Dataset.range(4)
    assert int(first_two(plain)) == 1 and int(first_two(plain)) == 1

    @tf.function
    def read_all(data):
        return tf.stack([x for x in data])

    limit = [3]
    shrinking = Dataset.range(5).filter(lambda x: x < limit[0])
    assert read_all(shrinking).numpy().tolist() == [0, 1, 2]
    limit[0] = 1  # the replay asks for the three elements the trace read: only one is left
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        read_all(shrinking)


def test_tensorflow_prints_the_same_datasets():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    real = pytest.importorskip("tensorflow")

    def describe(lib):
        base = lib.data.Dataset.from_tensor_slices((np.arange(10), np.ones((10, 2), np.float32)))
        sets = [base, base.batch(4), base.batch(4, drop_remainder=True), base.shuffle(3),
                base.repeat(), base.take(3), base.skip(3), base.cache(), base.prefetch(1),
                base.enumerate(), base.batch(2).unbatch(), lib.data.Dataset.range(3),
                lib.data.Dataset.from_tensors([1, 2]), base.filter(lambda a, b: a > 2),
                lib.data.Dataset.zip((base, lib.data.Dataset.range(2)))]
        return ([repr(d).replace("tapegrad.", "tf.") for d in sets],
                [int(d.cardinality()) for d in sets])

    assert describe(tf) == describe(real)
