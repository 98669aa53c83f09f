"""MXNet 1.9's nd names added for issue 13, the rest: the normalisation layers
(InstanceNorm, GroupNorm, L2Normalization, LRN), the mixed-precision casts, cast_storage,
im2col/col2im and the ``random_pdf_*`` densities.

With ``.venv-mxnet`` present, ``test_same_as_mxnet`` evaluates ``EXPRESSIONS`` (values and,
through ``grad_of``, gradients) in real MXNet too; the other tests check against NumPy,
``math`` and float64 central differences.
"""

import math

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import check, grad_check
from tests.tracegrad.nd.mxnet_run import GRAD_OF, assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import nd

PRELUDE = GRAD_OF + """

X = nd.array(np.arange(48).reshape(2, 4, 3, 2) % 7 * 0.5 - 1.0)
W = nd.arange(48).reshape((2, 4, 3, 2))
G = nd.array([1.0, 2.0, 0.5, -1.0])
B = nd.array([0.1, 0.2, 0.3, 0.4])
I = nd.arange(32).reshape((1, 2, 4, 4))
S = nd.array([[0.5, 1.0, 2.5], [-1.0, 0.3, 4.0]])
MU = nd.array([0.0, 1.0])
SIG = nd.array([1.0, 2.0])
K = nd.array([[0, 1, 3], [2, 5, 0]])
P = nd.array([0.3, 0.6])
D = nd.array([[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], [[0.3, 0.3, 0.4], [0.6, 0.2, 0.2]]])
AL = nd.array([[1.0, 2.0, 3.0], [0.5, 0.5, 2.0]])
"""

EXPRESSIONS = [
    "nd.InstanceNorm(X, G, B)", "nd.InstanceNorm(X, G, B, eps=0.1)",
    "nd.InstanceNorm(nd.arange(4).reshape((2, 2)), nd.ones(2), nd.zeros(2))",
    "nd.GroupNorm(X, nd.array([1.0, 2.0]), nd.array([0.1, -0.3]), num_groups=2, "
    "output_mean_var=True)",
    "nd.GroupNorm(X, nd.array([1.0]), nd.array([0.1]), eps=0.5)",
    *[f"nd.L2Normalization(X, mode='{m}')" for m in ("instance", "channel", "spatial")],
    "nd.L2Normalization(nd.arange(6).reshape((2, 3)))",
    "nd.L2Normalization(nd.arange(6).reshape((2, 3)), mode='channel')",
    *[f"nd.LRN(X, nsize={n}, alpha=0.3, knorm=1.5)" for n in (1, 2, 3, 4, 5, 9)],
    "nd.LRN(X, nsize=3, alpha=0.1, beta=0.5, knorm=1.0)",
    "grad_of(lambda v: nd.InstanceNorm(v, G, B) * W, X)",
    "grad_of(lambda v: nd.GroupNorm(v, nd.array([1.0, 2.0]), nd.array([0.1, -0.3]), "
    "num_groups=2) * W, X)",
    "grad_of(lambda v: nd.L2Normalization(v, mode='channel') * W, X)",
    "grad_of(lambda v: nd.LRN(v, nsize=2, alpha=0.2) * W, X)",
    "np.dtype(nd.amp_cast(I, dtype='float16').dtype).name",
    "np.dtype(nd.amp_cast(I.astype('int32'), dtype='float16').dtype).name",
    "nd.cast_storage(I, stype='default')", "nd.cast_storage(I, stype='csr')",
    "nd.im2col(I, kernel=(3, 3), pad=(1, 1))",
    "nd.im2col(I, kernel=(2, 3), stride=(1, 2), dilate=(2, 1), pad=(1, 0))",
    "nd.im2col(nd.arange(10).reshape((1, 2, 5)), kernel=(3,))",
    "nd.col2im(nd.arange(288).reshape((1, 18, 16)), output_size=(4, 4), kernel=(3, 3), "
    "pad=(1, 1))",
    "nd.col2im(nd.ones((1, 18, 4)), output_size=(4, 4), kernel=(3, 3), pad=(1, 1))",
    "grad_of(lambda v: nd.im2col(v, kernel=(3, 3), pad=(1, 1)) * "
    "nd.arange(288).reshape((1, 18, 16)), I)",
    # densities
    *[f"nd.random_pdf_normal(S, MU, SIG, is_log={b})" for b in (False, True)],
    "nd.random_pdf_uniform(S, MU, SIG + 2)", "nd.random_pdf_exponential(S, SIG, is_log=True)",
    "nd.random_pdf_gamma(nd.abs(S), SIG, SIG * 0.5 + 1)", "nd.random_pdf_poisson(K, SIG)",
    "nd.random_pdf_poisson(nd.array([[0.5, 1.7, 3]]), nd.array([2.0]))",
    "nd.random_pdf_negative_binomial(K, SIG * 2, P)",
    "nd.random_pdf_generalized_negative_binomial(K, SIG * 2, P, is_log=True)",
    "nd.random_pdf_dirichlet(D, AL)", "nd.random_pdf_dirichlet(D, AL, is_log=True)",
    "nd.random_pdf_normal(S, nd.array([[0.0, 1.0]]), nd.array([[1.0, 2.0]]))",
    "grad_of(lambda v: nd.random_pdf_normal(v, MU, SIG), S)",
    "grad_of(lambda v: nd.random_pdf_gamma(nd.abs(S), v, SIG * 0.5 + 1), SIG)",
    "grad_of(lambda v: nd.random_pdf_poisson(v, SIG), K)",
    "grad_of(lambda v: nd.random_pdf_negative_binomial(K, SIG * 2, v), P)",
    "grad_of(lambda v: nd.random_pdf_dirichlet(D, v), AL)",
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=5e-6, atol=2e-5)  # float32 cancellation in the norms




