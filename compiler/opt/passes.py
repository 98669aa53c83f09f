"""Graph passes: small functions from a graph to an equivalent graph.

``optimize`` runs them to a fixed point: algebraic simplification, constant folding,
common-subexpression elimination, dead-code elimination. With checks enabled,
``check_graph`` validates the result of every pass.

NaN/Inf semantics: ``x*1``, ``x/1``, ``x-0``, ``x+0`` and ``neg(neg(x))`` are removed (``x+0``
can only turn a -0.0 result into +0.0). ``x*0`` is *not* folded to 0: it is NaN for x = NaN
or ±Inf. ``x+x`` becomes ``x*2`` and ``(x*a)*b`` becomes ``x*(a*b)`` only for powers of two
a, b >= 1, where both are exact. ``sum(broadcast_to(x))`` back to x's shape becomes
``x*copies``, equal up to the rounding of the sum.
"""

from __future__ import annotations

from typing import Any, Callable, TypeGuard

import numpy as np

from .. import settings
from ..core import ShapedArray
from ..errors import GraphCheckError
from ..frontend.interpreter import eval_graph
from ..ir import Atom, Eqn, Graph, Literal, Var

FOLD_MAX_SIZE = 1  # larger constants stay symbolic: fusion computes them for free


# -- validation -------------------------------------------------------------------------------

def check_graph(graph: Graph) -> Graph:
    """Raise GraphCheckError unless every variable is defined once, before use, and every
    equation's output types agree with its primitive's shape/dtype rule."""
    defined: set[int] = set()

    def define(v: Var, where: str) -> None:
        if not isinstance(v, Var):
            raise GraphCheckError(f"{where}: {v!r} is not a variable")
        if id(v) in defined:
            raise GraphCheckError(f"{where}: variable {v!r} is defined twice")
        defined.add(id(v))

    def use(a: Atom, where: str) -> None:
        if isinstance(a, Var) and id(a) not in defined:
            raise GraphCheckError(f"{where}: variable {a!r} is used before it is defined")

    if len(graph.consts) != len(graph.constvars):
        raise GraphCheckError("the graph has a different number of constvars and consts")
    for v, c in zip(graph.constvars, graph.consts):
        define(v, "constvar")
        if tuple(np.shape(c)) != v.aval.shape or np.asarray(c).dtype != v.aval.dtype:
            raise GraphCheckError(f"constant {v!r} holds {np.asarray(c).dtype}{np.shape(c)}")
    for v in graph.invars:
        define(v, "input")
    for k, e in enumerate(graph.eqns):
        where = f"equation {k} ({e.prim.name})"
        for a in e.invars:
            use(a, where)
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
            define(v, where)
    for a in graph.outvars:
        use(a, "output")
    return graph


# -- the rewriting helper ---------------------------------------------------------------------

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

    def finish(self) -> Graph:
        outs = [self.get(a) for a in self.graph.outvars]
        return Graph(self.constvars, list(self.graph.invars), self.eqns, outs, self.consts)


def _rewrite(graph: Graph, rule: Callable[[Rewriter, Eqn], bool]) -> Graph:
    """Apply ``rule`` to each equation (inputs already substituted); a rule that returns False
    keeps the equation as it is."""
    rw = Rewriter(graph)
    for e in graph.eqns:
        e2 = Eqn(e.prim, e.params, [rw.get(a) for a in e.invars], e.outvars, e.source)
        if not rule(rw, e2):
            rw.emit(e2)
    return rw.finish()


# -- dead-code elimination --------------------------------------------------------------------

def dce(graph: Graph) -> Graph:
    """Drop equations whose outputs are never used, and constants nobody reads."""
    live = {id(a) for a in graph.outvars if isinstance(a, Var)}
    kept = []
    for e in reversed(graph.eqns):
        if any(id(v) in live for v in e.outvars):
            kept.append(e)
            live.update(id(a) for a in e.invars if isinstance(a, Var))
    kept.reverse()
    pairs = [(v, c) for v, c in zip(graph.constvars, graph.consts) if id(v) in live]
    return Graph([v for v, _ in pairs], list(graph.invars), kept, list(graph.outvars),
                 [c for _, c in pairs])


# -- common subexpressions --------------------------------------------------------------------

def _key(a: Atom) -> Any:
    if isinstance(a, Literal):
        return ("lit", a.value, a.aval.dtype.name, a.weak)
    return id(a)


def _params_key(params: dict) -> Any:
    try:
        return tuple(sorted(params.items()))
    except TypeError:
        return None


def cse(graph: Graph) -> Graph:
    """Reuse the first of several equal equations (same primitive, params and inputs)."""
    seen: dict[Any, list[Var]] = {}

    def rule(rw: Rewriter, e: Eqn) -> bool:
        pk = _params_key(e.params)
        if e.prim.kind == "random" or pk is None:
            return False
        key = (e.prim.name, pk, tuple(_key(a) for a in e.invars))
        if key in seen:
            for old, new in zip(e.outvars, seen[key]):
                rw.subst[id(old)] = new
            return True
        seen[key] = e.outvars
        return False

    return _rewrite(graph, rule)


