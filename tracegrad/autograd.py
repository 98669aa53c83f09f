"""MXNet-1.x autograd: recording scopes, variables, backward, grad, Function.

``backward`` walks the recorded graph (see :mod:`tracegrad.tape`) from the heads in reverse
topological order and applies each primitive's VJP rule. Without ``create_graph`` the rules
run on raw NumPy arrays (fast); with it they run on NDArrays under recording, so the walk is
itself recorded and can be differentiated again, to any order.
"""

from __future__ import annotations

import weakref
from typing import Any, Sequence

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad._compiler.core import Primitive, ShapedArray, vjp_of
from tracegrad._compiler.ir import Graph
from tracegrad.errors import (
    GradReqError,
    GraphFreedError,
    HeadGradientError,
    NotInGraphError,
)
from tracegrad.ndarray import NDArray, _wrap, apply
from tracegrad.state import (  # noqa: F401  (public API)
    FLAGS,
    is_recording,
    is_training,
    pause,
    predict_mode,
    record,
    set_recording,
    set_training,
    train_mode,
)
from tracegrad.tape import (
    NO_VARIABLE,
    Node,
    NoVariable,
    OutputRef,
    VarNode,
    dead,
    free_graph,
    node_of,
    recorded_graph,
    topo_order,
)

_NOT_IN_GRAPH = "Cannot differentiate node because it is not in a computational graph."
_GRAD_REQS = ("write", "add", "null")
# Variables whose gradient backward() wrote since gluon.Trainer last stepped them (MXNet's
# NDArray._fresh_grad), by id; weak values, so a collected array never reads as fresh.
FRESH_GRADS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def mark_variables(variables: Sequence[NDArray] | NDArray,
                   gradients: Sequence[NDArray] | NDArray,
                   grad_reqs: str | Sequence[str] = "write") -> None:
    """Mark arrays as variables whose gradients are written into ``gradients``."""
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]  # type: ignore[list-item]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not len(variables) == len(gradients) == len(grad_reqs):
        raise ValueError(f"mark_variables got {len(variables)} variables, {len(gradients)} "
                         f"gradients and {len(grad_reqs)} grad_reqs; they must match")
    for v, g, req in zip(variables, gradients, grad_reqs):
        if req not in _GRAD_REQS:
            raise GradReqError(f"grad_req must be one of {_GRAD_REQS}, got {req!r}")
        if not isinstance(v, NDArray) or not isinstance(g, NDArray):
            raise TypeError("mark_variables expects NDArrays")
        if g.shape != v.shape:
            raise ValueError(f"gradient buffer shape {g.shape} does not match variable shape "
                             f"{v.shape}")
        if v.is_traced:
            raise TypeError("attach_grad() inside a jit-traced function is not supported; "
                            "use tracegrad.grad instead")
        v._node = VarNode(v, g, req)
        if FRESH_GRADS.get(id(v)) is v:  # a new gradient buffer is not fresh (MXNet)
            del FRESH_GRADS[id(v)]


def _check_heads(heads: list[NDArray]) -> None:
    for i, h in enumerate(heads):
        if not isinstance(h, NDArray):
            raise TypeError(f"head {i} is a {type(h).__name__}, not an NDArray")
        entry = h._node
        if entry is None:
            raise NotInGraphError(
                f"{_NOT_IN_GRAPH} Head {i} (shape {h.shape}) was not recorded: it was computed "
                "outside `with autograd.record():`, or it is a plain array. Compute it inside "
                "autograd.record(), after calling attach_grad() on the inputs you need "
                "gradients for.")
        if type(entry) is NoVariable:
            raise NotInGraphError(
                f"{_NOT_IN_GRAPH} Head {i} (shape {h.shape}) was recorded, but none of the "
                "arrays it was computed from has a gradient attached. Call x.attach_grad() on "
                "the inputs before `with autograd.record():`.")
        node = node_of(entry)
        if type(node) is Node and node.freed:
            raise GraphFreedError(
                f"{_NOT_IN_GRAPH} The graph of head {i} (shape {h.shape}) was freed by an "
                "earlier backward(). Pass retain_graph=True to the first backward() to "
                "differentiate the same graph again, or record it again.")


