"""The persistent kernel cache and tiered execution, with real processes."""

import json
import os
import pickle
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tracegrad
from tracegrad import nd
from tracegrad._compiler import settings

ROOT = Path(__file__).resolve().parents[2]

# A small program run in fresh processes: prints JSON with its result and cache counters.
PROGRAM = """
import json, sys, warnings
warnings.simplefilter("always")
import tracegrad
from tracegrad import nd
from tracegrad._compiler.backends.numba_cpu import cache as kcache
f = tracegrad.value_and_grad(lambda x: (nd.tanh(x) * nd.exp(-x)).sum())
with warnings.catch_warnings(record=True) as caught:
    v, g = f(nd.arange(6) / 6.0)
print(json.dumps({"value": float(v.asscalar()), "grad": g.asnumpy().tolist(),
                  "info": tracegrad.cache_info(), "folder": kcache.cache_folder(),
                  "warnings": [str(w.message) for w in caught
                               if issubclass(w.category, kcache.CacheWarning)]}))
"""


def run_program(cache_dir, extra_env=None, wait=True):
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT),
               TRACEGRAD_TIERS="blocking")  # each program compiles (or loads) on its first call
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


WARM_THEN_NEW = PROGRAM.replace("print(json.dumps({", """
loaded_registries = "numba.np.arraymath" in sys.modules  # what numba's refresh imports
# a new kernel in the same process: numba's compiler refreshes the context itself
h = tracegrad.value_and_grad(lambda x: (nd.log1p(x * x) * 3.0).sum())
v2, g2 = h(nd.arange(6) / 6.0)
print(json.dumps({"loaded_registries": loaded_registries, "value2": float(v2.asscalar()),
""", 1)


def test_a_warm_load_skips_numbas_refresh_and_later_compiles_still_work(tmp_path):
    # loading a cached kernel links its library without installing numba's lowering
    # registries (0.4 s, half the warm first call); compiling afterwards is unaffected
    run_program(tmp_path)
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               TRACEGRAD_TIERS="blocking")
    out = json.loads(subprocess.run([sys.executable, "-c", WARM_THEN_NEW], env=env, check=True,
                                    capture_output=True, text=True).stdout.splitlines()[-1])
    assert out["loaded_registries"] is False
    assert out["info"]["disk_hits"] >= 1 and out["value"] == pytest.approx(expected(), 1e-6)
    x = np.arange(6) / 6.0
    assert out["value2"] == pytest.approx(float((np.log1p(x * x) * 3.0).sum()), 1e-6)


PARALLEL = """
import json, sys
import numpy as np
import tracegrad
from tracegrad import nd
x = nd.array(np.linspace(-3, 3, 50_000, dtype=np.float32))  # above parallel_min: prange
v, g = tracegrad.value_and_grad(lambda x: (nd.tanh(x) * nd.exp(-x)).sum())(x)
print(json.dumps({"value": float(v.asscalar()), "grad": g.asnumpy()[::997].tolist(),
                  "info": tracegrad.cache_info(),
                  "loaded_registries": "numba.np.arraymath" in sys.modules}))
"""


def test_a_parallel_kernel_loads_warm_without_the_refresh(tmp_path):
    # a parallel kernel needs numba's threading layer when it is linked: its reload hook
    # starts it, also without the context refresh
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               TRACEGRAD_TIERS="blocking")

    def run():
        proc = subprocess.run([sys.executable, "-c", PARALLEL], env=env, check=True,
                              capture_output=True, text=True)
        return json.loads(proc.stdout.splitlines()[-1])
    cold, warm = run(), run()
    assert cold["info"]["compiles"] >= 1 and warm["info"]["compiles"] == 0
    assert warm["loaded_registries"] is False
    assert warm["value"] == cold["value"] and warm["grad"] == cold["grad"]
    x = np.linspace(-3, 3, 50_000, dtype=np.float32).astype(np.float64)
    assert warm["value"] == pytest.approx(float((np.tanh(x) * np.exp(-x)).sum()), rel=1e-5)


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
    while exe.fast is None and time.time() < deadline:  # compiling, then loading, meanwhile
        assert f(x) is not None and exe.last_tier == "interpreter"
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


# -- trust: who may write the cache, and what is checked before numba unpickles it ------------

