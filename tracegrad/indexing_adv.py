"""Advanced indexing (index arrays in the key), MXNet 1.9's ``gather_nd`` rules.

Ints and index arrays are the *advanced* entries; they broadcast together into the index
*block*. Where they are adjacent in the key the block takes their place, otherwise it comes
first, then the sliced axes in order (NumPy's rule, which MXNet follows). ``None`` entries
insert axes where MXNet's ``_new_axes_after_advanced_indexing`` puts them; that is NumPy's
place except when the advanced entries are adjacent and the ``None`` follows them (MXNet puts
it before: ``x[[0, 1], None]`` on a (2, 3, 4) array is (1, 2, 3, 4), NumPy's (2, 1, 3, 4)).

The whole key becomes one integer array into the leading axes (those before the trailing
full ``:`` slices), flattened: ``x[key]`` is ``take(x.reshape(P, *rest), flat, axis=0)``,
and its gradient is ``take``'s adjoint, a scatter-add. ``x[key] = v`` writes through the same
flat index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad.errors import InPlaceError


def _is_adv(k: Any) -> bool:
    return k is not None and not isinstance(k, slice)


def _checked(a: Any, n: int, axis: int) -> Any:
    """Negative indices counted from the end; out of range an IndexError (traced: wrapped,
    and clipped by take)."""
    if isinstance(a, int):
        a = np.asarray(a, dtype=np.int64)
    if isinstance(a, np.ndarray):
        if a.size and (a.min() < -n or a.max() >= n):
            bad = a[(a < -n) | (a >= n)].ravel()[0]
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
        return np.where(a < 0, a + n, a) if a.size and a.min() < 0 else a
    a = a.astype(np.int64)  # a traced NDArray
    return a + (a < 0).astype(np.int64) * n


def _plan(shape: tuple, key: tuple) -> tuple[Any, tuple, int, list]:
    """``(flat, dims, lead, new_axes)``: the flat index into the first ``lead`` axes (shape
    ``dims``, the result's leading dimensions) and where ``None`` inserts axes."""
    key_nd = [k for k in key if k is not None]
    ndim = len(shape)
    trailing = 0
    while trailing < ndim and isinstance(key_nd[ndim - 1 - trailing], slice) and \
            key_nd[ndim - 1 - trailing].indices(shape[ndim - 1 - trailing]) == \
            (0, shape[ndim - 1 - trailing], 1):
        trailing += 1
    lead = ndim - trailing
    adv_pos = [i for i, k in enumerate(key) if _is_adv(k)]
    adjacent = all(b - a == 1 for a, b in zip(adv_pos, adv_pos[1:]))
    arrays = {a: _checked(k, shape[a], a) for a, k in enumerate(key_nd) if _is_adv(k)}
    try:
        block = np.broadcast_shapes(*[tuple(a.shape) for a in arrays.values()])
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {[tuple(a.shape) for a in arrays.values()]}") from None
    ranges = {a: np.arange(*k.indices(shape[a]), dtype=np.int64)
              for a, k in enumerate(key_nd[:lead]) if isinstance(k, slice)}
    first = min(arrays)
    before = [a for a in ranges if a < first] if adjacent else []
    after = [a for a in ranges if a not in before]
    dims = tuple(len(ranges[a]) for a in before) + block + tuple(len(ranges[a]) for a in after)
    flat: Any = None
    stride = 1
    for a in range(lead - 1, -1, -1):
        if a in arrays:
            idx = arrays[a]
            pad = (1,) * (len(block) - idx.ndim) + tuple(idx.shape)
            idx = idx.reshape((1,) * len(before) + pad + (1,) * len(after))
        else:
            pos = before.index(a) if a in before else len(before) + len(block) + after.index(a)
            idx = ranges[a].reshape(tuple(-1 if d == pos else 1 for d in range(len(dims))))
        term = idx * stride if stride != 1 else idx
        flat = term if flat is None else term + flat
        stride *= shape[a]
    if isinstance(flat, np.ndarray) and flat.shape != dims:
        flat = np.broadcast_to(flat, dims)
    elif not isinstance(flat, np.ndarray) and flat.shape != dims:
        flat = apply_broadcast(flat, dims)
    steps = [0 if adjacent else len(block)] + [0 if _is_adv(k) else 1 for k in key]
    cum = np.cumsum(steps)
    new_axes = [int(cum[i]) for i, k in enumerate(key) if k is None]
    return flat, dims, lead, new_axes


def apply_broadcast(a: Any, shape: tuple) -> Any:
    from tracegrad.ndarray import apply

    return apply(P.broadcast_to, (a, ), {"shape": tuple(shape)})


def take_rows(x: Any, idx: Any) -> Any:
    """``x[idx]`` for one index array (int64 NumPy, or a traced NDArray): rows of ``x``."""
    from tracegrad.ndarray import apply

    return apply(P.take, (x, _checked(idx, x.shape[0], 0)), {"axis": 0})


def gather(x: Any, key: tuple) -> Any:
    """``x[key]`` for an advanced ``key`` (normalized by indexing.normalize_key)."""
    from tracegrad.ndarray import apply

    shape = x.shape
    flat, dims, lead, new_axes = _plan(shape, key)
    rows = (int(np.prod(shape[:lead], dtype=np.int64)),) + shape[lead:]
    xr = x if rows == shape else apply(P.reshape, (x,), {"shape": rows})
    y = apply(P.take, (xr, flat), {"axis": 0})
    final = list(dims + shape[lead:])
    for ax in new_axes:
        final.insert(ax, 1)
    target = tuple(final) if final else (1,)
    return y if target == y.shape else apply(P.reshape, (y,), {"shape": target})


def scatter_plan(shape: tuple, key: tuple) -> tuple[np.ndarray, tuple, int]:
    """``(flat, region, lead)`` for ``x[key] = value``: ``value`` broadcast to ``region`` goes
    to ``x.reshape(-1, *shape[lead:])[flat]``."""
    if any(not isinstance(k, (np.ndarray, int, slice)) and k is not None for k in key):
        raise TypeError("x[key] = value with a traced index array is not supported inside "
                        "jit; compute the array with nd.where or one_hot instead")
    flat, dims, lead, _ = _plan(shape, key)
    return flat, dims + tuple(shape[lead:]), lead


def write_recorded(x: Any, value: Any, whole: bool, key: tuple) -> bool:
    """Under ``record()``, a value that needs a gradient: written over the whole of ``x``
    (``x[:] = y``), ``x`` becomes a recorded copy of it (broadcast and cast, as MXNet's
    copyto), and True is returned; written into part of ``x``, an InPlaceError, as in MXNet
    (the write cannot be recorded without making ``x`` a new array)."""
    from tracegrad.ndarray import NDArray, _user_line, apply
    from tracegrad.state import FLAGS
    from tracegrad.tape import NoVariable

    if not (FLAGS.get()[0] and isinstance(value, NDArray) and value._node is not None
            and type(value._node) is not NoVariable):
        return False
    if not whole:
        raise InPlaceError(
            f"x[...] = value inside autograd.record() with a value that needs a gradient "
            f"(at {_user_line()}): the write into part of an array of shape {x.shape} cannot "
            "be recorded (MXNet raises here too). Build the array with an operation instead "
            "(nd.concat, nd.where, nd.one_hot * value, ...), or assign the whole array "
            "(x[:] = value), which is recorded as a copy.")
    r = value
    while r.ndim > x.ndim and r.shape[0] == 1:
        r = apply(P.reshape, (r,), {"shape": r.shape[1:]})
    if r.shape != x.shape:
        if r.ndim < x.ndim:
            r = apply(P.reshape, (r,), {"shape": (1,) * (x.ndim - r.ndim) + r.shape})
        try:
            np.broadcast_shapes(r.shape, x.shape)
        except ValueError:
            raise ValueError(f"cannot assign a value of shape {value.shape} to x[key] of "
                             f"shape {x.shape}: the shapes do not broadcast") from None
        r = apply(P.broadcast_to, (r,), {"shape": x.shape})
    r = apply(P.cast, (r,), {"dtype": np.dtype(x._data.dtype).name})  # a copy, recorded
    x._data = r._data
    x._node = r._node
    return True
