"""The recorded graph of eager code.

Under ``autograd.record()`` every primitive applied to an array that depends on a variable
appends a :class:`Node`: an IR equation whose inputs and outputs are bound to concrete arrays.
An NDArray's ``_node`` is its *entry* in that graph:

* ``None``: a constant, not part of any graph;
* a :class:`VarNode`: a leaf created by ``attach_grad``; it owns the gradient buffer;
* a :class:`Node` (or an :class:`OutputRef` for the i-th output of a multi-output node).

Nodes point to their inputs' entries as they were when recorded, so attaching a gradient to an
intermediate array later makes it a new leaf without rewriting history (MXNet 1.x semantics).
"""

from __future__ import annotations

import itertools
from operator import attrgetter
from typing import Any

from tracegrad._compiler.core import Primitive, ShapedArray, abstractify
from tracegrad._compiler.ir import Eqn, Graph, Literal, Var

_SEQ = itertools.count()


class VarNode:
    """A leaf variable: where gradients for an array that called ``attach_grad`` end up."""

    __slots__ = ("array", "grad", "grad_req", "seq")

    def __init__(self, array: Any, grad: Any, grad_req: str) -> None:
        self.seq = next(_SEQ)
        self.array = array
        self.grad = grad
        self.grad_req = grad_req


class Node:
    """One recorded application of a primitive."""

    __slots__ = ("prim", "params", "args", "out", "parents", "freed", "seq")

    def __init__(self, prim: Primitive, params: dict, args: tuple, out: Any,
                 parents: tuple) -> None:
        self.seq = next(_SEQ)  # creation order: inputs are always older than their users
        self.prim = prim
        self.params = params
        self.args = args  # the raw input values (NumPy arrays or Python scalars)
        self.out = out  # the raw output value (a tuple for multiple results)
        self.parents = parents  # the entry of each input when it was recorded
        self.freed = 0  # once freed by backward(): the sequence number at that moment

    def free(self, when: int) -> None:
        self.freed = when
        self.args = None
        self.out = None


def free_graph(order: list) -> None:
    """Free the nodes of ``order`` (a backward() without retain_graph). An array computed by
    one of them is a constant to nodes recorded afterwards, as in MXNet; nodes recorded
    before still need it, and differentiating them is a GraphFreedError."""
    when = next(_SEQ)
    for node in order:
        if type(node) is Node:
            node.freed, node.args, node.out = when, None, None


def dead(entry: Any, seq: int) -> bool:
    """Whether ``entry``, an input of the node numbered ``seq``, is a value of a graph freed
    before that node was recorded: a constant for it."""
    node = entry.node if type(entry) is OutputRef else entry
    return type(node) is Node and 0 < node.freed < seq


class OutputRef:
    """The entry of output ``index`` of a multiple-result node."""

    __slots__ = ("node", "index")

    def __init__(self, node: Node, index: int) -> None:
        self.node = node
        self.index = index


class NoVariable:
    """The entry of an array computed under ``record()`` from inputs that have no gradient.

    It behaves like ``None`` for recording; it only lets ``backward`` say precisely why the
    array cannot be differentiated.
    """

    __slots__ = ()

    def __bool__(self) -> bool:  # "needs no gradient", like None
        return False


NO_VARIABLE = NoVariable()


def node_of(entry: Any) -> Any:
    return entry.node if type(entry) is OutputRef else entry


def topo_order(heads: list) -> list:
    """Nodes and VarNodes reachable from the head entries, inputs before their users.

    Every node is created after its inputs, so sorting by creation number is a topological
    order; that is cheaper in Python than a post-order walk. (Nodes hash by identity, so the
    set holds them directly: no id() call per visit.)
    """
    seen: set = set()
    stack = [node_of(h) for h in heads]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if type(node) is Node:
            seq = node.seq
            for p in node.parents:
                if p is not None and p is not NO_VARIABLE:
                    if type(p) is OutputRef:
                        p = p.node
                    # dead(p, seq), inlined: this loop runs for every input of every node
                    if p not in seen and not (type(p) is Node and 0 < p.freed < seq):
                        stack.append(p)
    return sorted(seen, key=_by_seq)


_by_seq = attrgetter("seq")