def _head_grad(h: NDArray, g: Any, i: int, create_graph: bool) -> Any:
    if g is None:
        val = np.ones(h.shape, dtype=h._data.dtype)
        return _wrap(val) if create_graph else val
    gd = g._data if isinstance(g, NDArray) else np.asarray(g, dtype=h._data.dtype)
    if gd.dtype != h._data.dtype:
        raise HeadGradientError(
            f"head gradient {i} has dtype {gd.dtype.name} but its head has dtype "
            f"{h._data.dtype.name}; cast it first, e.g. g.astype('{h._data.dtype.name}') "
            "(MXNet raises here too)")
    if tuple(gd.shape) != h.shape:
        if gd.size != h.size:
            raise HeadGradientError(
                f"head gradient {i} has shape {tuple(gd.shape)} ({gd.size} elements) but its "
                f"head has shape {h.shape} ({h.size} elements); they must have the same size "
                "(MXNet would silently accept this and give wrong gradients)")
        # the same size: MXNet reads it in the head's shape
        if create_graph and isinstance(g, NDArray):
            return apply(P.reshape, (g,), {"shape": h.shape})
        gd = gd.reshape(h.shape)
    if create_graph:
        return g if isinstance(g, NDArray) else _wrap(gd)
    return gd


def _run_backward(heads: list[NDArray], head_grads: Sequence[Any] | None,
                  retain_graph: bool, create_graph: bool, train_mode: bool,
                  order: list | None = None) -> tuple:
    """Propagate cotangents from the heads to every reachable entry.

    Returns ``(cts, order)``: the cotangent of each node and VarNode by ``id``, and the nodes
    in topological order. The hot loop keeps cotangents in a dict keyed by ``id(node)`` and
    skips VJPs of inputs that need no gradient.
    """
    _check_heads(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    if len(head_grads) != len(heads):
        raise HeadGradientError(f"got {len(heads)} heads but {len(head_grads)} head gradients")
    cts: dict[int, Any] = {}  # id(node) -> cotangent; multi-output nodes hold a list
    for i, (h, g) in enumerate(zip(heads, head_grads)):
        _add_entry_ct(cts, h._node, _head_grad(h, g, i, create_graph))
    if order is None:
        order = topo_order([h._node for h in heads])
    saved = FLAGS.set((create_graph, train_mode))
    get = cts.get
    try:
        for node in reversed(order):
            g = get(id(node))
            if g is None or type(node) is not Node:
                continue
            prim = node.prim
            if node.freed:
                raise GraphFreedError(
                    f"{_NOT_IN_GRAPH} Part of this graph ('{prim.name}') was freed by an "
                    "earlier backward(). Pass retain_graph=True to keep it.")
            args, out, parents = node.args, node.out, node.parents
            if prim.multiple_results:
                g = [x if x is not None else _zeros_like(o, create_graph) for x, o in zip(g, out)]
            if create_graph:
                args = tuple(_rewrap(a, p) for a, p in zip(args, parents))
                out = ([_rewrap(o, OutputRef(node, k)) for k, o in enumerate(out)]
                       if prim.multiple_results else _rewrap(out, node))
            in_cts = vjp_of(prim, g, out, args, node.params, parents, int_grads=True)
            for p, ct in zip(parents, in_cts):
                if ct is None or p is None or p is NO_VARIABLE or dead(p, node.seq):
                    continue
                if type(p) is OutputRef:
                    _add_entry_ct(cts, p, ct)
                    continue
                key = id(p)
                old = get(key)
                cts[key] = ct if old is None else old + ct
    finally:
        FLAGS.reset(saved)
    if not retain_graph:
        free_graph(order)
    return cts, order


def _add_entry_ct(cts: dict, entry: Any, ct: Any) -> None:
    if type(entry) is OutputRef:
        slots = cts.setdefault(id(entry.node), [None] * len(entry.node.out))
        slots[entry.index] = ct if slots[entry.index] is None else slots[entry.index] + ct
    else:
        old = cts.get(id(entry))
        cts[id(entry)] = ct if old is None else old + ct


def _zeros_like(x: Any, create_graph: bool) -> Any:
    z = np.zeros(np.shape(x), dtype=x.dtype)
    return _wrap(z) if create_graph else z


def _rewrap(value: Any, entry: Any) -> Any:
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    r = _wrap(value)
    r._node = entry
    return r


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, NDArray) else x


