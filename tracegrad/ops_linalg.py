"""MXNet's ``linalg_*`` operators (also ``nd.linalg.*``, :mod:`tracegrad.linalg`) and
``khatri_rao``, on the last two axes, batched over the others.

potrf, trsm, inverse, det, slogdet, gelqf and syevd are the primitives of
``compiler/prims/linalg_extra.py``; gemm, gemm2, potri, trmm, syrk, sumlogdiag and
khatri_rao are composites of them and ``matmul``; the diagonal and triangle operators gather
(``take``) at constant indices, so every gradient is the composite's. As in MXNet, a
2-D input gives determinants and sums of shape (1,); integer input is an error; trsm and
trmm read only the ``lower`` (or upper) triangle, potri the lower one; potrf and syevd read
the symmetric part (A + A^T) / 2 — for the symmetric input they are meant for, the matrix
MXNet reads (its lower triangle), and the function whose derivative is MXNet's symmetric
gradient.
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


def _floats(op: str, *xs: Any, least: int = 2) -> list[NDArray]:
    out = [_nd(x) for x in xs]
    for x in out:
        if np.dtype(x.dtype).kind != "f":
            raise TypeError(f"{op}: expected float arrays, got {np.dtype(x.dtype).name} (at "
                            f"{_user_line()})")
        if x.ndim < least:
            raise ValueError(f"{op}: expected arrays with at least {least} dimensions, got "
                             f"shape {x.shape} (at {_user_line()})")
    return out


def _t(x: NDArray) -> NDArray:
    return ops.swapaxes(x, -1, -2)


def _vector_result(y: NDArray) -> NDArray:
    """MXNet gives shape (1,) where a 2-D input reduces to a scalar."""
    return ops.reshape(y, (1,)) if y.ndim == 0 else y


def _product(op: str, a: NDArray, b: NDArray, transpose_a: bool, transpose_b: bool,
             alpha: float, axis: int) -> tuple[NDArray, int]:
    if a.ndim != b.ndim:
        raise ValueError(f"{op}: A and B must have the same number of dimensions, got "
                         f"{a.shape} and {b.shape} (at {_user_line()})")
    ax = axis % a.ndim
    if ax != a.ndim - 2:
        a, b = moveaxis(a, ax, -2), moveaxis(b, ax, -2)
    a = _t(a) if transpose_a else a
    b = _t(b) if transpose_b else b
    return apply(P.matmul, (a, b), {}) * float(alpha), ax


def _moved_back(y: NDArray, ax: int) -> NDArray:
    return y if ax == y.ndim - 2 else moveaxis(y, -2, ax)


def linalg_gemm(A: Any = None, B: Any = None, C: Any = None, transpose_a: bool = False,
                transpose_b: bool = False, alpha: float = 1.0, beta: float = 1.0,
                axis: int = -2, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """alpha op(A) op(B) + beta C; ``axis`` is the axis of the matrix rows (-2)."""
    reject_unknown("nd.linalg_gemm", kwargs)
    a, b, c = _floats("nd.linalg_gemm", A, B, C)
    prod, ax = _product("nd.linalg_gemm", a, b, transpose_a, transpose_b, alpha, axis)
    return write_out("nd.linalg_gemm", _moved_back(prod, ax) + c * float(beta), out)


def linalg_gemm2(A: Any = None, B: Any = None, transpose_a: bool = False,
                 transpose_b: bool = False, alpha: float = 1.0, axis: int = -2,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """alpha op(A) op(B); ``axis`` is the axis of the matrix rows (-2).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.linalg_gemm2(nd.ones((2, 3)), nd.ones((3, 4))).shape
    (2, 4)
    """
    reject_unknown("nd.linalg_gemm2", kwargs)
    a, b = _floats("nd.linalg_gemm2", A, B)
    prod, ax = _product("nd.linalg_gemm2", a, b, transpose_a, transpose_b, alpha, axis)
    return write_out("nd.linalg_gemm2", _moved_back(prod, ax), out)


def linalg_potrf(A: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The lower Cholesky factor L of a symmetric positive definite A = L L^T."""
    reject_unknown("nd.linalg_potrf", kwargs)
    (a,) = _floats("nd.linalg_potrf", A)
    return write_out("nd.linalg_potrf", apply(P.cholesky, (a,), {}), out)


