"""Predict with a network trained in real MXNet 1.9.1, loaded from its ``.params`` file.

``tests/data/mxnet/digits_mlp.params`` was written by MXNet's ``net.save_parameters`` after
training a ``HybridSequential`` (Dense(32, relu) -> Dense(10)) on scikit-learn's digits
(tests/data/mxnet/make_gluon_fixture.py). This example builds the same network with
``tracegrad.gluon``, where the code is MXNet's with another import line, loads the file with
``load_parameters``, evaluates on the digits test split stored next to it, and checks that
the accuracy equals MXNet's and the logits agree to float32 rounding (exit status 1
otherwise). Needs neither MXNet nor scikit-learn.

Run: ``python examples/mxnet_params.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from tracegrad import nd
from tracegrad.gluon import nn

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mxnet"


def main() -> int:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(32, activation="relu"), nn.Dense(10))
    net.load_parameters(str(DATA / "digits_mlp.params"))
    net.hybridize()
    print(net)
    with np.load(DATA / "digits_mlp_expected.npz") as f:
        X = (f["inputs"] / 16.0).astype(np.float32)
        labels, mx_logits, mx_accuracy = f["labels"], f["logits"], float(f["accuracy"])
    logits = net(nd.array(X)).asnumpy()
    accuracy = float((logits.argmax(axis=1) == labels).mean())
    diff = float(np.abs(logits - mx_logits).max())
    print(f"test examples:        {len(X)}")
    print(f"tracegrad accuracy:   {accuracy:.4f}")
    print(f"MXNet 1.9.1 accuracy: {mx_accuracy:.4f}")
    print(f"largest logit difference from MXNet: {diff:.2e}")
    if accuracy != mx_accuracy or diff > 1e-4:
        print("WRONG: the loaded network does not predict what MXNet predicted")
        return 1
    print("OK: the MXNet-trained network gives MXNet's accuracy and logits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
