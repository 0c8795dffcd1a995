"""tf.Module, tf.name_scope and tf.init_scope: names, traversal order and scoped variable names."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tapegrad as tf


class Sub(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.v = tf.Variable(7.0, name="v")
        self.x = tf.Variable(8.0)


class Outer(tf.Module):
    """Variables in a list, a dict (sorted keys), a plain attribute and a nested module."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)
        self.b = [tf.Variable(1.0, name="b"),
                  {"z": tf.Variable(2.0, name="z"), "a": tf.Variable(3.0, trainable=False)}]
        self.a = tf.Variable(0.0, name="a")
        with self.name_scope:
            self.w = tf.Variable(5.0, name="w")
            self.sub = Sub()


def test_names_come_from_the_class_or_the_argument():
    class CamelCaseModel(tf.Module):
        pass

    class MyMLPModel(tf.Module):
        pass

    assert CamelCaseModel().name == "camel_case_model"
    assert MyMLPModel().name == "my_mlp_model"
    assert tf.Module().name == "module"
    assert tf.Module(name="net_2").name == "net_2"
    assert tf.Module(name="net").name_scope.name == "net/"


@pytest.mark.parametrize("bad", ["1a", "a b", "a/b", "", "dense-1"])
def test_invalid_names_are_refused(bad):
    with pytest.raises(ValueError, match=f"'{bad}' is not a valid module name. Module names "
                                         "must be valid Python identifiers"):
        tf.Module(name=bad)


def test_variables_in_tensorflows_order():
    m = Outer()
    names = [(v.name, float(v)) for v in m.variables]
    # Attributes sorted (a, b, sub, w), leaves depth first, dict keys sorted; the submodule's
    # variables after all of this module's own leaves.
    assert names == [("a:0", 0.0), ("b:0", 1.0), ("Variable:0", 3.0), ("z:0", 2.0),
                     ("outer/w:0", 5.0), ("outer/v:0", 7.0), ("outer/Variable:0", 8.0)]
    assert [float(v) for v in m.trainable_variables] == [0.0, 1.0, 2.0, 5.0, 7.0, 8.0]
    assert [float(v) for v in m.non_trainable_variables] == [3.0]
    assert m.submodules == (m.sub,)
    assert m.sub.name_scope.name == "outer/sub/"
    assert isinstance(m.variables, tuple)


def test_shared_variables_and_cycles_are_listed_once():
    m = tf.Module()
    v = tf.Variable(1.0)
    m.first, m.second = v, (v, v)
    m.me = m  # a cycle: walked once
    child = tf.Module(name="child")
    child.parent = m
    m.children = [child, child]
    assert m.variables == (v,)
    assert m.submodules == (child,)


def test_a_subclass_can_hide_attributes_from_the_traversal():
    class Hiding(tf.Module):
        _TF_MODULE_IGNORED_PROPERTIES = tf.Module._TF_MODULE_IGNORED_PROPERTIES | {"_cache"}

        def __init__(self):
            super().__init__()
            self._cache = [tf.Variable(1.0)]
            self.kept = tf.Variable(2.0)

    assert [float(v) for v in Hiding().variables] == [2.0]


def test_flatten_with_path_and_a_predicate():
    m = Outer()
    paths = dict(m._flatten(predicate=lambda x: isinstance(x, tf.Variable), with_path=True))
    assert paths[("b", 1, "z")] is m.b[1]["z"]
    assert paths[("sub", "v")] is m.sub.v
    assert list(m._flatten(recursive=False, predicate=lambda x: x is m.sub.v)) == []


def test_name_scope_nesting_and_its_forms():
    with tf.name_scope("a") as a:
        with tf.name_scope("b") as ab:
            inner = tf.Variable(1.0)
        with tf.name_scope("c/") as absolute:
            c = tf.Variable(1.0, name="c")
        with tf.name_scope("") as cleared:
            q = tf.Variable(1.0, name="q")
        after = tf.Variable(1.0, name="after")
    assert (a, ab, absolute, cleared) == ("a/", "a/b/", "c/", "")
    assert (inner.name, c.name, q.name, after.name) == \
        ("a/b/Variable:0", "c/c:0", "q:0", "a/after:0")
    assert tf.Variable(1.0).name == "Variable:0"
    with pytest.raises(ValueError, match="name for name_scope must be a string."):
        tf.name_scope(None)


