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
differences are listed in docs/gluon.md.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from tracegrad.ndarray import NDArray

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "PCC", "Loss", "Torch", "Caffe", "CustomMetric", "np",
           "create", "register", "alias", "check_label_shapes"]

_numpy = np  # the module keeps MXNet's name ``np`` for the function below


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False,
                       shape: bool = False) -> tuple[Any, Any]:
    """Raise ValueError unless ``labels`` and ``preds`` have the same length (or, with
    ``shape=True``, the same shape); with ``wrap=True`` a single NDArray becomes a list."""
    got = (labels.shape, preds.shape) if shape else (len(labels), len(preds))
    if got[0] != got[1]:
        raise ValueError(f"Shape of labels {got[0]} does not match shape of predictions "
                         f"{got[1]}")
    if wrap:
        labels = [labels] if isinstance(labels, NDArray) else labels
        preds = [preds] if isinstance(preds, NDArray) else preds
    return labels, preds


def _host(x: Any) -> Any:
    """A label or prediction as a NumPy array (NumPy arrays are taken as they are)."""
    return x.asnumpy() if isinstance(x, NDArray) else _numpy.asarray(x)


class EvalMetric:
    """Base class of metrics: ``update`` adds to ``sum_metric`` and ``num_inst`` (and their
    ``global_`` twins); ``get`` is their quotient, NaN before any update."""

    def __init__(self, name: str, output_names: list[str] | None = None,
                 label_names: list[str] | None = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs  # the constructor's own arguments, for get_config()
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict:
        """The arguments that ``create(**config)`` rebuilds this metric from."""
        return {**self._kwargs, "metric": type(self).__name__, "name": self.name,
                "output_names": self.output_names, "label_names": self.label_names}

    def update_dict(self, label: dict, pred: dict) -> None:
        """``update`` with the arrays named by ``label_names``/``output_names`` (all when
        None) of name -> NDArray mappings."""
        preds = [pred[n] for n in self.output_names] if self.output_names is not None \
            else list(pred.values())
        labels = [label[n] for n in self.label_names] if self.label_names is not None \
            else list(label.values())
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    def _add(self, total: float, count: float) -> None:
        total = float(total)  # float64 sums, whatever NumPy scalar the batch gave
        self.sum_metric += total
        self.global_sum_metric += total
        self.num_inst += count
        self.global_num_inst += count

    def reset(self) -> None:
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> tuple[Any, Any]:
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, self.sum_metric / self.num_inst

    def get_global(self) -> tuple[Any, Any]:
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, self.global_sum_metric / self.global_num_inst

    def get_name_value(self) -> list[tuple[str, Any]]:
        return _pairs(self.get())

    def get_global_name_value(self) -> list[tuple[str, Any]]:
        return _pairs(self.get_global() if self._has_global_stats else self.get())


def _pairs(name_value: tuple[Any, Any]) -> list[tuple[str, Any]]:
    name, value = name_value
    return list(zip(name if isinstance(name, list) else [name],
                    value if isinstance(value, list) else [value]))


_REGISTRY: dict[str, type] = {}


def register(klass: type, name: str | None = None) -> type:
    """Register an EvalMetric subclass under ``name`` (its lower-case class name)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError(f"metric.register takes EvalMetric subclasses, got {klass!r}")
    _REGISTRY[(name or klass.__name__).lower()] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Register a metric class under more names: ``@alias('acc')``."""
    def reg(klass: type) -> type:
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name (``'acc'``, ``'f1'``...; extra arguments go to its
    constructor) or class, an instance (returned as it is), a config dict (``get_config()``), a list
    of any of these (a CompositeEvalMetric), or a function ``feval(label, pred)`` of NumPy
    arrays (a CustomMetric)."""
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise ValueError("metric.create: an EvalMetric instance takes no further "
                             "arguments")
        return metric
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        return create(**{**metric, **kwargs})
    if not isinstance(metric, str):
        raise TypeError(f"metric.create: cannot make a metric from {metric!r} "
                        f"({type(metric).__name__}); give a name, an EvalMetric, a list or "
                        "a function")
    klass = _REGISTRY.get(metric.lower())
    if klass is None:
        raise ValueError(f"metric {metric!r} is not registered; known: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return klass(*args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get`` returns the lists of their names and
    values."""

    def __init__(self, metrics: list | None = None, name: str = "composite",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        self.metrics: list[EvalMetric] = []
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in metrics or []]

    def add(self, metric: Any) -> None:
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        try:
            return self.metrics[index]
        except IndexError:
            raise ValueError(f"Metric index {index} is out of range 0 and "
                             f"{len(self.metrics)}") from None

    def update_dict(self, labels: dict, preds: dict) -> None:
        if self.label_names is not None:
            labels = OrderedDict((k, v) for k, v in labels.items() if k in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict((k, v) for k, v in preds.items() if k in self.output_names)
        for m in self.metrics:
            m.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for m in self.metrics:
            m.update(labels, preds)

    def reset(self) -> None:
        for m in getattr(self, "metrics", []):
            m.reset()

    def reset_local(self) -> None:
        for m in self.metrics:
            m.reset_local()

    def _collect(self, get: Callable[[EvalMetric], tuple[Any, Any]]) -> tuple[list, list]:
        names: list = []
        values: list = []
        for m in self.metrics:
            name, value = get(m)
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> tuple[list, list]:
        return self._collect(lambda m: m.get())

    def get_global(self) -> tuple[list, list]:
        return self._collect(lambda m: m.get_global())

    def get_config(self) -> dict:
        return {**super().get_config(), "metrics": [m.get_config() for m in self.metrics]}


# -- classification -------------------------------------------------------------------------

@register
@alias("acc")
class Accuracy(EvalMetric):
    """The fraction of predictions equal to the label; predictions of another shape than
    the labels are class scores, reduced by argmax along ``axis``."""

    def __init__(self, axis: int = 1, name: str = "accuracy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, axis=axis, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            p = _host(pred)
            y = _host(label)
            if p.shape != y.shape:
                p = p.argmax(axis=self.axis)
            p, y = p.astype("int32").ravel(), y.astype("int32").ravel()
            check_label_shapes(y, p)
            self._add(int((p == y).sum()), len(p))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """The fraction of labels among the ``top_k`` highest scores (``top_k`` > 1)."""

    def __init__(self, top_k: int = 1, name: str = "top_k_accuracy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        if top_k <= 1:
            raise ValueError(f"TopKAccuracy needs top_k > 1 (got {top_k}); use Accuracy "
                             "for the top prediction")
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        self.name += f"_{top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            scores = _host(pred).astype("float32")
            if scores.ndim > 2:
                raise ValueError(f"TopKAccuracy: predictions must have at most 2 dimensions, "
                                 f"got shape {scores.shape}")
            # the top_k columns of each row, in no particular order
            ranked = _numpy.argpartition(scores, -self.top_k)
            y = _host(label).astype("int32")
            check_label_shapes(y, ranked)
            if ranked.ndim == 1:  # as MXNet: positions against labels, local figures only
                self.sum_metric += float((ranked.ravel() == y.ravel()).sum())
            else:
                classes = ranked.shape[1]
                hits = sum(int((ranked[:, classes - 1 - j] == y.ravel()).sum())
                           for j in range(min(classes, self.top_k)))
                self.sum_metric += float(hits)
                self.global_sum_metric += float(hits)
            self.num_inst += ranked.shape[0]
            self.global_num_inst += ranked.shape[0]


class _BinaryCounts:
    """True/false positives/negatives of a binary classifier (class 1 is positive), local and
    since the last full reset."""

    FIELDS = ("tp", "fp", "fn", "tn")

    def __init__(self) -> None:
        self.local = dict.fromkeys(self.FIELDS, 0)
        self.total = dict.fromkeys(self.FIELDS, 0)

    def update(self, label: Any, pred: Any, metric: str) -> None:
        scores = _host(pred)
        y = _host(label).astype("int32")
        check_label_shapes(y, scores)
        if len(_numpy.unique(y)) > 2:
            raise ValueError(f"{metric} currently only supports binary classification.")
        predicted = scores.argmax(axis=1) == 1
        actual = y == 1
        counts = {"tp": predicted & actual, "fp": predicted & ~actual,
                  "fn": ~predicted & actual, "tn": ~predicted & ~actual}
        for k, v in counts.items():
            n = int(v.sum())
            self.local[k] += n
            self.total[k] += n

    def reset(self, local_only: bool = False) -> None:
        self.local = dict.fromkeys(self.FIELDS, 0)
        if not local_only:
            self.total = dict.fromkeys(self.FIELDS, 0)

    @staticmethod
    def examples(c: dict) -> int:
        return c["tp"] + c["fp"] + c["fn"] + c["tn"]

    @staticmethod
    def fscore(c: dict) -> float:
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @staticmethod
    def matthews(c: dict) -> float:
        if not _BinaryCounts.examples(c):
            return 0.0
        tp, fp, fn, tn = (float(c[k]) for k in _BinaryCounts.FIELDS)
        # a zero margin leaves the denominator (MXNet's convention: the product of the others)
        denom = math.prod(t for t in (tp + fp, tp + fn, tn + fp, tn + fn) if t != 0.0)
        return (tp * tn - fp * fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: per batch and averaged over batches (``average='macro'``), or over every
    example seen (``'micro'``)."""

    def __init__(self, name: str, output_names: list[str] | None,
                 label_names: list[str] | None, average: str) -> None:
        self.average = average
        self._counts = _BinaryCounts()
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, counts: dict) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        c = self._counts
        for label, pred in zip(labels, preds):
            c.update(label, pred, type(self).__name__)
        if self.average == "macro":
            self._add(self._score(c.local), 1)
            self.global_sum_metric += self._score(c.total) - self._score(c.local)
            c.reset()
        else:
            self.sum_metric = float(self._score(c.local) * c.examples(c.local))
            self.global_sum_metric = float(self._score(c.total) * c.examples(c.total))
            self.num_inst = c.examples(c.local)
            self.global_num_inst = c.examples(c.total)

    def reset(self) -> None:
        super().reset()
        self._counts.reset()

    def reset_local(self) -> None:
        super().reset_local()
        self._counts.reset(local_only=True)


@register
class F1(_BinaryMetric):
    """The F1 score of a binary classifier (predictions are two-column scores)."""

    def __init__(self, name: str = "f1", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts: dict) -> float:
        return _BinaryCounts.fscore(counts)


@register
class MCC(_BinaryMetric):
    """The Matthews correlation coefficient of a binary classifier."""

    def __init__(self, name: str = "mcc", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts: dict) -> float:
        return _BinaryCounts.matthews(counts)


@register
class PCC(EvalMetric):
    """The multiclass Matthews correlation (Pearson's, on the confusion matrix), grown as
    larger class numbers appear."""

    def __init__(self, name: str = "pcc", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, has_global_stats: bool = True) -> None:
        self.k = 2
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, more: int) -> None:
        pad = ((0, more), (0, more))
        self.lcm = _numpy.pad(self.lcm, pad)
        self.gcm = _numpy.pad(self.gcm, pad)
        self.k += more

    @staticmethod
    def _mcc(cm: Any) -> float:
        n, rows, cols = cm.sum(), cm.sum(axis=1), cm.sum(axis=0)
        var_rows, var_cols = _numpy.sum(rows * (n - rows)), _numpy.sum(cols * (n - cols))
        if var_rows == 0 or var_cols == 0:
            return float("nan")
        cov = _numpy.sum(cm.diagonal() * n - rows * cols)
        return cov / (var_rows * var_cols) ** 0.5

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            y = _host(label).astype("int32")
            p = _host(pred)
            p = p.argmax(axis=1) if p.shape != y.shape else p.astype("int32")
            top = max(p.max(), y.max())
            if top >= self.k:
                self._grow(int(top) + 1 - self.k)
            cm = _numpy.zeros((self.k, self.k))
            _numpy.add.at(cm, (p, y), 1)
            self.lcm += cm
            self.gcm += cm
        self.num_inst += 1
        self.global_num_inst += 1

    # the sums are derived from the confusion matrices: setting them is ignored
    sum_metric = property(lambda self: self._mcc(self.lcm) * self.num_inst,
                          lambda self, _value: None)
    global_sum_metric = property(lambda self: self._mcc(self.gcm) * self.global_num_inst,
                                 lambda self, _value: None)

    def reset(self) -> None:
        self.global_num_inst = 0.0
        self.gcm = _numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        self.num_inst = 0.0
        self.lcm = _numpy.zeros((self.k, self.k))


# -- probabilities ----------------------------------------------------------------------------

@register
class Perplexity(EvalMetric):
    """exp of the mean negative log-probability of the labels; labels equal to
    ``ignore_label`` are left out."""

    def __init__(self, ignore_label: int | None, axis: int = -1, name: str = "perplexity",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        if len(labels) != len(preds):
            raise ValueError(f"Perplexity: {len(labels)} labels for {len(preds)} predictions")
        loss, count = 0.0, 0
        for label, pred in zip(labels, preds):
            p = _host(pred)
            y = _host(label).reshape(-1)
            if y.size * p.shape[-1] != p.size:
                raise ValueError(f"Perplexity: shape mismatch: labels {label.shape} vs. "
                                 f"predictions {pred.shape}")
            idx = _numpy.expand_dims(y.astype("int64").reshape(
                _numpy.delete(p.shape, self.axis % p.ndim)), self.axis)
            picked = _numpy.take_along_axis(p, _numpy.clip(idx, 0, p.shape[self.axis] - 1),
                                            self.axis).reshape(-1)
            if self.ignore_label is not None:
                ignored = y == self.ignore_label
                count -= int(ignored.sum())
                picked = _numpy.where(ignored, _numpy.ones_like(picked), picked)
            loss -= float(_numpy.log(_numpy.maximum(picked.dtype.type(1e-10), picked)).sum())
            count += picked.size
        self._add(loss, count)

    def get(self) -> tuple[str, float]:
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, math.exp(self.sum_metric / self.num_inst)

    def get_global(self) -> tuple[str, float]:
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, math.exp(self.global_sum_metric / self.global_num_inst)


class _LogLoss(EvalMetric):
    """Summed -log(probability of the label + eps), per example."""

    def __init__(self, eps: float, name: str, output_names: list[str] | None,
                 label_names: list[str] | None) -> None:
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            y = _host(label).ravel()
            p = _host(pred)
            if y.shape[0] != p.shape[0]:
                raise ValueError(f"{type(self).__name__}: {y.shape[0]} labels for "
                                 f"{p.shape[0]} predictions")
            prob = p[_numpy.arange(y.shape[0]), y.astype("int64")]
            self._add(float((-_numpy.log(prob + self.eps)).sum()), y.shape[0])


@register
@alias("ce")
class CrossEntropy(_LogLoss):
    """Mean cross-entropy of class probabilities against integer labels."""

    def __init__(self, eps: float = 1e-12, name: str = "cross-entropy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LogLoss):
    """Mean negative log-likelihood of the labels under the predicted probabilities."""

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)


# -- regression -------------------------------------------------------------------------------

class _PairwiseError(EvalMetric):
    """The mean over batches of an error of (label, prediction) arrays, 1-D ones taken as
    columns."""

    def __init__(self, name: str, output_names: list[str] | None,
                 label_names: list[str] | None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _error(diff: Any) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            y, p = _host(label), _host(pred)
            y = y.reshape(y.shape[0], 1) if y.ndim == 1 else y
            p = p.reshape(p.shape[0], 1) if p.ndim == 1 else p
            self._add(self._error(y - p), 1)


@register
class MAE(_PairwiseError):
    """Mean absolute error."""

    def __init__(self, name: str = "mae", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: Any) -> float:
        return _numpy.abs(diff).mean()


@register
class MSE(_PairwiseError):
    """Mean squared error."""

    def __init__(self, name: str = "mse", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: Any) -> float:
        return (diff ** 2.0).mean()


@register
class RMSE(_PairwiseError):
    """Root mean squared error (per batch, then averaged)."""

    def __init__(self, name: str = "rmse", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: Any) -> float:
        return _numpy.sqrt((diff ** 2.0).mean())


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson's correlation of predictions and labels: per batch and averaged
    (``average='macro'``), or of everything seen (``'micro'``, updated as it streams)."""

    def __init__(self, name: str = "pearsonr", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def reset(self) -> None:
        super().reset()
        # micro: counts, running means and sums of squared deviations, co-deviation
        self._n = 0
        self._mean_l = self._mean_p = 0.0
        self._ss_l = self._ss_p = self._co = 0.0

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            y = _host(label).ravel().astype("float64")
            p = _host(pred).ravel().astype("float64")
            if self.average == "macro":
                self._add(_numpy.corrcoef(p, y)[0, 1], 1)
                continue
            self.num_inst += 1
            self.global_num_inst += 1
            n = self._n + len(y)
            # the co-deviation uses the label mean after this batch, the prediction mean
            # before it (MXNet's order of updates; exact once both means settle)
            mean_l = self._mean_l + _numpy.sum((y - self._mean_l) / n)
            self._ss_l += _numpy.sum((y - self._mean_l) * (y - mean_l))
            self._co += _numpy.sum((y - mean_l) * (p - self._mean_p))
            mean_p = self._mean_p + _numpy.sum((p - self._mean_p) / n)
            self._ss_p += _numpy.sum((p - self._mean_p) * (p - mean_p))
            self._n, self._mean_l, self._mean_p = n, mean_l, mean_p

    def get(self) -> tuple[str, float]:
        if self.num_inst == 0:
            return self.name, float("nan")
        if self.average == "macro":
            return self.name, self.sum_metric / self.num_inst
        n = self._n
        return self.name, self._co / ((n - 1) * _numpy.sqrt(self._ss_p / (n - 1))
                                      * _numpy.sqrt(self._ss_l / (n - 1)))


# -- losses and custom functions --------------------------------------------------------------

@register
class Loss(EvalMetric):
    """The mean of the predictions themselves (losses computed elsewhere); labels unused."""

    def __init__(self, name: str = "loss", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _labels: Any, preds: Any) -> None:
        for pred in [preds] if isinstance(preds, NDArray) else preds:
            p = _host(pred)
            self._add(float(p.sum()), p.size)


@register
class Torch(Loss):
    """:class:`Loss` under the name MXNet's Torch plugin used."""

    def __init__(self, name: str = "torch", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)


@register
class Caffe(Loss):
    """:class:`Loss` under the name MXNet's Caffe plugin used."""

    def __init__(self, name: str = "caffe", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning a value (averaged over
    calls) or a ``(sum, count)`` pair."""

    def __init__(self, feval: Callable, name: str | None = None,
                 allow_extra_outputs: bool = False, output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            value = self._feval(_host(label), _host(pred))
            if isinstance(value, tuple):
                self._add(*value)
            else:
                self._add(value, 1)

    def get_config(self) -> dict:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable, name: str | None = None,  # noqa: A001  (MXNet's name)
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A :class:`CustomMetric` from a function of NumPy arrays (``mx.metric.np``)."""
    def feval(label: Any, pred: Any) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
