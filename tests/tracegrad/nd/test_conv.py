"""nd's layer operators (Convolution, Deconvolution, Pooling, BatchNorm, LayerNorm,
Embedding, Activation, LeakyReLU, softmax_cross_entropy, SoftmaxOutput) against MXNet 1.9.1.

Every case runs the operator under ``autograd.record()`` on fixed random inputs, then
``backward`` with a random head gradient, and compares the output and the gradient of every
differentiable input:

* with real MXNet (``.venv-mxnet``, run in a subprocess: it needs numpy < 2), when present;
* always, with fingerprints of MXNet's results stored below (``EXPECTED``: for each array,
  its sum and its dot product with a fixed cosine pattern), so the core tests need no MXNet.
  ``python tests/tracegrad/nd/test_conv.py`` prints them afresh from MXNet.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

import numpy as np
import pytest

from tracegrad import autograd, nd

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
MXNET_PYTHON = os.path.join(REPO, ".venv-mxnet", "bin", "python")

# (name, operator, inputs: name -> shape, or ("label", shape, classes), params,
#  inputs that get gradients)
CONV = [
    ("conv2d", "Convolution", {"data": (2, 3, 7, 6), "weight": (4, 3, 3, 3), "bias": (4,)},
     {"kernel": (3, 3), "num_filter": 4}),
    ("conv2d_stride_pad_dilate", "Convolution",
     {"data": (2, 2, 9, 8), "weight": (3, 2, 3, 2), "bias": (3,)},
     {"kernel": (3, 2), "stride": (2, 1), "pad": (1, 2), "dilate": (2, 3), "num_filter": 3}),
    ("conv2d_groups_no_bias", "Convolution", {"data": (2, 4, 6, 6), "weight": (6, 2, 3, 3)},
     {"kernel": (3, 3), "num_filter": 6, "num_group": 2, "no_bias": True, "pad": (1, 1)}),
    # more than PER_SAMPLE_MAX_ROWS rows: the whole batch as one matrix product
    ("conv2d_batch_product", "Convolution",
     {"data": (3, 8, 7, 6), "weight": (5, 8, 3, 3), "bias": (5,)},
     {"kernel": (3, 3), "stride": (2, 1), "pad": (1, 0), "num_filter": 5}),
    ("conv2d_groups_batch_product", "Convolution",
     {"data": (2, 16, 6, 6), "weight": (4, 8, 3, 3), "bias": (4,)},
     {"kernel": (3, 3), "dilate": (2, 1), "pad": (2, 1), "num_filter": 4, "num_group": 2}),
    ("conv2d_1x1", "Convolution", {"data": (2, 3, 4, 5), "weight": (5, 3, 1, 1), "bias": (5,)},
     {"kernel": (1, 1), "num_filter": 5}),
    ("conv1d", "Convolution", {"data": (2, 3, 11), "weight": (4, 3, 3), "bias": (4,)},
     {"kernel": (3,), "stride": (2,), "pad": (1,), "num_filter": 4, "layout": "NCW"}),
    ("conv3d", "Convolution", {"data": (1, 2, 5, 4, 4), "weight": (3, 2, 2, 3, 2),
                               "bias": (3,)},
     {"kernel": (2, 3, 2), "stride": (1, 1, 2), "pad": (0, 1, 0), "num_filter": 3}),
    ("deconv2d", "Deconvolution", {"data": (2, 3, 4, 5), "weight": (3, 2, 3, 3)},
     {"kernel": (3, 3), "num_filter": 2}),
    ("deconv2d_stride_pad_adj_bias", "Deconvolution",
     {"data": (2, 3, 4, 4), "weight": (3, 2, 3, 3), "bias": (2,)},
     {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "adj": (1, 1), "num_filter": 2,
      "no_bias": False}),
    ("deconv2d_target_shape", "Deconvolution", {"data": (1, 2, 4, 4), "weight": (2, 3, 3, 3)},
     {"kernel": (3, 3), "stride": (2, 2), "target_shape": (8, 8), "num_filter": 3}),
    ("deconv2d_groups_dilate", "Deconvolution", {"data": (1, 4, 3, 4), "weight": (4, 1, 2, 3)},
     {"kernel": (2, 3), "stride": (2, 1), "dilate": (2, 2), "pad": (1, 0), "num_filter": 2,
      "num_group": 2, "_mode": "plain"}),
    ("deconv1d", "Deconvolution", {"data": (2, 2, 5), "weight": (2, 3, 4)},
     {"kernel": (4,), "stride": (3,), "pad": (1,), "adj": (2,), "num_filter": 3}),
]
POOL = [
    ("max_2x2", {"kernel": (2, 2), "stride": (2, 2)}, (2, 3, 6, 8)),
    ("max_2x2_odd_size", {"kernel": (2, 2), "stride": (2, 2)}, (1, 2, 7, 5)),
    ("max_default_stride", {"kernel": (3, 3)}, (1, 2, 6, 5)),
    ("max_pad_stride", {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}, (2, 2, 7, 7)),
    ("max_full", {"kernel": (3, 3), "stride": (2, 2), "pooling_convention": "full"},
     (1, 2, 8, 6)),
    ("max_full_pad", {"kernel": (2, 2), "stride": (3, 3), "pad": (1, 1),
                      "pooling_convention": "full"}, (1, 1, 7, 7)),
    ("avg_2x2", {"kernel": (2, 2), "stride": (2, 2), "pool_type": "avg"}, (2, 3, 4, 6)),
    ("avg_pad", {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg"},
     (1, 2, 7, 6)),
    ("avg_pad_exclude", {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                         "pool_type": "avg", "count_include_pad": False}, (1, 2, 7, 6)),
    ("avg_full_pad", {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg",
                      "pooling_convention": "full"}, (1, 2, 6, 6)),
    ("sum_full", {"kernel": (3, 2), "stride": (2, 2), "pool_type": "sum",
                  "pooling_convention": "full"}, (1, 2, 6, 7)),
    ("lp2", {"kernel": (2, 2), "stride": (1, 2), "pool_type": "lp", "p_value": 2},
     (1, 2, 5, 6)),
    ("lp1", {"kernel": (2, 2), "pool_type": "lp", "p_value": 1}, (1, 1, 4, 4)),
    ("global_max", {"kernel": (2, 2), "global_pool": True}, (2, 3, 5, 4)),
    ("global_avg", {"global_pool": True, "pool_type": "avg"}, (2, 3, 5, 4)),
    ("global_avg_1d", {"global_pool": True, "pool_type": "avg", "kernel": (1,)}, (2, 3, 5)),
    ("max_1d", {"kernel": (3,), "stride": (2,), "layout": "NCW"}, (2, 2, 9)),
    ("avg_1d_pad", {"kernel": (2,), "pad": (1,), "pool_type": "avg"}, (2, 2, 5)),
    ("max_3d", {"kernel": (2, 2, 2), "stride": (2, 1, 2)}, (1, 2, 4, 3, 4)),
]
# MXNet's oneDNN kernels cannot differentiate a dilated deconvolution ("could not create a
# descriptor for a dilated deconvolution forward propagation primitive", also for the forward
# pass under autograd.record()), and its own kernels
# (MXNET_MKLDNN_ENABLED=0) compute the dilated forward pass wrongly: only the forward pass is
# compared; test_deconvolution_is_the_adjoint_of_convolution covers the gradient.
FORWARD_ONLY = {"deconv2d_groups_dilate"}
CASES = CONV + [("pool_" + name, "Pooling", {"data": shape}, params)
                for name, params, shape in POOL]
_BN = {"data": (4, 3, 2, 2), "gamma": (3,), "beta": (3,), "moving_mean": (3,),
       "moving_var": (3,)}
_LN = {"data": (3, 4, 5), "gamma": (5,), "beta": (5,)}
OTHERS = [
    ("batchnorm_train_fix_gamma", "BatchNorm", _BN, {}),
    ("batchnorm_train", "BatchNorm", _BN, {"fix_gamma": False, "momentum": 0.8, "eps": 1e-4}),
    # backward through predict mode: MXNet's CPU kernel differentiates the batch statistics
    # it did not use (docs/gluon.md), tracegrad the forward pass as computed: forward only
    ("batchnorm_predict", "BatchNorm", _BN, {"fix_gamma": False, "_train": False,
                                            "_mode": "forward"}),
    ("batchnorm_global_stats", "BatchNorm", _BN, {"fix_gamma": False,
                                                  "use_global_stats": True}),
    ("batchnorm_axis_last", "BatchNorm", {"data": (5, 4), "gamma": (4,), "beta": (4,),
                                          "moving_mean": (4,), "moving_var": (4,)},
     {"fix_gamma": False, "axis": -1}),
    ("batchnorm_output_mean_var", "BatchNorm", _BN,
     {"output_mean_var": True, "_mode": "forward"}),
    ("batchnorm_output_mean_var_predict", "BatchNorm", _BN,
     {"output_mean_var": True, "_mode": "forward", "_train": False}),
    ("layernorm", "LayerNorm", _LN, {}),
    ("layernorm_axis1", "LayerNorm", {"data": (3, 4, 5), "gamma": (4,), "beta": (4,)},
     {"axis": 1, "eps": 1e-3}),
    ("layernorm_output_mean_var", "LayerNorm", _LN,
     {"output_mean_var": True, "_mode": "forward"}),
] + [(f"activation_{t}", "Activation", {"data": (3, 4)}, {"act_type": t})
     for t in ("relu", "sigmoid", "tanh", "softrelu", "softsign")] + [
    ("leakyrelu", "LeakyReLU", {"data": (3, 4)}, {"slope": 0.1}),
    ("leakyrelu_default", "LeakyReLU", {"data": (3, 4)}, {}),
    ("leakyrelu_elu", "LeakyReLU", {"data": (3, 4)}, {"act_type": "elu", "slope": 0.7}),
    # MXNet 1.9.1's selu gradient below 0 is not the derivative (docs/gluon.md): forward only
    ("leakyrelu_selu", "LeakyReLU", {"data": (3, 4)}, {"act_type": "selu", "_mode": "forward"}),
    ("leakyrelu_gelu", "LeakyReLU", {"data": (3, 4)}, {"act_type": "gelu"}),
    ("leakyrelu_prelu", "LeakyReLU", {"data": (2, 3, 4), "gamma": (3,)}, {"act_type": "prelu"}),
    ("leakyrelu_prelu_one", "LeakyReLU", {"data": (2, 3), "gamma": (1,)}, {"act_type": "prelu"}),
    # indices up to 7 for 5 rows: clipped, as MXNet
    ("embedding", "Embedding", {"data": ("label", (2, 3), 8), "weight": (5, 4)},
     {"input_dim": 5, "output_dim": 4}),
]
CASES += OTHERS


def _inputs(index: int, spec: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + index)
    out = {}
    for name, shape in spec.items():
        if isinstance(shape, tuple) and shape and shape[0] == "label":
            out[name] = rng.integers(0, shape[2], size=shape[1]).astype(np.float32)
        elif "var" in name or "gamma" in name:  # variances and scales: positive
            out[name] = rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
        else:
            out[name] = rng.standard_normal(shape).astype(np.float32)
    return out


def _head(index: int, shape: tuple) -> np.ndarray:
    return np.random.default_rng(900 + index).uniform(0.5, 1.5, size=shape).astype(np.float32)


def _diff(spec: dict) -> list[str]:
    return [k for k, s in spec.items() if not (isinstance(s, tuple) and s and s[0] == "label")
            and not k.startswith("moving_")]


# One case, the same code on both sides (``nd`` and ``autograd`` are MXNet's or tracegrad's).
# params may hold "_mode": "record" (the default: forward under autograd.record(), backward
# with the head gradient), "forward" (under record, no backward; the result may be a list)
# or "plain" (no record), and "_train" (record's train_mode, default True). Results: "out"
# (or "out0", "out1", ...), "grad_<input>", and "aux_<input>" for the running statistics
# (inputs named moving_*), read after the backward pass.
RUN_CASE = r"""
def run_case(nd, autograd, op, raw, diff, params, head):
    params = dict(params)
    mode, train = params.pop("_mode", "record"), params.pop("_train", True)
    arrays = {k: nd.array(v) for k, v in raw.items()}
    for k in diff:
        arrays[k].attach_grad()
    if mode == "plain":
        out = getattr(nd, op)(*arrays.values(), **params)
    else:
        with autograd.record(train_mode=train):
            out = getattr(nd, op)(*arrays.values(), **params)
    res = {}
    if isinstance(out, (list, tuple)):
        res.update({"out%d" % i: o.asnumpy() for i, o in enumerate(out)})
    else:
        res["out"] = out.asnumpy()
    if mode == "record":
        out.backward(nd.array(head))
        res.update({"grad_" + k: arrays[k].grad.asnumpy() for k in diff})
        # (MXNet's CPU kernels update running statistics in the backward pass, tracegrad in
        # the forward pass: they are compared after a backward pass only)
        res.update({"aux_" + k: a.asnumpy() for k, a in arrays.items()
                    if k.startswith("moving_")})
    return res
