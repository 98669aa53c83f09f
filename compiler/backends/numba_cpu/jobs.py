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


def _child_command(background: bool = False) -> list[str]:
    """``python -I`` (no working directory, no PYTHONPATH, no user site) importing the kernel
    compiler from the folder tracegrad itself came from: nothing in the user's folder runs.
    A ``background`` child (tiers: the interpreter answers meanwhile) runs at a lower
    priority, so that the calls it serves get the cores first."""
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
        *(["exec('try:\\n os.nice(10)\\nexcept Exception: pass')"] if background else []),
        # numba's first compile looks for a BLAS by importing scipy.linalg (0.19 s here);
        # kernels never call BLAS, and this process compiles nothing else
        "sys.modules['scipy'] = None",
        f"sys.path.insert(0, {root!r})",
        # only the compiler is needed here: a bare package stands in for the top package,
        # whose __init__ imports the whole front end (0.07-0.1 s)
        "import types",
        f"top = types.ModuleType({top.__name__!r}); top.__path__ = {list(top.__path__)!r}",
        f"sys.modules[{top.__name__!r}] = top",
        f"from {module} import main",
        # the kernels are in the cache once main() returns; the interpreter's own shutdown
        # (numba's and LLVM's) took 0.2 s more, which the parent waits for
        "main()", "sys.stderr.flush()", "os._exit(0)"])
    return [sys.executable, "-I", "-c", code]


class CompileProcess:
    """A child process compiling jobs into the disk cache (a backend's ``Pending``)."""

    def __init__(self, jobs: list[dict], background: bool = False) -> None:
        self.proc = subprocess.Popen(_child_command(background), stdin=subprocess.PIPE,
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


class Shared:
    """Cold kernels compiled on both cores (see :func:`share_with_a_child`): ``mine`` this
    process compiles, ``child`` compiles ``theirs`` (largest first), and :meth:`steal`
    hands this process those of them it had better compile itself."""

    def __init__(self, mine: list[dict], theirs: list[dict]) -> None:
        self.mine = mine
        self.theirs = theirs
        self.child = CompileProcess(theirs) if theirs else None

    def steal(self) -> dict | None:
        """The child's smallest kernel it has not started, if the child has at least as much
        other work not started (else the child is about as close to it as this process:
        taking it made the MLP's first call 0.15 s slower); None to wait for the child."""
        waiting = [j for j in cold_jobs(self.theirs) if not _started(j)]
        if not waiting:
            return None
        smallest = waiting[-1]
        if sum(len(j["source"]) for j in waiting[:-1]) < len(smallest["source"]):
            return None
        self.theirs = [j for j in self.theirs if j is not smallest]
        return smallest


def _started(job: dict) -> bool:
    """Whether a process is compiling ``job`` now (it holds the kernel's file lock)."""
    path = cache.lock_path(cache.module_name(job["source"])[0])
    return path is not None and cache.is_locked(path)


def share_with_a_child(jobs: list[dict]) -> Shared:
    """Start compiling ``jobs``' cold kernels on both cores: numba compiles on one core, and
    this machine has two. Called before this process imports numba (0.15-0.3 s), so that
    the child starts at once.

    With two or more to compile, this process compiles the largest (it bounds the wait), and
    a child process compiles the others into the disk cache, largest first; this process
    then takes the child's smallest ones for itself while the child still has as much other
    work waiting (:meth:`Shared.steal`). A kernel the child is compiling holds its file
    lock, so this process, reaching it, waits and loads it from the cache. Sizes are source
    lengths (the MLP's kernels of 1.4, 2.0, 2.8 and 5.6 thousand characters compiled in
    0.15, 0.27, 0.34 and 0.52 s)."""
    cold = sorted(cold_jobs(jobs), key=lambda j: -len(j["source"]))
    if len(cold) < 2 or cache.cache_folder() is None:
        return Shared(cold, [])
    return Shared(cold[:1], cold[1:])


def start_compiling(jobs: list[dict]) -> CompileProcess | None:
    """A child compiling the cold jobs, or None if every kernel is warm (or the cache is
    memory-only, so a child's work could not be shared)."""
    if cache.cache_folder() is None:
        return None
    cold = cold_jobs(jobs)
    return CompileProcess(cold, background=True) if cold else None
