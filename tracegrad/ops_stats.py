"""Running sums and moments: ``cumsum`` (the primitive of ``compiler/prims/scan.py``; its
gradient is the reversed running sum), ``moments`` (mean and population variance, a
composite) and MXNet's ``sum_axis``/``max_axis``/``min_axis`` (``sum``/``max``/``min``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad._compiler.prims._util import normalize_axes
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd


def cumsum(a: Any = None, axis: int | None = None, dtype: Any = None,
           out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The running sum along ``axis`` (of the flattened array when None), in ``dtype`` (the
    input's by default; booleans sum as int64). The gradient is the running sum of the
    cotangent from the other end.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.cumsum(nd.array([[1, 2], [3, 4]]), axis=1).asnumpy().tolist()
    [[1.0, 3.0], [3.0, 7.0]]
    """
    reject_unknown("nd.cumsum", kwargs)
    x = _nd(a)
    target = np.dtype(dtype) if dtype is not None else \
        np.dtype(np.int64) if np.dtype(x.dtype) == np.bool_ else np.dtype(x.dtype)
    if np.dtype(x.dtype) != target:
        x = x.astype(target)
    if axis is None:
        x, axis = ops.reshape(x, (-1,)), 0
    try:
        ax = normalize_axes(axis, x.ndim)[0]
    except ValueError as err:
        raise ValueError(f"nd.cumsum: {err} (at {_user_line()})") from None
    return write_out("nd.cumsum", apply(P.cumsum, (x,), {"axis": ax, "reverse": False}), out)


def moments(data: Any = None, axes: Any = None, keepdims: bool = False,
            out: Any = None, **kwargs: Any) -> list[NDArray]:
    """``[mean, variance]`` of ``data`` over ``axes`` (the population variance, divided by
    the number of elements). Integer input gives integer results (truncated), as in MXNet.

    Examples
    --------
    >>> from tracegrad import nd
    >>> m, v = nd.moments(nd.array([[1, 2], [3, 6]]), axes=(0,))
    >>> m.asnumpy().tolist(), v.asnumpy().tolist()
    ([2.0, 4.0], [1.0, 4.0])
    """
    reject_unknown("nd.moments", kwargs)
    x = _nd(data)
    if axes is None:
        raise ValueError(f"nd.moments: axes is required (at {_user_line()})")
    try:
        ax = normalize_axes(axes, x.ndim)
    except ValueError as err:
        raise ValueError(f"nd.moments: {err} (at {_user_line()})") from None
    dtype = np.dtype(x.dtype)
    xf = x if dtype.kind == "f" else x.astype(np.float64)
    mean = ops.mean(xf, axis=ax, keepdims=True)
    d = xf - mean
    var = ops.mean(d * d, axis=ax, keepdims=keepdims)
    if not keepdims:
        mean = ops.mean(xf, axis=ax)
    res = [mean.astype(dtype, copy=False), var.astype(dtype, copy=False)]
    if out is not None:
        res = [write_out("nd.moments", r, o) for r, o in zip(res, out)]
    return res


sum_axis = ops.sum
max_axis = ops.max
min_axis = ops.min

__all__ = ["cumsum", "moments", "sum_axis", "max_axis", "min_axis"]