"""
_NS: dict = {}
exec(RUN_CASE, _NS)


def _out_shape(index: int) -> tuple:
    """The shape of the (first) output: the head gradient's."""
    name, op, spec, params = CASES[index]
    raw = _inputs(index, spec)
    plain = {k: v for k, v in params.items() if not k.startswith("_")}
    with autograd.record(train_mode=params.get("_train", True)):
        out = getattr(nd, op)(*[nd.array(v) for v in raw.values()], **plain)
    return (out[0] if isinstance(out, list) else out).shape


def run_tracegrad(index: int) -> dict[str, np.ndarray]:
    name, op, spec, params = CASES[index]
    return _NS["run_case"](nd, autograd, op, _inputs(index, spec), _diff(spec), params,
                           _head(index, _out_shape(index)))


_MXNET_SIDE = r"""
import json, sys
import numpy as np
from mxnet import autograd, nd
jobs = json.load(open(sys.argv[1]))
results = {}
data = np.load(sys.argv[2])
exec(jobs["run_case"])
for job in jobs["jobs"]:
    i = job["i"]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in job["params"].items()}
    raw = {n: data[f"{i}:{n}"] for n in job["names"]}
    res = run_case(nd, autograd, job["op"], raw, job["diff"], params, data[f"{i}:head"])
    results.update({f"{i}:{k}": v for k, v in res.items()})
np.savez(sys.argv[3], **results)
"""