def test_name_scope_is_restored_after_an_exception():
    with pytest.raises(RuntimeError):
        with tf.name_scope("boom"):
            raise RuntimeError
    assert tf.Variable(1.0, name="v").name == "v:0"


def test_with_name_scope_and_reentrant_module_scope():
    class Maker(tf.Module):
        @tf.Module.with_name_scope
        def make(self, name):
            return tf.Variable(0.0, name=name)

        @tf.Module.with_name_scope
        def nested(self):
            return self.make("deep")

    m = Maker(name="mk")
    assert m.make("v").name == "mk/v:0"
    assert m.nested().name == "mk/deep:0"  # a module's scope is absolute: no mk/mk/
    assert Maker.make.__name__ == "make"


def test_init_scope_pauses_every_tape():
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer, tf.GradientTape() as inner:
        with tf.init_scope():
            start = x * 10.0
        y = x * start
    assert float(inner.gradient(y, x)) == 20.0
    assert float(outer.gradient(y, x)) == 20.0
    with tf.init_scope():  # no tape: nothing to pause
        assert float(x * 1.0) == 2.0


def test_module_layers_from_the_guide_shape():
    class Dense(tf.Module):
        def __init__(self, in_features, out_features, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.ones([in_features, out_features]), name="w")
            self.b = tf.Variable(tf.zeros([out_features]), name="b")

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)

    class Seq(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.dense_1 = Dense(3, 3)
            self.dense_2 = Dense(3, 2)

        def __call__(self, x):
            return self.dense_2(self.dense_1(x))

    model = Seq(name="the_model")
    out = model(tf.constant([[2.0, 2.0, 2.0]]))
    np.testing.assert_array_equal(out.numpy(), [[18.0, 18.0]])
    assert [m.name for m in model.submodules] == ["dense", "dense"]
    assert [v.name for v in model.trainable_variables] == ["b:0", "w:0", "b:0", "w:0"]
    assert [v.shape for v in model.variables] == [(3,), (3, 3), (2,), (3, 2)]


def test_same_names_and_order_as_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    real = pytest.importorskip("tensorflow")

    def build(lib):
        class Inner(lib.Module):
            def __init__(self):
                super().__init__()
                self.k = lib.Variable(1.0, name="k")

        class Model(lib.Module):
            def __init__(self):
                super().__init__(name="my_model")
                with self.name_scope:
                    self.layers = [Inner(), Inner()]
                    self.table = {"y": lib.Variable(2.0), "x": (lib.Variable(3.0, name="t"),)}
                self.bias = lib.Variable(4.0, trainable=False, name="bias")

            @lib.Module.with_name_scope
            def grow(self):
                self.extra = lib.Variable(5.0, name="extra")

        m = Model()
        m.grow()
        with lib.name_scope("outer"), lib.name_scope("inner"):
            loose = lib.Variable(0.0, name="loose")
        return ([(v.name, float(v.numpy())) for v in m.variables],
                [s.name_scope.name for s in m.submodules], loose.name,
                [float(v.numpy()) for v in m.non_trainable_variables])

    assert build(tf) == build(real)


def test_modules_checkpoints_and_datasets_load_on_first_use():
    import subprocess
    import sys
    code = ("import sys, tapegrad as tf; lazy = ('tapegrad.module', 'tapegrad.train', "
            "'tapegrad.data'); print([m in sys.modules for m in lazy], tf.Module.__module__, "
            "type(tf.data.Dataset.range(1)).__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, check=True)
    assert out.stdout.split() == ["[False,", "False,", "False]", "tapegrad.module",
                                  "tapegrad.data.dataset"]
