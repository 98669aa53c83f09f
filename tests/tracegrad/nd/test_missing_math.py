"""MXNet 1.9's nd names added for issue 13, math part: the ``broadcast_*`` family, the logical
operators, ``true_divide``, ``broadcast_hypot``, the special functions (erf, erfinv, gamma,
gammaln, softsign, hard_sigmoid, smooth_l1), cumsum, moments and sum_axis/max_axis/min_axis.

Values are checked against NumPy / ``math`` and numbers recorded from MXNet 1.9.1; with
``.venv-mxnet`` present, ``test_same_as_mxnet`` evaluates every expression of ``EXPRESSIONS``
in real MXNet too. Gradients are checked against float64 central differences.
"""

import math

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check, grad_check
from tests.tracegrad.nd.mxnet_run import assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import autograd, nd
from tracegrad.testing import numerical_grad

PRELUDE = """
A = nd.array([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]])
B = nd.array([[2.0, -1.5, 0.5]])
C = nd.array([[1.5], [-2.0]])
AI = nd.array([[7, -7, 3], [4, 0, -6]], dtype='int32')
BI = nd.array([[2, 2, -2], [3, 4, 5]], dtype='int32')
Z = nd.array([[0.0, 1.0, -0.5], [float('nan'), 0.0, 2.0]])
G = nd.array([[-2.5, -1.0, -0.5], [0.0, 0.75, 3.0]])
P = nd.array([[0.25, 0.5, 1.0], [2.0, 3.5, 7.0]])
U = nd.array([-1.0, -0.999, -0.5, 0.0, 0.1, 0.9, 0.999999, 1.0, 1.5])
S = nd.array([-3.5, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 10.0, 40.0])
I = nd.array([[-3, -1, 0], [1, 2, 5]], dtype='int32')
X = nd.array(np.arange(24).reshape(2, 3, 4) % 7 - 3.0)
"""

_BROADCAST = ["add", "plus", "sub", "minus", "mul", "div", "mod", "maximum", "minimum", "hypot",
              "equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
              "logical_and", "logical_or", "logical_xor"]

EXPRESSIONS = [
    *[f"nd.broadcast_{n}(A, B)" for n in _BROADCAST],
    *[f"nd.broadcast_{n}(C, B)" for n in _BROADCAST],
    *[f"nd.broadcast_{n}(AI, BI)" for n in ("add", "mul", "mod", "maximum", "hypot", "equal",
                                            "logical_xor", "greater")],
    "nd.broadcast_power(nd.abs(A), B)", "nd.broadcast_add(A, 2.0)", "nd.broadcast_add(A, C.T)",
    "nd.broadcast_hypot(nd.array([1e20, 3, 0]), nd.array([1e20, 4, 0]))",
    "nd.broadcast_hypot(nd.array([np.inf, np.nan, -np.inf]), nd.array([np.nan, 1, 2]))",
    "nd.broadcast_logical_or(A, Z)", "nd.broadcast_div(A, nd.zeros((1, 3)))",
    "nd.broadcast_add(A, B, out=nd.zeros((2, 3)))",
    "nd.logical_and(A, Z)", "nd.logical_or(Z, 0)", "nd.logical_xor(2.0, Z)",
    "nd.logical_and(AI, 1)", "nd.logical_and(AI, 1.5)", "nd.logical_or(0, AI)",
    "nd.logical_not(Z)", "nd.logical_not(AI)", "nd.true_divide(A, B)", "nd.true_divide(A, 2)",
    # special functions
    *[f"nd.{f}(G)" for f in ("erf", "softsign", "hard_sigmoid", "smooth_l1")],
    *[f"nd.{f}(P)" for f in ("gamma", "gammaln", "erf")],
    *[f"nd.{f}(I)" for f in ("erf", "softsign", "smooth_l1")],
    "nd.gammaln(nd.array([[1, 2], [3, 5]], dtype='int32'))",
    "nd.erfinv(U)", "nd.erfinv(U.astype('float64'))", "nd.erf(S)", "nd.erf(S.astype('float64'))",
    "nd.gammaln(S)", "nd.gammaln(S.astype('float64'))", "nd.gamma(S.astype('float64'))",
    "nd.gamma(P.astype('float16'))", "nd.erf(G.astype('float16'))",
    "nd.softsign(G.astype('float16'))",
    "nd.hard_sigmoid(G, alpha=1.0, beta=0.0)", "nd.hard_sigmoid(G.astype('float64'))",
    "nd.hard_sigmoid(I)", "nd.smooth_l1(G, scalar=2.0)", "nd.smooth_l1(G.astype('float64'))",
    # running sums and moments
    "nd.cumsum(X, axis=1)", "nd.cumsum(X)", "nd.cumsum(X, axis=2, dtype='float64')",
    "nd.cumsum(I)", "nd.cumsum(I, axis=0, dtype='float32')", "nd.cumsum(X, axis=3)",
    "nd.cumsum(nd.array([1, 0, 1]).astype('bool'))",
    "nd.moments(X, axes=(0,))", "nd.moments(X, axes=(0, 2), keepdims=True)",
    "nd.moments(X, axes=1)", "nd.moments(X, axes=(0, 1, 2))", "nd.moments(X)",
    "nd.moments(nd.array([[1, 2], [3, 4]], dtype='int32'), axes=(0,))", "nd.moments(X, axes=(5,))",
    "nd.sum_axis(X, axis=1)", "nd.sum_axis(X, axis=1, exclude=True)",
    "nd.max_axis(X, axis=(1, 2), keepdims=True)", "nd.min_axis(X)",
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=2e-6, atol=1e-6)





