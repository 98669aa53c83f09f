"""MXNet 1.9's nd surface beyond the basics (issue 13): elementwise math, NaN reductions,
elemwise_*/add_n, slicing and padding, layout operators, FullyConnected and the legacy index
operators, nd.contrib.

Values are checked against NumPy and against numbers recorded from MXNet 1.9.1; with
``.venv-mxnet`` present, ``test_same_as_mxnet`` also evaluates every expression of
``EXPRESSIONS`` in real MXNet and compares shapes, dtypes, values and errors. Gradients are
checked against float64 central differences.
"""

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check
from tests.tracegrad.nd.mxnet_run import assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import autograd, nd
from tracegrad.testing import numerical_grad

PRELUDE = """
X = nd.array([[0.3, -1.2, 2.5, -0.7], [1.9, 0.05, -2.2, 0.9]])
P = nd.array([[0.2, 0.5, 0.9], [-0.1, 0.7, -0.35]])
Q = nd.array([1.5, 2.0, 10.0, 1000.0, 8.0, 0.125])
I = nd.array([1, 2, 8], dtype='int32')
H = nd.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.1, 1.9, 3.7])
N = nd.array([[1, float('nan'), 3], [float('nan'), float('nan'), 2]])
A = nd.arange(24).reshape((2, 3, 4))
M = nd.arange(12).reshape((3, 4))
IMG = nd.arange(16).reshape((1, 1, 4, 4))
D = nd.arange(96).reshape((2, 8, 2, 3))
W = nd.arange(60).reshape((5, 12)) / 10
B = nd.arange(5)
INF = nd.array([1, float('inf'), -float('inf'), float('nan'), 0])
"""

