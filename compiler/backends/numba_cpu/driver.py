"""The numba backend: a graph becomes a driver that calls fused kernels and NumPy/BLAS.

``numba_backend(graph)`` fuses the graph, generates (or reuses) one numba kernel per group and
writes a small Python *driver* — shapes and buffer allocations are fixed per signature, so
the driver is plain Python, rebuilt cheaply for a new shape, while the kernels take sizes as
arguments and are compiled once per structure.

Kernel sources are real ``.py`` files in the persistent cache (``compiler/cache.py``), named
by the hash of their text: numba can only cache code that lives in a file.
"""

from __future__ import annotations

import contextlib
import functools
import time
import warnings
from typing import Any, Callable, Sequence

import numba
import numpy as np

from . import buffers, cache
from ... import settings
from .codegen import kernel_arguments, wants_parallel
from .lowering import can_fuse
from ...schedule.fusion import Kernel, Plan, fuse
from ...ir import Graph, Literal, Namer
from .vmath import FASTMATH

_KERNELS: dict[str, tuple[Any, Any]] = {}  # source hash -> (serial, parallel) dispatchers
_NAMES: dict[int, str] = {}  # id(dispatcher) -> module name, for locks and repairs
COMPILE_LOG: list[tuple[str, str, float, bool]] = []  # (kernel, variant, seconds, from disk)

def kernel_functions(source: str) -> tuple[Any, Any]:
    """The (serial, parallel) numba dispatchers of a kernel source, created once."""
    name, source = cache.module_name(source)
    key = name
    if key not in _KERNELS:
        module, on_disk = cache.load_module(name, source)
        opts: dict[str, Any] = dict(settings.NJIT_OPTIONS, fastmath=FASTMATH, cache=on_disk)
        serial = numba.njit(**opts)(module.kernel_serial)
        parallel = numba.njit(parallel=True, **opts)(module.kernel_parallel)
        _KERNELS[key] = (serial, parallel)
        _NAMES[id(serial)] = _NAMES[id(parallel)] = name
    return _KERNELS[key]


def ensure_compiled(dispatcher: Any, signature: tuple) -> None:
    """Compile (or load from disk) one signature now, holding the kernel's file lock so that
    concurrent processes compile it once; a cache entry numba cannot read is rebuilt."""
    if signature in dispatcher.overloads:
        return
    name = _NAMES[id(dispatcher)]
    lock = cache.lock_path(name)
    hits = sum(dispatcher.stats.cache_hits.values())
    t0 = time.perf_counter()
    with cache.file_lock(lock) if lock else contextlib.nullcontext():
        try:
            dispatcher.compile(signature)
        except Exception as err:  # noqa: BLE001  (numba raises EOFError etc. on bad files)
            if not lock:
                raise
            warnings.warn(f"tracegrad: could not load kernel {name} from the cache "
                          f"({type(err).__name__}: {err}); rebuilding it", cache.CacheWarning,
                          stacklevel=2)
            cache.purge(name)
            dispatcher.compile(signature)
    from_disk = sum(dispatcher.stats.cache_hits.values()) > hits
    variant = "parallel" if dispatcher.targetoptions.get("parallel") else "serial"
    COMPILE_LOG.append((name, variant, time.perf_counter() - t0, from_disk))


def signature(arrays: list[tuple[str, int]], n_ints: int, floats: list[str]) -> tuple:
    """numba argument types: C-ordered arrays (dtype, ndim), int64 sizes, float constants."""
    return tuple([numba.types.Array(numba.from_dtype(np.dtype(dt)), nd, "C")
                  for dt, nd in arrays] + [numba.types.int64] * n_ints +
                 [numba.from_dtype(np.dtype(dt)) for dt in floats])





def compile_stats() -> dict[str, int]:
    """Numba compilations in this process, and how many came from numba's disk cache."""
    overloads = hits = 0
    for pair in _KERNELS.values():
        for d in pair:
            overloads += len(d.overloads)
            hits += sum(d.stats.cache_hits.values())
    return {"compiles": overloads - hits, "disk_hits": hits}


def _threads() -> int:
    """Threads for parallel kernels: settings.num_threads (capped by numba's pool, whose
    size NUMBA_NUM_THREADS fixes at start-up), else numba's current count."""
    if settings.num_threads:
        pool = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set at import
        numba.set_num_threads(min(settings.num_threads, pool))
    return numba.get_num_threads()


