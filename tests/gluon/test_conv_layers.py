"""gluon.nn's convolution and pooling layers against MXNet 1.9.1.

Each case is code that runs unchanged on both frameworks (the helpers of
``tests/gluon/cases.py``: ``fill`` gives every parameter the same values, ``run_layer``
records the forward pass and runs backward with a fixed head gradient): the output and the
gradients with respect to the input and to every parameter, eagerly and hybridized; and the
printed text (reprs, parameter names and shapes, deferred shapes after the first call).

MXNet's results are stored below (``EXPECTED``: text verbatim, arrays as [shape, sum, dot
with a cosine pattern]), so the tests run without MXNet; with ``.venv-mxnet`` present they
are also compared with a fresh MXNet run. ``python tests/gluon/test_conv_layers.py`` prints
``EXPECTED`` afresh.
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import tracegrad
from tests.gluon import cases

ROOT = Path(__file__).resolve().parents[2]
MXNET_PY = ROOT / ".venv-mxnet" / "bin" / "python"

LAYERS = {
    "conv2d": ("nn.Conv2D(4, 3, in_channels=3)", (2, 3, 6, 7)),
    "conv2d_all_options": ("nn.Conv2D(6, (3, 2), strides=(2, 1), padding=(1, 1), "
                           "dilation=(1, 2), groups=2, activation='relu', in_channels=4)",
                           (2, 4, 7, 8)),
    "conv2d_batch_product": ("nn.Conv2D(5, 3, padding=1, in_channels=8, activation='tanh')",
                             (3, 8, 6, 5)),
    "conv2d_deferred_no_bias": ("nn.Conv2D(5, 3, strides=2, use_bias=False)", (2, 3, 7, 7)),
    "conv1d": ("nn.Conv1D(4, 3, strides=2, padding=1, in_channels=3)", (2, 3, 9)),
    "conv3d": ("nn.Conv3D(2, (2, 3, 2), padding=(0, 1, 0), in_channels=2)", (1, 2, 4, 4, 3)),
    "conv2d_transpose": ("nn.Conv2DTranspose(3, 3, strides=2, padding=1, output_padding=1, "
                         "in_channels=4)", (2, 4, 4, 5)),
    "conv2d_transpose_groups": ("nn.Conv2DTranspose(4, (2, 3), strides=(1, 2), groups=2, "
                                "in_channels=4, activation='sigmoid')", (1, 4, 3, 3)),
    "conv1d_transpose_deferred": ("nn.Conv1DTranspose(2, 4, strides=3)", (2, 3, 5)),
    "maxpool2d": ("nn.MaxPool2D()", (2, 3, 6, 6)),
    "maxpool2d_ceil_pad": ("nn.MaxPool2D(3, 2, 1, ceil_mode=True)", (1, 2, 8, 7)),
    "maxpool1d": ("nn.MaxPool1D(3, 2)", (2, 2, 9)),
    "avgpool2d_pad": ("nn.AvgPool2D(3, 2, 1)", (1, 2, 7, 7)),
    "avgpool2d_exclude_pad_ceil": ("nn.AvgPool2D(3, 2, 1, ceil_mode=True, "
                                   "count_include_pad=False)", (1, 2, 6, 7)),
    "avgpool1d": ("nn.AvgPool1D(2, 1, 1)", (2, 2, 5)),
    "globalavgpool2d": ("nn.GlobalAvgPool2D()", (2, 3, 4, 5)),
    "globalmaxpool2d": ("nn.GlobalMaxPool2D()", (2, 3, 4, 5)),
}
DEFERRED = {"conv2d_deferred_no_bias", "conv1d_transpose_deferred"}

TEXT = """
net = nn.HybridSequential(prefix='net_')
with net.name_scope():
    net.add(nn.Conv2D(8, 3), nn.Conv2D(8, 3, padding=1, dilation=2, groups=2,
                                       use_bias=False, activation='relu', in_channels=4),
            nn.Conv2DTranspose(8, 3, output_padding=1, strides=2, in_channels=4),
            nn.Conv1D(3, 5, strides=2, in_channels=2), nn.Conv3D(2, 3),
            nn.MaxPool2D(), nn.AvgPool2D(3, 2, 1, ceil_mode=True),
            nn.AvgPool1D(count_include_pad=False), nn.MaxPool1D(4),
            nn.GlobalAvgPool2D(), nn.GlobalMaxPool2D(), nn.MaxPool3D(), nn.AvgPool3D())
