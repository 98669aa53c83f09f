"""attach_grad and the grad_req modes: write, add and null."""

import numpy as np
import pytest

from tests.tracegrad.autograd.helpers import check, var
from tracegrad import autograd, nd
from tracegrad.errors import GradReqError


class TestGradReq:
    def test_write_overwrites(self):
        x = var([1.0, 2.0, 3.0])
        with autograd.record():
            y = x * x
        y.backward()
        check(x.grad, [2.0, 4.0, 6.0])
        with autograd.record():
            y = 3 * x
        y.backward()
        check(x.grad, [3.0, 3.0, 3.0])

    def test_add_accumulates(self):
        x = var([1.0, 2.0, 3.0], grad_req="add")
        with autograd.record():
            y = x * x
        y.backward()
        with autograd.record():
            y = 3 * x
        y.backward()
        check(x.grad, [5.0, 7.0, 9.0])

    def test_null_is_left_alone(self):
        x = var([1.0, 2.0], grad_req="null")
        w = var([3.0, 4.0])
        with autograd.record():
            y = x * w
        y.backward()
        check(w.grad, [1.0, 2.0])
        assert x.grad is None  # MXNet: a 'null' variable reached by backward has no gradient

    def test_all_null_raises(self):
        x = var([1.0, 2.0], grad_req="null")
        with autograd.record():
            y = x * 2
        with pytest.raises(GradReqError, match="grad_req='null'"):
            y.backward()

    def test_unknown_grad_req(self):
        with pytest.raises(GradReqError, match="'sum'"):
            nd.ones(2).attach_grad("sum")

    def test_grad_buffer_is_kept_and_written_in_place(self):
        x = var([1.0, 2.0])
        g = x.grad
        with autograd.record():
            y = x * 5
        y.backward()
        assert x.grad is g
        check(g, [5.0, 5.0])

    def test_attach_again_resets_to_zeros(self):
        x = var([1.0, 2.0], grad_req="add")
        with autograd.record():
            y = x * x
        y.backward()
        check(x.grad, [2.0, 4.0])
        x.attach_grad(grad_req="add")
        check(x.grad, [0.0, 0.0])
        with autograd.record():
            y = x * 4
        y.backward()
        check(x.grad, [4.0, 4.0])

    def test_grad_dtype_follows_variable(self):
        x = var([1.0], dtype="float64")
        assert x.grad.dtype is np.float64
        with autograd.record():
            y = x * 3
        y.backward()
        assert x.grad.dtype is np.float64 and x.grad.asscalar() == 3.0

    def test_write_zeroes_a_variable_that_gets_no_gradient(self):
        x, w = var([1.0, 2.0]), var([3.0, 4.0])
        with autograd.record():
            y = x * w
        y.backward()
        check(x.grad, [3.0, 4.0])
        with autograd.record():
            y = nd.stop_gradient(x) * w
        y.backward()
        check(x.grad, [0.0, 0.0])
        check(w.grad, [1.0, 2.0])


class TestNewLeaf:
    def test_attaching_to_an_intermediate_cuts_the_graph(self):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * 2
        y.attach_grad()
        with autograd.record():
            z = y * y
        z.backward()
        check(y.grad, [4.0, 8.0])
        check(x.grad, [0.0, 0.0])

    def test_intermediate_leaf_and_original_variable_together(self):
        x = nd.array([[1.0, 2.0], [3.0, 4.0]])
        x.attach_grad()
        with autograd.record():
            y = x * 2
        y.attach_grad()
        with autograd.record():
            z = y * x
        z.backward()
        check(y.grad, [[1.0, 2.0], [3.0, 4.0]])  # dz/dy = x
        check(x.grad, [[2.0, 4.0], [6.0, 8.0]])  # y held fixed

    def test_graph_recorded_before_attaching_still_reaches_the_old_leaf(self):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * 3
            z = y * y
        y.attach_grad()  # history is not rewritten: z still depends on x
        z.backward()
        check(x.grad, 18 * x.asnumpy())
