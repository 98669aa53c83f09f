"""Blocks and parameters: names and scopes, registration, hooks, deferred initialisation,
grad_req, sharing, casting, save/load, initializers, and what hybridize() compiles."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracegrad
from tracegrad import autograd, gluon, init, nd
from tracegrad.errors import FallbackWarning
from tracegrad.gluon import nn


def test_names_follow_mxnet():
    with nn.HybridSequential(prefix="net_").name_scope() as scope:
        inner = nn.Dense(2)
    assert inner.prefix == "net_dense0_"
    assert scope._block.prefix == "net_"
    net = nn.HybridSequential(prefix="m_")
    with net.name_scope():
        net.add(nn.Dense(3, activation="relu"), nn.Dense(3), nn.BatchNorm())
    assert list(net.collect_params().keys()) == [
        "m_dense0_weight", "m_dense0_bias", "m_dense1_weight", "m_dense1_bias",
        "m_batchnorm0_gamma", "m_batchnorm0_beta", "m_batchnorm0_running_mean",
        "m_batchnorm0_running_var"]
    assert net[0].act.prefix == "m_dense0_relu_"
    assert list(net.collect_params(".*weight").keys()) == ["m_dense0_weight",
                                                           "m_dense1_weight"]
    a, b = nn.Dense(1), nn.Dense(1)  # process-wide counters outside any scope
    assert int(b.name[len("dense"):]) == int(a.name[len("dense"):]) + 1


def test_shared_params_and_empty_prefix():
    d0 = nn.Dense(4, in_units=3, prefix="shared_")
    d1 = nn.Dense(4, in_units=3, params=d0.collect_params())
    assert d1.weight is d0.weight and d1.prefix != d0.prefix
    d0.initialize()
    x = nd.ones((2, 3))
    np.testing.assert_array_equal(d0(x).asnumpy(), d1(x).asnumpy())
    blank = nn.Dense(2, prefix="")
    assert blank.weight.name == "weight"


def test_registration_hooks_and_errors():
    class Net(gluon.Block):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.fc = nn.Dense(2, in_units=2)
                self.w = self.params.get("w", shape=(2,), init="ones")

        def forward(self, x):
            return self.fc(x) * self.w.data()

    net = Net(prefix="n_")
    assert list(net._children) == ["fc"]
    assert list(net.collect_params().keys()) == ["n_w", "n_dense0_weight", "n_dense0_bias"]
    net.initialize()
    seen = []
    pre = net.register_forward_pre_hook(lambda b, inputs: seen.append(("pre", len(inputs))))
    post = net.register_forward_hook(lambda b, inputs, out: seen.append(("post", out.shape)))
    net(nd.ones((3, 2)))
    pre.detach()
    post.detach()
    net(nd.ones((3, 2)))
    assert seen == [("pre", 1), ("post", (3, 2))]
    with pytest.raises(TypeError, match="Changing attribute type for fc"):
        net.fc = 3
    with pytest.raises(ValueError, match="Children of HybridBlock must also be HybridBlock"):
        nn.HybridSequential().add(net)
    net.register_child(nn.Dense(1), "extra")
    assert list(net._children) == ["fc", "extra"]
    with pytest.warns(UserWarning, match="unregistered container with Blocks"):
        net.layers = [nn.Dense(1)]
        net.collect_params()


def test_deferred_initialisation():
    net = nn.Dense(3)
    net.initialize()
    with pytest.raises(gluon.DeferredInitializationError, match="has not been initialized yet "
                       "because initialization was deferred"):
        net.weight.data()
    assert repr(net) == "Dense(None -> 3, linear)"
    net(nd.ones((2, 7)))
    assert net.weight.shape == (3, 7) and repr(net) == "Dense(7 -> 3, linear)"
    lonely = gluon.Parameter("lonely", shape=(2,))
    with pytest.raises(RuntimeError, match="Parameter 'lonely' has not been initialized"):
        lonely.data()
    with pytest.raises(ValueError, match="invalid shape"):
        gluon.Parameter("bad", shape=(0, 2)).initialize()


def test_parameter_api():
    p = gluon.Parameter("p", shape=(2, 3), init=init.Constant(2.0), lr_mult=0.5)
    p.initialize()
    assert p.list_data()[0] is p.data() and p.list_grad()[0] is p.grad()
    assert p.list_ctx() == [tracegrad.cpu()] and p.lr_mult == 0.5 and p.wd_mult == 1.0
    with autograd.record():
        y = (p.data() * 3).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), np.full((2, 3), 3.0))
    p.grad_req = "add"
    for _ in range(2):
        with autograd.record():
            y = (p.data() * 3).sum()
        y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), np.full((2, 3), 6.0))
    p.zero_grad()
    assert not p.grad().asnumpy().any()
    p.grad_req = "null"
    with pytest.raises(RuntimeError, match="because grad_req='null'"):
        p.grad()
    p.set_data(nd.ones((2, 3)))
    assert p.data().asnumpy().sum() == 6
    p.cast("float64")
    assert p.data().dtype == np.float64 and p.dtype == "float64"
    with pytest.warns(UserWarning, match="is already initialized, ignoring"):
        p.initialize()
    c = gluon.Constant("c", [[1.0, 2.0]])
    c.initialize()
    assert c.grad_req == "null" and c.data().asnumpy().tolist() == [[1.0, 2.0]]


def test_dense_default_initialisation():
    """The global default is Uniform(0.07) for the weight; the bias starts at 0."""
    np.random.seed(1)
    d = nn.Dense(50, in_units=40)
    d.initialize()
    w = d.weight.data().asnumpy()
    assert np.abs(w).max() <= 0.07 and np.abs(w).max() > 0.06
    assert not d.bias.data().asnumpy().any()
    d2 = nn.Dense(50, in_units=40, weight_initializer=init.Normal(0.5))
    d2.initialize(init.Xavier())
    assert d2.weight.data().asnumpy().std() > 0.3  # its own initializer wins


@pytest.mark.parametrize("rnd,factor,mag", [("uniform", "avg", 3), ("uniform", "in", 2),
                                            ("gaussian", "out", 3)])
def test_xavier_scale(rnd, factor, mag):
    w = nd.zeros((200, 30, 2, 2))
    init.Xavier(rnd_type=rnd, factor_type=factor, magnitude=mag)(init.InitDesc("x_weight"), w)
    fan_in, fan_out = 30 * 4, 200 * 4
    n = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor]
    scale = np.sqrt(mag / n)
    a = w.asnumpy()
    if rnd == "uniform":
        assert np.abs(a).max() <= scale and np.abs(a).max() > 0.98 * scale
    else:
        assert abs(a.std() - scale) < 0.05 * scale
    with pytest.raises(ValueError, match="cannot be applied to vector"):
        init.Xavier()(init.InitDesc("v_weight"), nd.zeros(3))


def test_initializer_by_name_and_suffix():
    assert isinstance(init.create("zeros"), init.Zero)
    assert init.create('["normal", {"sigma": 0.5}]').sigma == 0.5
    g = nd.zeros(3)
    init.Uniform()(init.InitDesc("bn_gamma"), g)  # name suffixes decide outside Gluon
    assert g.asnumpy().tolist() == [1.0, 1.0, 1.0]


def test_save_and_load_parameters(tmp_path):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3))
    net.initialize()
    f = str(tmp_path / "net.params")
    net.save_parameters(f)
    assert sorted(nd.load(f)) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    other = nn.HybridSequential()
    with other.name_scope():
        other.add(nn.Dense(3), nn.Dense(1))
    other.load_parameters(f)  # also completes deferred initialisation
    x = nd.ones((2, 2))
    np.testing.assert_array_equal(net(x).asnumpy(), other(x).asnumpy())
    small = nn.HybridSequential()
    with small.name_scope():
        small.add(nn.Dense(3, in_units=2))
    with pytest.raises(ValueError, match="Parameter '1.weight' loaded from file .* is not "
                       "present in ParameterDict"):
        small.load_parameters(f)
    small.load_parameters(f, ignore_extra=True)
    with pytest.raises(AssertionError, match="Parameter '2.weight' is missing in file"):
        big = nn.HybridSequential()
        with big.name_scope():
            big.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3), nn.Dense(1, in_units=1))
        big.load_parameters(f)


def test_hybridize_compiles_once_per_shape():
    """A hybridized training step traces and compiles on the first step only."""
    np.random.seed(0)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu", in_units=4), nn.Dense(3, in_units=8))
    net.initialize()
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x, y = nd.array(np.random.randn(5, 4)), nd.array([0, 1, 2, 1, 0])
    info = []
    for _ in range(5):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(5)
        info.append(tracegrad.cache_info())
    for later in info[1:]:
        assert later["traces"] == info[0]["traces"]
        assert later["compiles"] == info[0]["compiles"]
    report = net.explain()
    assert "1 signature(s)" in report and "training" in report and "recorded" in report
    with autograd.record():
        loss = loss_fn(net(x), y)
    assert "call[" in str(autograd.get_graph(loss))  # one node per hybridized block
    net(nd.ones((2, 4)))  # a new shape (and predict mode): one more signature
    assert "2 signature(s)" in net.explain()
    if not tracegrad.config.disable_jit:  # the interpreter fuses nothing
        assert "fused" in str(net.lower(nd.ones((2, 4))).fused_ir)


def test_training_flag_is_part_of_the_signature(interpreter):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dropout(0.5))
    net.hybridize()
    x = nd.ones((200,))
    np.testing.assert_array_equal(net(x).asnumpy(), x.asnumpy())  # predict: identity
    with autograd.record():
        y = net(x).asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).sum() < 200
    np.testing.assert_array_equal(net(x).asnumpy(), x.asnumpy())
    assert "2 signature(s)" in net.explain()


def test_python_control_flow_falls_back(interpreter):
    class Branchy(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.w = self.params.get("w", shape=(3,), init="ones")

        def hybrid_forward(self, F, x, w):
            if x.sum() > 0:  # a Python branch on a value
                return x * w * 2
            return x * w

    b = Branchy()
    b.initialize()
    b.hybridize()
    x = nd.array([1.0, 2.0, 3.0])
    with pytest.warns(FallbackWarning):
        with autograd.record():
            y = b(x)
    y.backward()
    assert y.asnumpy().tolist() == [2.0, 4.0, 6.0]
    assert b.w.grad().asnumpy().tolist() == [2.0, 4.0, 6.0]
    assert "FALLBACK to eager" in b.explain()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert b(-x).asnumpy().tolist() == [-1.0, -2.0, -3.0]


def test_summary_and_repr(capsys):
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu", in_units=3))
    net.initialize()
    net.summary(nd.ones((2, 3)))
    text = capsys.readouterr().out
    assert "Dense-2" in text and "Total params: 16" in text
    assert repr(net) == "Sequential(\n  (0): Dense(3 -> 4, Activation(relu))\n)"
    net.hybridize()
    with pytest.raises(AssertionError, match="must not be hybridized to print summary"):
        net.summary(nd.ones((2, 3)))
