"""The IR: typed A-normal form, with a jaxpr-like text form and Graphviz DOT.

A :class:`Graph` has constant variables (arrays captured from outside, passed in at run time),
input variables, a list of equations ``outs = prim[params](ins)`` in definition order, and
output atoms. An atom is a :class:`Var` or a :class:`Literal` (a scalar written inline).
Variables are compared by identity; names are assigned only when printing, in order of first
appearance, so the text (and the structural hash derived from it) is deterministic.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

import numpy as np

from .core import Primitive, ShapedArray

_DTYPE_SHORT = {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8",
                "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "bool": "bool"}


def dtype_short(dtype: Any) -> str:
    name = np.dtype(dtype).name
    return _DTYPE_SHORT.get(name, name)


def aval_str(aval: ShapedArray) -> str:
    return f"{dtype_short(aval.dtype)}[{','.join(map(str, aval.shape))}]"


class Var:
    """A variable of the graph; identity is the variable."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({aval_str(self.aval)})"


class Literal:
    """A scalar constant written inline. ``weak`` marks a Python scalar (NEP 50 promotion)."""

    __slots__ = ("value", "aval", "weak")

    def __init__(self, value: Any, dtype: Any, weak: bool = True) -> None:
        self.value = value
        self.aval = ShapedArray((), np.dtype(dtype))
        self.weak = weak

    @property
    def runtime_value(self) -> Any:
        """What the NumPy implementation receives: a weak Python scalar or a typed NumPy one."""
        return self.value if self.weak else self.aval.dtype.type(self.value)

    def __repr__(self) -> str:
        v = self.value
        if self.aval.dtype.kind == "f":
            v = float(v)
        elif self.aval.dtype.kind in "iu":
            v = int(v)
        return f"{v!r}:{dtype_short(self.aval.dtype)}[]"


Atom = Union[Var, Literal]


@dataclass
class Eqn:
    prim: Primitive
    params: dict[str, Any]
    invars: list[Atom]
    outvars: list[Var]
    source: str = ""  # "file:line" of the user code that emitted it, when known


@dataclass(eq=False)
class Graph:
    constvars: list[Var]
    invars: list[Var]
    eqns: list[Eqn]
    outvars: list[Atom]
    consts: list[Any] = field(default_factory=list)  # values of constvars, same order
    # Artifacts derived from this graph (its VJP graph, its executable), built once.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- text -------------------------------------------------------------------------------
    def __str__(self) -> str:
        return pretty(self)

    def to_dot(self, groups: dict[int, str] | None = None) -> str:
        return to_dot(self, groups)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]


def _names() -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in itertools.count(1):
        for combo in itertools.product(letters, repeat=n):
            yield "".join(combo)


class Namer:
    """Deterministic names in order of first appearance."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._gen = _names()

    def __call__(self, atom: Atom) -> str:
        if isinstance(atom, Literal):
            return repr(atom)
        key = id(atom)
        if key not in self._names:
            self._names[key] = next(self._gen)
        return self._names[key]

    def binder(self, v: Var) -> str:
        return f"{self(v)}:{aval_str(v.aval)}"


def format_param(value: Any) -> str:
    if isinstance(value, Graph):
        return f"<graph {len(value.eqns)} eqns>"
    if isinstance(value, np.dtype):
        return value.name
    return repr(value)


def format_params(params: dict[str, Any]) -> str:
    """``[k=v, ...]`` sorted by key. A ``body`` graph is not in the brackets: the printer
    shows it below its equation."""
    keys = [k for k in sorted(params) if not _is_body(k, params[k])]
    if not keys:
        return ""
    return "[" + ", ".join(f"{k}={format_param(params[k])}" for k in keys) + "]"


def _is_body(key: str, value: Any) -> bool:
    return key == "body" and isinstance(value, Graph)


def pretty(graph: Graph, with_source: bool = False, indent: int = 2,
           name: Namer | None = None) -> str:
    """The jaxpr-like text of ``graph``. An equation with a ``body`` parameter (a fused
    kernel) is followed by its body, indented, with names shared with the outer graph."""
    name = name or Namer()
    pad = " " * indent
    consts = " ".join(name.binder(v) for v in graph.constvars)
    ins = " ".join(name.binder(v) for v in graph.invars)
    lines = [f"{{ lambda {consts}; {ins}. let"]
    for e in graph.eqns:
        outs = " ".join(name.binder(v) for v in e.outvars)
        args = " ".join(name(a) for a in e.invars)
        line = f"{pad}  {outs} = {e.prim.name}{format_params(e.params)} {args}".rstrip()
        if with_source and e.source:
            line += f"    # {e.source}"
        lines.append(line)
        body = e.params.get("body")
        if isinstance(body, Graph):
            lines.append(f"{pad}    " + pretty(body, with_source, indent + 6, name))
    outs = " ".join(name(a) for a in graph.outvars)
    lines.append(f"{pad}in ({outs}) }}")
    return "\n".join(lines)


def to_dot(graph: Graph, groups: dict[int, str] | None = None) -> str:
    """Graphviz DOT text. ``groups`` maps an equation index to a cluster (fused kernel) name."""
    name = Namer()
    source: dict[int, str] = {}  # id(var) -> the DOT node that defines it
    out = ["digraph tracegrad {", "  rankdir=TB;", "  node [fontname=monospace, fontsize=10];"]
    for v in graph.constvars + graph.invars:
        source[id(v)] = name(v)
        out.append(f'  {name(v)} [shape=ellipse, label="{name.binder(v)}"];')
    clusters: dict[str, list[str]] = {}
    for i, e in enumerate(graph.eqns):
        node = f"eqn{i}"
        outs = ", ".join(name.binder(v) for v in e.outvars)
        label = f"{e.prim.name}{format_params(e.params)}\\n{outs}".replace('"', "'")
        decl = f'{node} [shape=box, label="{label}"];'
        group = groups.get(i) if groups else None
        if group is not None:
            clusters.setdefault(group, []).append(decl)
        else:
            out.append("  " + decl)
        for a in e.invars:
            if id(a) in source:
                out.append(f"  {source[id(a)]} -> {node};")
        for v in e.outvars:
            source[id(v)] = node
    for k, (group, decls) in enumerate(clusters.items()):
        out.append(f"  subgraph cluster_{k} {{")
        out.append(f'    label="{group}"; style=rounded; color=blue;')
        out.extend("    " + d for d in decls)
        out.append("  }")
    for i, a in enumerate(graph.outvars):
        out.append(f'  out{i} [shape=doubleoctagon, label="out {i}"];')
        if id(a) in source:
            out.append(f"  {source[id(a)]} -> out{i};")
    out.append("}")
    return "\n".join(out)
