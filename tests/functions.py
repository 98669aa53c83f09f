"""Real functions shared by the jit, grad and compiled-kernel tests (and benchmarks)."""

import numpy as np

from tracegrad import nd


def softplus_loss(w, x):
    """sum(log1p(exp(-w*x)) + 0.5*tanh(x)**2): the fused-kernel benchmark of DESIGN.md."""
    return (nd.log1p(nd.exp(-w * x)) + 0.5 * nd.tanh(x) ** 2).sum()


def mlp_loss(params, X, y):
    """Two-layer ReLU MLP with mean softmax cross-entropy."""
    W1, b1, W2, b2 = params
    h = nd.relu(nd.dot(X, W1) + b1)
    logits = nd.dot(h, W2) + b2
    return -nd.pick(nd.log_softmax(logits, axis=1), y, axis=1).mean()


def layer_norm(x, gamma, beta):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mu) / nd.sqrt(var + 1e-5) * gamma + beta).sum()


def logsumexp(x):
    m = nd.stop_gradient(x.max(axis=1, keepdims=True))
    return (nd.log(nd.exp(x - m).sum(axis=1, keepdims=True)) + m).sum()


def gelu_loss(x):
    c = float(np.sqrt(2 / np.pi))
    return (0.5 * x * (1 + nd.tanh(c * (x + 0.044715 * x ** 3)))).sum()


def mlp_data(batch=8, n_in=6, n_hidden=5, n_out=3, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    params = [nd.array(rng.normal(0, 0.5, s), dtype=dtype)
              for s in [(n_in, n_hidden), (n_hidden,), (n_hidden, n_out), (n_out,)]]
    X = nd.array(rng.normal(size=(batch, n_in)), dtype=dtype)
    y = nd.array(rng.integers(0, n_out, size=batch), dtype=dtype)
    return params, X, y


def cases(dtype="float64", seed=0):
    """(name, function, args, argnums) for every real function."""
    rng = np.random.default_rng(seed)

    def arr(*shape):
        return nd.array(rng.normal(size=shape), dtype=dtype)

    params, X, y = mlp_data(dtype=dtype, seed=seed)
    return [
        ("softplus", softplus_loss, (arr(7), arr(7)), 1),
        ("mlp", mlp_loss, (params, X, y), 0),
        ("layer_norm", layer_norm, (arr(4, 5), arr(5), arr(5)), (0, 1)),
        ("logsumexp", logsumexp, (arr(3, 6),), 0),
        ("gelu", gelu_loss, (arr(2, 5),), 0),
    ]
