"""Metrics of probabilities and of regression: perplexity, cross-entropy, negative
log-likelihood, MAE/MSE/RMSE, Pearson's correlation, and the mean of given losses."""

from __future__ import annotations

import math
from typing import Any

import numpy as _numpy

from tracegrad.metric.base import EvalMetric, _host, alias, check_label_shapes, register
from tracegrad.ndarray import NDArray


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