EXPRESSIONS = [
    # elementwise math, float32 and integer input
    *[f"nd.{f}(P)" for f in ("tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh",
                             "arctanh", "cbrt", "rcbrt", "degrees", "radians")],
    *[f"nd.{f}(Q)" for f in ("arccosh", "log10", "log2", "rsqrt")],
    *[f"nd.{f}(H)" for f in ("rint", "trunc", "fix")],
    *[f"nd.{f}(I)" for f in ("rint", "trunc", "degrees", "log2", "sinh", "cbrt", "rsqrt")],
    "nd.tan(P.astype('float64'))", "nd.log10(Q.astype('float64'))",
    "P.arcsin()", "Q.log10()", "H.rint()",
    "nd.softmin(X)", "nd.softmin(X, axis=0, temperature=2.0)", "nd.softmin(X, dtype='float64')",
    "nd.nansum(N)", "nd.nansum(N, axis=1)", "nd.nansum(N, axis=1, keepdims=True)",
    "nd.nansum(N, axis=1, exclude=True)", "nd.nanprod(N, axis=1)", "N.nansum(axis=0)",
    "nd.elemwise_add(X, X)", "nd.elemwise_sub(X, 2 * X)", "nd.elemwise_mul(X, X)",
    "nd.elemwise_div(X, X + 5)", "nd.elemwise_add(X, X[0])",
    "nd.elemwise_add(X, X.astype('float64'))",
    "nd.add_n(X, X, X)", "nd.add_n(X)", "nd.ElementWiseSum(X, X, num_args=2)",
    # slicing
    "nd.slice(A, begin=(0, 1), end=(2, 3))", "nd.crop(A, begin=(0, 1), end=(2, 3))",
    "nd.slice(A, begin=(None, 2, None), end=(None, 0, None), step=(1, -1, 2))",
    "nd.slice(A, begin=(-1, -2), end=(None, None))", "nd.slice(A, begin=(0, 0), end=(5, 3))",
    "nd.slice(A, begin=(1, 2), end=(1, 3))", "nd.slice(A, begin=(0,), end=(1,), step=(0,))",
    "nd.slice(A, begin=(0, 0), end=(1,))", "A.slice(begin=(1,), end=(2,))",
    "nd.slice_axis(A, axis=1, begin=1, end=None)", "nd.slice_axis(A, axis=-1, begin=-3, end=-1)",
    "nd.slice_axis(A, axis=1, begin=0, end=7)", "nd.slice_axis(A, axis=1, begin=2, end=1)",
    "A.slice_axis(axis=0, begin=1, end=2)",
    "nd.slice_like(A, nd.zeros((1, 2, 3)))", "nd.slice_like(A, nd.zeros((1, 2, 3)), axes=(0, -1))",
    "nd.slice_like(A, nd.zeros((1, 5, 3)))", "nd.slice_like(A, nd.zeros((1, 2)), axes=(1,))",
    "nd.slice_like(A, nd.zeros((1, 2)))",
    # padding and joining
    "nd.pad(IMG, mode='constant', pad_width=(0, 0, 0, 0, 1, 1, 2, 0), constant_value=9)",
    "nd.pad(IMG, mode='edge', pad_width=(0, 0, 0, 0, 1, 1, 2, 0))",
    "nd.pad(IMG, mode='reflect', pad_width=(0, 0, 0, 0, 1, 1, 2, 0))",
    "nd.pad(IMG, mode='reflect', pad_width=(0, 0, 0, 0, 3, 3, 3, 3))",
    "nd.pad(IMG, mode='reflect', pad_width=(0, 0, 0, 0, 4, 1, 2, 0))",
    "nd.pad(nd.ones((1, 1, 2, 3, 4)), mode='constant', pad_width=(0, 0, 0, 0, 1, 1, 2, 2, 1, 1))",
    "IMG.pad(mode='edge', pad_width=(0, 0, 0, 0, 1, 0, 0, 1))",
    "nd.concatenate([A, A], axis=1)", "nd.concatenate([A, A])", "nd.concatenate([])",
    "nd.moveaxis(A, 0, 2).shape", "nd.moveaxis(A, -1, 0)", "nd.moveaxis(A, (0, 1), (2, 0)).shape",
    "nd.moveaxis(A, 3, 0)", "nd.moveaxis(A, (0, 0), (1, 2))",
    # layout
    "nd.reshape_like(M, nd.zeros((2, 6)))",
    "nd.reshape_like(nd.zeros((30, 7)), nd.zeros((15, 2, 4)), lhs_begin=0, lhs_end=1, "
    "rhs_begin=0, rhs_end=2).shape",
    "nd.reshape_like(nd.zeros((30, 7)), nd.zeros((15, 2, 4)), lhs_begin=-2, lhs_end=-1, "
    "rhs_begin=0, rhs_end=2).shape",
    "nd.reshape_like(nd.zeros((30, 7)), nd.zeros((15, 3)))",
    "nd.broadcast_axes(nd.ones((2, 3, 1)), axis=2, size=3)",
    "nd.broadcast_axes(nd.ones((1, 2, 1)), axis=(0, 2), size=(3, 4)).shape",
    "nd.broadcast_axis(nd.ones((2, 3, 1)), axis=1, size=3)",
    "nd.broadcast_like(A[:, :, :1], A)",
    "nd.broadcast_like(A[:, :, :1], nd.zeros((5, 7)), lhs_axes=(2,), rhs_axes=(1,))",
    "nd.broadcast_like(A[:, :, :1], nd.zeros((5, 7)), lhs_axes=(1,), rhs_axes=(1,))",
    "nd.diag(M)", "nd.diag(M, k=1)", "nd.diag(M, k=-2)", "nd.diag(M, k=5)",
    "nd.diag(nd.array([1, 2]))", "nd.diag(nd.array([1, 2]), k=-1)",
    "nd.diag(nd.array([1, 2]), k=2)",
    "nd.diag(A, axis1=1, axis2=2)", "nd.diag(A, k=1, axis1=0, axis2=2)", "nd.diag(A)",
    "nd.diag(A, axis1=-1, axis2=0)", "nd.diag(A, axis1=1, axis2=1)", "M.diag(k=-1)",
    "nd.depth_to_space(D, 2)", "nd.space_to_depth(IMG, 2)",
    "nd.depth_to_space(nd.ones((1, 3, 2, 2)), 2)",
    "D.depth_to_space(2).space_to_depth(2)",
    "[a.shape for a in nd.split_v2(nd.arange(10), 2)]",
    "[a.shape for a in nd.split_v2(nd.arange(10), (2, 5))]", "nd.split_v2(nd.arange(10), 3)",
    "[a.shape for a in nd.split_v2(nd.ones((2, 3)), 3, axis=1, squeeze_axis=True)]",
    "nd.split_v2(nd.ones((2, 4)), 2, axis=1, squeeze_axis=True)",
    "[a.shape for a in nd.split_v2(nd.arange(10), (0, 5))]", "nd.split_v2(nd.arange(10), (3, 12))",
    "nd.argmax_channel(nd.array([[[1, 5, 2], [7, 0, 3]]]))",
    "nd.argmax_channel(nd.array([[1, 5, 2], [7, 0, 3]]))", "nd.argmax_channel(nd.array([1, 5]))",
    "nd.shape_array(M)", "nd.size_array(M)", "M.shape_array()",
    # neural-network operators
    "nd.FullyConnected(A, W, B, num_hidden=5)",
    "nd.FullyConnected(A, W, num_hidden=5, no_bias=True)",
    "nd.FullyConnected(A, nd.arange(20).reshape((5, 4)), B, num_hidden=5, flatten=False)",
    "nd.FullyConnected(A, W, B, num_hidden=4)", "nd.FullyConnected(A, W, num_hidden=5)",
    "nd.FullyConnected(A, W, B, num_hidden=5, no_bias=True)",
    "nd.FullyConnected(nd.arange(12), W, B, num_hidden=5)",
    "nd.choose_element_0index(M, nd.array([2, 0, 3]))",
    "nd.choose_element_0index(M, nd.array([5, -1, 1]))",
    "nd.choose_element_0index(M, nd.array([5, -1, 1]), mode='wrap')",
    "nd.choose_element_0index(M, nd.array([1.7, -0.5, 2.2]))",
    "nd.choose_element_0index(M, nd.array([1, 0, 2, 1]), axis=0, keepdims=True)",
    "nd.fill_element_0index(M, nd.array([7, 8, 9]), nd.array([1, 0, 3]))",
    "nd.fill_element_0index(M, nd.array([7, 8, 9]), nd.array([5, -1, 1.7]))",
    "nd.onehot_encode(nd.array([1, 3]), nd.zeros((2, 4)))",
    "nd.onehot_encode(nd.array([5, -1]), nd.ones((2, 4)))",
    "nd.onehot_encode(nd.array([1.7, 2.2]), nd.zeros((2, 3)))",
    # contrib
    *[f"nd.contrib.{f}({a})" for f in ("isinf", "isnan", "isfinite")
      for a in ("INF", "INF.astype('float64')", "INF.astype('float16')", "I")],
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=1e-6, atol=1e-6)