# -- broadcast and logical operators ----------------------------------------------------------

def test_broadcast_family_matches_the_operators():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 2, (3, 1, 4)), rng.uniform(0.5, 2, (2, 1))
    x, y = nd.array(a), nd.array(b)
    for name, ref in (("add", np.add), ("minus", np.subtract), ("mul", np.multiply),
                      ("div", np.divide), ("power", np.power), ("maximum", np.maximum),
                      ("hypot", np.hypot), ("lesser", np.less), ("not_equal", np.not_equal)):
        check(getattr(nd, f"broadcast_{name}")(x, y), ref(a, b).astype(np.float32), rtol=2e-6)
    with pytest.raises(TypeError, match="must be an NDArray"):
        nd.broadcast_add(x, 2.0)
    with pytest.raises(ValueError):
        nd.broadcast_add(nd.ones((2, 3)), nd.ones((3, 2)))


def test_logical_operators_are_zero_one_in_the_input_dtype():
    z = nd.array([0.0, 1.0, -0.5, np.nan])
    check(nd.logical_and(z, nd.array([1.0, 1.0, 0.0, 2.0])), [0, 1, 0, 1], dtype="float32")
    check(nd.logical_or(z, 0), [0, 1, 1, 1])
    check(nd.logical_xor(z, 1), [1, 0, 0, 0])
    check(nd.logical_not(z), [1, 0, 0, 0])
    i = nd.array([0, 3], dtype="int32")
    check(nd.logical_and(i, 1.5), [0, 1], dtype="int32")
    check(nd.broadcast_logical_xor(i, nd.array([[1], [0]], dtype="int32")), [[1, 0], [0, 1]],
          dtype="int32")
    v = nd.array([0.5, -1.0])
    v.attach_grad()
    with autograd.record():
        (nd.logical_and(v, v) * v + nd.logical_not(v)).sum().backward()
    check(v.grad, [1.0, 1.0])  # the logical factors are constants


def test_hypot_is_scaled_and_differentiable():
    big = nd.array([1e20, 3e-30, 0.0, np.inf])
    check(nd.broadcast_hypot(big, nd.array([1e20, 4e-30, 0.0, np.nan])),
          [1.4142135e20, 5e-30, 0.0, np.inf], rtol=1e-6, atol=0)
    check(nd.broadcast_hypot(nd.array([7, -6], dtype="int32"), nd.array([2, 5], dtype="int32")),
          [7, 7], dtype="int32")
    a = np.array([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]])
    b = np.array([[2.0, -1.5, 0.5]])
    grad_check(lambda u, v: nd.broadcast_hypot(u, v), a, b)
    grad_check(lambda u, v: nd.broadcast_hypot(u, v), a, b, argnum=1)


# -- special functions ------------------------------------------------------------------------

