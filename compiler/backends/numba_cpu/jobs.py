"""Compile jobs: what a plan's kernels are (source, variant, argument types), and a child
process that compiles them into the disk cache.

numba's compiler holds the GIL for most of its work (LLVM's passes run in C without releasing
it), so a background *thread* stalls the caller: measured on the MLP loss, the first call
still took 3.1 s with a compiling thread. The work therefore goes to a child process. Writing
the kernels' source (fusion, codegen, files) is pure Python and cheap, and happens in the
caller before the child starts; this module never imports numba.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ...schedule.fusion import Plan
from . import cache
from .codegen import kernel_arguments, kernel_source, wants_parallel


def kernel_jobs(plan: Plan) -> list[dict]:
    """One job per kernel the driver will call: its source and the argument types."""
    jobs = []
    for step in plan.kernels:
        variant = "parallel" if wants_parallel(plan, step) else "serial"
        source, consts = kernel_source(step)
        jobs.append({"source": source, "variant": variant, "consts": consts,
                     "arguments": kernel_arguments(step, consts)})
    return jobs


def cold_jobs(jobs: list[dict]) -> list[dict]:
    """The jobs whose kernels are neither in this process nor in the disk cache."""
    out = []
    compiled = cache.compiled_files()
    for job in jobs:
        name, full = cache.module_name(job["source"])
        if name in sys.modules:  # imported: compiled here already, or about to be
            continue
        if cache.write_source(name, full) is not None and not any(
                f.startswith(f"{name}.kernel_{job['variant']}") for f in compiled):
            out.append(job)
    return out


def _child_command() -> list[str]:
    """``python -I`` (no working directory, no PYTHONPATH, no user site) importing the kernel
    compiler from the folder tracegrad itself came from: nothing in the user's folder runs."""
    top = sys.modules[__name__.partition(".")[0]]
    root = os.path.dirname(os.path.dirname(os.path.abspath(top.__file__ or "")))
    module = __name__.rpartition(".")[0] + ".kernels"
    code = "; ".join([
        # die with the parent: a program that exits (or is killed) while its kernels compile
        # leaves no orphan behind (Linux's PR_SET_PDEATHSIG; elsewhere the child just ends)
        "import os, signal, sys",
        "exec('try:\\n import ctypes; ctypes.CDLL(None).prctl(1, signal.SIGKILL)\\n"
        "except Exception: pass')",
        f"os.getppid() == {os.getpid()} or sys.exit(0)",
        # numba's first compile looks for a BLAS by importing scipy.linalg (0.19 s here);
        # kernels never call BLAS, and this process compiles nothing else
        "sys.modules['scipy'] = None",
        f"sys.path.insert(0, {root!r})",
        f"from {module} import main",
        # the kernels are in the cache once main() returns; the interpreter's own shutdown
        # (numba's and LLVM's) took 0.2 s more, which the parent waits for
        "main()", "sys.stderr.flush()", "os._exit(0)"])
    return [sys.executable, "-I", "-c", code]


class CompileProcess:
    """A child process compiling jobs into the disk cache (a backend's ``Pending``)."""

    def __init__(self, jobs: list[dict]) -> None:
        self.proc = subprocess.Popen(_child_command(), stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(jobs))
        self.proc.stdin.close()

    def ready(self) -> bool:
        return self.proc.poll() is not None

    def wait(self) -> None:
        self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def start_compiling(jobs: list[dict]) -> CompileProcess | None:
    """A child compiling the cold jobs, or None if every kernel is warm (or the cache is
    memory-only, so a child's work could not be shared)."""
    if cache.cache_folder() is None:
        return None
    cold = cold_jobs(jobs)
    return CompileProcess(cold) if cold else None