# -- elementwise math -------------------------------------------------------------------------

ELEMENTWISE = {  # name: (NumPy reference, domain)
    "tan": (np.tan, (-1.2, 1.2)), "arcsin": (np.arcsin, (-0.9, 0.9)),
    "arccos": (np.arccos, (-0.9, 0.9)), "arctan": (np.arctan, (-3, 3)),
    "sinh": (np.sinh, (-3, 3)), "cosh": (np.cosh, (-3, 3)), "arcsinh": (np.arcsinh, (-3, 3)),
    "arccosh": (np.arccosh, (1.2, 4)), "arctanh": (np.arctanh, (-0.9, 0.9)),
    "cbrt": (np.cbrt, (0.3, 3)), "rcbrt": (lambda v: 1 / np.cbrt(v), (0.3, 3)),
    "rsqrt": (lambda v: 1 / np.sqrt(v), (0.3, 3)), "log10": (np.log10, (0.1, 50)),
    "log2": (np.log2, (0.1, 50)), "degrees": (np.degrees, (-3, 3)),
    "radians": (np.radians, (-200, 200)),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elementwise_values_against_numpy(name, dtype):
    ref, (lo, hi) = ELEMENTWISE[name]
    x = np.random.default_rng(0).uniform(lo, hi, size=(3, 50)).astype(dtype)
    y = getattr(nd, name)(nd.array(x, dtype=dtype))
    expected = ref(x.astype(np.float64))
    # a few ulps of the exact value (composites like log10 = log(x) / ln 10 included)
    check(y, expected.astype(dtype), rtol=5e-7 if dtype == "float32" else 1e-14, atol=0,
          dtype=dtype)
    check(getattr(nd.array(x, dtype=dtype), name)(), expected.astype(dtype),
          rtol=5e-7 if dtype == "float32" else 1e-14, atol=0)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_gradients_against_central_differences(name):
    _, (lo, hi) = ELEMENTWISE[name]
    x = np.random.default_rng(1).uniform(lo, hi, size=(2, 3))
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=(2, 3))
    v = nd.array(x, dtype="float64")
    v.attach_grad()
    with autograd.record():
        loss = (getattr(nd, name)(v) * nd.array(w, dtype="float64")).sum()
    loss.backward()
    expected = numerical_grad(
        lambda a: float((getattr(nd, name)(nd.array(a, dtype="float64")).asnumpy() * w).sum()),
        [x], 0)
    np.testing.assert_allclose(v.grad.asnumpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["tan", "arcsinh", "log10", "rsqrt", "cbrt"])