def run_mxnet(indices: list[int]) -> dict[int, dict[str, np.ndarray]]:
    """Every case in ``indices`` through real MXNet: its own CPU kernels
    (``MXNET_MKLDNN_ENABLED=0``: oneDNN fails on dilated convolution gradients), except the
    FORWARD_ONLY cases (oneDNN, the forward pass alone); one subprocess each way."""
    out: dict[int, dict[str, np.ndarray]] = {}
    native = [i for i in indices if CASES[i][0] not in FORWARD_ONLY]
    onednn = [i for i in indices if CASES[i][0] in FORWARD_ONLY]
    for group, env in ((native, {"MXNET_MKLDNN_ENABLED": "0"}), (onednn, {})):
        if group:
            out.update(_run_mxnet(group, env))
    return out


def _run_mxnet(indices: list[int], env: dict) -> dict[int, dict[str, np.ndarray]]:
    with tempfile.TemporaryDirectory() as tmp:
        jobs, arrays = [], {}
        for i in indices:
            name, op, spec, params = CASES[i]
            raw = _inputs(i, spec)
            arrays.update({f"{i}:{k}": v for k, v in raw.items()})
            arrays[f"{i}:head"] = _head(i, _out_shape(i))
            jobs.append({"i": i, "op": op, "names": list(spec), "diff": _diff(spec),
                         "params": params})
        paths = [os.path.join(tmp, f) for f in ("jobs.json", "in.npz", "out.npz")]
        with open(paths[0], "w") as f:
            json.dump({"jobs": jobs, "run_case": RUN_CASE}, f)
        np.savez(paths[1], **arrays)
        env = {**os.environ, "MXNET_STORAGE_FALLBACK_LOG_VERBOSE": "0", **env}
        proc = subprocess.run([MXNET_PYTHON, "-c", _MXNET_SIDE, *paths], capture_output=True,
                              text=True, timeout=600, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        with np.load(paths[2]) as z:
            out: dict[int, dict[str, np.ndarray]] = {}
            for key in z.files:
                i, what = key.split(":", 1)
                out.setdefault(int(i), {})[what] = z[key]
    return out


def fingerprint(a: np.ndarray) -> list:
    """[shape, sum, dot product with a fixed cosine pattern], to 7 significant digits."""
    a = np.asarray(a, dtype=np.float64)
    pattern = np.cos(np.arange(a.size) * 0.7).reshape(a.shape)
    return [list(a.shape), float(f"{a.sum():.7g}"), float(f"{(a * pattern).sum():.7g}")]


def _compare(got: dict, expected: dict, name: str, rtol: float = 1e-4,
             atol: float = 1e-4) -> None:
    assert sorted(got) == sorted(expected), (name, sorted(got), sorted(expected))
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=rtol, atol=atol,
                                   err_msg=f"{name}: {key}")


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_against_stored_mxnet_results(index):
    name = CASES[index][0]
    got = run_tracegrad(index)
    expected = EXPECTED[name]
    assert sorted(got) == sorted(expected), name
    for key, (shape, total, dot) in expected.items():
        assert list(got[key].shape) == shape, (name, key)
        mine = fingerprint(got[key])
        tol = 1e-5 * (1 + np.abs(got[key].astype(np.float64)).sum())
        assert abs(mine[1] - total) <= tol and abs(mine[2] - dot) <= tol, \
            (name, key, mine, (total, dot))


