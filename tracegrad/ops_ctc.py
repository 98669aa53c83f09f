"""MXNet's connectionist temporal classification loss, ``ctc_loss`` (``CTCLoss``).

The forward (alpha) recursion runs in log space over the time steps, vectorised over the
batch and the blank-extended label positions; it is written with nd operators, so its
gradient (softmax minus the label posteriors, with respect to the activations) is the
derivative, and it traces under ``jit`` (one set of operations per time step).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import slice_axis
from tracegrad.ops_stats import cumsum

_NEG = -1e30  # log(0) that keeps its arithmetic finite (no inf - inf)


def _lse(*terms: NDArray) -> NDArray:
    """log(sum(exp(terms))), elementwise, shifted by the largest term."""
    m = terms[0]
    for t in terms[1:]:
        m = ops.maximum(m, t)
    m = ops.stop_gradient(m)
    total = ops.exp(terms[0] - m)
    for t in terms[1:]:
        total = total + ops.exp(t - m)
    return ops.log(total) + m


def _shift(a: NDArray, k: int) -> NDArray:
    """a moved k positions right along axis 1, filled with log(0)."""
    n, s = a.shape
    fill = NDArray(np.full((n, k), _NEG, dtype=np.dtype(a.dtype)))
    return ops.concat(fill, slice_axis(a, axis=1, begin=0, end=s - k), dim=1)


def ctc_loss(data: Any = None, label: Any = None, data_lengths: Any = None,
             label_lengths: Any = None, use_data_lengths: bool = False,
             use_label_lengths: bool = False, blank_label: str = "first",
             out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The CTC loss of each sequence: -log p(label | data), data (T, N, C) unnormalised
    activations (softmax over C inside), label (N, L). With ``blank_label="first"`` class 0
    is the blank and labels are padded with 0; with ``"last"`` class C-1 is the blank and
    the padding is -1. ``data_lengths``/``label_lengths`` (with ``use_*_lengths``) give
    each sequence's lengths. An impossible alignment has loss 0, as in MXNet.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.ctc_loss(nd.zeros((3, 1, 2)), nd.array([[1]])).shape
    (1,)
    """
    reject_unknown("nd.ctc_loss", kwargs)
    x, lab = _nd(data), _nd(label)
    if x.ndim != 3 or lab.ndim != 2 or lab.shape[0] != x.shape[1]:
        raise ValueError(f"nd.ctc_loss: data (T, N, C) and label (N, L) are needed, got "
                         f"{x.shape} and {lab.shape} (at {_user_line()})")
    if blank_label not in ("first", "last"):
        raise ValueError(f"nd.ctc_loss: blank_label must be 'first' or 'last', not "
                         f"{blank_label!r}")
    steps, n, c = x.shape
    width = lab.shape[1]
    blank, pad = (0, 0.0) if blank_label == "first" else (c - 1, -1.0)
    labels = lab.astype(np.int64)
    if use_label_lengths:
        lengths = _nd(label_lengths).astype(np.int64)
    else:  # the labels before the first padding value
        lengths = ops.sum((cumsum(lab == pad, axis=1) == 0).astype(np.int64), axis=1)
    positions = 2 * width + 1
    # the blank-extended labels: blank, l1, blank, l2, ..., blank
    blanks = NDArray(np.full((n, width), blank, dtype=np.int64))
    pairs = ops.reshape(ops.stack(blanks, labels, axis=2), (n, 2 * width))
    ext = ops.concat(pairs, NDArray(np.full((n, 1), blank, dtype=np.int64)), dim=1)
    prev2 = ops.concat(NDArray(np.full((n, 2), blank, dtype=np.int64)),
                       slice_axis(ext, axis=1, begin=0, end=positions - 2), dim=1)
    skip = (ext != blank) * (ext != prev2)  # s-2 -> s allowed
    logp = ops.log_softmax(x, axis=2)
    rows = ops.clip(ext, 0, c - 1) + NDArray(np.arange(n, dtype=np.int64).reshape(n, 1) * c)
    emit = apply(P.take, (ops.reshape(logp, (steps, n * c)), rows), {"axis": 1})  # (T, N, S)
    s_idx = NDArray(np.arange(positions, dtype=np.int64).reshape(1, positions))
    neg = NDArray(np.full((n, positions), _NEG, dtype=np.dtype(x.dtype)))
    alpha = ops.where(s_idx < 2, ops.reshape(slice_axis(emit, axis=0, begin=0, end=1),
                                             (n, positions)), neg)
    if use_data_lengths:
        t_len = ops.reshape(_nd(data_lengths).astype(np.int64), (n, 1))
    for t in range(1, steps):
        e = ops.reshape(slice_axis(emit, axis=0, begin=t, end=t + 1), (n, positions))
        nxt = _lse(alpha, _shift(alpha, 1), ops.where(skip, _shift(alpha, 2), neg)) + e
        alpha = ops.where(t_len > t, nxt, alpha) if use_data_lengths else nxt
    last = ops.reshape(lengths * 2, (n, 1))
    final = ops.where((s_idx == last) + (s_idx == last - 1) > 0, alpha, neg)
    m = ops.stop_gradient(ops.max(final, axis=1, keepdims=True))
    loss = -(ops.log(ops.sum(ops.exp(final - m), axis=1)) + ops.reshape(m, (n,)))
    loss = ops.where(loss > -_NEG / 10, 0.0, loss)  # no alignment: 0, as MXNet
    return write_out("nd.ctc_loss", loss.astype(x.dtype, copy=False), out)


CTCLoss = ctc_loss

__all__ = ["ctc_loss", "CTCLoss"]