def test_second_derivative(name):
    x = np.array([0.4, 0.9, 1.1])
    v = nd.array(x, dtype="float64")
    v.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(getattr(nd, name)(v).sum(), [v], create_graph=True)
        total = g.sum()
    total.backward()

    def first(a):
        u = nd.array(a, dtype="float64")
        u.attach_grad()
        with autograd.record():
            s = getattr(nd, name)(u).sum()
        s.backward()
        return float(u.grad.asnumpy().sum())

    np.testing.assert_allclose(v.grad.asnumpy(), numerical_grad(first, [x], 0), rtol=1e-5)


def test_rounding_follows_mxnet():
    h = nd.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.1, 1.9, 3.7])
    # recorded from MXNet 1.9.1: rint takes the floor at a tie
    check(nd.rint(h), [-3, -2, -1, 0, 1, 2, -2, 2, 4])
    check(nd.trunc(h), [-2, -1, -0, 0, 1, 2, -2, 1, 3])
    check(nd.fix(h), [-2, -1, -0, 0, 1, 2, -2, 1, 3])
    assert np.signbit(nd.trunc(h).asnumpy()[2])
    x = nd.array([0.7])
    x.attach_grad()
    with autograd.record():
        y = nd.rint(x) + nd.trunc(x) + nd.fix(x)
    y.backward()
    assert x.grad.asnumpy().tolist() == [0.0]


def test_integer_input_keeps_its_dtype_as_in_mxnet():
    i = nd.array([1, 2, 8], dtype="int32")
    # recorded from MXNet 1.9.1 (computed in float and truncated)
    check(nd.degrees(i), [57, 114, 458], dtype="int32")
    check(nd.sinh(i), [1, 3, 1490], dtype="int32")
    check(nd.log2(i), [0, 1, 3], dtype="int32")
    check(nd.rint(i), [1, 2, 8], dtype="int32")


def test_exact_values():
    check(nd.log10(nd.array([1000.0, 100.0, 0.001])), [3.0, 2.0, -3.0], rtol=0, atol=0)
    check(nd.log2(nd.array([8.0, 1024.0, 0.125])), [3.0, 10.0, -3.0], rtol=0, atol=0)
    # MXNet's degrees multiplies by float32(180) / float32(pi), rounded in float32
    check(nd.degrees(nd.array([2.7392337, -4.6042657])), [156.94652, -263.80496], rtol=1e-7)
    check(nd.tan(nd.array([0.5], dtype="float16")),
          np.tan(np.float16(0.5)).reshape(1), dtype="float16", rtol=1e-3)


def test_fused_kernels_compute_the_new_primitives():
    def f(x):
        return (nd.tan(x) + nd.arcsinh(x) * nd.cbrt(x) + nd.cosh(x) - nd.arctan(x)
                + nd.log10(x + 2.0) + nd.rint(x * 3.0)) * 2.0

    x = nd.array(np.random.default_rng(3).uniform(-0.9, 0.9, size=(4, 33)))
    lowered = tracegrad.jit(f).lower(x)
    assert "np.tan" in lowered.source and "np.cbrt" in lowered.source
    check(tracegrad.jit(f)(x), f(x).asnumpy(), rtol=2e-6, atol=1e-6)


# -- softmin, NaN reductions, elemwise ----------------------------------------------------

