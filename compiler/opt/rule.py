"""What a simplification rule is, and what it sees.

A rule is a small function ``fn(cx, e)`` on one equation ``e`` whose inputs are already
rewritten; ``cx`` (:class:`Context`) knows the equations kept so far and the graph's constants.
It answers one of three ways:

* None: the rule did not apply, or it changed ``e`` in place (another primitive, params or
  inputs); the later rules of the table then see ``e`` as it now is.
* True: ``e`` is gone. Its output now stands for another atom (:meth:`Context.alias`), or the
  rule emitted the equation that defines it.
* False: the rule matched but cannot rewrite ``e`` (``x*1`` whose product has another dtype
  than ``x``); ``e`` is kept as it stands and the later rules skip it. It is not recorded as
  a producer either, so no later pattern looks through it.

:func:`rule` wraps the function in a :class:`Rule` that says which equations it is for: some
primitives by name, or every elementwise primitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeGuard

import numpy as np

from ..ir import Atom, Eqn, Graph, Literal, Var
from .rewrite import Rewriter


class Context:
    """One simplify pass's view of the graph: the equations kept so far by output variable,
    the graph's constants, and the rewriter that rebuilds it."""

    def __init__(self, graph: Graph, rw: Rewriter) -> None:
        self.rw = rw
        self.producer: dict[int, Eqn] = {}
        self.consts = {id(v): c for v, c in zip(graph.constvars, graph.consts)}

    def src(self, a: Atom, name: str) -> Eqn | None:
        """The kept equation that defines ``a``, if it applies the primitive ``name``."""
        p = self.producer.get(id(a)) if isinstance(a, Var) else None
        return p if p is not None and p.prim.name == name else None

    def scalar_const(self, a: Atom) -> Literal | None:
        """``a`` as a (strongly typed) literal, if it is a constant of size 1."""
        c = self.consts.get(id(a)) if isinstance(a, Var) else None
        if c is None or np.size(c) != 1:
            return None
        return Literal(np.asarray(c).reshape(()).item(), np.asarray(c).dtype, weak=False)

    def alias(self, e: Eqn, a: Atom) -> bool:
        """Let ``a`` stand for the output of ``e``, if it is a variable of the same type."""
        (out,) = e.outvars
        if isinstance(a, Var) and a.aval == out.aval:
            self.rw.subst[id(out)] = a
            return True
        return False

    def emit(self, e: Eqn) -> None:
        self.rw.emit(e)

    def record(self, e: Eqn) -> None:
        """``e`` is kept: later patterns may look through its outputs."""
        for v in e.outvars:
            self.producer[id(v)] = e


RuleFn = Callable[[Context, Eqn], Optional[bool]]


@dataclass(frozen=True)
class Rule:
    """A rule of the simplify table: ``fn`` and the equations it is for."""

    fn: RuleFn
    prims: frozenset[str]
    elementwise: bool = False  # for every elementwise primitive (prims is then empty)

    @property
    def name(self) -> str:
        return self.fn.__name__

    def applies(self, e: Eqn) -> bool:
        return e.prim.kind == "elementwise" if self.elementwise else e.prim.name in self.prims

    def __call__(self, cx: Context, e: Eqn) -> bool | None:
        return self.fn(cx, e)

    def __repr__(self) -> str:
        return f"<rule {self.name}>"


def rule(*prims: str, elementwise: bool = False) -> Callable[[RuleFn], Rule]:
    """Decorator: the function becomes a :class:`Rule` for ``prims`` (or every elementwise
    primitive)."""
    def wrap(fn: RuleFn) -> Rule:
        return Rule(fn, frozenset(prims), elementwise)
    return wrap


def is_lit(a: Atom, value: float) -> bool:
    """Whether ``a`` is a literal equal to ``value``."""
    return isinstance(a, Literal) and a.value == value


def exact_scale(a: Atom) -> TypeGuard[Literal]:
    """A literal power of two >= 1: scaling by two of them in a row is exact, so it can be
    merged into one multiplication without changing any result."""
    if not isinstance(a, Literal) or not np.isfinite(a.value) or abs(a.value) < 1:
        return False
    mantissa, _ = np.frexp(abs(float(a.value)))
    return bool(mantissa == 0.5)


def prim(name: str) -> Any:
    """The registered primitive ``name``."""
    from ..core import REGISTRY

    return REGISTRY[name]
