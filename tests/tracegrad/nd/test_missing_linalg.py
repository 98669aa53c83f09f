"""MXNet 1.9's ``nd.linalg_*`` / ``nd.linalg.*`` operators and ``khatri_rao`` (issue 13).

With ``.venv-mxnet`` present, ``test_same_as_mxnet`` evaluates every expression of
``EXPRESSIONS`` — values and gradients (``grad_of`` runs each library's own autograd) — in
real MXNet and compares. Without it, values are checked against NumPy and gradients against
float64 central differences.
"""

import functools

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check, grad_check
from tests.tracegrad.nd.mxnet_run import GRAD_OF, assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import nd

PRELUDE = GRAD_OF + """

A = nd.array([[4.0, 2.0, 0.6], [2.0, 3.0, 0.4], [0.6, 0.4, 2.0]])
B = nd.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.2]])
L = nd.array([[2.0, 0, 0], [1.0, 1.5, 0], [0.3, 0.2, 1.2]])
N = nd.array([[1.0, 2.0, -1], [0.5, 3.0, 1], [2.0, -1, 0.5]])
M = nd.arange(16).reshape((4, 4))
"""

EXPRESSIONS = [
    "nd.linalg.potrf(A)", "nd.linalg.potri(L)", "nd.linalg.potrf(nd.stack(A, A * 2))",
    "nd.linalg.trsm(L, B)", "nd.linalg.trsm(L, B.T, rightside=True)",
    "nd.linalg.trsm(L, B, transpose=True, alpha=2.0)", "nd.linalg.trsm(L.T, B, lower=False)",
    "nd.linalg.trsm(N, B)", "nd.linalg.trsm(nd.array([[0.0, 0], [1, 1]]), nd.ones((2, 2)))",
    "nd.linalg.trmm(N, B)",
    "nd.linalg.trmm(N, B.T, rightside=True, transpose=True, lower=False, alpha=0.5)",
    "nd.linalg.syrk(B)", "nd.linalg.syrk(B, transpose=True, alpha=2.0)",
    "nd.linalg.sumlogdiag(A)", "nd.linalg.sumlogdiag(nd.stack(A, A))",
    "nd.linalg.inverse(N)", "nd.linalg.det(N)", "nd.linalg.det(nd.stack(N, A))",
    "nd.linalg.det(N.astype('float64'))", "nd.linalg.slogdet(N)", "nd.linalg.slogdet(-N)",
    "nd.linalg.det(nd.array([[1, 2], [3, 4]], dtype='int32'))",
    "nd.linalg.inverse(nd.zeros((2, 2)))", "nd.linalg.potrf(N)",
    *[f"nd.linalg.extractdiag(M, offset={k})" for k in (0, 1, -2, 5)],
    *[f"nd.linalg.extracttrian(M, offset={k}, lower={lo})" for k in (0, 1, -1, 2)
      for lo in (True, False)],
    "nd.linalg.makediag(nd.array([1.0, 2.0]), offset=1)",
    "nd.linalg.makediag(nd.array([[1.0, 2.0], [3, 4]]), offset=-1)",
    "nd.linalg.maketrian(nd.arange(6) + 1)", "nd.linalg.maketrian(nd.arange(6) + 1, lower=False)",
    "nd.linalg.maketrian(nd.arange(6) + 1, offset=1)", "nd.linalg.maketrian(nd.arange(6) + 1, "
    "offset=-1)", "nd.linalg.maketrian(nd.arange(4) + 1)",
    "nd.linalg.gemm(N, B, B, alpha=2.0, beta=0.5)",
    "nd.linalg.gemm2(B, N, transpose_a=True, transpose_b=True, alpha=3.0)",
    "nd.linalg.gemm2(nd.arange(24).reshape((3, 2, 4)), nd.arange(40).reshape((4, 2, 5)), axis=0)",
    "nd.linalg.gemm(nd.arange(24).reshape((3, 2, 4)), nd.arange(40).reshape((4, 2, 5)), "
    "nd.ones((3, 2, 5)), axis=0)",
    "nd.linalg.gemm2(nd.ones((2, 3, 4)), nd.ones((4, 5)))",
    "nd.linalg.gelqf(B.T)", "nd.linalg.gelqf(nd.ones((3, 2)))", "nd.linalg.syevd(A)",
    "nd.linalg_gemm2(B, B, transpose_a=True)", "nd.linalg_det(N)", "nd.linalg_potri(L)",
    "nd.khatri_rao(nd.array([[1.0, 2.0], [3.0, 4.0]]), nd.array([[1.0, 0], [2, 3], [4, 5]]))",
    "nd.khatri_rao(nd.array([[1.0, 2.0]]))",
    # gradients
    "grad_of(nd.linalg.potrf, A)", "grad_of(nd.linalg.potri, N)",
    "grad_of(lambda v: nd.linalg.trsm(v, B), N)", "grad_of(lambda v: nd.linalg.trsm(L, v), B)",
    "grad_of(lambda v: nd.linalg.trsm(v, B.T, rightside=True, transpose=True, lower=False, "
    "alpha=2.0), N)",
    "grad_of(lambda v: nd.linalg.trmm(v, B.T, rightside=True, transpose=True, lower=False, "
    "alpha=0.5), N)",
    "grad_of(lambda v: nd.linalg.syrk(v, transpose=True, alpha=2.0), B)",
    "grad_of(nd.linalg.sumlogdiag, A)", "grad_of(nd.linalg.inverse, N)",
    "grad_of(nd.linalg.det, nd.stack(N, A))", "grad_of(lambda v: nd.linalg.slogdet(v)[1], N)",
    "grad_of(lambda v: nd.linalg.extracttrian(v, offset=-1) * nd.array([1, 2, 3]), N)",
    "grad_of(lambda v: nd.linalg.maketrian(v, lower=False) * nd.arange(9).reshape((3, 3)), "
    "nd.array([1.0, 2, 3, 4, 5, 6]))",
    "grad_of(lambda v: nd.linalg.gemm(v, B, B, alpha=2.0, beta=0.5), N)",
    "grad_of(lambda v: nd.linalg.gelqf(v)[0], B.T)",
    "grad_of(lambda v: nd.linalg.gelqf(v)[1], B.T)",
    "grad_of(lambda v: nd.linalg.syevd(v)[1] * nd.array([1, 2, 3]), A)",
    "grad_of(lambda v: nd.linalg.syevd(v)[0], A)",
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=2e-5, atol=2e-6)


