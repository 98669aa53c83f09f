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


# -- a freed graph's values are constants -----------------------------------------------------


def test_value_of_a_freed_graph_is_a_constant_in_a_later_record():
    x = nd.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    x.attach_grad()
    for _ in range(6):  # enough steps for the compiled-loop path to take over
        with autograd.record():
            y = x * 2
        y.backward()
        with autograd.record():
            z = y * x
        z.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), y.asnumpy())  # MXNet: y is constant


def test_freed_value_in_new_graph_with_ops():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = nd.exp(x)
    y.backward()
    with autograd.record():
        z = (y + 1) * x * x
    z.backward()
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(x.grad.asnumpy(), (e + 1) * 2 * np.array([1.0, 2.0]), rtol=1e-6)


def test_only_variables_reached_through_live_nodes_are_written():
    w = nd.array([1.0])
    w.attach_grad()
    x = nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = w * 3
    y.backward()
    w.grad[:] = 7  # the freed graph must not reach w again
    with autograd.record():
        z = y * x
    z.backward()
    assert w.grad.asnumpy().tolist() == [7.0]
    assert x.grad.asnumpy().tolist() == [3.0]


def test_differentiating_a_freed_graph_again_is_still_an_error():
    from tracegrad.errors import GraphFreedError
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        a = x * 2
        b = a * 3
        c = a * 4 + x
    b.backward()
    with pytest.raises(GraphFreedError):
        b.backward()
    with pytest.raises(GraphFreedError):  # MXNet fails here too (an internal error)
        c.backward()


# -- head gradients ---------------------------------------------------------------------------


def test_head_gradient_of_the_same_size_is_read_in_the_head_shape():
    x = nd.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward(nd.arange(6).reshape((3, 2)))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 2, 4], [6, 8, 10]])  # MXNet's
    with autograd.record():
        y = (x * 2).reshape((6, 1))
    (g,) = autograd.grad(y, [x], head_grads=nd.arange(6), create_graph=True)
    np.testing.assert_array_equal(g.asnumpy(), [[0, 2, 4], [6, 8, 10]])


def test_head_gradient_of_another_size_or_dtype_is_an_error():
    from tracegrad.errors import HeadGradientError
    x = nd.ones((2, 3))
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(HeadGradientError, match="same size"):
        y.backward(nd.ones((4,)), retain_graph=True)
    with pytest.raises(HeadGradientError, match="dtype float64"):  # MXNet raises too
        y.backward(nd.ones((2, 3), dtype="float64"))


# -- gradients at NaN, inf and 0 --------------------------------------------------------------

SPECIAL = [np.nan, -np.inf, np.inf, -1.0, 0.0, 1.0]


def _grad(f, values):
    x = nd.array(values)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad.asnumpy()


def test_relu_gradient_at_nan_is_nan():
    np.testing.assert_array_equal(_grad(nd.relu, SPECIAL), [np.nan, 0, 1, 0, 0, 1])


def test_power_zero_exponent_gradient():
    g = _grad(lambda x: x ** 0.0, SPECIAL)
    np.testing.assert_array_equal(g, [np.nan, 0, 0, 0, np.nan, 0])  # MXNet: 0 * x**-1
    g = _grad(lambda x: nd.power(x, nd.zeros_like(x)), SPECIAL)
    np.testing.assert_array_equal(g, [np.nan, 0, 0, 0, np.nan, 0])


def test_abs_gradient_at_nan_is_zero():
    np.testing.assert_array_equal(_grad(nd.abs, SPECIAL), [0, -1, 1, -1, 0, 1])


def test_compiled_relu_gradient_at_nan():
    import tracegrad
    g = tracegrad.grad(lambda a: nd.relu(a).sum())(nd.array(SPECIAL))
    np.testing.assert_array_equal(g.asnumpy(), [np.nan, 0, 1, 0, 0, 1])


# -- grad_req='null' --------------------------------------------------------------------------


def test_null_grad_req_has_no_gradient_after_backward():
    x = nd.array([1.0, 2.0])
    x.attach_grad(grad_req="null")
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0])  # MXNet: zeros until backward
    z = nd.array([3.0, 4.0])
    z.attach_grad()
    with autograd.record():
        y = x * z
    y.backward()
    assert x.grad is None and x._fresh_grad == 0
    np.testing.assert_array_equal(z.grad.asnumpy(), [1, 2])
    assert z._fresh_grad == 1
