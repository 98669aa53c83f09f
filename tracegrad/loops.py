"""Compiled eager loops: a tape recorded again and again is differentiated once and compiled.

MXNet-style training code records the same graph at every step. When the structure of a tape
(operations, parameters, scalars, shapes, dtypes, grad_req of its variables) has been seen
``config.compile_loops_after`` times, ``backward()`` stops walking the tape op by op: it
builds the VJP graph of that structure once — taking the forward values the tape saved as
inputs, so nothing is recomputed — fuses and compiles it, and from then on runs it with each
step's values. Gradients are the same within float tolerance; ``grad_req``, head gradients
and ``retain_graph`` behave as on the op-by-op path.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from tracegrad._compiler.executor import executable
from tracegrad._compiler.frontend.autodiff import vjp_graph
from tracegrad._compiler.opt import optimize
from tracegrad.config import config
from tracegrad.tape import Node, VarNode, recorded_graph, signature_and_values, topo_order

log = logging.getLogger("tracegrad")

_SEEN: dict[tuple, int] = {}
_COMPILED: dict[tuple, tuple[Any, list[int]]] = {}
STATS = {"compiled_backwards": 0, "tapes_compiled": 0}


def compiled_backward(heads: list, head_grads: Sequence[Any],
                      order: list | None = None) -> tuple[list, list] | None:
    """Gradients of the variables by the compiled graph, as (VarNodes, gradients), or None
    when this tape's structure is not (yet) compiled."""
    after = config.compile_loops_after
    if after <= 0:
        return None
    entries = [h._node for h in heads]
    order = order if order is not None else topo_order(entries)
    found = signature_and_values(order, entries)
    if found is None:
        return None
    key = found[0] + (tuple(np.shape(g) for g in head_grads),)
    try:
        compiled = _COMPILED.get(key)
    except TypeError:  # a parameter value that cannot be hashed
        return None
    if compiled is None:
        seen = _SEEN[key] = _SEEN.get(key, 0) + 1
        if seen < after:
            return None
        compiled = _COMPILED[key] = _compile(entries, order)
        STATS["tapes_compiled"] += 1
    exe, wrt = compiled
    grads = exe(found[1] + list(head_grads))
    variables = [n for n in order if type(n) is VarNode]
    STATS["compiled_backwards"] += 1
    return [variables[i] for i in wrt], grads


def _compile(entries: list, order: list) -> tuple[Any, list[int]]:
    graph = recorded_graph(entries, consts_as_inputs=True, order=order)
    variables = [n for n in order if type(n) is VarNode]
    wrt = [i for i, v in enumerate(variables) if v.grad_req != "null"
           and v.array._data.dtype.kind == "f"]
    vg = optimize(vjp_graph(graph, wrt, seed="input", keep_outputs=False,
                            forward_as_inputs=True))
    log.debug("compiled the backward of a tape seen %d times (%d ops):\n%s",
              config.compile_loops_after, sum(type(n) is Node for n in order), vg)
    return executable(vg), wrt