def test_erf_and_erfinv_values():
    x = np.linspace(-6.5, 6.5, 2001)
    got = nd.erf(nd.array(x, dtype="float64")).asnumpy()
    ref = np.array([math.erf(v) for v in x])
    assert np.max(np.abs(got - ref) / np.spacing(np.abs(ref) + 1e-300)) <= 2
    check(nd.erf(nd.array(x)), ref.astype(np.float32), rtol=1.2e-7, atol=0)
    u = np.concatenate([np.linspace(-0.9999, 0.9999, 1001), 1 - np.logspace(-16, -1, 30)])
    y = nd.erfinv(nd.array(u, dtype="float64")).asnumpy()
    # erf(y) recovers u: through erfc in the tail, where erf has no digits left
    tail = np.abs(u) > 0.5
    back = np.where(tail, [1 - math.erfc(abs(v)) for v in y], [math.erf(v) for v in y])
    np.testing.assert_allclose(np.where(tail, 1 - np.abs(back), back),
                               np.where(tail, 1 - np.abs(u), u), rtol=3e-15, atol=1e-300)
    # recorded from MXNet 1.9.1
    check(nd.erfinv(nd.array([-1, 0.5, 0.999999, 1, 1.5, 0], dtype="float64")),
          [-np.inf, 0.4769362762044699, 3.4589107372754997, np.inf, np.nan, 0.0], rtol=1e-14)


def test_gamma_functions_values():
    s = np.array([-3.5, -2.5, -0.5, 0.5, 1.0, 2.5, 10.0, 40.0, 171.5])
    check(nd.gammaln(nd.array(s, dtype="float64")), [math.lgamma(v) for v in s], rtol=1e-15)
    check(nd.gamma(nd.array(s, dtype="float64")), [math.gamma(v) for v in s], rtol=1e-15)
    # poles and limits, as MXNet 1.9.1 gives them
    check(nd.gamma(nd.array([0.0, -1.0, -np.inf, np.inf, 200.0])),
          [np.inf, np.nan, np.nan, np.inf, np.inf])
    check(nd.gammaln(nd.array([0.0, -1.0, -np.inf, np.inf])), [np.inf] * 4)
    check(nd.gammaln(nd.array([1, 2, 3, 5], dtype="int32")), [0, 0, 0, 3], dtype="int32")
    check(nd.gamma(nd.array([0.75], dtype="float16")), [1.2255859375], dtype="float16", rtol=0)


@pytest.mark.parametrize("name,domain", [("erf", (-2, 2)), ("erfinv", (-0.9, 0.9)),
                                         ("gamma", (0.3, 3)), ("gammaln", (0.3, 5)),
                                         ("softsign", (-3, 3)), ("smooth_l1", (-3, 3)),
                                         ("hard_sigmoid", (-2, 2))])
def test_special_gradients_against_central_differences(name, domain):
    x = np.random.default_rng(1).uniform(*domain, size=(2, 5))
    grad_check(getattr(nd, name), x, rtol=1e-5)
    if name in ("gamma", "gammaln"):  # between the poles, where gamma is negative
        grad_check(getattr(nd, name), np.array([-0.7, -1.3, -2.6]), rtol=1e-5)


