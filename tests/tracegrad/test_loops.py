"""Compiled eager loops: after a tape's structure repeats, backward runs a compiled graph."""

import numpy as np
import pytest

import tracegrad
from tests import functions as F
from tracegrad import autograd, loops, nd


@pytest.fixture
def compile_after(monkeypatch):
    monkeypatch.setattr(tracegrad.config, "compile_loops_after", 2)


def _step(params, X, y, head=None, retain=False):
    with autograd.record():
        loss = F.mlp_loss(params, X, y) * 3.0
    loss.backward(head, retain_graph=retain)
    return loss


def test_compiled_backward_matches_the_tape(compile_after):
    params, X, y = F.mlp_data(batch=8, n_in=6, n_hidden=5, n_out=3, dtype="float64")
    for p in params:
        p.attach_grad()
    grads = []
    before = loops.STATS["compiled_backwards"]
    for _ in range(4):
        _step(params, X, y)
        grads.append([p.grad.asnumpy().copy() for p in params])
    assert loops.STATS["compiled_backwards"] - before == 3  # steps 2, 3 and 4
    for g in grads[1:]:
        for a, b in zip(g, grads[0]):
            np.testing.assert_allclose(a, b, rtol=1e-10)


def test_new_batch_values_are_used_not_the_first_ones(compile_after):
    params, X, y = F.mlp_data(batch=8, n_in=6, n_hidden=5, n_out=3, dtype="float64")
    for p in params:
        p.attach_grad()
    for _ in range(3):
        _step(params, X, y)
    X2 = nd.array(np.random.default_rng(5).normal(size=X.shape), dtype="float64")
    _step(params, X2, y)
    compiled = [p.grad.asnumpy().copy() for p in params]
    tracegrad.config.compile_loops_after = 0
    _step(params, X2, y)
    for a, p in zip(compiled, params):
        np.testing.assert_allclose(a, p.grad.asnumpy(), rtol=1e-10)


def test_grad_req_add_head_gradient_and_retain_graph(compile_after):
    x = nd.array([0.3, -0.7], dtype="float64")
    x.attach_grad(grad_req="add")
    head = nd.array([2.0], dtype="float64")
    for _ in range(3):
        with autograd.record():
            y = (nd.tanh(x) * x).sum()
        y.backward(head, retain_graph=True)
        y.backward(head)  # the retained graph is still usable
    xa = x.asnumpy()
    one = 2.0 * (np.tanh(xa) + xa * (1 - np.tanh(xa) ** 2))
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * one, rtol=1e-10)
    with pytest.raises(tracegrad.NotInGraphError, match="freed"):
        y.backward()


def test_a_different_structure_is_not_mistaken_for_a_compiled_one(compile_after):
    x = nd.array([0.5, 1.5], dtype="float64")
    x.attach_grad()
    for scale in (2.0, 2.0, 2.0, 5.0):  # the scalar is part of the structure
        with autograd.record():
            y = (x * scale).sum()
        y.backward()
        assert x.grad.asnumpy().tolist() == [scale, scale]


def test_unrelated_ops_recorded_in_between_do_not_confuse_the_cache(compile_after):
    x = nd.array([0.4, -0.2], dtype="float64")
    w = nd.array([1.5, 0.5], dtype="float64")
    x.attach_grad()
    w.attach_grad()
    rng = np.random.default_rng(0)
    for step in range(8):
        with autograd.record():
            a = x * w
            if step % 2:  # an unrelated recorded op between the two that matter
                _ = nd.exp(w)
            b = nd.tanh(x) if step % 3 else nd.sin(w)
            y = (a * b).sum()
        y.backward()
        got = (x.grad.asnumpy().copy(), w.grad.asnumpy().copy())
        tracegrad.config.compile_loops_after = 0
        with autograd.record():
            y2 = (x * w * (nd.tanh(x) if step % 3 else nd.sin(w))).sum()
        y2.backward()
        tracegrad.config.compile_loops_after = 2
        np.testing.assert_allclose(got[0], x.grad.asnumpy(), rtol=1e-12)
        np.testing.assert_allclose(got[1], w.grad.asnumpy(), rtol=1e-12)
        x += rng.normal(scale=0.01, size=2)