def _compile_in_parallel(plan: Plan, jobs: list[dict]) -> Any:
    """With two or more kernels to compile from scratch, a child process compiles the later
    half into the disk cache while this process compiles the first half: numba compiles on
    one core, and this machine has two. When this process reaches the later kernels, the
    file lock makes it wait for the child, and it loads them from the cache."""
    from .jobs import cold_jobs, start_compile_process

    if cache.cache_folder() is None:
        return None
    cold = cold_jobs(jobs)
    if len(cold) < 2:
        return None
    return start_compile_process(cold[len(cold) // 2:])


def numba_backend(graph: Graph) -> tuple[Callable[[Sequence[Any]], list], str]:
    plan = fuse(graph, can_fuse)
    return build_driver(plan)


def build_driver(plan: Plan) -> tuple[Callable[[Sequence[Any]], list], str]:
    """Python source that runs ``plan``; returns (run(args), full source text)."""
    graph = plan.graph
    namer = Namer()

    def name(v: Any) -> str:  # "v_" + the IR name: never a Python keyword such as "as"
        return "v_" + namer(v)

    ns: dict[str, Any] = {"np": np, "empty": buffers.empty}
    lines = ["def run(args):"]
    ins = [name(v) for v in graph.invars]
    lines.append(f"    {', '.join(ins)}{',' if len(ins) == 1 else ''} = args" if ins else
                 "    pass")
    for v, c in zip(graph.constvars, graph.consts):
        ns[name(v)] = c  # constants are globals of the driver
    for v in graph.invars:
        if not v.aval.shape:
            lines.append(f"    {name(v)} = np.asarray({name(v)}, np.{v.aval.dtype.name})")
    sources = []
    log_start = len(COMPILE_LOG)
    from .jobs import kernel_jobs

    all_jobs = kernel_jobs(plan)  # source, constants and types of each kernel, in step order
    helper = _compile_in_parallel(plan, all_jobs)
    jobs = iter(all_jobs)
    for k_i, step in enumerate(plan.steps):
        if isinstance(step, Kernel):
            job = next(jobs)
            src, consts = job["source"], job["consts"]
            sources.append(f"# ---- {step.name} ----\n{src}")
            serial, parallel = kernel_functions(src)
            use_parallel = wants_parallel(plan, step)
            fn = f"K{k_i}"
            ns[fn] = parallel if use_parallel else serial
            ensure_compiled(ns[fn], signature(*kernel_arguments(step, consts)))
            call = []
            for v in step.inputs:
                call.append(f"{name(v)}.reshape(1)" if not v.aval.shape else name(v))
            for v in step.outputs:
                shape = v.aval.shape if v.aval.shape else (1,)
                pooled = v.aval.size * v.aval.dtype.itemsize >= buffers.MIN_BYTES
                alloc = "empty" if pooled else "np.empty"  # malloc is fastest for small ones
                lines.append(f"    {name(v)} = {alloc}({shape}, np.{v.aval.dtype.name})")
                call.append(name(v))
            call += [str(n) for n in step.shape]
            call.append(str(_threads() * 4 if use_parallel else 1))
            for j, (val, dt) in enumerate(consts):
                ns[f"{fn}_C{j}"] = float(val)
                call.append(f"{fn}_C{j}")
                lines.append(f"    # {fn}_C{j} = {val!r} ({dt})")
            lines.append(f"    {fn}({', '.join(call)})  # {step.name}")
            for v in step.outputs:
                if not v.aval.shape:
                    lines.append(f"    {name(v)} = {name(v)}.reshape(())")
        else:
            fn = f"P{k_i}"
            impl = step.prim.impl
            ns[fn] = functools.partial(impl, **step.params) if step.params else impl
            args = []
            for a in step.invars:
                if isinstance(a, Literal):
                    lit = f"L{len(ns)}"
                    ns[lit] = a.runtime_value
                    args.append(lit)
                else:
                    args.append(name(a))
            outs = ", ".join(name(v) for v in step.outvars)
            if step.prim.multiple_results:
                outs += ","
            lines.append(f"    {outs} = {fn}({', '.join(args)})  # {step.prim.name}")
    results = []
    protected = {id(v) for v in graph.invars + graph.constvars}
    for a in graph.outvars:
        if isinstance(a, Literal):
            lit = f"L{len(ns)}"
            ns[lit] = np.asarray(a.runtime_value, dtype=a.aval.dtype)
            results.append(f"{lit}.copy()")
        elif id(a) in protected:  # never hand back a buffer the caller owns
            results.append(f"np.array({name(a)})")
        else:
            results.append(name(a))
    lines.append(f"    return [{', '.join(results)}]")
    driver = "\n".join(lines)
    exec(compile(driver, "<tracegrad driver>", "exec"), ns)  # plain Python, no numba
    if helper is not None:
        helper.wait()
        if helper.stderr is not None:
            helper.stderr.close()
    run = ns["run"]
    run.compile_log = COMPILE_LOG[log_start:]  # what building this driver compiled or loaded
    text = "# driver (plain Python; shapes fixed per signature)\n" + driver + "\n\n" + \
        "\n\n".join(sources)
    return run, text


__all__ = ["numba_backend", "kernel_functions", "compile_stats"]
