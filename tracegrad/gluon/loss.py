"""Losses of ``gluon.loss``: each returns one value per sample (the mean over every axis
but ``batch_axis``), optionally weighted by a number (``weight``) and per-sample
(``sample_weight``, broadcast against the element-wise loss).

>>> from tracegrad import nd
>>> from tracegrad.gluon import loss
>>> loss.L2Loss()(nd.array([[1.0, 2.0]]), nd.array([[0.0, 0.0]])).asnumpy().tolist()
[1.25]
>>> l = loss.SoftmaxCrossEntropyLoss()(nd.array([[0.0, 0.0]]), nd.array([1]))
>>> round(float(l.asscalar()), 6)
0.693147
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.gluon.block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss", "CTCLoss", "TripletLoss", "PoissonNLLLoss",
           "CosineEmbeddingLoss"]


def _apply_weighting(loss: Any, weight: Any = None, sample_weight: Any = None) -> Any:
    if sample_weight is not None:
        loss = loss * sample_weight
    if weight is not None:
        if not isinstance(weight, Number):
            raise AssertionError("weight must be a number")
        loss = loss * weight
    return loss


def _reshape_like(x: Any, y: Any) -> Any:
    return x.reshape(y.shape) if x.shape != y.shape else x


class Loss(HybridBlock):
    """The base class: ``weight`` (a number) scales the loss; ``batch_axis`` is kept."""

    def __init__(self, weight: Any, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _mean(self, loss: Any) -> Any:
        return nd.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class L2Loss(Loss):
    """``weight / 2 * (label - pred)²``, averaged per sample."""

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        loss = nd.square(label - pred)
        return self._mean(_apply_weighting(loss, self._weight / 2, sample_weight))


class L1Loss(Loss):
    """``|label - pred|``, averaged per sample."""

    def __init__(self, weight: Any = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        loss = nd.abs(label - pred)
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy. From logits (``from_sigmoid=False``) it is computed stably as
    ``max(x, 0) - x * z + log(1 + exp(-|x|))``; from probabilities, with 1e-12 added inside
    the logarithms. ``pos_weight`` weights the positive term."""

    def __init__(self, from_sigmoid: bool = False, weight: Any = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None,
                       pos_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        if not self._from_sigmoid:
            softplus = nd.Activation(-nd.abs(pred), act_type="softrelu")
            if pos_weight is None:
                loss = nd.relu(pred) - pred * label + softplus
            else:
                log_weight = 1 + (pos_weight - 1) * label
                loss = pred - pred * label + log_weight * (softplus + nd.relu(-pred))
        else:
            eps = 1e-12
            if pos_weight is None:
                loss = -(nd.log(pred + eps) * label + nd.log(1.0 - pred + eps) * (1.0 - label))
            else:
                loss = -(nd.log(pred + eps) * label * pos_weight
                         + nd.log(1.0 - pred + eps) * (1.0 - label))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of ``softmax(pred)`` along ``axis``: with ``sparse_label`` the labels
    are class indices, otherwise distributions; ``from_logits`` means ``pred`` is already a
    log-softmax."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: Any = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = nd.log_softmax(pred, self._axis)
        if self._sparse_label:
            loss = -nd.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(label, pred)
            loss = -nd.sum(pred * label, axis=self._axis, keepdims=True)
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """``label * (log(label + 1e-12) - pred)``, summed per sample (MXNet sums here);
    ``from_logits=False`` takes a log-softmax of ``pred`` first."""

    def __init__(self, from_logits: bool = True, axis: int = -1, weight: Any = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = nd.log_softmax(pred, self._axis)
        loss = label * (nd.log(label + 1e-12) - pred)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return nd.sum(loss, axis=self._batch_axis, exclude=True)


class HuberLoss(Loss):
    """``|d| - rho/2`` where ``|d| > rho``, else ``d² / (2 rho)``, with ``d = label - pred``."""

    def __init__(self, rho: float = 1, weight: Any = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        loss = nd.abs(label - pred)
        loss = nd.where(loss > self._rho, loss - 0.5 * self._rho,
                        (0.5 / self._rho) * nd.square(loss))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class HingeLoss(Loss):
    """``max(0, margin - pred * label)`` with labels in {-1, 1}."""

    def __init__(self, margin: float = 1, weight: Any = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        loss = nd.relu(self._margin - pred * label)
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class SquaredHingeLoss(HingeLoss):
    """``max(0, margin - pred * label)²``."""

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        loss = nd.square(nd.relu(self._margin - pred * label))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))`` for labels in {-1, 1} (``'signed'``) or {0, 1}
    (``'binary'``)."""

    def __init__(self, weight: Any = None, batch_axis: int = 0, label_format: str = "signed",
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ValueError(f"label_format can only be signed or binary, received "
                             f"{label_format}.")
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0
        loss = nd.relu(pred) - pred * label + nd.Activation(-nd.abs(pred), act_type="softrelu")
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class CTCLoss(Loss):
    """Connectionist temporal classification: the negative log-likelihood of each label
    sequence under the per-step class scores ``pred`` (softmax taken here; the last class
    is the blank). ``pred_lengths``/``label_lengths`` give each sample's lengths; labels
    are padded with -1 otherwise."""

    def __init__(self, layout: str = "NTC", label_layout: str = "NT", weight: Any = None,
                 **kwargs: Any) -> None:
        if layout not in ("NTC", "TNC"):
            raise ValueError(f"Only 'NTC' and 'TNC' layouts for pred are supported. Got: "
                             f"{layout}")
        if label_layout not in ("NT", "TN"):
            raise ValueError(f"Only 'NT' and 'TN' layouts for label are supported. Got: "
                             f"{label_layout}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, pred_lengths: Any = None,
                       label_lengths: Any = None, sample_weight: Any = None) -> Any:
        if self._layout == "NTC":
            pred = nd.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = nd.swapaxes(label, 0, 1)
        loss = nd.CTCLoss(pred, label, pred_lengths, label_lengths,
                          use_data_lengths=pred_lengths is not None,
                          use_label_lengths=label_lengths is not None, blank_label="last")
        return _apply_weighting(loss, self._weight, sample_weight)


class TripletLoss(Loss):
    """``max(0, |positive - pred|² - |negative - pred|² + margin)`` per sample."""

    def __init__(self, margin: float = 1, weight: Any = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, positive: Any, negative: Any) -> Any:
        positive = _reshape_like(positive, pred)
        negative = _reshape_like(negative, pred)
        loss = nd.sum(nd.square(positive - pred) - nd.square(negative - pred),
                      axis=self._batch_axis, exclude=True)
        return _apply_weighting(nd.relu(loss + self._margin), self._weight, None)


class PoissonNLLLoss(Loss):
    """The Poisson negative log-likelihood of ``target`` with rate ``exp(pred)``
    (``from_logits``) or ``pred``; ``compute_full`` adds Stirling's term for targets above
    1 (MXNet 1.9.1 gives NaN when a target is 0; this gives the term's 0). The mean over
    every element."""

    def __init__(self, weight: Any = None, from_logits: bool = True, batch_axis: int = 0,
                 compute_full: bool = False, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F: Any, pred: Any, target: Any, sample_weight: Any = None,
                       epsilon: float = 1e-08) -> Any:
        target = _reshape_like(target, pred)
        if self._from_logits:
            loss = nd.exp(pred) - target * pred
        else:
            loss = pred - target * nd.log(pred + epsilon)
        if self._compute_full:  # Stirling's term, for targets above 1 only
            safe = nd.maximum(target, 1.0)  # (MXNet multiplies log(0) by 0: NaN)
            stirling = safe * nd.log(safe) - safe + 0.5 * nd.log(2 * safe * np.pi)
            loss = loss + nd.where(target > 1, stirling, nd.zeros_like(stirling))
        return nd.mean(_apply_weighting(loss, self._weight, sample_weight))


class CosineEmbeddingLoss(Loss):
    """``1 - cos(input1, input2)`` where the label is 1, ``max(0, cos - margin)`` where it
    is -1 (0 for other labels); one value per sample, shape (batch, 1)."""

    def __init__(self, weight: Any = None, batch_axis: int = 0, margin: float = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, input1: Any, input2: Any, label: Any,
                       sample_weight: Any = None) -> Any:
        input1 = _reshape_like(input1, input2)
        label = label.reshape((-1, 1))
        norms = (nd.norm(input1, axis=-1) * nd.norm(input2, axis=-1)).reshape((-1, 1))
        cos = nd.sum(input1 * input2, axis=-1).reshape((-1, 1)) / nd.maximum(norms, 1e-12)
        loss = (1 - cos) * (label == 1) + nd.maximum((label == -1) * (cos - self._margin), 0.0)
        return _apply_weighting(loss, self._weight, sample_weight)