def backward(heads: NDArray | Sequence[NDArray], head_grads: Any = None,
             retain_graph: bool = False, train_mode: bool = True) -> None:
    """Compute the gradients of ``heads`` and store them in the variables' ``.grad``.

    ``head_grads`` (one per head, each may be None for ones) weight the heads. The graph is
    freed afterwards unless ``retain_graph=True``.

    >>> from tracegrad import autograd, nd
    >>> x = nd.array([1.0, 2.0]); x.attach_grad()
    >>> with autograd.record():
    ...     y1, y2 = x * 2, x * x
    >>> autograd.backward([y1, y2], [nd.array([1.0, 1.0]), None])
    >>> x.grad.asnumpy().tolist()
    [4.0, 6.0]
    """
    heads = [heads] if isinstance(heads, NDArray) else list(heads)
    if isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    compiled, order = _compiled_backward(heads, head_grads, retain_graph)
    if compiled is not None:
        variables, grads = compiled
        cts = {id(v): g for v, g in zip(variables, grads)}
    else:
        cts, order = _run_backward(heads, head_grads, retain_graph, False, train_mode, order)
        variables = [n for n in order if type(n) is VarNode]
    if not variables:
        raise NotInGraphError(f"{_NOT_IN_GRAPH} No variable with attach_grad() was reached "
                              "from the heads.")
    if all(v.grad_req == "null" for v in variables):
        raise GradReqError("every variable reached by backward has grad_req='null', so there "
                           "is nothing to compute. Use attach_grad(grad_req='write') on the "
                           "arrays you need gradients for.")
    for v in variables:
        ct = cts.get(id(v))
        if v.grad_req == "null":
            v.grad = None  # as MXNet: a 'null' variable reached by backward has no gradient
            continue
        FRESH_GRADS[id(v.array)] = v.array
        buf = v.grad._data
        if ct is None:
            if v.grad_req == "write":
                buf[...] = 0
            continue
        ct = np.asarray(_raw(ct))
        if v.grad_req == "write":
            np.copyto(buf, ct, casting="unsafe")
        else:
            buf += ct


