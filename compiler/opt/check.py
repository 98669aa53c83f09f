"""Validating graphs: ``check_graph`` (after every pass when checks are enabled), and
``same_results``, which tests of passes use to compare a graph with its rewrite."""

from __future__ import annotations

import numpy as np

from ..errors import GraphCheckError
from ..frontend.interpreter import eval_graph
from ..ir import Atom, Eqn, Graph, Var


class _Scope:
    """The variables defined so far, by identity."""

    def __init__(self) -> None:
        self.defined: set[int] = set()

    def define(self, v: Var, where: str) -> None:
        if not isinstance(v, Var):
            raise GraphCheckError(f"{where}: {v!r} is not a variable")
        if id(v) in self.defined:
            raise GraphCheckError(f"{where}: variable {v!r} is defined twice")
        self.defined.add(id(v))

    def use(self, a: Atom, where: str) -> None:
        if isinstance(a, Var) and id(a) not in self.defined:
            raise GraphCheckError(f"{where}: variable {a!r} is used before it is defined")


def check_graph(graph: Graph) -> Graph:
    """Raise GraphCheckError unless every variable is defined once, before use, and every
    equation's output types agree with its primitive's shape/dtype rule."""
    scope = _Scope()
    if len(graph.consts) != len(graph.constvars):
        raise GraphCheckError("the graph has a different number of constvars and consts")
    for v, c in zip(graph.constvars, graph.consts):
        scope.define(v, "constvar")
        if tuple(np.shape(c)) != v.aval.shape or np.asarray(c).dtype != v.aval.dtype:
            raise GraphCheckError(f"constant {v!r} holds {np.asarray(c).dtype}{np.shape(c)}")
    for v in graph.invars:
        scope.define(v, "input")
    for k, e in enumerate(graph.eqns):
        _check_eqn(scope, e, f"equation {k} ({e.prim.name})")
    for a in graph.outvars:
        scope.use(a, "output")
    return graph


def _check_eqn(scope: _Scope, e: Eqn, where: str) -> None:
    for a in e.invars:
        scope.use(a, where)
    args = [a.aval for a in e.invars]  # a literal has the dtype its equation gave it
    expected = e.prim.abstract(*args, **e.params)
    expected = expected if e.prim.multiple_results else [expected]
    if len(expected) != len(e.outvars):
        raise GraphCheckError(f"{where}: {len(e.outvars)} outputs, rule says "
                              f"{len(expected)}")
    for v, x in zip(e.outvars, expected):
        if tuple(v.aval.shape) != tuple(x.shape) or v.aval.dtype != np.dtype(x.dtype):
            raise GraphCheckError(f"{where}: output {v!r} disagrees with the rule "
                                  f"({np.dtype(x.dtype).name}{list(x.shape)})")
        scope.define(v, where)


def same_results(a: Graph, b: Graph, args: list) -> bool:
    """Whether two graphs compute the same values on ``args`` (for tests of passes)."""
    return all(np.array_equal(x, y, equal_nan=True)
               for x, y in zip(eval_graph(a, args), eval_graph(b, args)))
