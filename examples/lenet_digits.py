"""A LeNet-style convolutional network on scikit-learn's digits, in hybridized Gluon.

The images are 8x8, so LeNet is scaled down: two 3x3 convolutions (padding 1, ReLU), each
followed by 2x2 max pooling (8x8 -> 4x4 -> 2x2), then Dense(64, ReLU) and Dense(10):

    Conv2D(16, 3, padding=1, relu) -> MaxPool2D -> Conv2D(32, 3, padding=1, relu)
    -> MaxPool2D -> Dense(64, relu) -> Dense(10)

The code is MXNet 1.x Gluon code with a different import line. ``net.hybridize()`` compiles
the forward pass (and, under ``autograd.record()``, the backward pass) once per input shape:
each convolution is an ``im2col`` and a matrix product, with the bias and the ReLU fused
into one kernel over the product's output. Training uses ``gluon.Trainer`` with Adam (the
learning rate cut after 10 and 15 epochs).

It checks that the test accuracy reaches 97% (exit status 1 otherwise) and prints the time
per epoch and the compile ledger. Without scikit-learn it prints a note and exits with 0.

Run: ``python examples/lenet_digits.py``
"""

from __future__ import annotations

import sys
import time

import numpy as np

from tracegrad import autograd, gluon, init, nd
from tracegrad.gluon import nn

EPOCHS = 20
BATCH = 64
TARGET_ACCURACY = 0.97


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(X_train, y_train, X_test, y_test): images (N, 1, 8, 8) in [0, 1]; 20% test."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]  # NCHW, one channel
    y = digits.target.astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(X))
    n_test = len(X) // 5
    return X[perm[n_test:]], y[perm[n_test:]], X[perm[:n_test]], y[perm[:n_test]]


def build() -> nn.HybridSequential:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, kernel_size=3, padding=1, activation="relu"),
                nn.MaxPool2D(pool_size=2),
                nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
                nn.MaxPool2D(pool_size=2),
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
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of 1x8x8 pixels")
    np.random.seed(0)  # initial weights and shuffling
    net = build()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.003})
    train = gluon.data.DataLoader(gluon.data.ArrayDataset(X_train, y_train), batch_size=BATCH,
                                  shuffle=True, last_batch="discard")  # one shape: one graph
    times = []
    for epoch in range(EPOCHS):
        if epoch in (10, 15):
            trainer.set_learning_rate(trainer.learning_rate * 0.3)
        t0, total, n = time.perf_counter(), 0.0, 0
        for xb, yb in train:
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            trainer.step(xb.shape[0])
            total += float(loss.sum().asscalar())
            n += xb.shape[0]
        times.append(time.perf_counter() - t0)
        if epoch % 5 == 4 or epoch == 0:
            print(f"epoch {epoch + 1:2d}  loss {total / n:.4f}  "
                  f"test accuracy {accuracy(net, X_test, y_test):.4f}  "
                  f"({times[-1] * 1e3:.0f} ms)")
    print(net)
    print(net.explain())
    acc = accuracy(net, X_test, y_test)
    print(f"time per epoch: first {times[0]:.2f} s (tracing and compiling), then median "
          f"{np.median(times[1:]) * 1e3:.0f} ms")
    print(f"test accuracy: {acc:.4f}")
    if acc < TARGET_ACCURACY:
        print(f"WRONG: test accuracy {acc:.4f} is below {TARGET_ACCURACY:.0%}")
        return 1
    print(f"OK: the hybridized LeNet reached at least {TARGET_ACCURACY:.0%} test accuracy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
