"""Every differential case (cases_nd.py, cases_autograd.py) run on real MXNet 1.9.1 and on
tracegrad and compared (harness.py). Marked ``mxnet``: not part of ``make test``; run with
``make test-mxnet``, which prints a summary by cause (conftest.py). Skipped where the MXNet
environment (``make mxnet-venv``) is absent.

A case listed in ``harness.KNOWN_DIFFERENCES`` is a documented, deliberate difference and an
``xfail(strict=True)``: it fails if the difference disappears.
"""

from __future__ import annotations

import pytest

from tests.mxnet import harness

MISSING = harness.mxnet_missing()
pytestmark = [pytest.mark.mxnet, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]

CASES = harness.all_cases()


def _param(case: harness.Case) -> object:
    reason = harness.KNOWN_DIFFERENCES.get(case.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    """Both libraries' records of the selected cases, two batched subprocess runs."""
    selected = [item.callspec.params["case"] for item in request.session.items
                if getattr(item, "callspec", None) is not None
                and item.module is request.module and "case" in item.callspec.params]
    return harness.run_both(selected or CASES)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: harness.Case, results: tuple[dict, dict]) -> None:
    mx, tg = results
    diffs = harness.compare(case, mx[case.name], tg[case.name])
    if diffs:
        report = harness.format_report(case, diffs)
        harness.FAILURES[case.name] = (harness.cause(diffs), report)
        pytest.fail(report, pytrace=False)
