"""Arithmetic rules: identities that remove an equation, and canonical forms.

Each docstring says why the rewrite keeps every result, NaN and ±Inf included. ``x*0`` is
deliberately *not* folded to 0: it is NaN for x = NaN or ±Inf.
"""

from __future__ import annotations

from ..ir import Eqn, Literal, Var
from .rule import Context, exact_scale, is_lit, prim, rule


@rule("mul")
def mul_by_one(cx: Context, e: Eqn) -> bool | None:
    """``x*1`` and ``1*x`` are x: multiplying by one is exact for every x, NaN and ±Inf
    included."""
    x, y = e.invars
    if is_lit(y, 1):
        return cx.alias(e, x)
    if is_lit(x, 1):
        return cx.alias(e, y)
    return None


@rule("div")
def div_by_one(cx: Context, e: Eqn) -> bool | None:
    """``x/1`` is x: dividing by one is exact for every x, NaN and ±Inf included."""
    x, y = e.invars
    return cx.alias(e, x) if is_lit(y, 1) else None


@rule("add", "sub")
def add_zero(cx: Context, e: Eqn) -> bool | None:
    """``0+x``, ``x+0`` and ``x-0`` are x. Adding zero is exact; it can only turn a -0.0
    result into +0.0, and -0.0 == +0.0 (NaN and ±Inf stay what they are)."""
    x, y = e.invars
    if e.prim.name == "add" and is_lit(x, 0):
        return cx.alias(e, y)
    if is_lit(y, 0):
        return cx.alias(e, x)
    return None


@rule("pow")
def pow_one(cx: Context, e: Eqn) -> bool | None:
    """``x**1`` is x: NumPy's power returns x itself for every x, NaN and ±Inf included."""
    x, y = e.invars
    return cx.alias(e, x) if is_lit(y, 1) else None


@rule("pow")
def square_as_mul(cx: Context, e: Eqn) -> bool | None:
    """``x**2`` becomes ``x*x``: NumPy computes x**2 as x*x too, so the bits are the same."""
    x, y = e.invars
    if is_lit(y, 2):
        e.prim, e.invars = prim("mul"), [x, x]
    return None


@rule("pow")
def cube_as_mul(cx: Context, e: Eqn) -> bool | None:
    """``x**3`` becomes ``(x*x)*x``, as JAX's integer powers and PyTorch's ``pow(x, 3)`` do:
    the general power costs a float64 log and exp per element (GELU's ``x**3`` made its
    kernel 2x slower). Two roundings instead of one: within 2 ulp of NumPy's power. NaN, ±Inf,
    ±0 and the sign come out as NumPy's, and ``x*x`` overflows only where ``x**3`` does."""
    x, y = e.invars
    (out,) = e.outvars
    if not (is_lit(y, 3) and isinstance(x, Var) and x.aval == out.aval):
        return None
    square = Eqn(prim("mul"), {}, [x, x], [Var(out.aval)], e.source)
    cx.emit(square)
    cx.record(square)
    e.prim, e.params, e.invars = prim("mul"), {}, [square.outvars[0], x]
    return None


@rule("neg")
def neg_neg(cx: Context, e: Eqn) -> bool | None:
    """``-(-x)`` is x: negation only flips the sign bit."""
    inner = cx.src(e.invars[0], "neg")
    return cx.alias(e, inner.invars[0]) if inner is not None else None


@rule("matmul")
def matmul_by_scalar(cx: Context, e: Eqn) -> bool | None:
    """A product with a 1x1 constant matrix c is ``x*c``: each output element is one product
    x[i]*c, which is all the elementwise product computes too."""
    a, b = e.invars
    out = e.outvars[0].aval
    for mat, other in ((b, a), (a, b)):
        lit = cx.scalar_const(mat)
        if lit is not None and isinstance(other, Var) and other.aval.shape == out.shape:
            e.prim, e.params, e.invars = prim("mul"), {}, [other, lit]
            return None
    return None


@rule("add")
def add_self(cx: Context, e: Eqn) -> bool | None:
    """``x+x`` becomes ``x*2``: doubling is exact, and overflows (to ±Inf) exactly when the
    sum does."""
    x, y = e.invars
    if isinstance(x, Var) and x is y:
        e.prim, e.invars = prim("mul"), [x, Literal(2.0, x.aval.dtype)]
    return None


@rule("mul")
def merge_exact_scales(cx: Context, e: Eqn) -> bool | None:
    """``(x*a)*b`` becomes ``x*(a*b)`` when a and b are powers of two >= 1 in magnitude: each
    scaling is exact, so both forms give the exact product, or both overflow to the same ±Inf
    (no underflow is possible)."""
    x, b = e.invars
    inner = cx.src(x, "mul")
    if not exact_scale(b) or inner is None or not exact_scale(inner.invars[1]):
        return None
    a = inner.invars[1]
    e.invars = [inner.invars[0], Literal(a.value * b.value, e.outvars[0].aval.dtype)]
    return None


@rule("mul")
def literal_last(cx: Context, e: Eqn) -> bool | None:
    """``c*x`` becomes ``x*c`` (the canonical order that the other rules and CSE match):
    multiplication commutes."""
    x, y = e.invars
    if isinstance(x, Literal) and isinstance(y, Var):
        e.invars = [y, x]
    return None
