"""NaN and empty arrays under autograd, and shape errors with their messages."""

import numpy as np
import pytest

from tests.tracegrad.autograd.helpers import DEFAULT, check, flags, var
from tracegrad import autograd, nd


class TestNaN:
    def test_forward_like_numpy(self):
        a = np.array([np.nan, 1.0, -1.0, np.inf], np.float32)
        with np.errstate(invalid="ignore"):
            for f, ref in [(lambda v: v * 2, lambda v: v * 2), (nd.exp, np.exp),
                           (nd.sqrt, np.sqrt), (lambda v: nd.maximum(v, 0.0),
                                                lambda v: np.maximum(v, 0.0)),
                           (lambda v: v.sum(), lambda v: np.array([v.sum()]))]:
                np.testing.assert_array_equal(f(nd.array(a)).asnumpy(), ref(a))

    def test_backward_like_numpy(self):
        a = np.array([np.nan, 2.0], np.float32)
        x = var(a)
        with autograd.record():
            y = x * x + nd.exp(x)
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), 2 * a + np.exp(a))

    def test_nan_in_one_element_does_not_leak(self):
        x = var([np.nan, 1.0, 2.0])
        with autograd.record():
            y = x * 3
        y.backward()
        check(x.grad, [3.0, 3.0, 3.0])
        with autograd.record():
            z = x.sum()
        z.backward()
        check(x.grad, [1.0, 1.0, 1.0])


class TestEmpty:
    @pytest.mark.parametrize("f", [lambda x: x + 1, lambda x: x * x, nd.exp, nd.relu,
                                   lambda x: nd.maximum(x, nd.ones(3)), lambda x: -x],
                             ids=["add", "mul", "exp", "relu", "maximum", "neg"])
    def test_elementwise_keeps_shape(self, f):
        out = f(nd.zeros((0, 3)))
        assert out.shape == (0, 3) and out.dtype is np.float32

    def test_sum(self):
        x = nd.zeros((0, 3))
        check(x.sum(), [0.0])
        check(x.sum(axis=0), [0.0, 0.0, 0.0])
        assert x.sum(axis=1).shape == (0,)

    def test_backward(self):
        x = var(np.zeros((0, 3)))
        w = var([1.0, 2.0, 3.0])
        with autograd.record():
            y = (x * w * 2).sum() + w.sum()
        y.backward()
        assert x.grad.shape == (0, 3)
        check(w.grad, [1.0, 1.0, 1.0])


SHAPE_ERRORS = [
    ("add", lambda: nd.ones((2, 3)) + nd.ones((4, 5))),
    ("mul", lambda: nd.multiply(nd.ones((2, 3)), nd.ones((4, 5)))),
    ("maximum", lambda: nd.maximum(nd.ones((2, 3)), nd.ones((4, 5)))),
    ("dot", lambda: nd.dot(nd.ones((2, 3)), nd.ones((4, 5)))),
    ("reshape", lambda: nd.ones((2, 3)).reshape((4, 5))),
    ("stack", lambda: nd.stack(nd.ones((2, 3)), nd.ones((4, 5)))),
    ("setitem", lambda: nd.ones((2, 3)).__setitem__(slice(None), nd.ones((4, 5)))),
    ("copyto", lambda: nd.ones((2, 3)).copyto(nd.ones((4, 5)))),
    ("mark_variables", lambda: autograd.mark_variables([nd.ones((2, 3))], [nd.ones((4, 5))])),
    ("broadcast_to", lambda: nd.broadcast_to(nd.ones((2, 3)), (4, 5))),
    ("batch_dot", lambda: nd.batch_dot(nd.ones((2, 2, 3)), nd.ones((2, 4, 5)))),
    ("concat", lambda: nd.concat(nd.ones((2, 3)), nd.ones((4, 5)), dim=0)),
]


@pytest.mark.parametrize("name, make", SHAPE_ERRORS)
def test_shape_mismatch_errors_name_both_shapes(name, make):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value).replace(" ", "")
    first = "(2,2,3)" if name == "batch_dot" else "(2,3)"
    second = "(2,4,5)" if name == "batch_dot" else "(4,5)"
    assert first in msg and second in msg, str(err.value)


def test_shape_mismatch_inside_record_leaves_no_state():
    x = var(np.ones((2, 3)))
    with pytest.raises(ValueError):
        with autograd.record():
            x + nd.ones((4, 5))
    assert flags() == DEFAULT
    with autograd.record():
        y = x * 2
    y.backward()
    check(x.grad, np.full((2, 3), 2.0))
