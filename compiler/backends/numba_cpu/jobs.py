"""Tiered execution: answer at once with the interpreter, compile in another process.

numba's compiler holds the GIL for most of its work (LLVM's passes run in C without releasing
it), so a background *thread* stalls the caller: measured on the MLP loss, the first call
still took 3.1 s with a compiling thread. The work therefore goes to a child process that
fills the disk cache (``python -m compiler.tiers`` reads the jobs as JSON on stdin). The
caller's process never imports numba until the kernels are ready; it then loads them from
the disk cache and switches.

Generating the kernels' source (fusion, codegen, writing files) is pure Python and cheap, and
happens in the caller before the child starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Sequence

from . import cache
from .codegen import kernel_arguments, kernel_source, wants_parallel
from .lowering import can_fuse
from ...schedule.fusion import Plan, fuse
from ...ir import Graph


def kernel_jobs(plan: Plan) -> list[dict]:
    """One job per kernel the driver will call: its source and the argument types."""
    jobs = []
    for step in plan.kernels:
        variant = "parallel" if wants_parallel(plan, step) else "serial"
        source, consts = kernel_source(step)
        jobs.append({"source": source, "variant": variant, "consts": consts,
                     "arguments": kernel_arguments(step, consts)})
    return jobs


def _warm(jobs: list[dict]) -> bool:
    for job in jobs:
        name, full = cache.module_name(job["source"])
        if cache.write_source(name, full) is None or not cache.is_compiled(name, job["variant"]):
            return False
    return True


def _child_command() -> list[str]:
    """``python -I`` (no working directory, no PYTHONPATH, no user site) importing this module
    from the folder tracegrad itself was imported from: nothing in the user's folder runs."""
    top = sys.modules[__name__.partition(".")[0]]
    root = os.path.dirname(os.path.dirname(os.path.abspath(top.__file__ or "")))
    code = f"import sys; sys.path.insert(0, {root!r}); from {__name__} import main; main()"
    return [sys.executable, "-I", "-c", code]


def start_compile_process(jobs: list[dict]) -> subprocess.Popen:
    """A child process that compiles ``jobs`` into the disk cache (``python -m compiler.tiers``)."""
    proc = subprocess.Popen(_child_command(), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(jobs))
    proc.stdin.close()
    return proc


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


def compile_jobs(jobs: list[dict]) -> None:
    """Compile (or load) every job's kernel; run in the child process."""
    from .driver import ensure_compiled, kernel_functions, signature

    for job in jobs:
        serial, parallel = kernel_functions(job["source"])
        fn = parallel if job["variant"] == "parallel" else serial
        ensure_compiled(fn, signature(*job["arguments"]))


class Tiered:
    """An executable that serves calls with the interpreter until the compiled kernels are in
    the disk cache, then loads them and switches. ``last_tier`` names who served a call."""

    def __init__(self, graph: Graph) -> None:
        from ...executor import interpreter_backend

        self.graph = graph
        self.slow, _ = interpreter_backend(graph)
        self.fast: Any = None
        self.last_tier = "interpreter"
        self.plan = fuse(graph, can_fuse)
        jobs = kernel_jobs(self.plan)
        self.proc: subprocess.Popen | None = None
        if jobs and cache.cache_folder() is not None and not _warm(jobs):
            self.proc = start_compile_process(jobs)
        self.calls = 0

    def ready(self) -> bool:
        return self.proc is None or self.proc.poll() is not None

    def switch(self) -> None:
        """Load the compiled kernels (compiling here if the child failed)."""
        from .driver import build_driver

        if self.proc is not None:
            self.proc.wait()
            if self.proc.stderr is not None:
                self.proc.stderr.close()
        self.fast, self.graph.cache["source"] = build_driver(self.plan)

    def wait(self) -> None:
        if self.fast is None:
            self.switch()

    def __call__(self, args: Sequence[Any]) -> list:
        self.calls += 1
        if self.fast is None and self.calls > 1 and self.ready():
            self.switch()  # the first call always answers from the interpreter
        if self.fast is not None:
            self.last_tier = "compiled"
            return self.fast(args)
        self.last_tier = "interpreter"
        return self.slow(args)


def main() -> None:
    """The compile child's entry point: jobs as JSON on stdin."""
    compile_jobs(json.loads(sys.stdin.read()))


__all__ = ["Tiered", "kernel_jobs", "compile_jobs"]