def test_softmin_values_and_gradient():
    x = nd.array([[1, 2, 3], [3, 1, 0]])
    # recorded from MXNet 1.9.1
    check(nd.softmin(x), [[0.66524094, 0.24472848, 0.09003057],
                          [0.03511902, 0.25949645, 0.7053845]])
    check(nd.softmin(x, axis=0, temperature=2.0), [[0.7310586, 0.37754068, 0.18242551],
                                                   [0.26894143, 0.6224593, 0.81757444]])
    assert nd.softmin(x, dtype="float64").dtype is np.float64
    a = np.array([[0.3, -1.0, 2.0]])
    v = nd.array(a, dtype="float64")
    v.attach_grad()
    w = np.array([[1.0, 2.0, 3.0]])
    with autograd.record():
        (nd.softmin(v) * nd.array(w, dtype="float64")).sum().backward()
    exp = numerical_grad(lambda b: float((nd.softmin(nd.array(b, dtype="float64")).asnumpy()
                                          * w).sum()), [a], 0)
    np.testing.assert_allclose(v.grad.asnumpy(), exp, rtol=1e-6)


def test_nan_reductions_and_their_gradients():
    n = nd.array([[1, np.nan, 3], [np.nan, np.nan, 2]])
    check(nd.nansum(n), [6.0])
    check(nd.nansum(n, axis=1), [4.0, 2.0])
    check(nd.nansum(n, axis=1, exclude=True), [1.0, 0.0, 5.0])
    check(nd.nanprod(n, axis=1), [3.0, 2.0])
    check(nd.nanprod(nd.array([[np.nan, np.nan]]), axis=1), [1.0])
    a = n.copy()
    a.attach_grad()
    with autograd.record():
        (nd.nansum(a, axis=1) * nd.array([2, 3])).sum().backward()
    check(a.grad, [[2, 0, 2], [0, 0, 3]])  # recorded from MXNet 1.9.1
    b = nd.array([[1, np.nan, 3], [2, 4, 0.5]])
    b.attach_grad()
    with autograd.record():
        (nd.nanprod(b, axis=1) * nd.array([2, 3])).sum().backward()
    check(b.grad, [[6, 0, 2], [6, 3, 24]])  # recorded from MXNet 1.9.1


def test_elemwise_and_add_n():
    x, y = nd.array([[1, 2], [3, 4]]), nd.array([[10, 20], [30, 40]])
    check(nd.elemwise_add(x, y), [[11, 22], [33, 44]])
    check(nd.elemwise_sub(x, y), [[-9, -18], [-27, -36]])
    check(nd.elemwise_mul(x, y), [[10, 40], [90, 160]])
    check(nd.elemwise_div(x, y), [[0.1, 0.1], [0.1, 0.1]])
    check(nd.add_n(x, y, x), [[12, 24], [36, 48]])
    check(nd.ElementWiseSum(x, y, num_args=2), [[11, 22], [33, 44]])
    with pytest.raises(ValueError, match="differ"):
        nd.elemwise_add(x, nd.array([1, 2]))
    with pytest.raises(TypeError, match="dtypes"):
        nd.elemwise_add(x, y.astype("float64"))
    with pytest.raises(TypeError, match="NDArray"):
        nd.elemwise_add(x, 2)
    with pytest.raises(ValueError, match="at least one"):
        nd.add_n()
    a, b = nd.array([1.0, 2.0]), nd.array([3.0, 4.0])
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        (nd.elemwise_mul(a, b) + nd.add_n(a, b, a)).sum().backward()
    check(a.grad, [5.0, 6.0])
    check(b.grad, [2.0, 3.0])


# -- slicing, padding, layout -----------------------------------------------------------------

def _grad_check(fun, x, rtol=1e-6):
    """autograd of sum(fun(x) * w) against central differences (float64)."""
    y0 = fun(nd.array(x, dtype="float64")).asnumpy()
    w = np.random.default_rng(5).uniform(0.5, 1.5, size=y0.shape)
    v = nd.array(x, dtype="float64")
    v.attach_grad()
    with autograd.record():
        (fun(v) * nd.array(w, dtype="float64")).sum().backward()
    exp = numerical_grad(lambda a: float((fun(nd.array(a, dtype="float64")).asnumpy()
                                          * w).sum()), [x], 0)
    np.testing.assert_allclose(v.grad.asnumpy(), exp, rtol=rtol, atol=1e-8)
    return v.grad.asnumpy()


