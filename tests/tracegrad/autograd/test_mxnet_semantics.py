"""autograd behaviours checked against real MXNet 1.9.1 (issue 13): every expected value here
is what MXNet gave for the same code (the differential harness, tests/mxnet, runs it live)."""

import numpy as np
import pytest

from tracegrad import autograd, nd
from tracegrad.errors import InPlaceError

# -- writes inside record() -------------------------------------------------------------------


@pytest.mark.parametrize("key", [slice(None), Ellipsis])
def test_whole_array_write_of_a_recorded_value_is_recorded(key):
    # MXNet: x[:] = y is a recorded copy (broadcast to x's shape, cast to its dtype)
    y = nd.array([1.0, 2.0, 3.0, 4.0])
    y.attach_grad()
    x = nd.zeros((2, 4), dtype="float64")
    with autograd.record():
        x[key] = y
        z = (x * x).sum()
    z.backward()
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x.asnumpy(), [[1, 2, 3, 4]] * 2)
    np.testing.assert_array_equal(y.grad.asnumpy(), [4, 8, 12, 16])


def test_recorded_copy_does_not_alias_the_value():
    y = nd.array([1.0, 2.0])
    y.attach_grad()
    x = nd.zeros(2)
    with autograd.record():
        x[:] = y * 3
    x[0] = 100
    x.backward()  # the graph kept the value x had when recorded
    np.testing.assert_array_equal(y.grad.asnumpy(), [3, 3])
    np.testing.assert_array_equal(y.asnumpy(), [1, 2])


@pytest.mark.parametrize("key", [[0, 1], slice(0, 2), 1])
def test_partial_write_of_a_recorded_value_raises(key):
    # MXNet: "Inplace operations (+=, -=, x[:]=, etc) are not supported when recording"
    y = nd.array([1.0, 2.0])
    y.attach_grad()
    x = nd.zeros(4)
    with pytest.raises(InPlaceError, match="cannot be recorded"):
        with autograd.record():
            x[key] = y * 1
    assert y.grad.asnumpy().tolist() == [0, 0]


def test_constant_writes_inside_record_still_work():
    x = nd.zeros(4)
    with autograd.record():
        x[0:2] = nd.array([1.0, 2.0])
        x[[2]] = 5
    np.testing.assert_array_equal(x.asnumpy(), [1, 2, 5, 0])
