"""Evaluation metrics, as ``mxnet.metric`` (MXNet 1.x): accuracy, F1, perplexity, errors.

A metric accumulates over ``update(labels, preds)`` calls (each a list of NDArrays, or one
NDArray) and reports ``get() -> (name, value)``: the mean of what it summed. ``reset()``
starts again; ``reset_local()`` starts the local figures again while ``get_global()`` keeps
counting since the last ``reset()``. ``create('acc')``, ``create(['acc', 'f1'])`` and
``create(callable)`` build metrics by name, as a composite, or from a NumPy function.

>>> from tracegrad import metric, nd
>>> acc = metric.Accuracy()
>>> acc.update([nd.array([0, 1, 1])], [nd.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
>>> acc.get()
('accuracy', 0.6666666666666666)

Each metric's arithmetic follows MXNet 1.9.1's (tests/gluon/cases.py compares them); the
differences are listed in docs/gluon.md. ``base`` holds the framework, ``classification``
and ``regression`` the metrics.
"""

from tracegrad.metric.base import (
    CompositeEvalMetric,
    CustomMetric,
    EvalMetric,
    alias,
    check_label_shapes,
    create,
    np,
    register,
)
from tracegrad.metric.classification import F1, MCC, PCC, Accuracy, TopKAccuracy
from tracegrad.metric.regression import (
    MAE,
    MSE,
    RMSE,
    Caffe,
    CrossEntropy,
    Loss,
    NegativeLogLikelihood,
    PearsonCorrelation,
    Perplexity,
    Torch,
)

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "PCC", "Loss", "Torch", "Caffe", "CustomMetric", "np",
           "create", "register", "alias", "check_label_shapes"]
