"""Rebuilding a graph equation by equation: the driver every rewriting pass runs on."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..core import ShapedArray
from ..ir import Atom, Eqn, Graph, Literal, Var

# A rule sees each equation with its inputs already substituted; it returns True when it has
# replaced the equation (by substituting its outputs or emitting others), False to keep it.
RewriteRule = Callable[["Rewriter", Eqn], bool]


class Rewriter:
    """Rebuild a graph equation by equation; ``subst`` maps old atoms to new ones."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.subst: dict[int, Atom] = {}
        self.eqns: list[Eqn] = []
        self.constvars = list(graph.constvars)
        self.consts = list(graph.consts)

    def get(self, a: Atom) -> Atom:
        return a if isinstance(a, Literal) else self.subst.get(id(a), a)

    def emit(self, e: Eqn) -> None:
        self.eqns.append(e)

    def new_const(self, value: np.ndarray) -> Var:
        v = Var(ShapedArray(value.shape, value.dtype))
        self.constvars.append(v)
        self.consts.append(value)
        return v

    def run(self, rule: RewriteRule) -> Graph:
        """Apply ``rule`` to a copy of each equation (inputs substituted); the copies it
        keeps, and whatever it emits, make the new graph."""
        for e in self.graph.eqns:
            e2 = Eqn(e.prim, e.params, [self.get(a) for a in e.invars], e.outvars, e.source)
            if not rule(self, e2):
                self.emit(e2)
        return self.finish()

    def finish(self) -> Graph:
        outs = [self.get(a) for a in self.graph.outvars]
        return Graph(self.constvars, list(self.graph.invars), self.eqns, outs, self.consts)


def rewrite(graph: Graph, rule: RewriteRule) -> Graph:
    """``graph`` rebuilt with ``rule`` applied to each equation (see :meth:`Rewriter.run`)."""
    return Rewriter(graph).run(rule)