def recorded_graph(heads: list, consts_as_inputs: bool = False,
                   order: list | None = None) -> Graph:
    """The recorded eager graph of ``heads`` as IR, for printing (``autograd.get_graph``).

    Variables become graph inputs, constants that fed recorded ops become constant inputs
    (or ordinary inputs after the variables, with ``consts_as_inputs``: a compiled tape gets
    this iteration's batch, not the first one's).
    """
    order = topo_order(heads) if order is None else order
    names: dict[int, Var] = {}
    invars, constvars, consts, eqns = [], [], [], []
    for node in order:
        if type(node) is VarNode:
            v = Var(abstractify(node.array._data))
            names[id(node)] = v
            invars.append(v)
            continue
        if node.freed:
            raise ValueError("the graph of this array was freed by backward(); "
                             "record it again or pass retain_graph=True")
        outs = node.out if node.prim.multiple_results else (node.out,)
        outvars = [Var(ShapedArray(tuple(o.shape), o.dtype)) for o in outs]
        ins = []
        for p, a in zip(node.parents, node.args):
            if p is not None and type(p) is not NoVariable and not dead(p, node.seq):
                src = node_of(p)
                v = names[id(src)]
                ins.append(v[p.index] if type(p) is OutputRef else v)
            elif consts_as_inputs and type(a) is float:
                # a Python float is an input too (a learning rate that changes every step
                # must not make a new graph), typed as its weak literal would be
                v = Var(ShapedArray((), outs[0].dtype))
                constvars.append(v)
                consts.append(outs[0].dtype.type(a))
                ins.append(v)
            elif isinstance(a, (bool, int, float)):
                ins.append(Literal(a, outs[0].dtype))
            else:
                v = Var(abstractify(a))
                constvars.append(v)
                consts.append(a)
                ins.append(v)
        names[id(node)] = outvars if node.prim.multiple_results else outvars[0]
        eqns.append(Eqn(node.prim, node.params, ins, outvars))
    outvars = []
    for h in heads:
        v = names[id(node_of(h))]
        outvars.append(v[h.index] if type(h) is OutputRef else v)
    if consts_as_inputs:
        return Graph([], invars + constvars, eqns, outvars, [])
    return Graph(constvars, invars, eqns, outvars, consts)


def signature_and_values(order: list, heads: list) -> tuple[tuple, list] | None:
    """One pass over a tape (in topological order) for compiled eager loops.

    Returns ``(key, values)``: ``key`` describes the structure (ops, params, integer scalars,
    shapes, dtypes, grad_req, which node feeds which; a Python float by its type only, its
    value is an input), ``values`` are the runtime inputs of
    ``recorded_graph(..., consts_as_inputs=True)`` — variables, constants — followed by every
    node's saved output. A variable's value is the one its consumers saved when recorded; if
    they saved different ones (it changed between recordings), or the tape has something a
    compiled backward cannot replay, the result is None: the op-by-op walk is exact.
    This runs on every ``backward()``, so it is written for speed.
    """
    var_index: dict[VarNode, int] = {}
    parts: list = []
    saved: dict[VarNode, Any] = {}
    variables: list = []
    consts: list = []
    outs: list = []
    base = order[-1].seq if order else 0
    for node in order:
        if type(node) is VarNode:
            var_index[node] = len(variables)
            d = node.array._data
            parts.append((d.shape, d.dtype, node.grad_req))
            variables.append(node)
            continue
        prim = node.prim
        if node.freed or prim.multiple_results:
            return None
        params = node.params
        seq = node.seq
        # the node's own offset too: with it, equal keys mean equal positions of every parent
        key: list = [prim, base - seq, tuple(sorted(params.items())) if params else ()]
        for p, a in zip(node.parents, node.args):
            tp = type(p)
            if tp is Node and not 0 < p.freed < seq:  # the common case first
                key.append(seq - p.seq)  # relative: the same for every step of a loop
            elif tp is VarNode:
                key.append(("v", var_index[p]))
                if saved.setdefault(p, a) is not a:
                    return None
            elif tp is OutputRef and not dead(p, seq):
                return None
            else:  # a constant: None, NO_VARIABLE or the value of a freed graph
                if type(a) is float:  # by type only: its value is an input
                    key.append("f")
                    consts.append(node.out.dtype.type(a))
                elif type(a) is int or type(a) is bool:
                    key.append(("s", a))
                else:
                    key.append((a.shape, a.dtype))
                    consts.append(a)
        parts.append(tuple(key))
        outs.append(node.out)
    values = [saved.get(v, v.array._data) for v in variables]
    heads_key = tuple(base - node_of(h).seq for h in heads)
    return (tuple(parts), heads_key), values + consts + outs
