"""The generic passes: dead-code elimination, common subexpressions, constant folding."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Atom, Eqn, Graph, Literal, Var
from .rewrite import Rewriter, rewrite

FOLD_MAX_SIZE = 1  # larger constants stay symbolic: fusion computes them for free


def dce(graph: Graph) -> Graph:
    """Drop equations whose outputs are never used, and constants nobody reads."""
    live = {id(a) for a in graph.outvars if isinstance(a, Var)}
    kept = []
    for e in reversed(graph.eqns):
        if any(id(v) in live for v in e.outvars):
            kept.append(e)
            live.update(id(a) for a in e.invars if isinstance(a, Var))
    kept.reverse()
    pairs = [(v, c) for v, c in zip(graph.constvars, graph.consts) if id(v) in live]
    return Graph([v for v, _ in pairs], list(graph.invars), kept, list(graph.outvars),
                 [c for _, c in pairs])


def _key(a: Atom) -> Any:
    if isinstance(a, Literal):
        return ("lit", a.value, a.aval.dtype.name, a.weak)
    return id(a)


def _params_key(params: dict) -> Any:
    try:
        return tuple(sorted(params.items()))
    except TypeError:
        return None


def cse(graph: Graph) -> Graph:
    """Reuse the first of several equal equations (same primitive, params and inputs)."""
    seen: dict[Any, list[Var]] = {}

    def rule(rw: Rewriter, e: Eqn) -> bool:
        pk = _params_key(e.params)
        if e.prim.kind == "random" or pk is None:
            return False
        key = (e.prim.name, pk, tuple(_key(a) for a in e.invars))
        if key in seen:
            for old, new in zip(e.outvars, seen[key]):
                rw.subst[id(old)] = new
            return True
        seen[key] = e.outvars
        return False

    return rewrite(graph, rule)


def fold_constants(graph: Graph) -> Graph:
    """Evaluate equations whose inputs are all known; small results become constants, and
    0-d results become literals."""
    known: dict[int, Any] = {id(v): c for v, c in zip(graph.constvars, graph.consts)}

    def rule(rw: Rewriter, e: Eqn) -> bool:
        if e.prim.kind == "random" or e.prim.multiple_results:
            return False
        if not all(isinstance(a, Literal) or id(a) in known for a in e.invars):
            return False
        if any(v.aval.size > FOLD_MAX_SIZE for v in e.outvars):
            return False
        args = [a.runtime_value if isinstance(a, Literal) else known[id(a)] for a in e.invars]
        value = np.asarray(e.prim.impl(*args, **e.params))
        (out,) = e.outvars
        if value.ndim == 0:
            rw.subst[id(out)] = Literal(value.item(), value.dtype, weak=False)
        else:
            v = rw.new_const(value)
            known[id(v)] = value
            rw.subst[id(out)] = v
        return True

    return dce(rewrite(graph, rule))
