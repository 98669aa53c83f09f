"""MXNet 1.x autograd semantics: grad_req, retain_graph, head gradients, autograd.grad,
higher-order derivatives, Function, in-place rules, the recording/training state (per thread),
get_graph, NaN and empty arrays, and error messages."""

import re
import threading

import numpy as np
import pytest

from tracegrad import autograd, nd
from tracegrad.errors import (
    GradReqError,
    GraphFreedError,
    HeadGradientError,
    InPlaceError,
    NotInGraphError,
    TracegradError,
)
from tracegrad.ndarray import NDArray
from tracegrad.testing import assert_allclose

NOT_IN_GRAPH = "Cannot differentiate node because it is not in a computational graph"


def check(x, expected, rtol=1e-6, atol=1e-7):
    expected = np.asarray(expected)
    assert isinstance(x, NDArray)
    assert x.shape == expected.shape, (x.shape, expected.shape)
    assert_allclose(x, expected, rtol=rtol, atol=atol)


def flags():
    return autograd.is_recording(), autograd.is_training()


@pytest.fixture(autouse=True)
def _default_state():
    assert flags() == (False, False), "a previous test leaked autograd state"
    yield
    autograd.set_recording(False)
    autograd.set_training(False)


def var(values, dtype="float32", grad_req="write"):
    x = nd.array(values, dtype=dtype)
    x.attach_grad(grad_req)
    return x


# ============================================================================================
# grad_req
# ============================================================================================

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
        check(x.grad, [0.0, 0.0])

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


# ============================================================================================
# backward, retain_graph and errors
# ============================================================================================

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
            y.backward(nd.ones((3, 2)))
        assert "(3, 2)" in str(err.value) and "(2, 3)" in str(err.value)
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


# ============================================================================================
# autograd.grad and higher order
# ============================================================================================

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


def _sig(x):
    return 1 / (1 + np.exp(-x))


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


# ============================================================================================
# mark_variables, detach, stop_gradient, Function
# ============================================================================================

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


# ============================================================================================
# in-place operations
# ============================================================================================

INPLACE = [
    ("+=", lambda y: y.__iadd__(1)),
    ("-=", lambda y: y.__isub__(1)),
    ("*=", lambda y: y.__imul__(2)),
    ("/=", lambda y: y.__itruediv__(2)),
    ("x[...] = value", lambda y: y.__setitem__(slice(None), 0)),
    ("x[...] = value", lambda y: y.__setitem__(0, 5)),
    ("copyto", lambda y: nd.zeros(2).copyto(y)),
]


class TestInPlace:
    @pytest.mark.parametrize("opname, op", INPLACE, ids=[f"{o}-{i}" for i, (o, _) in
                                                         enumerate(INPLACE)])
    def test_on_recorded_array_inside_record(self, opname, op):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * 2
            with pytest.raises(InPlaceError) as err:
                op(y)
        assert f"'{opname}'" in str(err.value)
        assert "(2,)" in str(err.value)
        check(y, [2.0, 4.0])  # unchanged
        y.backward()
        check(x.grad, [2.0, 2.0])

    @pytest.mark.parametrize("opname, op", INPLACE[:5], ids=[o for o, _ in INPLACE[:5]])
    def test_on_variable_inside_record(self, opname, op):
        x = var([1.0, 2.0])
        with autograd.record():
            with pytest.raises(InPlaceError, match=re.escape(f"'{opname}'")):
                op(x)

    @pytest.mark.parametrize("opname, op, expected", [
        ("+=", INPLACE[0][1], [3.0, 5.0]), ("*=", INPLACE[2][1], [4.0, 8.0]),
        ("x[:] =", INPLACE[4][1], [0.0, 0.0]), ("copyto", INPLACE[6][1], [0.0, 0.0])])
    def test_outside_record_works(self, opname, op, expected):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * 2
        op(y)
        check(y, expected)
        op(x)  # the variable itself too
        assert not np.array_equal(x.asnumpy(), [1.0, 2.0])

    def test_arrays_outside_the_graph_can_change_inside_record(self):
        x = var([1.0, 2.0])
        c = nd.ones(2)
        with autograd.record():
            c += 1
            k = nd.ones(2) * 3  # recorded, but depends on no variable
            k[0] = 10
            y = x * c * k
        check(c, [2.0, 2.0])
        y.backward()
        check(x.grad, [20.0, 6.0])

    @pytest.mark.parametrize("mutate", ["output", "input"])
    def test_outside_record_does_not_corrupt_the_saved_graph(self, mutate):
        v = np.array([1.0, 2.0])
        x = var(v)
        with autograd.record():
            y = nd.exp(x) if mutate == "output" else x * x  # backward reads out / x
        if mutate == "output":
            y += 100
            expected = np.exp(v)
        else:
            x += 100
            expected = 2 * v
        y.backward()
        check(x.grad, expected, rtol=1e-6)


# ============================================================================================
# recording and training state
# ============================================================================================

DEFAULT = (False, False)
SCOPES = {
    "record": (lambda: autograd.record(), lambda s: (True, True)),
    "record_predict": (lambda: autograd.record(train_mode=False), lambda s: (True, False)),
    "pause": (lambda: autograd.pause(), lambda s: (False, False)),
    "pause_train": (lambda: autograd.pause(train_mode=True), lambda s: (False, True)),
    "train_mode": (lambda: autograd.train_mode(), lambda s: (s[0], True)),
    "predict_mode": (lambda: autograd.predict_mode(), lambda s: (s[0], False)),
}


