"""MXNet's detection and optical-flow operators: ``ROIPooling`` (max pooling over a grid of
bins in each region of interest) and ``Correlation`` (FlowNet's correlation of two feature
maps over a range of displacements).

Both are composites. ROIPooling masks each bin's rows and columns (computed from the ROIs
with nd operators, so they may be traced) and takes two masked maxima, columns then rows;
Correlation adds products of strided slices, one per kernel offset and displacement. Their
gradients are the derivatives (ROIPooling's goes to the maxima; where several elements of
a bin tie, it is shared, as ``max`` shares it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import int_tuple, reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import pad as _pad
from tracegrad.ops_shape import slice_axis

_LOW = -3.0e38  # below any float32 value: an empty bin's maximum


def _bins(start: NDArray, end: NDArray, bins: int, size: int) -> NDArray:
    """(R, bins, size) 0/1: whether each position lies in each bin of each ROI's extent
    [start, end] (rounded pixels), as Caffe/MXNet split it."""
    extent = ops.maximum(end - start + 1.0, 1.0)
    b = NDArray(np.arange(bins, dtype=np.float32).reshape(1, bins))
    lo = ops.floor(b * extent / float(bins)) + start
    hi = ops.ceil((b + 1.0) * extent / float(bins)) + start
    lo, hi = ops.clip(lo, 0, size), ops.clip(hi, 0, size)
    pos = NDArray(np.arange(size, dtype=np.float32).reshape(1, 1, size))
    return (pos >= ops.expand_dims(lo, -1)) * (pos < ops.expand_dims(hi, -1))


def ROIPooling(data: Any = None, rois: Any = None, pooled_size: Any = None,
               spatial_scale: float = 1.0, out: NDArray | None = None,
               **kwargs: Any) -> NDArray:
    """Max-pool each region of interest of (N, C, H, W) features into ``pooled_size`` bins:
    ``rois`` is (R, 5) rows [batch index, x1, y1, x2, y2] in input coordinates, scaled by
    ``spatial_scale`` and rounded; an empty bin gives 0. The result is (R, C, ph, pw).

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.arange(16).reshape((1, 1, 4, 4))
    >>> nd.ROIPooling(x, nd.array([[0, 0, 0, 3, 3]]), pooled_size=(2, 2)).asnumpy().tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    reject_unknown("nd.ROIPooling", kwargs)
    x, r = _nd(data), _nd(rois).astype(np.float32)
    if pooled_size is None:
        raise TypeError(f"nd.ROIPooling: pooled_size is required (at {_user_line()})")
    ph, pw = int_tuple(pooled_size, "nd.ROIPooling", "pooled_size")
    if x.ndim != 4 or r.ndim != 2 or r.shape[1] != 5:
        raise ValueError(f"nd.ROIPooling: data (N, C, H, W) and rois (R, 5) are needed, got "
                         f"{x.shape} and {r.shape} (at {_user_line()})")
    n, c, h, w = x.shape
    col = [ops.reshape(slice_axis(r, axis=1, begin=k, end=k + 1), (r.shape[0], 1))
           for k in range(5)]
    x1, y1, x2, y2 = (ops.round(v * float(spatial_scale)) for v in col[1:])
    mask_w = _bins(x1, x2, pw, w)  # (R, pw, W)
    mask_h = _bins(y1, y2, ph, h)  # (R, ph, H)
    batch = ops.reshape(ops.clip(col[0], 0, n - 1), (-1,))
    feats = apply(P.take, (x, batch), {"axis": 0})  # (R, C, H, W)
    low = float(_LOW)
    # max over each bin's columns: (R, C, H, pw)
    cols = ops.where(ops.reshape(mask_w, (-1, 1, 1, pw, w)) > 0,
                     ops.expand_dims(feats, 3), low)
    by_col = ops.max(cols, axis=4)
    rows = ops.where(ops.reshape(mask_h, (-1, 1, ph, h, 1)) > 0,
                     ops.expand_dims(by_col, 2), low)
    res = ops.max(rows, axis=3)  # (R, C, ph, pw)
    res = ops.where(res <= low, 0.0, res).astype(x.dtype, copy=False)
    return write_out("nd.ROIPooling", res, out)


def _window(x: NDArray, top: int, left: int, step: int, rows: int, cols: int) -> NDArray:
    n, c = x.shape[:2]
    index = ((0, n, 1), (0, c, 1), (top, top + step * (rows - 1) + 1, step),
             (left, left + step * (cols - 1) + 1, step))
    return apply(P.slice_p, (x,), {"index": index})


def Correlation(data1: Any = None, data2: Any = None, kernel_size: int = 1,
                max_displacement: int = 1, stride1: int = 1, stride2: int = 1,
                pad_size: int = 0, is_multiply: bool = True, out: NDArray | None = None,
                **kwargs: Any) -> NDArray:
    """The correlation of two (N, C, H, W) feature maps: for every displacement (dy, dx) of
    the second map, multiples of ``stride2`` up to ``max_displacement``, the mean over the
    channels and a ``kernel_size`` window of ``data1 * shifted data2`` (of ``abs(data1 - shifted
    data2)`` when ``is_multiply`` is False), at every ``stride1``-th position of the
    ``pad_size``-padded maps. Displacements are the output channels, dy major.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.Correlation(nd.ones((1, 2, 5, 5)), nd.ones((1, 2, 5, 5))).shape
    (1, 9, 3, 3)
    """
    reject_unknown("nd.Correlation", kwargs)
    a, b = _nd(data1), _nd(data2)
    if a.ndim != 4 or a.shape != b.shape:
        raise ValueError(f"nd.Correlation: two (N, C, H, W) arrays of one shape are needed, "
                         f"got {a.shape} and {b.shape} (at {_user_line()})")
    k, md, s1, s2, pad = (int(v) for v in (kernel_size, max_displacement, stride1, stride2,
                                           pad_size))
    if k % 2 == 0:
        raise ValueError("nd.Correlation: kernel_size must be odd")
    widths = (0, 0, 0, 0, pad, pad, pad, pad)
    ap = _pad(a, mode="constant", pad_width=widths) if pad else a
    bp = _pad(b, mode="constant", pad_width=widths) if pad else b
    radius = (k - 1) // 2
    border = md + radius
    hp, wp = ap.shape[2:]
    ho = math.ceil((hp - 2 * border) / s1)
    wo = math.ceil((wp - 2 * border) / s1)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"nd.Correlation: the padded maps ({hp}x{wp}) are smaller than the "
                         f"displacement and kernel border ({border}) (at {_user_line()})")
    grid = md // s2
    channels = []
    for i in range(-grid, grid + 1):
        for j in range(-grid, grid + 1):
            total: Any = None
            for ky in range(-radius, radius + 1):
                for kx in range(-radius, radius + 1):
                    p = _window(ap, border + ky, border + kx, s1, ho, wo)
                    q = _window(bp, border + ky + i * s2, border + kx + j * s2, s1, ho, wo)
                    term = p * q if is_multiply else ops.abs(p - q)
                    total = term if total is None else total + term
            channels.append(ops.sum(total, axis=1))
    res = ops.stack(*channels, axis=1) / float(k * k * a.shape[1])
    return write_out("nd.Correlation", res.astype(a.dtype, copy=False), out)


__all__ = ["ROIPooling", "Correlation"]