@pytest.fixture(scope="module")
def mxnet_results():
    if not os.path.exists(MXNET_PYTHON):
        pytest.skip(f"no MXNet environment at {MXNET_PYTHON} (make mxnet-venv creates it)")
    return run_mxnet(list(range(len(CASES))))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_against_mxnet(index, mxnet_results):
    _compare(run_tracegrad(index), mxnet_results[index], CASES[index][0])


# MXNet 1.9.1's results: [shape, sum, dot with the cosine pattern] of each array
# (regenerate: python tests/tracegrad/nd/test_conv.py)
EXPECTED: dict[str, dict[str, list]] = {
    "conv2d": {
        "grad_bias": [[4], 156.3539, 52.17268],
        "grad_data": [[2, 3, 7, 6], -431.7714, 0.495593],
        "grad_weight": [[4, 3, 3, 3], 353.7441, 10.62383],
        "out": [[2, 4, 5, 4], 95.36691, 11.31825],
    },
    "conv2d_stride_pad_dilate": {
        "grad_bias": [[3], 215.5916, 141.6773],
        "grad_data": [[2, 2, 9, 8], -7.772314, 9.870906],
        "grad_weight": [[3, 2, 3, 2], -276.7294, 3.324087],
        "out": [[2, 3, 4, 9], -62.15587, 2.214777],
    },
    "conv2d_groups_no_bias": {
        "grad_data": [[2, 4, 6, 6], -510.6864, 40.26154],
        "grad_weight": [[6, 2, 3, 3], -273.7468, 31.47681],
        "out": [[2, 6, 6, 6], 111.7439, -19.42283],
    },
    "conv2d_batch_product": {
        "grad_bias": [[5], 239.7844, 25.58914],
        "grad_data": [[3, 8, 7, 6], 768.4112, -47.11495],
        "grad_weight": [[5, 8, 3, 3], 408.3801, -276.3676],
        "out": [[3, 5, 4, 4], 45.07104, 23.98047],
    },
    "conv2d_groups_batch_product": {
        "grad_bias": [[4], 300.1934, 109.1825],
        "grad_data": [[2, 16, 6, 6], 1094.368, 1.546743],
        "grad_weight": [[4, 8, 3, 3], -119.2259, -17.66346],
        "out": [[2, 4, 6, 6], -113.7239, -66.48136],
    },
    "conv2d_1x1": {
        "grad_bias": [[5], 200.3764, 16.67275],
        "grad_data": [[2, 3, 4, 5], 206.031, 0.4906215],
        "grad_weight": [[5, 3, 1, 1], -29.44639, 6.926407],
        "out": [[2, 5, 4, 5], -141.8763, -7.161855],
    },
    "conv1d": {
        "grad_bias": [[4], 48.22957, 16.15439],
        "grad_data": [[2, 3, 11], -34.85403, 0.1236317],
        "grad_weight": [[4, 3, 3], -21.52135, -4.049637],
        "out": [[2, 4, 6], -4.513348, -8.893751],
    },
    "conv3d": {
        "grad_bias": [[3], 90.4912, 56.39503],
        "grad_data": [[1, 2, 5, 4, 4], 129.5224, -13.02528],
        "grad_weight": [[3, 2, 2, 3, 2], -135.1094, 2.964494],
        "out": [[1, 3, 4, 4, 2], 24.81875, 17.09305],
    },
    "deconv2d": {
        "grad_data": [[2, 3, 4, 5], 339.0863, 8.519312],
        "grad_weight": [[3, 2, 3, 3], 121.0924, 4.768107],
        "out": [[2, 2, 6, 7], -76.16849, 50.45238],
    },
    "deconv2d_stride_pad_adj_bias": {
        "grad_bias": [[2], 256.097, 225.6886],
        "grad_data": [[2, 3, 4, 4], -61.79524, 5.237957],
        "grad_weight": [[3, 2, 3, 3], -3.453582, -18.36149],
        "out": [[2, 2, 8, 8], -245.461, -31.72564],
    },
    "deconv2d_target_shape": {
        "grad_data": [[1, 2, 4, 4], 32.58107, -9.992685],
        "grad_weight": [[2, 3, 3, 3], 44.07927, -0.5732324],
        "out": [[1, 3, 8, 8], 5.097132, -7.994321],
    },
    "deconv2d_groups_dilate": {
        "out": [[1, 2, 5, 8], 0.1543721, -0.2833225],
    },
    "deconv1d": {
        "grad_data": [[2, 2, 5], 10.26041, -3.677273],
        "grad_weight": [[2, 3, 4], -39.74273, -11.85239],
        "out": [[2, 3, 16], -15.84976, -7.500224],
    },
    "pool_max_2x2": {
        "grad_data": [[2, 3, 6, 8], 72.40209, 1.875294],
        "out": [[2, 3, 3, 4], 79.79687, -3.418968],
    },
    "pool_max_2x2_odd_size": {
        "grad_data": [[1, 2, 7, 5], 11.9422, 1.80744],
        "out": [[1, 2, 3, 2], 9.864614, 1.415331],
    },
    "pool_max_default_stride": {
        "grad_data": [[1, 2, 6, 5], 23.71553, 6.933348],
        "out": [[1, 2, 4, 3], 26.11333, -2.243993],
    },
    "pool_max_pad_stride": {
        "grad_data": [[2, 2, 7, 7], 68.2773, 7.960935],
        "out": [[2, 2, 4, 4], 71.85705, 0.8421472],
    },
    "pool_max_full": {
        "grad_data": [[1, 2, 8, 6], 23.6684, 1.111766],
        "out": [[1, 2, 4, 3], 35.58536, 1.492344],
    },
    "pool_max_full_pad": {
        "grad_data": [[1, 1, 7, 7], 9.661774, 2.441022],
        "out": [[1, 1, 4, 4], -2.381976e+39, 1.033755e+39],
    },
    "pool_avg_2x2": {
        "grad_data": [[2, 3, 4, 6], 35.9982, 0.4692007],
        "out": [[2, 3, 2, 3], -0.06856598, -0.6199554],
    },
    "pool_avg_pad": {
        "grad_data": [[1, 2, 7, 6], 19.06436, 0.2182062],
        "out": [[1, 2, 4, 3], -2.060939, 0.5083114],
    },
    "pool_avg_pad_exclude": {
        "grad_data": [[1, 2, 7, 6], 24.80431, 0.6487943],
        "out": [[1, 2, 4, 3], -0.5040513, -0.9220582],
    },
    "pool_avg_full_pad": {
        "grad_data": [[1, 2, 6, 6], 18.53569, -0.7048085],
        "out": [[1, 2, 4, 4], -1.070541, -0.9599294],
    },
    "pool_sum_full": {
        "grad_data": [[1, 2, 6, 7], 109.3215, 2.575394],
        "out": [[1, 2, 3, 4], 6.368475, 1.121911],
    },
    "pool_lp2": {
        "grad_data": [[1, 2, 5, 6], 3.240337, -0.711811],
        "out": [[1, 2, 4, 3], 41.63958, -4.351244],
    },
    "pool_lp1": {
        "grad_data": [[1, 1, 4, 4], 38.26261, -0.6960084],
        "out": [[1, 1, 3, 3], -35.40495, -1.111532],
    },
    "pool_global_max": {
        "grad_data": [[2, 3, 5, 4], 4.455409, -0.3705278],
        "out": [[2, 3, 1, 1], 10.98357, -0.7856558],
    },
    "pool_global_avg": {
        "grad_data": [[2, 3, 5, 4], 4.74508, 0.1104612],
        "out": [[2, 3, 1, 1], 0.4209749, -0.2421672],
    },
    "pool_global_avg_1d": {
        "grad_data": [[2, 3, 5], 5.854147, 0.5280085],
        "out": [[2, 3, 1], 0.8105416, 0.1284832],
    },
    "pool_max_1d": {
        "grad_data": [[2, 2, 9], 17.36451, -3.038255],
        "out": [[2, 2, 4], 16.12425, -2.54209],
    },
    "pool_avg_1d_pad": {
        "grad_data": [[2, 2, 5], 20.06861, 2.561139],
        "out": [[2, 2, 6], -3.45517, 0.7707137],
    },
    "pool_max_3d": {
        "grad_data": [[1, 2, 4, 3, 4], 16.73978, -4.939376],
        "out": [[1, 2, 2, 2, 2], 24.00922, -2.542941],
    },
    "batchnorm_train_fix_gamma": {
        "aux_moving_mean": [[3], 0.2684994, -0.2894533],
        "aux_moving_var": [[3], 2.743229, 1.556191],
        "grad_beta": [[3], 49.08439, 32.07307],
        "grad_data": [[4, 3, 2, 2], -1.156703e-06, -0.2435259],
        "grad_gamma": [[3], 0.0, 0.0],
        "out": [[4, 3, 2, 2], 3.645021, 0.08119679],
    },
    "batchnorm_train": {
        "aux_moving_mean": [[3], 0.9086624, 1.474414],
        "aux_moving_var": [[3], 3.770134, 2.423939],
        "grad_beta": [[3], 46.56066, 29.64061],
        "grad_data": [[4, 3, 2, 2], -4.181638e-07, -0.6804195],
        "grad_gamma": [[3], 0.8696447, -0.473537],
        "out": [[4, 3, 2, 2], -57.03458, -25.92062],
    },
    "batchnorm_predict": {
        "out": [[4, 3, 2, 2], 4.02503, -6.843699],
    },
    "batchnorm_global_stats": {
        "aux_moving_mean": [[3], -0.1569099, -1.171835],
        "aux_moving_var": [[3], 3.051678, 1.84403],
        "grad_beta": [[3], 46.79574, 29.36983],
        "grad_data": [[4, 3, 2, 2], 38.31884, 1.40457],
        "grad_gamma": [[3], 6.561337, 18.26045],
        "out": [[4, 3, 2, 2], -18.10588, 11.38416],
    },
    "batchnorm_axis_last": {
        "aux_moving_mean": [[4], -1.125808, -0.6381428],
        "aux_moving_var": [[4], 3.991506, 1.624734],
        "grad_beta": [[4], 20.36899, 5.924769],
        "grad_data": [[5, 4], -6.30971e-08, 0.1167534],
        "grad_gamma": [[4], -0.03913315, -1.502166],
        "out": [[5, 4], 7.531739, -2.003649],
    },
    "batchnorm_output_mean_var": {
        "out0": [[4, 3, 2, 2], 33.73775, -5.959086],
        "out1": [[3], -0.3090636, -0.4624647],
        "out2": [[3], 3.252877, 2.333544],
    },
    "batchnorm_output_mean_var_predict": {
        "out0": [[4, 3, 2, 2], 56.47925, -8.143741],
        "out1": [[3], -1.206189, -1.119568],
        "out2": [[3], 3.352235, 2.30004],
    },
    "layernorm": {
        "grad_beta": [[5], 62.02466, 8.03906],
        "grad_data": [[3, 4, 5], 4.656613e-08, 3.806029],
        "grad_gamma": [[5], 3.315458, 5.650148],
        "out": [[3, 4, 5], -3.02407, 8.060433],
    },
    "layernorm_axis1": {
        "grad_beta": [[4], 59.52485, 19.30444],
        "grad_data": [[3, 4, 5], 1.788139e-07, -0.6292572],
        "grad_gamma": [[4], 0.4524286, -2.331205],
        "out": [[3, 4, 5], -30.832, 1.585825],
    },
    "layernorm_output_mean_var": {
        "out0": [[3, 4, 5], -40.44061, -3.356872],
        "out1": [[3, 4, 1], -0.3726378, 0.3955344],
        "out2": [[3, 4, 1], 10.00908, 1.396318],
    },
    "activation_relu": {
        "grad_data": [[3, 4], 4.458574, -0.3890714],
        "out": [[3, 4], 2.362385, 0.36306],
    },
    "activation_sigmoid": {
        "grad_data": [[3, 4], 2.448278, 0.4278874],
        "out": [[3, 4], 5.471336, 0.8145426],
    },
    "activation_tanh": {
        "grad_data": [[3, 4], 9.985141, 0.5552228],
        "out": [[3, 4], 0.7193384, -0.4372483],
    },
    "activation_softrelu": {
        "grad_data": [[3, 4], 5.382484, 1.451211],
        "out": [[3, 4], 6.990268, 1.505267],
    },
    "activation_softsign": {
        "grad_data": [[3, 4], 4.216471, 1.538174],
        "out": [[3, 4], -4.027019, -1.172968],
    },
    "leakyrelu": {
        "grad_data": [[3, 4], 6.562345, 0.4470676],
        "out": [[3, 4], 4.409787, 0.1874398],
    },
    "leakyrelu_default": {
        "grad_data": [[3, 4], 6.288414, 0.8883266],
        "out": [[3, 4], 3.151081, 0.2540454],
    },
    "leakyrelu_elu": {
        "grad_data": [[3, 4], 8.13518, 2.067681],
        "out": [[3, 4], 6.316748, 3.486787],
    },
    "leakyrelu_selu": {
        "out": [[3, 4], 1.38654, 2.353365],
    },
    "leakyrelu_gelu": {
        "grad_data": [[3, 4], 4.658239, -0.6965324],
        "out": [[3, 4], 2.785508, -1.164421],
    },
    "leakyrelu_prelu": {
        "grad_data": [[2, 3, 4], 25.3579, -0.7656285],
        "grad_gamma": [[3], -9.708402, -6.911724],
        "out": [[2, 3, 4], -6.637815, -2.503131],
    },
    "leakyrelu_prelu_one": {
        "grad_data": [[2, 3], 6.556022, -1.443666],
        "grad_gamma": [[1], -1.375431, -1.375431],
        "out": [[2, 3], 2.404871, 2.367739],
    },
    "embedding": {
        "grad_weight": [[5, 4], 24.04479, 12.9973],
        "out": [[2, 3, 4], 2.228872, -2.437369],
    },
}


