"""Evaluate the same expressions with real MXNet 1.9 (``.venv-mxnet``, in a subprocess: it
needs NumPy < 2) and with tracegrad, and compare the results.

``evaluate(nd, prelude, exprs)`` runs ``prelude`` and then each expression with ``nd`` bound to
the library's ``nd`` module; a result is ``["ok", value]`` (an NDArray becomes
``{"shape", "dtype", "values"}``, lists recurse) or ``["error", exception type]``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
MXNET_PY = ROOT / ".venv-mxnet" / "bin" / "python"
# The start of a prelude whose expressions take gradients, the same text on both sides.
GRAD_OF = """
import importlib
autograd = importlib.import_module(nd.__name__.split('.')[0]).autograd


def grad_of(f, x, head=None):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward(head)
    return [y, x.grad]
"""
needs_mxnet = pytest.mark.skipif(not MXNET_PY.exists(),
                                 reason="real MXNet is not installed in .venv-mxnet")

EVALUATE = r'''
import math
import numpy as np


def _plain(v):
    if hasattr(v, "asnumpy"):
        a = v.asnumpy()
        vals = [x if isinstance(x, (int, bool)) or math.isfinite(x) else repr(x)
                for x in a.astype(np.float64).ravel().tolist()]
        return {"shape": list(a.shape), "dtype": np.dtype(a.dtype).name, "values": vals}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (np.generic,)):
        return v.item()
    return v


def evaluate(nd, prelude, exprs):
    ns = {"nd": nd, "np": np}
    exec(prelude, ns)
    out = []
    for e in exprs:
        try:
            out.append(["ok", _plain(eval(e, ns))])
        except Exception as err:  # noqa: BLE001
            out.append(["error", type(err).__name__])
    return out
'''

_ns: dict = {}
exec(EVALUATE, _ns)
evaluate = _ns["evaluate"]


def in_mxnet(prelude: str, exprs: list[str]) -> list:
    """The results of ``exprs`` in real MXNet (see the module docstring)."""
    script = (EVALUATE + "\nimport json, sys, warnings\nwarnings.simplefilter('ignore')\n"
              "import mxnet as mx\nreq = json.load(sys.stdin)\n"
              "print(json.dumps(evaluate(mx.nd, req['prelude'], req['exprs'])))\n")
    proc = subprocess.run([str(MXNET_PY), "-c", script], capture_output=True, text=True,
                          input=json.dumps({"prelude": prelude, "exprs": exprs}), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_same(expr: str, got: list, want: list, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Same outcome (ok/error); for ok, the same structure, shapes, dtypes and values."""
    assert got[0] == want[0], f"{expr}: tracegrad {got}, MXNet {want}"
    if got[0] == "ok":
        _same(expr, got[1], want[1], rtol, atol)


def _same(expr: str, g: object, w: object, rtol: float, atol: float) -> None:
    if isinstance(w, dict):
        assert isinstance(g, dict), f"{expr}: {g} vs {w}"
        assert g["shape"] == w["shape"], f"{expr}: shape {g['shape']} vs MXNet {w['shape']}"
        assert g["dtype"] == w["dtype"], f"{expr}: dtype {g['dtype']} vs MXNet {w['dtype']}"
        gv = np.array([float(x) for x in g["values"]])
        wv = np.array([float(x) for x in w["values"]])
        np.testing.assert_allclose(gv, wv, rtol=rtol, atol=atol, err_msg=expr)
    elif isinstance(w, list):
        assert isinstance(g, list) and len(g) == len(w), f"{expr}: {g} vs {w}"
        for a, b in zip(g, w):
            _same(expr, a, b, rtol, atol)
    else:
        assert g == w, f"{expr}: {g} vs MXNet {w}"
