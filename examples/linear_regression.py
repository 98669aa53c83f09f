"""Linear regression from scratch, as in d2l's "Linear Regression Implementation from Scratch".

Synthetic data y = X w + b + noise with w = [2, -3.4], b = 4.2, 1000 samples and Gaussian noise
of standard deviation 0.01; minibatch SGD with ``autograd.record()`` / ``backward()`` and the
in-place update ``param[:] = param - lr * param.grad / batch_size``. The script checks that
the recovered w and b are within 0.01 of the true ones and exits with status 1 otherwise.

Run: ``python examples/linear_regression.py``
"""

from __future__ import annotations

import random
import time

from tracegrad import autograd, nd

TRUE_W = [2.0, -3.4]
TRUE_B = 4.2
TOLERANCE = 0.01


def synthetic_data(w: nd.NDArray, b: float, num_examples: int) -> tuple[nd.NDArray, nd.NDArray]:
    """y = Xw + b + noise."""
    X = nd.random.normal(scale=1, shape=(num_examples, len(w)))
    y = nd.dot(X, w) + b
    y += nd.random.normal(scale=0.01, shape=y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size: int, features: nd.NDArray, labels: nd.NDArray):
    """Minibatches in a random order (the last one may be smaller)."""
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        j = nd.array(indices[i:min(i + batch_size, num_examples)])
        yield features.take(j), labels.take(j)


def linreg(X: nd.NDArray, w: nd.NDArray, b: nd.NDArray) -> nd.NDArray:
    return nd.dot(X, w) + b


def squared_loss(y_hat: nd.NDArray, y: nd.NDArray) -> nd.NDArray:
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: list[nd.NDArray], lr: float, batch_size: int) -> None:
    """Minibatch SGD, written as d2l writes it: an in-place update of each parameter."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def main() -> int:
    random.seed(0)
    nd.random.seed(0)
    true_w = nd.array(TRUE_W)
    features, labels = synthetic_data(true_w, TRUE_B, 1000)
    print(f"data: {features.shape[0]} samples, true w = {TRUE_W}, true b = {TRUE_B}, "
          "noise std 0.01")

    w = nd.random.normal(scale=0.01, shape=(2, 1))
    b = nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()

    lr, num_epochs, batch_size = 0.03, 5, 10
    print(f"training: minibatch SGD, lr {lr}, batch size {batch_size}, {num_epochs} epochs")
    start = time.perf_counter()
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                loss = squared_loss(linreg(X, w, b), y)  # shape (batch_size, 1)
            loss.backward()  # a non-scalar head: the gradient of loss.sum()
            sgd([w, b], lr, X.shape[0])
        train_l = squared_loss(linreg(features, w, b), labels)
        print(f"epoch {epoch + 1}, loss {train_l.mean().asscalar():.6f}")
    elapsed = time.perf_counter() - start

    w_hat = w.asnumpy().reshape(-1)
    b_hat = float(b.asscalar())
    err_w = [float(t - e) for t, e in zip(TRUE_W, w_hat)]
    err_b = TRUE_B - b_hat
    print(f"estimated w = [{w_hat[0]:.4f}, {w_hat[1]:.4f}], b = {b_hat:.4f} "
          f"(trained in {elapsed:.2f} s)")
    print(f"error in w: [{err_w[0]:+.5f}, {err_w[1]:+.5f}], error in b: {err_b:+.5f}")
    if max(abs(e) for e in err_w + [err_b]) > TOLERANCE:
        raise SystemExit(f"FAILED: w or b is more than {TOLERANCE} away from the true value")
    print(f"OK: w and b recovered within {TOLERANCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
