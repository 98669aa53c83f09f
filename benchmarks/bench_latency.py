"""Compile latency and call overhead, each first-call figure measured in a fresh process.

    python benchmarks/bench_latency.py [--out DIR]

* ``import tracegrad``;
* first ``value_and_grad`` call of the MLP loss (256x784 -> 512 -> 10): empty cache, warm
  disk cache, and with tiered execution (``TRACEGRAD_TIERS=on``) both ways;
* the first 10 calls of a new signature, tiered against blocking;
* a new batch size in a warm process (re-trace, no compile), against JAX's recompile;
* tracing time, the interpreter's cached call on the MLP loss (the baseline of the
  compiler issue), and a cached call on a tiny input against JAX's;
* an eager MLP training loop with and without compiled eager loops.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from harness import interleaved, optional, write_report  # noqa: E402

FIRST_CALL = r"""
import json, sys, time
t0 = time.perf_counter()
import tracegrad
t_import = time.perf_counter() - t0
from tests import functions as F
params, X, y = F.mlp_data(256, 784, 512, 10, dtype="float32")
g = tracegrad.value_and_grad(F.mlp_loss)
times = []
for i in range(10):
    t = time.perf_counter()
    g(params, X, y)[0].asscalar()
    times.append(time.perf_counter() - t)
print(json.dumps({"import": t_import, "first": times[0], "ten": sum(times),
                  "info": tracegrad.cache_info()}))
"""


# numba's CPU target imports scipy.linalg at start-up when SciPy is installed (to find a BLAS
# for np.dot in jitted code): +0.2 s on the first kernel load. A user's minimal install
# (numpy, numba) has no SciPy; the benchmark venv has it (JAX needs it). This prelude makes
# SciPy unimportable in one measured process, to show both.
NO_SCIPY = "import sys; sys.modules['scipy'] = None\n"


def fresh(cache_dir: str, tiers: str, prelude: str = "") -> dict:
    env = dict(os.environ, TRACEGRAD_CACHE_DIR=cache_dir, TRACEGRAD_TIERS=tiers,
               PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", prelude + FIRST_CALL], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_calls() -> list[dict]:
    rows = []
    for tiers in ("blocking", "on"):
        with tempfile.TemporaryDirectory() as d:
            cold = fresh(d, tiers)
            if tiers == "on":
                time.sleep(0)  # the compile process of the cold run has filled the cache
            warm = fresh(d, tiers)
            runs = [("empty cache", cold), ("warm cache", warm)]
            if tiers == "blocking":
                runs.append(("warm cache, no SciPy installed", fresh(d, tiers, NO_SCIPY)))
        for label, r in runs:
            rows.append({"measure": f"first MLP value_and_grad call, {label}, tiers={tiers}",
                         "seconds": r["first"], "first 10 calls (s)": r["ten"],
                         "import tracegrad (s)": r["import"]})
    return rows


PHASES = r"""
import collections, json, sys, tempfile, importlib.util
import numba
import tracegrad
from tests import functions as F
from tracegrad._compiler.backends.numba_cpu import jobs, kernels, lowering
from tracegrad._compiler.backends.numba_cpu.vmath import FASTMATH
from tracegrad._compiler.schedule.fusion import fuse
params, X, y = F.mlp_data(256, 784, 512, 10, dtype="float32")
low = tracegrad.value_and_grad(F.mlp_loss).lower(params, X, y)
total = collections.Counter()
folder = tempfile.mkdtemp()
for n, job in enumerate(jobs.kernel_jobs(fuse(low.optimized_ir, lowering.can_fuse))):
    path = f"{folder}/k{n}.py"
    open(path, "w").write(job["source"])
    spec = importlib.util.spec_from_file_location(f"k{n}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    d = numba.njit(fastmath=FASTMATH, error_model="numpy",
                   parallel=job["variant"] == "parallel")(getattr(mod, "kernel_" + job["variant"]))
    d.compile(kernels.signature(*job["arguments"]))
    for name, t in d.overloads[d.signatures[0]].metadata["pipeline_times"]["nopython"].items():
        total[name.split("_", 1)[1]] += t.run
