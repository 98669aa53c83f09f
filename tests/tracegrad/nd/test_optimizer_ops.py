"""MXNet 1.9's fused optimizer updates (nd.sgd_update, nd.adam_update, ...): three steps of each
on fixed inputs against MXNet's numbers (``EXPECTED``, recorded from MXNet 1.9.1; with
``.venv-mxnet`` present the steps are also re-run in real MXNet), and their semantics: state
arrays updated in place, ``out=``, nothing recorded by autograd, errors.
"""

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check
from tests.tracegrad.nd.mxnet_run import MXNET_PY, needs_mxnet
from tracegrad import autograd, nd

# The same code runs the steps in tracegrad (here) and in MXNet (a subprocess).
RUNNER = r'''
import numpy as np

W0 = [0.5, -1.25, 2.0, -0.1]
G0 = [0.3, -2.0, 0.05, 1.5]


def grad(step):
    return [g * (1.0 + 0.5 * step) * (-1.0) ** step for g in G0]


# name -> (op, state names (beyond weight, grad), hyper-parameters, mixed precision)
CASES = {
    "sgd": ("sgd_update", [], {"lr": 0.1}),
    "sgd_wd_clip": ("sgd_update", [], {"lr": 0.1, "wd": 0.05, "rescale_grad": 0.5,
                                       "clip_gradient": 0.6}),
    "sgd_mom": ("sgd_mom_update", ["mom"], {"lr": 0.1, "momentum": 0.9, "wd": 0.01}),
    "sgd_mom_clip": ("sgd_mom_update", ["mom"], {"lr": 0.05, "momentum": 0.8,
                                                 "rescale_grad": 2.0, "clip_gradient": 1.0}),
    "mp_sgd": ("mp_sgd_update", ["weight32"], {"lr": 0.1, "wd": 0.01}),
    "mp_sgd_mom": ("mp_sgd_mom_update", ["mom", "weight32"], {"lr": 0.1, "momentum": 0.9,
                                                             "clip_gradient": 1.0}),
    "mp_sgd_mom_wd": ("mp_sgd_mom_update", ["mom", "weight32"],
                      {"lr": 0.1, "momentum": 0.9, "wd": 0.1, "rescale_grad": 0.5}),
    "mp_sgd_clip": ("mp_sgd_update", ["weight32"], {"lr": 0.1, "clip_gradient": 0.5}),
    "nag": ("nag_mom_update", ["mom"], {"lr": 0.1, "momentum": 0.9, "wd": 0.01}),
    "nag_clip": ("nag_mom_update", ["mom"], {"lr": 0.1, "momentum": 0.5, "wd": 0.1,
                                             "rescale_grad": 2.0, "clip_gradient": 0.5}),
    "mp_nag": ("mp_nag_mom_update", ["mom", "weight32"], {"lr": 0.1, "momentum": 0.9}),
    "mp_nag_wd_clip": ("mp_nag_mom_update", ["mom", "weight32"],
                       {"lr": 0.1, "momentum": 0.5, "wd": 0.1, "rescale_grad": 2.0,
                        "clip_gradient": 0.5}),
    "adam": ("adam_update", ["mean", "var"], {"lr": 0.01}),
    "adam_wd_clip": ("adam_update", ["mean", "var"], {"lr": 0.01, "beta1": 0.8, "beta2": 0.99,
                                                      "epsilon": 1e-6, "wd": 0.1,
                                                      "rescale_grad": 0.5,
                                                      "clip_gradient": 0.7}),
    "rmsprop": ("rmsprop_update", ["n"], {"lr": 0.01}),
    "rmsprop_clip": ("rmsprop_update", ["n"], {"lr": 0.1, "gamma1": 0.9, "epsilon": 1e-4,
                                               "wd": 0.1, "clip_gradient": 0.5,
                                               "clip_weights": 1.5}),
    "rmspropalex": ("rmspropalex_update", ["n", "g", "delta"], {"lr": 0.01}),
    "rmspropalex_clip": ("rmspropalex_update", ["n", "g", "delta"],
                         {"lr": 0.05, "gamma1": 0.9, "gamma2": 0.8, "wd": 0.05,
                          "rescale_grad": 2.0, "clip_gradient": 1.0, "clip_weights": 1.9}),
    "ftrl": ("ftrl_update", ["z", "n"], {"lr": 0.1}),
    "ftrl_wd_clip": ("ftrl_update", ["z", "n"], {"lr": 0.5, "lamda1": 0.2, "beta": 0.5,
                                                 "wd": 0.1, "rescale_grad": 0.5,
                                                 "clip_gradient": 0.6}),
    "ftml": ("ftml_update", ["d", "v", "z"], {"lr": 0.1}),
    "ftml_wd_clip": ("ftml_update", ["d", "v", "z"], {"lr": 0.05, "beta1": 0.5, "beta2": 0.9,
                                                      "epsilon": 1e-4, "wd": 0.1,
                                                      "rescale_grad": 2.0, "clip_grad": 1.0}),
    "signsgd": ("signsgd_update", [], {"lr": 0.1, "wd": 0.1}),
    "signum": ("signum_update", ["mom"], {"lr": 0.1, "momentum": 0.9, "wd": 0.01,
                                          "wd_lh": 0.05}),
    "signum_clip": ("signum_update", ["mom"], {"lr": 0.1, "momentum": 0.5,
                                               "rescale_grad": 3.0, "clip_gradient": 0.2}),
    "lamb": ("lamb_update_phase1", ["mean", "var"], {"wd": 0.01}),
    "lamb_nobias_clip": ("lamb_update_phase1", ["mean", "var"],
                         {"wd": 0.1, "beta1": 0.8, "beta2": 0.9, "epsilon": 1e-4,
                          "bias_correction": False, "rescale_grad": 2.0,
                          "clip_gradient": 1.0, "lower_bound": 0.5, "upper_bound": 2.0}),
    "mp_lamb": ("mp_lamb_update_phase1", ["mean", "var", "weight32"], {"wd": 0.01}),
    "mp_lamb_clip": ("mp_lamb_update_phase1", ["mean", "var", "weight32"],
                     {"wd": 0.1, "bias_correction": False, "rescale_grad": 2.0,
                      "clip_gradient": 1.0, "upper_bound": 1.0}),
}


def run(nd, case, steps=3):
    """Weights and states after ``steps`` updates, as a flat list of floats."""
    op, states, params = case
    mp = op.startswith("mp_")
    wdt = "float16" if mp else "float32"
    w = nd.array(W0, dtype=wdt)
    arrays = {s: nd.array(W0 if s == "weight32" else [0.0] * 4, dtype="float32")
              for s in states}
    params = dict(params)
    bounds = {k: params.pop(k) for k in ("lower_bound", "upper_bound") if k in params}
    for step in range(steps):
        g = nd.array(grad(step), dtype=wdt)
        kw = dict(params)
        if op == "ftml_update" or op.endswith("lamb_update_phase1"):
            kw["t"] = step + 1
        if op.endswith("lamb_update_phase1"):
            d = getattr(nd, op)(w, g, *[arrays[s] for s in states], **kw)
            src = arrays["weight32"] if mp else w
            r1, r2 = nd.norm(src), nd.norm(d)
            phase2 = getattr(nd, op.replace("phase1", "phase2"))
            extra = [arrays["weight32"]] if mp else []
            phase2(w, d, r1, r2, *extra, lr=0.1, out=w, **bounds)
        else:
            getattr(nd, op)(w, g, *[arrays[s] for s in states], out=w, **kw)
    vals = [w] + [arrays[s] for s in states]
    return [float(v) for a in vals for v in a.asnumpy().astype(np.float64).ravel()]
'''
_ns: dict = {}
exec(RUNNER, _ns)
CASES, run = _ns["CASES"], _ns["run"]

