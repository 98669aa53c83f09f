"""Timing helpers shared by the benchmarks.

Systems are timed *interleaved*: round k runs every system once, in turn, so that a slow
moment of the machine hits all of them alike. The figure reported is the median over rounds,
and every workload has a baseline measured in the same run, so results are ratios.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

# Benchmarks time compiled kernels. With the default tiers ("on") the interpreter answers
# while the kernels compile in the background; on a cold cache (a new CODEGEN_VERSION, a new
# machine) that can outlast the warm-up, and the rounds would time the interpreter. Every
# benchmark imports this module before tracegrad.
os.environ.setdefault("TRACEGRAD_TIERS", "blocking")


def interleaved(systems: dict[str, Callable[[], object]], rounds: int = 15,
                inner: int = 1, warmup: int = 2, settle: int = 1,
                workers: list[Worker] | None = None) -> dict[str, float]:
    """Median seconds per call of each system (and of each live worker's step, timed in its
    own process, so that the pipe is not counted).

    In each round a system first makes ``settle`` untimed calls: on two cores the previous
    system's worker threads (JAX's, OpenBLAS's, numba's) keep spinning for a while after it
    returns, and its data has just displaced the caches, so without them the first call
    after a switch measured the previous system as much as this one (tracegrad's
    logsumexp: 0.79 ms median alone, 1.75 ms right after JAX)."""
    live = [w for w in workers or [] if w.proc is not None]
    for fn in systems.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in systems}
    samples.update({w.label: [] for w in live})
    for _ in range(rounds):
        for name, fn in systems.items():
            for _ in range(settle):
                fn()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner)
        for w in live:
            for _ in range(settle):
                w.step()
            samples[w.label].append(sum(w.step() for _ in range(inner)) / inner)
    return {name: statistics.median(v) for name, v in samples.items()}


def copy_bandwidth(nbytes: int = 1 << 27) -> float:
    """Measured bytes/second of a large memcpy (read + write counted)."""
    src = np.ones(nbytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    best = min(_time(lambda: np.copyto(dst, src)) for _ in range(5))
    return 2 * src.nbytes / best


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def machine() -> dict:
    info = {"python": sys.version.split()[0], "numpy": np.__version__,
            "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f
                               if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    for mod in ("numba", "llvmlite", "torch", "jax", "autograd"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001  (missing or broken: just not reported)
            pass
    info.update(vector_width())
    return info


def vector_width() -> dict:
    """The CPU as LLVM names it, its widest SIMD extension, and the widest float32 vector in
    a fused kernel that tracegrad actually compiled here (read from numba's LLVM IR)."""
    import re

    import llvmlite.binding as llvm

    import tracegrad
    from tracegrad import nd
    from tracegrad._compiler.backends.numba_cpu import kernels

    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    simd = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "SSE/other"
    import tempfile

    # a kernel loaded from the disk cache has no LLVM IR to read: compile the probe afresh
    saved = tracegrad.config.cache_dir, tracegrad.config.tiers
    with tempfile.TemporaryDirectory() as fresh:
        tracegrad.config.cache_dir, tracegrad.config.tiers = fresh, "blocking"
        try:
            f = tracegrad.value_and_grad(
                lambda w, x: (nd.log1p(nd.exp(-w * x)) + nd.tanh(x)).sum())
            f(nd.ones(4096), nd.ones(4096))
            lanes = 1
            for pair in list(kernels._KERNELS.values()):
                for d in pair:
                    if sum(d.stats.cache_hits.values()):  # loaded earlier: no IR to read
                        continue
                    for ir in d.inspect_llvm().values():
                        lanes = max([lanes] + [int(n) for n in
                                               re.findall(r"<(\d+) x float>", ir)])
        finally:
            tracegrad.config.cache_dir, tracegrad.config.tiers = saved
    return {"llvm cpu": llvm.get_host_cpu_name(), "simd": simd,
            "kernel vector width": f"{lanes} x float32 ({lanes * 32} bit)"}


def machine_line(info: dict) -> str:
    """One line naming the machine, for every table: CPU model, cores, vector width."""
    return (f"Machine: {info.get('cpu', '?')} ({info.get('llvm cpu', '?')}), "
            f"{info.get('cpus', '?')} cores, {info.get('simd', '?')}, kernels vectorised to "
            f"{info.get('kernel vector width', '?')}.")


def optional(name: str):
    """Import an optional peer, or return None with a note on stderr."""
    try:
        return __import__(name)
    except Exception as err:  # noqa: BLE001
        print(f"note: {name} not available ({type(err).__name__}); skipped", file=sys.stderr)
        return None


def write_report(name: str, rows: list[dict], meta: dict, out_dir: str) -> str:
    """Write ``<name>.json`` and ``<name>.md`` (a table) into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    info = machine()
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump({"machine": info, "meta": meta, "rows": rows}, f, indent=2)
    cols: list[str] = []
    for r in rows:  # the union of the rows' keys, in first-seen order
        cols += [c for c in r if c not in cols]
    lines = [machine_line(info), "", "| " + " | ".join(cols) + " |",
             "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, f"{name}.md"), "w") as f:
        f.write(text)
    return text


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def mxnet_times(workloads: list[str]) -> dict[str, float]:
    """Median seconds per workload from MXNet 1.9.1 in its own environment (``make
    mxnet-venv``), run in a subprocess; empty, with a note, when that environment is missing."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    python = root / ".venv-mxnet" / "bin" / "python"
    if not python.exists():
        print("note: MXNet 1.9.1 not available (run `make mxnet-venv`); skipped", file=sys.stderr)
        return {}
    proc = subprocess.run([str(python), str(root / "benchmarks" / "mxnet_worker.py"),
                           *workloads], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(f"note: the MXNet worker failed; skipped\n{proc.stderr[-2000:]}", file=sys.stderr)
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- peers in their own interpreters ----------------------------------------------------------

def serve(step: Callable[[], None], label: str) -> None:
    """A worker's loop: one step per line on stdin, its seconds on stdout. The parent
    interleaves these steps with its own systems, so every system sees the same moments of
    a busy machine."""
    for _ in range(3):
        step()
    print(json.dumps({"ready": label}), flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        t0 = time.perf_counter()
        step()
        print(time.perf_counter() - t0, flush=True)


class Worker:
    """A peer in its own interpreter (MXNet 1.9.1 needs numpy < 2; PyTorch may live in
    another environment): ``python script flag`` runs :func:`serve` there, stepping on
    request."""

    def __init__(self, python: Path | str | None, script: str, flag: str, missing: str) -> None:
        self.proc: subprocess.Popen | None = None
        self.label = ""
        if python is None or not Path(python).exists():
            print(f"note: {missing}; skipped", file=sys.stderr)
            return
        self.proc = subprocess.Popen([str(python), script, flag], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            print(f"note: the {flag} process failed; skipped", file=sys.stderr)
            self.proc = None
            return
        self.label = json.loads(line)["ready"]

    def step(self) -> float:
        """One training step there; its seconds as measured there (no pipe time)."""
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