print(json.dumps(total))
"""


def compile_phases() -> list[dict]:
    """Where numba's time goes when it compiles the MLP step's kernels (fresh, no cache)."""
    env = dict(os.environ, TRACEGRAD_TIERS="blocking", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", PHASES], env=env, capture_output=True,
                         text=True, check=True)
    total = json.loads(out.stdout.strip().splitlines()[-1])
    groups = {"numba IR to LLVM, LLVM optimisation and machine code": ("native_lowering",),
              "type inference": ("nopython_type_inference",),
              "inlining the vmath functions (numba IR level)": ("inline_inlinables",),
              "numba IR rewrites and SSA": ("nopython_rewrites", "reconstruct_ssa",
                                            "dead_branch_prune", "rewrite_semantic_constants")}
    rows = []
    for label, names in groups.items():
        rows.append({"measure": f"compile phase, MLP kernels: {label}",
                     "seconds": sum(total.pop(n, 0.0) for n in names)})
    rows.append({"measure": "compile phase, MLP kernels: everything else",
                 "seconds": sum(total.values())})
    return rows


def in_process() -> list[dict]:
    import tracegrad
    from tests import functions as F
    from tracegrad import autograd, nd

    tracegrad.config.tiers = "blocking"  # these rows measure the compiled path itself
    rows = []
    params, X, y = F.mlp_data(256, 784, 512, 10, dtype="float32")
    g = tracegrad.value_and_grad(F.mlp_loss)
    g(params, X, y)
    compiles = tracegrad.cache_info()["compiles"]
    p2, X2, y2 = F.mlp_data(128, 784, 512, 10, dtype="float32")
    t = time.perf_counter()
    g(p2, X2, y2)
    rows.append({"measure": "new batch size (256 -> 128), warm process", "seconds":
                 time.perf_counter() - t, "numba compiles": tracegrad.cache_info()["compiles"]
                 - compiles})
    entry = next(iter(g.cache.values()))
    rows.append({"measure": "trace + differentiate + optimise the MLP loss",
                 "seconds": entry.trace_seconds})
    jax = optional("jax")
    if jax is not None:
        jnp = jax.numpy

        def jl(p, X, y):
            h = jax.nn.relu(X @ p[0] + p[1])
            lp = jax.nn.log_softmax(h @ p[2] + p[3], axis=1)
            return -jnp.take_along_axis(lp, y[:, None], axis=1).mean()
        jg = jax.jit(jax.value_and_grad(jl))
        for b in (256, 128):
            pp, XX, yy = F.mlp_data(b, 784, 512, 10, dtype="float32")
            args = ([jnp.asarray(p.asnumpy()) for p in pp], jnp.asarray(XX.asnumpy()),
                    jnp.asarray(yy.asnumpy().astype(np.int32)))
            t = time.perf_counter()
            jax.block_until_ready(jg(*args))
            if b == 128:
                rows.append({"measure": "JAX: new batch size (256 -> 128), warm process",
                             "seconds": time.perf_counter() - t})
    # interpreter path (the compiler issue's baseline) and tiny cached calls
    from tracegrad._compiler import settings

    old = settings.disable_jit
    settings.disable_jit = True
    gi = tracegrad.value_and_grad(F.mlp_loss)
    gi(params, X, y)
    ti = interleaved({"interp": lambda: gi(params, X, y)}, rounds=7)["interp"]
    settings.disable_jit = old
    rows.append({"measure": "cached call, MLP loss, interpreter path", "seconds": ti})
    f = tracegrad.jit(lambda a, b: a * b + 1.0)
    a, b = nd.array([1.0, 2.0]), nd.array([3.0, 4.0])
    f(a, b)
    systems = {"tracegrad": lambda: f(a, b)}
    if jax is not None:
        jf = jax.jit(lambda a, b: a * b + 1.0)
        ja, jb = jnp.asarray([1.0, 2.0]), jnp.asarray([3.0, 4.0])
        jf(ja, jb).block_until_ready()
        systems["jax"] = lambda: jf(ja, jb)
    tiny = interleaved(systems, rounds=15, inner=2000)
    for k, v in tiny.items():
        rows.append({"measure": f"cached jit call on a tiny input, {k}", "seconds": v,
                     "ratio to jax": v / tiny.get("jax", v)})
    # eager training loop, with and without compiled eager loops
    for after in (0, 3):
        tracegrad.config.compile_loops_after = after
        ps = [nd.array(p.asnumpy()) for p in params]
        for p in ps:
            p.attach_grad()

        def step(ps=ps):
            with autograd.record():
                loss = F.mlp_loss(ps, X, y)
            loss.backward()
            for p in ps:
                p[:] = p - 0.01 * p.grad
        for _ in range(5):
            step()
        rows.append({"measure": f"eager MLP training step, compile_loops_after={after}",
                     "seconds": interleaved({"s": step}, rounds=9)["s"]})
    tracegrad.config.compile_loops_after = 3
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args()
    rows = first_calls() + compile_phases() + in_process()
    for r in rows:
        print(f"{r['measure']:70s} {r['seconds'] * 1e3:10.2f} ms", file=sys.stderr)
    print(write_report("latency", rows, {}, args.out))


if __name__ == "__main__":
    main()
