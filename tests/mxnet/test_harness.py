"""The differential harness itself, without MXNet (normal suite): the comparison rules, the
case list, and that every known difference is documented in docs/from_mxnet.md."""

from __future__ import annotations

import base64
import os
import re

import numpy as np
import pytest

from tests.mxnet import harness
from tests.mxnet.harness import Case, compare

DOC = os.path.join(harness.REPO, "docs", "from_mxnet.md")


def _nd(values, dtype="float32", text=None):
    a = np.asarray(values, dtype=dtype)
    shape = "x".join(map(str, a.shape))
    text = text or f"\n{a}\n<NDArray {shape} @cpu(0)>"
    return {"kind": "nd", "dtype": a.dtype.name, "shape": list(a.shape), "repr": text,
            "str": text, "data": base64.b64encode(a.tobytes()).decode()}


def _rec(result, stdout=""):
    return {"name": "c", "result": result, "stdout": stdout}


CASE = Case("nd.test/x", "out = 1")


def test_equal_results_have_no_difference():
    assert compare(CASE, _rec(_nd([1.0, 2.0])), _rec(_nd([1.0, 2.0]))) == []


def test_float_tolerance_by_dtype():
    assert compare(CASE, _rec(_nd([1.0])), _rec(_nd([1.0 + 1e-7]))) == []
    assert "values differ" in compare(CASE, _rec(_nd([1.0])), _rec(_nd([1.001])))[0]
    assert compare(CASE, _rec(_nd([1.0], "float16")), _rec(_nd([1.0009], "float16"))) == []
    loose = Case("nd.test/y", "out = 1", atol=0.01)
    assert compare(loose, _rec(_nd([0.0])), _rec(_nd([0.005]))) == []


def test_integers_nan_and_dtype():
    assert "values differ" in compare(CASE, _rec(_nd([1], "int32")), _rec(_nd([2], "int32")))[0]
    assert compare(CASE, _rec(_nd([np.nan])), _rec(_nd([np.nan]))) == []
    assert "dtype float32 vs float64" in compare(CASE, _rec(_nd([1.0])),
                                                 _rec(_nd([1.0], "float64")))[0]
    assert "shape" in compare(CASE, _rec(_nd([1.0])), _rec(_nd([[1.0]])))[0]


def test_printed_text_compared_only_for_identical_values():
    a, b = _nd([0.0]), _nd([-0.0])
    assert "printed text" in compare(CASE, _rec(a), _rec(b))[0]
    c = _nd([1.0], text="\n[1.0000001]\n<NDArray 1 @cpu(0)>")
    assert "printed text" in compare(CASE, _rec(_nd([1.0])), _rec(c))[0]
    d = _nd([1.0 + 1e-7], text="\n[1.0000001]\n<NDArray 1 @cpu(0)>")  # close, not identical
    assert compare(CASE, _rec(_nd([1.0])), _rec(d)) == []
    assert "printed text differs" in compare(CASE, _rec(_nd([1]), "a\n"), _rec(_nd([1]), "b\n"))[0]


def test_errors():
    err = {"kind": "error", "type": "ValueError", "message": "bad"}
    mxerr = {"kind": "error", "type": "MXNetError", "message": "Check failed"}
    assert compare(CASE, _rec(mxerr), _rec(err)) == []  # both raise: types may differ
    assert "error only in tracegrad" in compare(CASE, _rec(_nd([1.0])), _rec(err))[0]
    assert "error only in mxnet" in compare(CASE, _rec(mxerr), _rec(_nd([1.0])))[0]
    broken = {"kind": "error", "type": "SyntaxError", "message": "invalid syntax"}
    assert "the case itself is broken" in compare(CASE, _rec(broken), _rec(broken))[0]


def test_containers_and_python_values():
    lst = {"kind": "list", "items": [_nd([1.0]), {"kind": "py", "type": "int", "value": 3}]}
    assert compare(CASE, _rec(lst), _rec(lst)) == []
    tup = dict(lst, kind="tuple")
    assert compare(CASE, _rec(lst), _rec(tup))
    other = {"kind": "list", "items": [_nd([1.0]), {"kind": "py", "type": "int", "value": 4}]}
    assert "out[1]: 3 vs 4" in compare(CASE, _rec(lst), _rec(other))[0]


def test_meta_mode_ignores_values():
    meta = Case("nd.random.x/meta", "out = 1", mode="meta")
    assert compare(meta, _rec(_nd([0.1, 0.2])), _rec(_nd([0.7, 0.9]))) == []
    assert compare(meta, _rec(_nd([0.1])), _rec(_nd([0.1, 0.2])))


def test_causes():
    missing = ["out: error only in tracegrad: mxnet gives nd; tracegrad gives error "
               "AttributeError: module 'tracegrad.nd' has no attribute 'topk'"]
    assert harness.cause(missing) == "missing in tracegrad"
    assert harness.cause(["out: dtype int32 vs float64"]) == "dtype"


def test_case_list_is_consistent():
    cases = harness.all_cases()  # raises on duplicate names or unknown KNOWN_DIFFERENCES keys
    assert len(cases) > 1000
    assert {c.mode for c in cases} <= {"full", "meta"}


def test_every_known_difference_is_documented():
    doc = open(DOC, encoding="utf-8").read()
    headings = {re.sub(r"[`*]", "", h).strip() for h in re.findall(r"^#+ (.*)$", doc, re.M)}
    for name, reason in harness.KNOWN_DIFFERENCES.items():
        assert f"| `{name}` |" in doc, f"{name} is missing from the table in from_mxnet.md"
        section = re.search(r'from_mxnet\.md: "([^"]*)"', reason)
        assert section and section.group(1).replace("`", "") in headings, reason


@pytest.mark.skipif(harness.mxnet_missing() is not None,
                    reason=harness.mxnet_missing() or "")
def test_worker_runs_a_case_on_both_sides():
    case = Case("nd.ones/harness_smoke", "out = nd.ones((2, 1)) * 3")
    mx, tg = harness.run_both([case])
    assert compare(case, mx[case.name], tg[case.name]) == []
    assert mx[case.name]["result"]["repr"].endswith("<NDArray 2x1 @cpu(0)>")
