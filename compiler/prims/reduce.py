"""Reductions along axes. ``axes`` is a sorted tuple of non-negative ints (never None)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import away_from_ties, positive, rand


def _reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _abstract(x: Any, *, axes: tuple[int, ...], keepdims: bool) -> ShapedArray:
    for a in axes:
        if not 0 <= a < len(x.shape):
            raise ValueError(f"reduction axis {a} is out of range for shape {tuple(x.shape)}")
    return ShapedArray(_reduced_shape(tuple(x.shape), axes, keepdims), np.dtype(x.dtype))


def _expand(g: Any, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Broadcast a reduced cotangent (or result) back to the shape of ``x``."""
    from .movement import broadcast_to, reshape

    shape = tuple(x.shape)
    if not keepdims:
        g = reshape(g, shape=_reduced_shape(shape, axes, True))
    return broadcast_to(g, shape=shape)


def _samples() -> list:
    x = away_from_ties(3, 4, 2)
    return [((x,), {"axes": (1,), "keepdims": False}), ((x,), {"axes": (0, 2), "keepdims": True}),
            ((x,), {"axes": (0, 1, 2), "keepdims": False})]


def _reduce(name: str, ufunc: Callable, vjp: Callable, samples: Callable = _samples,
            doc: str = "") -> Primitive:
    def impl(x: np.ndarray, *, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        out = ufunc(x, axis=axes, keepdims=keepdims)
        return np.asarray(out, dtype=x.dtype)

    return register(Primitive(name, "reduce", impl, _abstract, vjp, samples=samples, doc=doc))


def _sum_impl(x: np.ndarray, *, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    # float32 sums accumulate in float64: NumPy's pairwise float32 sum still drifts at 1e7.
    acc = np.float64 if x.dtype == np.float32 else None
    return np.asarray(np.sum(x, axis=axes, keepdims=keepdims, dtype=acc), dtype=x.dtype)


reduce_sum = register(Primitive(
    "reduce_sum", "reduce", _sum_impl, _abstract,
    lambda g, out, x, *, axes, keepdims: [_expand(g, x, axes, keepdims)],
    samples=_samples, doc="Sum along axes."))


def _extremum_vjp(g: Any, out: Any, x: Any, *, axes: tuple, keepdims: bool) -> list:
    # Ties share the gradient equally, so the rule is the gradient of a symmetric function.
    from .elementwise import eq

    hit = eq(x, _expand(out, x, axes, keepdims))
    count = reduce_sum(hit, axes=axes, keepdims=True)
    return [hit * _expand(g, x, axes, keepdims) / count]


reduce_max = _reduce("reduce_max", np.max, _extremum_vjp, doc="Maximum along axes.")
reduce_min = _reduce("reduce_min", np.min, _extremum_vjp, doc="Minimum along axes.")
reduce_prod = _reduce(
    "reduce_prod", np.prod,
    # d prod / d x_i = prod / x_i; like MXNet this is undefined where x_i == 0.
    lambda g, out, x, *, axes, keepdims: [_expand(g * out, x, axes, keepdims) / x],
    lambda: [((positive(3, 4),), {"axes": (1,), "keepdims": False})],
    doc="Product along axes.")


def _arg_abstract(x: Any, *, axis: int, keepdims: bool) -> ShapedArray:
    return ShapedArray(_reduced_shape(tuple(x.shape), (axis,), keepdims), np.dtype(x.dtype))


def _arg(name: str, fn: Callable) -> Primitive:
    # MXNet returns indices as floats in the input's dtype.
    def impl(x: np.ndarray, *, axis: int, keepdims: bool) -> np.ndarray:
        return np.asarray(fn(x, axis=axis, keepdims=keepdims), dtype=x.dtype)

    return register(Primitive(
        name, "reduce", impl, _arg_abstract, lambda g, out, x, **_: [None],
        samples=lambda: [((rand(3, 4),), {"axis": 1, "keepdims": False})],
        doc=f"Index of the {name[3:]}imum along an axis, as a float."))


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)
