"""Movement primitives: they rearrange elements without arithmetic.

A basic slice is described by ``index``, one ``(start, stop, step)`` triple per axis, already
normalised by the caller (tuples, because Python 3.10's slices are not hashable).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register, unbroadcast
from ._util import rand

Index = tuple[tuple[int, int, int], ...]


def _reshape_abstract(x: Any, *, shape: tuple[int, ...]) -> ShapedArray:
    if int(np.prod(shape, dtype=np.int64)) != int(np.prod(x.shape, dtype=np.int64)):
        raise ValueError(f"cannot reshape an array of shape {tuple(x.shape)} into {shape}")
    return ShapedArray(tuple(shape), np.dtype(x.dtype))


reshape: Primitive = register(Primitive(
    "reshape", "movement", lambda x, *, shape: np.reshape(x, shape), _reshape_abstract,
    lambda g, out, x, *, shape: [reshape(g, shape=tuple(x.shape))],
    samples=lambda: [((rand(3, 4),), {"shape": (2, 6)}), ((rand(3, 1),), {"shape": (3,)})],
    doc="Same elements, new shape (row-major)."))


def _transpose_abstract(x: Any, *, axes: tuple[int, ...]) -> ShapedArray:
    if sorted(axes) != list(range(len(x.shape))):
        raise ValueError(f"axes {axes} are not a permutation of the {len(x.shape)} axes")
    return ShapedArray(tuple(x.shape[a] for a in axes), np.dtype(x.dtype))


transpose: Primitive = register(Primitive(
    "transpose", "movement", lambda x, *, axes: np.transpose(x, axes), _transpose_abstract,
    lambda g, out, x, *, axes: [transpose(g, axes=tuple(np.argsort(axes).tolist()))],
    samples=lambda: [((rand(2, 3, 4),), {"axes": (2, 0, 1)})],
    doc="Permute the axes."))


def _broadcast_abstract(x: Any, *, shape: tuple[int, ...]) -> ShapedArray:
    xs = tuple(getattr(x, "shape", ()))
    if np.broadcast_shapes(xs, shape) != tuple(shape):
        raise ValueError(f"cannot broadcast shape {xs} to {shape}")
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.result_type(x)
    return ShapedArray(tuple(shape), dtype)


def _broadcast_impl(x: Any, *, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(x, shape)


broadcast_to = register(Primitive(
    "broadcast_to", "movement", _broadcast_impl, _broadcast_abstract,
    lambda g, out, x, *, shape: [unbroadcast(g, tuple(x.shape))],
    samples=lambda: [((rand(3, 1),), {"shape": (2, 3, 4)})],
    doc="Repeat along size-1 and new leading axes, as NumPy broadcasting does (a view)."))


def _slices(index: Index) -> tuple[slice, ...]:
    # Triples come from slice.indices(), where a reverse slice to the start has stop == -1.
    return tuple(slice(a, b if b >= 0 else None, c) for a, b, c in index)


def _slice_abstract(x: Any, *, index: Index) -> ShapedArray:
    shape = tuple(len(range(*t)) for t in index) + tuple(x.shape[len(index):])
    return ShapedArray(shape, np.dtype(x.dtype))


slice_p = register(Primitive(
    "slice", "movement", lambda x, *, index: x[_slices(index)], _slice_abstract,
    lambda g, out, x, *, index: [unslice(g, index=index, shape=tuple(x.shape))],
    samples=lambda: [((rand(4, 5),), {"index": ((1, 3, 1), (4, -1, -2))})],
    doc="Basic slicing x[start:stop:step, ...] (a view)."))


def _unslice_impl(g: np.ndarray, *, index: Index, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    out[_slices(index)] = g
    return out


unslice: Primitive = register(Primitive(
    "unslice", "other", _unslice_impl,
    lambda g, *, index, shape: ShapedArray(tuple(shape), np.dtype(g.dtype)),
    lambda ct, out, g, *, index, shape: [slice_p(ct, index=index)],
    samples=lambda: [((rand(2, 3),), {"index": ((1, 3, 1), (4, -1, -2)), "shape": (4, 5)})],
    doc="Zeros of `shape` with `g` written into the slice `index`: the adjoint of slice."))


def _concat_abstract(*xs: Any, axis: int) -> ShapedArray:
    first = tuple(xs[0].shape)
    for x in xs[1:]:
        s = tuple(x.shape)
        if len(s) != len(first) or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:]:
            raise ValueError(f"cannot concatenate shapes {[tuple(x.shape) for x in xs]} "
                             f"along axis {axis}: all other dimensions must match")
    size = sum(int(x.shape[axis]) for x in xs)
    return ShapedArray(first[:axis] + (size,) + first[axis + 1:],
                       np.result_type(*[x.dtype for x in xs]))


def _concat_vjp(g: Any, out: Any, *xs: Any, axis: int) -> list:
    cts, start = [], 0
    for x in xs:
        stop = start + int(x.shape[axis])
        index = tuple((0, n, 1) for n in g.shape[:axis]) + ((start, stop, 1),)
        cts.append(slice_p(g, index=index))
        start = stop
    return cts


concatenate = register(Primitive(
    "concatenate", "movement", lambda *xs, axis: np.concatenate(xs, axis=axis),
    _concat_abstract, _concat_vjp,
    samples=lambda: [((rand(2, 3), rand(2, 1), rand(2, 2)), {"axis": 1})],
    doc="Join arrays along an existing axis."))


def _take_impl(x: np.ndarray, idx: np.ndarray, *, axis: int) -> np.ndarray:
    # MXNet's default mode is 'clip': out-of-range indices take the nearest valid element.
    return np.take(x, np.asarray(idx).astype(np.int64), axis=axis, mode="clip")


def _take_abstract(x: Any, idx: Any, *, axis: int) -> ShapedArray:
    s = tuple(x.shape)
    return ShapedArray(s[:axis] + tuple(idx.shape) + s[axis + 1:], np.dtype(x.dtype))


take = register(Primitive(
    "take", "other", _take_impl, _take_abstract,
    lambda g, out, x, idx, *, axis: [take_adjoint(g, idx, axis=axis, shape=tuple(x.shape)),
                                     None],
    nondiff_argnums=(1,),
    samples=lambda: [((rand(4, 3), np.array([[0.0, 3.0], [2.0, 0.0]])), {"axis": 0}),
                     ((rand(4, 3), np.array([2.0, 1.0])), {"axis": 1})],
    doc="Gather entries along an axis at integer (or float) indices, clipped to range."))


def _take_adjoint_impl(g: np.ndarray, idx: np.ndarray, *, axis: int,
                       shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    i = np.clip(np.asarray(idx).astype(np.int64), 0, shape[axis] - 1)
    moved = np.moveaxis(out, axis, 0)
    gm = np.moveaxis(g, list(range(axis, axis + i.ndim)), list(range(i.ndim)))
    np.add.at(moved, i, gm)
    return out


take_adjoint: Primitive = register(Primitive(
    "take_adjoint", "other", _take_adjoint_impl,
    lambda g, idx, *, axis, shape: ShapedArray(tuple(shape), np.dtype(g.dtype)),
    lambda ct, out, g, idx, *, axis, shape: [take(ct, idx, axis=axis), None],
    nondiff_argnums=(1,),
    samples=lambda: [((rand(2, 2, 3), np.array([[0.0, 3.0], [2.0, 0.0]])),
                      {"axis": 0, "shape": (4, 3)})],
    doc="Scatter-add `g` into zeros of `shape` at the indices: the adjoint of take."))
