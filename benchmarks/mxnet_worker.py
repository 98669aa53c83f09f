"""Runs inside the MXNet 1.9.1 environment (``make mxnet-venv``); prints JSON timings.

Called by the other benchmarks through a subprocess, because MXNet 1.9.1 needs numpy < 2.
Standard library and MXNet only: this file must not import tracegrad.

    .venv-mxnet/bin/python benchmarks/mxnet_worker.py "softplus 1e5" "eager chain" ...
"""

import json
import statistics
import sys
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, nd


def median_time(fn, rounds=9, inner=1):
    fn()
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return statistics.median(ts)


def softplus(n):
    rng = np.random.default_rng(0)
    w = nd.array(rng.uniform(-1, 1, n).astype(np.float32))
    x = nd.array(rng.uniform(-1, 1, n).astype(np.float32))
    x.attach_grad()

    def step():
        with autograd.record():
            loss = (nd.log1p(nd.exp(-w * x)) + 0.5 * nd.tanh(x) ** 2).sum()
        loss.backward()
        x.grad.wait_to_read()
    return step


def eager_chain(n_ops=200):
    rng = np.random.default_rng(0)
    x = nd.array(rng.uniform(-1, 1, 4).astype(np.float32))
    w = nd.array(rng.uniform(-1, 1, 4).astype(np.float32))
    x.attach_grad()
    w.attach_grad()

    def step():
        with autograd.record():
            y = x
            for _ in range(n_ops // 3):
                y = nd.tanh(y * w + x)
            s = y.sum()
        s.backward()
        w.grad.wait_to_read()
    return step


def mlp_step(batch=256, n_in=784, hidden=512, n_out=10):
    rng = np.random.default_rng(0)
    params = [nd.array(rng.normal(0, 0.5, s).astype(np.float32))
              for s in [(n_in, hidden), (hidden,), (hidden, n_out), (n_out,)]]
    X = nd.array(rng.normal(size=(batch, n_in)).astype(np.float32))
    y = nd.array(rng.integers(0, n_out, size=batch).astype(np.float32))
    for p in params:
        p.attach_grad()

    def step():
        W1, b1, W2, b2 = params
        with autograd.record():
            h = nd.relu(nd.dot(X, W1) + b1)
            loss = -nd.pick(nd.log_softmax(nd.dot(h, W2) + b2, axis=1), y, axis=1).mean()
        loss.backward()
        mx.nd.waitall()
    return step


WORKLOADS = {
    "softplus 1e3": lambda: softplus(10 ** 3),
    "softplus 1e5": lambda: softplus(10 ** 5),
    "softplus 1e7": lambda: softplus(10 ** 7),
    "mlp step 256x784-512-10": mlp_step,
    "eager chain": eager_chain,
}

if __name__ == "__main__":
    out = {}
    for name in sys.argv[1:]:
        if name in WORKLOADS:
            big = "1e7" in name
            out[name] = median_time(WORKLOADS[name](), rounds=5 if big else 9,
                                    inner=1 if big else 3)
    print(json.dumps(out))