def test_slices_match_numpy_and_differentiate():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = nd.array(a)
    check(nd.slice(x, begin=(None, 2, None), end=(None, 0, None), step=(1, -1, 2)),
          a[:, 2:0:-1, ::2])
    check(nd.slice(x, begin=(-1, -2), end=(None, None)), a[-1:, -2:])
    check(x.slice_axis(axis=-1, begin=-3, end=-1), a[..., -3:-1])
    check(nd.slice_like(x, nd.zeros((1, 2, 3)), axes=(0, -1)), a[:1, :, :3])
    with pytest.raises(ValueError):
        nd.slice_axis(x, axis=1, begin=2, end=2)
    _grad_check(lambda v: nd.slice(v, begin=(None, 2), end=(None, 0), step=(1, -1)), a)
    _grad_check(lambda v: nd.slice_like(v, nd.zeros((1, 2, 3))), a)


def test_pad_values_and_gradients_as_mxnet():
    img = nd.arange(16).reshape((1, 1, 4, 4))
    widths = (0, 0, 0, 0, 1, 1, 2, 0)
    # recorded from MXNet 1.9.1
    check(nd.pad(img, mode="edge", pad_width=widths)[0, 0],
          [[0, 0, 0, 1, 2, 3], [0, 0, 0, 1, 2, 3], [4, 4, 4, 5, 6, 7], [8, 8, 8, 9, 10, 11],
           [12, 12, 12, 13, 14, 15], [12, 12, 12, 13, 14, 15]])
    check(nd.pad(img, mode="reflect", pad_width=widths)[0, 0],
          [[6, 5, 4, 5, 6, 7], [2, 1, 0, 1, 2, 3], [6, 5, 4, 5, 6, 7], [10, 9, 8, 9, 10, 11],
           [14, 13, 12, 13, 14, 15], [10, 9, 8, 9, 10, 11]])
    recorded = {"edge": [[24, 12, 14, 16], [39, 15, 16, 17], [57, 21, 22, 23],
                         [168, 60, 62, 64]],
                "reflect": [[8, 16, 16, 11], [16, 32, 32, 22], [52, 104, 104, 58],
                            [26, 52, 52, 29]]}
    for mode, grad in recorded.items():
        a = img.copy()
        a.attach_grad()
        with autograd.record():
            p = nd.pad(a, mode=mode, pad_width=widths)
            (p * nd.arange(p.size).reshape(p.shape)).sum().backward()
        check(a.grad[0, 0], grad)
    for mode in ("constant", "edge", "reflect"):
        _grad_check(lambda v, m=mode: nd.pad(v, mode=m, pad_width=(0, 0, 2, 1, 1, 3),
                                             constant_value=0.5),
                    np.random.default_rng(0).uniform(size=(2, 3, 4)))
    with pytest.raises(ValueError, match="2 entries per axis"):
        nd.pad(img, mode="constant", pad_width=(1, 1))
    with pytest.raises(ValueError, match="mode"):
        nd.pad(img, mode="wrap", pad_width=widths)


def test_concatenate_and_moveaxis():
    a, b = np.ones((1, 2)), np.zeros((2, 2))
    check(nd.concatenate([nd.array(a), nd.array(b)]), np.concatenate([a, b]))
    x = nd.ones(2)
    assert nd.concatenate([x], always_copy=False) is x
    assert nd.concatenate([x]) is not x
    with pytest.raises(TypeError, match="dtypes"):
        nd.concatenate([x, x.astype("float64")])
    t = np.arange(24.0).reshape(2, 3, 4)
    for src, dst in ((0, 2), (-1, 0), ((0, 1), (2, 0)), ([2, 0], [0, 1])):
        check(nd.moveaxis(nd.array(t), src, dst), np.moveaxis(t, src, dst))
    with pytest.raises(ValueError, match="repeated"):
        nd.moveaxis(nd.array(t), (0, 0), (1, 2))
    _grad_check(lambda v: nd.moveaxis(v, 0, -1) *
                nd.concatenate([v, v], axis=0)[:2].transpose((1, 2, 0)), t)


