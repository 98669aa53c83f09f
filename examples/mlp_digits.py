"""A multilayer perceptron on scikit-learn's digits (8x8 images of handwritten digits).

The same network (64 -> 64 ReLU -> 10, softmax cross-entropy) is trained twice from the same
initial weights and the same minibatches:

(a) eagerly, MXNet style: ``autograd.record()``, ``loss.backward()``, ``p[:] = p - lr * p.grad``;
(b) compiled: ``tracegrad.value_and_grad`` of the loss inside a ``tracegrad.jit`` step that
    also applies the update, so one call runs the whole step as fused numba kernels.

It checks that both reach at least 95% test accuracy (exit status 1 otherwise) and that the
compiled gradients equal the eager ones, and prints the time per epoch of each. The first
compiled epoch includes tracing and compiling (or loading the kernels from the disk cache).

The data set ships inside scikit-learn (no download). Without scikit-learn installed the
script prints a note and exits with status 0: ``pip install scikit-learn`` (or the project's
``examples`` extra). With tqdm installed and a terminal on stdout, epochs show a progress bar.

Run: ``python examples/mlp_digits.py``
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Iterable

import numpy as np

import tracegrad
from tracegrad import autograd, nd

HIDDEN = 64
BATCH = 32
EPOCHS = 20
TARGET_ACCURACY = 0.95


def learning_rate(epoch: int) -> float:
    """0.2, halved after 10 and after 15 epochs."""
    return 0.2 * (0.5 ** (epoch >= 10)) * (0.5 ** (epoch >= 15))


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(X_train, y_train, X_test, y_test) as float32, pixels scaled to [0, 1]; 20% test."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.float32)  # class indices as floats, as MXNet's pick expects
    perm = np.random.default_rng(0).permutation(len(X))
    n_test = len(X) // 5
    test, train = perm[:n_test], perm[n_test:]
    return X[train], y[train], X[test], y[test]


def init_params(seed: int) -> list[nd.NDArray]:
    rng = np.random.default_rng(seed)
    return [nd.array(rng.normal(0, np.sqrt(2 / 64), (64, HIDDEN))), nd.zeros(HIDDEN),
            nd.array(rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, 10))), nd.zeros(10)]


def net(params: list[nd.NDArray], X: nd.NDArray) -> nd.NDArray:
    W1, b1, W2, b2 = params
    h = nd.relu(nd.dot(X, W1) + b1)
    return nd.dot(h, W2) + b2


def loss_fn(params: list[nd.NDArray], X: nd.NDArray, y: nd.NDArray) -> nd.NDArray:
    """Mean softmax cross-entropy: -log p(label)."""
    return -nd.pick(nd.log_softmax(net(params, X), axis=1), y, axis=1).mean()


def accuracy(params: list[nd.NDArray], X: np.ndarray, y: np.ndarray) -> float:
    predicted = net(params, nd.array(X)).argmax(axis=1)
    return float((predicted == nd.array(y)).mean().asscalar())


def batches(X: np.ndarray, y: np.ndarray, epoch: int) -> Iterable[tuple[nd.NDArray, nd.NDArray]]:
    """Shuffled full minibatches; the same order for the same epoch in both trainings.
    (The few samples left over are dropped, so every step has one shape: one signature.)"""
    order = np.random.default_rng(100 + epoch).permutation(len(X))
    for i in range(0, len(X) - BATCH + 1, BATCH):
        j = order[i:i + BATCH]
        yield nd.array(X[j]), nd.array(y[j])


# -- the two training steps -------------------------------------------------------------------

def eager_epoch(params: list[nd.NDArray], data: Any, lr: float) -> float:
    """One epoch, op by op, recorded on the tape (params have gradients attached)."""
    for X, y in data:
        with autograd.record():
            loss = loss_fn(params, X, y)
        loss.backward()
        for p in params:
            p[:] = p - lr * p.grad
    return float(loss.asscalar())


loss_and_grads = tracegrad.value_and_grad(loss_fn)


@tracegrad.jit
def train_step(params: list[nd.NDArray], X: nd.NDArray, y: nd.NDArray,
               lr: float) -> tuple[nd.NDArray, list[nd.NDArray]]:
    """Loss, gradients and the SGD update as one compiled graph. ``lr`` is a Python float:
    traced as a float32 scalar, so a new learning rate does not trace again."""
    loss, grads = loss_and_grads(params, X, y)
    return loss, [p - lr * g for p, g in zip(params, grads)]


def compiled_epoch(params: list[nd.NDArray], data: Any,
                   lr: float) -> tuple[float, list[nd.NDArray]]:
    for X, y in data:
        loss, params = train_step(params, X, y, lr)
    return float(loss.asscalar()), params


# -- driver -----------------------------------------------------------------------------------

def progress(iterable: Iterable[int], desc: str) -> tuple[Iterable[int], Callable[[str], None]]:
    """A tqdm bar (and its ``write``, which prints above the bar) when tqdm is installed and
    stdout is a terminal; else the plain iterable and ``print``."""
    if not sys.stdout.isatty():
        return iterable, print
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable, print
    return tqdm(iterable, desc=desc, unit="epoch", leave=False), tqdm.write


def train(name: str, run_epoch: Callable[[int, float], float], evaluate: Callable[[], float]
          ) -> tuple[list[float], float]:
    """Run EPOCHS epochs; returns the seconds of each epoch and the final test accuracy."""
    times = []
    epochs, write = progress(range(EPOCHS), desc=name)
    for epoch in epochs:
        lr = learning_rate(epoch)
        t0 = time.perf_counter()
        loss = run_epoch(epoch, lr)
        times.append(time.perf_counter() - t0)
        if epoch % 5 == 4 or epoch == 0:
            write(f"  [{name}] epoch {epoch + 1:2d}: lr {lr:.3f}, last batch loss "
                  f"{loss:.4f}, test accuracy {evaluate():.4f}, {times[-1] * 1e3:.1f} ms")
    return times, evaluate()


def check_gradients_agree(X: np.ndarray, y: np.ndarray) -> float:
    """The largest difference between eager (tape) and compiled gradients at the start."""
    params = init_params(seed=1)
    Xb, yb = nd.array(X[:BATCH]), nd.array(y[:BATCH])
    for p in params:
        p.attach_grad()
    with autograd.record():
        loss = loss_fn(params, Xb, yb)
    loss.backward()
    value, grads = loss_and_grads(params, Xb, yb)
    diffs = [np.abs(p.grad.asnumpy() - g.asnumpy()).max() for p, g in zip(params, grads)]
    diffs.append(abs(float(loss.asscalar()) - float(value.asscalar())))
    return float(max(diffs))


def main() -> int:
    data = load_data()
    if data is None:
        print("scikit-learn is not installed, so the digits data set is not available; "
              "skipping this example. Install it with: pip install scikit-learn")
        return 0
    X_train, y_train, X_test, y_test = data
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of 8x8 pixels, "
          "10 classes")
    print(f"network: 64 -> {HIDDEN} ReLU -> 10, softmax cross-entropy; SGD, batch {BATCH}, "
          f"{EPOCHS} epochs, learning rate {learning_rate(0)} halved after epochs 10 and 15")

    diff = check_gradients_agree(X_train, y_train)
    print(f"compiled vs eager gradients at the start: max difference {diff:.2e}")
    failures = []
    if diff > 1e-5:
        failures.append(f"compiled gradients differ from eager ones by {diff:.2e}")

    # (a) eager
    print("(a) eager: autograd.record() + backward() + in-place SGD update")
    params_a = init_params(seed=1)
    for p in params_a:
        p.attach_grad()
    times_a, acc_a = train(
        "eager", lambda epoch, lr: eager_epoch(params_a, batches(X_train, y_train, epoch), lr),
        lambda: accuracy(params_a, X_test, y_test))

    # (b) compiled
    print("(b) compiled: tracegrad.jit step around tracegrad.value_and_grad")
    state = {"params": init_params(seed=1)}

    def run_compiled(epoch: int, lr: float) -> float:
        loss, state["params"] = compiled_epoch(state["params"],
                                               batches(X_train, y_train, epoch), lr)
        return loss

    times_b, acc_b = train("compiled", run_compiled,
                           lambda: accuracy(state["params"], X_test, y_test))
    print(train_step.explain())

    steady_a = float(np.median(times_a[1:])) * 1e3
    steady_b = float(np.median(times_b[1:])) * 1e3
    print("time per epoch (median of epochs 2..): "
          f"eager {steady_a:.1f} ms, compiled {steady_b:.1f} ms "
          f"({steady_a / steady_b:.1f}x); the first compiled epoch took "
          f"{times_b[0] * 1e3:.0f} ms including tracing and compiling")
    print(f"test accuracy: eager {acc_a:.4f}, compiled {acc_b:.4f}")
    for name, acc in (("eager", acc_a), ("compiled", acc_b)):
        if acc < TARGET_ACCURACY:
            failures.append(f"{name} training reached {acc:.4f} test accuracy, "
                            f"below {TARGET_ACCURACY}")
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))
    print(f"OK: both trainings reached at least {TARGET_ACCURACY:.0%} test accuracy")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
