"""N-dimensional gathers and scatters of MXNet's nd: ``gather_nd``, ``scatter_nd`` (each the
other's adjoint), ``batch_take``, ``ravel_multi_index``, ``unravel_index`` and
``histogram``.

``gather_nd`` turns its (M, ...) index array into flat row numbers of ``data`` reshaped to
(prod(shape[:M]), ...) and takes them (the ``take`` primitive; its VJP, ``take_adjoint``,
adds the cotangent back, duplicates included); ``scatter_nd`` is that ``take_adjoint``, so
its gradient is the gather. Indices are truncated to integers; negative ones count from the
end in ``gather_nd`` (MXNet's rule) and are dropped by ``scatter_nd``, like indices past the
end. Duplicate indices in ``scatter_nd`` add up (MXNet leaves the result undefined; its
implementation keeps the last).
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


def _flat_rows(op: str, idx: NDArray, shape: tuple[int, ...], wrap: bool) -> tuple:
    """(flat row numbers, 0/1 in-range mask or None) of the (M, ...) indices into ``shape``."""
    m = idx.shape[0]
    if idx.ndim < 2 or m > len(shape):
        raise ValueError(f"{op}: indices must have shape (M, ...) with 1 <= M <= {len(shape)} "
                         f"(the data's dimensions) and at least 2 dimensions, got "
                         f"{idx.shape} (at {_user_line()})")
    ints = idx.astype(np.int64)  # truncated, as MXNet reads them
    if not ints.is_traced:
        vals = ints.asnumpy().reshape(m, -1)
        dims = np.asarray(shape[:m]).reshape(m, 1)
        low = -dims if wrap else 0
        if wrap and ((vals < low) | (vals >= dims)).any():
            raise IndexError(f"{op}: an index is out of range for the data's shape {shape} (at "
                             f"{_user_line()})")
    flat: Any = 0
    valid: Any = None
    for i in range(m):
        row = ops.reshape(slice_axis(ints, axis=0, begin=i, end=i + 1), idx.shape[1:])
        if wrap:
            row = ops.where(row < 0, row + shape[i], row)
        else:
            ok = (row >= 0) * (row < shape[i])
            valid = ok if valid is None else valid * ok
        flat = row * int(np.prod(shape[i + 1:m], dtype=np.int64)) + flat
    return flat, valid


def gather_nd(data: Any = None, indices: Any = None, out: NDArray | None = None,
              **kwargs: Any) -> NDArray:
    """``data[indices[0], ..., indices[M-1]]``: indices of shape (M, Y...) give an array of
    shape Y... + data.shape[M:]. The gradient adds the cotangent back (``scatter_nd`` with
    duplicates summed).

    Examples
    --------
    >>> from tracegrad import nd
    >>> d = nd.arange(12).reshape((3, 4))
    >>> nd.gather_nd(d, nd.array([[1, 0], [2, 1]])).asnumpy().tolist()
    [6.0, 1.0]
    """
    reject_unknown("nd.gather_nd", kwargs)
    x, idx = _nd(data), _nd(indices)
    flat, _ = _flat_rows("nd.gather_nd", idx, x.shape, wrap=True)
    m = idx.shape[0]
    rows = ops.reshape(x, (int(np.prod(x.shape[:m], dtype=np.int64)),) + x.shape[m:])
    return write_out("nd.gather_nd", apply(P.take, (rows, flat), {"axis": 0}), out)


def scatter_nd(data: Any = None, indices: Any = None, shape: Any = None,
               out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Zeros of ``shape`` with ``data`` written at ``indices`` (shape (M, Y...); data has
    shape Y... + shape[M:]). Out-of-range and negative indices are dropped; duplicates add
    up. The gradient gathers the cotangent at the indices.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.scatter_nd(nd.array([5.0, 6.0]), nd.array([[1, 0], [2, 1]]),
    ...               shape=(2, 3)).asnumpy().tolist()
    [[0.0, 6.0, 0.0], [0.0, 0.0, 5.0]]
    """
    reject_unknown("nd.scatter_nd", kwargs)
    if shape is None:
        raise TypeError(f"nd.scatter_nd: shape is required (at {_user_line()})")
    shape = int_tuple(shape, "nd.scatter_nd")
    x, idx = _nd(data), _nd(indices)
    m = idx.shape[0]
    want = idx.shape[1:] + shape[m:] if idx.ndim >= 2 else None
    if want is not None and x.shape != want:
        raise ValueError(f"nd.scatter_nd: data has shape {x.shape}; indices of shape "
                         f"{idx.shape} into {shape} need {want} (at {_user_line()})")
    flat, valid = _flat_rows("nd.scatter_nd", idx, shape, wrap=False)
    keep = ops.reshape(valid, idx.shape[1:] + (1,) * (len(shape) - m)).astype(x.dtype)
    rows = (int(np.prod(shape[:m], dtype=np.int64)),) + shape[m:]
    res = apply(P.take_adjoint, (x * keep, flat), {"axis": 0, "shape": rows})
    return write_out("nd.scatter_nd", ops.reshape(res, shape), out)


