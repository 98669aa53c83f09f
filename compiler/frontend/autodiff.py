"""Symbolic reverse-mode autodiff: a graph in, the graph of its gradient out.

The forward equations are re-emitted into a new trace, then the primitives' VJP rules run on
tracers in reverse order. Because the rules are written with primitives, the result is an
ordinary graph: it can be simplified, fused, compiled and differentiated again.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core import bind, vjp_of
from ..ir import Graph, Literal
from ..prims import add, full
from .interpreter import read
from .tracing import GraphBuilder, trace_context


def add_cotangent(cts: dict[int, Any], key: int, ct: Any) -> None:
    cts[key] = ct if key not in cts else add(cts[key], ct)


def zeros(shape: tuple[int, ...], dtype: Any) -> Any:
    return full(shape=tuple(shape), dtype=np.dtype(dtype).name, value=0.0)


def vjp_graph(graph: Graph, wrt: Sequence[int], seed: str = "ones",
              keep_outputs: bool = True, forward_as_inputs: bool = False) -> Graph:
    """The graph of ``graph``'s outputs and their gradient with respect to inputs ``wrt``.

    ``seed="ones"``: the single output must have size 1 and its cotangent is 1 (``grad``).
    ``seed="input"``: one cotangent input per output is appended to the inputs (a VJP).
    The new graph returns ``outputs + gradients`` (just the gradients if not keep_outputs).
    ``forward_as_inputs``: the forward values are not recomputed but taken as inputs, one per
    equation output in order, after the graph's own inputs (for a tape whose forward already
    ran: its saved values feed the compiled backward).
    """
    builder = GraphBuilder()
    builder.record_source = False
    with trace_context(builder):
        ins = [builder.new_input(v.aval) for v in graph.invars]
        env: dict[int, Any] = {id(v): builder.atom(c, np.dtype("float32")) for v, c in
                               zip(graph.constvars, graph.consts)}
        env = {k: _as_tracer(builder, v) for k, v in env.items()}
        for v, t in zip(graph.invars, ins):
            env[id(v)] = t
        for e in graph.eqns:  # forward: re-emitted, or given
            if forward_as_inputs:
                out: Any = [builder.new_input(v.aval) for v in e.outvars]
                out = out if e.prim.multiple_results else out[0]
            else:
                out = bind(e.prim, tuple(read(env, a) for a in e.invars), e.params)
            for v, x in zip(e.outvars, out if e.prim.multiple_results else (out,)):
                env[id(v)] = x
        outs = [read(env, a) for a in graph.outvars]

        cts: dict[int, Any] = {}
        if seed == "ones":
            if len(graph.outvars) != 1:
                raise ValueError(f"grad needs a function with one output of size 1; it has "
                                 f"{len(graph.outvars)} outputs. Differentiate one of them "
                                 "(or their sum), or use a VJP.")
            (o,) = graph.outvars
            if o.aval.size != 1:
                raise ValueError(f"grad needs a function with one output of size 1; it returned "
                                 f"shape {o.aval.shape}. Reduce it (e.g. .sum()) or use a VJP.")
            add_cotangent(cts, id(o), _ones(o.aval))
        else:
            for o in graph.outvars:
                t = builder.new_input(o.aval)
                if not isinstance(o, Literal):
                    add_cotangent(cts, id(o), t)
        for e in reversed(graph.eqns):  # backward
            if not any(id(v) in cts for v in e.outvars):
                continue
            gs = [cts.get(id(v)) for v in e.outvars]
            gs = [g if g is not None else zeros(v.aval.shape, v.aval.dtype)
                  for g, v in zip(gs, e.outvars)]
            args = tuple(read(env, a) for a in e.invars)
            outv = [env[id(v)] for v in e.outvars]
            in_cts = vjp_of(e.prim, gs if e.prim.multiple_results else gs[0],
                            outv if e.prim.multiple_results else outv[0], args, e.params)
            for a, ct in zip(e.invars, in_cts):
                if ct is not None and not isinstance(a, Literal):
                    add_cotangent(cts, id(a), ct)
        grads = []
        for i in wrt:
            v = graph.invars[i]
            g = cts.get(id(v))
            grads.append(g if g is not None else zeros(v.aval.shape, v.aval.dtype))
    builder.active = False
    return builder.build((outs if keep_outputs else []) + grads)


def _ones(aval: Any) -> Any:
    return full(shape=tuple(aval.shape), dtype=np.dtype(aval.dtype).name, value=1.0)


def _as_tracer(builder: GraphBuilder, atom: Any) -> Any:
    from .tracing import Tracer

    return Tracer(atom, builder) if not isinstance(atom, Literal) else atom.runtime_value
