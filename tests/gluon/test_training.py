"""Trainer (stale gradients, learning rate, saved states), optimizers by name, losses'
numerical stability, and gluon.utils."""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad import autograd, gluon, nd, optimizer
from tracegrad.gluon import nn


def _net():
    net = nn.HybridSequential(prefix="t_")
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
    net.initialize()
    return net


def _step(net, trainer, layers=2):
    x = nd.array([[1.0, -1.0], [0.5, 2.0]])
    with autograd.record():
        y = x
        for i in range(layers):
            y = net[i](y)
        loss = (y * y).sum()
    loss.backward()
    trainer.step(2)


def test_stale_gradient_is_an_error_unless_ignored():
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    _step(net, trainer)
    with pytest.raises(UserWarning, match=r"Gradient of Parameter `t_dense0_bias` on context "
                       r"cpu\(0\) has not been updated by backward since last `step`"):
        trainer.step(2)  # no backward since the last step
    partial = gluon.nn.HybridSequential(prefix="t_")
    with partial.name_scope():
        partial.add(nn.Dense(3, in_units=2))
    net2 = _net()
    trainer2 = gluon.Trainer(net2.collect_params(), "sgd", {"learning_rate": 0.1})
    before = net2[1].weight.data().asnumpy()
    x = nd.ones((1, 2))
    with autograd.record():
        loss = net2[0](x).sum()  # the second layer is not used
    loss.backward()
    with pytest.raises(UserWarning, match="t_dense1_bias"):
        trainer2.step(1)
    with autograd.record():
        loss = net2[0](x).sum()
    loss.backward()
    trainer2.step(1, ignore_stale_grad=True)  # skips the unused layer
    np.testing.assert_array_equal(net2[1].weight.data().asnumpy(), before)


def test_learning_rate_and_states(tmp_path):
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    assert trainer.learning_rate == 0.01
    trainer.set_learning_rate(0.02)
    assert trainer.learning_rate == 0.02 and trainer.optimizer.lr == 0.02
    _step(net, trainer)
    f = str(tmp_path / "trainer.states")
    trainer.save_states(f)
    saved = [p.data().asnumpy() for p in net.collect_params().values()]
    _step(net, trainer)
    after_one = [p.data().asnumpy() for p in net.collect_params().values()]
    for p, v in zip(net.collect_params().values(), saved):
        p.set_data(nd.array(v))
    trainer.load_states(f)
    _step(net, trainer)
    for p, v in zip(net.collect_params().values(), after_one):
        np.testing.assert_array_equal(p.data().asnumpy(), v)
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been"):
        sched = gluon.Trainer(net.collect_params(), "sgd", {
            "lr_scheduler": __import__("tracegrad").lr_scheduler.FactorScheduler(2)})
        sched.set_learning_rate(0.1)


def test_trainer_arguments():
    net = _net()
    with pytest.raises(ValueError, match="First argument must be a list or dict of Parameters"):
        gluon.Trainer(3, "sgd")
    with pytest.raises(ValueError, match="Cannot find optimizer nope"):
        gluon.Trainer(net.collect_params(), "nope")
    sgd = optimizer.SGD(learning_rate=0.3)
    trainer = gluon.Trainer(list(net.collect_params().values()), sgd)
    assert trainer.optimizer is sgd and trainer.learning_rate == 0.3
    with pytest.raises(RuntimeError, match="has not been initialized"):
        gluon.Trainer([gluon.Parameter("never", shape=(1,))], "sgd")


@pytest.mark.parametrize("name", ["sgd", "nag", "adam", "rmsprop", "adagrad", "adadelta"])
def test_optimizers_by_name_reduce_a_quadratic(name):
    p = gluon.Parameter("q", shape=(3,), init="ones")
    p.initialize()
    lr = {"adadelta": 1.0, "adam": 0.1, "rmsprop": 0.05}.get(name, 0.1)
    kwargs = {} if name == "adadelta" else {"learning_rate": lr}
    trainer = gluon.Trainer([p], name, kwargs)
    for _ in range(20):
        with autograd.record():
            loss = (p.data() * p.data()).sum()
        loss.backward()
        trainer.step(1)
    assert float((p.data() * p.data()).sum().asscalar()) < 3.0


def test_sigmoid_bce_is_stable_for_large_logits():
    loss = gluon.loss.SigmoidBCELoss()
    pred = nd.array([[100.0, -100.0, 80.0]])
    label = nd.array([[0.0, 1.0, 1.0]])
    pred.attach_grad()
    with autograd.record():
        out = loss(pred, label)
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), [200.0 / 3], rtol=1e-6)
    assert np.isfinite(pred.grad.asnumpy()).all()
    np.testing.assert_allclose(pred.grad.asnumpy(), [[1 / 3, -1 / 3, 0.0]], atol=1e-6)


def test_split_and_load_and_clip_global_norm():
    from tracegrad import cpu

    x = nd.arange(12).reshape((6, 2))
    assert gluon.utils.split_and_load(x, [cpu()])[0] is x
    parts = gluon.utils.split_and_load(x, [cpu(0), cpu(1)])
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    cols = gluon.utils.split_data(x, 2, batch_axis=1)
    assert [c.asnumpy().ravel().tolist() for c in cols] == [
        [0.0, 2.0, 4.0, 6.0, 8.0, 10.0], [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]]
    with pytest.raises(ValueError, match="cannot be evenly split"):
        gluon.utils.split_data(x, 4)
    a, b = nd.array([3.0, 0.0]), nd.array([[0.0], [4.0]])
    total = gluon.utils.clip_global_norm([a, b], 2.5)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(a.asnumpy(), [1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), [[0.0], [2.0]], rtol=1e-6)
    c = nd.array([0.1])
    assert gluon.utils.clip_global_norm([c], 1.0) == pytest.approx(0.1)
    assert c.asnumpy().tolist() == pytest.approx([0.1])
