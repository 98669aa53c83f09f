"""tracegrad.gluon against MXNet 1.9.1, case by case (tests/gluon/cases.py): every layer's
output and its input and parameter gradients with identical parameters, hybridized and not;
every loss and its gradient; five Trainer steps of every optimizer, parameter by parameter;
a Dense-relu-Dense network trained for 3 epochs; the learning-rate schedules; printed text
(reprs, names, summary); the recurrent layers (``gluon.rnn``) with and without states;
and the evaluation metrics (``mx.metric``).

MXNet's results are stored in expected_mxnet.json, so these tests need no MXNet;
``test_stored_numbers_are_mxnets`` re-runs the cases on MXNet when .venv-mxnet exists.
"""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import tracegrad
from tests.gluon import cases
from tracegrad._compiler import executor

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MXNET_PY = ROOT / ".venv-mxnet" / "bin" / "python"
EXPECTED = json.loads((HERE / "expected_mxnet.json").read_text())["cases"]
CASES = cases.all_cases()


# Deliberate differences: case prefix -> (result keys not compared, why).
DIFFERENT = {
    "layer/selu/": ({"dx0"}, "MXNet 1.9.1's SELU gradient below 0 is lambda * (y + alpha), "
                             "not the derivative lambda * alpha * exp(x); tracegrad keeps the "
                             "derivative (docs/gluon.md)"),
    "layer/batchnorm/predict": ({"dx0", "g0", "g1"},
                                "backward() through a BatchNorm recorded in predict mode: "
                                "MXNet's CPU kernel differentiates the batch statistics it "
                                "did not use; tracegrad differentiates the forward pass as "
                                "computed (with the running statistics)"),
}
# Optimizers that divide by the root of a small accumulated square (AdaGrad, centered
# RMSProp) magnify float32 rounding differences of the gradients: compared more loosely.
LOOSE = {"trainer/adagrad/": 5e-4, "trainer/rmsprop_centered/": 5e-4}


def expected(name: str) -> dict:
    want = {k: cases.from_json(v) for k, v in EXPECTED[name].items()}
    for prefix, (keys, _why) in DIFFERENT.items():
        if name.startswith(prefix):
            want = {k: v for k, v in want.items() if k not in keys}
    return want


def run(name: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cases.run_case(tracegrad, CASES[name])
    for prefix, (keys, _why) in DIFFERENT.items():
        if name.startswith(prefix):
            got = {k: v for k, v in got.items() if k not in keys}
    return got


def compare(got: dict, want: dict, rtol: float, atol: float, name: str) -> None:
    assert set(got) == set(want), f"{name}: results {sorted(got)} vs MXNet's {sorted(want)}"
    for key, w in want.items():
        g = got[key]
        if isinstance(w, str):
            assert g == w, f"{name}[{key}]:\n--- tracegrad\n{g}\n--- MXNet\n{w}"
            continue
        g = np.asarray(g)
        assert g.shape == w.shape, f"{name}[{key}]: shape {g.shape} vs MXNet's {w.shape}"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"{name}[{key}]")


# Hybridized cases run their graphs on the reference interpreter (the same graphs, no numba
# compilation: the suite stays fast on a cold kernel cache), except these, which compile.
COMPILED = {"layer/sequential/hybrid", "layer/dense/hybrid", "loss/softmax_ce/hybrid",
            "trainer/adam/hybrid", "mlp/hybrid"}


@pytest.fixture(autouse=True)
def _backend(request):
    name = request.node.callspec.params.get("name") if hasattr(request.node, "callspec") \
        else None
    executor.set_backend(None if name in COMPILED else "interpreter")
    yield
    executor.set_backend(None)


def test_every_case_has_mxnets_numbers():
    assert set(CASES) == set(EXPECTED), set(CASES) ^ set(EXPECTED)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("layer/")])
def test_layer(name):
    compare(run(name), expected(name), rtol=1e-5, atol=1e-6, name=name)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("loss/")])
def test_loss(name):
    compare(run(name), expected(name), rtol=1e-5, atol=1e-6, name=name)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("trainer/")])
def test_trainer_five_steps(name):
    tol = next((t for p, t in LOOSE.items() if name.startswith(p)), 2e-5)
    compare(run(name), expected(name), rtol=tol, atol=tol / 10, name=name)


@pytest.mark.parametrize("name", ["mlp/eager", "mlp/hybrid"])
def test_mlp_three_epochs(name):
    compare(run(name), expected(name), rtol=1e-5, atol=1e-6, name=name)


def test_lr_schedulers():
    compare(run("schedulers"), expected("schedulers"), rtol=1e-12, atol=0, name="schedulers")


def test_printed_text():
    compare(run("text"), expected("text"), rtol=0, atol=0, name="text")


@pytest.mark.parametrize("name", ["rnn_states/eager", "rnn_states/hybrid"])
def test_recurrent_layers_with_states(name):
    # given states: outputs, new states and the gradients of both; parameter-file keys;
    # repr; the error for a state of the wrong shape
    compare(run(name), expected(name), rtol=1e-5, atol=1e-6, name=name)


def test_losses_with_other_arguments():
    # TripletLoss, PoissonNLLLoss, CosineEmbeddingLoss, CTCLoss (both layouts, lengths):
    # values and the gradients of every input
    compare(run("more_losses"), expected("more_losses"), rtol=1e-5, atol=1e-6,
            name="more_losses")


def test_recurrent_cells():
    # RNN/LSTM/GRU cells unrolled (merged or per step, NTC and TNC), stacks with dropout,
    # residual and zoneout wrappers, a bidirectional pair, valid lengths: outputs, final
    # states, the input's and every parameter's gradient, reprs and parameter names
    compare(run("rnn_cells"), expected("rnn_cells"), rtol=1e-5, atol=1e-6, name="rnn_cells")


def test_ndarray_iter():
    # mx.io.NDArrayIter's batches, pads, names and reprs for every last_batch_handle
    compare(run("io_iter"), expected("io_iter"), rtol=0, atol=0, name="io_iter")


def test_test_utils():
    # mx.test_utils' tolerances per dtype, and which comparisons pass
    compare(run("test_utils"), expected("test_utils"), rtol=0, atol=0, name="test_utils")


def test_metrics():
    # every mx.metric class, by name and by class, updated with lists and with single
    # arrays, local and global figures, composites, custom functions, printed names
    compare(run("metrics"), expected("metrics"), rtol=1e-6, atol=1e-12, name="metrics")


def test_hybridized_equals_eager():
    """The same case, hybridized and not, gives the same numbers in tracegrad itself."""
    for name in CASES:
        if name.endswith("/hybrid") and name.replace("/hybrid", "/eager") in CASES \
                and name.startswith(("layer/", "loss/")):
            compare(run(name), run(name.replace("/hybrid", "/eager")), rtol=1e-5, atol=1e-6,
                    name=name)


@pytest.mark.slow
@pytest.mark.skipif(not MXNET_PY.exists(), reason="MXNet 1.9.1 is not installed in "
                    ".venv-mxnet (make mxnet-venv); the stored numbers are used instead")
def test_stored_numbers_are_mxnets(tmp_path):
    out = tmp_path / "mxnet.json"
    proc = subprocess.run([str(MXNET_PY), str(HERE / "cases.py"), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    live = json.loads(out.read_text())["cases"]
    assert set(live) == set(EXPECTED)
    for name, results in live.items():
        stored = {k: cases.from_json(v) for k, v in EXPECTED[name].items()}
        compare({k: cases.from_json(v) for k, v in results.items()}, stored, rtol=0, atol=0,
                name=name)
