"""Long training loops must not grow the process: RSS stays flat after a warm-up.

Two loops over a tiny MLP, each with a learning rate that changes every step (a new Python
float each time, so anything keyed on it, a trace, a compiled kernel, a cached constant, would
pile up):

* eager: ``autograd.record`` / ``backward`` / ``nd.sgd_update``, with compiled eager loops
  switched on (``compile_loops_after``), so backward soon runs a compiled graph;
* jitted: ``tracegrad.value_and_grad`` of the loss plus a jitted update taking the learning rate
  as a Python float.

RSS is read from /proc/self/statm after the warm-up and again at the end. The normal suite runs
3,000 steps of each; the slow suite 20,000.
"""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

import tracegrad
from tracegrad import autograd, loops, nd

LEAK = []  # for checking that the test can fail: append to it in a step to see it fire

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE / 2 ** 20


def _params(rng):
    return [nd.array(rng.normal(0, 0.3, size=(8, 16))), nd.zeros((16,)),
            nd.array(rng.normal(0, 0.3, size=(16, 1))), nd.zeros((1,))]


def _loss(w1, b1, w2, b2, x, y):
    h = nd.tanh(nd.dot(x, w1) + b1)
    out = nd.dot(h, w2) + b2
    return ((out - y) ** 2).mean()


def _data(rng):
    x = rng.normal(size=(32, 8)).astype(np.float32)
    y = np.sin(x.sum(axis=1, keepdims=True)).astype(np.float32)
    return nd.array(x), nd.array(y)


def _lr(step):
    return 0.05 / (1.0 + 1e-3 * step) + 1e-7 * (step % 7)  # a different float every step


def _eager_training(steps, warmup, monkeypatch):
    monkeypatch.setattr(tracegrad.config, "compile_loops_after", 3)
    rng = np.random.default_rng(0)
    params = _params(rng)
    for p in params:
        p.attach_grad()
    x, y = _data(rng)
    losses = []
    before = None
    compiled = loops.STATS["compiled_backwards"]
    for step in range(steps):
        if step == warmup:
            before = rss_mb()
        with autograd.record():
            loss = _loss(*params, x, y)
        loss.backward()
        lr = _lr(step)
        for p in params:
            nd.sgd_update(p, p.grad, lr=lr, out=p)
        if step % 500 == 0:
            losses.append(float(loss.asscalar()))
    assert loops.STATS["compiled_backwards"] - compiled >= steps - 10  # compiled loops ran
    return before, rss_mb(), losses


def _jitted_training(steps, warmup):
    rng = np.random.default_rng(1)
    params = _params(rng)
    x, y = _data(rng)
    vg = tracegrad.value_and_grad(_loss, argnums=(0, 1, 2, 3))
    update = tracegrad.jit(lambda p, g, lr: p - lr * g)
    losses = []
    before = None
    for step in range(steps):
        if step == warmup:
            before = rss_mb()
        loss, grads = vg(*params, x, y)
        lr = _lr(step)
        params = [update(p, g, lr) for p, g in zip(params, grads)]
        if step % 500 == 0:
            losses.append(float(loss.asscalar()))
    return before, rss_mb(), losses


def _check(before, after, losses, limit_mb):
    assert losses[-1] < losses[0], losses  # it trains
    print(f"RSS {before:.1f} -> {after:.1f} MB")
    assert after - before < limit_mb, \
        f"RSS grew {after - before:.1f} MB ({before:.1f} -> {after:.1f})"


@pytest.mark.parametrize("steps,warmup,limit_mb", [(3_000, 1_000, 2.0)])
def test_eager_training_rss_flat(steps, warmup, limit_mb, monkeypatch):
    _check(*_eager_training(steps, warmup, monkeypatch), limit_mb)


@pytest.mark.parametrize("steps,warmup,limit_mb", [(3_000, 1_000, 2.0)])
def test_jitted_training_rss_flat(steps, warmup, limit_mb):
    _check(*_jitted_training(steps, warmup), limit_mb)


@pytest.mark.slow
def test_eager_training_rss_flat_20k(monkeypatch):
    _check(*_eager_training(20_000, 2_000, monkeypatch), 4.0)


@pytest.mark.slow
def test_jitted_training_rss_flat_20k():
    _check(*_jitted_training(20_000, 2_000), 4.0)