def test_special_gradients_follow_mxnet():
    x = nd.array([[-2.5, -1.0, -0.5], [0.0, 0.75, 3.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.hard_sigmoid(x, alpha=1.0, beta=0.0) + nd.smooth_l1(x) + nd.softsign(x)
    y.backward()
    # recorded from MXNet 1.9.1: hard_sigmoid's is 0 at the boundary, smooth_l1's sign(x)
    # outside |x| < 1 and x inside, softsign's 1 / (1 + |x|)^2
    check(x.grad, np.array([0, 0, 0, 0, 1, 0]).reshape(2, 3)
          + np.array([-1, -1, -0.5, 0, 0.75, 1]).reshape(2, 3)
          + 1 / (1 + np.abs(x.asnumpy())) ** 2)


@pytest.mark.parametrize("name", ["erf", "erfinv", "gammaln", "gamma"])
def test_second_derivatives(name):
    x = np.array([0.4, 0.7, 0.85])
    v = nd.array(x, dtype="float64")
    v.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(getattr(nd, name)(v).sum(), [v], create_graph=True)
        g.sum().backward()

    def first(a):
        u = nd.array(a, dtype="float64")
        u.attach_grad()
        with autograd.record():
            getattr(nd, name)(u).sum().backward()
        return float(u.grad.asnumpy().sum())

    np.testing.assert_allclose(v.grad.asnumpy(), numerical_grad(first, [x], 0), rtol=1e-5)


def test_polygamma_values():
    from tracegrad._compiler import prims as P

    # digamma(1) = -Euler's gamma, trigamma(1) = pi^2/6, psi_2(1) = -2 zeta(3), trigamma(-1/2)
    np.testing.assert_allclose(P.polygamma.impl(np.array([1.0]), n=0), -0.5772156649015329,
                               rtol=1e-15)
    np.testing.assert_allclose(P.polygamma.impl(np.array([1.0, -0.5]), n=1),
                               [math.pi ** 2 / 6, math.pi ** 2 / 2 + 4], rtol=1e-14)
    np.testing.assert_allclose(P.polygamma.impl(np.array([1.0]), n=2), -2 * 1.2020569031595942,
                               rtol=1e-14)
    x = np.array([0.1, 0.5, 1.5, 3.0, 7.5, 20.0, 100.0, -0.5, -2.7])
    h = 1e-6
    fd = np.array([(math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h) for v in x])
    np.testing.assert_allclose(P.polygamma.impl(x, n=0), fd, rtol=1e-7)


def test_erf_fuses_in_compiled_kernels():
    def f(x):
        return nd.erf(x * 0.5) * 2.0 + nd.softsign(x)

    x = nd.array(np.random.default_rng(3).uniform(-3, 3, size=(4, 33)))
    lowered = tracegrad.jit(f).lower(x)
    assert "erf_f32" in lowered.source
    check(tracegrad.jit(f)(x), f(x).asnumpy(), rtol=2e-6, atol=1e-6)
    g = tracegrad.grad(lambda v: nd.gammaln(v * v + 1.0).sum())(x)
    v = x.copy()
    v.attach_grad()
    with autograd.record():
        nd.gammaln(v * v + 1.0).sum().backward()
    check(g, v.grad.asnumpy(), rtol=1e-5, atol=1e-6)


# -- cumsum and moments -----------------------------------------------------------------------

def test_cumsum_values_dtypes_and_gradient():
    x = np.arange(24.0).reshape(2, 3, 4) % 7 - 3
    check(nd.cumsum(nd.array(x), axis=1), np.cumsum(x, axis=1))
    check(nd.cumsum(nd.array(x), axis=-1), np.cumsum(x, axis=-1))
    check(nd.cumsum(nd.array(x)), np.cumsum(x))
    check(nd.cumsum(nd.array(x), axis=0, dtype="float64"), np.cumsum(x, axis=0),
          dtype="float64")
    check(nd.cumsum(nd.array([[1, 2], [3, 4]], dtype="int32")), [1, 3, 6, 10], dtype="int32")
    with pytest.raises(ValueError, match="out of range"):
        nd.cumsum(nd.array(x), axis=3)
    g = grad_check(lambda v: nd.cumsum(v, axis=1), x)
    assert g.shape == x.shape
    grad_check(lambda v: nd.cumsum(v), x)
    check(tracegrad.jit(lambda v: nd.cumsum(v, axis=2) * 2.0)(nd.array(x)),
          np.cumsum(x, axis=2) * 2)


def test_moments_values_and_gradients():
    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    m, v = nd.moments(nd.array(x, dtype="float64"), axes=(0, 2))
    check(m, x.mean(axis=(0, 2)), rtol=1e-12)
    check(v, x.var(axis=(0, 2)), rtol=1e-12)
    m, v = nd.moments(nd.array(x), axes=1, keepdims=True)
    assert m.shape == v.shape == (3, 1, 5)
    with pytest.raises(ValueError, match="axes is required"):
        nd.moments(nd.array(x))
    grad_check(lambda u: nd.moments(u, axes=(0, 2))[1], x)
    grad_check(lambda u: nd.moments(u, axes=(1,))[0], x)


def test_axis_reductions_are_the_reductions():
    x = nd.array(np.arange(24.0).reshape(2, 3, 4))
    check(nd.sum_axis(x, axis=1), x.asnumpy().sum(axis=1))
    check(nd.max_axis(x, axis=(1, 2), keepdims=True), x.asnumpy().max(axis=(1, 2),
                                                                        keepdims=True))
    check(nd.min_axis(x), [0.0])