class _Payload:
    """A pickle that runs code when loaded: it creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def _platform_folder(cache_dir):
    (folder,) = [p for p in Path(cache_dir).iterdir() if p.is_dir()]
    return folder


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("tamper", ["after_manifest", "no_manifest"])
def test_a_planted_pickle_in_the_cache_never_runs(tmp_path, tamper):
    cache_dir, marker = tmp_path / "cache", tmp_path / "PWNED"
    run_program(cache_dir)
    index_files = list(cache_dir.rglob("*.nbi"))
    assert index_files
    for f in index_files:  # numba reads the version with pickle.load first: code runs there
        f.write_bytes(pickle.dumps(_Payload(marker)) + pickle.dumps(("stamp", {})))
    if tamper == "no_manifest":
        for m in cache_dir.rglob("*.manifest"):
            m.unlink()
    again = run_program(cache_dir)
    assert not marker.exists(), "numba unpickled a planted cache file"
    assert again["value"] == pytest.approx(expected(), 1e-6)
    assert any("integrity check" in w for w in again["warnings"]), again["warnings"]
    assert again["info"]["compiles"] >= 1  # rebuilt, not loaded
    warm = run_program(cache_dir)  # the rebuilt entries carry a valid manifest again
    assert warm["info"]["compiles"] == 0 and not warm["warnings"]
    assert not marker.exists()


def test_entries_carry_a_manifest_of_numbas_files(tmp_path):
    run_program(tmp_path)
    folder = _platform_folder(tmp_path)
    (manifest,) = folder.glob("tracegrad_k*.manifest")
    files = json.loads(manifest.read_text())["files"]
    on_disk = {p.name for p in (folder / "__pycache__").iterdir()}
    assert files and set(files) == on_disk  # every .nbi and .nbc, nothing else
    assert all(n.endswith((".nbi", ".nbc")) for n in files)
    nbc = next(folder.glob("__pycache__/*.nbc"))
    nbc.write_bytes(nbc.read_bytes()[:-1] + b"x")  # one flipped byte: same size, other hash
    again = run_program(tmp_path)
    assert again["value"] == pytest.approx(expected(), 1e-6)
    assert any("does not match the hash" in w for w in again["warnings"])


def test_folders_are_private_even_under_umask_002(tmp_path):
    old = os.umask(0o002)
    try:
        first = run_program(tmp_path / "cache")
    finally:
        os.umask(old)
    assert not first["warnings"]
    folder = _platform_folder(tmp_path / "cache")
    for d in (tmp_path / "cache", folder, folder / "__pycache__"):
        assert _mode(d) == 0o700, d
    for f in list(folder.glob("tracegrad_k*.*")) + list(folder.glob("__pycache__/*")):
        if f.suffix != ".lock":
            assert not _mode(f) & 0o077, f  # kernel source, manifest, numba's files: 0600
    assert run_program(tmp_path / "cache")["info"]["compiles"] == 0  # and it is used


def _make_unsafe(cache_dir, how):
    """Run once to create the folders, then open one of them up as ``how`` says."""
    run_program(cache_dir)
    target = {"root": cache_dir, "platform": _platform_folder(cache_dir),
              "pycache": _platform_folder(cache_dir) / "__pycache__"}[how[0]]
    if how[1] == "other_owner":
        os.chown(target, 4242, 4242)
    else:
        os.chmod(target, how[1])
    return target


@pytest.mark.parametrize("how, reason", [
    (("root", 0o777), "writable by group and others"),
    (("root", 0o770), "writable by group"),
    (("root", "other_owner"), "owned by another user"),
    (("platform", 0o757), "writable by others"),
    (("pycache", 0o775), "writable by group"),
], ids=["root-0777", "root-group-writable", "root-other-owner", "platform-0757",
        "pycache-group-writable"])
def test_an_unsafe_folder_is_refused_with_one_warning(tmp_path, how, reason):
    if how[1] == "other_owner" and os.geteuid() != 0:
        pytest.skip("chown to another user needs root")
    cache_dir = tmp_path / "cache"
    _make_unsafe(cache_dir, how)
    before = sorted(str(p) for p in cache_dir.rglob("*"))
    marker = tmp_path / "PWNED"
    for f in cache_dir.rglob("*.nbi"):  # whatever is there is not even opened
        f.write_bytes(pickle.dumps(_Payload(marker)))
    result = run_program(cache_dir)
    assert result["value"] == pytest.approx(expected(), 1e-6)
    assert len(result["warnings"]) == 1, result["warnings"]
    assert reason in result["warnings"][0] and "chmod 700" in result["warnings"][0]
    assert result["folder"] is None  # memory only
    assert result["info"]["compiles"] >= 1 and result["info"]["disk_hits"] == 0
    assert not marker.exists()
    assert sorted(str(p) for p in cache_dir.rglob("*")) == before  # nothing written there


@pytest.mark.parametrize("entry", ["py", "nbi", "nbc", "lock", "manifest"])
def test_an_entry_replaced_by_a_folder_is_rebuilt(tmp_path, entry):
    run_program(tmp_path)
    folder = _platform_folder(tmp_path)
    pattern = {"py": "tracegrad_k*.py", "nbi": "__pycache__/*.nbi", "nbc": "__pycache__/*.nbc",
               "lock": "tracegrad_k*.lock", "manifest": "tracegrad_k*.manifest"}[entry]
    victims = list(folder.glob(pattern))
    assert victims
    for v in victims:
        v.unlink()
        v.mkdir()
        (v / "inside").write_text("a folder where a cache file belongs")
    again = run_program(tmp_path)
    assert again["value"] == pytest.approx(expected(), 1e-6)
    if entry != "lock":  # the lock is only replaced; the others are repairs
        assert any("rebuilding" in w for w in again["warnings"]), again["warnings"]
    for pat in ("tracegrad_k*.py", "tracegrad_k*.manifest", "tracegrad_k*.lock",
                "__pycache__/*.nbi", "__pycache__/*.nbc"):
        found = list(folder.glob(pat))
        assert found and all(p.is_file() for p in found), pat
    assert run_program(tmp_path)["info"]["compiles"] == 0
