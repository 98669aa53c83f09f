"""Classification metrics: accuracy, top-k accuracy, F1, and the Matthews correlations of
binary (MCC) and multiclass (PCC) classifiers."""

from __future__ import annotations

import math
from typing import Any

import numpy as _numpy

from tracegrad.metric.base import EvalMetric, _host, alias, check_label_shapes, register


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
