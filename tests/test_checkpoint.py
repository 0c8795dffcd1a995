"""tf.train.Checkpoint, CheckpointManager and latest_checkpoint, in tapegrad's own format."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tapegrad as tf


class Net(tf.Module):
    def __init__(self, width: int = 3) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.layers = [tf.Variable(rng.normal(size=(2, width)).astype(np.float32), name="w"),
                       {"b": tf.Variable(np.zeros(width, np.float32), name="b")}]
        self.steps = tf.Variable(0, trainable=False)

    def __call__(self, x):
        return tf.matmul(x, self.layers[0]) + self.layers[1]["b"]


X = tf.constant([[1.0, 2.0], [-1.0, 0.5]])


def train(net: Net, opt, n: int) -> None:
    for _ in range(n):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(net(X) - 1.0))
        variables = net.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        net.steps.assign_add(1)


def values(module: tf.Module) -> list[np.ndarray]:
    return [v.numpy() for v in module.variables]


def test_save_numbers_files_and_restores(tmp_path):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    assert ckpt.model is net
    first = ckpt.save(tmp_path / "ckpt")
    assert first == str(tmp_path / "ckpt-1")
    assert ckpt.save(str(tmp_path / "ckpt")) == str(tmp_path / "ckpt-2")
    assert int(ckpt.save_counter) == 2
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.index.json", "ckpt-1.npz",
                                            "ckpt-2.index.json", "ckpt-2.npz"]
    assert tf.train.latest_checkpoint(tmp_path) == str(tmp_path / "ckpt-2")
    saved = values(net)
    net.layers[0].assign(tf.zeros([2, 3]))
    net.steps.assign(9)
    status = ckpt.restore(first)
    status.assert_consumed().assert_existing_objects_matched().assert_nontrivial_match()
    for a, b in zip(saved, values(net)):
        np.testing.assert_array_equal(a, b)
    assert int(ckpt.save_counter) == 1  # the counter is restored too


def test_write_and_read_into_a_new_object(tmp_path):
    net = Net()
    path = tf.train.Checkpoint(model=net).write(tmp_path / "sub" / "weights")
    assert path == str(tmp_path / "sub" / "weights")
    assert tf.train.latest_checkpoint(tmp_path / "sub") is None  # write keeps no state file
    fresh = Net(3)
    fresh.layers[0].assign(tf.ones([2, 3]))
    tf.train.Checkpoint(model=fresh).read(path).assert_consumed()
    for a, b in zip(values(net), values(fresh)):
        np.testing.assert_array_equal(a, b)


def test_optimizer_and_model_round_trip_is_exact_including_slots(tmp_path):
    net, opt = Net(), tf.optimizers.Adam(0.05)
    train(net, opt, 3)
    ckpt = tf.train.Checkpoint(optimizer=opt, model=net)
    path = ckpt.save(tmp_path / "ckpt")
    train(net, opt, 4)
    expected = values(net) + [v.numpy() for v in opt.variables]

    # New objects: the optimizer's slots are made from the checkpoint, then restored.
    net2, opt2 = Net(), tf.optimizers.Adam(0.05)
    tf.train.Checkpoint(optimizer=opt2, model=net2).restore(path).assert_consumed()
    assert int(opt2.iterations) == 3
    train(net2, opt2, 4)
    got = values(net2) + [v.numpy() for v in opt2.variables]
    assert len(got) == len(expected)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_optimizer_restored_into_a_differently_named_root(tmp_path):
    net, opt = Net(), tf.optimizers.SGD(0.1, momentum=0.9)
    train(net, opt, 2)
    path = tf.train.Checkpoint(a_opt=opt, model=net).write(tmp_path / "c")
    net2, opt2 = Net(), tf.optimizers.SGD(0.1, momentum=0.9)
    tf.train.Checkpoint(a_opt=opt2, model=net2).read(path).assert_consumed()
    train(net, opt, 2)
    train(net2, opt2, 2)
    for a, b in zip(values(net), values(net2)):
        np.testing.assert_array_equal(a, b)


def test_shape_and_dtype_mismatches_name_the_variable(tmp_path):
    path = tf.train.Checkpoint(model=Net(3)).write(tmp_path / "c")
    with pytest.raises(ValueError, match=r"Received incompatible tensor with shape \(2, 3\) "
                       r"when attempting to restore variable with shape \(2, 4\) and name "
                       r"model/layers/0\."):
        tf.train.Checkpoint(model=Net(4)).restore(path)
    target = Net(3)
    target.layers[0].assign(tf.zeros([2, 3]))
    target.steps = tf.Variable([0, 0])  # walked after `layers`
    with pytest.raises(ValueError, match=r"shape \(\) .* shape \(2,\) and name model/steps"):
        tf.train.Checkpoint(model=target).restore(path)
    assert not target.layers[0].numpy().any()  # all checked first: nothing was restored
    wrong = Net(3)
    wrong.steps = tf.Variable(0.0, trainable=False)
    with pytest.raises(ValueError, match="dtype int32 .* dtype float32 and name model/steps"):
        tf.train.Checkpoint(model=wrong).restore(path)


def test_partial_matches_and_missing_values(tmp_path):
    net = Net()
    path = tf.train.Checkpoint(model=net, extra=tf.Variable(1.0)).write(tmp_path / "c")
    status = tf.train.Checkpoint(model=Net()).restore(path)
    with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint.*\['extra'\]"):
        status.assert_consumed()
    status.assert_existing_objects_matched()
    assert status.expect_partial() is status

    bigger = Net()
    bigger.more = tf.Variable(2.0)
    status = tf.train.Checkpoint(model=bigger).restore(path)
    with pytest.raises(AssertionError, match=r"not bound to checkpointed values.*model/more"):
        status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="Nothing except the root"):
        tf.train.Checkpoint(other=tf.Variable(0.0)).restore(path).assert_nontrivial_match()


def test_plain_objects_lists_and_dicts_are_walked(tmp_path):
    class Holder:  # not a Module: any object whose attributes hold variables
        def __init__(self):
            self.weights = (tf.Variable([1.0, 2.0]), {"k": [tf.Variable(3)]})
            self.fn = lambda: None
            self.array = np.zeros(3)

    h = Holder()
    path = tf.train.Checkpoint(h=h, listed=[tf.Variable(5.0)]).write(tmp_path / "c")
    h2 = Holder()
    h2.weights[0].assign([0.0, 0.0])
    h2.weights[1]["k"][0].assign(0)
    listed = [tf.Variable(0.0)]
    tf.train.Checkpoint(h=h2, listed=listed).read(path).assert_consumed()
    assert h2.weights[0].numpy().tolist() == [1.0, 2.0]
    assert int(h2.weights[1]["k"][0]) == 3 and float(listed[0]) == 5.0
    assert tf.train.list_variables(path) == [
        ("_CHECKPOINTABLE_OBJECT_GRAPH", []), ("h/weights/0/.ATTRIBUTES/VARIABLE_VALUE", [2]),
        ("h/weights/1/k/0/.ATTRIBUTES/VARIABLE_VALUE", []),
        ("listed/0/.ATTRIBUTES/VARIABLE_VALUE", [])]
    assert tf.train.load_variable(path, "listed/0/.ATTRIBUTES/VARIABLE_VALUE") == 5.0
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found"):
        tf.train.load_variable(path, "nope")


def test_string_and_int_variables(tmp_path):
    words, count = tf.Variable(["a", "bc"]), tf.Variable(np.int64(7))
    path = tf.train.Checkpoint(words=words, count=count).write(tmp_path / "c")
    words.assign(["x", "y"])
    count.assign(0)
    tf.train.Checkpoint(words=words, count=count).read(path).assert_consumed()
    assert words.numpy().tolist() == [b"a", b"bc"] and int(count) == 7


def test_errors_for_bad_objects_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="`Checkpoint` was expecting model to be a trackable"):
        tf.train.Checkpoint(model=3)
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(tmp_path / "missing")
    with pytest.raises(tf.errors.NotFoundError):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(tmp_path)  # a directory without any
    status = tf.train.Checkpoint(v=tf.Variable(1.0)).restore(None)
    status.assert_consumed()


def test_restore_from_a_directory_takes_its_latest(tmp_path):
    v = tf.Variable(1.0)
    ckpt = tf.train.Checkpoint(v=v)
    ckpt.save(tmp_path / "ckpt")
    v.assign(2.0)
    ckpt.save(tmp_path / "ckpt")
    v.assign(3.0)
    ckpt.restore(tmp_path)
    assert float(v) == 2.0


def test_manager_keeps_the_newest_and_deletes_the_rest(tmp_path):
    step = tf.Variable(0)
    ckpt = tf.train.Checkpoint(step=step)
    manager = tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.checkpoints == []
    assert manager.restore_or_initialize() is None
    paths = []
    for i in range(4):
        step.assign(i)
        paths.append(manager.save())
    assert paths == [str(tmp_path / f"ckpt-{i}") for i in range(1, 5)]
    assert manager.checkpoints == paths[2:]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-3.index.json", "ckpt-3.npz",
                                            "ckpt-4.index.json", "ckpt-4.npz"]
    assert tf.train.latest_checkpoint(tmp_path) == paths[-1]
    assert manager.save(checkpoint_number=100) == str(tmp_path / "ckpt-100")

    # A new manager on the same directory picks up where this one was.
    again = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), tmp_path, max_to_keep=2)
    assert again.checkpoints == [paths[-1], str(tmp_path / "ckpt-100")]
    step.assign(-1)
    assert again.restore_or_initialize() == str(tmp_path / "ckpt-100")
    assert int(step) == 3


def test_manager_arguments(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    with pytest.raises(ValueError, match="Expected a positive integer or `None` for "
                                         "`max_to_keep`, got 0."):
        tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=0)
    keep_all = tf.train.CheckpointManager(ckpt, tmp_path / "all", max_to_keep=None,
                                          checkpoint_name="model")
    for _ in range(3):
        keep_all.save()
    assert [os.path.basename(p) for p in keep_all.checkpoints] == ["model-1", "model-2",
                                                                   "model-3"]
    step = tf.Variable(0)
    every = tf.train.CheckpointManager(ckpt, tmp_path / "every", max_to_keep=5,
                                       step_counter=step, checkpoint_interval=2)
    saved = []
    for i in range(5):
        step.assign(i)
        saved.append(every.save() is not None)
    assert saved == [True, False, True, False, True]
    initialized = []
    fresh = tf.train.CheckpointManager(ckpt, tmp_path / "none", max_to_keep=1,
                                       init_fn=lambda: initialized.append(1))
    assert fresh.restore_or_initialize() is None and initialized == [1]