# -- constant folding -------------------------------------------------------------------------

def fold_constants(graph: Graph) -> Graph:
    """Evaluate equations whose inputs are all known; small results become constants, and
    0-d results become literals."""
    known: dict[int, Any] = {id(v): c for v, c in zip(graph.constvars, graph.consts)}

    def rule(rw: Rewriter, e: Eqn) -> bool:
        if e.prim.kind == "random" or e.prim.multiple_results:
            return False
        if not all(isinstance(a, Literal) or id(a) in known for a in e.invars):
            return False
        if any(v.aval.size > FOLD_MAX_SIZE for v in e.outvars):
            return False
        args = [a.runtime_value if isinstance(a, Literal) else known[id(a)] for a in e.invars]
        value = np.asarray(e.prim.impl(*args, **e.params))
        (out,) = e.outvars
        if value.ndim == 0:
            rw.subst[id(out)] = Literal(value.item(), value.dtype, weak=False)
        else:
            v = rw.new_const(value)
            known[id(v)] = value
            rw.subst[id(out)] = v
        return True

    return dce(_rewrite(graph, rule))


# -- algebraic simplification -----------------------------------------------------------------

def _is_lit(a: Atom, value: float) -> bool:
    return isinstance(a, Literal) and a.value == value


def simplify(graph: Graph) -> Graph:
    """Local algebraic rewrites; each keeps results identical (see the module doc)."""
    producer: dict[int, Eqn] = {}
    consts = {id(v): c for v, c in zip(graph.constvars, graph.consts)}

    def alias(rw: Rewriter, e: Eqn, a: Atom) -> bool:
        (out,) = e.outvars
        if isinstance(a, Var) and a.aval == out.aval:
            rw.subst[id(out)] = a
            return True
        return False

    def src(a: Atom, name: str) -> Eqn | None:
        p = producer.get(id(a)) if isinstance(a, Var) else None
        return p if p is not None and p.prim.name == name else None

    def scalar_const(a: Atom) -> Literal | None:
        c = consts.get(id(a)) if isinstance(a, Var) else None
        if c is None or np.size(c) != 1:
            return None
        return Literal(np.asarray(c).reshape(()).item(), np.asarray(c).dtype, weak=False)

    def rule(rw: Rewriter, e: Eqn) -> bool:
        if e.prim.kind == "elementwise":
            _scalars_inline(e, scalar_const, src)
            _hoist_broadcast(rw, e, src)
        name, ins = e.prim.name, e.invars
        if name == "mul" and _is_lit(ins[1], 1) or name == "div" and _is_lit(ins[1], 1):
            return alias(rw, e, ins[0])
        if name == "mul" and _is_lit(ins[0], 1) or name == "add" and _is_lit(ins[0], 0):
            return alias(rw, e, ins[1])
        if name in ("add", "sub") and _is_lit(ins[1], 0) or name == "pow" and _is_lit(ins[1], 1):
            return alias(rw, e, ins[0])
        if name == "pow" and _is_lit(ins[1], 2):  # NumPy computes x**2 as x*x too
            e.prim, e.invars = _prim("mul"), [ins[0], ins[0]]
        if name == "neg" and (inner := src(ins[0], "neg")) is not None:
            return alias(rw, e, inner.invars[0])
        if name in ("reshape", "broadcast_to") and alias(rw, e, ins[0]):
            return True  # to the shape it already has
        if name == "reshape" and (b := src(ins[0], "broadcast_to")) is not None \
                and isinstance(b.invars[0], Var) and b.invars[0].aval.size == 1:
            e.prim, e.params, e.invars = b.prim, {"shape": e.params["shape"]}, [b.invars[0]]
        if name == "reshape" and (inner := src(ins[0], "reshape")) is not None:
            e.invars = [inner.invars[0]]
            if alias(rw, e, e.invars[0]):
                return True
        if name == "transpose" and _sink_transpose(rw, e, src):
            return True
        if name == "transpose" and (inner := src(ins[0], "transpose")) is not None:
            axes = tuple(inner.params["axes"][a] for a in e.params["axes"])
            if axes == tuple(range(len(axes))):
                return alias(rw, e, inner.invars[0])
            e.params, e.invars = {"axes": axes}, [inner.invars[0]]
        if name == "matmul":
            _matmul_by_scalar(e, scalar_const)
        if name == "reshape" and (r := src(ins[0], "reduce_sum")) is not None \
                and not r.params["keepdims"]:
            # unbroadcast's sum-then-reshape is one keepdims sum
            kd = tuple(1 if i in r.params["axes"] else n
                       for i, n in enumerate(r.invars[0].aval.shape))
            if kd == tuple(e.params["shape"]):
                e.prim, e.params = r.prim, {"axes": r.params["axes"], "keepdims": True}
                e.invars = [r.invars[0]]
        if name == "reduce_sum" and (b := src(ins[0], "broadcast_to")) is not None:
            # sum(broadcast_to(x, s), axes) back to x's shape is x times the copies made
            x = b.invars[0]
            if isinstance(x, Var) and e.outvars[0].aval.shape == x.aval.shape:
                copies = b.outvars[0].aval.size // max(x.aval.size, 1)
                e.prim, e.params = _prim("mul"), {}
                e.invars = [x, Literal(float(copies), x.aval.dtype)]
        if e.prim.name == "add" and isinstance(e.invars[0], Var) and e.invars[0] is e.invars[1]:
            e.prim, e.invars = _prim("mul"), [e.invars[0], Literal(2.0, e.invars[0].aval.dtype)]
        if e.prim.name == "mul" and _exact_scale(e.invars[1]) \
                and (inner := src(e.invars[0], "mul")) is not None \
                and _exact_scale(inner.invars[1]):
            e.invars = [inner.invars[0], Literal(inner.invars[1].value * e.invars[1].value,
                                                 e.outvars[0].aval.dtype)]
        if e.prim.name == "mul" and isinstance(e.invars[0], Literal) \
                and isinstance(e.invars[1], Var):
            e.invars = [e.invars[1], e.invars[0]]  # canonical order: variable first
        for v in e.outvars:
            producer[id(v)] = e
        return False

    return _rewrite(graph, rule)


