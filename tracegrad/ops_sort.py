"""``topk``, ``sort`` and ``argsort`` with MXNet's conventions: ties keep their order (the
sort is stable, ascending or descending), indices are float32 unless ``dtype`` says
otherwise, ``axis=None`` works on the flattened array, ``k <= 0`` means all.

One primitive computes the permutation (``argsort``, no gradient); values are gathered
from it with ``take``, so the gradient of the selected values (``ret_typ='value'`` or
``'both'``, and ``sort``) goes to the positions they came from, at any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import moveaxis

RET_TYPES = ("value", "indices", "mask", "both")
INDEX_DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")


def _index_dtype(dtype: Any, op: str) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.name not in INDEX_DTYPES:
        raise ValueError(f"{op}: dtype {dt.name!r} is not one of {INDEX_DTYPES} (at "
                         f"{_user_line()})")
    return dt


def _topk(op: str, data: Any, axis: int | None, k: int, ret_typ: str, is_ascend: Any,
          dtype: Any) -> Any:
    x = _nd(data)
    if ret_typ not in RET_TYPES:
        raise ValueError(f"{op}: ret_typ must be one of {RET_TYPES}, got {ret_typ!r}")
    index_dtype = _index_dtype(dtype, op)
    src = ops.reshape(x, (-1,)) if axis is None or x.ndim == 0 else x
    if axis is not None and not -src.ndim <= int(axis) < src.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for shape {x.shape} (at "
                         f"{_user_line()})")
    ax = 0 if axis is None else int(axis) % src.ndim
    n = src.shape[ax]
    k = int(k)
    if k > n:
        raise ValueError(f"{op}: k={k} is larger than the size {n} of the axis (at "
                         f"{_user_line()})")
    k = n if k <= 0 else k
    moved = moveaxis(src, ax, -1)
    lead = moved.shape[:-1]
    rows = int(np.prod(lead, dtype=np.int64))
    table = ops.reshape(moved, (rows, n))
    perm = apply(P.argsort, (table,), {"axis": 1, "descending": not is_ascend})
    sel = perm if k == n else apply(P.slice_p, (perm,), {"index": ((0, rows, 1), (0, k, 1))})
    # positions in the flattened (rows, n) table: a gather (and a scatter, its gradient)
    flat = sel + NDArray(np.arange(0, rows * n, n, dtype=np.int64).reshape(rows, 1))

    def back(y: NDArray, size: int) -> NDArray:
        """(rows, size) -> the source's layout, the selected axis of length ``size``."""
        return moveaxis(ops.reshape(y, lead + (size,)), -1, ax)

    outs = {}
    if ret_typ in ("value", "both"):
        values = apply(P.take, (ops.reshape(table, (-1,)), flat), {"axis": 0})
        outs["value"] = back(values, k)
    if ret_typ in ("indices", "both"):
        outs["indices"] = back(sel, k).astype(index_dtype)
    if ret_typ == "mask":
        ones = NDArray(np.ones((rows, k), dtype=np.dtype(x.dtype)))
        hot = apply(P.take_adjoint, (ones, flat), {"axis": 0, "shape": (rows * n,)})
        mask = back(ops.reshape(hot, (rows, n)), n)
        outs["mask"] = ops.reshape(mask, x.shape) if mask.shape != x.shape else mask
    if ret_typ == "both":
        return [outs["value"], outs["indices"]]
    return outs[ret_typ]


def topk(data: Any, axis: int | None = -1, k: int = 1, ret_typ: str = "indices",
         is_ascend: bool = False, dtype: Any = "float32", out: Any = None,
         **kwargs: Any) -> Any:
    """The ``k`` largest (``is_ascend=False``) or smallest elements along ``axis``.

    ``ret_typ``: 'indices' (default; float32 unless ``dtype`` is given), 'value', 'both'
    ([values, indices]) or 'mask' (1 at the selected positions, in the data's dtype).
    ``axis=None`` selects from the flattened array; ``k <= 0`` selects all. Ties keep their
    order. The gradient of the values goes to the selected positions.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.array([[3, 1, 3, 2]])
    >>> nd.topk(x, k=2).asnumpy().tolist(), nd.topk(x, k=2, ret_typ="value").asnumpy().tolist()
    ([[0.0, 2.0]], [[3.0, 3.0]])
    """
    reject_unknown("nd.topk", kwargs)
    res = _topk("nd.topk", data, axis, k, ret_typ, is_ascend, dtype)
    if isinstance(res, list):
        if out is not None:
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            if len(outs) != 2:
                raise ValueError("nd.topk: ret_typ='both' writes two arrays: out=[values, "
                                 "indices]")
            return [write_out("nd.topk", r, o) for r, o in zip(res, outs)]
        return res
    return write_out("nd.topk", res, out)


def sort(data: Any, axis: int | None = -1, is_ascend: bool = True, out: Any = None,
         **kwargs: Any) -> NDArray:
    """The values sorted along ``axis`` (the flattened array when None); stable. The gradient
    goes back to where each value came from.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.sort(nd.array([[3, 1, 2]])).asnumpy().tolist()
    [[1.0, 2.0, 3.0]]
    """
    reject_unknown("nd.sort", kwargs)
    return write_out("nd.sort", _topk("nd.sort", data, axis, 0, "value", is_ascend,
                                      "float32"), out)


def argsort(data: Any, axis: int | None = -1, is_ascend: bool = True, dtype: Any = "float32",
            out: Any = None, **kwargs: Any) -> NDArray:
    """The indices that sort along ``axis`` (the flattened array when None), float32 unless
    ``dtype`` is given (MXNet's default); ties keep their order.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.argsort(nd.array([[3, 1, 3, 2]]), is_ascend=False).asnumpy().tolist()
    [[0.0, 2.0, 3.0, 1.0]]
    """
    reject_unknown("nd.argsort", kwargs)
    return write_out("nd.argsort", _topk("nd.argsort", data, axis, 0, "indices", is_ascend,
                                         dtype), out)


__all__ = ["topk", "sort", "argsort"]
