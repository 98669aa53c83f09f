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
      "num_group": 2}),
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


def _inputs(index: int, spec: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + index)
    out = {}
    for name, shape in spec.items():
        if isinstance(shape, tuple) and shape and shape[0] == "label":
            out[name] = rng.integers(0, shape[2], size=shape[1]).astype(np.float32)
        else:
            out[name] = rng.standard_normal(shape).astype(np.float32)
    return out


def _head(index: int, shape: tuple) -> np.ndarray:
    return np.random.default_rng(900 + index).uniform(0.5, 1.5, size=shape).astype(np.float32)


def _diff(spec: dict) -> list[str]:
    return [k for k, s in spec.items() if not (isinstance(s, tuple) and s and s[0] == "label")]


def run_tracegrad(index: int) -> dict[str, np.ndarray]:
    name, op, spec, params = CASES[index]
    raw = _inputs(index, spec)
    arrays = {k: nd.array(v) for k, v in raw.items()}
    for k in _diff(spec):
        arrays[k].attach_grad()
    with autograd.record():
        out = getattr(nd, op)(*arrays.values(), **params)
    out.backward(nd.array(_head(index, out.shape)))
    result = {"out": out.asnumpy()}
    result.update({"grad_" + k: arrays[k].grad.asnumpy() for k in _diff(spec)})
    return result


_MXNET_SIDE = r"""
import json, sys
import numpy as np
from mxnet import autograd, nd
jobs = json.load(open(sys.argv[1]))
results = {}
data = np.load(sys.argv[2])
for job in jobs:
    i, op, names, diff, params = job["i"], job["op"], job["names"], job["diff"], job["params"]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    arrays = [nd.array(data[f"{i}:{n}"]) for n in names]
    for n, a in zip(names, arrays):
        if n in diff:
            a.attach_grad()
    if job["forward_only"]:
        results[f"{i}:out"] = getattr(nd, op)(*arrays, **params).asnumpy()
        continue
    with autograd.record():
        out = getattr(nd, op)(*arrays, **params)
    out.backward(nd.array(data[f"{i}:head"]))
    results[f"{i}:out"] = out.asnumpy()
    for n, a in zip(names, arrays):
        if n in diff:
            results[f"{i}:grad_{n}"] = a.grad.asnumpy()
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
            out_shape = run_tracegrad(i)["out"].shape  # the head gradient's shape
            arrays.update({f"{i}:{k}": v for k, v in raw.items()})
            arrays[f"{i}:head"] = _head(i, out_shape)
            jobs.append({"i": i, "op": op, "names": list(spec), "diff": _diff(spec),
                         "params": params, "forward_only": name in FORWARD_ONLY})
        paths = [os.path.join(tmp, f) for f in ("jobs.json", "in.npz", "out.npz")]
        with open(paths[0], "w") as f:
            json.dump(jobs, f)
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
    if name in FORWARD_ONLY:
        got = {"out": got["out"]}
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
    got = run_tracegrad(index)
    if CASES[index][0] in FORWARD_ONLY:
        got = {"out": got["out"]}
    _compare(got, mxnet_results[index], CASES[index][0])


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
