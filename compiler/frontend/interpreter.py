"""The reference interpreter: evaluate a graph equation by equation.

It goes through ``bind``, so the same loop evaluates on NumPy arrays (the reference result),
re-emits the graph into another trace when given tracers (inlining), and records every
equation on the autograd tape when given recorded NDArrays.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..core import bind
from ..ir import Graph, Literal, Var


def read(env: dict[int, Any], atom: Var | Literal) -> Any:
    if isinstance(atom, Literal):
        return atom.runtime_value
    return env[id(atom)]


def eval_graph(graph: Graph, args: Sequence[Any], consts: Sequence[Any] | None = None) -> list:
    """Run ``graph`` on ``args`` (and its own constants unless ``consts`` is given)."""
    if len(args) != len(graph.invars):
        raise TypeError(f"the graph takes {len(graph.invars)} inputs, got {len(args)}")
    env: dict[int, Any] = {}
    for v, x in zip(graph.constvars, graph.consts if consts is None else consts):
        env[id(v)] = x
    for v, x in zip(graph.invars, args):
        env[id(v)] = x
    for e in graph.eqns:
        out = bind(e.prim, tuple(read(env, a) for a in e.invars), e.params)
        outs = out if e.prim.multiple_results else (out,)
        for v, x in zip(e.outvars, outs):
            env[id(v)] = x
    return [read(env, a) for a in graph.outvars]
