"""MXNet's layout operations beyond :mod:`tracegrad.ops`: ``diag``, ``depth_to_space`` /
``space_to_depth``, ``split_v2``, ``argmax_channel``, ``shape_array`` / ``size_array``.

Composites of reshape, transpose, slice, take and where: gradients of any order come for free.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import _axis, _part, moveaxis


def diag(data: Any, k: int = 0, axis1: int = 0, axis2: int = 1, out: NDArray | None = None,
         **kwargs: Any) -> NDArray:
    """A 1-D array: the square matrix with it on diagonal ``k``. More dimensions: diagonal
    ``k`` of the planes (axis1, axis2), as a new last axis (``numpy.diagonal``).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.diag(nd.arange(12).reshape((3, 4)), k=1).asnumpy().tolist()
    [1.0, 6.0, 11.0]
    """
    reject_unknown("nd.diag", kwargs)
    x = _nd(data)
    if x.ndim == 1:
        n = x.shape[0] + builtins.abs(k)
        r, c = np.indices((n, n))
        src = NDArray(np.asarray(r if k >= 0 else c, dtype=np.int64))
        mask = NDArray(np.asarray(c - r == k, dtype=np.dtype(x.dtype)))
        y = ops.where(mask, apply(P.take, (x, src), {"axis": 0}), 0.0)
        return write_out("nd.diag", y, out)
    a1, a2 = _axis(axis1, x.ndim, "nd.diag"), _axis(axis2, x.ndim, "nd.diag")
    if a1 == a2:
        raise ValueError(f"nd.diag: axis1 and axis2 both refer to axis {a1}")
    n, m = x.shape[a1], x.shape[a2]
    rows = np.arange(builtins.max(0, -k), builtins.min(n, m - k)) if -n < k < m else []
    if len(rows) == 0:
        raise ValueError(f"nd.diag: diagonal {k} does not exist in a {n} x {m} plane")
    y = moveaxis(x, (a1, a2), (-2, -1))
    y = ops.reshape(y, y.shape[:-2] + (n * m,))
    idx = NDArray(np.asarray(rows * m + rows + k, dtype=np.int64))
    return write_out("nd.diag", apply(P.take, (y, idx), {"axis": y.ndim - 1}), out)


def _block(x: NDArray, block_size: int, op: str) -> int:
    if x.ndim != 4:
        raise ValueError(f"nd.{op} needs a 4-D (N, C, H, W) array, got shape {x.shape}")
    if not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"nd.{op}: block_size must be a positive int, got {block_size!r}")
    return int(block_size)


def depth_to_space(data: Any, block_size: int, out: NDArray | None = None,
                   **kwargs: Any) -> NDArray:
    """(N, C, H, W) -> (N, C / b^2, H b, W b): blocks of channels become b x b pixels.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.depth_to_space(nd.ones((1, 8, 2, 3)), 2).shape
    (1, 2, 4, 6)
    """
    reject_unknown("nd.depth_to_space", kwargs)
    x = _nd(data)
    b = _block(x, block_size, "depth_to_space")
    n, c, h, w = x.shape
    if c % (b * b):
        raise ValueError(f"nd.depth_to_space: {c} channels are not a multiple of "
                         f"block_size^2 = {b * b}")
    y = ops.reshape(x, (n, b, b, c // (b * b), h, w))
    y = ops.transpose(y, (0, 3, 4, 1, 5, 2))
    return write_out("nd.depth_to_space", ops.reshape(y, (n, c // (b * b), h * b, w * b)), out)


def space_to_depth(data: Any, block_size: int, out: NDArray | None = None,
                   **kwargs: Any) -> NDArray:
    """(N, C, H, W) -> (N, C b^2, H / b, W / b): the inverse of depth_to_space.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.space_to_depth(nd.ones((1, 2, 4, 6)), 2).shape
    (1, 8, 2, 3)
    """
    reject_unknown("nd.space_to_depth", kwargs)
    x = _nd(data)
    b = _block(x, block_size, "space_to_depth")
    n, c, h, w = x.shape
    if h % b or w % b:
        raise ValueError(f"nd.space_to_depth: height {h} and width {w} must be multiples of "
                         f"block_size {b}")
    y = ops.reshape(x, (n, c, h // b, b, w // b, b))
    y = ops.transpose(y, (0, 3, 5, 1, 2, 4))
    return write_out("nd.space_to_depth", ops.reshape(y, (n, c * b * b, h // b, w // b)), out)


def split_v2(ary: Any, indices_or_sections: Any, axis: int = 0,
             squeeze_axis: bool = False) -> Any:
    """Split along ``axis`` into ``indices_or_sections`` equal parts (an int), or at the
    given indices (a tuple); a list, or one NDArray when there is one part.

    Examples
    --------
    >>> from tracegrad import nd
    >>> [a.shape for a in nd.split_v2(nd.arange(10), (2, 5))]
    [(2,), (3,), (5,)]
    """
    x = _nd(ary)
    axis = _axis(axis, x.ndim, "nd.split_v2")
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"nd.split_v2: axis {axis} of size {n} cannot be split into {k} "
                             "equal parts")
        points = [i * (n // k) for i in range(k)]
    elif isinstance(indices_or_sections, tuple):
        points = [0] + [int(i) for i in indices_or_sections]
    else:
        raise ValueError("nd.split_v2: indices_or_sections must be an int or a tuple of ints")
    bounds = points + [n]
    parts = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if not 0 <= start <= stop <= n:
            raise ValueError(f"nd.split_v2: the part [{start}, {stop}) is invalid for axis "
                             f"{axis} of size {n}")
        part = _part(x, axis, start, stop) if (start, stop) != (0, n) else x
        if squeeze_axis:
            if stop - start != 1:
                raise ValueError(f"nd.split_v2: squeeze_axis=True needs parts of size 1, got "
                                 f"{stop - start}")
            part = ops.squeeze(part, axis)
        parts.append(part)
    return parts[0] if len(parts) == 1 else parts


def argmax_channel(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The index of the maximum along axis 1 (the channels), as a float.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.argmax_channel(nd.array([[1, 5, 2], [7, 0, 3]])).asnumpy().tolist()
    [1.0, 0.0]
    """
    reject_unknown("nd.argmax_channel", kwargs)
    x = _nd(data)
    _axis(1, x.ndim, "nd.argmax_channel")
    return write_out("nd.argmax_channel", ops.argmax(x, axis=1), out)


def shape_array(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The shape as a 1-D int64 array.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.shape_array(nd.ones((2, 3))).asnumpy().tolist()
    [2, 3]
    """
    reject_unknown("nd.shape_array", kwargs)
    return write_out("nd.shape_array", NDArray(np.asarray(_nd(data).shape, dtype=np.int64)),
                     out)


def size_array(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The number of elements as an int64 array of shape (1,).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.size_array(nd.ones((2, 3))).asnumpy().tolist()
    [6]
    """
    reject_unknown("nd.size_array", kwargs)
    return write_out("nd.size_array", NDArray(np.asarray([_nd(data).size], dtype=np.int64)),
                     out)


__all__ = ["diag", "depth_to_space", "space_to_depth", "split_v2", "argmax_channel",
           "shape_array", "size_array"]