RNG = np.random.default_rng(7)
SPD = (lambda r: r @ r.T + 3 * np.eye(3))(RNG.uniform(-1, 1, (3, 3)))
GEN = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
RHS = RNG.uniform(-1, 1, (3, 2))


_grad_check = functools.partial(grad_check, rtol=1e-5)


def test_values_against_numpy():
    a, g = nd.array(SPD, dtype="float64"), nd.array(GEN, dtype="float64")
    check(nd.linalg.potrf(a), np.linalg.cholesky(SPD), rtol=1e-12)
    check(nd.linalg.potri(nd.linalg.potrf(a)), np.linalg.inv(SPD), rtol=1e-10)
    check(nd.linalg.inverse(g), np.linalg.inv(GEN), rtol=1e-12)
    check(nd.linalg.det(g), [np.linalg.det(GEN)], rtol=1e-12)
    sign, logdet = nd.linalg.slogdet(g)
    check(sign, [np.linalg.slogdet(GEN)[0]])
    check(logdet, [np.linalg.slogdet(GEN)[1]], rtol=1e-12)
    low = np.tril(GEN)
    check(nd.linalg.trsm(g, nd.array(RHS, dtype="float64"), alpha=2.0),
          np.linalg.solve(low, 2 * RHS), rtol=1e-12)
    check(nd.linalg.trsm(g, nd.array(RHS.T, dtype="float64"), rightside=True, lower=False,
                         transpose=True), RHS.T @ np.linalg.inv(np.triu(GEN).T), rtol=1e-12)
    check(nd.linalg.trmm(g, nd.array(RHS, dtype="float64")), low @ RHS, rtol=1e-12)
    check(nd.linalg.syrk(nd.array(RHS, dtype="float64")), RHS @ RHS.T, rtol=1e-12)
    check(nd.linalg.sumlogdiag(a), [np.log(np.diag(SPD)).sum()], rtol=1e-12)
    q, lq = nd.linalg.gelqf(nd.array(RHS.T, dtype="float64"))
    check(nd.linalg.gemm2(lq, q), RHS.T, rtol=1e-12, atol=1e-12)
    check(nd.linalg.gemm2(q, q, transpose_b=True), np.eye(2), atol=1e-12)
    u, w = nd.linalg.syevd(a)
    check(w, np.linalg.eigvalsh(SPD), rtol=1e-12)
    check(nd.linalg.gemm2(u, u * w.reshape((3, 1)), transpose_a=True), SPD, rtol=1e-12)
    m = np.arange(16.0).reshape(4, 4)
    for k in (-2, 0, 1):
        check(nd.linalg.extractdiag(nd.array(m), offset=k), np.diagonal(m, k))
        v = np.arange(1.0, 4 - abs(k) + 1)
        check(nd.linalg.makediag(nd.array(v), offset=k), np.diag(v, k))
    for k, lower in ((0, True), (0, False), (1, True), (-1, False)):
        t = nd.linalg.extracttrian(nd.array(m), offset=k, lower=lower)
        back = nd.linalg.maketrian(t, offset=k, lower=lower).asnumpy()
        tri = np.tril(m, k) if (k < 0 or (k == 0 and lower)) else np.triu(m, k)
        check(nd.array(back), tri)


