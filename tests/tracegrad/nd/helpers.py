"""Shared helpers for the nd tests: the seeded RNG, random and NDArray inputs, and ``check``."""

import numpy as np

from tracegrad import autograd, nd
from tracegrad.ndarray import NDArray
from tracegrad.testing import assert_allclose, numerical_grad

RNG = np.random.default_rng(1234)


def rand(*shape, low=-2.0, high=2.0, dtype=np.float32):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def arr(a, dtype=None):
    a = np.asarray(a)
    return nd.array(a, dtype=dtype or a.dtype)


def check(x, expected, rtol=1e-5, atol=1e-6, dtype=None):
    """``x`` is an NDArray with the shape, dtype and values of ``expected``."""
    expected = np.asarray(expected)
    assert isinstance(x, NDArray), type(x)
    assert x.shape == expected.shape, (x.shape, expected.shape)
    if dtype is not None:
        assert x.dtype is np.dtype(dtype).type, (x.dtype, dtype)
    assert_allclose(x, expected, rtol=rtol, atol=atol)


def grad_check(fun, *xs, rtol=1e-6, atol=1e-8, argnum=0):
    """autograd of sum(fun(*xs) * w) against central differences (float64)."""
    xs = [np.asarray(x, dtype=np.float64) for x in xs]
    y0 = fun(*[nd.array(x, dtype="float64") for x in xs]).asnumpy()
    w = np.random.default_rng(5).uniform(0.5, 1.5, size=y0.shape)
    vs = [nd.array(x, dtype="float64") for x in xs]
    vs[argnum].attach_grad()
    with autograd.record():
        (fun(*vs) * nd.array(w, dtype="float64")).sum().backward()
    exp = numerical_grad(lambda *a: float((fun(*[nd.array(v, dtype="float64") for v in a])
                                           .asnumpy() * w).sum()), xs, argnum)
    np.testing.assert_allclose(vs[argnum].grad.asnumpy(), exp, rtol=rtol, atol=atol)
    return vs[argnum].grad.asnumpy()
