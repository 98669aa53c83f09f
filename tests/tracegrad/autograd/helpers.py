"""Shared helpers for the autograd tests: ``check``, ``flags``, ``var``, ``_sig``, constants."""

import numpy as np

from tracegrad import autograd, nd
from tracegrad.ndarray import NDArray
from tracegrad.testing import assert_allclose

NOT_IN_GRAPH = "Cannot differentiate node because it is not in a computational graph"
DEFAULT = (False, False)  # (is_recording, is_training) outside any scope


def check(x, expected, rtol=1e-6, atol=1e-7):
    expected = np.asarray(expected)
    assert isinstance(x, NDArray)
    assert x.shape == expected.shape, (x.shape, expected.shape)
    assert_allclose(x, expected, rtol=rtol, atol=atol)


def flags():
    return autograd.is_recording(), autograd.is_training()


def _sig(x):
    return 1 / (1 + np.exp(-x))


def var(values, dtype="float32", grad_req="write"):
    x = nd.array(values, dtype=dtype)
    x.attach_grad(grad_req)
    return x
