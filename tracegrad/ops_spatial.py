"""MXNet's spatial transformer operators: ``GridGenerator`` (an affine transform or a flow
field turned into a sampling grid), ``BilinearSampler`` (sample an image at a grid's
points, zeros outside) and ``SpatialTransformer`` (the two together).

They are composites: the grid is a matrix product or an addition, and the sampler gathers
the four neighbours of every point (``take``) and mixes them with the bilinear weights, so
the gradients with respect to the image, the grid and the transform are the derivatives
(at points exactly on a pixel the weight's derivative is taken from the right, as MXNet
does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import int_tuple, reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import slice_axis


def _base_grid(h: int, w: int, dtype: Any) -> NDArray:
    """(3, h * w): the target points' normalised x, y and 1, row by row."""
    ys, xs = np.meshgrid(np.linspace(-1.0, 1.0, h), np.linspace(-1.0, 1.0, w), indexing="ij")
    return NDArray(np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)]).astype(dtype))


def GridGenerator(data: Any = None, transform_type: str = "affine", target_shape: Any = (0, 0),
                  out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """A sampling grid (N, 2, H, W) of normalised (x, y) source coordinates in [-1, 1]:
    ``affine`` maps the target points by the (N, 6) transforms (rows of a 2x3 matrix) onto
    the source, over ``target_shape``; ``warp`` adds an (N, 2, H, W) flow field (in pixels)
    to each pixel's position.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.GridGenerator(nd.array([[1, 0, 0, 0, 1, 0]]), target_shape=(2, 2))[0, 0].asnumpy()
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """
    reject_unknown("nd.GridGenerator", kwargs)
    x = _nd(data)
    if transform_type == "affine":
        h, w = int_tuple(target_shape, "nd.GridGenerator", "target_shape")
        if x.ndim != 2 or x.shape[1] != 6:
            raise ValueError(f"nd.GridGenerator: an affine transform is (N, 6), got {x.shape} "
                             f"(at {_user_line()})")
        theta = ops.reshape(x, (x.shape[0], 2, 3))
        grid = apply(P.matmul, (theta, _base_grid(h, w, np.dtype(x.dtype))), {})
        return write_out("nd.GridGenerator", ops.reshape(grid, (x.shape[0], 2, h, w)), out)
    if transform_type != "warp":
        raise ValueError(f"nd.GridGenerator: transform_type must be 'affine' or 'warp', not "
                         f"{transform_type!r}")
    if x.ndim != 4 or x.shape[1] != 2:
        raise ValueError(f"nd.GridGenerator: a flow field is (N, 2, H, W), got {x.shape} (at "
                         f"{_user_line()})")
    h, w = x.shape[2:]
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    pos = NDArray(np.stack([xs, ys])[None].astype(np.dtype(x.dtype)))
    scale = NDArray(np.array([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)],
                             dtype=np.dtype(x.dtype)).reshape(1, 2, 1, 1))
    return write_out("nd.GridGenerator", (x + pos) * scale - 1.0, out)


def BilinearSampler(data: Any = None, grid: Any = None, cudnn_off: Any = None,
                    out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """``data`` (N, C, H, W) sampled at the (N, 2, Ho, Wo) grid's normalised (x, y) points
    by bilinear interpolation (x = -1 is the first column, 1 the last); points outside read
    zeros.

    Examples
    --------
    >>> from tracegrad import nd
    >>> img = nd.arange(4).reshape((1, 1, 2, 2))
    >>> nd.BilinearSampler(img, nd.array([[[[0.0]], [[0.0]]]])).asnumpy().ravel().tolist()
    [1.5]
    """
    reject_unknown("nd.BilinearSampler", kwargs)
    x, g = _nd(data), _nd(grid)
    if x.ndim != 4 or g.ndim != 4 or g.shape[1] != 2 or g.shape[0] != x.shape[0]:
        raise ValueError(f"nd.BilinearSampler: data (N, C, H, W) and grid (N, 2, H', W') are "
                         f"needed, got {x.shape} and {g.shape} (at {_user_line()})")
    n, c, h, w = x.shape
    ho, wo = g.shape[2:]
    px = (ops.reshape(slice_axis(g, axis=1, begin=0, end=1), (n, ho * wo)) + 1.0) * ((w - 1) / 2.0)
    py = (ops.reshape(slice_axis(g, axis=1, begin=1, end=2), (n, ho * wo)) + 1.0) * ((h - 1) / 2.0)
    x0, y0 = ops.floor(px), ops.floor(py)
    wx1, wy1 = px - x0, py - y0
    rows = ops.reshape(ops.transpose(x, (0, 2, 3, 1)), (n * h * w, c))
    base = NDArray((np.arange(n, dtype=np.int64) * (h * w)).reshape(n, 1))
    total: Any = None
    for dy, wy in ((0, 1.0 - wy1), (1, wy1)):
        for dx, wx in ((0, 1.0 - wx1), (1, wx1)):
            xi, yi = ops.stop_gradient(x0 + float(dx)), ops.stop_gradient(y0 + float(dy))
            inside = (xi >= 0.0) * (xi <= w - 1.0) * (yi >= 0.0) * (yi <= h - 1.0)
            flat = ops.clip(yi, 0, h - 1) * float(w) + ops.clip(xi, 0, w - 1)
            idx = flat.astype(np.int64) + base
            vals = apply(P.take, (rows, idx), {"axis": 0})  # (n, ho * wo, c)
            term = vals * ops.expand_dims(wx * wy * inside, -1)
            total = term if total is None else total + term
    res = ops.transpose(ops.reshape(total, (n, ho, wo, c)), (0, 3, 1, 2))
    return write_out("nd.BilinearSampler", res.astype(x.dtype, copy=False), out)


def SpatialTransformer(data: Any = None, loc: Any = None, target_shape: Any = (0, 0),
                       transform_type: str = "affine", sampler_type: str = "bilinear",
                       cudnn_off: Any = None, out: NDArray | None = None,
                       **kwargs: Any) -> NDArray:
    """``BilinearSampler(data, GridGenerator(loc, 'affine', target_shape))``: the image
    resampled by the (N, 6) affine transforms ``loc``."""
    reject_unknown("nd.SpatialTransformer", kwargs)
    if transform_type != "affine" or sampler_type != "bilinear":
        raise ValueError("nd.SpatialTransformer supports transform_type='affine' and "
                         "sampler_type='bilinear' (MXNet's only ones)")
    grid = GridGenerator(loc, "affine", target_shape)
    return write_out("nd.SpatialTransformer", BilinearSampler(data, grid), out)


__all__ = ["GridGenerator", "BilinearSampler", "SpatialTransformer"]
