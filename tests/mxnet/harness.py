"""Differential testing against real MXNet 1.9.1: run the same snippet with
``from mxnet import nd, autograd`` and with ``from tracegrad import nd, autograd`` and compare
what comes out.

MXNet needs numpy < 2 and lives in its own environment (``make mxnet-venv`` creates
``.venv-mxnet``), so both sides run :mod:`tests.mxnet.worker` in a subprocess of their own
interpreter, many cases per process (MXNet takes a second to import). The worker writes one
JSON line per case; if a process dies (a crash inside MXNet), the case it was running is
recorded as a crash and a new process continues with the next case.

Compared, for every case: error or no error (an error on one side only is a difference; the
messages are shown but not compared), the kind of each result (NDArray, NumPy array or scalar,
Python value, list/tuple/dict), dtypes, shapes, values (exact for integers and booleans,
with a tolerance per float dtype), the ``<NDArray 2x3 @cpu(0)>`` line of every repr (the whole
printed text when the values are identical), and what the snippet printed. Random cases
compare only kinds, dtypes and shapes (``mode="meta"``).

Known, deliberate differences are listed in :data:`KNOWN_DIFFERENCES` (case name -> reason);
each is documented in docs/from_mxnet.md, and its case is an ``xfail(strict=True)``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MXNET_PYTHON = os.environ.get("TRACEGRAD_MXNET_PYTHON",
                              os.path.join(REPO, ".venv-mxnet", "bin", "python"))
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
BATCH_TIMEOUT_S = 900


def mxnet_missing() -> str | None:
    """Why real MXNet cannot be run here (None when it can)."""
    if not os.path.exists(MXNET_PYTHON):
        return f"no MXNet environment at {MXNET_PYTHON} (make mxnet-venv creates it)"
    return None


@dataclass(frozen=True)
class Case:
    """A snippet using ``nd``, ``autograd``, ``np`` (and ``cpu``) that binds ``result``.

    ``mode``: ``"full"`` compares everything; ``"meta"`` kinds, dtypes and shapes only (random
    numbers, uninitialised memory). ``rtol``/``atol`` override the dtype's tolerance.
    """
    name: str
    code: str
    result: str = "out"
    mode: str = "full"
    rtol: float | None = None
    atol: float | None = None

    @property
    def api(self) -> str:
        """The MXNet name the case exercises: its name up to the first '/'."""
        return self.name.split("/", 1)[0]


# -- known, deliberate differences -------------------------------------------------------------
# case name -> reason; every entry has its section in docs/from_mxnet.md ("Differences").
# Nothing goes here that docs/from_mxnet.md does not already justify: other differences are
# bugs and fail.
def _see(section: str) -> str:
    return f'(docs/from_mxnet.md: "{section}")'


_VIEWS = "slices, reshapes and detach() never share writes " + \
    _see("Slices, reshapes and detach() never share writes")
_AFTER = "changing an array after recording does not change the gradient " + \
    _see("Slices, reshapes and detach() never share writes")
_TIES = "max/min share the gradient equally among ties " + \
    _see("max and min share the gradient equally among ties")
_HEAD = "a head gradient must have the head's size " + \
    _see("A head gradient must have the head's size")
_PROMO = "type promotion follows NumPy " + _see("Type promotion follows NumPy")
_NUMPY_IN = "operations take NumPy arrays, MXNet's do not (the dtype rules) " + \
    _see("Type promotion follows NumPy")
_ORDER2 = "derivatives of any order for every operation; MXNet has no second derivative here " + \
    _see("Derivatives of any order, for every operation")
_LENIENT = "accepted where MXNet raises " + _see("Accepted where MXNet raises")

_IMAGE = "MXNet 1.9.1's CPU image operator is wrong here " + \
    _see("Operators that differ in a corner")
KNOWN_DIFFERENCES: dict[str, str] = {
    "nd.image.flip_left_right_odd_width": _IMAGE,
    "nd.image.flip_top_bottom_odd_height": _IMAGE,
    "nd.image.random_saturation": _IMAGE,
    "view/slice_write_through": _VIEWS,
    "view/basic_index_write_through": _VIEWS,
    "view/reshape_write_through": _VIEWS,
    "view/detach_write_through": _VIEWS,
    "view/write_source_shows_in_slice": _VIEWS,
    "autograd.backward/mutate_after_record": _AFTER,
    "autograd.max/tie_gradient": _TIES,
    "autograd.min/tie_gradient": _TIES,
    "autograd.max/tie_gradient_full": _TIES,
    "autograd.backward/head_grad_other_size": _HEAD,
    "promotion/float64_plus_float32": _PROMO,
    "promotion/int32_plus_float32": _PROMO,
    "promotion/int32_times_float_scalar": _PROMO,
    "promotion/float32_plus_float64_array": _PROMO,
    "promotion/int64_plus_int32": _PROMO,
    "promotion/uint8_plus_int32": _PROMO,
    "promotion/int32_plus_float_scalar": _PROMO,
    "promotion/int32_pow_float_scalar": _PROMO,
    "NDArray.__radd__/int32_float_scalar": _PROMO,
    "nd.exp/int32": _PROMO,
    "nd.sqrt/int32": _PROMO,
    "nd.mean/int32": _PROMO,
    "nd.mean/int32_all": _PROMO,
    "nd.mean/int32_inexact": _PROMO,
    "nd.norm/int32": _PROMO,
    "nd.dot/mixed_dtype": _PROMO,
    "nd.reciprocal/int32": _PROMO,
    "numpy_input/exp": _NUMPY_IN,
    "numpy_input/add": _NUMPY_IN,
    "autograd.grad/second_order_log_softmax": _ORDER2,
    "autograd.grad/second_order_cube": _ORDER2,
    "autograd.grad/second_order_relu": _ORDER2,
    "autograd.grad/second_order_power": _ORDER2,
    "autograd.grad/second_order_softmax": _ORDER2,
    "autograd.grad/second_order_dot": _ORDER2,
    "autograd.grad/second_order_sum_sq": _ORDER2,
    "NDArray.__pos__/float32": _LENIENT,
    "nd.broadcast_to/add_axis": _LENIENT,
    "NDArray.__getitem__/empty_slice": _LENIENT,
    "nd.arange/empty": _LENIENT,
    "nd.zeros/empty_dim": _LENIENT,
    "nd.ones/empty_dim": _LENIENT,
    "nd.dot/int32": _LENIENT,
    "nd.random.seed/repeatable": _LENIENT,
    "NDArray.float/size1": _LENIENT,
    "NDArray.int/size1": _LENIENT,
    "NDArray.index/size1": _LENIENT,
    "autograd.grad/unused_variable": _LENIENT,
}


#: case name -> (cause, report) of the cases that failed in this process (for the summary)
FAILURES: dict[str, tuple[str, str]] = {}


# -- running -----------------------------------------------------------------------------------

def _python(lib: str) -> str:
    return MXNET_PYTHON if lib == "mxnet" else sys.executable


def run_cases(cases: list[Case], lib: str) -> dict[str, dict]:
    """Run ``cases`` on ``lib`` ('mxnet' or 'tracegrad'): case name -> the worker's record."""
    todo = [asdict(c) for c in cases]
    results: dict[str, dict] = {}
    env = dict(os.environ, PYTHONWARNINGS="ignore", MXNET_ENGINE_TYPE="NaiveEngine",
               OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory(prefix=f"tg-diff-{lib}-") as tmp:
        while todo:
            cases_file = os.path.join(tmp, "cases.json")
            out_file = os.path.join(tmp, "out.jsonl")
            with open(cases_file, "w") as f:
                json.dump(todo, f)
            if os.path.exists(out_file):
                os.remove(out_file)
            try:
                proc = subprocess.run([_python(lib), WORKER, lib, cases_file, out_file],
                                      cwd=tmp, env=env, capture_output=True, text=True,
                                      timeout=BATCH_TIMEOUT_S)
                rc, err = proc.returncode, proc.stderr
            except subprocess.TimeoutExpired as e:
                rc, err = "timeout", (e.stderr or b"").decode(errors="replace") \
                    if isinstance(e.stderr, bytes) else (e.stderr or "")
            done = []
            if os.path.exists(out_file):
                with open(out_file) as f:
                    done = [json.loads(line) for line in f if line.endswith("\n")]
            for rec in done:
                results[rec["name"]] = rec
            todo = todo[len(done):]
            if todo:  # the process died inside todo[0]: record it and go on after it
                tail = " | ".join(err.strip().splitlines()[-3:])[:400]
                if not done and rc == 0:
                    raise RuntimeError(f"the {lib} worker ran no case: {err[-2000:]}")
                results[todo[0]["name"]] = {
                    "name": todo[0]["name"], "stdout": "",
                    "result": {"kind": "error", "type": "WorkerCrash",
                               "message": f"the {lib} process died (exit {rc}): {tail}"}}
                todo = todo[1:]
    return results


# -- comparing ---------------------------------------------------------------------------------

# both sides raising one of these means the snippet is wrong, not the library
_BROKEN_CASE = ("SyntaxError", "IndentationError", "NameError", "UnboundLocalError")
_TOL = {"float16": (2e-3, 1e-3), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def decode(rec: dict) -> np.ndarray:
    raw = base64.b64decode(rec["data"])
    return np.frombuffer(raw, dtype=np.dtype(rec["dtype"])).reshape(rec["shape"])


def _describe(rec: dict) -> str:
    k = rec["kind"]
    if k == "error":
        return f"error {rec['type']}: {rec['message']}"
    if k in ("nd", "np", "npscalar"):
        return f"{k} {rec['dtype']} {tuple(rec['shape'])}"
    if k == "py":
        return f"{rec['type']} {rec['value']!r}"
    if k in ("list", "tuple", "dict"):
        return f"{k} of {len(rec['items'])}"
    return f"{k} {rec.get('type', '')} {rec.get('repr', rec.get('value', ''))!r}"


def _values_close(a: np.ndarray, b: np.ndarray, case: Case) -> str | None:
    if a.dtype.kind in "biu" or a.dtype != b.dtype and b.dtype.kind in "biu":
        ok = np.array_equal(a.astype(np.float64), b.astype(np.float64))
        tol = "exact"
    else:
        rtol, atol = _TOL.get(a.dtype.name, (1e-5, 1e-6))
        rtol = case.rtol if case.rtol is not None else rtol
        atol = case.atol if case.atol is not None else atol
        x, y = a.astype(np.float64), b.astype(np.float64)
        ok = bool(np.all(np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)))
        tol = f"rtol={rtol}, atol={atol}"
    if ok:
        return None
    with np.printoptions(precision=7, threshold=40, linewidth=200):
        return f"values differ ({tol}): mxnet {a.ravel()} vs tracegrad {b.ravel()}"


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def compare_records(m: dict, t: dict, case: Case, path: str = "out") -> list[str]:
    """Differences between MXNet's record ``m`` and tracegrad's ``t`` (empty when equal)."""
    km, kt = m["kind"], t["kind"]
    if km == "error" or kt == "error":
        if km == kt and m["type"] in _BROKEN_CASE and t["type"] in _BROKEN_CASE:
            return [f"{path}: the case itself is broken: {m['type']}: {m['message']}"]
        if km == kt:
            return []  # both raise: messages and types differ by design
        side = "tracegrad" if kt == "error" else "mxnet"
        return [f"{path}: error only in {side}: mxnet gives {_describe(m)}; tracegrad gives "
                f"{_describe(t)}"]
    if km != kt:
        return [f"{path}: mxnet gives {_describe(m)}, tracegrad gives {_describe(t)}"]
    diffs: list[str] = []
    if km in ("list", "tuple", "dict"):
        if km == "dict" and m["keys"] != t["keys"]:
            return [f"{path}: dict keys {m['keys']} vs {t['keys']}"]
        if len(m["items"]) != len(t["items"]):
            return [f"{path}: {km} of {len(m['items'])} vs {len(t['items'])} items"]
        keys = m["keys"] if km == "dict" else range(len(m["items"]))
        for k, a, b in zip(keys, m["items"], t["items"]):
            diffs += compare_records(a, b, case, f"{path}[{k!r}]")
        return diffs
    if km in ("nd", "np", "npscalar"):
        if m["dtype"] != t["dtype"]:
            diffs.append(f"{path}: dtype {m['dtype']} vs {t['dtype']}")
        if m["shape"] != t["shape"]:
            diffs.append(f"{path}: shape {tuple(m['shape'])} vs {tuple(t['shape'])}")
        if km == "npscalar" and m["type"] != t["type"]:
            diffs.append(f"{path}: scalar type {m['type']} vs {t['type']}")
        if km == "nd" and _last_line(m["repr"]) != _last_line(t["repr"]):
            diffs.append(f"{path}: repr ends {_last_line(m['repr'])!r} vs "
                         f"{_last_line(t['repr'])!r}")
        if diffs or case.mode == "meta":
            return diffs
        a, b = decode(m), decode(t)
        bad = _values_close(a, b, case)
        if bad:
            return [f"{path}: {bad}"]
        if km == "nd" and np.array_equal(a, b, equal_nan=a.dtype.kind == "f") and \
                (m["repr"] != t["repr"] or m["str"] != t["str"]):
            diffs.append(f"{path}: printed text differs: mxnet {m['repr']!r} vs tracegrad "
                         f"{t['repr']!r}")
        return diffs
    if km == "py":
        if m["type"] != t["type"]:
            return [f"{path}: Python {m['type']} {m['value']!r} vs {t['type']} {t['value']!r}"]
        if case.mode == "meta":
            return []
        if m["type"] == "float":
            a, b = np.float64(float(m["value"])), np.float64(float(t["value"]))
            bad = _values_close(np.array([a]), np.array([b]), case)
            return [f"{path}: {bad}"] if bad else []
        return [] if m["value"] == t["value"] else \
            [f"{path}: {m['value']!r} vs {t['value']!r}"]
    if km == "dtype":
        return [] if m["value"] == t["value"] else [f"{path}: dtype {m['value']} vs {t['value']}"]
    if km == "exception":
        return [] if m["type"] == t["type"] else [f"{path}: {m['type']} vs {t['type']}"]
    # other objects (a Context, ...): their repr
    if m.get("repr") != t.get("repr") and case.mode != "meta":
        return [f"{path}: {m.get('type')} {m.get('repr')!r} vs {t.get('type')} "
                f"{t.get('repr')!r}"]
    return []


def compare(case: Case, m: dict, t: dict) -> list[str]:
    """The differences between the two workers' records of ``case``."""
    diffs = compare_records(m["result"], t["result"], case)
    if case.mode == "full" and m["stdout"] != t["stdout"] and \
            "error" not in (m["result"]["kind"], t["result"]["kind"]):
        diffs.append(f"printed text differs: mxnet {m['stdout']!r} vs tracegrad "
                     f"{t['stdout']!r}")
    return diffs


def cause(diffs: list[str]) -> str:
    """A short label grouping a failure by its cause, for the summary."""
    text = " ".join(diffs)
    if "the case itself is broken" in text:
        return "broken case"
    if "error only in tracegrad" in text:
        if re.search(r"AttributeError: (module 'tracegrad[.\w]*'|'NDArray' object|type object "
                     r"'NDArray') has no attribute", text):
            return "missing in tracegrad"
        return "error only in tracegrad"
    if "error only in mxnet" in text:
        return "error only in MXNet"
    for key, label in (("dtype", "dtype"), ("shape", "shape"), ("values differ", "values"),
                       ("printed", "printed text"), ("repr ends", "printed text")):
        if key in text:
            return label
    return "other"


def format_report(case: Case, diffs: list[str]) -> str:
    lines = [f"{case.name}: {len(diffs)} difference(s)", "  code:"]
    lines += [f"    {ln}" for ln in case.code.strip().splitlines()]
    lines += [f"  - {d}" for d in diffs]
    return "\n".join(lines)


def all_cases() -> list[Case]:
    from tests.mxnet import cases_autograd, cases_nd
    cases = cases_nd.cases() + cases_autograd.cases()
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate case names: {sorted(dup)}")
    unknown = set(KNOWN_DIFFERENCES) - set(names)
    if unknown:
        raise ValueError(f"KNOWN_DIFFERENCES names no case: {sorted(unknown)}")
    return cases


def run_both(cases: list[Case]) -> tuple[dict[str, dict], dict[str, dict]]:
    return run_cases(cases, "mxnet"), run_cases(cases, "tracegrad")


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.mxnet.harness [substring ...]``: run the matching cases, print every
    difference and a summary (for debugging without pytest)."""
    args = sys.argv[1:] if argv is None else argv
    cases = [c for c in all_cases() if not args or any(a in c.name for a in args)]
    mx, tg = run_both(cases)
    counts: dict[str, int] = {}
    for case in cases:
        diffs = compare(case, mx[case.name], tg[case.name])
        known = case.name in KNOWN_DIFFERENCES
        if diffs and not known:
            print(format_report(case, diffs))
            counts[cause(diffs)] = counts.get(cause(diffs), 0) + 1
        elif known and not diffs:
            print(f"{case.name}: listed as a known difference, but none was found")
            key = "known difference not found"
            counts[key] = counts.get(key, 0) + 1
    failed = sum(counts.values())
    print(f"\n{len(cases)} cases: {len(cases) - failed} passed or known, {failed} failed "
          f"{counts}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, REPO)
    raise SystemExit(main())

