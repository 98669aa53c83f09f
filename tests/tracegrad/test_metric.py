"""tracegrad.metric (mx.metric): the API around the metrics and its errors. Their numbers
are compared with MXNet 1.9.1's in tests/gluon (the "metrics" case)."""

from collections import OrderedDict

import numpy as np
import pytest

from tracegrad import metric, nd


def _data(seed=0, n=16, classes=3):
    rng = np.random.default_rng(seed)
    probs = rng.uniform(size=(n, classes)).astype(np.float32)
    labels = rng.integers(0, classes, n).astype(np.float32)
    return labels, probs


def test_accuracy_counts_argmax_hits_over_updates():
    labels, probs = _data()
    acc = metric.create("acc")
    for lo, hi in ((0, 10), (10, 16)):
        acc.update([nd.array(labels[lo:hi])], [nd.array(probs[lo:hi])])
    assert acc.get() == ("accuracy", float((probs.argmax(1) == labels).mean()))
    acc.reset()
    assert acc.num_inst == 0 and np.isnan(acc.get()[1])


def test_numpy_arrays_are_accepted_too():
    labels, probs = _data(1)
    a, b = metric.Accuracy(), metric.Accuracy()
    a.update([labels], [probs])
    b.update([nd.array(labels)], [nd.array(probs)])
    assert a.get() == b.get()


def test_create_by_name_class_instance_config_list_and_function():
    acc = metric.Accuracy(axis=0, name="a")
    assert metric.create(acc) is acc
    assert isinstance(metric.create(metric.MAE), metric.MAE)
    again = metric.create(acc.get_config())
    assert isinstance(again, metric.Accuracy) and again.axis == 0 and again.name == "a"
    comp = metric.create(["acc", "rmse"])
    assert isinstance(comp, metric.CompositeEvalMetric)
    assert [m.name for m in comp.metrics] == ["accuracy", "rmse"]
    custom = metric.create(lambda label, pred: 1.0)
    assert isinstance(custom, metric.CustomMetric) and custom.name == "custom(<lambda>)"
    assert isinstance(metric.create("top_k_acc", top_k=2), metric.TopKAccuracy)


def test_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="'nope' is not registered; known: .*acc"):
        metric.create("nope")
    with pytest.raises(ValueError, match="instance takes no further arguments"):
        metric.create(metric.Accuracy(), axis=0)
    with pytest.raises(TypeError, match="cannot make a metric from 3"):
        metric.create(3)
    with pytest.raises(ValueError, match="top_k > 1"):
        metric.TopKAccuracy(top_k=1)
    with pytest.raises(ValueError, match="Shape of labels 2 does not match shape of "
                                         "predictions 1"):
        metric.Accuracy().update([nd.ones(3), nd.ones(3)], [nd.ones(3)])
    with pytest.raises(ValueError, match="only supports binary classification"):
        metric.F1().update([nd.array([0, 1, 2])], [nd.ones((3, 2))])
    with pytest.raises(ValueError, match="shape mismatch"):
        metric.Perplexity(None).update([nd.ones(4)], [nd.ones((3, 2))])
    with pytest.raises(NotImplementedError, match="cannot be serialized"):
        metric.np(lambda label, pred: 0.0).get_config()
    with pytest.raises(ValueError, match="index 5 is out of range"):
        metric.create(["acc"]).get_metric(5)
    with pytest.raises(TypeError, match="EvalMetric subclasses"):
        metric.register(dict)


def test_update_dict_picks_the_named_arrays():
    labels, probs = _data(2)
    acc = metric.Accuracy(output_names=["out"], label_names=["y"])
    acc.update_dict(OrderedDict(y=nd.array(labels), other=nd.zeros(16)),
                    OrderedDict(junk=nd.zeros((16, 3)), out=nd.array(probs)))
    assert acc.get()[1] == float((probs.argmax(1) == labels).mean())
    comp = metric.CompositeEvalMetric(["acc"], label_names=["y"], output_names=["out"])
    comp.update_dict(OrderedDict(y=nd.array(labels), other=nd.zeros(16)),
                     OrderedDict(junk=nd.zeros((16, 3)), out=nd.array(probs)))
    assert comp.get() == (["accuracy"], [acc.get()[1]])


def test_local_and_global_figures():
    labels, probs = _data(3)
    mse = metric.MSE()
    mse.update([nd.array(labels)], [nd.array(probs[:, 0])])
    first = mse.get()[1]
    mse.reset_local()
    mse.update([nd.array(labels)], [nd.array(probs[:, 1])])
    second = mse.get()[1]
    assert second == pytest.approx(float(((labels - probs[:, 1]) ** 2).mean()))
    assert mse.get_global()[1] == pytest.approx((first + second) / 2)
    assert mse.get_global_name_value() == [("mse", mse.get_global()[1])]


def test_regression_metrics_against_numpy():
    rng = np.random.default_rng(4)
    y, p = rng.normal(size=50), rng.normal(size=50)
    for name, ref in (("mae", np.abs(y - p).mean()), ("mse", ((y - p) ** 2).mean()),
                      ("rmse", np.sqrt(((y - p) ** 2).mean()))):
        m = metric.create(name)
        m.update([nd.array(y, dtype="float64")], [nd.array(p, dtype="float64")])
        assert m.get()[1] == pytest.approx(ref, rel=1e-12)
    r = metric.PearsonCorrelation(average="micro")
    for lo, hi in ((0, 20), (20, 50)):  # streamed: the correlation of all 50
        r.update([nd.array(y[lo:hi], dtype="float64")], [nd.array(p[lo:hi], dtype="float64")])
    assert r.get()[1] == pytest.approx(np.corrcoef(y, p)[0, 1], rel=0.05)


def test_cross_entropy_and_perplexity_against_numpy():
    labels, probs = _data(5)
    probs /= probs.sum(axis=1, keepdims=True)
    picked = probs[np.arange(16), labels.astype(int)].astype(np.float64)
    ce = metric.CrossEntropy(eps=0.0)
    ce.update([nd.array(labels)], [nd.array(probs)])
    assert ce.get()[1] == pytest.approx(-np.log(picked).mean(), rel=1e-6)
    perp = metric.Perplexity(ignore_label=None)
    perp.update([nd.array(labels)], [nd.array(probs)])
    assert perp.get()[1] == pytest.approx(np.exp(-np.log(picked).mean()), rel=1e-6)
