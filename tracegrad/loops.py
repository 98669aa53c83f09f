"""Compiled eager loops: a tape recorded again and again is differentiated once and compiled.

MXNet-style training code records the same graph at every step. When the structure of a tape
(operations, parameters, integer scalars, shapes, dtypes, grad_req of its variables; a
Python float counts by type, its value is an input of the compiled graph) has been seen
``config.compile_loops_after`` times, ``backward()`` stops walking the tape op by op: it
builds the VJP graph of that structure once — taking the forward values the tape saved as
inputs, so nothing is recomputed — fuses and compiles it, and from then on runs it with each
step's values. Gradients are the same within float tolerance; ``grad_req``, head gradients
and ``retain_graph`` behave as on the op-by-op path.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from tracegrad._compiler.executor import executable
from tracegrad._compiler.frontend.autodiff import vjp_graph
from tracegrad._compiler.opt import optimize
from tracegrad.config import config
from tracegrad.tape import Node, VarNode, recorded_graph, signature_and_values, topo_order

log = logging.getLogger("tracegrad")

# Both tables are bounded (least recently used first out), so a program that records ever new
# structures (a growing sequence length, say) keeps a flat memory. Python floats are not part
# of the keys (their values are inputs), so a changing learning rate makes no new entries.
class _Key:
    """A tape's structure with its hash computed once: a tuple does not cache its hash, and
    a key of a few hundred nodes took 6 us to hash, once per dictionary operation."""

    __slots__ = ("key", "hash")

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.hash = hash(key)  # TypeError for a parameter value that cannot be hashed

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.hash == other.hash and self.key == other.key


SEEN_LIMIT = 512  # structures counted towards compile_loops_after
COMPILED_LIMIT = 64  # compiled backwards kept
_SEEN: OrderedDict[_Key, int] = OrderedDict()
_LOCK = threading.Lock()
# key -> (the stored key, compiled backward or None if not compilable); refreshing an entry
# with its stored key is an identity match, so the tuple is not compared a second time
_COMPILED: OrderedDict[_Key, tuple[_Key, tuple[Any, list[int]] | None]] = OrderedDict()
_MISSING = object()
STATS = {"compiled_backwards": 0, "tapes_compiled": 0}


def compiled_backward(heads: list, head_grads: Sequence[Any], order: list | None = None,
                      variables: list | None = None) -> tuple[list, list] | None:
    """Gradients of the variables by the compiled graph, as (VarNodes, gradients), or None
    when this tape's structure is not (yet) compiled. ``order`` is the tape's topological
    order and ``variables`` its VarNodes, in that order, where the caller has them."""
    after = config.compile_loops_after
    if after <= 0:
        return None
    entries = [h._node for h in heads]
    order = order if order is not None else topo_order(entries)
    found = signature_and_values(order, entries)
    if found is None:
        return None
    try:
        key = _Key(found[0] + (tuple(np.shape(g) for g in head_grads),))
    except TypeError:  # a parameter value that cannot be hashed
        return None
    with _LOCK:  # threads training at once: the tables stay consistent, one compile per key
        compiled = _lookup(key, entries, order, after)
    if compiled is None or compiled is _MISSING:
        return None
    exe, wrt = compiled
    grads = exe(found[1] + list(head_grads))
    if variables is None:
        variables = [n for n in order if type(n) is VarNode]
    STATS["compiled_backwards"] += 1
    return [variables[i] for i in wrt], grads


def _lookup(key: _Key, entries: list, order: list, after: int) -> Any:
    """The compiled backward of ``key`` (compiling it on its ``after``-th sighting), None if
    it is not compilable, or _MISSING while it has been seen fewer times."""
    hit = _COMPILED.get(key)
    if hit is not None:
        stored, compiled = hit
        _COMPILED.move_to_end(stored)
        return compiled
    seen = _SEEN.pop(key, 0) + 1
    if seen < after:
        _SEEN[key] = seen
        if len(_SEEN) > SEEN_LIMIT:
            _SEEN.popitem(last=False)
        return _MISSING
    compiled = _compile(entries, order)
    _COMPILED[key] = (key, compiled)
    if len(_COMPILED) > COMPILED_LIMIT:
        _COMPILED.popitem(last=False)
    if compiled is not None:
        STATS["tapes_compiled"] += 1
    return compiled


def _compile(entries: list, order: list) -> tuple[Any, list[int]] | None:
    """The compiled backward of a tape, or None when only the op-by-op walk computes it as
    MXNet does: integer variables and integer intermediate values get integer gradients
    there, while compiled graphs differentiate floats only."""
    for n in order:
        dt = n.array._data.dtype if type(n) is VarNode else np.asarray(n.out).dtype
        if dt.kind not in "fc":
            return None
    graph = recorded_graph(entries, consts_as_inputs=True, order=order)
    variables = [n for n in order if type(n) is VarNode]
    wrt = [i for i, v in enumerate(variables) if v.grad_req != "null"]
    vg = optimize(vjp_graph(graph, wrt, seed="input", keep_outputs=False,
                            forward_as_inputs=True))
    log.debug("compiled the backward of a tape seen %d times (%d ops):\n%s",
              config.compile_loops_after, sum(type(n) is Node for n in order), vg)
    return executable(vg), wrt