def _eye_like(a: NDArray) -> NDArray:
    n = a.shape[-1]
    return NDArray(np.broadcast_to(np.eye(n, dtype=np.dtype(a.dtype)), a.shape).copy())


def _solve(a: NDArray, b: NDArray, lower: bool, transpose: bool, left: bool) -> NDArray:
    return apply(P.triangular_solve, (a, b), {"lower": bool(lower),
                                              "transpose": bool(transpose), "left": bool(left)})


def linalg_potri(A: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """(L L^T)^-1 from a lower Cholesky factor L: the inverse of the factored matrix."""
    reject_unknown("nd.linalg_potri", kwargs)
    (a,) = _floats("nd.linalg_potri", A)
    inv = _solve(a, _eye_like(a), True, False, True)  # L^-1
    return write_out("nd.linalg_potri", apply(P.matmul, (_t(inv), inv), {}), out)


def linalg_trsm(A: Any = None, B: Any = None, transpose: bool = False,
                rightside: bool = False, lower: bool = True, alpha: float = 1.0,
                out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """X with op(T) X = alpha B (X op(T) = alpha B if ``rightside``), T the lower (or upper)
    triangle of A and op a transpose if ``transpose``."""
    reject_unknown("nd.linalg_trsm", kwargs)
    a, b = _floats("nd.linalg_trsm", A, B)
    rhs = b * float(alpha) if alpha != 1.0 else b
    return write_out("nd.linalg_trsm", _solve(a, rhs, lower, transpose, not rightside), out)


def linalg_trmm(A: Any = None, B: Any = None, transpose: bool = False,
                rightside: bool = False, lower: bool = True, alpha: float = 1.0,
                out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """alpha op(T) B (B op(T) if ``rightside``), T the lower (or upper) triangle of A."""
    reject_unknown("nd.linalg_trmm", kwargs)
    a, b = _floats("nd.linalg_trmm", A, B)
    n = a.shape[-1]
    tri = np.tri(n, dtype=np.dtype(a.dtype))
    t = a * NDArray(tri if lower else tri.T.copy())
    t = _t(t) if transpose else t
    prod = apply(P.matmul, (b, t) if rightside else (t, b), {})
    return write_out("nd.linalg_trmm", prod * float(alpha), out)


def linalg_syrk(A: Any = None, transpose: bool = False, alpha: float = 1.0,
                out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """alpha A A^T (alpha A^T A if ``transpose``)."""
    reject_unknown("nd.linalg_syrk", kwargs)
    (a,) = _floats("nd.linalg_syrk", A)
    pair = (_t(a), a) if transpose else (a, _t(a))
    return write_out("nd.linalg_syrk", apply(P.matmul, pair, {}) * float(alpha), out)


def linalg_inverse(A: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The inverse matrix."""
    reject_unknown("nd.linalg_inverse", kwargs)
    (a,) = _floats("nd.linalg_inverse", A)
    return write_out("nd.linalg_inverse", apply(P.inverse, (a,), {}), out)


def linalg_det(A: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The determinant (shape (1,) for one matrix).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.linalg_det(nd.array([[2.0, 1.0], [1.0, 3.0]])).asnumpy().tolist()
    [5.0]
    """
    reject_unknown("nd.linalg_det", kwargs)
    (a,) = _floats("nd.linalg_det", A)
    return write_out("nd.linalg_det", _vector_result(apply(P.det, (a,), {})), out)


def linalg_slogdet(A: Any = None, out: Any = None, **kwargs: Any) -> list[NDArray]:
    """[sign, log abs(det)] of the determinant (each of shape (1,) for one matrix)."""
    reject_unknown("nd.linalg_slogdet", kwargs)
    (a,) = _floats("nd.linalg_slogdet", A)
    res = [_vector_result(y) for y in apply(P.slogdet, (a,), {})]
    return res if out is None else [write_out("nd.linalg_slogdet", r, o)
                                    for r, o in zip(res, out)]


def _square(op: str, a: NDArray) -> int:
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expected square matrices, got shape {a.shape} (at "
                         f"{_user_line()})")
    return a.shape[-1]


def _gather_flat(a: NDArray, flat: np.ndarray) -> NDArray:
    """a's last two axes flattened, taken at ``flat``: shape a.shape[:-2] + flat.shape."""
    rows = ops.reshape(a, a.shape[:-2] + (-1,))
    return apply(P.take, (rows, NDArray(flat)), {"axis": rows.ndim - 1})


def _scatter_flat(v: NDArray, where: np.ndarray) -> NDArray:
    """Matrices whose entries are v's last axis at the positions ``where`` (-1: zero)."""
    zero = NDArray(np.zeros(v.shape[:-1] + (1,), dtype=np.dtype(v.dtype)))
    padded = ops.concat(v, zero, dim=v.ndim - 1)
    idx = np.where(where < 0, v.shape[-1], where)
    return apply(P.take, (padded, NDArray(idx)), {"axis": v.ndim - 1})


def _diag_positions(n: int, offset: int) -> np.ndarray:
    i = np.arange(n - abs(offset))
    return (i + max(-offset, 0)) * n + i + max(offset, 0)


def linalg_extractdiag(A: Any = None, offset: int = 0, out: NDArray | None = None,
                       **kwargs: Any) -> NDArray:
    """The diagonal ``offset`` (above the main one if positive) of each matrix."""
    reject_unknown("nd.linalg_extractdiag", kwargs)
    (a,) = _floats("nd.linalg_extractdiag", A)
    n = _square("nd.linalg_extractdiag", a)
    if abs(offset) >= n:
        raise ValueError(f"nd.linalg_extractdiag: offset {offset} is outside a {n}x{n} matrix")
    return write_out("nd.linalg_extractdiag", _gather_flat(a, _diag_positions(n, offset)),
                     out)


def linalg_makediag(A: Any = None, offset: int = 0, out: NDArray | None = None,
                    **kwargs: Any) -> NDArray:
    """Square matrices with the last axis of ``A`` on diagonal ``offset``, zeros elsewhere."""
    reject_unknown("nd.linalg_makediag", kwargs)
    (a,) = _floats("nd.linalg_makediag", A, least=1)
    k = a.shape[-1]
    n = k + abs(offset)
    where = np.full(n * n, -1, dtype=np.int64)
    where[_diag_positions(n, offset)] = np.arange(k)
    return write_out("nd.linalg_makediag", _scatter_flat(a, where.reshape(n, n)), out)


def _trian_positions(n: int, offset: int, lower: bool) -> np.ndarray:
    """Flat positions of the triangle, in MXNet's order: the lower one row by row; the upper
    one (offset > 0, or offset 0 and not lower) column by column."""
    upper = offset > 0 or (offset == 0 and not lower)
    k = -abs(offset)
    i, j = np.nonzero(np.tri(n, k=k, dtype=bool))  # row-major, j <= i + k
    return j * n + i if upper else i * n + j


def linalg_extracttrian(A: Any = None, offset: int = 0, lower: bool = True,
                        out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The triangle of each matrix as a vector: the lower one (row by row) or the upper one
    (``lower=False``, column by column); ``offset`` > 0 (< 0) starts above (below) the main
    diagonal."""
    reject_unknown("nd.linalg_extracttrian", kwargs)
    (a,) = _floats("nd.linalg_extracttrian", A)
    n = _square("nd.linalg_extracttrian", a)
    if abs(offset) >= n:
        raise ValueError(f"nd.linalg_extracttrian: offset {offset} is outside a {n}x{n} "
                         "matrix")
    return write_out("nd.linalg_extracttrian",
                     _gather_flat(a, _trian_positions(n, offset, lower)), out)


def linalg_maketrian(A: Any = None, offset: int = 0, lower: bool = True,
                     out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Triangular matrices from vectors in :func:`linalg_extracttrian`'s order (the inverse
    of it; zeros elsewhere)."""
    reject_unknown("nd.linalg_maketrian", kwargs)
    (a,) = _floats("nd.linalg_maketrian", A, least=1)
    m = a.shape[-1]
    side = int(round((np.sqrt(8 * m + 1) - 1) / 2))
    if side * (side + 1) // 2 != m:
        raise ValueError(f"nd.linalg_maketrian: {m} elements do not fill a triangle (at "
                         f"{_user_line()})")
    n = side + abs(offset)
    where = np.full(n * n, -1, dtype=np.int64)
    where[_trian_positions(n, offset, lower)] = np.arange(m)
    return write_out("nd.linalg_maketrian", _scatter_flat(a, where.reshape(n, n)), out)


def linalg_sumlogdiag(A: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The sum of the logarithms of the diagonal (shape (1,) for one matrix)."""
    reject_unknown("nd.linalg_sumlogdiag", kwargs)
    (a,) = _floats("nd.linalg_sumlogdiag", A)
    n = _square("nd.linalg_sumlogdiag", a)
    d = _gather_flat(a, _diag_positions(n, 0))
    return write_out("nd.linalg_sumlogdiag", _vector_result(
        apply(P.reduce_sum, (ops.log(d),), {"axes": (d.ndim - 1,), "keepdims": False})), out)


def linalg_gelqf(A: Any = None, out: Any = None, **kwargs: Any) -> list[NDArray]:
    """[Q, L] with A = L Q: Q (m, n) with orthonormal rows, L (m, m) lower triangular;
    needs m <= n."""
    reject_unknown("nd.linalg_gelqf", kwargs)
    (a,) = _floats("nd.linalg_gelqf", A)
    if a.shape[-2] > a.shape[-1]:
        raise ValueError(f"nd.linalg_gelqf: A must not have more rows than columns, got shape "
                         f"{a.shape} (at {_user_line()})")
    return list(apply(P.lq, (a,), {}))


def linalg_syevd(A: Any = None, out: Any = None, **kwargs: Any) -> list[NDArray]:
    """[U, w] with A = U^T diag(w) U for a symmetric A: eigenvalues ascending, eigenvectors as
    the rows of U (each with its largest entry positive)."""
    reject_unknown("nd.linalg.syevd", kwargs)
    (a,) = _floats("nd.linalg.syevd", A)
    _square("nd.linalg.syevd", a)
    return list(apply(P.eigh, (a,), {}))


def khatri_rao(*args: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The column-wise Kronecker product of matrices with the same number of columns: rows
    (i, j, ...) are the products of row i of the first, row j of the second, ...

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.khatri_rao(nd.array([[1, 2]]), nd.array([[3, 4], [5, 6]])).asnumpy().tolist()
    [[3.0, 8.0], [5.0, 12.0]]
    """
    reject_unknown("nd.khatri_rao", kwargs)
    if not args:
        raise ValueError("nd.khatri_rao needs at least one matrix")
    mats = [_nd(a) for a in args]
    for m in mats:
        if m.ndim != 2 or m.shape[1] != mats[0].shape[1]:
            raise ValueError(f"nd.khatri_rao: matrices with the same number of columns are "
                             f"needed, got {[x.shape for x in mats]} (at {_user_line()})")
    res = mats[0]
    for m in mats[1:]:
        k = res.shape[1]
        res = ops.reshape(ops.reshape(res, (-1, 1, k)) * ops.reshape(m, (1, -1, k)), (-1, k))
    return write_out("nd.khatri_rao", res, out)


__all__ = ["linalg_gemm", "linalg_gemm2", "linalg_potrf", "linalg_potri", "linalg_trsm",
           "linalg_trmm", "linalg_syrk", "linalg_inverse", "linalg_det", "linalg_slogdet",
           "linalg_extractdiag", "linalg_makediag", "linalg_extracttrian", "linalg_maketrian",
           "linalg_sumlogdiag", "linalg_gelqf", "khatri_rao"]
