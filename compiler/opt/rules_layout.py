"""Rules about where data sits: broadcasts, reshapes, transposes and the sums of
broadcasts that gradients produce.

Moving data around never changes a value, so these are exact, with one exception said in
its docstring (``sum_of_broadcast``, equal up to the rounding of the sum).
"""

from __future__ import annotations

import numpy as np

from ..core import ShapedArray
from ..ir import Eqn, Literal, Var
from .rule import Context, prim, rule

# elementwise primitives that sink_transpose moves a transpose through
_TRANSPOSABLE = ("mul", "add", "sub", "div", "neg", "exp", "tanh", "log")


@rule(elementwise=True)
def scalars_inline(cx: Context, e: Eqn) -> bool | None:
    """Elementwise inputs that are size-1 constants become literals, and broadcasts that the
    op would do anyway are replaced by the broadcast's input. The op broadcasts the same
    values to the same output shape, so every result is the same."""
    out_shape = e.outvars[0].aval.shape
    for i, a in enumerate(e.invars):
        others = [tuple(b.aval.shape) for j, b in enumerate(e.invars) if j != i]
        lit = cx.scalar_const(a)
        if lit is not None and np.broadcast_shapes(*others, ()) == out_shape:
            e.invars[i] = lit
            continue
        b = cx.src(a, "broadcast_to")
        if b is not None and isinstance(b.invars[0], Var):
            x = b.invars[0]
            if np.broadcast_shapes(*others, x.aval.shape) == out_shape:
                e.invars[i] = x
    return None


@rule(elementwise=True)
def hoist_broadcast(cx: Context, e: Eqn) -> bool | None:
    """``f(broadcast_to(x), scalars)`` becomes ``broadcast_to(f(x, scalars))``: f computes
    the same values on fewer elements, and when x is a constant the inner part folds away."""
    arrays = [a for a in e.invars if isinstance(a, Var)]
    if len(arrays) != 1 or e.prim.name == "stop_gradient":
        return None
    b = cx.src(arrays[0], "broadcast_to")
    if b is None or not isinstance(b.invars[0], Var):
        return None
    x = b.invars[0]
    out = e.outvars[0]
    small = Var(ShapedArray(tuple(x.aval.shape), out.aval.dtype))
    cx.emit(Eqn(e.prim, e.params, [x if a is arrays[0] else a for a in e.invars], [small],
                e.source))
    e.prim, e.params, e.invars = b.prim, {"shape": out.aval.shape}, [small]
    return None


@rule("reshape", "broadcast_to")
def same_shape(cx: Context, e: Eqn) -> bool | None:
    """A reshape or broadcast to the shape its input already has is that input."""
    return True if cx.alias(e, e.invars[0]) else None


@rule("reshape")
def reshape_of_broadcast(cx: Context, e: Eqn) -> bool | None:
    """``reshape(broadcast_to(x))`` of a one-element x is ``broadcast_to(x)`` to the new
    shape: every element is x's one value either way. (Not when x has more axes than the new
    shape: a broadcast cannot drop axes.)"""
    b = cx.src(e.invars[0], "broadcast_to")
    if b is None or not isinstance(x := b.invars[0], Var):
        return None
    if x.aval.size == 1 and x.aval.ndim <= len(e.params["shape"]):
        e.prim, e.params, e.invars = b.prim, {"shape": e.params["shape"]}, [x]
    return None


@rule("transpose")
def sink_transpose(cx: Context, e: Eqn) -> bool | None:
    """``transpose(f(transpose(x), scalars))`` with inverse permutations is
    ``f(x, scalars)``: f is elementwise, so it computes the same value for each element
    wherever the element sits."""
    p = [q for q in (cx.src(e.invars[0], n) for n in _TRANSPOSABLE) if q is not None]
    if not p:
        return None
    inner = p[0]
    arrays = [a for a in inner.invars if isinstance(a, Var)]
    if len(arrays) != 1:
        return None
    t = cx.src(arrays[0], "transpose")
    if t is None or not isinstance(t.invars[0], Var):
        return None
    axes = tuple(t.params["axes"][a] for a in e.params["axes"])
    if axes != tuple(range(len(axes))):
        return None
    x = t.invars[0]
    new_ins = [x if a is arrays[0] else a for a in inner.invars]
    cx.emit(Eqn(inner.prim, inner.params, new_ins, [e.outvars[0]], e.source))
    return True


@rule("transpose")
def transpose_of_transpose(cx: Context, e: Eqn) -> bool | None:
    """Two transposes in a row are one transpose by the composed permutation, or none when
    it is the identity."""
    inner = cx.src(e.invars[0], "transpose")
    if inner is None:
        return None
    axes = tuple(inner.params["axes"][a] for a in e.params["axes"])
    if axes == tuple(range(len(axes))):
        return cx.alias(e, inner.invars[0])
    e.params, e.invars = {"axes": axes}, [inner.invars[0]]
    return None


@rule("reduce_sum")
def sum_of_broadcast(cx: Context, e: Eqn) -> bool | None:
    """``sum(broadcast_to(x, s), axes)`` back to x's shape becomes ``x*copies`` when the sum
    adds up copies only: every summed axis is one the broadcast made (new, or of length 1 in
    x). Equal up to the rounding of the sum (NaN and ±Inf give NaN and ±Inf either way)."""
    b = cx.src(e.invars[0], "broadcast_to")
    if b is None:
        return None
    x = b.invars[0]
    if isinstance(x, Var) and e.outvars[0].aval.shape == x.aval.shape \
            and _sums_copies(x.aval.shape, b.outvars[0].aval.shape, e.params["axes"]):
        copies = b.outvars[0].aval.size // max(x.aval.size, 1)
        e.prim, e.params = prim("mul"), {}
        e.invars = [x, Literal(float(copies), x.aval.dtype)]
    return None


def _sums_copies(shape: tuple, broadcast: tuple, axes: tuple) -> bool:
    """Whether summing ``axes`` of an array of ``shape`` broadcast to ``broadcast`` adds up
    copies only: the new leading axes are all summed, and no summed axis has length > 1 in
    the array (summing (3,) broadcast to (3, 3) over axis 1 adds different elements)."""
    lead = len(broadcast) - len(shape)
    return set(range(lead)) <= set(axes) and all(a < lead or shape[a - lead] == 1 for a in axes)


@rule("reshape")
def unbroadcast_sum_reshape(cx: Context, e: Eqn) -> bool | None:
    """``reshape(sum(x, axes))`` to the shape with 1 at the summed axes is
    ``sum(x, axes, keepdims=True)`` (how a gradient un-broadcasts): the same sums, in the
    same order."""
    r = cx.src(e.invars[0], "reduce_sum")
    if r is None or r.params["keepdims"]:
        return None
    kd = tuple(1 if i in r.params["axes"] else n for i, n in enumerate(r.invars[0].aval.shape))
    if kd == tuple(e.params["shape"]):
        e.prim, e.params = r.prim, {"axes": r.params["axes"], "keepdims": True}
        e.invars = [r.invars[0]]
    return None


@rule("reshape")
def reshape_of_reshape(cx: Context, e: Eqn) -> bool | None:
    """Two reshapes in a row are one (row-major order is kept by both), or none when the
    result has the first one's input shape."""
    inner = cx.src(e.invars[0], "reshape")
    if inner is None:
        return None
    e.invars = [inner.invars[0]]
    return True if cx.alias(e, e.invars[0]) else None