for i, block in enumerate(net):
    out['repr%d' % i] = repr(block)
    out['prefix%d' % i] = block.prefix
out['params'] = ' '.join('%s%s' % (k, p.shape) for k, p in net.collect_params().items())
conv = nn.Conv2D(6, 3, groups=3)
conv.initialize()
conv(nd.ones((1, 9, 5, 5)))
out['deferred'] = '%s %s' % (conv, conv.weight.shape)
"""


def layer_code(name: str, hybrid: bool) -> str:
    make, shape = LAYERS[name]
    lines = [f"block = {make}", "block.initialize()"]
    x = f"arr(1, {shape!r}, -2, 2)"
    if name in DEFERRED:  # one forward pass infers the shapes
        lines.append(f"block({x})")
    lines += ["fill(block, 3)", f"out.update(run_layer(block, [{x}], hybrid={hybrid}))"]
    return "\n".join(lines)


def all_cases() -> dict[str, str]:
    out = {f"{name}/{mode}": layer_code(name, mode == "hybrid")
           for name in LAYERS for mode in ("eager", "hybrid")}
    out["text"] = TEXT
    return out


CASES = all_cases()


def run(name: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cases.run_case(tracegrad, CASES[name])


def fingerprint(value: object) -> object:
    if isinstance(value, str):
        return value
    a = np.asarray(value, dtype=np.float64)
    pattern = np.cos(np.arange(a.size) * 0.7).reshape(a.shape)
    return [list(a.shape), float(f"{a.sum():.7g}"), float(f"{(a * pattern).sum():.7g}")]


_MXNET_SIDE = """
import json, sys, warnings
import mxnet
sys.path.insert(0, sys.argv[1])
from tests.gluon import cases  # imports neither framework
warnings.simplefilter("ignore")
out = {name: {k: cases.to_json(v) for k, v in cases.run_case(mxnet, code).items()}
       for name, code in json.loads(sys.stdin.read()).items()}
