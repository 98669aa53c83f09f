"""Contractions. They run through NumPy's BLAS, between fused kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register, unbroadcast
from . import _blas as blas
from ._util import rand, result_dtype


def _matmul_abstract(a: Any, b: Any) -> ShapedArray:
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) < 2 or len(sb) < 2:
        raise ValueError(f"matmul needs arrays with at least 2 dimensions, got {sa} and {sb}")
    if sa[-1] != sb[-2]:
        raise ValueError(f"matmul shapes {sa} and {sb} do not align: "
                         f"{sa[-1]} (last axis of the first) != {sb[-2]} (axis -2 of the second)")
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    return ShapedArray(batch + (sa[-2], sb[-1]), result_dtype(a, b))


def _swap_last(x: Any) -> Any:
    from .movement import transpose

    n = len(x.shape)
    return transpose(x, axes=tuple(range(n - 2)) + (n - 1, n - 2))


def _matmul_vjp(g: Any, out: Any, a: Any, b: Any, *, needs: tuple) -> list:
    # Batch dimensions broadcast like elementwise ones, so they are summed back the same way.
    # A product is as costly as the forward one: skip the side that needs no gradient.
    ga = unbroadcast(matmul(g, _swap_last(b)), tuple(a.shape)) if needs[0] else None
    gb = unbroadcast(matmul(_swap_last(a), g), tuple(b.shape)) if needs[1] else None
    return [ga, gb]


matmul = register(Primitive(
    "matmul", "contraction", blas.matmul, _matmul_abstract, _matmul_vjp, uses_needs=True,
    samples=lambda: [((rand(3, 4), rand(4, 2)), {}), ((rand(2, 3, 4), rand(4, 5)), {})],
    doc="Matrix product over the last two axes, batched over the others (np.matmul)."))