class TestState:
    def test_defaults(self):
        assert autograd.is_recording() is False
        assert autograd.is_training() is False

    @pytest.mark.parametrize("name", list(SCOPES))
    def test_single_scope(self, name):
        make, effect = SCOPES[name]
        with make():
            assert flags() == effect(DEFAULT)
        assert flags() == DEFAULT

    @pytest.mark.parametrize("outer", list(SCOPES))
    @pytest.mark.parametrize("inner", list(SCOPES))
    def test_nested_scope_matrix(self, outer, inner):
        make_o, eff_o = SCOPES[outer]
        make_i, eff_i = SCOPES[inner]
        with make_o():
            s_outer = flags()
            assert s_outer == eff_o(DEFAULT)
            with make_i():
                assert flags() == eff_i(s_outer)
            assert flags() == s_outer
        assert flags() == DEFAULT

    @pytest.mark.parametrize("outer", list(SCOPES))
    @pytest.mark.parametrize("inner", list(SCOPES))
    def test_state_restored_after_exceptions(self, outer, inner):
        make_o, eff_o = SCOPES[outer]
        make_i, _ = SCOPES[inner]
        with pytest.raises(KeyError):
            with make_o():
                try:
                    with make_i():
                        raise ZeroDivisionError
                except ZeroDivisionError:
                    assert flags() == eff_o(DEFAULT)
                with make_i():
                    raise KeyError("boom")
        assert flags() == DEFAULT

    def test_set_recording_and_set_training_return_previous(self):
        assert autograd.set_recording(True) is False
        assert autograd.is_recording() is True
        assert autograd.set_recording(True) is True
        assert autograd.set_recording(False) is True
        assert autograd.is_recording() is False
        assert autograd.set_training(True) is False
        assert autograd.is_training() is True
        assert autograd.set_training(False) is True
        assert flags() == DEFAULT

    def test_set_recording_records(self):
        x = var([3.0])
        prev = autograd.set_recording(True)
        try:
            y = x * x
        finally:
            autograd.set_recording(prev)
        y.backward()
        check(x.grad, [6.0])

    def test_scope_restores_after_set_inside(self):
        with autograd.record():
            autograd.set_recording(False)
            autograd.set_training(False)
            assert flags() == DEFAULT
        assert flags() == DEFAULT
        with autograd.pause():
            autograd.set_recording(True)
        assert flags() == DEFAULT

    def test_pause_inside_record_stops_recording(self):
        x = var([2.0])
        with autograd.record():
            y = x * x
            with autograd.pause():
                metric = y * 10  # not recorded
            z = y * 3
        z.backward()
        check(x.grad, [12.0])
        with pytest.raises(NotInGraphError, match="was not recorded"):
            metric.backward()

    def test_threads_have_their_own_state(self):
        seen = {}

        def probe():
            seen["flags"] = flags()

        with autograd.record():
            t = threading.Thread(target=probe)
            t.start()
            t.join()
            assert flags() == (True, True)
        assert seen["flags"] == DEFAULT

    def test_two_threads_record_independently(self):
        barrier = threading.Barrier(3, timeout=10)
        results, errors = {}, []

        def worker(k):
            try:
                x = var([float(k)], dtype="float64")
                barrier.wait()  # 1: both threads started
                with autograd.record(train_mode=(k == 1)):
                    barrier.wait()  # 2: both threads inside record
                    s = flags()
                    y = x ** 3 * k
                    barrier.wait()  # 3: main thread looks while both record
                    barrier.wait()  # 4
                y.backward()
                results[k] = (s, x.grad.asscalar())
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
                barrier.abort()

        threads = [threading.Thread(target=worker, args=(k,)) for k in (1, 2)]
        for t in threads:
            t.start()
        barrier.wait()
        barrier.wait()
        barrier.wait()
        main_flags = flags()
        w = nd.array([1.0])
        w.attach_grad()
        y_main = w * 2  # not recorded in the main thread
        barrier.wait()
        for t in threads:
            t.join()
        assert not errors, errors
        assert main_flags == DEFAULT
        with pytest.raises(NotInGraphError, match="was not recorded"):
            y_main.backward()
        assert results[1] == ((True, True), 3.0)  # 3 k x^2 at x = k = 1
        assert results[2] == ((True, False), 24.0)  # 3 * 2 * 2^2


# ============================================================================================
# get_graph
# ============================================================================================

class TestGetGraph:
    def test_seed_example_graph(self):
        x = nd.arange(4).reshape((4, 1))
        x.attach_grad()
        with autograd.record():
            y = 2 * nd.dot(x.T, x)
        text = str(autograd.get_graph(y))
        assert "a:f32[4,1]" in text
        assert "transpose[axes=(1, 0)]" in text
        assert "matmul" in text
        assert "mul 2.0:f32[]" in text
        # the order of the equations follows the recording
        assert text.index("transpose") < text.index("matmul") < text.index("mul 2.0")
        y.backward()  # get_graph did not free anything
        check(x.grad, [[0.0], [4.0], [8.0], [12.0]])

    def test_constants_become_graph_inputs(self):
        x = nd.ones((2,))
        x.attach_grad()
        with autograd.record():
            y = nd.exp(x * nd.array([1.0, 2.0]))
        text = str(autograd.get_graph(y))
        assert "exp" in text and "mul" in text

    def test_unrecorded_head(self):
        with pytest.raises(NotInGraphError, match=NOT_IN_GRAPH):
            autograd.get_graph(nd.ones(2))

    def test_freed_graph(self):
        x = var([1.0])
        with autograd.record():
            y = x * x
        y.backward()
        with pytest.raises(NotInGraphError, match="retain_graph"):
            autograd.get_graph(y)


# ============================================================================================
# NaN, empty arrays, shape errors
# ============================================================================================

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