if __name__ == "__main__":  # print EXPECTED afresh from MXNet
    results = run_mxnet(list(range(len(CASES))))
    print("EXPECTED: dict[str, dict[str, list]] = {")
    for i, r in sorted(results.items()):
        print(f"    {CASES[i][0]!r}: {{")
        for k, v in sorted(r.items()):
            print(f"        {k!r}: {json.dumps(fingerprint(v))},")
        print("    },")
    print("}")


# -- compiled: a small LeNet --------------------------------------------------------------------

def _lenet_params(rng):
    # conv1: 9 rows per sample (products per sample); conv2: 8 * 9 = 72 (one batch product)
    shapes = [(8, 1, 3, 3), (8,), (6, 8, 3, 3), (6,), (10, 6 * 2 * 2), (10,)]
    return [nd.array(rng.normal(0, 0.3, s)) for s in shapes]


def _lenet_loss(params, x, y):
    w1, b1, w2, b2, w3, b3 = params
    h = nd.Pooling(nd.relu(nd.Convolution(x, w1, b1, kernel=(3, 3), num_filter=8)),
                   kernel=(2, 2), stride=(2, 2))
    h = nd.Pooling(nd.relu(nd.Convolution(h, w2, b2, kernel=(3, 3), num_filter=6)),
                   kernel=(2, 2), stride=(2, 2), pool_type="avg", pooling_convention="full")
    z = nd.dot(h.reshape((x.shape[0], -1)), w3, transpose_b=True) + b3
    return -nd.pick(nd.log_softmax(z, axis=1), y, axis=1).mean()


