"""``x[key]`` and ``x[key] = value`` for NDArrays, as MXNet 1.x does them.

Basic keys (ints, slices, ``None``, ``...``) become one ``slice`` primitive and a ``reshape``.
A key with index arrays (lists, tuples, ranges, NumPy arrays, NDArrays) is *advanced*: it
follows NumPy's rules, which MXNet 1.9 implements with ``gather_nd`` (an integer next to an
index array counts as one; the broadcast index block replaces the indexed axes where they are
adjacent and goes first where they are not); see :mod:`tracegrad.indexing_adv`. It is one
``take`` on the flattened leading axes, so its gradient is ``take``'s adjoint (a scatter-add).

As in MXNet: a result with no dimensions left has shape ``(1,)`` (``x[1]`` on a 1-D array is
``[x1]``); index arrays are truncated to integers (1.7 -> 1, booleans are 0 and 1); negative
indices count from the end; an index out of range is an IndexError; a float key is a
ValueError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad._compiler.frontend.tracing import Tracer


class IndexKeyError(IndexError, ValueError):
    """A key MXNet rejects with ValueError (a float); NumPy's IndexError is caught too."""


def _bad_key(k: Any) -> IndexKeyError:
    return IndexKeyError(f"NDArray does not support slicing with key {k!r} of type {type(k)}: "
                     "use ints, slices, None, ..., or integer index arrays")


def _index_array(k: Any) -> Any:
    """An advanced index as int64 NumPy (floats truncated, booleans 0/1, as MXNet's int32
    cast), or the NDArray itself when its values are traced."""
    from tracegrad.ndarray import NDArray

    if isinstance(k, NDArray):
        if type(k._data) is Tracer:
            return k
        a = k._data
    else:
        a = np.asarray(k)
        if a.dtype == object:
            raise _bad_key(k)
    if a.dtype.kind not in "biuf":
        raise _bad_key(k)
    return a.astype(np.int64)


def _is_nd(k: Any) -> bool:
    from tracegrad.ndarray import NDArray

    return type(k) is NDArray


def normalize_key(key: Any, ndim: int) -> tuple[tuple, bool]:
    """``key`` as a tuple with one entry per axis (``...`` and the missing trailing axes made
    explicit ``slice(None)``; ``None`` kept), and whether it is advanced. Index arrays become
    int64 NumPy arrays; ints (and 0-d NDArrays) Python ints."""
    from tracegrad.ndarray import NDArray

    key = key if isinstance(key, tuple) else (key,)
    out: list = []
    ell = None
    advanced = False
    for k in key:
        if k is Ellipsis:
            if ell is not None:
                raise IndexError("an index can only have a single ellipsis ('...')")
            ell = len(out)
        elif k is None or isinstance(k, slice):
            out.append(k)
        elif isinstance(k, (bool, int, np.integer)):
            out.append(int(k))
        elif isinstance(k, NDArray) and k.ndim == 0 and type(k._data) is not Tracer:
            out.append(int(k._data))
        elif isinstance(k, (NDArray, np.ndarray, list, tuple, range)):
            out.append(_index_array(k))
            advanced = True
        else:
            raise _bad_key(k)
    used = sum(k is not None for k in out)
    if used > ndim:
        raise IndexError(f"too many indices ({used}) for an array with {ndim} dimensions")
    fill = (slice(None),) * (ndim - used)
    out = out[:ell] + list(fill) + out[ell:] if ell is not None else out + list(fill)
    return tuple(out), advanced


_ALL = slice(None)


def _check_int(i: int, n: int, axis: int) -> int:
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
    return i % n


