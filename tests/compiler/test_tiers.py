"""Tiered execution: the interpreter answers while kernels compile in a child process and load
in a thread; the child never outlives the program that started it."""

import os
import signal
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
needs_numba = pytest.mark.skipif(settings.disable_jit, reason="TRACEGRAD_DISABLE_JIT is set")

PARENT = r"""
import sys, time
import tracegrad
from tests import functions as F
params, X, y = F.mlp_data(64, 30, 20, 5, dtype="float32")
g = tracegrad.value_and_grad(F.mlp_loss)
g(params, X, y)
exe = next(iter(g.cache.values())).optimized.cache["exe"]
print(exe.pending.proc.pid if exe.pending is not None else -1, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


@needs_numba
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_compile_child_runs_niced_and_dies_with_its_parent(tmp_path):
    env = dict(os.environ, TRACEGRAD_TIERS="on", TRACEGRAD_CACHE_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT))
    parent = subprocess.Popen([sys.executable, "-c", PARENT], env=env, stdout=subprocess.PIPE,
                              text=True)
    child = int(parent.stdout.readline())
    assert child > 0, "an empty cache must start a compile child"
    assert _alive(child)
    # a background compile runs niced: the interpreter's calls get the cores first
    deadline = time.time() + 10
    while os.getpriority(os.PRIO_PROCESS, child) < 10 and time.time() < deadline:
        time.sleep(0.01)
    assert os.getpriority(os.PRIO_PROCESS, child) >= 10
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 15
    while _alive(child) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the compile child outlived its killed parent"


@needs_numba
def test_a_warm_cache_loads_in_the_background(tmp_path, monkeypatch):
    monkeypatch.setattr(tracegrad.config, "cache_dir", str(tmp_path))
    f = lambda x: (nd.tanh(x) * nd.exp(-x * x)).sum()  # noqa: E731
    x = nd.array(np.linspace(-1, 1, 64), dtype="float64")
    expected = tracegrad.grad(f)(x).asnumpy()  # blocking: compiles into the cache
    monkeypatch.setattr(tracegrad.config, "tiers", "on")
    g = tracegrad.grad(f)
    first = g(x)
    exe = next(iter(g.cache.values())).optimized.cache["exe"]
    assert exe.pending is None  # warm: nothing to compile
    assert exe.last_tier == "interpreter" and exe._loader is not None  # loading, not waiting
    exe.wait()
    assert exe.error is None
    later = g(x)
    assert exe.last_tier == "compiled"
    np.testing.assert_allclose(first.asnumpy(), expected, rtol=1e-10)  # interpreter
    np.testing.assert_allclose(later.asnumpy(), expected, rtol=1e-12)


def test_loading_shortens_the_switch_interval_and_restores_it():
    # a busy interpreter thread would otherwise make the loader wait 5 ms for the GIL after
    # every file it reads (importing numba: seconds instead of a quarter of one)
    from tracegrad._compiler import tiers
    from tracegrad._compiler.backends import Backend, Lowered
    from tracegrad._compiler.backends.interpreter import BACKEND as interpreter
    from tracegrad._compiler.ir import Graph

    seen = []

    class Fast(Backend):
        def lower(self, graph):
            seen.append(sys.getswitchinterval())
            return Lowered(run=lambda args: ["fast"], source="")

    before = sys.getswitchinterval()
    exe = tiers.Tiered(Graph([], [], [], [], []), interpreter, Fast())
    exe([])
    exe.wait()
    assert seen == [pytest.approx(tiers.LOADING_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == before
    assert exe([]) == ["fast"] and exe.last_tier == "compiled"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_while_loading_restores_the_switch_interval_in_the_child():
    from tracegrad._compiler import tiers

    before = sys.getswitchinterval()
    with tiers._short_switch_interval():
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: no loader thread, its own interval back
            os.write(w, repr(sys.getswitchinterval()).encode())
            with tiers._short_switch_interval():  # the lock is usable
                pass
            os._exit(0)
        os.close(w)
        reported = float(os.read(r, 64).decode())
        os.waitpid(pid, 0)
    assert reported == before and sys.getswitchinterval() == before
