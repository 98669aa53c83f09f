"""autograd.grad, create_graph and higher-order derivatives."""

import numpy as np
import pytest

from tests.tracegrad.autograd.helpers import NOT_IN_GRAPH, _sig, check, var
from tracegrad import autograd, nd
from tracegrad.errors import GraphFreedError, NotInGraphError


class TestGrad:
    def test_returns_list_and_leaves_grad_untouched(self):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * 7
        y.backward()
        with autograd.record():
            y = x * x * x
        grads = autograd.grad(y, x)
        assert isinstance(grads, list) and len(grads) == 1
        check(grads[0], [3.0, 12.0])
        check(x.grad, [7.0, 7.0])

    def test_several_variables_and_head_grads(self):
        a, b = var([1.0, 2.0]), var([3.0, 4.0])
        with autograd.record():
            y = a * b
        ga, gb = autograd.grad([y], [a, b], head_grads=[nd.array([1.0, 10.0])])
        check(ga, [3.0, 40.0])
        check(gb, [1.0, 20.0])

    def test_unreached_variable_gets_zeros(self):
        a, b = var([1.0, 2.0]), var([3.0, 4.0])
        with autograd.record():
            y = a * 2
        ga, gb = autograd.grad(y, [a, b])
        check(ga, [2.0, 2.0])
        check(gb, [0.0, 0.0])

    def test_variable_not_in_graph(self):
        a = var([1.0])
        with autograd.record():
            y = a * 2
        with pytest.raises(NotInGraphError, match=NOT_IN_GRAPH):
            autograd.grad(y, [nd.array([1.0])])

    def test_grad_frees_the_graph_unless_retained(self):
        x = var([1.0])
        with autograd.record():
            y = x * x
        autograd.grad(y, [x], retain_graph=True)
        check(autograd.grad(y, [x])[0], [2.0])
        with pytest.raises(GraphFreedError):
            autograd.grad(y, [x])


X_HO = np.array([-1.3, 0.5, 1.0, 2.0])
HIGHER_ORDER = [
    # f, f', f'', f'''
    ("cube", lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x, lambda x: 6 + 0 * x),
    ("cube_by_mul", lambda x: x * x * x, lambda x: 3 * x ** 2, lambda x: 6 * x,
     lambda x: 6 + 0 * x),
    ("exp", nd.exp, np.exp, np.exp, np.exp),
    ("tanh", nd.tanh, lambda x: 1 - np.tanh(x) ** 2,
     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
     lambda x: (-2 + 6 * np.tanh(x) ** 2) * (1 - np.tanh(x) ** 2)),
    ("x_sin_x", lambda x: nd.sin(x) * x, lambda x: np.sin(x) + x * np.cos(x),
     lambda x: 2 * np.cos(x) - x * np.sin(x), lambda x: -3 * np.sin(x) - x * np.cos(x)),
    ("sigmoid", nd.sigmoid, lambda x: _sig(x) * (1 - _sig(x)),
     lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
     lambda x: _sig(x) * (1 - _sig(x)) * (1 - 6 * _sig(x) + 6 * _sig(x) ** 2)),
    ("log_of_square", lambda x: nd.log(x * x + 1), lambda x: 2 * x / (x * x + 1),
     lambda x: (2 - 2 * x * x) / (x * x + 1) ** 2,
     lambda x: (4 * x ** 3 - 12 * x) / (x * x + 1) ** 3),
]


class TestHigherOrder:
    @pytest.mark.parametrize("name, f, d1, d2, d3", HIGHER_ORDER, ids=[h[0] for h in HIGHER_ORDER])
    def test_second_order(self, name, f, d1, d2, d3):
        x = var(X_HO, dtype="float64")
        with autograd.record():
            y = f(x)
            g = autograd.grad(y, [x], create_graph=True)[0]
        check(g, d1(X_HO), rtol=1e-10, atol=1e-12)
        g.backward()
        check(x.grad, d2(X_HO), rtol=1e-10, atol=1e-12)

    @pytest.mark.parametrize("name, f, d1, d2, d3", HIGHER_ORDER, ids=[h[0] for h in HIGHER_ORDER])
    def test_third_order(self, name, f, d1, d2, d3):
        x = var(X_HO, dtype="float64")
        with autograd.record():
            y = f(x)
            g1 = autograd.grad(y, [x], create_graph=True)[0]
            g2 = autograd.grad(g1, [x], create_graph=True)[0]
        check(g2, d2(X_HO), rtol=1e-10, atol=1e-12)
        g2.backward()
        check(x.grad, d3(X_HO), rtol=1e-10, atol=1e-12)

    def test_mixed_partials(self):
        a, b = var([1.5], dtype="float64"), var([0.5], dtype="float64")
        with autograd.record():
            y = a * a * nd.exp(b)
            ga = autograd.grad(y, [a], create_graph=True)[0]  # 2a e^b
        ga.backward()
        check(a.grad, [2 * np.exp(0.5)], rtol=1e-12)
        check(b.grad, [2 * 1.5 * np.exp(0.5)], rtol=1e-12)

    def test_gradient_penalty_style(self):
        # d/dx of |grad f|^2 for f = sum(x^3): grad f = 3x^2, |.|^2 = sum 9x^4 -> 36x^3.
        x = var([1.0, -2.0], dtype="float64")
        with autograd.record():
            y = (x ** 3).sum()
            g = autograd.grad(y, [x], create_graph=True)[0]
            penalty = (g * g).sum()
        penalty.backward()
        check(x.grad, 36 * np.array([1.0, -2.0]) ** 3, rtol=1e-12)