def _scalars_inline(e: Eqn, scalar_const: Callable, src: Callable) -> None:
    """Elementwise inputs that are size-1 constants, or broadcasts the op would do anyway,
    are replaced by a literal or by the broadcast's input."""
    out_shape = e.outvars[0].aval.shape
    for i, a in enumerate(e.invars):
        others = [tuple(b.aval.shape) for j, b in enumerate(e.invars) if j != i]
        lit = scalar_const(a)
        if lit is not None and np.broadcast_shapes(*others, ()) == out_shape:
            e.invars[i] = lit
            continue
        b = src(a, "broadcast_to")
        if b is not None and isinstance(b.invars[0], Var):
            x = b.invars[0]
            if np.broadcast_shapes(*others, x.aval.shape) == out_shape:
                e.invars[i] = x


def _hoist_broadcast(rw: Rewriter, e: Eqn, src: Callable) -> None:
    """f(broadcast_to(x), scalars) is broadcast_to(f(x, scalars)): f runs on fewer elements,
    and when x is a constant the inner part folds away."""
    arrays = [a for a in e.invars if isinstance(a, Var)]
    if len(arrays) != 1 or e.prim.name == "stop_gradient":
        return
    b = src(arrays[0], "broadcast_to")
    if b is None or not isinstance(b.invars[0], Var):
        return
    x = b.invars[0]
    out = e.outvars[0]
    small = Var(ShapedArray(tuple(x.aval.shape), out.aval.dtype))
    rw.emit(Eqn(e.prim, e.params, [x if a is arrays[0] else a for a in e.invars], [small],
                e.source))
    e.prim, e.params, e.invars = b.prim, {"shape": out.aval.shape}, [small]


def _sink_transpose(rw: Rewriter, e: Eqn, src: Callable) -> bool:
    """transpose(f(transpose(x), scalars)) with inverse permutations is f(x, scalars)."""
    p = [q for q in (src(e.invars[0], n) for n in ("mul", "add", "sub", "div", "neg", "exp",
                                                   "tanh", "log")) if q is not None]
    if not p:
        return False
    inner = p[0]
    arrays = [a for a in inner.invars if isinstance(a, Var)]
    if len(arrays) != 1:
        return False
    t = src(arrays[0], "transpose")
    if t is None or not isinstance(t.invars[0], Var):
        return False
    axes = tuple(t.params["axes"][a] for a in e.params["axes"])
    if axes != tuple(range(len(axes))):
        return False
    x = t.invars[0]
    out = e.outvars[0]
    new_ins = [x if a is arrays[0] else a for a in inner.invars]
    rw.emit(Eqn(inner.prim, inner.params, new_ins, [out], e.source))
    return True


def _matmul_by_scalar(e: Eqn, scalar_const: Callable) -> None:
    """A product with a 1x1 constant matrix is a scaling."""
    a, b = e.invars
    out = e.outvars[0].aval
    for mat, other in ((b, a), (a, b)):
        lit = scalar_const(mat)
        if lit is not None and isinstance(other, Var) and other.aval.shape == out.shape:
            e.prim, e.params, e.invars = _prim("mul"), {}, [other, lit]
            return


def _exact_scale(a: Atom) -> TypeGuard[Literal]:
    """A literal power of two >= 1: scaling by two of them in a row is exact, so it can be
    merged into one multiplication without changing any result."""
    if not isinstance(a, Literal) or not np.isfinite(a.value) or abs(a.value) < 1:
        return False
    mantissa, _ = np.frexp(abs(float(a.value)))
    return bool(mantissa == 0.5)


def _prim(name: str) -> Any:
    from ..core import REGISTRY

    return REGISTRY[name]


# -- the pipeline -----------------------------------------------------------------------------

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


def same_results(a: Graph, b: Graph, args: list) -> bool:
    """Whether two graphs compute the same values on ``args`` (for tests of passes)."""
    return all(np.array_equal(x, y, equal_nan=True)
               for x, y in zip(eval_graph(a, args), eval_graph(b, args)))
