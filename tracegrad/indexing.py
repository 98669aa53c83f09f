"""``x[key]`` for NDArrays, as MXNet 1.x does it.

Basic keys (ints, slices, ``None``, ``...``) become one ``slice`` primitive and a ``reshape``;
an index array becomes ``take`` along the first axis. As in MXNet, a result with no dimensions
left has shape ``(1,)``: ``x[1]`` on a 1-D array is ``[x1]``, not a scalar.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P


def _is_index_array(k: Any) -> bool:
    from tracegrad.ndarray import NDArray

    return isinstance(k, (NDArray, np.ndarray, list))


def numpy_key(key: Any, shape: tuple[int, ...]) -> Any:
    """The key as NumPy understands it (used by ``__setitem__``)."""
    from tracegrad.ndarray import NDArray

    if isinstance(key, NDArray):
        return key.asnumpy().astype(np.int64)
    if isinstance(key, tuple):
        return tuple(numpy_key(k, shape) for k in key)
    return key


def _expand_ellipsis(key: tuple, ndim: int) -> tuple:
    n_ell = sum(k is Ellipsis for k in key)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_ell == 0:
        return key
    i = key.index(Ellipsis)
    used = sum(k is not None for k in key) - 1
    return key[:i] + (slice(None),) * (ndim - used) + key[i + 1:]


def getitem(x: Any, key: Any) -> Any:
    from tracegrad.ndarray import NDArray, apply

    if _is_index_array(key):
        idx = key if isinstance(key, NDArray) else NDArray(np.asarray(key, dtype=np.float32))
        return apply(P.take, (x, idx), {"axis": 0})
    key = key if isinstance(key, tuple) else (key,)
    if any(_is_index_array(k) for k in key):
        raise IndexError("tracegrad supports an index array only as the whole key (x[idx]); "
                         "for other positions use nd.take(x, idx, axis=...) or nd.pick")
    shape = x.shape
    key = _expand_ellipsis(key, len(shape))
    n_axes = sum(k is not None for k in key)
    if n_axes > len(shape):
        raise IndexError(f"too many indices ({n_axes}) for an array of shape {shape}")
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
            i = int(k)  # a traced value raises ConcretizationError here
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            i %= n
            index.append((i, i + 1, 1))
        axis += 1
    out_shape.extend(shape[axis:])
    full = all(t == (0, n, 1) for t, n in zip(index, shape))
    y = x if full else apply(P.slice_p, (x,), {"index": tuple(index)})
    target = tuple(out_shape) if out_shape else (1,)
    if target != y.shape:
        y = apply(P.reshape, (y,), {"shape": target})
    return y
