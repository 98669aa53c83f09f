"""Selection as MXNet 1.x does it: ``where``, ``take`` (modes clip, wrap, raise), ``pick``
(clip, wrap), ``one_hot``, and ``softmax`` over the first ``length`` elements
(``use_length=True``). Composites of where/take/comparisons, so gradients come for free.

Index arrays are truncated toward zero (1.7 -> 1, -0.7 -> 0), as MXNet casts them; ``wrap``
then counts from the end (Python's ``%``), ``clip`` clamps into range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad._compiler.errors import ConcretizationError
from tracegrad._compiler.frontend.tracing import Tracer
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.ops import _nd, expand_dims, reshape, stop_gradient
from tracegrad.ops import max as _max
from tracegrad.ops import sum as _sum

_INT = np.int64


def where(condition: Any, x: Any, y: Any) -> NDArray:
    """Elements of ``x`` where ``condition`` is nonzero (NaN counts), else of ``y``.

    As in MXNet, a 1-D ``condition`` with as many elements as ``x`` has rows selects whole
    rows (``x.shape[0]``); otherwise it has the shape of ``x``. ``x`` and ``y`` may also be
    Python numbers or broadcast against each other (MXNet requires one shape).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.where(nd.array([1, 0]), nd.ones((2, 2)), nd.zeros((2, 2))).asnumpy().tolist()
    [[1.0, 1.0], [0.0, 0.0]]
    """
    c = _nd(condition)
    shapes = [tuple(v.shape) for v in (x, y) if isinstance(v, (NDArray, np.ndarray))]
    shape = np.broadcast_shapes(*shapes) if shapes else c.shape
    if c.shape != shape and shape:
        if c.ndim == 1 and c.shape[0] == shape[0]:
            c = reshape(c, c.shape + (1,) * (len(shape) - 1))
        elif c.ndim == 1:
            raise ValueError(f"where: a 1-D condition selects rows, so it needs {shape[0]} "
                             f"elements (x.shape[0] of shape {shape}); it has {c.shape[0]} "
                             f"(at {_user_line()}). Otherwise the condition has x's shape.")
    return apply(P.where, (c, x, y), {})


def _int_index(idx: NDArray) -> NDArray:
    """Indices truncated toward zero to int64, as MXNet casts them."""
    return idx if np.dtype(idx.dtype) == _INT else idx.astype(_INT)


def _wrapped(idx: NDArray, n: int) -> NDArray:
    return apply(P.mod, (_int_index(idx), n), {})  # MXNet's mod: the sign of n


def take(a: Any, indices: Any, axis: int = 0, mode: str = "clip") -> NDArray:
    """Gather along ``axis``: out-of-range indices are clipped (``mode='clip'``, MXNet's
    default), wrapped around (``'wrap'``) or an IndexError (``'raise'``; negative indices
    too, as in MXNet).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.take(nd.array([10.0, 20.0, 30.0]), nd.array([-1, 3]), mode='wrap').asnumpy().tolist()
    [30.0, 10.0]
    """
    x = _nd(a)
    axis %= x.ndim
    idx = _nd(indices)
    n = x.shape[axis]
    if mode == "wrap":
        idx = _wrapped(idx, n)
    elif mode == "raise":
        if type(idx._data) is Tracer:
            raise ConcretizationError(
                f"take(mode='raise') checks the values of a traced index at {_user_line()}",
                source=_user_line(), reason="take(mode='raise')")
        ints = np.asarray(idx._data).astype(_INT)
        if ints.size and (ints.min() < 0 or ints.max() >= n):
            bad = ints[(ints < 0) | (ints >= n)].ravel()[0]
            raise IndexError(f"take: index {bad} is out of bounds for axis {axis} with size {n} "
                             f"(mode='raise'; at {_user_line()})")
    elif mode != "clip":
        raise ValueError(f"take: mode must be 'clip', 'wrap' or 'raise', got {mode!r}")
    return apply(P.take, (x, idx), {"axis": axis})


def one_hot(indices: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32") -> NDArray:
    """(..., depth) array with ``on_value`` at each index and ``off_value`` elsewhere."""
    idx = _nd(indices)
    hot = expand_dims(idx, -1) == NDArray(np.arange(depth, dtype=np.dtype(idx.dtype)))
    out = hot * (on_value - off_value) + off_value if (on_value, off_value) != (1.0, 0.0) else hot
    return out.astype(dtype, copy=False)


def pick(data: Any, index: Any, axis: int = -1, keepdims: bool = False,
         mode: str = "clip") -> NDArray:
    """``data[..., index[...], ...]`` along ``axis``: one element per row (e.g. a label's
    log-probability). Indices are truncated toward zero, then clipped (``mode='clip'``) or
    wrapped (``'wrap'``). Written as a masked sum, so it fuses with what feeds it; the dtype
    is the data's.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> nd.pick(x, nd.array([0.7, -1]), mode='wrap').asnumpy().tolist()
    [1.0, 6.0]
    """
    x = _nd(data)
    axis %= x.ndim
    n = x.shape[axis]
    idx = _nd(index)
    if mode not in ("clip", "wrap"):
        raise ValueError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}")
    ft = np.dtype(x.dtype)
    if ft.kind == "f" and n < 2 ** (np.finfo(ft).nmant + 1):
        # index arithmetic in the data's float dtype (exact for these sizes): the mask and
        # the masked sum then fuse into the kernel that computes ``data`` (integer ops would
        # each run unfused)
        idx = idx if np.dtype(idx.dtype) == ft else idx.astype(ft)
        # (rows, 1) before the arithmetic, so it maps onto the data's kernel as a column
        idx = expand_dims(idx, axis) if idx.ndim < x.ndim else idx
        if mode == "wrap":  # toward zero, then wrapped: MXNet's mod has the divisor's sign
            idx = apply(P.mul, (apply(P.sign, (idx,), {}),
                                apply(P.floor, (apply(P.abs, (idx,), {}),), {})), {})
            idx = apply(P.mod, (idx, float(n)), {})
        else:  # floor(max(i, 0)) equals max(trunc(i), 0); short enough to be recomputed
            idx = apply(P.minimum, (apply(P.floor, (apply(P.maximum, (idx, 0.0), {}),), {}),
                                    float(n - 1)), {})
        dtype: Any = ft
    elif mode == "wrap":
        idx, dtype = _wrapped(idx, n), _INT
    else:
        idx, dtype = _int_index(idx), _INT
        idx = apply(P.where, (idx < 0, 0, apply(P.where, (idx > n - 1, n - 1, idx), {})), {})
    idx = expand_dims(idx, axis) if idx.ndim < x.ndim else idx
    positions = NDArray(np.arange(n, dtype=dtype).reshape((n,) + (1,) * (x.ndim - axis - 1)))
    return _sum(apply(P.where, (idx == positions, x, 0), {}), axis=axis, keepdims=keepdims)


def length_softmax(x: NDArray, axis: int, length: Any) -> NDArray:
    """softmax over the first ``length`` elements along ``axis`` (0 after them, and a row
    of zeros for length 0), MXNet's ``use_length=True``; ``length`` (integer) has x's shape
    without ``axis``."""
    n = _nd(length)
    if np.dtype(n.dtype).kind not in "iu":
        raise TypeError(f"softmax: length must be an integer array (MXNet: 'This operation "
                        f"only support integer types'), got {np.dtype(n.dtype).name}")
    axis %= x.ndim
    want = x.shape[:axis] + x.shape[axis + 1:]
    if n.shape != want:
        raise ValueError(f"softmax: length has shape {n.shape}; for data of shape {x.shape} "
                         f"and axis={axis} it needs {want}")
    size = x.shape[axis]
    steps = NDArray(np.arange(size, dtype=_INT).reshape((size,) + (1,) * (x.ndim - axis - 1)))
    mask = steps < expand_dims(n, axis)
    m = stop_gradient(_max(apply(P.where, (mask, x, -np.inf), {}), axis=axis, keepdims=True))
    m = apply(P.where, (m == -np.inf, 0.0, m), {})
    e = apply(P.exp, (apply(P.where, (mask, x - m, -np.inf), {}),), {})
    s = _sum(e, axis=axis, keepdims=True)
    return e / apply(P.where, (s == 0, 1.0, s), {})
