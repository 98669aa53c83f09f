"""Numbers that were wrong or inconsistent (issue 10): stable sigmoid, expm1's gradient, Python
floats under jit (weakly typed, exact next to float64), NumPy float64 inputs, integer
gradients as in MXNet."""

import warnings

import numpy as np
import pytest

import tracegrad
from tracegrad import autograd, nd
from tracegrad._compiler import executor
from tracegrad._compiler import prims as P

F32_TINY = [-120.0, -88.0, -20.0, -17.5, -5.0, -0.5, 0.0, 0.5, 5.0, 17.5, 20.0, 88.0]


def _sigmoid64(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


@pytest.fixture
def interpreter():
    executor.set_backend("interpreter")
    yield
    executor.set_backend(None)


# -- sigmoid ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_eager_matches_float64_reference(dtype):
    x = np.array(F32_TINY, dtype=dtype)
    got = nd.sigmoid(nd.array(x, dtype=dtype)).asnumpy()
    assert got.dtype == np.dtype(dtype)
    ref = _sigmoid64(x).astype(dtype)
    np.testing.assert_allclose(got, ref, rtol=4 * np.finfo(dtype).eps, atol=0)
    # -20 used to give exactly 0 in float32 (the tanh form rounds below 3e-8 to zero)
    assert got[2] > 0 and abs(got[2] / 2.0611536e-09 - 1) < 1e-6


def test_sigmoid_special_values():
    x = nd.array([-np.inf, np.inf, np.nan, -0.0])
    got = nd.sigmoid(x).asnumpy()
    assert got[0] == 0.0 and got[1] == 1.0 and np.isnan(got[2]) and got[3] == 0.5


def test_log_sigmoid_is_finite_bce():
    x = nd.array([-20.0, -60.0, 30.0])
    got = nd.log(nd.sigmoid(x)).asnumpy()
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, np.log(_sigmoid64([-20.0, -60.0, 30.0])), rtol=1e-6,
                               atol=1e-7)


def _sig_loss(x):
    return nd.log(nd.sigmoid(x)).sum()


def test_sigmoid_eager_interpreter_and_compiled_agree(interpreter):
    x = nd.array(np.array(F32_TINY, dtype=np.float32))
    eager = nd.sigmoid(x).asnumpy()
    interp = tracegrad.jit(nd.sigmoid)(x).asnumpy()  # the interpreter backend
    np.testing.assert_array_equal(interp, eager)
    executor.set_backend(None)
    compiled = tracegrad.jit(lambda a: nd.sigmoid(a) * 1.0)(x).asnumpy()
    np.testing.assert_allclose(compiled, eager, rtol=4e-7, atol=0)
    # (below -87.3 sigmoid is a float32 subnormal, below -103.3 it rounds to 0: log is -inf)
    tail = nd.array([-87.0, -20.0, 0.0, 20.0])
    np.testing.assert_allclose(tracegrad.jit(_sig_loss)(tail).asnumpy(),
                               [np.log(_sigmoid64(tail.asnumpy())).sum()], rtol=1e-6)


def test_sigmoid_gradient_in_the_tails():
    # sigmoid'(x) = sigmoid(x) sigmoid(-x): at x = 20 it is 2.06e-9, not 0 (1 - out rounds)
    x = nd.array([20.0, -20.0, 0.0])
    x.attach_grad()
    with autograd.record():
        y = nd.sigmoid(x).sum()
    y.backward()
    ref = _sigmoid64([20.0, -20.0, 0.0]) * _sigmoid64([-20.0, 20.0, 0.0])
    np.testing.assert_allclose(x.grad.asnumpy(), ref, rtol=1e-6)
    g = tracegrad.grad(lambda a: nd.sigmoid(a).sum())(nd.array([20.0, -20.0, 0.0]))
    np.testing.assert_allclose(g.asnumpy(), ref, rtol=1e-5)


# -- expm1 ------------------------------------------------------------------------------------

def test_expm1_gradient_does_not_underflow():
    xs = np.array([-30.0, -20.0, -17.0, -1.0, 0.0, 2.0], dtype=np.float32)
    x = nd.array(xs)
    x.attach_grad()
    with autograd.record():
        y = nd.expm1(x).sum()
    y.backward()
    ref = np.exp(xs.astype(np.float64))
    np.testing.assert_allclose(x.grad.asnumpy(), ref, rtol=1e-6)
    assert x.grad.asnumpy()[1] > 0  # was exactly 0: g * (expm1(x) + 1) rounds
    g = tracegrad.grad(lambda a: nd.expm1(a).sum())(nd.array(xs))
    np.testing.assert_allclose(g.asnumpy(), ref, rtol=1e-5)


# -- Python floats under jit: weakly typed ---------------------------------------------------

def _axpy(x, dt):
    return x + x * dt


def test_python_float_is_exact_next_to_float64():
    f = tracegrad.jit(_axpy)
    x = nd.array([1.0, 2.0], dtype="float64")
    out = f(x, 1e-3)
    assert out.dtype == np.float64
    # float32's 1e-3 is 0.0010000000475: a relative error of 5e-8 in the product
    np.testing.assert_allclose(out.asnumpy(), [1.001, 2.002], rtol=1e-15)
    big = tracegrad.jit(lambda x, s: x * s)(x, 1e40).asnumpy()
    np.testing.assert_array_equal(big, [1e40, 2e40])  # float32 made it inf


