"""Graph passes: small functions from a graph to an equivalent graph.

``optimize`` runs them to a fixed point: algebraic simplification (:mod:`.simplify`, a table
of rules), constant folding, common-subexpression elimination, dead-code elimination
(:mod:`.cleanup`). With checks enabled, ``check_graph`` (:mod:`.check`) validates the result
of every pass. Every pass rebuilds the graph with the driver of :mod:`.rewrite`.
"""

from __future__ import annotations

from typing import Callable

from .. import settings
from ..ir import Graph
from .check import check_graph, same_results
from .cleanup import cse, dce, fold_constants
from .simplify import simplify

__all__ = ["check_graph", "cse", "dce", "fold_constants", "optimize", "same_results", "simplify"]

PASSES: list[Callable[[Graph], Graph]] = [simplify, fold_constants, cse, dce]


def optimize(graph: Graph, max_rounds: int = 6) -> Graph:
    """Run the passes until the graph stops changing."""
    text = None
    for _ in range(max_rounds):
        for p in PASSES:
            graph = p(graph)
            if settings.enable_checks:
                check_graph(graph)
        new_text = str(graph)
        if new_text == text:
            break
        text = new_text
    return graph
