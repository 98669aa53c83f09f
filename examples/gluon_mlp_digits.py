"""A hybridized Gluon MLP on scikit-learn's digits, written exactly as for MXNet 1.x.

Only the import line differs from MXNet code (``from mxnet import ...``). The network
(64 -> 128 ReLU -> 64 ReLU -> 10) is a ``HybridSequential``; ``net.hybridize()`` compiles
its forward pass, and under ``autograd.record()`` its backward pass, into fused kernels, once
per input shape. Training uses ``gluon.Trainer`` with Adam (the learning rate cut after 15
and 25 epochs) and ``gluon.data.DataLoader``.

It checks that the test accuracy reaches 97% (exit status 1 otherwise), prints the compile
ledger of the network (``net.explain()``) and how many graphs were traced. Without
scikit-learn installed it prints a note and exits with status 0.

Run: ``python examples/gluon_mlp_digits.py``
"""

from __future__ import annotations

import sys
import time

import numpy as np

import tracegrad
from tracegrad import autograd, gluon, init, nd
from tracegrad.gluon import nn

EPOCHS = 30
BATCH = 64
TARGET_ACCURACY = 0.97


def load_data():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(X))
    n_test = len(X) // 5
    return X[perm[n_test:]], y[perm[n_test:]], X[perm[:n_test]], y[perm[:n_test]]


def build() -> nn.HybridSequential:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(128, activation="relu"),
                nn.Dropout(0.1),
                nn.Dense(64, activation="relu"),
                nn.Dense(10))
    net.initialize(init.Xavier())
    net.hybridize()
    return net


def accuracy(net: nn.HybridSequential, X: np.ndarray, y: np.ndarray) -> float:
    pred = net(nd.array(X)).argmax(axis=1).asnumpy()
    return float((pred == y).mean())


def main() -> int:
    loaded = load_data()
    if loaded is None:
        print("scikit-learn is not installed: pip install scikit-learn to run this example")
        return 0
    X_train, y_train, X_test, y_test = loaded
    np.random.seed(0)  # initial weights, shuffling and dropout
    net = build()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.002})
    train = gluon.data.DataLoader(gluon.data.ArrayDataset(X_train, y_train), batch_size=BATCH,
                                  shuffle=True, last_batch="discard")  # one shape: one graph
    for epoch in range(EPOCHS):
        if epoch in (15, 25):
            trainer.set_learning_rate(trainer.learning_rate * 0.3)
        t0, total, n = time.perf_counter(), 0.0, 0
        for xb, yb in train:
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            trainer.step(xb.shape[0])
            total += float(loss.sum().asscalar())
            n += xb.shape[0]
        if epoch % 5 == 4 or epoch == 0:
            print(f"epoch {epoch + 1:2d}  loss {total / n:.4f}  "
                  f"test accuracy {accuracy(net, X_test, y_test):.4f}  "
                  f"({(time.perf_counter() - t0) * 1e3:.0f} ms)")
    acc = accuracy(net, X_test, y_test)
    print(net.explain())
    print("cache:", tracegrad.cache_info())
    print(f"test accuracy: {acc:.4f}")
    if acc < TARGET_ACCURACY:
        print(f"WRONG: test accuracy {acc:.4f} is below {TARGET_ACCURACY:.0%}")
        return 1
    print(f"OK: the hybridized Gluon MLP reached at least {TARGET_ACCURACY:.0%} test accuracy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