def batch_take(a: Any = None, indices: Any = None, out: NDArray | None = None,
               **kwargs: Any) -> NDArray:
    """``a[i, indices[i]]`` for each row i of a 2-D array (integer indices, clipped to the
    row), as ``nd.pick`` with axis 1.

    Examples
    --------
    >>> from tracegrad import nd
    >>> d = nd.arange(6).reshape((2, 3))
    >>> nd.batch_take(d, nd.array([2, 0], dtype='int32')).asnumpy().tolist()
    [2.0, 3.0]
    """
    reject_unknown("nd.batch_take", kwargs)
    x, idx = _nd(a), _nd(indices)
    if np.dtype(idx.dtype).kind not in "iu":
        raise TypeError(f"nd.batch_take: indices must be integers (int32 in MXNet), got "
                        f"{np.dtype(idx.dtype).name} (at {_user_line()})")
    if x.ndim != 2 or idx.shape != (x.shape[0],):
        raise ValueError(f"nd.batch_take: a must be 2-D and indices of shape (rows,), got "
                         f"{x.shape} and {idx.shape} (at {_user_line()})")
    k = x.shape[1]
    col = ops.clip(idx.astype(np.int64), 0, k - 1)
    flat = col + NDArray(np.arange(x.shape[0], dtype=np.int64) * k)
    return write_out("nd.batch_take", apply(P.take, (ops.reshape(x, (-1,)), flat),
                                            {"axis": 0}), out)


def ravel_multi_index(data: Any = None, shape: Any = None, out: NDArray | None = None,
                      **kwargs: Any) -> NDArray:
    """Flat indices (in ``data``'s dtype) of the (ndim, N) multi-indices into ``shape``, row
    major; no bounds check, as in MXNet. No gradient.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.ravel_multi_index(nd.array([[3, 6], [4, 5]]), shape=(7, 6)).asnumpy().tolist()
    [22.0, 41.0]
    """
    reject_unknown("nd.ravel_multi_index", kwargs)
    x, dims = _nd(data), int_tuple(shape, "nd.ravel_multi_index")
    if x.ndim < 1 or x.shape[0] != len(dims):
        raise ValueError(f"nd.ravel_multi_index: data must have shape ({len(dims)}, ...) for "
                         f"shape {dims}, got {x.shape} (at {_user_line()})")
    total: Any = 0
    for i in range(len(dims)):
        row = ops.reshape(slice_axis(x, axis=0, begin=i, end=i + 1), x.shape[1:])
        total = total + row * int(np.prod(dims[i + 1:], dtype=np.int64))
    return write_out("nd.ravel_multi_index", ops.stop_gradient(total), out)


def unravel_index(data: Any = None, shape: Any = None, out: NDArray | None = None,
                  **kwargs: Any) -> NDArray:
    """The (ndim, N) multi-indices (in ``data``'s dtype) of flat indices into ``shape``; the
    first index is not wrapped, as in MXNet. No gradient.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.unravel_index(nd.array([22, 41]), shape=(7, 6)).asnumpy().tolist()
    [[3.0, 6.0], [4.0, 5.0]]
    """
    reject_unknown("nd.unravel_index", kwargs)
    x, dims = _nd(data), int_tuple(shape, "nd.unravel_index")
    rest = x.astype(np.float64)
    rows = []
    for d in reversed(dims[1:]):
        q = ops.floor(rest / float(d))
        rows.append(rest - q * float(d))
        rest = q
    rows.append(rest)
    res = ops.stack(*reversed(rows), axis=0).astype(x.dtype)
    return write_out("nd.unravel_index", ops.stop_gradient(res), out)


def histogram(a: Any, bins: Any = 10, range: Any = None) -> Any:
    """Counts of ``a``'s values in ``bins`` (a number of equal bins over ``range``, or the
    data's min and max; or an NDArray of edges), and the edges; the last bin includes its
    right edge and values outside are not counted. As MXNet returns them: a tuple of float32
    counts for a number of bins without a range, else a list with int64 counts. Computed by
    NumPy: not traceable.

    Examples
    --------
    >>> from tracegrad import nd
    >>> counts, edges = nd.histogram(nd.array([1, 2, 2, 3, 7]), bins=3, range=(0, 9))
    >>> counts.asnumpy().tolist(), edges.asnumpy().tolist()
    ([3, 1, 1], [0.0, 3.0, 6.0, 9.0])
    """
    x = _nd(a).asnumpy()
    if isinstance(bins, NDArray):
        edges = bins.asnumpy()
        counts, _ = np.histogram(x, bins=edges.astype(np.float64))
        return [NDArray(counts.astype(np.int64)), NDArray(edges)]
    if range is None:
        counts, edges = np.histogram(x, bins=int(bins))
        return (NDArray(counts.astype(np.float32)), NDArray(edges.astype(x.dtype)))
    counts, edges = np.histogram(x, bins=int(bins), range=tuple(float(r) for r in range))
    return [NDArray(counts.astype(np.int64)), NDArray(edges.astype(x.dtype))]


__all__ = ["gather_nd", "scatter_nd", "batch_take", "ravel_multi_index", "unravel_index",
           "histogram"]
