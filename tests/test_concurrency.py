"""Threads, forks and processes: the kernel cache, the tracing state and numba's threading
layer under concurrent use.

Races at a first call only show in a process that has not loaded anything yet, so most tests
run a small script in a fresh interpreter (with its own cache folder) and read its JSON.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import pytest

import tracegrad
from tracegrad import autograd, nd
from tracegrad._compiler import prims as P
from tracegrad._compiler.backends.numba_cpu import cache
from tracegrad._compiler.core import ShapedArray
from tracegrad._compiler.frontend.tracing import trace

ROOT = Path(__file__).resolve().parents[1]
THREADS = 8


def run_script(code, cache_dir, env=None, timeout=240, wait=True, **popen):
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON."""
    full_env = dict(os.environ, TRACEGRAD_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT),
                    TRACEGRAD_TIERS="blocking")  # kernels compile (or load) on the first call
    for key, value in (env or {}).items():  # None: not set at all
        full_env.pop(key, None) if value is None else full_env.__setitem__(key, value)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    if not wait:
        return proc
    return result_of(proc, timeout)


def result_of(proc, timeout=240):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the script hung for {timeout} s:\n{err[-3000:]}")
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache folder for the tests that are not about a cold cache."""
    return tmp_path_factory.mktemp("kernels")


# -- the kernel cache under threads -----------------------------------------------------------

def test_atomic_writes_from_many_threads_never_collide(tmp_path):
    path = str(tmp_path / "entry.py")
    texts = [f"# writer {i}\n" + "x = 1\n" * 2000 for i in range(THREADS)]
    errors, barrier = [], threading.Barrier(THREADS)

    def writer(i):
        barrier.wait()
        try:
            for _ in range(40):
                cache.write_atomic(path, texts[i])
        except Exception as err:  # noqa: BLE001
            errors.append(repr(err))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Path(path).read_text() in texts  # one whole text, never a mix or a part
    assert [p.name for p in tmp_path.iterdir()] == ["entry.py"]  # no temporary left


def test_write_source_from_many_threads_gives_no_spurious_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(tracegrad.config, "cache_dir", str(tmp_path))
    entries = [cache.module_name(f"# {uuid.uuid4()}\n" + "y = 2\n" * 5000) for _ in range(20)]
    errors, barrier = [], threading.Barrier(THREADS)

    def work():
        for name, full in entries:  # all threads write each new entry at the same moment
            barrier.wait()
            try:
                cache.write_source(name, full)
            except Exception as err:  # noqa: BLE001
                errors.append(repr(err))

    with warnings.catch_warnings(record=True) as caught:  # one catcher: it is process-wide
        warnings.simplefilter("always")
        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert [str(w.message) for w in caught if issubclass(w.category, cache.CacheWarning)] == []
    for name, full in entries:
        assert Path(cache.cache_folder(), f"{name}.py").read_text() == full


def _slow_kernel_source():
    """A kernel module whose import takes a while, so that threads meet while it loads."""
    return textwrap.dedent(f"""\
        # {uuid.uuid4()}
        import time
        import numba
        time.sleep(0.3)

        def kernel_serial(x, out, n, nthreads):
            for i in range(n):
                out[i] = x[i] * 2.0 + 1.0

        def kernel_parallel(x, out, n, nthreads):
            for i in numba.prange(n):
                out[i] = x[i] * 2.0 + 1.0
        """)


def _together(fn):
    """Run ``fn()`` in THREADS threads released at once; their results (or exceptions)."""
    results, barrier = [None] * THREADS, threading.Barrier(THREADS)

    def work(i):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as err:  # noqa: BLE001
            results[i] = err

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_threads_never_see_a_half_loaded_kernel_module(tmp_path, monkeypatch):
    monkeypatch.setattr(tracegrad.config, "cache_dir", str(tmp_path))
    name, full = cache.module_name(_slow_kernel_source())
    results = _together(lambda: cache.load_module(name, full)[0])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r is results[0] for r in results)  # one module, loaded once
    assert all(hasattr(r, "kernel_serial") and hasattr(r, "kernel_parallel") for r in results)


def test_threads_share_one_dispatcher_and_compile_each_signature_once(tmp_path, monkeypatch):
    from tracegrad._compiler.backends.numba_cpu import kernels

    monkeypatch.setattr(tracegrad.config, "cache_dir", str(tmp_path))
    source = _slow_kernel_source()
    pairs = _together(lambda: kernels.kernel_functions(source))
    assert not [r for r in pairs if isinstance(r, Exception)], pairs
    assert all(p[0] is pairs[0][0] and p[1] is pairs[0][1] for p in pairs)
    serial = pairs[0][0]
    sig = kernels.signature([("float64", 1), ("float64", 1)], 2, [])
    name = cache.module_name(source)[0]
    outcome = _together(lambda: kernels.ensure_compiled(serial, sig))
    assert not [r for r in outcome if isinstance(r, Exception)], outcome
    assert [e for e in kernels.COMPILE_LOG if e[0] == name] and \
        len([e for e in kernels.COMPILE_LOG if e[0] == name]) == 1  # compiled (or loaded) once
    x, out = np.arange(5.0), np.empty(5)
    serial(x, out, 5, 1)
    np.testing.assert_array_equal(out, x * 2 + 1)


FIRST_CALL = """
    import json, os, sys, threading, time, warnings
    import numpy as np
    warnings.simplefilter("always")
    import tracegrad
    from tracegrad import nd
    tiers = os.environ["TRACEGRAD_TIERS"]

    def loss(x):
        return (nd.sigmoid(x) * nd.log1p(x * x) - nd.tanh(x) * 0.25).sum()

    shared = tracegrad.value_and_grad(loss)
    x = np.linspace(-2, 2, 64)
    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        try:
            f = shared if i % 2 else tracegrad.value_and_grad(loss)  # shared and own
            results[i], after, deadline = [], 0, time.time() + 120
            while after < 3 and time.time() < deadline:  # on: until kernels serve calls
                v, g = f(nd.array(x, dtype="float64"))
                results[i].append([float(v.asscalar()), g.asnumpy().tolist()])
                kernels = sys.modules.get("tracegrad._compiler.backends.numba_cpu.kernels")
                after += 3 if tiers == "blocking" else bool(getattr(kernels, "COMPILE_LOG", 0))
                time.sleep(0.02)
        except Exception as err:
            errors.append(repr(err))

    with warnings.catch_warnings(record=True) as caught:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
    print(json.dumps({"results": results, "errors": errors, "info": tracegrad.cache_info(),
                      "warnings": [str(w.message) for w in caught
                                   if w.category.__name__ == "CacheWarning"]}))
