"""MXNet's normalisation layers beyond BatchNorm and LayerNorm: ``InstanceNorm``,
``GroupNorm``, ``L2Normalization`` and ``LRN`` (composites: their gradients are the
derivatives), and ``BatchNorm_v1`` (``BatchNorm`` under its deprecated name).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops, ops_layers
from tracegrad.ndarray import NDArray, _user_line
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import slice_axis


def _normalise(x: NDArray, axes: tuple[int, ...], eps: float) -> tuple[NDArray, ...]:
    """(x - mean) / sqrt(var + eps) over ``axes``, the mean and that standard deviation."""
    mean = ops.mean(x, axis=axes, keepdims=True)
    d = x - mean
    std = ops.sqrt(ops.mean(d * d, axis=axes, keepdims=True) + float(eps))
    return d / std, mean, std


def _per_channel(v: NDArray, ndim: int) -> NDArray:
    return ops.reshape(_nd(v), (1, -1) + (1,) * (ndim - 2))


def InstanceNorm(data: Any = None, gamma: Any = None, beta: Any = None, eps: float = 1e-3,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Normalise each sample's channel over its spatial axes, then scale by ``gamma`` and
    shift by ``beta`` (one per channel); the input has at least 3 dimensions (N, C, ...).

    Examples
    --------
    >>> from tracegrad import nd
    >>> y = nd.InstanceNorm(nd.array([[[1.0, 3.0]]]), nd.ones(1), nd.zeros(1))
    >>> [round(v, 4) for v in y.asnumpy().ravel().tolist()]
    [-0.9995, 0.9995]
    """
    reject_unknown("nd.InstanceNorm", kwargs)
    x = _nd(data)
    if x.ndim < 3:
        raise ValueError(f"nd.InstanceNorm: the input must have at least 3 dimensions (N, C, "
                         f"...), got shape {x.shape} (at {_user_line()})")
    y, _, _ = _normalise(x, tuple(range(2, x.ndim)), eps)
    res = y * _per_channel(gamma, x.ndim) + _per_channel(beta, x.ndim)
    return write_out("nd.InstanceNorm", res, out)


def GroupNorm(data: Any = None, gamma: Any = None, beta: Any = None, num_groups: int = 1,
              eps: float = 1e-5, output_mean_var: bool = False, out: NDArray | None = None,
              **kwargs: Any) -> Any:
    """Normalise each sample over groups of ``num_groups`` consecutive channels (and the
    spatial axes), then scale and shift by ``gamma`` and ``beta`` — one per group, as in
    MXNet 1.9. ``output_mean_var`` also returns the (N, groups) means and standard
    deviations sqrt(var + eps)."""
    reject_unknown("nd.GroupNorm", kwargs)
    x = _nd(data)
    n, c = x.shape[:2]
    g = int(num_groups)
    if c % g:
        raise ValueError(f"nd.GroupNorm: {c} channels cannot form {g} groups (at "
                         f"{_user_line()})")
    xg = ops.reshape(x, (n, g, -1))
    y, mean, std = _normalise(xg, (2,), eps)
    scale = ops.reshape(_nd(gamma), (1, g, 1))
    shift = ops.reshape(_nd(beta), (1, g, 1))
    res = ops.reshape(y * scale + shift, x.shape)
    if output_mean_var:
        return [res, ops.reshape(mean, (n, g)), ops.reshape(std, (n, g))]
    return write_out("nd.GroupNorm", res, out)


def L2Normalization(data: Any = None, eps: float = 1e-10, mode: str = "instance",
                    out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """x / sqrt(sum(x^2) + eps) over each sample (``instance``), over the channels at each
    position (``channel``) or over the spatial axes of each channel (``spatial``).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.L2Normalization(nd.array([[3.0, 4.0]])).asnumpy().tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    reject_unknown("nd.L2Normalization", kwargs)
    x = _nd(data)
    if mode == "instance":
        axes = tuple(range(1, x.ndim))
    elif mode in ("channel", "spatial"):
        if x.ndim < 3:
            raise ValueError(f"nd.L2Normalization: mode={mode!r} needs at least 3 dimensions, "
                             f"got shape {x.shape} (at {_user_line()})")
        axes = (1,) if mode == "channel" else tuple(range(2, x.ndim))
    else:
        raise ValueError(f"nd.L2Normalization: mode must be 'instance', 'channel' or "
                         f"'spatial', not {mode!r}")
    norm = ops.sqrt(ops.sum(x * x, axis=axes, keepdims=True) + float(eps))
    return write_out("nd.L2Normalization", x / norm, out)


def LRN(data: Any = None, alpha: float = 1e-4, beta: float = 0.75, knorm: float = 2.0,
        nsize: int | None = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Local response normalisation across channels: x / (knorm + alpha / nsize *
    sum(x^2 over nsize neighbouring channels))^beta.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.LRN(nd.ones((1, 3, 2, 2)), nsize=3).shape
    (1, 3, 2, 2)
    """
    reject_unknown("nd.LRN", kwargs)
    if nsize is None:
        raise TypeError(f"nd.LRN: nsize is required (at {_user_line()})")
    x = _nd(data)
    if x.ndim < 3:
        raise ValueError(f"nd.LRN: the input must have at least 3 dimensions, got shape "
                         f"{x.shape} (at {_user_line()})")
    c, size = x.shape[1], int(nsize)
    sq = x * x
    half = (size - 1) // 2
    # channel c sums channels c - half ... c + half (those that exist; as MXNet, an even
    # nsize sums nsize - 1 channels but still divides by nsize)
    total: Any = None
    for off in range(-half, half + 1):
        shifted = _shift_channels(sq, off, c)
        total = shifted if total is None else total + shifted
    scale = total * float(np.float32(alpha) / np.float32(size)) + float(knorm)
    return write_out("nd.LRN", x / scale ** float(beta), out)


def _shift_channels(x: NDArray, off: int, c: int) -> NDArray:
    """y[:, k] = x[:, k + off], zero where k + off is outside the channels."""
    if off == 0:
        return x
    if abs(off) >= c:
        return NDArray(np.zeros(x.shape, dtype=np.dtype(x.dtype)))
    zeros = NDArray(np.zeros((x.shape[0], abs(off)) + x.shape[2:], dtype=np.dtype(x.dtype)))
    if off > 0:
        kept = slice_axis(x, axis=1, begin=off, end=None)
        return ops.concat(kept, zeros, dim=1)
    kept = slice_axis(x, axis=1, begin=0, end=c + off)
    return ops.concat(zeros, kept, dim=1)


BatchNorm_v1 = ops_layers.BatchNorm

__all__ = ["InstanceNorm", "GroupNorm", "L2Normalization", "LRN", "BatchNorm_v1"]
