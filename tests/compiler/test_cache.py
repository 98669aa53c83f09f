"""The persistent kernel cache and tiered execution, with real processes."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tracegrad._compiler import settings

import tracegrad
from tracegrad import nd

ROOT = Path(__file__).resolve().parents[2]

# A small program run in fresh processes: prints JSON with its result and cache counters.
PROGRAM = """
import json, sys, warnings
warnings.simplefilter("always")
import tracegrad
from tracegrad import nd
f = tracegrad.value_and_grad(lambda x: (nd.tanh(x) * nd.exp(-x)).sum())
with warnings.catch_warnings(record=True) as caught:
    v, g = f(nd.arange(6) / 6.0)
print(json.dumps({"value": float(v.asscalar()), "grad": g.asnumpy().tolist(),
                  "info": tracegrad.cache_info(),
                  "warnings": [str(w.message) for w in caught]}))
"""


def run_program(cache_dir, extra_env=None, wait=True):
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    env.update(extra_env or {})
    proc = subprocess.Popen([sys.executable, "-c", PROGRAM], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    return _result(proc)


def _result(proc):
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def expected():
    x = np.arange(6, dtype=np.float64) / 6.0
    return float((np.tanh(x) * np.exp(-x)).sum())


def kernel_files(cache_dir):
    return sorted(p.name for p in Path(cache_dir).rglob("tracegrad_k*.py"))


def test_warm_cache_in_a_new_process_compiles_nothing(tmp_path):
    cold = run_program(tmp_path)
    assert cold["info"]["compiles"] >= 1 and cold["value"] == pytest.approx(expected(), 1e-6)
    warm = run_program(tmp_path)
    assert warm["info"]["compiles"] == 0 and warm["info"]["disk_hits"] >= 1
    assert warm["grad"] == cold["grad"]


def test_processes_starting_together_share_one_entry(tmp_path):
    procs = [run_program(tmp_path, wait=False) for _ in range(3)]
    results = [_result(p) for p in procs]
    assert all(r["value"] == pytest.approx(expected(), 1e-6) for r in results)
    assert len(set(kernel_files(tmp_path))) == 1  # one kernel, written once, not corrupted
    # the lock serialised compilation: at most one process compiled, the others loaded it
    assert sum(r["info"]["compiles"] for r in results) <= len(results)
    assert run_program(tmp_path)["info"]["compiles"] == 0


def test_corrupt_entries_are_detected_and_rebuilt(tmp_path):
    run_program(tmp_path)
    (src,) = list(Path(tmp_path).rglob("tracegrad_k*.py"))
    src.write_text(src.read_text()[:40])  # truncated source
    for f in Path(tmp_path).rglob("*.nb*"):
        f.write_bytes(b"garbage")  # numba's index and data files
    again = run_program(tmp_path)
    assert again["value"] == pytest.approx(expected(), 1e-6)
    assert any("rebuilding" in w for w in again["warnings"])
    for f in Path(tmp_path).rglob("*.nbi"):
        f.write_bytes(b"")  # an empty (truncated) index alone
    assert run_program(tmp_path)["value"] == pytest.approx(expected(), 1e-6)


def test_unwritable_folder_degrades_to_memory_with_one_warning(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run_program(blocker / "cache")
    assert result["value"] == pytest.approx(expected(), 1e-6)
    assert sum("cannot be written" in w for w in result["warnings"]) == 1


def test_cache_info_clear_and_command_line(tmp_path, monkeypatch):
    run_program(tmp_path)
    monkeypatch.setattr(tracegrad.config, "cache_dir", str(tmp_path))
    info = tracegrad.cache.info()
    assert info["kernels"] == 1 and info["bytes"] > 0 and info["writable"]
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "tracegrad", "cache"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "kernels: 1" in out and str(tmp_path) in out
    tracegrad.cache.clear()
    assert tracegrad.cache.info()["kernels"] == 0


def test_tiered_execution_answers_first_from_the_interpreter(tmp_path, monkeypatch):
    monkeypatch.setattr(tracegrad.config, "cache_dir", str(tmp_path))
    monkeypatch.setattr(tracegrad.config, "tiers", "on")
    f = tracegrad.value_and_grad(lambda x: (nd.sigmoid(x) * nd.log1p(x * x)).sum())
    x = nd.array(np.linspace(-2, 2, 50), dtype="float64")
    first = f(x)
    assert "1 interpreter" in f.explain()
    exe = next(iter(f.cache.values())).optimized.cache["exe"]
    deadline = time.time() + 120
    while not exe.ready() and time.time() < deadline:
        time.sleep(0.2)
    later = f(x)
    assert "compiled" in f.explain()
    for a, b in zip(first, later):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-12)
    assert json.dumps(settings.NJIT_OPTIONS)  # the options are plain data (part of the key)


def test_settings_and_vmath_agree_on_fastmath_flags():
    from tracegrad._compiler.backends.numba_cpu.vmath import FASTMATH

    assert set(settings.NJIT_OPTIONS["fastmath"]) == set(FASTMATH)
    assert not {"nnan", "ninf", "fast"} & set(FASTMATH)