def getitem(x: Any, key: Any) -> Any:
    from tracegrad.ndarray import apply

    shape = x.shape
    tk = type(key)
    if tk is slice and key == _ALL:
        return x  # MXNet's x[:] is x itself
    if tk is int or tk is slice:
        key = (key,)
    elif (tk is list or tk is np.ndarray or _is_nd(key) and key.ndim) and shape:
        from tracegrad.indexing_adv import take_rows

        return take_rows(x, _index_array(key))  # x[idx], the common advanced key
    elif tk is tuple and all(type(k) is int or type(k) is slice for k in key):
        if len(key) > len(shape):
            raise IndexError(f"too many indices ({len(key)}) for an array with {len(shape)} "
                             "dimensions")
    else:
        key, advanced = normalize_key(key, len(shape))
        if advanced:
            from tracegrad.indexing_adv import gather

            return gather(x, key)
    index, out_shape, axis = [], [], 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        n = shape[axis]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            index.append((start, stop, step))
            out_shape.append(len(range(start, stop, step)))
        else:
            i = _check_int(int(k), n, axis)
            index.append((i, i + 1, 1))
        axis += 1
    out_shape.extend(shape[axis:])
    full = all(t == (0, n, 1) for t, n in zip(index, shape))
    target = tuple(out_shape) if out_shape else (1,)
    y = x if full else apply(P.slice_p, (x,), {"index": tuple(index)})
    if target != y.shape or y is x:  # a new array (copy on write), as MXNet's view is
        y = apply(P.reshape, (y,), {"shape": target})
    return y


def _numpy_basic_key(key: tuple, shape: tuple) -> tuple:
    """A normalized basic key for NumPy, ints range-checked."""
    out, axis = [], 0
    for k in key:
        if k is not None and not isinstance(k, slice):
            k = _check_int(k, shape[axis], axis)
        out.append(k)
        axis += k is not None
    return tuple(out)


def _basic_region(key: tuple, shape: tuple) -> tuple[tuple, bool]:
    """The shape ``x[key]`` has for a normalized basic key (without MXNet's (1,) for no
    dimensions) and whether the key covers the whole array with positive steps (MXNet then
    copies the value over the array instead of assigning into a slice)."""
    region, whole, axis = [], True, 0
    for k in key:
        if k is None:
            region.append(1)
            continue
        n = shape[axis]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            size = len(range(start, stop, step))
            region.append(size)
            whole = whole and size == n and step > 0
        else:
            whole = whole and n == 1
        axis += 1
    return tuple(region), whole


def _prepared(value: Any, shape: tuple, dtype: Any) -> np.ndarray:
    """``value`` as MXNet prepares it for a write into a region of ``shape``: cast to the
    array's dtype, leading size-1 axes dropped while it has more axes than the region, then
    broadcast."""
    from tracegrad.ndarray import NDArray

    v = value._data if isinstance(value, NDArray) else value
    try:
        v = np.asarray(v, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"cannot assign {type(value).__name__} {value!r} to an NDArray of "
                        f"dtype {np.dtype(dtype).name}: not an array-like") from None
    while v.ndim > len(shape) and v.shape[0] == 1:
        v = v.reshape(v.shape[1:])
    try:
        return np.broadcast_to(v, shape)
    except ValueError:
        raise ValueError(f"cannot assign a value of shape {np.shape(value)} to x[key] of "
                         f"shape {shape}: the shapes do not broadcast") from None


def setitem(x: Any, key: Any, value: Any) -> None:
    """``x[key] = value``: in place, MXNet's value broadcasting; a value that needs a gradient
    is recorded when it replaces the whole array, an error otherwise (as in MXNet)."""
    from tracegrad.indexing_adv import scatter_plan, write_recorded

    key, advanced = normalize_key(key, x.ndim)
    if advanced:
        flat, region, lead = scatter_plan(x.shape, key)
        whole = False
    else:
        np_key = _numpy_basic_key(key, x.shape)
        region, whole = _basic_region(key, x.shape)
    if write_recorded(x, value, whole, key):
        return
    v = _prepared(value, region, x._data.dtype)
    x._own()
    if advanced:
        d = x._data
        if not d.flags.c_contiguous:
            d = x._data = np.ascontiguousarray(d)
        d.reshape((-1,) + x.shape[lead:])[flat] = v
    else:
        x._data[np_key] = v