def test_python_float_follows_float32_arrays_as_in_eager():
    f = tracegrad.jit(_axpy)
    x = nd.array([1.0, 3.0, 7.0])
    out = f(x, 1e-3)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), _axpy(x, 1e-3).asnumpy(), rtol=1.2e-7)


def test_python_float_is_an_input_not_static():
    f = tracegrad.jit(_axpy)
    x = nd.array([1.0, 2.0], dtype="float64")
    for dt in (1e-3, 2e-3, 0.1, 5.0):
        np.testing.assert_allclose(f(x, dt).asnumpy(), x.asnumpy() + x.asnumpy() * dt,
                                   rtol=1e-15)
    assert len(f.cache) == 1 and f.traces == 1


def test_float64_integration_does_not_drift():
    step = tracegrad.jit(lambda x, v, dt: (x + v * dt, v - x * dt))
    x, v = nd.array([1.0], dtype="float64"), nd.array([0.0], dtype="float64")
    xr, vr = np.array([1.0]), np.array([0.0])
    dt = 1e-3
    for _ in range(500):
        x, v = step(x, v, dt)
        xr, vr = xr + vr * dt, vr - xr * dt
    # with dt rounded to float32 the orbit drifts by ~1e-8 after these 500 steps
    np.testing.assert_allclose(x.asnumpy(), xr, rtol=1e-12)
    np.testing.assert_allclose(v.asnumpy(), vr, rtol=1e-12, atol=1e-14)


def test_weak_scalars_alone_stay_float64_and_int_arrays_promote():
    f = tracegrad.jit(lambda a, b: a * b + 1.0)
    out = f(0.1, 0.2)
    assert out.dtype == np.float64
    assert abs(out.asnumpy().item() - (0.1 * 0.2 + 1.0)) < 1e-15
    g = tracegrad.jit(lambda i, s: i * s)
    xi = nd.array([1, 2], dtype="int32")
    assert g(xi, 0.5).dtype == (xi * 0.5).dtype == np.float64


def test_grad_with_respect_to_a_python_float():
    g = tracegrad.grad(lambda x, s: (x * s).sum(), argnums=1)(nd.array([1.0, 2.0]), 3.0)
    np.testing.assert_allclose(g.asnumpy(), 3.0)


def test_float_argument_recorded_under_autograd():
    f = tracegrad.jit(lambda x, s: (x * s).sum())
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = f(x, 0.5)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [0.5, 0.5])


def test_numpy_float64_input_same_dtype_eager_and_jit():
    a = np.array([0.5, 1.5])
    for fn in (lambda x: nd.exp(x), lambda x: nd.sum(x), lambda x: nd.sigmoid(x) * 2.0):
        eager = fn(a)
        jitted = tracegrad.jit(fn)(a)
        assert eager.dtype == jitted.dtype == np.float64
        np.testing.assert_allclose(jitted.asnumpy(), eager.asnumpy(), rtol=1e-12)
    # nd.array still gives float32 for a NumPy float64 source, as MXNet's does
    assert nd.array(a).dtype == np.float32


# -- integer gradients (MXNet 1.9.1) ---------------------------------------------------------

def test_integer_variable_gets_integer_gradient_like_mxnet():
    x = nd.array([1, 2, 3], dtype="int32")
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    assert x.grad.dtype == np.int32
    np.testing.assert_array_equal(x.grad.asnumpy(), [2, 4, 6])


def test_integer_gradient_stays_exact_when_the_loop_is_compiled():
    x = nd.array([1, 2, 3], dtype="int32")
    x.attach_grad()
    for _ in range(tracegrad.config.compile_loops_after + 3):
        with autograd.record():
            y = (x * x + x).sum()
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), [3, 5, 7])


def test_autograd_grad_of_integer_variable():
    x = nd.array([2, 5], dtype="int64")
    x.attach_grad()
    with autograd.record():
        y = x * x * x
    (g,) = autograd.grad(y, [x])
    assert g.dtype == np.int64
    np.testing.assert_array_equal(g.asnumpy(), [12, 75])


def test_jit_grad_of_integer_argument_is_a_type_error():
    f = tracegrad.grad(lambda x: (x * x).sum())
    with pytest.raises(TypeError, match=r"grad requires float inputs; argument 0 .* int32"):
        f(nd.array([1, 2, 3], dtype="int32"))
    g = tracegrad.grad(lambda x, n: (x * n).sum(), argnums=1)
    with pytest.raises(TypeError, match=r"grad requires float inputs; argument 1 .*Python int"):
        g(nd.array([1.0]), 3)


def test_float_gradients_unchanged_next_to_integer_inputs():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    idx = nd.array([1, 0], dtype="int32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with autograd.record():
            y = (x * idx).sum()
        y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 0.0])


def test_sigmoid_primitive_impl_keeps_dtype():
    for dt in ("float32", "float64"):
        assert P.sigmoid.impl(np.zeros(3, dt)).dtype == np.dtype(dt)