def test_layout_operators_match_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    m = np.arange(12.0).reshape(3, 4)
    for k in (-2, 0, 1, 3):
        check(nd.diag(nd.array(m), k=k), np.diagonal(m, k))
    check(nd.diag(nd.array(a), k=1, axis1=2, axis2=0), np.diagonal(a, 1, 2, 0))
    check(nd.diag(nd.array([1.0, 2.0]), k=-1), np.diag([1.0, 2.0], -1))
    _grad_check(lambda v: nd.diag(v, k=1), m)
    _grad_check(lambda v: nd.diag(v, k=-1), np.array([1.0, 2.0, 3.0]))
    d = np.arange(96.0).reshape(2, 8, 2, 3)
    back = nd.space_to_depth(nd.depth_to_space(nd.array(d), 2), 2)
    check(back, d)
    _grad_check(lambda v: nd.depth_to_space(v, 2), d)
    parts = nd.split_v2(nd.arange(10), (2, 5))
    assert [p.asnumpy().tolist() for p in parts] == [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9]]
    check(nd.reshape_like(nd.array(m), nd.zeros((2, 6))), m.reshape(2, 6))
    check(nd.broadcast_axes(nd.ones((1, 2, 1)), axis=(0, 2), size=(3, 4)), np.ones((3, 2, 4)))
    check(nd.shape_array(nd.array(m)), [3, 4], dtype="int64")
    check(nd.size_array(nd.array(m)), [12], dtype="int64")
    check(nd.argmax_channel(nd.array([[1, 5, 2], [7, 0, 3]])), [1.0, 0.0])


# -- neural-network and legacy index operators -----------------------------------------------

def test_fully_connected():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    w = np.random.default_rng(1).normal(size=(5, 12))
    b = np.random.default_rng(2).normal(size=5)
    y = nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b), num_hidden=5)
    check(y, x.reshape(2, 12) @ w.T + b, rtol=1e-5)
    w2 = np.random.default_rng(3).normal(size=(5, 4))
    y2 = nd.FullyConnected(nd.array(x), nd.array(w2), nd.array(b), num_hidden=5,
                           flatten=False)
    check(y2, x @ w2.T + b, rtol=1e-5)
    check(nd.FullyConnected(nd.array(x), nd.array(w), num_hidden=5, no_bias=True),
          x.reshape(2, 12) @ w.T, rtol=1e-5)
    for i, arr in enumerate((x, w, b)):
        def fun(v, i=i):
            args = [nd.array(a, dtype="float64") for a in (x, w, b)]
            args[i] = v
            return nd.FullyConnected(*args, num_hidden=5)
        _grad_check(fun, arr)
    with pytest.raises(ValueError, match="weight has shape"):
        nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b), num_hidden=4)
    with pytest.raises(ValueError, match="no_bias"):
        nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b), num_hidden=5, no_bias=True)
    with pytest.raises(TypeError, match="num_hidden"):
        nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b))


def test_index_operators():
    d = nd.array([[1, 2, 3], [4, 5, 6]])
    check(nd.choose_element_0index(d, nd.array([2, 0])), [3, 4])
    check(nd.choose_element_0index(d, nd.array([5, -1])), [3, 4])  # clipped
    check(nd.choose_element_0index(d, nd.array([5, -1]), mode="wrap"), [3, 6])
    check(nd.choose_element_0index(d, nd.array([1.7, -0.5])), [2, 4])  # truncated
    check(nd.fill_element_0index(d, nd.array([7, 8]), nd.array([2, 0])), [[1, 2, 7], [8, 5, 6]])
    check(nd.fill_element_0index(d, nd.array([7, 8]), nd.array([5, -1])), d.asnumpy())
    out = nd.ones((2, 4))
    assert nd.onehot_encode(nd.array([1, 7]), out) is out
    check(out, [[0, 1, 0, 0], [0, 0, 0, 0]])
    a = d.copy()
    a.attach_grad()
    with autograd.record():
        (nd.choose_element_0index(a, nd.array([2, 2])) * nd.array([3, 5])).sum().backward()
    check(a.grad, [[0, 0, 3], [0, 0, 5]])  # recorded from MXNet 1.9.1


def test_contrib_tests():
    x = nd.array([1, np.inf, -np.inf, np.nan, 0])
    check(nd.contrib.isinf(x), [0, 1, 1, 0, 0])
    check(nd.contrib.isnan(x), [0, 0, 0, 1, 0])
    check(nd.contrib.isfinite(x), [1, 0, 0, 0, 1])
    assert nd.contrib.isnan(x.astype("float16")).dtype is np.float16
    check(nd.contrib.isfinite(nd.array([1, 2], dtype="int32")), [1, 1], dtype="int32")
    f = tracegrad.jit(lambda v: nd.contrib.isnan(v) + nd.contrib.isfinite(v) * 2)
    check(f(x), [2, 0, 0, 1, 2])