print(json.dumps(out))
"""


def run_mxnet() -> dict[str, dict]:
    env = {**os.environ, "MXNET_STORAGE_FALLBACK_LOG_VERBOSE": "0"}
    proc = subprocess.run([str(MXNET_PY), "-c", _MXNET_SIDE, str(ROOT)], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env=env, input=json.dumps(CASES))
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    return {name: {k: cases.from_json(v) for k, v in res.items()} for name, res in raw.items()}


def _check_arrays(got: dict, want: dict, name: str) -> None:
    assert sorted(got) == sorted(want), (name, sorted(got), sorted(want))
    for key, value in want.items():
        if isinstance(value, str):
            assert got[key] == value, (name, key)
        else:
            np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name}: {key}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_stored_mxnet_results(name):
    got = run(name)
    want = EXPECTED[name]
    assert sorted(got) == sorted(want), name
    for key, value in want.items():
        if isinstance(value, str):
            assert got[key] == value, (name, key)
            continue
        shape, total, dot = value
        assert list(np.shape(got[key])) == shape, (name, key)
        mine = fingerprint(got[key])
        tol = 1e-5 * (1 + np.abs(np.asarray(got[key], dtype=np.float64)).sum())
        assert abs(mine[1] - total) <= tol and abs(mine[2] - dot) <= tol, \
            (name, key, mine, value)


@pytest.fixture(scope="module")
def mxnet_results():
    if not MXNET_PY.exists():
        pytest.skip(f"no MXNet environment at {MXNET_PY} (make mxnet-venv creates it)")
    return run_mxnet()


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_mxnet(name, mxnet_results):
    _check_arrays(run(name), mxnet_results[name], name)


def test_hybridized_convolution_fuses_bias_and_activation():
    from tracegrad import nd
    from tracegrad.gluon import nn

    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, activation="relu"), nn.MaxPool2D())
    net.initialize()
    net.hybridize()
    x = nd.ones((2, 1, 8, 8))
    text = str(net.lower(x).fused_ir)
    kernels = [k.split("in (")[0] for k in text.split("= fused[")[1:]]
    assert any(" = add " in k and " = relu " in k for k in kernels), text


# MXNet 1.9.1's results (regenerate: python tests/gluon/test_conv_layers.py)
EXPECTED: dict[str, dict] = {
    "avgpool1d/eager": {
        "dx0": [[2, 2, 5], -2.33825, 1.291996],
        "out": [[2, 2, 6], -10.61754, 2.992977],
    },
    "avgpool1d/hybrid": {
        "dx0": [[2, 2, 5], -2.33825, 1.291996],
        "out": [[2, 2, 6], -10.61754, 2.992977],
    },
    "avgpool2d_exclude_pad_ceil/eager": {
        "dx0": [[1, 2, 6, 7], -2.178536, -0.6713041],
        "out": [[1, 2, 4, 4], -0.3983126, -1.461362],
    },
    "avgpool2d_exclude_pad_ceil/hybrid": {
        "dx0": [[1, 2, 6, 7], -2.178536, -0.6713041],
        "out": [[1, 2, 4, 4], -0.3983126, -1.461362],
    },
    "avgpool2d_pad/eager": {
        "dx0": [[1, 2, 7, 7], -2.097803, -0.5462566],
        "out": [[1, 2, 4, 4], 0.1873758, -0.4374657],
    },
    "avgpool2d_pad/hybrid": {
        "dx0": [[1, 2, 7, 7], -2.097803, -0.5462566],
        "out": [[1, 2, 4, 4], 0.1873758, -0.4374657],
    },
    "conv1d/eager": {
        "dx0": [[2, 3, 9], 1.628564, 0.1060854],
        "g0": [[4, 3, 3], 3.668415, 7.896313],
        "g1": [[4], 2.127111, -5.310464],
        "out": [[2, 4, 5], 5.7315, -1.24486],
        "p0": [[4, 3, 3], -0.7675288, -3.126746],
        "p1": [[4], -0.2021291, 0.3129257],
    },
    "conv1d/hybrid": {
        "dx0": [[2, 3, 9], 1.628564, 0.1060854],
        "g0": [[4, 3, 3], 3.668415, 7.896313],
        "g1": [[4], 2.127111, -5.310464],
        "out": [[2, 4, 5], 5.7315, -1.24486],
        "p0": [[4, 3, 3], -0.7675288, -3.126746],
        "p1": [[4], -0.2021291, 0.3129257],
    },
    "conv1d_transpose_deferred/eager": {
        "dx0": [[2, 3, 5], 0.4327363, 0.8922764],
        "g0": [[3, 2, 4], 15.55418, 8.359848],
        "g1": [[2], 1.255877, 1.570125],
        "out": [[2, 2, 16], 12.01895, -0.9536932],
        "p0": [[3, 2, 4], -1.812344, -1.399069],
        "p1": [[2], 0.3249638, 0.2590456],
    },
    "conv1d_transpose_deferred/hybrid": {
        "dx0": [[2, 3, 5], 0.4327363, 0.8922764],
        "g0": [[3, 2, 4], 15.55418, 8.359848],
        "g1": [[2], 1.255877, 1.570125],
        "out": [[2, 2, 16], 12.01895, -0.9536932],
        "p0": [[3, 2, 4], -1.812344, -1.399069],
        "p1": [[2], 0.3249638, 0.2590456],
    },
    "conv2d/eager": {
        "dx0": [[2, 3, 6, 7], -29.52189, -3.488462],
        "g0": [[4, 3, 3, 3], 79.63452, -58.50961],
        "g1": [[4], 1.20703, 5.798185],
        "out": [[2, 4, 4, 5], 2.494099, -6.542018],
        "p0": [[4, 3, 3, 3], -1.417588, -3.582323],
        "p1": [[4], 0.6559281, 0.6679624],
    },
    "conv2d/hybrid": {
        "dx0": [[2, 3, 6, 7], -29.52189, -3.488462],
        "g0": [[4, 3, 3, 3], 79.63452, -58.50961],
        "g1": [[4], 1.20703, 5.798185],
        "out": [[2, 4, 4, 5], 2.494099, -6.542018],
        "p0": [[4, 3, 3, 3], -1.417588, -3.582323],
        "p1": [[4], 0.6559281, 0.6679624],
    },
    "conv2d_all_options/eager": {
        "dx0": [[2, 4, 7, 8], -3.103862, -0.4024118],
        "g0": [[6, 2, 3, 2], -17.24562, -9.723731],
        "g1": [[6], 14.76704, 4.131166],
        "out": [[2, 6, 4, 8], 109.0405, -0.07602766],
        "p0": [[6, 2, 3, 2], -2.350412, -2.334123],
        "p1": [[6], -0.8658009, 1.124567],
    },
    "conv2d_all_options/hybrid": {
        "dx0": [[2, 4, 7, 8], -3.103862, -0.4024118],
        "g0": [[6, 2, 3, 2], -17.24562, -9.723731],
        "g1": [[6], 14.76704, 4.131166],
        "out": [[2, 6, 4, 8], 109.0405, -0.07602766],
        "p0": [[6, 2, 3, 2], -2.350412, -2.334123],
        "p1": [[6], -0.8658009, 1.124567],
    },
    "conv2d_batch_product/eager": {
        "dx0": [[3, 8, 6, 5], -5.550425, 12.714],
        "g0": [[5, 8, 3, 3], 28.25967, -30.96219],
        "g1": [[5], 7.031975, -4.576152],
        "out": [[3, 5, 6, 5], 15.27374, -0.9978167],
        "p0": [[5, 8, 3, 3], -3.62247, -0.09411232],
        "p1": [[5], 0.4342315, 0.1836246],
    },
    "conv2d_batch_product/hybrid": {
        "dx0": [[3, 8, 6, 5], -5.550425, 12.714],
        "g0": [[5, 8, 3, 3], 28.25967, -30.96219],
        "g1": [[5], 7.031975, -4.576152],
        "out": [[3, 5, 6, 5], 15.27374, -0.9978167],
        "p0": [[5, 8, 3, 3], -3.62247, -0.09411232],
        "p1": [[5], 0.4342315, 0.1836246],
    },
    "conv2d_deferred_no_bias/eager": {
        "dx0": [[2, 3, 7, 7], 15.03327, -1.425009],
        "g0": [[5, 3, 3, 3], 23.60862, 20.08968],
        "out": [[2, 5, 3, 3], -18.3887, -7.887912],
        "p0": [[5, 3, 3, 3], -2.545844, -1.87846],
    },
    "conv2d_deferred_no_bias/hybrid": {
        "dx0": [[2, 3, 7, 7], 15.03327, -1.425009],
        "g0": [[5, 3, 3, 3], 23.60862, 20.08968],
        "out": [[2, 5, 3, 3], -18.3887, -7.887912],
        "p0": [[5, 3, 3, 3], -2.545844, -1.87846],
    },
    "conv2d_transpose/eager": {
        "dx0": [[2, 4, 4, 5], -13.59304, 5.311833],
        "g0": [[4, 3, 3, 3], 24.02037, -20.40837],
        "g1": [[3], 9.328957, 4.020112],
        "out": [[2, 3, 8, 10], 99.28991, -15.91048],
        "p0": [[4, 3, 3, 3], -1.417588, -3.582323],
        "p1": [[3], 0.7006488, 0.6453854],
    },
    "conv2d_transpose/hybrid": {
        "dx0": [[2, 4, 4, 5], -13.59304, 5.311833],
        "g0": [[4, 3, 3, 3], 24.02037, -20.40837],
        "g1": [[3], 9.328957, 4.020112],
        "out": [[2, 3, 8, 10], 99.28991, -15.91048],
        "p0": [[4, 3, 3, 3], -1.417588, -3.582323],
        "p1": [[3], 0.7006488, 0.6453854],
    },
    "conv2d_transpose_groups/eager": {
        "dx0": [[1, 4, 3, 3], -1.406382, 0.245297],
        "g0": [[4, 2, 2, 3], -2.733422, -1.733055],
        "g1": [[4], -0.6751936, 0.2401774],
        "out": [[1, 4, 4, 7], 52.6764, 1.545081],
        "p0": [[4, 2, 2, 3], -1.345208, -2.259732],
        "p1": [[4], -0.8606114, -0.1560422],
    },
    "conv2d_transpose_groups/hybrid": {
        "dx0": [[1, 4, 3, 3], -1.406382, 0.245297],
        "g0": [[4, 2, 2, 3], -2.733422, -1.733055],
        "g1": [[4], -0.6751936, 0.2401774],
        "out": [[1, 4, 4, 7], 52.6764, 1.545081],
        "p0": [[4, 2, 2, 3], -1.345208, -2.259732],
        "p1": [[4], -0.8606114, -0.1560422],
    },
    "conv3d/eager": {
        "dx0": [[1, 2, 4, 4, 3], 6.926284, 2.020061],
        "g0": [[2, 2, 2, 3, 2], 24.25379, -2.12364],
        "g1": [[2], 2.953109, 1.589765],
        "out": [[1, 2, 3, 4, 2], -16.96402, -7.871118],
        "p0": [[2, 2, 2, 3, 2], -1.345208, -2.259732],
        "p1": [[2], -0.2674004, -0.2567294],
    },
    "conv3d/hybrid": {
        "dx0": [[1, 2, 4, 4, 3], 6.926284, 2.020061],
        "g0": [[2, 2, 2, 3, 2], 24.25379, -2.12364],
        "g1": [[2], 2.953109, 1.589765],
        "out": [[1, 2, 3, 4, 2], -16.96402, -7.871118],
        "p0": [[2, 2, 2, 3, 2], -1.345208, -2.259732],
        "p1": [[2], -0.2674004, -0.2567294],
    },
    "globalavgpool2d/eager": {
        "dx0": [[2, 3, 4, 5], -1.60019, -0.1319774],
        "out": [[2, 3, 1, 1], 0.0246262, -0.9703014],
    },
    "globalavgpool2d/hybrid": {
        "dx0": [[2, 3, 4, 5], -1.60019, -0.1319774],
        "out": [[2, 3, 1, 1], 0.0246262, -0.9703014],
    },
    "globalmaxpool2d/eager": {
        "dx0": [[2, 3, 4, 5], -1.60019, 0.4148195],
        "out": [[2, 3, 1, 1], 10.96799, -1.235208],
    },
    "globalmaxpool2d/hybrid": {
        "dx0": [[2, 3, 4, 5], -1.60019, 0.4148195],
        "out": [[2, 3, 1, 1], 10.96799, -1.235208],
    },
    "maxpool1d/eager": {
        "dx0": [[2, 2, 9], -2.539438, -0.5920052],
        "out": [[2, 2, 4], 14.65464, -2.562199],
    },
    "maxpool1d/hybrid": {
        "dx0": [[2, 2, 9], -2.539438, -0.5920052],
        "out": [[2, 2, 4], 14.65464, -2.562199],
    },
    "maxpool2d/eager": {
        "dx0": [[2, 3, 6, 6], 3.754802, -0.225871],
        "out": [[2, 3, 3, 3], 68.91915, 2.325849],
    },
    "maxpool2d/hybrid": {
        "dx0": [[2, 3, 6, 6], 3.754802, -0.225871],
        "out": [[2, 3, 3, 3], 68.91915, 2.325849],
    },
    "maxpool2d_ceil_pad/eager": {
        "dx0": [[1, 2, 8, 7], 2.127111, 2.902317],
        "out": [[1, 2, 5, 4], 51.87153, -2.34734],
    },
    "maxpool2d_ceil_pad/hybrid": {
        "dx0": [[1, 2, 8, 7], 2.127111, 2.902317],
        "out": [[1, 2, 5, 4], 51.87153, -2.34734],
    },
    "text": {
        "deferred": "Conv2D(3 -> 6, kernel_size=(3, 3), stride=(1, 1), groups=3) (6, 3, 3, 3)",
        "params": ("net_conv0_weight(8, 0, 3, 3) net_conv0_bias(8,) net_conv1_weight(8, 2, "
             "3, 3) net_conv2_weight(4, 8, 3, 3) net_conv2_bias(8,) "
             "net_conv3_weight(3, 2, 5) net_conv3_bias(3,) net_conv4_weight(2, 0, 3, "
             "3, 3) net_conv4_bias(2,)"),
        "prefix0": "net_conv0_",
        "prefix1": "net_conv1_",
        "prefix10": "net_pool5_",
        "prefix11": "net_pool6_",
        "prefix12": "net_pool7_",
        "prefix2": "net_conv2_",
        "prefix3": "net_conv3_",
        "prefix4": "net_conv4_",
        "prefix5": "net_pool0_",
        "prefix6": "net_pool1_",
        "prefix7": "net_pool2_",
        "prefix8": "net_pool3_",
        "prefix9": "net_pool4_",
        "repr0": "Conv2D(None -> 8, kernel_size=(3, 3), stride=(1, 1))",
        "repr1": ("Conv2D(2 -> 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), "
             "dilation=(2, 2), groups=2, bias=False, Activation(relu))"),
        "repr10": ("GlobalMaxPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), "
             "ceil_mode=True, global_pool=True, pool_type=max, layout=NCHW)"),
        "repr11": ("MaxPool3D(size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0), "
             "ceil_mode=False, global_pool=False, pool_type=max, layout=NCDHW)"),
        "repr12": ("AvgPool3D(size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0), "
             "ceil_mode=False, global_pool=False, pool_type=avg, layout=NCDHW)"),
        "repr2": "Conv2DTranspose(8 -> 4, kernel_size=(3, 3), stride=(2, 2))",
        "repr3": "Conv1D(2 -> 3, kernel_size=(5,), stride=(2,))",
        "repr4": "Conv3D(None -> 2, kernel_size=(3, 3, 3), stride=(1, 1, 1))",
        "repr5": ("MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, "
             "global_pool=False, pool_type=max, layout=NCHW)"),
        "repr6": ("AvgPool2D(size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, "
             "global_pool=False, pool_type=avg, layout=NCHW)"),
        "repr7": ("AvgPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=False, "
             "global_pool=False, pool_type=avg, layout=NCW)"),
        "repr8": ("MaxPool1D(size=(4,), stride=(4,), padding=(0,), ceil_mode=False, "
             "global_pool=False, pool_type=max, layout=NCW)"),
        "repr9": ("GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), "
             "ceil_mode=True, global_pool=True, pool_type=avg, layout=NCHW)"),
    },
}


if __name__ == "__main__":  # print EXPECTED afresh from MXNet
    results = run_mxnet()
    print("EXPECTED: dict[str, dict] = {")
    for name in sorted(results):
        print(f"    {json.dumps(name)}: {{")
        for k, v in sorted(results[name].items()):
            text = json.dumps(fingerprint(v))
            if isinstance(v, str) and len(text) > 80:  # wrapped, as implicit concatenation
                parts, line = [], ""
                for word in v.split(" "):
                    if line and len(line) + len(word) > 70:
                        parts.append(line)
                        line = ""
                    line += word + " "
                parts.append(line[:-1])
                text = "(" + "\n             ".join(json.dumps(part) for part in parts) + ")"
            print(f"        {json.dumps(k)}: {text},")
        print("    },")
    print("}")