@pytest.mark.parametrize("name,fun,x", [
    ("potrf", nd.linalg.potrf, SPD),
    ("potri", nd.linalg.potri, np.linalg.cholesky(SPD)),
    ("trsm", lambda v: nd.linalg.trsm(v, nd.array(RHS, dtype="float64"), transpose=True), GEN),
    ("trsm_rhs", lambda v: nd.linalg.trsm(nd.array(GEN, dtype="float64"), v, lower=False),
     RHS),
    ("trmm", lambda v: nd.linalg.trmm(v, nd.array(RHS.T, dtype="float64"), rightside=True),
     GEN),
    ("syrk", nd.linalg.syrk, RHS), ("sumlogdiag", nd.linalg.sumlogdiag, SPD),
    ("inverse", nd.linalg.inverse, GEN), ("det", nd.linalg.det, GEN),
    ("slogdet", lambda v: nd.linalg.slogdet(v)[1], GEN),
    ("gelqf_q", lambda v: nd.linalg.gelqf(v)[0], RHS.T),
    ("gelqf_l", lambda v: nd.linalg.gelqf(v)[1], RHS.T),
    ("syevd_u", lambda v: nd.linalg.syevd(v)[0], SPD),
    ("syevd_w", lambda v: nd.linalg.syevd(v)[1], SPD),
    ("extracttrian", lambda v: nd.linalg.extracttrian(v, offset=1), GEN),
    ("maketrian", lambda v: nd.linalg.maketrian(v, lower=False), np.arange(1.0, 7.0)),
    ("gemm", lambda v: nd.linalg.gemm(v, v, v, transpose_a=True, alpha=0.5, beta=2.0), GEN),
    ("khatri_rao", lambda v: nd.khatri_rao(v, v * 2.0), RHS),
])
def test_gradients_against_central_differences(name, fun, x):
    _grad_check(fun, x)


def test_batched_and_compiled():
    batch = np.stack([SPD, SPD * 2])
    b = nd.array(batch)
    check(nd.linalg.potrf(b), np.linalg.cholesky(batch), rtol=1e-5)
    check(nd.linalg.det(b), np.linalg.det(batch), rtol=1e-5)
    f = tracegrad.jit(lambda v: nd.linalg.sumlogdiag(nd.linalg.potrf(v)) * 2.0)
    check(f(b), np.linalg.slogdet(batch)[1], rtol=1e-5)
    g = tracegrad.grad(lambda v: nd.linalg.slogdet(v)[1].sum())(nd.array(GEN, dtype="float64"))
    check(g, np.linalg.inv(GEN).T, rtol=1e-10)
    with pytest.raises(TypeError, match="float"):
        nd.linalg.det(nd.array([[1, 2], [3, 4]], dtype="int32"))
    with pytest.raises(ValueError, match="fill a triangle"):
        nd.linalg.maketrian(nd.arange(4))
