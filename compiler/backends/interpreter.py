"""The reference backend: the graph runs equation by equation with NumPy. Nothing is fused or
compiled, so it starts at once; tiers use it while a compiling backend warms up."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..frontend.interpreter import eval_graph
from ..ir import Graph, pretty
from . import Backend, Lowered


class Interpreter(Backend):
    name = "interpreter"

    def lower(self, graph: Graph) -> Lowered:
        consts = list(graph.consts)

        def run(args: Sequence[Any]) -> list:
            # compiled kernels raise no floating-point warnings, and the tiers must agree
            with np.errstate(all="ignore"):
                return eval_graph(graph, args, consts)

        plan = "# interpreter plan: each equation runs its NumPy implementation in order\n"
        return Lowered(run, plan + pretty(graph))


BACKEND = Interpreter()