EXPECTED = {
    'sgd': [0.454999983, -0.949999928, 1.99250007, -0.324999988],
    'sgd_wd_clip': [0.470074564, -1.17164207, 1.96640587, -0.158208996],
    'sgd_mom': [0.441466361, -0.871453285, 1.97950113, -0.378094614, -0.0451141335, 0.295122951,
        -0.0127059072, -0.218534529],
    'sgd_mom_clip': [0.457800001, -1.16799998, 1.99129999, -0.182000011, -0.0332000032,
        0.0420000032, -0.00720000081, -0.0420000032],
    'mp_sgd': [0.453613281, -0.946289062, 1.98632812, -0.324707031, 0.453496933, -0.946353674,
        1.9865135, -0.324625462],
    'mp_sgd_mom': [0.444091797, -1.06933594, 1.99023438, -0.281005859, -0.0438181162, 0.0909999982,
        -0.00729547162, -0.0909999982, 0.444167733, -1.06900001, 1.99070799, -0.280999988],
    'mp_sgd_mom_wd': [0.444580078, -0.996582031, 1.88378906, -0.232177734, -0.0350759663,
        0.178111255, -0.0570575111, -0.105860405, 0.444616973, -0.996763766, 1.88416922,
        -0.232220411],
    'mp_sgd_clip': [0.465087891, -1.20019531, 1.9921875, -0.150024414, 0.464990199, -1.20000005,
        1.99250484, -0.150000006],
    'nag': [0.40094924, -0.606390774, 1.96810079, -0.574375868, -0.0450108573, 0.294455111,
        -0.0126696918, -0.218043938],
    'nag_clip': [0.395149738, -1.1073463, 1.87688005, -0.1746075, -0.0448587164, 0.0574566685,
        -0.0483602397, -0.0347803533],
    'mp_nag': [0.404785156, -0.615234375, 1.984375, -0.576171875, -0.0438181162, 0.291999996,
        -0.00729547162, -0.219000012, 0.404731423, -0.615199983, 1.98414218, -0.576099992],
    'mp_nag_wd_clip': [0.395263672, -1.10742188, 1.87695312, -0.174560547, -0.0448587164,
        0.0574566685, -0.0483537316, -0.0347803533, 0.395149738, -1.1073463, 1.87689602,
        -0.1746075],
    'adam': [0.461751461, -1.21175146, 1.96175158, -0.138248578, 0.043800015, -0.292000055,
        0.00730000157, 0.219000056, 0.000652109215, 0.0289826319, 1.8114144e-05, 0.0163027309],
    'adam_wd_clip': [0.465985477, -1.22308767, 1.92712998, -0.126912326, 0.0669055656,
        -0.117599986, 0.103585601, 0.117599986, 0.00191412447, 0.0145534771, 0.00135404081,
        0.0145534771],
    'rmsprop': [0.459068686, -1.20906866, 1.95907021, -0.140931353, 0.0316800103, 1.40800035,
        0.00088000024, 0.792000175],
    'rmsprop_clip': [0.215518296, -0.971624374, 1.18066657, -0.37837559, 0.0516793877,
        0.0677500144, 0.0113547742, 0.0677500144],
    'rmspropalex': [0.413101375, -1.16310132, 1.91310573, -0.186898723, 0.0316800103, 1.40800035,
        0.000880000298, 0.792000175, 0.0221625082, -0.147750035, 0.00369375083, 0.110812522,
        -0.0373096615, 0.037309695, -0.0373083651, -0.037309695],
    'rmspropalex_clip': [0.218014494, -0.952312648, 1.53652227, -0.397687435, 0.201865673,
        0.271000057, 0.0118042994, 0.271000057, 0.0711250156, -0.0910000205, 0.0396868289,
        0.0910000205, -0.113867685, 0.112425521, -0.21084103, -0.112425521],
    'ftrl': [0.0875534713, -0.768826962, 0.0875902027, -0.118394651, -1.5927695, 49.1008644,
        -1.003824, 5.97575712, 0.652500033, 29, 0.0181250013, 16.3125],
    'ftrl_wd_clip': [0, -0.330088466, -0, -0.200346351, 0.0709328353, 1.24917328, -0.0625,
        0.836793005, 0.163125008, 1.08000004, 0.00453125034, 1.08000004],
    'ftml': [0.407910049, -1.15791011, 1.90791023, -0.192089945, 3.65707803, 24.3805199,
        0.609513044, 18.2853889, 0.000652109215, 0.0289826319, 1.8114144e-05, 0.0163027309,
        -1.49175882, 28.2304497, -1.16289616, 3.51243925],
    'ftml_wd_clip': [0.454015285, -1.20476627, 1.90420401, -0.145233572, 15.036087, 17.501749,
        5.10198069, 17.501749, 0.200014681, 0.271000057, 0.0230182894, 0.271000057, -6.82661343,
        21.0855179, -9.71521187, 2.54184151],
    'signsgd': [0.386139512, -1.11386371, 1.84158802, -0.1960399],
    'signum': [0.393034965, -1.13184106, 1.67164719, -0.198009983, -0.0450582802, 0.29527998,
        -0.0124015519, -0.218641013],
    'signum_clip': [0.400000006, -1.14999998, 1.89999998, -0.200000003, -0.075000003, 0.075000003,
        -0.0687500015, -0.075000003],
    'lamb': [0.375182629, -1.11828768, 1.861395, -0.21930185, 0.043800015, -0.292000055,
        0.00730000157, 0.219000056, 0.000652109215, 0.0289826319, 1.8114144e-05, 0.0163027309],
    'lamb_nobias_clip': [0.492700219, -1.02353501, 1.80624068, -0.169998705, 0.132800013,
        -0.167999998, 0.0287999995, 0.167999998, 0.202060044, 0.271000057, 0.00683500199,
        0.271000057],
    'mp_lamb': [0.380615234, -1.12792969, 1.87597656, -0.217163086, 0.0438181236, -0.292000055,
        0.00729547255, 0.219000056, 0.000652211718, 0.0289826319, 1.81098731e-05, 0.0163027309,
        0.5, -1.25, 2, -0.100000001],
    'mp_lamb_clip': [0.456298828, -1.19824219, 1.94433594, -0.147949219, 0.067616716,
        -0.0910000205, 0.0145909451, 0.0910000205, 0.00216838391, 0.00299696252, 7.24394922e-05,
        0.00299696252, 0.5, -1.25, 2, -0.100000001],
}