def _compiled_backward(heads: list, head_grads: Any, retain_graph: bool) -> tuple:
    """The compiled-loop path of ``backward`` (tracegrad.loops): ``((variables, gradients),
    order)``, or ``(None, order)`` to walk the tape (order is None if not computed yet)."""
    from tracegrad import loops

    if loops.config.compile_loops_after <= 0:
        return None, None
    _check_heads(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    if len(head_grads) != len(heads):
        raise HeadGradientError(f"got {len(heads)} heads but {len(head_grads)} head gradients")
    hg = [_head_grad(h, g, i, False) for i, (h, g) in enumerate(zip(heads, head_grads))]
    order = topo_order([h._node for h in heads])
    reached = [n for n in order if type(n) is VarNode]
    if all(v.grad_req == "null" for v in reached):
        return None, order  # the op-by-op path raises the right error
    result = loops.compiled_backward(heads, hg, order, reached)
    if result is None:
        return None, order
    variables, grads = result
    if not retain_graph:
        free_graph(order)
    by_id = {id(v): g for v, g in zip(variables, grads)}
    return (reached, [by_id.get(id(v)) for v in reached]), order


def grad(heads: NDArray | Sequence[NDArray], variables: NDArray | Sequence[NDArray],
         head_grads: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, train_mode: bool = True) -> list[NDArray]:
    """Gradients of ``heads`` with respect to ``variables``, returned as a list.

    ``.grad`` buffers are left untouched. With ``create_graph=True`` the results are recorded
    and can be differentiated again. ``retain_graph`` defaults to ``create_graph``.

    >>> from tracegrad import autograd, nd
    >>> x = nd.array([3.0]); x.attach_grad()
    >>> with autograd.record():
    ...     y = x ** 3
    ...     (dy,) = autograd.grad(y, [x], create_graph=True)
    >>> dy.backward()
    >>> dy.asnumpy().tolist(), x.grad.asnumpy().tolist()  # 3x^2, then 6x
    ([27.0], [18.0])
    """
    heads = [heads] if isinstance(heads, NDArray) else list(heads)
    single = isinstance(variables, NDArray)
    variables = [variables] if single else list(variables)  # type: ignore[list-item]
    if isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    if retain_graph is None:
        retain_graph = create_graph
    for i, v in enumerate(variables):
        if v._node is None or type(v._node) is NoVariable:
            raise NotInGraphError(f"{_NOT_IN_GRAPH} Variable {i} (shape {v.shape}) is not part "
                                  "of any recorded graph; call attach_grad() on it before "
                                  "recording.")
    entries = [v._node for v in variables]
    cts, _ = _run_backward(heads, head_grads, retain_graph, create_graph, train_mode)
    out = []
    for v, e in zip(variables, entries):
        ct = cts.get(id(node_of(e)))
        if type(e) is OutputRef and ct is not None:
            ct = ct[e.index]
        if ct is None:
            ct = np.zeros(v.shape, dtype=v._data.dtype)
        out.append(ct if isinstance(ct, NDArray) else _wrap(np.asarray(ct)))
    return out


def get_graph(*heads: NDArray) -> Graph:
    """The recorded graph of ``heads`` as IR; ``print`` it for the jaxpr-like text.

    Variables are the graph's inputs; arrays that fed recorded ops without a gradient are its
    constants. The graph must not have been freed by ``backward``.

    >>> from tracegrad import autograd, nd
    >>> x = nd.ones(3); x.attach_grad()
    >>> with autograd.record():
    ...     y = nd.exp(x).sum()
    >>> print(autograd.get_graph(y))
    { lambda ; a:f32[3]. let
        b:f32[3] = exp a
        c:f32[] = reduce_sum[axes=(0,), keepdims=False] b
        d:f32[1] = reshape[shape=(1,)] c
      in (d) }
    """
    _check_heads(list(heads))
    return recorded_graph([h._node for h in heads])


class Function:
    """A user-defined differentiable operation, as ``mxnet.autograd.Function``.

    Subclass it and define ``forward`` and ``backward`` on NDArrays; call an instance once.

    Examples
    --------
    >>> from tracegrad import autograd, nd
    >>> class Sigmoid(autograd.Function):
    ...     def forward(self, x):
    ...         y = 1 / (1 + nd.exp(-x))
    ...         self.save_for_backward(y)
    ...         return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors
    ...         return dy * y * (1 - y)
    >>> x = nd.array([0.0]); x.attach_grad()
    >>> with autograd.record():
    ...     y = Sigmoid()(x)
    >>> y.backward(); x.grad.asscalar()
    np.float32(0.25)
    """

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._used = False

    def save_for_backward(self, *args: Any) -> None:
        self._saved = args

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def forward(self, *inputs: NDArray) -> Any:
        raise NotImplementedError("subclasses of autograd.Function define forward()")

    def backward(self, *output_grads: NDArray) -> Any:
        raise NotImplementedError("subclasses of autograd.Function define backward()")

    def __call__(self, *inputs: NDArray) -> Any:
        if self._used:
            raise RuntimeError("an autograd.Function instance can be called only once; "
                               "create a new instance for each call")
        self._used = True
        with pause():
            outputs = self.forward(*inputs)
        multi = isinstance(outputs, (tuple, list))
        outs = list(outputs) if multi else [outputs]
        if not is_recording():
            return outputs
        prim = _function_primitive(self, len(outs))
        raw = tuple(o._data for o in outs)
        results = apply_recorded(prim, inputs, raw)
        return results if multi else results[0]


def _function_primitive(fn: Function, n_out: int) -> Primitive:
    def vjp(g: Any, out: Any, *args: Any) -> list:
        if is_recording():
            raise NotImplementedError(
                f"higher-order gradients through autograd.Function {type(fn).__name__} are "
                "not supported: its backward() runs outside the recorded graph. Write the "
                "operation with nd functions instead, or use create_graph=False.")
        gs = list(g) if n_out > 1 else [g]
        wrapped = [x if isinstance(x, NDArray) else _wrap(np.asarray(x)) for x in gs]
        with pause():
            res = fn.backward(*wrapped)
        res = list(res) if isinstance(res, (tuple, list)) else [res]
        if len(res) != len(args):
            raise ValueError(f"{type(fn).__name__}.backward returned {len(res)} gradients for "
                             f"{len(args)} inputs")
        return [_raw(r) for r in res]

    def impl(*args: Any) -> Any:
        raise RuntimeError(f"{type(fn).__name__} is a user Function; it cannot be re-run "
                           "from a graph")

    def abstract(*args: Any) -> Any:
        raise TypeError(f"autograd.Function {type(fn).__name__} cannot be traced by jit")

    return Primitive(type(fn).__name__, "other", impl, abstract, vjp,
                     multiple_results=n_out > 1)


def apply_recorded(prim: Primitive, inputs: Sequence[Any], raw_outs: tuple) -> list:
    """Record ``prim`` with already computed outputs (user Functions, compiled calls)."""
    from tracegrad.ndarray import _record

    results = [_wrap(o) for o in raw_outs]
    vals = tuple(_raw(a) for a in inputs)
    out = raw_outs if prim.multiple_results else raw_outs[0]
    _record(prim, {}, tuple(inputs), vals, out, results)
    return results


__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad", "get_graph",
           "Function", "apply", "ShapedArray"]
