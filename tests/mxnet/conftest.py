"""The summary ``make test-mxnet`` prints after the differential cases: passed, failed (by
cause, with the failing cases), and known differences; the full report of every failure goes
to build/mxnet-differential.md."""

from __future__ import annotations

import os
from collections import defaultdict

from tests.mxnet import harness

REPORT = os.path.join(harness.REPO, "build", "mxnet-differential.md")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    def ours(reports):
        return [r for r in reports if "test_differential.py::test_case" in r.nodeid
                and r.when == "call"]
    stats = terminalreporter.stats
    passed, failed = ours(stats.get("passed", [])), ours(stats.get("failed", []))
    xfailed, xpassed = ours(stats.get("xfailed", [])), ours(stats.get("xpassed", []))
    skipped = [r for r in stats.get("skipped", []) if "test_differential.py" in r.nodeid]
    if not (passed or failed or xfailed or xpassed):
        if skipped:
            terminalreporter.write_line(f"MXNet differential cases skipped: "
                                        f"{harness.mxnet_missing()}")
        return
    by_cause: dict[str, list[str]] = defaultdict(list)
    for r in failed:
        name = r.nodeid.split("[", 1)[1][:-1]
        cause = harness.FAILURES.get(name, ("other", ""))[0]
        by_cause[cause].append(name)
    # xpassed strict shows as failed; name it
    tr = terminalreporter
    tr.section("MXNet 1.9.1 differential summary")
    total = len(passed) + len(failed) + len(xfailed) + len(xpassed)
    tr.write_line(f"{total} cases: {len(passed)} passed, {len(failed)} failed, "
                  f"{len(xfailed)} known differences (xfail, docs/from_mxnet.md)")
    for cause, names in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
        tr.write_line(f"  failed, {cause}: {len(names)}")
        if cause != "missing in tracegrad":
            for n in names:
                tr.write_line(f"      {n}")
    if xpassed:
        tr.write_line(f"  known differences no longer found: {len(xpassed)}")
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(REPORT, "w") as f:
        f.write("# MXNet 1.9.1 differential failures\n\n")
        for cause, names in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
            f.write(f"## {cause} ({len(names)})\n\n")
            for n in names:
                f.write("```\n" + harness.FAILURES.get(n, ("", n))[1] + "\n```\n\n")
    tr.write_line(f"every failure with its code and differences: "
                  f"{os.path.relpath(REPORT, harness.REPO)}")