def test_compiled_gradients_equal_the_eager_tape():
    import tracegrad

    rng = np.random.default_rng(0)
    params = _lenet_params(rng)
    x = nd.array(rng.standard_normal((5, 1, 12, 12)))
    y = nd.array(rng.integers(0, 10, 5))
    value, grads = tracegrad.value_and_grad(_lenet_loss)(params, x, y)
    for p in params:
        p.attach_grad()
    with autograd.record():
        loss = _lenet_loss(params, x, y)
    loss.backward()
    np.testing.assert_allclose(value.asnumpy(), loss.asnumpy(), rtol=1e-5)
    for g, p in zip(grads, params):
        np.testing.assert_allclose(g.asnumpy(), p.grad.asnumpy(), rtol=1e-4, atol=1e-6)


def test_bias_and_relu_fuse_into_one_kernel_after_each_convolution():
    import tracegrad

    rng = np.random.default_rng(0)
    params = _lenet_params(rng)
    x = nd.array(rng.standard_normal((5, 1, 12, 12)))
    y = nd.array(rng.integers(0, 10, 5))
    text = str(tracegrad.value_and_grad(_lenet_loss).lower(params, x, y).fused_ir)
    kernels = text.split("= fused[")[1:]
    bias_relu = [k for k in kernels if " = add " in k.split("in (")[0]
                 and " = relu " in k.split("in (")[0] and "shape=(5, " in k.split("\n")[0]]
    # one kernel per convolution reads the product, adds the bias and applies relu
    shapes = sorted(k.split("shape=")[1].split(")")[0] + ")" for k in bias_relu)
    assert shapes == ["(5, 6, 3, 3)", "(5, 8, 10, 10)"], text
