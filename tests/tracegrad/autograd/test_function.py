"""mark_variables, detach, stop_gradient and custom autograd.Function."""

import numpy as np
import pytest

from tests.tracegrad.autograd.helpers import _sig, check, var
from tracegrad import autograd, nd
from tracegrad.errors import NotInGraphError


class TestVariablesAndBlocking:
    def test_mark_variables(self):
        x, g = nd.array([1.0, 2.0]), nd.zeros(2)
        autograd.mark_variables([x], [g])
        assert x.grad is g
        with autograd.record():
            y = x * x
        y.backward()
        check(g, [2.0, 4.0])

    def test_mark_variables_add_and_single_arrays(self):
        x, g = nd.array([1.0, 2.0]), nd.array([10.0, 10.0])
        autograd.mark_variables(x, g, grad_reqs="add")
        with autograd.record():
            y = x * 3
        y.backward()
        check(g, [13.0, 13.0])

    def test_mark_variables_mismatch(self):
        with pytest.raises(ValueError, match="must match"):
            autograd.mark_variables([nd.ones(2)], [nd.ones(2), nd.ones(2)])

    def test_detach_blocks_gradient(self):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * x.detach()
        y.backward()
        check(x.grad, [1.0, 2.0])

    def test_detach_values_and_no_graph(self):
        x = var([1.0, 2.0])
        with autograd.record():
            d = (x * 2).detach()
        check(d, [2.0, 4.0])
        with pytest.raises(NotInGraphError):
            d.backward()

    @pytest.mark.parametrize("block", [nd.stop_gradient, nd.BlockGrad])
    def test_stop_gradient(self, block):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * block(x * 3) + x
        y.backward()
        check(x.grad, [4.0, 7.0])


class Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class MulAdd(autograd.Function):
    """(a * b + a): two inputs, two gradients."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b + a

    def backward(self, dy):
        a, b = self.saved_tensors
        return dy * (b + 1), dy * a


class TestFunction:
    def test_custom_sigmoid(self):
        v = np.array([-2.0, 0.0, 1.0, 3.0], np.float32)
        x = var(v)
        with autograd.record():
            y = Sigmoid()(x)
        check(y, _sig(v), rtol=1e-6)
        y.backward()
        check(x.grad, _sig(v) * (1 - _sig(v)), rtol=1e-5)

    def test_in_a_chain_with_head_gradient(self):
        v = np.array([0.3, -0.7])
        x = var(v, dtype="float64")
        with autograd.record():
            y = Sigmoid()(x * 2) * 3
        y.backward(nd.array([1.0, 10.0], dtype="float64"))
        s = _sig(2 * v)
        check(x.grad, np.array([1.0, 10.0]) * 3 * 2 * s * (1 - s), rtol=1e-12)

    def test_two_inputs(self):
        a, b = var([1.0, 2.0]), var([3.0, 5.0])
        with autograd.record():
            y = MulAdd()(a, b)
        check(y, [4.0, 12.0])
        y.backward()
        check(a.grad, [4.0, 6.0])
        check(b.grad, [1.0, 2.0])

    def test_outside_record_just_runs_forward(self):
        y = Sigmoid()(nd.array([0.0]))
        check(y, [0.5])

    def test_instance_is_single_use(self):
        f = Sigmoid()
        f(nd.array([0.0]))
        with pytest.raises(RuntimeError, match="only once"):
            f(nd.array([0.0]))