# float16 weights (mp_*) carry float16 rounding; everything else is float32 arithmetic
TOLERANCE = {"float32": 2e-6, "mixed": 1e-3}


@pytest.mark.parametrize("name", sorted(CASES))
def test_three_steps_match_mxnet(name):
    got = np.array(run(nd, CASES[name]))
    want = np.array(EXPECTED[name])
    rtol = TOLERANCE["mixed" if CASES[name][0].startswith("mp_") else "float32"]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-7, err_msg=name)


@needs_mxnet
def test_the_recorded_numbers_are_mxnets():
    import json
    import subprocess

    script = (RUNNER + "\nimport json, warnings\nwarnings.simplefilter('ignore')\n"
              "import mxnet as mx\nprint(json.dumps({k: run(mx.nd, c) for k, c in "
              "CASES.items()}))\n")
    proc = subprocess.run([str(MXNET_PY), "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(fresh) == set(EXPECTED)
    for name, values in fresh.items():
        np.testing.assert_allclose(EXPECTED[name], values, rtol=1e-7, err_msg=name)
        got = run(nd, CASES[name])
        rtol = TOLERANCE["mixed" if CASES[name][0].startswith("mp_") else "float32"]
        np.testing.assert_allclose(got, values, rtol=rtol, atol=1e-7, err_msg=name)


def test_states_in_place_and_out():
    w, g, m = nd.array([1.0, 2.0]), nd.array([0.5, -3.0]), nd.zeros(2)
    new = nd.sgd_mom_update(w, g, m, lr=0.1, momentum=0.9)
    check(w, [1.0, 2.0])  # no out: the weight is unchanged, the result is a new array
    check(m, [-0.05, 0.3])  # the state is updated in place
    check(new, [0.95, 2.3])
    assert nd.sgd_update(w, g, lr=0.1, out=w) is w
    check(w, [0.95, 2.3])
    # float64 weights see MXNet's float32 hyper-parameters: 1 - float32(0.1) * 0.5
    w64 = nd.array([1.0], dtype="float64")
    nd.sgd_update(w64, nd.array([0.0], dtype="float64"), lr=0.1, wd=0.5, out=w64)
    assert w64.asnumpy()[0] == 1 - np.float64(np.float32(0.1)) * 0.5
    # clip_gradient=0 clips every gradient to 0 (MXNet's code clips when >= 0)
    check(nd.sgd_update(nd.array([1.0, 2.0]), g, lr=0.1, clip_gradient=0.0), [1.0, 2.0])


def test_updates_are_not_recorded_and_keep_variables():
    w = nd.array([1.0, 2.0])
    w.attach_grad()
    with autograd.record():
        loss = (w * w).sum()
    loss.backward()
    nd.sgd_update(w, w.grad, lr=0.1, out=w)
    check(w, [0.8, 1.6])
    with autograd.record():
        loss = (w * w).sum()
    loss.backward()  # w is still a variable
    check(w.grad, [1.6, 3.2])
    with autograd.record():
        with pytest.raises(tracegrad.errors.InPlaceError):
            nd.sgd_update(w, w.grad, lr=0.1, out=w)


def test_errors():
    w, g = nd.ones(2), nd.ones(2)
    with pytest.raises(TypeError, match="lr"):
        nd.sgd_update(w, g)
    with pytest.raises(TypeError, match="dtype"):
        nd.sgd_update(w, g.astype("float64"), lr=0.1)
    with pytest.raises(TypeError, match="float"):
        nd.sgd_update(w.astype("int32"), g.astype("int32"), lr=0.1)
    with pytest.raises(ValueError, match="shape"):
        nd.sgd_update(w, nd.ones(3), lr=0.1)
    with pytest.raises(TypeError, match="weight32"):
        nd.mp_sgd_update(w.astype("float16"), g.astype("float16"), w.astype("float16"), lr=0.1)
    with pytest.raises(TypeError, match="nd.adam_update.*foo"):
        nd.adam_update(w, g, nd.zeros(2), nd.zeros(2), lr=0.1, foo=1)
    with pytest.raises(TypeError, match="'t'"):
        nd.ftml_update(w, g, nd.zeros(2), nd.zeros(2), nd.zeros(2), lr=0.1)


def test_mp_lamb_phase2_leaves_weight32_as_mxnet_does():
    w, w32 = nd.array([1.0, 2.0], dtype="float16"), nd.array([1.0, 2.0])
    out = nd.mp_lamb_update_phase2(w, nd.array([0.5, 0.5]), nd.array([1.0]), nd.array([1.0]),
                                   w32, lr=0.1, out=w)
    assert out is w and out.dtype is np.float16
    check(w, [0.95, 1.95], rtol=1e-3)
    check(w32, [1.0, 2.0])


def test_multi_tensor_operators():
    w1, g1, w2, g2 = nd.array([1.0, 2.0]), nd.array([0.5, 0.5]), nd.array([3.0]), nd.array([1.0])
    outs = nd.multi_sgd_update(w1, g1, w2, g2, lrs=(0.1, 0.2), wds=(0.0, 0.0), num_weights=2,
                               out=[w1, w2])
    assert outs[0] is w1 and outs[1] is w2
    check(w1, [0.95, 1.95])  # recorded from MXNet 1.9.1
    check(w2, [2.8])
    m1, m2 = nd.zeros(2), nd.zeros(1)
    nd.preloaded_multi_sgd_mom_update(w1, g1, m1, w2, g2, m2, nd.array([0.1, 0.2]),
                                      nd.array([0.0, 0.0]), momentum=0.9, num_weights=2,
                                      out=[w1, w2])
    check(m1, [-0.05, -0.05])
    check(w2, [2.6])
    with pytest.raises(ValueError, match="num_weights"):
        nd.multi_sgd_update(w1, g1, w2, g2, lrs=(0.1,), wds=(0.0,))
    check(nd.all_finite(nd.array([1.0, np.inf])), [0.0], dtype="float32")
    check(nd.multi_all_finite(nd.ones(2), nd.ones(1), num_arrays=2), [1.0])
    check(nd.multi_sum_sq(nd.array([1, 2]), nd.array([3.0]), num_arrays=2), [5.0, 9.0])
    a, b = nd.ones(2), nd.ones(3)
    assert nd.reset_arrays(a, b, num_arrays=2) == []
    check(a, [0, 0])
    check(b, [0, 0, 0])
    # recorded from MXNet 1.9.1
    check(nd.multi_lars(nd.array([0.1, 0.2]), nd.array([4.0, 0.0]), nd.array([1.0, 1.0]),
                        nd.array([0.01, 0.01]), eta=0.5, eps=1e-8), [0.09803922, 0.2])
    check(nd.multi_lars(nd.array([0.1, 0.2]), nd.array([4.0, 9.0]), nd.array([1.0, 0.0]),
                        nd.array([0.01, 0.01]), eta=0.5, eps=1e-8, rescale_grad=2.0),
          [0.04950495, 0.2])


def test_inside_jit_the_function_runs_eagerly():
    @tracegrad.jit
    def step(w, g):
        return nd.sgd_update(w, g, lr=0.5)

    with pytest.warns(tracegrad.errors.FallbackWarning):
        check(step(nd.array([1.0]), nd.array([1.0])), [0.5])
