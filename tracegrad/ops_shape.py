"""MXNet's slicing and padding operations beyond :mod:`tracegrad.ops`: ``slice``
(``crop``), ``slice_axis``, ``slice_like``, ``pad``, ``concatenate``, ``moveaxis``,
``reshape_like``, ``broadcast_axes`` (more layout operations: :mod:`tracegrad.ops_layout`).

All are composites of slice, concatenate, broadcast, reshape and transpose, so their
gradients (any order) and fusion come for free.
"""

from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import int_tuple, reject_unknown, write_out
from tracegrad.ops import _nd


def _tuple(v: Any) -> tuple:
    if v is None:
        return ()
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _axis(axis: int, ndim: int, op: str) -> int:
    if not -ndim <= int(axis) < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for an array with {ndim} "
                         f"dimensions (at {_user_line()})")
    return int(axis) % ndim


def _sliced(x: NDArray, index: Sequence[tuple[int, int, int]]) -> NDArray:
    if all(t == (0, n, 1) for t, n in zip(index, x.shape)):
        return x
    return apply(P.slice_p, (x,), {"index": tuple(index)})


def slice(data: Any, begin: Any, end: Any, step: Any = None, out: NDArray | None = None,
          **kwargs: Any) -> NDArray:
    """``data[begin[0]:end[0]:step[0], begin[1]:end[1]:step[1], ...]`` with Python's rules
    (None entries, negative indices, out-of-range bounds clipped); axes beyond ``begin`` are
    kept whole.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.slice(nd.arange(12).reshape((3, 4)), begin=(1, None), end=(3, None), step=(1, -2)).shape
    (2, 2)
    """
    reject_unknown("nd.slice", kwargs)
    x = _nd(data)
    begin, end, step = _tuple(begin), _tuple(end), _tuple(step)
    if len(begin) != len(end):
        raise ValueError(f"nd.slice: begin {begin} and end {end} must have the same length")
    if len(begin) > x.ndim:
        raise ValueError(f"nd.slice: {len(begin)} axes sliced, but the array has shape "
                         f"{x.shape}")
    if step and len(step) != len(begin):
        raise ValueError(f"nd.slice: step {step} must have the length of begin {begin}")
    index = []
    for i, (b, e) in enumerate(zip(begin, end)):
        s = step[i] if step and step[i] is not None else 1
        if s == 0:
            raise ValueError(f"nd.slice: step[{i}] cannot be 0")
        index.append(builtins.slice(b, e, s).indices(x.shape[i]))
    return write_out("nd.slice", _sliced(x, index), out)


crop = slice


