"""Runs differential cases on one library and writes one JSON line per case.

    python worker.py mxnet|tracegrad CASES.json OUT.jsonl

Run by both interpreters (the MXNet venv has numpy < 2 and no tracegrad), so this file uses
only the standard library and NumPy. Each case is a snippet executed with ``nd``,
``autograd``, ``np`` and ``cpu`` bound to the library's objects; the value of its result name
(``out``) is serialised: NDArrays as dtype, shape, repr and the raw bytes (base64), NumPy
arrays and scalars likewise, containers recursively, an exception as its type and message.
What the snippet prints is captured too. A line is flushed after every case, so the runner
knows which case a crash (a segfault in MXNet) happened in.
"""

import base64
import contextlib
import io
import json
import signal
import sys
import traceback

import numpy as np

CASE_TIMEOUT_S = 30


def load_library(lib):
    if lib == "mxnet":
        import mxnet as mx
        from mxnet import autograd, nd

        def reset():
            nd.waitall()
            autograd.set_recording(False)
            autograd.set_training(False)
        return {"nd": nd, "autograd": autograd, "cpu": mx.cpu}, nd.NDArray, reset, "MXNetError"
    import tracegrad
    from tracegrad import autograd, nd

    def reset():
        autograd.set_recording(False)
        autograd.set_training(False)
    return {"nd": nd, "autograd": autograd, "cpu": tracegrad.cpu}, nd.NDArray, reset, None


def clean_message(e):
    """The first informative line(s) of an exception message (MXNet's carry a C++ stack)."""
    text = str(e)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):  # MXNet: "...\nMXNetError: Check failed: ..." after a stack
        if ln.startswith("MXNetError:"):
            return " ".join(lines[i:i + 3])[:400]
    return " ".join(lines[:3])[:400]


class Serialiser:
    def __init__(self, ndarray_type):
        self.nd = ndarray_type

    def array(self, kind, a, text=None):
        a = np.ascontiguousarray(a)
        out = {"kind": kind, "dtype": a.dtype.name, "shape": list(a.shape),
               "data": base64.b64encode(a.tobytes()).decode("ascii")}
        if text is not None:
            out["repr"] = text
        return out

    def __call__(self, v, depth=0):
        if depth > 8:
            return {"kind": "other", "type": type(v).__name__, "repr": "<too deep>"}
        if isinstance(v, self.nd):
            return self.array("nd", v.asnumpy(), repr(v)) | {"str": str(v)}
        if isinstance(v, np.ndarray):
            return self.array("np", v)
        if isinstance(v, np.generic):
            return self.array("npscalar", np.asarray(v)) | {"type": type(v).__name__}
        if isinstance(v, type) and issubclass(v, np.generic):
            return {"kind": "dtype", "value": np.dtype(v).name}
        if isinstance(v, np.dtype):
            return {"kind": "dtype", "value": v.name}
        if v is None or isinstance(v, (bool, int, float, str)):
            if isinstance(v, float) and not np.isfinite(v):
                return {"kind": "py", "type": "float", "value": repr(v)}
            return {"kind": "py", "type": type(v).__name__, "value": v}
        if isinstance(v, (list, tuple)):
            return {"kind": type(v).__name__, "items": [self(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            return {"kind": "dict", "keys": [str(k) for k in v],
                    "items": [self(x, depth + 1) for x in v.values()]}
        if isinstance(v, BaseException):
            return {"kind": "exception", "type": type(v).__name__, "message": clean_message(v)}
        return {"kind": "other", "type": type(v).__name__, "repr": repr(v)}


def _timeout(signum, frame):
    raise TimeoutError(f"the case ran for more than {CASE_TIMEOUT_S} s")


def run_case(case, names, serialise, reset):
    np.random.seed(0)
    ns = dict(names, np=np)
    buf = io.StringIO()
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(case["code"], f"<case {case['name']}>", "exec"), ns)
            if case["result"] not in ns:
                raise NameError(f"the case did not bind {case['result']!r}")
            result = serialise(ns[case["result"]])
        reset()  # MXNet reports an asynchronous error at the next wait
        out = {"result": result}
    except BaseException as e:  # noqa: BLE001  (an error is a result to compare)
        if isinstance(e, KeyboardInterrupt):
            raise
        tb = traceback.extract_tb(e.__traceback__)
        line = next((f.line for f in reversed(tb) if f.filename.startswith("<case")), None)
        out = {"result": {"kind": "error", "type": type(e).__name__,
                          "message": clean_message(e), "line": line}}
        try:
            reset()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        signal.alarm(0)
    out["stdout"] = buf.getvalue()
    out["name"] = case["name"]
    return out


def main():
    lib, cases_file, out_file = sys.argv[1:4]
    names, ndarray_type, reset, _ = load_library(lib)
    serialise = Serialiser(ndarray_type)
    signal.signal(signal.SIGALRM, _timeout)
    with open(cases_file) as f:
        cases = json.load(f)
    with open(out_file, "a") as out:
        for case in cases:
            out.write(json.dumps(run_case(case, names, serialise, reset)) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
