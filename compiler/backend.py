"""The numba backend: a graph becomes a driver that calls fused kernels and NumPy/BLAS.

``numba_backend(graph)`` fuses the graph, generates (or reuses) one numba kernel per group and
writes a small Python *driver* — shapes and buffer allocations are fixed per signature, so
the driver is plain Python, rebuilt cheaply for a new shape, while the kernels take sizes as
arguments and are compiled once per structure.

Kernel sources are written to real ``.py`` files under the cache folder, named by the hash of
their text, and imported from there: numba can only cache code that lives in a file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
from typing import Any, Callable, Sequence

import numba
import numpy as np

from compiler import blas, settings
from compiler.codegen import kernel_source
from compiler.fusion import Kernel, Plan, fuse
from compiler.ir import Graph, Literal, Namer, Var
from compiler.vmath import FASTMATH

_KERNELS: dict[str, tuple[Any, Any]] = {}  # source hash -> (serial, parallel) dispatchers

# error_model='numpy': x/0 gives inf as in NumPy; Python's ZeroDivisionError check would put
# a branch in every loop with a division and stop it from vectorising.
NJIT_OPTIONS = {"fastmath": sorted(FASTMATH), "cache": True, "error_model": "numpy"}
# numba's disk cache does not key on compile options, so they are written into the source:
# changing them changes the file's hash, and a stale kernel is never loaded.
CODEGEN_VERSION = 1


def kernel_functions(source: str) -> tuple[Any, Any]:
    """The (serial, parallel) numba dispatchers of a kernel source, created once."""
    source = f"# tracegrad codegen v{CODEGEN_VERSION}, njit options {NJIT_OPTIONS}\n" + source
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    if key not in _KERNELS:
        module = _load_module(f"tracegrad_k{key}", source)
        opts = dict(NJIT_OPTIONS, fastmath=FASTMATH)
        serial = numba.njit(**opts)(module.kernel_serial)
        parallel = numba.njit(parallel=True, **opts)(module.kernel_parallel)
        _KERNELS[key] = (serial, parallel)
    return _KERNELS[key]


def _kernel_dir() -> str:
    path = os.path.join(settings.cache_dir, "kernels")
    try:
        os.makedirs(path, exist_ok=True)
        return path
    except OSError:  # unwritable cache folder: fall back to a private temporary one
        fallback = os.path.join(tempfile.gettempdir(), f"tracegrad-{os.getuid()}", "kernels")
        os.makedirs(fallback, exist_ok=True)
        return fallback


def _load_module(name: str, source: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(_kernel_dir(), f"{name}.py")
    if not os.path.exists(path) or open(path).read() != source:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)  # atomic: readers never see half a file
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache needs the module importable by name
    spec.loader.exec_module(module)
    return module


def compile_stats() -> dict[str, int]:
    """Numba compilations in this process, and how many came from numba's disk cache."""
    overloads = hits = 0
    for pair in _KERNELS.values():
        for d in pair:
            overloads += len(d.overloads)
            hits += sum(d.stats.cache_hits.values())
    return {"compiles": overloads - hits, "disk_hits": hits}


def _threads() -> int:
    return settings.num_threads or numba.get_num_threads()


def numba_backend(graph: Graph) -> tuple[Callable[[Sequence[Any]], list], str]:
    plan = fuse(graph)
    return build_driver(plan)


def build_driver(plan: Plan) -> tuple[Callable[[Sequence[Any]], list], str]:
    """Python source that runs ``plan``; returns (run(args), full source text)."""
    graph = plan.graph
    name = Namer()
    ns: dict[str, Any] = {"np": np}
    lines = ["def run(args, consts):"]
    ins = [name(v) for v in graph.invars]
    lines.append(f"    {', '.join(ins)}{',' if len(ins) == 1 else ''} = args" if ins else
                 "    pass")
    if graph.constvars:
        cs = [name(v) for v in graph.constvars]
        lines.append(f"    {', '.join(cs)}{',' if len(cs) == 1 else ''} = consts")
    for v in graph.invars:
        if not v.aval.shape:
            lines.append(f"    {name(v)} = np.asarray({name(v)}, np.{v.aval.dtype.name})")
    sources = []
    for k_i, step in enumerate(plan.steps):
        if isinstance(step, Kernel):
            src = kernel_source(step)
            sources.append(f"# ---- {step.name} ----\n{src}")
            serial, parallel = kernel_functions(src)
            total = int(np.prod(step.shape, dtype=np.int64))
            use_parallel = total >= settings.parallel_min
            fn = f"K{k_i}"
            ns[fn] = parallel if use_parallel else serial
            call = []
            for v in step.inputs:
                call.append(f"{name(v)}.reshape(1)" if not v.aval.shape else name(v))
            for v in step.outputs:
                shape = v.aval.shape if v.aval.shape else (1,)
                lines.append(f"    {name(v)} = np.empty({shape}, np.{v.aval.dtype.name})")
                call.append(name(v))
            call += [str(n) for n in step.shape]
            call.append(str(_threads() * 4 if use_parallel else 1))
            lines.append(f"    {fn}({', '.join(call)})  # {step.name}")
            for v in step.outputs:
                if not v.aval.shape:
                    lines.append(f"    {name(v)} = {name(v)}.reshape(())")
        else:
            fn = f"P{k_i}"
            impl = blas.matmul if step.prim.name == "matmul" else step.prim.impl
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
    run_graph = ns["run"]
    consts = list(graph.consts)

    def run(args: Sequence[Any]) -> list:
        return run_graph(args, consts)

    text = "# driver (plain Python; shapes fixed per signature)\n" + driver + "\n\n" + \
        "\n\n".join(sources)
    return run, text


__all__ = ["numba_backend", "kernel_functions", "compile_stats", "Var"]
