"""The fused IR: a fusion plan as a graph in which every kernel is one ``fused`` equation whose
``body`` is the kernel's equations (printed nested, like XLA's fusion computations)."""

from __future__ import annotations

from typing import Any

from ..core import Primitive
from ..frontend.interpreter import eval_graph
from ..ir import Eqn, Graph
from .fusion import Kernel, Plan


def _run_body(*args: Any, body: Graph, **where: Any) -> list:
    return eval_graph(body, args)


def _body_avals(*args: Any, body: Graph, **where: Any) -> list:
    return body.out_avals


# Not in the registry: it exists only in fused_ir, to show (and, through the interpreter,
# run) a kernel as one operation whose body is its equations.
FUSED = Primitive("fused", "other", _run_body, _body_avals, multiple_results=True,
                  doc="A fused kernel: its body graph runs as one loop nest.")


def fused_graph(plan: Plan) -> Graph:
    """The plan as a graph: every kernel becomes one ``fused`` equation whose ``body`` is the
    kernel's equations, from its inputs (read) to its outputs (stored)."""
    eqns = []
    for s in plan.steps:
        if isinstance(s, Kernel):
            body = Graph([], list(s.inputs), list(s.eqns), list(s.outputs))
            params = {"name": s.name, "shape": s.shape, "inner": s.loop_inner(), "body": body}
            eqns.append(Eqn(FUSED, params,
                            list(s.inputs), list(s.outputs)))
        else:
            eqns.append(s)
    g = plan.graph
    return Graph(list(g.constvars), list(g.invars), eqns, list(g.outvars), list(g.consts))