def slice_axis(data: Any, axis: int, begin: int, end: int | None,
               out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """``data[..., begin:end, ...]`` along ``axis``; negative bounds count from the end,
    ``end=None`` is the end. As in MXNet the range must be non-empty and within the axis.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.slice_axis(nd.ones((2, 5)), axis=1, begin=1, end=-1).shape
    (2, 3)
    """
    reject_unknown("nd.slice_axis", kwargs)
    x = _nd(data)
    axis = _axis(axis, x.ndim, "nd.slice_axis")
    n = x.shape[axis]
    b = begin + n if begin < 0 else begin
    e = n if end is None else (end + n if end < 0 else end)
    if e > n:
        raise ValueError(f"nd.slice_axis: end={end} is beyond axis {axis} of size {n}")
    if not 0 <= b < e:
        raise ValueError(f"nd.slice_axis: begin={begin}, end={end} select nothing from axis "
                         f"{axis} of size {n}")
    index = [(0, m, 1) for m in x.shape[:axis]] + [(b, e, 1)]
    return write_out("nd.slice_axis", _sliced(x, index), out)


def slice_like(data: Any, shape_like: Any, axes: Any = (), out: NDArray | None = None,
               **kwargs: Any) -> NDArray:
    """The leading part of ``data`` with the shape of ``shape_like`` (on ``axes`` only, when
    given).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.slice_like(nd.ones((3, 4)), nd.zeros((2, 2)), axes=(1,)).shape
    (3, 2)
    """
    reject_unknown("nd.slice_like", kwargs)
    x, like = _nd(data), _nd(shape_like)
    axes = _tuple(axes)
    if not axes:
        if like.ndim != x.ndim:
            raise ValueError(f"nd.slice_like: shapes {x.shape} and {like.shape} have different "
                             "numbers of dimensions (give axes=... to slice some axes only)")
        axes = tuple(range(x.ndim))
    index = [(0, n, 1) for n in x.shape]
    for a in axes:
        a = _axis(a, x.ndim, "nd.slice_like")
        if a >= like.ndim:
            raise ValueError(f"nd.slice_like: axis {a} does not exist in shape_like's shape "
                             f"{like.shape}")
        if like.shape[a] > x.shape[a]:
            raise ValueError(f"nd.slice_like: axis {a} of size {like.shape[a]} exceeds the "
                             f"input's size {x.shape[a]}")
        index[a] = (0, like.shape[a], 1)
    return write_out("nd.slice_like", _sliced(x, index), out)


def _part(x: NDArray, axis: int, start: int, stop: int, step: int = 1) -> NDArray:
    index = [(0, n, 1) for n in x.shape[:axis]] + [(start, stop, step)]
    return apply(P.slice_p, (x,), {"index": tuple(index)})


def _broadcast_along(x: NDArray, axis: int, size: int) -> NDArray:
    return ops.broadcast_to(x, x.shape[:axis] + (size,) + x.shape[axis + 1:])


def pad(data: Any, mode: str, pad_width: Sequence[int], constant_value: float = 0.0,
        out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Pad every axis: ``pad_width`` is (before_0, after_0, before_1, after_1, ...).
    ``mode`` is 'constant' (``constant_value``), 'edge' (repeat the border) or 'reflect'
    (mirror without the border; widths must be smaller than the axis). MXNet takes 4-D and
    5-D float arrays with zero padding on the first two axes only; tracegrad pads any array.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.pad(nd.ones((1, 1, 2, 2)), mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 2, 0)).shape
    (1, 1, 4, 4)
    """
    reject_unknown("nd.pad", kwargs)
    x = _nd(data)
    if mode not in ("constant", "edge", "reflect"):
        raise ValueError(f"nd.pad: mode must be 'constant', 'edge' or 'reflect', got {mode!r}")
    widths = int_tuple(pad_width, "nd.pad", "pad_width")
    if len(widths) != 2 * x.ndim:
        raise ValueError(f"nd.pad: pad_width {tuple(widths)} needs 2 entries per axis of shape "
                         f"{x.shape} ({2 * x.ndim})")
    y = x
    for axis in range(x.ndim):
        before, after = widths[2 * axis], widths[2 * axis + 1]
        if not before and not after:
            continue
        n = y.shape[axis]
        parts = []
        if mode == "constant":
            fill = NDArray(np.asarray(constant_value, dtype=np.dtype(x.dtype)))
            if before:
                parts.append(_broadcast_along(ops.broadcast_to(fill, y.shape[:axis] + (1,) +
                                                               y.shape[axis + 1:]), axis, before))
            parts.append(y)
            if after:
                parts.append(_broadcast_along(ops.broadcast_to(fill, y.shape[:axis] + (1,) +
                                                               y.shape[axis + 1:]), axis, after))
        elif mode == "edge":
            if before:
                parts.append(_broadcast_along(_part(y, axis, 0, 1), axis, before))
            parts.append(y)
            if after:
                parts.append(_broadcast_along(_part(y, axis, n - 1, n), axis, after))
        else:
            if before >= n or after >= n:
                raise ValueError(f"nd.pad: reflect padding ({before}, {after}) must be smaller "
                                 f"than axis {axis} of size {n}")
            if before:
                parts.append(_part(y, axis, before, 0, -1))
            parts.append(y)
            if after:
                parts.append(_part(y, axis, n - 2, n - 2 - after, -1))
        y = apply(P.concatenate, tuple(parts), {"axis": axis})
    return write_out("nd.pad", y if y is not x else x.astype(x.dtype), out)


Pad = pad


def concatenate(arrays: Sequence[Any], axis: int = 0, always_copy: bool = True) -> NDArray:
    """Join a list of arrays along ``axis`` (0 by default, unlike ``concat``).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.concatenate([nd.ones((1, 2)), nd.zeros((2, 2))]).shape
    (3, 2)
    """
    arrays = list(arrays)
    if not arrays:
        raise ValueError("nd.concatenate needs at least one array")
    arrays = [_nd(a) for a in arrays]
    dtypes = {np.dtype(a.dtype).name for a in arrays}
    if len(dtypes) > 1:
        raise TypeError(f"nd.concatenate: the arrays have different dtypes {sorted(dtypes)}")
    if len(arrays) == 1:
        return arrays[0].copy() if always_copy else arrays[0]
    return ops.concat(*arrays, dim=_axis(axis, arrays[0].ndim, "nd.concatenate"))


def _axes_list(v: Any, ndim: int, what: str) -> list[int]:
    out = []
    for a in _tuple(v):
        if not -ndim <= a < ndim:
            raise ValueError(f"nd.moveaxis: {what} axis {a} is out of range for {ndim} "
                             "dimensions")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"nd.moveaxis: repeated axis in {what} {v}")
    return out


def moveaxis(tensor: Any, source: Any, destination: Any) -> NDArray:
    """Move axes ``source`` to positions ``destination`` (ints or sequences), keeping the
    order of the others.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.moveaxis(nd.ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    x = _nd(tensor)
    src = _axes_list(source, x.ndim, "source")
    dst = _axes_list(destination, x.ndim, "destination")
    if len(src) != len(dst):
        raise ValueError("nd.moveaxis: source and destination must have the same number of "
                         "elements")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return x if order == list(range(x.ndim)) else ops.transpose(x, order)


def _bounds(begin: int | None, end: int | None, ndim: int) -> tuple[int, int]:
    b = 0 if begin is None else (begin + ndim if begin < 0 else begin)
    e = ndim if end is None else (end + ndim if end < 0 else end)
    if not 0 <= b <= e <= ndim:
        raise ValueError(f"nd.reshape_like: the axis range [{begin}, {end}) is invalid for "
                         f"{ndim} dimensions")
    return b, e


def reshape_like(lhs: Any, rhs: Any, lhs_begin: int | None = None, lhs_end: int | None = None,
                 rhs_begin: int | None = None, rhs_end: int | None = None,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """``lhs`` reshaped so that its axes [lhs_begin, lhs_end) take the sizes of ``rhs``'s axes
    [rhs_begin, rhs_end) (all axes by default).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.reshape_like(nd.ones((30, 7)), nd.ones((15, 2, 4)), lhs_begin=0, lhs_end=1,
    ...                 rhs_begin=0, rhs_end=2).shape
    (15, 2, 7)
    """
    reject_unknown("nd.reshape_like", kwargs)
    x, like = _nd(lhs), _nd(rhs)
    lb, le = _bounds(lhs_begin, lhs_end, x.ndim)
    rb, re = _bounds(rhs_begin, rhs_end, like.ndim)
    shape = x.shape[:lb] + like.shape[rb:re] + x.shape[le:]
    if int(np.prod(shape, dtype=np.int64)) != x.size:
        raise ValueError(f"nd.reshape_like: cannot reshape an array of shape {x.shape} into "
                         f"{shape}: the sizes differ")
    return write_out("nd.reshape_like", ops.reshape(x, shape), out)


def broadcast_axes(data: Any, axis: Any = (), size: Any = (), out: NDArray | None = None,
                   **kwargs: Any) -> NDArray:
    """Broadcast the size-1 axes ``axis`` to sizes ``size``.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.broadcast_axes(nd.ones((1, 2, 1)), axis=(0, 2), size=(3, 4)).shape
    (3, 2, 4)
    """
    reject_unknown("nd.broadcast_axes", kwargs)
    x = _nd(data)
    axes, sizes = _tuple(axis), _tuple(size)
    if len(axes) != len(sizes):
        raise ValueError(f"nd.broadcast_axes: axis {axes} and size {sizes} differ in length")
    shape = list(x.shape)
    for a, s in zip(axes, sizes):
        a = _axis(a, x.ndim, "nd.broadcast_axes")
        if shape[a] != 1:
            raise ValueError(f"nd.broadcast_axes: axis {a} has size {shape[a]}; broadcasting "
                             "axes must have size 1")
        shape[a] = int(s)
    return write_out("nd.broadcast_axes", ops.broadcast_to(x, tuple(shape)), out)


broadcast_axis = broadcast_axes


def broadcast_like(lhs: Any, rhs: Any, lhs_axes: Any = None, rhs_axes: Any = None,
                   out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """``lhs`` broadcast to the shape of ``rhs``; with ``lhs_axes`` and ``rhs_axes``, only
    axis lhs_axes[i] (of size 1) takes the size of rhs's axis rhs_axes[i] (``nd.broadcast_like``
    and ``x.broadcast_like`` call this).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.broadcast_like(nd.ones((2, 1)), nd.zeros((5, 7)), lhs_axes=(1,), rhs_axes=(0,)).shape
    (2, 5)
    """
    reject_unknown("nd.broadcast_like", kwargs)
    x, like = _nd(lhs), _nd(rhs)
    if lhs_axes is None and rhs_axes is None:
        return write_out("nd.broadcast_like", ops.broadcast_to(x, like.shape), out)
    la, ra = _tuple(lhs_axes), _tuple(rhs_axes)
    if len(la) != len(ra):
        raise ValueError(f"nd.broadcast_like: lhs_axes {lhs_axes} and rhs_axes {rhs_axes} must "
                         "have the same length")
    shape = list(x.shape)
    for a, b in zip(la, ra):
        a, b = _axis(a, x.ndim, "nd.broadcast_like"), _axis(b, like.ndim, "nd.broadcast_like")
        if shape[a] != 1 and shape[a] != like.shape[b]:
            raise ValueError(f"nd.broadcast_like: axis {a} of lhs (size {shape[a]}) cannot be "
                             f"broadcast to size {like.shape[b]}")
        shape[a] = like.shape[b]
    return write_out("nd.broadcast_like", ops.broadcast_to(x, tuple(shape)), out)


__all__ = ["slice", "crop", "slice_axis", "slice_like", "pad", "Pad", "concatenate",
           "moveaxis", "reshape_like", "broadcast_axes", "broadcast_axis"]
