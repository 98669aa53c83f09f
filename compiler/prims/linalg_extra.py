"""Matrix factorisations and solves over the last two axes, batched over the others (MXNet's
``linalg_*``): cholesky, triangular_solve, inverse, det, slogdet, lq and eigh.

Their VJPs are the standard ones, written with these primitives and ``matmul`` (so every
order of derivative exists): cholesky's is ``sym(L^-T Phi(L^T Lbar) L^-1)``, Phi taking the
lower triangle with half the diagonal; a triangular solve's is a solve with the transposed
triangle; inverse's ``-inv^T g inv^T``; det's ``g det inv^T``; lq's and eigh's the usual
ones for distinct values. cholesky and eigh read the symmetric part (A + A^T) / 2 — the
same matrix for the symmetric input they are for, and the function whose derivative is
MXNet's symmetric gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import rand
from .linalg import _swap_last, matmul
from .movement import broadcast_to, reshape


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _square(name: str, a: Any) -> tuple[int, ...]:
    s = tuple(a.shape)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name} needs square matrices in the last two axes, got shape {s}")
    return s


def _mask(n: int, dtype: Any, k: int = 0, lower: bool = True) -> np.ndarray:
    m = np.tri(n, k=k, dtype=np.dtype(dtype)) if lower else np.tri(n, k=-k, dtype=np.dtype(
        dtype)).T
    return m


def _expand2(x: Any) -> Any:
    """Batch-shaped values as (..., 1, 1), to scale matrices."""
    return reshape(x, shape=tuple(x.shape) + (1, 1))


def _sym_impl(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return (a + _swap(a)) * a.dtype.type(0.5)


# -- cholesky ---------------------------------------------------------------------------------

def _cholesky_impl(a: Any) -> np.ndarray:
    return np.linalg.cholesky(_sym_impl(a))


def _cholesky_vjp(g: Any, out: Any, a: Any) -> list:
    n = out.shape[-1]
    phi = _mask(n, out.dtype) - np.eye(n, dtype=np.dtype(out.dtype)) * 0.5
    p = matmul(_swap_last(out), g) * phi
    s = triangular_solve(out, triangular_solve(out, p, lower=True, transpose=False, left=False),
                         lower=True, transpose=True, left=True)
    return [(s + _swap_last(s)) * 0.5]


def _spd(*batch: int) -> np.ndarray:
    r = rand(*batch, 3, 3)
    return r @ _swap(r) + 3.0 * np.eye(3)


cholesky: Primitive = register(Primitive(
    "cholesky", "contraction", _cholesky_impl,
    lambda a: ShapedArray(_square("cholesky", a), np.dtype(a.dtype)), _cholesky_vjp,
    samples=lambda: [((_spd(),), {}), ((_spd(2),), {})],
    doc="Lower Cholesky factor L of (A + A^T)/2 = L L^T (linalg_potrf)."))


# -- triangular solve -------------------------------------------------------------------------

def _forward_substitution(t: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                 dtype=np.result_type(t, b))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero pivot gives inf, as BLAS
        for i in range(t.shape[-1]):
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :i], x[..., :i, :])
            x[..., i, :] = acc / t[..., i, i, None]
    return x


def _tri_solve_impl(a: Any, b: Any, *, lower: bool, transpose: bool, left: bool) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    t = np.tril(a) if lower else np.triu(a)
    if transpose:
        t = _swap(t)
    is_lower = lower != transpose
    if not left:  # X T = B  <=>  T^T X^T = B^T
        t, b, is_lower = _swap(t), _swap(b), not is_lower
    if not is_lower:  # an upper solve is a lower one in reversed order
        x = _forward_substitution(t[..., ::-1, ::-1], b[..., ::-1, :])[..., ::-1, :]
    else:
        x = _forward_substitution(t, b)
    return _swap(x) if not left else x


def _tri_solve_abstract(a: Any, b: Any, *, lower: bool, transpose: bool,
                        left: bool) -> ShapedArray:
    n = _square("triangular_solve", a)[-1]
    sb = tuple(b.shape)
    if len(sb) != len(a.shape) or sb[:-2] != tuple(a.shape[:-2]) or \
            sb[-2 if left else -1] != n:
        raise ValueError(f"triangular_solve: a matrix of shape {tuple(a.shape)} cannot solve "
                         f"for a right-hand side of shape {sb} ({'left' if left else 'right'} "
                         "side)")
    return ShapedArray(sb, np.result_type(a.dtype, b.dtype))


def _tri_solve_vjp(g: Any, out: Any, a: Any, b: Any, *, lower: bool, transpose: bool,
                   left: bool, needs: tuple) -> list:
    gb = triangular_solve(a, g, lower=lower, transpose=not transpose, left=left)
    ga = None
    if needs[0]:
        gt = -matmul(gb, _swap_last(out)) if left else -matmul(_swap_last(out), gb)
        if transpose:
            gt = _swap_last(gt)
        ga = gt * _mask(a.shape[-1], gt.dtype, lower=lower)
    return [ga, gb]


def _tri_samples() -> list:
    a = rand(3, 3) + 4.0 * np.eye(3)
    return [((a, rand(3, 2)), {"lower": True, "transpose": False, "left": True}),
            ((a, rand(2, 3)), {"lower": True, "transpose": True, "left": False}),
            ((a, rand(3, 2)), {"lower": False, "transpose": True, "left": True}),
            ((a, rand(2, 3)), {"lower": False, "transpose": False, "left": False})]


triangular_solve: Primitive = register(Primitive(
    "triangular_solve", "contraction", _tri_solve_impl, _tri_solve_abstract, _tri_solve_vjp,
    uses_needs=True, samples=_tri_samples,
    doc="X with op(T) X = B (left) or X op(T) = B, T the lower/upper triangle of A and op "
        "a transpose or not (linalg_trsm)."))


# -- inverse, det, slogdet --------------------------------------------------------------------

def _well_conditioned() -> np.ndarray:
    return rand(3, 3) + 3.0 * np.eye(3)


inverse: Primitive = register(Primitive(
    "inverse", "contraction", lambda a: np.linalg.inv(np.asarray(a)),
    lambda a: ShapedArray(_square("inverse", a), np.dtype(a.dtype)),
    lambda g, out, a: [-matmul(matmul(_swap_last(out), g), _swap_last(out))],
    samples=lambda: [((_well_conditioned(),), {}), ((rand(2, 2, 2) + 2.0 * np.eye(2),), {})],
    doc="The inverse matrix (linalg_inverse)."))


def _det_abstract(a: Any) -> ShapedArray:
    return ShapedArray(_square("det", a)[:-2], np.dtype(a.dtype))


def _det_impl(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return np.asarray(np.linalg.det(a), dtype=a.dtype)


det: Primitive = register(Primitive(
    "det", "contraction", _det_impl, _det_abstract,
    lambda g, out, a: [_expand2(g * out) * _swap_last(inverse(a))],
    samples=lambda: [((_well_conditioned(),), {}), ((rand(2, 3, 3) + 3.0 * np.eye(3),), {})],
    doc="The determinant (linalg_det)."))


def _slogdet_impl(a: Any) -> list:
    a = np.asarray(a)
    sign, logabs = np.linalg.slogdet(a)
    return [np.asarray(sign, dtype=a.dtype), np.asarray(logabs, dtype=a.dtype)]


slogdet: Primitive = register(Primitive(
    "slogdet", "contraction", _slogdet_impl, lambda a: [_det_abstract(a)] * 2,
    lambda cts, outs, a: [_expand2(cts[1]) * _swap_last(inverse(a))],
    multiple_results=True,
    samples=lambda: [((_well_conditioned(),), {}),
                     ((np.array([[0.5, 2.0], [1.5, -0.5]]),), {})],
    doc="(sign, log |det|) of the determinant (linalg_slogdet)."))


# -- lq (gelqf) -------------------------------------------------------------------------------

def _lq_impl(a: Any) -> list:
    a = np.asarray(a)
    q, r = np.linalg.qr(_swap(a))
    return [_swap(q).astype(a.dtype, copy=False), _swap(r).astype(a.dtype, copy=False)]


def _lq_abstract(a: Any) -> list:
    s = tuple(a.shape)
    if len(s) < 2 or s[-2] > s[-1]:
        raise ValueError(f"lq needs matrices with no more rows than columns, got shape {s}")
    return [ShapedArray(s, np.dtype(a.dtype)), ShapedArray(s[:-1] + (s[-2],), np.dtype(a.dtype))]


def _lq_vjp(cts: Any, outs: Any, a: Any) -> list:
    gq, gl = cts
    q, low = outs
    m = matmul(_swap_last(low), gl) - matmul(gq, _swap_last(q))
    n = low.shape[-1]
    copyltu = m * _mask(n, m.dtype) + _swap_last(m * _mask(n, m.dtype, k=-1))
    y = gq + matmul(copyltu, q)
    return [triangular_solve(low, y, lower=True, transpose=True, left=True)]


lq: Primitive = register(Primitive(
    "lq", "contraction", _lq_impl, _lq_abstract, _lq_vjp, multiple_results=True,
    samples=lambda: [((rand(2, 3),), {}), ((rand(2, 2, 4),), {})],
    doc="(Q, L) with A = L Q, Q with orthonormal rows, L lower triangular (linalg_gelqf)."))


# -- eigh (syevd) -----------------------------------------------------------------------------

def _eigh_impl(a: Any) -> list:
    a = _sym_impl(a)
    w, v = np.linalg.eigh(a)
    u = _swap(v)
    # each eigenvector (a row of U) with its largest-magnitude entry positive, as MXNet
    big = np.take_along_axis(u, np.abs(u).argmax(axis=-1)[..., None], axis=-1)
    u = u * np.where(big < 0, -1.0, 1.0).astype(a.dtype)
    return [u.astype(a.dtype, copy=False), w.astype(a.dtype, copy=False)]


def _eigh_vjp(cts: Any, outs: Any, a: Any) -> list:
    from .elementwise import div, where

    gu, gw = cts
    u, w = outs
    n = w.shape[-1]
    eye = np.eye(n, dtype=np.dtype(w.dtype))
    shape = tuple(w.shape)
    diff = broadcast_to(reshape(w, shape=shape[:-1] + (1, n)), shape=shape + (n,)) - \
        broadcast_to(reshape(w, shape=shape + (1,)), shape=shape + (n,))  # w_j - w_i
    f = where(eye, 0.0, div(1.0, where(eye, 1.0, diff)))
    inner = reshape(gw, shape=shape[:-1] + (1, n)) * eye + f * matmul(u, _swap_last(gu))
    ga = matmul(matmul(_swap_last(u), inner), u)
    return [(ga + _swap_last(ga)) * 0.5]


def _sym_sample(*batch: int) -> np.ndarray:
    r = rand(*batch, 3, 3)
    return r + _swap(r)


eigh: Primitive = register(Primitive(
    "eigh", "contraction", _eigh_impl,
    lambda a: [ShapedArray(_square("eigh", a), np.dtype(a.dtype)),
               ShapedArray(tuple(a.shape)[:-1], np.dtype(a.dtype))],
    _eigh_vjp, multiple_results=True,
    samples=lambda: [((_sym_sample(),), {}), ((_sym_sample(2),), {})],
    doc="(U, w): A = U^T diag(w) U for (A + A^T)/2, eigenvalues ascending, eigenvectors as "
        "the rows of U (linalg_syevd)."))
