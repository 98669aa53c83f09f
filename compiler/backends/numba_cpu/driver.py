"""The driver: Python source that runs a fusion plan, calling fused kernels and NumPy/BLAS.

Shapes and buffer allocations are fixed per signature, so the driver is plain Python, rebuilt
cheaply for a new shape, while the kernels take sizes as arguments and are compiled once per
structure. Kernel sources are real ``.py`` files in the persistent cache (``cache.py``),
named by the hash of their text: numba can only cache code that lives in a file.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from ...frontend.interpreter import eval_graph
from ...ir import Graph, Literal, Namer
from ...schedule.fusion import Kernel, Plan
from . import buffers, kernels
from .codegen import wants_parallel
from .jobs import Shared


def _run_in_numpy(graph: Graph, args: list) -> list:
    """A kernel's equations by their NumPy implementations, with the kernels' conventions: no
    floating-point warnings, outputs of the kernel's dtypes that alias no input."""
    with np.errstate(all="ignore"):
        outs = eval_graph(graph, args)
    return [np.array(o, dtype=v.aval.dtype).reshape(v.aval.shape)
            for o, v in zip(outs, graph.outvars)]


def build_driver(plan: Plan, jobs: list[dict], shared: Shared
                 ) -> tuple[Callable[[Sequence[Any]], list], str, list]:
    """Python source that runs ``plan``; returns (run(args), full source text, and what
    building it compiled or loaded: (kernel, variant, seconds, from disk) per kernel).
    ``jobs`` are ``jobs.kernel_jobs(plan)`` and ``shared`` their ``share_with_a_child``,
    made by the caller before it imports numba."""
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
    log: list = []  # what building this driver compiled or loaded
    for mine in shared.mine:  # this process's share of the cold kernels first
        kernels.compiled(mine, log)
    while (stolen := shared.steal()) is not None:
        kernels.compiled(stolen, log)
    steps_jobs = iter(jobs)  # source, constants and types of each kernel, in step order
    for k_i, step in enumerate(plan.steps):
        if isinstance(step, Kernel):
            job = next(steps_jobs)
            if 0 in step.shape and any(v.aval.size for v in step.outputs):
                # a loop axis of size 0: the loops never run, so an output that does not
                # vary along that axis (exp(sum of an empty array) + b) would never be written
                fn = f"E{k_i}"
                ns[fn] = functools.partial(_run_in_numpy, Graph(
                    [], list(step.inputs), list(step.eqns), list(step.outputs), []))
                targets = "".join(f"{name(v)}, " for v in step.outputs)
                operands = ", ".join(name(v) for v in step.inputs)
                lines.append(f"    {targets}= {fn}([{operands}])  # {step.name}, empty loop")
                continue
            src, consts = job["source"], job["consts"]
            sources.append(f"# ---- {step.name} ----\n{src}")
            use_parallel = wants_parallel(plan, step)
            fn = f"K{k_i}"
            ns[fn] = kernels.compiled(job, log)
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
            call.append(str(kernels.threads() * 4 if use_parallel else 1))
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
    if shared.child is not None:
        shared.child.wait()
    text = "# driver (plain Python; shapes fixed per signature)\n" + driver + "\n\n" + \
        "\n\n".join(sources)
    return ns["run"], text, log