"""


def _first_call_expected():
    x = np.linspace(-2, 2, 64)
    s = 1 / (1 + np.exp(-x))
    value = float((s * np.log1p(x * x) - np.tanh(x) * 0.25).sum())
    grad = s * (1 - s) * np.log1p(x * x) + s * 2 * x / (1 + x * x) - 0.25 * (1 - np.tanh(x) ** 2)
    return value, grad


@pytest.mark.parametrize("tiers", ["blocking", pytest.param("on", marks=pytest.mark.slow)])
def test_eight_threads_make_the_first_jit_call_at_once(tmp_path, tiers):
    # tiers on: the interpreter answers while kernels compile in a child; loader threads
    # then import them, racing the callers and each other
    out = run_script(FIRST_CALL, tmp_path, env={"TRACEGRAD_TIERS": tiers})
    assert out["errors"] == [] and out["warnings"] == []
    assert out["info"]["compiles"] + out["info"]["disk_hits"] >= 1  # kernels were loaded
    value, grad = _first_call_expected()
    for per_thread in out["results"]:
        for v, g in per_thread:
            assert v == pytest.approx(value, rel=1e-12)
            np.testing.assert_allclose(g, grad, rtol=1e-10, atol=1e-12)


EAGER_TRAINING = """
    import json, threading
    import numpy as np
    import tracegrad
    from tracegrad import autograd, loops, nd
    tracegrad.config.compile_loops_after = 2

    def train(seed, steps=6, barrier=None):
        rng = np.random.default_rng(seed)
        arr = lambda a: nd.array(a, dtype="float64")
        params = [arr(rng.normal(0, .5, s)) for s in [(6, 5), (5,), (5, 3), (3,)]]
        X, y = arr(rng.normal(size=(8, 6))), arr(rng.integers(0, 3, 8))
        for p in params:
            p.attach_grad()
        for step in range(steps):
            if step == 0 and barrier is not None:
                barrier.wait()  # the tape is counted across threads: compiles start here
            with autograd.record():
                h = nd.tanh(nd.dot(X, params[0]) + params[1])
                logits = nd.dot(h, params[2]) + params[3]
                loss = -nd.pick(nd.log_softmax(logits, axis=1), y, axis=1).mean()
            loss.backward()
            params = [arr(p.asnumpy() - 0.1 * p.grad.asnumpy()) for p in params]
            for p in params:
                p.attach_grad()
        return [p.asnumpy().tolist() for p in params]

    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def work(i):
        try:
            results[i] = train(i, barrier=barrier)
        except Exception as err:
            errors.append(repr(err))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    compiled = loops.STATS["compiled_backwards"]
    tracegrad.config.compile_loops_after = 0  # the reference: the tape walked op by op
    reference = [train(i) for i in range(8)]
    print(json.dumps({"results": results, "reference": reference, "errors": errors,
                      "compiled_backwards": compiled}))
