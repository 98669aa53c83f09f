"""Tracing: run Python code on symbolic values and record the primitives it binds.

A :class:`Tracer` stands for a :class:`Var` of the graph under construction. Binding a
primitive on tracers checks shapes with the primitive's abstract rule and appends an equation.
Anything that needs the concrete data (``bool``, ``float``, indexing with a traced value...)
raises :class:`ConcretizationError`, which names the user's source line.
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar
from types import FrameType
from typing import Any, Callable, Sequence

import numpy as np

from .. import core
from ..core import Primitive, ShapedArray
from ..errors import ConcretizationError, TracerLeakError
from ..ir import Eqn, Graph, Literal, Var

# the whole compiler (this file is in compiler/frontend/): its frames are never the user's line
_PACKAGE_DIRS: tuple[str, ...] = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),)


def add_internal_dir(path: str) -> None:
    """Frames from files under ``path`` are skipped when naming the user's source line."""
    global _PACKAGE_DIRS
    _PACKAGE_DIRS = _PACKAGE_DIRS + (os.path.dirname(os.path.abspath(path)),)


def user_source(skip_contextlib: bool = True) -> str:
    """``file:line`` of the innermost frame outside tracegrad and the compiler."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        fname = frame.f_code.co_filename
        if not fname.startswith(_PACKAGE_DIRS) and not (
                skip_contextlib and fname.endswith("contextlib.py")):
            return f"{os.path.basename(fname)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class GraphBuilder:
    """Collects the equations of one trace."""

    def __init__(self) -> None:
        self.invars: list[Var] = []
        self.eqns: list[Eqn] = []
        self.const_vars: dict[int, tuple[Var, Any]] = {}  # id(array) -> (var, array)
        self.active = True
        self.record_source = True

    def new_input(self, aval: ShapedArray) -> Tracer:
        v = Var(ShapedArray(tuple(aval.shape), np.dtype(aval.dtype)))
        self.invars.append(v)
        return Tracer(v, self)

    def const(self, value: Any) -> Var:
        """A captured concrete array becomes a constant input of the graph."""
        key = id(value)
        if key not in self.const_vars:
            arr = np.asarray(value)
            self.const_vars[key] = (Var(ShapedArray(arr.shape, arr.dtype)), value)
        return self.const_vars[key][0]

    def atom(self, x: Any, weak_dtype: np.dtype) -> Var | Literal:
        if isinstance(x, Tracer):
            if x.builder is not self:
                raise TracerLeakError(
                    "a traced value from another (finished) trace was used here: a value "
                    "computed inside a jit/grad function escaped it, e.g. stored in a global "
                    "or an attribute. Return it from the function instead.")
            return x.var
        if isinstance(x, (bool, int, float)):
            return Literal(x, weak_dtype, weak=True)
        if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0):
            return Literal(np.asarray(x).item(), np.asarray(x).dtype, weak=False)
        return self.const(x)

    def add(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
        if not self.active:
            raise TracerLeakError(
                f"'{prim.name}' was applied to a traced value after its trace finished: a value "
                "computed inside a jit/grad function escaped it. Return it instead.")
        absargs = [a.aval if isinstance(a, Tracer) else a for a in args]
        out_aval = prim.abstract(*absargs, **params)
        outs = out_aval if prim.multiple_results else [out_aval]
        weak = np.dtype(outs[0].dtype) if outs else np.dtype("float32")
        invars = [self.atom(a, weak) for a in args]
        outvars = [Var(ShapedArray(tuple(o.shape), np.dtype(o.dtype))) for o in outs]
        source = user_source() if self.record_source else ""
        self.eqns.append(Eqn(prim, dict(params), invars, outvars, source))
        tracers = [Tracer(v, self) for v in outvars]
        return tracers if prim.multiple_results else tracers[0]

    def build(self, outputs: Sequence[Any]) -> Graph:
        outvars = []
        for o in outputs:
            if isinstance(o, Tracer):
                outvars.append(self.atom(o, np.dtype(o.dtype)))
            else:  # a constant output: route it through an equation-free const
                outvars.append(self.atom(np.asarray(o), np.dtype("float32")))
        constvars = [v for v, _ in self.const_vars.values()]
        consts = [np.asarray(c) for _, c in self.const_vars.values()]
        return Graph(constvars, list(self.invars), list(self.eqns), outvars, consts)


# The traces open in this thread (and context), innermost last. Per thread, so that one
# thread's trace never captures another thread's eager random draws, and two threads can
# trace at once.
_ACTIVE: ContextVar[tuple[GraphBuilder, ...]] = ContextVar("tracegrad_traces", default=())


def active_traces() -> tuple[GraphBuilder, ...]:
    """The builders of the traces open in the current thread, innermost last."""
    return _ACTIVE.get()


def _tracer_bind(prim: Primitive, args: tuple, params: dict[str, Any]) -> Any:
    builder = next(a.builder for a in args if isinstance(a, Tracer))
    return builder.add(prim, args, params)


def _ambient_bind(prim: Primitive, args: tuple, params: dict[str, Any]) -> Any:
    return _ACTIVE.get()[-1].add(prim, args, params)


class trace_context:
    """While active, primitives with no array arguments (random draws, ``full``) are added to
    this builder's graph rather than evaluated once and frozen as constants — in the
    current thread (and context) only."""

    def __init__(self, builder: GraphBuilder) -> None:
        self.builder = builder
        self._saved: list[tuple[tuple[GraphBuilder, ...], Any]] = []

    def __enter__(self) -> GraphBuilder:
        active = _ACTIVE.get()
        self._saved.append((active, core.set_ambient(_ambient_bind)))
        _ACTIVE.set(active + (self.builder,))
        return self.builder

    def __exit__(self, *exc: Any) -> None:
        active, ambient = self._saved.pop()
        _ACTIVE.set(active)
        core.set_ambient(ambient)


def trace(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]) -> Graph:
    """Trace ``fun`` (which takes and returns flat lists of tracers) into a graph."""
    builder = GraphBuilder()
    with trace_context(builder):
        try:
            outs = fun(*[builder.new_input(a) for a in in_avals])
        finally:
            builder.active = False
    return builder.build(outs)


class Tracer:
    """A symbolic array: shape and dtype are known, data is not."""

    __slots__ = ("var", "builder")
    __array_ufunc__ = None  # make NumPy defer to our operators instead of coercing us

    def __init__(self, var: Var, builder: GraphBuilder) -> None:
        self.var = var
        self.builder = builder

    shape = property(lambda self: self.var.aval.shape)
    dtype = property(lambda self: self.var.aval.dtype)
    ndim = property(lambda self: len(self.var.aval.shape))
    size = property(lambda self: self.var.aval.size)
    aval = property(lambda self: self.var.aval)

    def __repr__(self) -> str:
        return f"Tracer<{self.var!r}>"

    def _concrete(self, what: str) -> Any:
        raise ConcretizationError(
            f"{what} needs the concrete value of a traced array "
            f"({self.var.aval.dtype.name}{list(self.var.aval.shape)}) at {user_source()}",
            source=user_source(), reason=what)

    def __bool__(self) -> bool:
        return self._concrete("bool()")

    def __float__(self) -> float:
        return self._concrete("float()")

    def __int__(self) -> int:
        return self._concrete("int()")

    def __index__(self) -> int:
        return self._concrete("use as an index")

    def __array__(self, *a: Any, **k: Any) -> Any:
        return self._concrete("conversion to a NumPy array")

    # Operators, so VJP rules can be written once for NumPy arrays, NDArrays and tracers.
    def __neg__(self) -> Tracer: return P.neg(self)
    def __add__(self, o: Any) -> Tracer: return P.add(self, o)
    def __radd__(self, o: Any) -> Tracer: return P.add(o, self)
    def __sub__(self, o: Any) -> Tracer: return P.sub(self, o)
    def __rsub__(self, o: Any) -> Tracer: return P.sub(o, self)
    def __mul__(self, o: Any) -> Tracer: return P.mul(self, o)
    def __rmul__(self, o: Any) -> Tracer: return P.mul(o, self)
    def __truediv__(self, o: Any) -> Tracer: return P.div(self, o)
    def __rtruediv__(self, o: Any) -> Tracer: return P.div(o, self)
    def __pow__(self, o: Any) -> Tracer: return P.power(self, o)
    def __rpow__(self, o: Any) -> Tracer: return P.power(o, self)
    def __gt__(self, o: Any) -> Tracer: return P.gt(self, o)
    def __ge__(self, o: Any) -> Tracer: return P.ge(self, o)
    def __lt__(self, o: Any) -> Tracer: return P.lt(self, o)
    def __le__(self, o: Any) -> Tracer: return P.le(self, o)
    __hash__ = object.__hash__


from .. import prims as P  # noqa: E402  (prims import core, which must come first)

core.register_handler(Tracer, 100, _tracer_bind)
