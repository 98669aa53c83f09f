"""Shared helpers for the nd tests: the seeded RNG, random and NDArray inputs, and ``check``."""

import numpy as np

from tracegrad import nd
from tracegrad.ndarray import NDArray
from tracegrad.testing import assert_allclose

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