"""


def test_eight_threads_train_eagerly_with_compiled_loops(tmp_path):
    out = run_script(EAGER_TRAINING, tmp_path)
    assert out["errors"] == []
    assert out["compiled_backwards"] >= 8  # the threads did run compiled backward passes
    for got, want in zip(out["results"], out["reference"]):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# -- the tracing state is per thread ----------------------------------------------------------

def test_tracing_in_some_threads_leaves_eager_random_in_others_concrete():
    stop, problems = threading.Event(), []
    aval = ShapedArray((4,), np.dtype("float64"))

    def fn(x):
        time.sleep(0.0005)  # the trace is open: let the eager threads draw now
        u = nd.random.uniform(shape=(4,), dtype="float64")
        return [P.add(x, u._data)]

    def tracer_thread():
        while not stop.is_set():
            try:
                prims = [e.prim.name for e in trace(fn, [aval]).eqns]
                if prims != ["random_uniform", "add"]:
                    problems.append(f"trace captured {prims}")
            except Exception as err:  # noqa: BLE001
                problems.append(f"trace: {err!r}")
            time.sleep(0.0005)  # leave the eager threads time to run

    def eager_thread(results):
        for _ in range(300):
            try:
                u = nd.random.uniform(shape=(3,), dtype="float64").asnumpy()
                with autograd.train_mode():
                    d = nd.Dropout(nd.ones((4,), dtype="float64"), p=0.5).asnumpy()
                results.append(bool(((u >= 0) & (u < 1)).all()
                                    and np.isin(d, [0.0, 2.0]).all()))
            except Exception as err:  # noqa: BLE001
                problems.append(f"eager: {err!r}")

    results: list = []
    tracers = [threading.Thread(target=tracer_thread) for _ in range(4)]
    eagers = [threading.Thread(target=eager_thread, args=(results,)) for _ in range(4)]
    for t in tracers + eagers:
        t.start()
    for t in eagers:
        t.join()
    stop.set()
    for t in tracers:
        t.join()
    assert problems[:3] == [] and len(results) == 4 * 300 and all(results)


def test_concurrent_jitted_traces_each_draw_their_own_random_numbers(monkeypatch):
    from tracegrad._compiler import executor

    executor.set_backend("interpreter")  # this test is about tracing, not kernels
    try:
        problems, draws = [], []

        def work(seed):
            try:
                for i in range(30):
                    # a new function each time: every call traces
                    def fn(x, k=i):
                        time.sleep(0.002)  # let the other threads' traces interleave
                        return x * 0 + nd.random.uniform(shape=(5,), dtype="float64") + k

                    f = tracegrad.jit(fn)
                    a = f(nd.zeros((5,), dtype="float64")).asnumpy() - i
                    b = f(nd.zeros((5,), dtype="float64")).asnumpy() - i
                    if not (((a >= 0) & (a < 1)).all() and not np.array_equal(a, b)):
                        problems.append(f"draws {a} {b}")
                    draws.append(a)
            except Exception as err:  # noqa: BLE001
                problems.append(repr(err))

        threads = [threading.Thread(target=work, args=(s,)) for s in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        executor.set_backend(None)
    assert problems == [] and len(draws) == THREADS * 30


# -- numba's threading layer: forks and concurrent parallel kernels ----------------------------

PARALLEL = """
    import json, multiprocessing, os, sys, threading, time, warnings
    import numpy as np
    %(prelude)s
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import tracegrad
        from tracegrad import nd
        f = tracegrad.jit(lambda x: (nd.log1p(nd.exp(-x * 1.5)) + nd.tanh(x) * 0.5).sum())
        x = np.linspace(-3, 3, 200_000)  # above parallel_min: the parallel kernel runs
        first = float(f(nd.array(x, dtype="float64")).asscalar())
    import numba
    layer = numba.threading_layer()  # raises unless a parallel kernel ran

    def compute(scale):
        return float(f(nd.array(x * scale, dtype="float64")).asscalar())

    out = {"layer": layer, "first": first,
           "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}
    %(body)s
    print(json.dumps(out))
"""

FORKS = """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child runs the parallel kernel again
        os.close(r)
        os.write(w, json.dumps([compute(1.0), compute(0.5)]).encode())
        os._exit(0)
    os.close(w)
    deadline = time.time() + 60
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        status = -1
    data = os.read(r, 1 << 16)
    out["fork"] = {"status": status, "values": json.loads(data) if data else None}
    with multiprocessing.get_context("fork").Pool(2) as pool:
        out["pool"] = pool.map_async(compute, [1.0, 0.5, 2.0]).get(timeout=60)
    out["here"] = [compute(1.0), compute(0.5), compute(2.0)]
"""

THREADED = """
    errors, values = [], []
    barrier = threading.Barrier(8)
    def work():
        barrier.wait()
        try:
            for _ in range(20):
                values.append(compute(1.0))
        except Exception as err:
            errors.append(repr(err))
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    out["threads"] = {"errors": errors, "values": values}
"""

NO_TBB = "sys.modules['numba.np.ufunc.tbbpool'] = None  # as if tbb were not installed"


def _expected_parallel(scale=1.0):
    x = np.linspace(-3, 3, 200_000) * scale
    return float((np.log1p(np.exp(-x * 1.5)) + np.tanh(x) * 0.5).sum())


def _run_parallel(cache_dir, body, prelude="", env=None):
    env = dict({"NUMBA_THREADING_LAYER": None}, **(env or {}))  # tracegrad's choice by default
    return run_script(PARALLEL % {"prelude": prelude, "body": textwrap.indent(
        textwrap.dedent(body), "    ").strip()}, cache_dir, env=env, timeout=300)


def _check_forks(out):
    assert out["fork"]["status"] == 0, out
    want = [_expected_parallel(1.0), _expected_parallel(0.5)]
    assert out["fork"]["values"] == pytest.approx(want, rel=1e-10)
    assert out["pool"] == out["here"]  # the pool's children computed exactly what we do
    assert out["here"] == pytest.approx(
        [_expected_parallel(s) for s in (1.0, 0.5, 2.0)], rel=1e-10)


def test_fork_after_a_parallel_kernel(shared_cache):
    out = _run_parallel(shared_cache, FORKS)
    assert out["layer"] in ("tbb", "workqueue")  # fork-safe layers
    assert out["first"] == pytest.approx(_expected_parallel(), rel=1e-10)
    _check_forks(out)


def test_parallel_kernels_from_eight_threads_at_once(shared_cache):
    out = _run_parallel(shared_cache, THREADED)
    assert out["threads"]["errors"] == []
    assert len(out["threads"]["values"]) == 8 * 20
    assert out["threads"]["values"] == pytest.approx([out["first"]] * 160, rel=1e-12)


def test_without_tbb_workqueue_with_a_lock_forks_and_threads_safely(shared_cache):
    out = _run_parallel(shared_cache, FORKS + THREADED, prelude=NO_TBB)
    assert out["layer"] == "workqueue"
    layer_warnings = [w for w in out["warnings"] if w.startswith("ThreadingLayerWarning")]
    assert len(layer_warnings) == 1 and "pip install tbb" in layer_warnings[0]
    _check_forks(out)
    assert out["threads"]["errors"] == [] and len(out["threads"]["values"]) == 160
    assert out["threads"]["values"] == pytest.approx([out["first"]] * 160, rel=1e-12)


def test_a_users_threading_layer_is_respected(shared_cache):
    out = _run_parallel(shared_cache, "", env={"NUMBA_THREADING_LAYER": "workqueue"})
    assert out["layer"] == "workqueue"
    assert not [w for w in out["warnings"] if w.startswith("ThreadingLayerWarning")]


# -- processes ---------------------------------------------------------------------------------

PROCESS = """
    import json
    import numpy as np
    import tracegrad
    from tracegrad import nd
    f = tracegrad.value_and_grad(lambda x: (nd.sigmoid(x) * nd.cos(x) + nd.exp(-x * x)).sum())
    v, g = f(nd.array(np.linspace(-1, 1, 50), dtype="float64"))
    print(json.dumps({"value": float(v.asscalar()), "grad": g.asnumpy().tolist(),
                      "info": tracegrad.cache_info()}))
"""


def test_four_processes_compile_on_one_empty_cache(tmp_path):
    procs = [run_script(PROCESS, tmp_path, wait=False) for _ in range(4)]
    results = [result_of(p) for p in procs]
    assert all(r["value"] == results[0]["value"] and r["grad"] == results[0]["grad"]
               for r in results)
    x = np.linspace(-1, 1, 50)
    want = (1 / (1 + np.exp(-x)) * np.cos(x) + np.exp(-x * x)).sum()
    assert results[0]["value"] == pytest.approx(want, rel=1e-12)
    kernels = sorted(p.name for p in tmp_path.rglob("tracegrad_k*.py"))
    assert len(kernels) == len(set(kernels)) >= 1
    assert all(p.is_file() for p in tmp_path.rglob("tracegrad_k*.manifest"))
    assert run_script(PROCESS, tmp_path)["info"]["compiles"] == 0  # one good entry, shared


def _held(lock_file):
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


def test_a_process_killed_while_compiling_leaves_a_working_cache(tmp_path):
    proc = run_script(PROCESS, tmp_path, wait=False, start_new_session=True)
    deadline, killed = time.time() + 120, False
    while time.time() < deadline and proc.poll() is None:
        if any(_held(lock) for lock in tmp_path.rglob("tracegrad_k*.lock")):
            os.killpg(proc.pid, signal.SIGKILL)  # the process and its compile child
            killed = True
            break
        time.sleep(0.01)
    proc.communicate()
    if not killed:
        pytest.skip("the process finished before a compile could be caught")
    assert proc.returncode == -signal.SIGKILL
    locks = list(tmp_path.rglob("tracegrad_k*.lock"))
    assert locks and not any(_held(lock) for lock in locks)  # the kernel released them
    after = run_script(PROCESS, tmp_path, timeout=180)
    x = np.linspace(-1, 1, 50)
    want = (1 / (1 + np.exp(-x)) * np.cos(x) + np.exp(-x * x)).sum()
    assert after["value"] == pytest.approx(want, rel=1e-12)
    assert run_script(PROCESS, tmp_path)["info"]["compiles"] == 0