X = np.random.default_rng(0).normal(size=(2, 4, 3, 2))


def test_normalisation_layers_against_numpy():
    g, b = np.array([1.0, 2.0, 0.5, -1.0]), np.array([0.1, 0.2, 0.3, 0.4])
    mean = X.mean(axis=(2, 3), keepdims=True)
    var = X.var(axis=(2, 3), keepdims=True)
    ref = (X - mean) / np.sqrt(var + 1e-3) * g.reshape(1, 4, 1, 1) + b.reshape(1, 4, 1, 1)
    check(nd.InstanceNorm(nd.array(X, dtype="float64"), nd.array(g), nd.array(b)), ref,
          rtol=1e-6)
    grouped = X.reshape(2, 2, -1)
    ref = ((grouped - grouped.mean(axis=2, keepdims=True))
           / np.sqrt(grouped.var(axis=2, keepdims=True) + 1e-5)).reshape(X.shape)
    check(nd.GroupNorm(nd.array(X, dtype="float64"), nd.ones(2), nd.zeros(2), num_groups=2),
          ref, rtol=1e-6)
    check(nd.L2Normalization(nd.array(X), mode="channel"),
          X / np.sqrt((X * X).sum(axis=1, keepdims=True) + 1e-10), rtol=1e-5)
    sq = np.pad(X * X, ((0, 0), (1, 1), (0, 0), (0, 0)))
    window = sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]
    check(nd.LRN(nd.array(X, dtype="float64"), nsize=3, alpha=0.3, beta=0.75, knorm=2.0),
          X / (2.0 + np.float32(0.3) / np.float32(3) * window) ** 0.75, rtol=1e-6)
    with pytest.raises(TypeError, match="nsize"):
        nd.LRN(nd.array(X))
    with pytest.raises(ValueError, match="groups"):
        nd.GroupNorm(nd.array(X), nd.ones(3), nd.zeros(3), num_groups=3)


@pytest.mark.parametrize("fun", [
    lambda v: nd.InstanceNorm(v, nd.array([1.0, 2.0, 0.5, -1.0], dtype="float64"),
                              nd.zeros(4, dtype="float64")),
    lambda v: nd.GroupNorm(v, nd.array([1.0, 3.0], dtype="float64"),
                           nd.zeros(2, dtype="float64"), num_groups=2),
    lambda v: nd.L2Normalization(v, mode="spatial"),
    lambda v: nd.LRN(v, nsize=3, alpha=0.5),
], ids=["InstanceNorm", "GroupNorm", "L2Normalization", "LRN"])
def test_normalisation_gradients(fun):
    grad_check(fun, X, rtol=1e-5)


def test_im2col_col2im_are_adjoint_and_casts():
    x = np.random.default_rng(1).normal(size=(2, 3, 5, 4))
    cols = nd.im2col(nd.array(x), kernel=(3, 2), stride=(2, 1), pad=(1, 0))
    assert cols.shape == (2, 3 * 6, 3 * 3)
    g = np.random.default_rng(2).normal(size=cols.shape)
    back = nd.col2im(nd.array(g), output_size=(5, 4), kernel=(3, 2), stride=(2, 1), pad=(1, 0))
    np.testing.assert_allclose((cols.asnumpy() * g).sum(), (x * back.asnumpy()).sum(),
                               rtol=1e-4)
    grad_check(lambda v: nd.im2col(v, kernel=(2, 2), dilate=(2, 1)), x)
    half = nd.ones(2, dtype="float16")
    assert [a.dtype for a in nd.amp_multicast(nd.ones(2), half, num_outputs=2)] == \
        [np.float32, np.float32]
    assert [a.dtype for a in nd.amp_multicast(nd.ones(2), half, num_outputs=2,
                                              cast_narrow=True)] == [np.float16, np.float16]
    assert nd.amp_cast(nd.ones(2, dtype="int32"), dtype="float16").dtype is np.int32
    with pytest.raises(NotImplementedError, match="dense"):
        nd.cast_storage(nd.ones(2), stype="row_sparse")


def test_densities_against_math():
    x = np.array([[0.5, 1.0, 2.5], [0.2, 0.3, 4.0]])
    a, r = np.array([1.5, 2.0]), np.array([0.5, 3.0])
    got = nd.random_pdf_gamma(nd.array(x, dtype="float64"), nd.array(a, dtype="float64"),
                              nd.array(r, dtype="float64")).asnumpy()
    ref = [[r[i] ** a[i] * v ** (a[i] - 1) * math.exp(-r[i] * v) / math.gamma(a[i])
            for v in x[i]] for i in range(2)]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    k = np.array([[0.0, 1.0, 4.0]])
    got = nd.random_pdf_negative_binomial(nd.array(k, dtype="float64"),
                                          nd.array([2.5], dtype="float64"),
                                          nd.array([0.4], dtype="float64")).asnumpy()
    ref = [math.gamma(v + 2.5) / (math.gamma(2.5) * math.factorial(int(v))) * 0.4 ** 2.5
           * 0.6 ** v for v in k[0]]
    np.testing.assert_allclose(got[0], ref, rtol=1e-12)
    grad_check(lambda v: nd.random_pdf_gamma(nd.array(x, dtype="float64"), v,
                                              nd.array(r, dtype="float64")), a, rtol=1e-5)
    grad_check(lambda v: nd.random_pdf_dirichlet(
        nd.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], dtype="float64"), v),
        np.array([1.5, 2.0, 0.7]), rtol=1e-5)
    grad_check(lambda v: nd.random_pdf_normal(v, nd.array([0.5], dtype="float64"),
                                               nd.array([2.0], dtype="float64")),
                np.array([[0.1, -1.0, 2.0]]), rtol=1e-5)
