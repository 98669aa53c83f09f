"""backward(): head gradients, retain_graph and its errors."""

import numpy as np
import pytest

from tests.tracegrad.autograd.helpers import NOT_IN_GRAPH, check, var
from tracegrad import autograd, nd
from tracegrad.errors import (
    GradReqError,
    GraphFreedError,
    HeadGradientError,
    NotInGraphError,
    TracegradError,
)


class TestBackward:
    def test_non_scalar_head_uses_ones(self):
        x = var([1.0, 2.0, 3.0])
        with autograd.record():
            y = x * x
        y.backward()
        check(x.grad, [2.0, 4.0, 6.0])

    def test_head_gradient(self):
        x = var([[1.0, 2.0], [3.0, 4.0]])
        with autograd.record():
            z = (x * 2) * x
        z.backward(nd.array([[10, 1.0], [0.1, 0.01]]))
        check(x.grad, [[40.0, 8.0], [1.2, 0.16]], rtol=1e-6)

    def test_head_gradient_shape_mismatch_names_both_shapes(self):
        x = var(np.ones((2, 3)))
        with autograd.record():
            y = x * 2
        with pytest.raises(HeadGradientError) as err:
            y.backward(nd.ones((3, 3)))  # another size (the same size is reshaped, as MXNet)
        assert "(3, 3)" in str(err.value) and "(2, 3)" in str(err.value)
        assert isinstance(err.value, ValueError)

    def test_head_gradient_count_mismatch(self):
        x = var([1.0])
        with autograd.record():
            y = x * 2
        with pytest.raises(HeadGradientError, match="1 heads but 2"):
            autograd.backward([y], [None, None])

    def test_multiple_heads(self):
        x = var([1.0, 2.0])
        with autograd.record():
            y1 = x * x
            y2 = 3 * x
        autograd.backward([y1, y2], [nd.array([10.0, 100.0]), None])
        check(x.grad, [2 * 1 * 10 + 3, 2 * 2 * 100 + 3])

    def test_multiple_heads_sharing_a_subgraph(self):
        x = var([2.0])
        with autograd.record():
            h = nd.exp(x)
            y1, y2 = h * 2, h * h
        autograd.backward([y1, y2])
        check(x.grad, [2 * np.exp(2.0) + 2 * np.exp(4.0)], rtol=1e-5)

    def test_retain_graph_allows_second_backward(self):
        x = var([1.0, 2.0], grad_req="add")
        with autograd.record():
            y = x * x
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
        y.backward()
        check(x.grad, [6.0, 12.0])

    def test_second_backward_without_retain_graph(self):
        x = var([1.0, 2.0])
        with autograd.record():
            y = nd.exp(x) * x
        y.backward()
        with pytest.raises(GraphFreedError) as err:
            y.backward()
        msg = str(err.value)
        assert NOT_IN_GRAPH in msg and "retain_graph" in msg
        assert isinstance(err.value, NotInGraphError) and isinstance(err.value, RuntimeError)

    def test_backward_through_a_freed_shared_subgraph(self):
        x = var([1.0])
        with autograd.record():
            h = x * 3
            y1 = h * 2
            y2 = h + 1
        y1.backward()
        with pytest.raises(NotInGraphError, match="retain_graph"):
            y2.backward()

    def test_never_recorded_head(self):
        x = var([1.0])
        y = x * 2  # outside record()
        with pytest.raises(NotInGraphError) as err:
            y.backward()
        assert NOT_IN_GRAPH in str(err.value) and "was not recorded" in str(err.value)
        with pytest.raises(NotInGraphError, match="was not recorded"):
            nd.array([1.0]).backward()

    def test_head_without_attached_variable(self):
        with autograd.record():
            y = nd.array([1.0, 2.0]) * 2
        with pytest.raises(NotInGraphError) as err:
            y.backward()
        msg = str(err.value)
        assert NOT_IN_GRAPH in msg and "has a gradient attached" in msg
        assert "was not recorded" not in msg

    def test_recorded_inside_pause_is_not_in_graph(self):
        x = var([1.0])
        with autograd.record():
            with autograd.pause():
                y = x * 2
        with pytest.raises(NotInGraphError, match="was not recorded"):
            y.backward()

    def test_errors_are_tracegrad_errors(self):
        assert issubclass(NotInGraphError, TracegradError)
        assert issubclass(GradReqError, ValueError)
