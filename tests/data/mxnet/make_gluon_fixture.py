"""Train a small Gluon MLP on scikit-learn's digits in real MXNet 1.9.1 and save it.

Run with MXNet's environment, from the repository root:

    .venv-mxnet/bin/python tests/data/mxnet/make_gluon_fixture.py

Writes, next to this script:

* ``digits_mlp.params``: ``net.save_parameters`` of a ``HybridSequential``
  (Dense(32, relu) -> Dense(10)), trained for 3 epochs (sgd, fixed seeds);
* ``digits_mlp_expected.npz``: the test split (``inputs``: the raw 0..16 pixel counts as
  uint8, divide by 16 for the network's input; ``labels``) and MXNet's ``logits`` on it,
  plus its ``accuracy``.

scikit-learn is usually not in the MXNet environment: the digits are then read by the
tracegrad environment's Python (``.venv``) in a subprocess.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EPOCHS = 3
BATCH = 32
SEED = 0


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(data as uint8 0..16, target as int64), in sklearn's order."""
    code = ("import io, sys, numpy as np; from sklearn.datasets import load_digits; "
            "d = load_digits(); b = io.BytesIO(); "
            "np.savez(b, data=d.data.astype(np.uint8), target=d.target); "
            "sys.stdout.buffer.write(b.getvalue())")
    try:
        import sklearn  # noqa: F401
        python = sys.executable
    except ImportError:
        python = str(ROOT / ".venv" / "bin" / "python")
    out = subprocess.run([python, "-c", code], check=True, capture_output=True).stdout
    with np.load(io.BytesIO(out)) as f:
        return f["data"], f["target"]


def split(data: np.ndarray, target: np.ndarray):
    """The split of examples/gluon_mlp_digits.py: a fixed permutation, the first fifth is the
    test set."""
    perm = np.random.default_rng(0).permutation(len(data))
    n_test = len(data) // 5
    return data[perm[n_test:]], target[perm[n_test:]], data[perm[:n_test]], target[perm[:n_test]]


def main() -> None:
    import mxnet as mx
    from mxnet import autograd, gluon, init, nd
    from mxnet.gluon import nn

    assert mx.__version__ == "1.9.1", mx.__version__
    data, target = load_digits_arrays()
    X_train, y_train, X_test, y_test = split(data, target)
    mx.random.seed(SEED)
    np.random.seed(SEED)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(32, activation="relu"), nn.Dense(10))
    net.initialize(init.Xavier())
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.1, "momentum": 0.9})
    Xtr = (X_train / 16.0).astype(np.float32)
    rng = np.random.default_rng(SEED)
    for epoch in range(EPOCHS):
        perm = rng.permutation(len(Xtr))
        for i in range(0, len(perm) - BATCH + 1, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = nd.array(Xtr[idx]), nd.array(y_train[idx])
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            trainer.step(BATCH)
        logits = net(nd.array((X_test / 16.0).astype(np.float32))).asnumpy()
        acc = float((logits.argmax(axis=1) == y_test).mean())
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f}")
    net.save_parameters(str(HERE / "digits_mlp.params"))
    np.savez(HERE / "digits_mlp_expected.npz", inputs=X_test.astype(np.uint8),
             labels=y_test.astype(np.int64), logits=logits.astype(np.float32),
             accuracy=np.float64(acc))
    print("wrote digits_mlp.params and digits_mlp_expected.npz; names:",
          sorted(nd.load(str(HERE / "digits_mlp.params"))))


if __name__ == "__main__":
    main()
