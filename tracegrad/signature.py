"""Call signatures of jitted functions: what a compiled graph is specialised on.

A signature holds the argument tree structure, the shape and dtype of every array leaf, the
values of static leaves and arguments, and the training flag. Sizes are part of it because
the driver allocates per shape; the kernels underneath take sizes at run time, so a new
shape costs a re-trace and a new driver, never a numba compile.

Python floats are *weak* inputs (``"w"`` leaves): traced as float64 scalars whose value is
not part of the signature, and whose dtype follows the arrays they meet (see
``tracegrad.ndarray.WeakScalar``), as in JAX and NumPy 2. Python ints (and other hashable
values) are part of the signature by value.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from tracegrad import state, tree
from tracegrad.ndarray import NDArray, WeakScalar

# A leaf is ("a", shape, dtype name) for an array, ("w", shape, dtype name) for a weak scalar
# (a Python float: float64, its value an input), ("s", value) for a static value.
ARRAY, WEAK, STATIC = "a", "w", "s"
TRACED = (ARRAY, WEAK)  # the kinds of leaf that become inputs of the traced graph


class Signature(NamedTuple):
    layout: tuple  # per argument: its tree structure, or None for a static argument
    leaves: tuple  # per leaf: see ARRAY, WEAK, STATIC above
    statics: tuple  # values of the static arguments
    training: bool

    def text(self) -> str:
        out = "(" + ", ".join(spec_text(s) for s in self.leaves) + ")"
        if self.statics:
            out += f" static={self.statics!r}"
        return out + (" training" if self.training else "")

    def why_new(self, previous: Signature | None) -> str:
        """What changed since ``previous`` (the reason for a re-trace, for ``explain()``)."""
        if previous is None:
            return "first call"
        changed = [f for f in self._fields if getattr(previous, f) != getattr(self, f)]
        if changed == ["leaves"]:
            diffs = [f"leaf {i}: {spec_text(a)} -> {spec_text(b)}"
                     for i, (a, b) in enumerate(zip(previous.leaves, self.leaves)) if a != b]
            return "new " + ", ".join(diffs)
        names = {"layout": "argument structure", "leaves": "shapes/dtypes",
                 "statics": "static arguments", "training": "training mode"}
        return "changed " + ", ".join(names[f] for f in changed)

    def changed_parts(self, previous: Signature | None, layout: list) -> list[str]:
        """What changed since ``previous``, as labels without the values (counted over many
        re-traces, they say which part of the signature keeps changing). ``layout`` is this
        call's (see :func:`split_args`)."""
        if previous is None:
            return []
        out = []
        if previous.layout != self.layout or len(previous.leaves) != len(self.leaves):
            out.append("the argument structure (tree of lists/tuples/dicts)")
        else:
            where = _leaf_names(layout)
            for i, (a, b) in enumerate(zip(previous.leaves, self.leaves)):
                if a == b:
                    continue
                name = where.get(i, f"leaf {i}")
                if a[0] == STATIC and b[0] == STATIC:
                    out.append(f"the value of {name} (a Python {type(b[1]).__name__}, part "
                               "of the signature by value)")
                elif a[0] != STATIC and b[0] != STATIC and a[2] == b[2]:
                    out.append(f"the shape of {name}")
                elif a[0] != STATIC and b[0] != STATIC and a[1] == b[1]:
                    out.append(f"the dtype of {name}")
                else:
                    out.append(f"the kind of value of {name}")
        if previous.statics != self.statics:
            out.append("the static arguments (by value)")
        if previous.training != self.training:
            out.append("training mode")
        return out


def _leaf_names(layout: list) -> dict[int, str]:
    names = {}
    for k, spec in enumerate(layout):
        if spec is None:
            continue
        lo, hi, _ = spec
        for j in range(lo, hi):
            names[j] = f"argument {k}" if hi - lo == 1 else f"argument {k} (leaf {j - lo})"
    return names


def leaf_spec(x: Any) -> tuple:
    if isinstance(x, NDArray):
        kind = WEAK if type(x) is WeakScalar else ARRAY
        return (kind, x.shape, np.dtype(x._data.dtype).name)
    if isinstance(x, np.ndarray):
        return (ARRAY, x.shape, x.dtype.name)
    if isinstance(x, (float, np.floating)):
        # weak: traced as a float64 input, so 1e-3 stays exact next to float64 arrays and a
        # new value does not re-trace; next to float32 arrays it becomes float32, as in eager
        return (WEAK, (), "float64")
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"jit: the argument {x!r} of type {type(x).__name__} is neither an "
                        "array nor hashable. Pass arrays, Python numbers, or hashable static "
                        "values (tuples, not lists, inside static arguments).") from None
    return (STATIC, x)  # ints, strings, ...: part of the signature by value


def spec_text(spec: tuple) -> str:
    if spec[0] == ARRAY:
        return f"{spec[2]}{list(spec[1])}"
    if spec[0] == WEAK:
        return "float" if spec[1] == () else f"weak {spec[2]}{list(spec[1])}"
    return repr(spec[1])


def fast_key(args: tuple) -> tuple[tuple, list] | None:
    """(key, NDArray leaves) when the arguments are NDArrays or flat lists/tuples of them:
    the common case gets a cache key without the general signature machinery."""
    key: list = []
    leaves: list = []
    for a in args:
        if type(a) is NDArray:
            d = a._data
            key.append((d.shape, d.dtype, type(d)))
            leaves.append(a)
        elif type(a) is list or type(a) is tuple:
            key.append((type(a), len(a)))
            for b in a:
                if type(b) is not NDArray:
                    return None
                d = b._data
                key.append((d.shape, d.dtype, type(d)))
                leaves.append(b)
        else:
            return None
    return tuple(key), leaves


def _is_ndarray(x: Any) -> bool:
    return isinstance(x, NDArray)


def split_args(args: tuple, static_argnums: Sequence[int]) -> tuple[list, list, tuple]:
    """(dynamic leaves, per argument its (first leaf, end, tree) or None if static, the
    static values)."""
    n = len(args)
    for i in static_argnums:
        if not -n <= i < n:
            raise ValueError(f"static_argnums {i} is out of range for {n} arguments")
    static_pos = {i % n for i in static_argnums}
    statics = tuple(args[i] for i in sorted(static_pos))
    try:
        hash(statics)
    except TypeError:
        raise TypeError("jit: static arguments must be hashable (they are part of the "
                        f"cache key); got {statics!r}. Use tuples instead of lists.") from None
    leaves: list = []
    layout: list = []
    for i, a in enumerate(args):
        if i in static_pos:
            layout.append(None)
            continue
        ls, td = tree.flatten(a, is_leaf=_is_ndarray)
        layout.append((len(leaves), len(leaves) + len(ls), td))
        leaves.extend(ls)
    return leaves, layout, statics


def make_signature(args: tuple, static_argnums: Sequence[int]) -> tuple[Signature, list, list]:
    """The signature of a call, with its leaves and layout (see :func:`split_args`)."""
    leaves, layout, statics = split_args(args, static_argnums)
    sig = Signature(tuple(None if s is None else s[2] for s in layout),
                    tuple(leaf_spec(x) for x in leaves), statics, state.is_training())
    return sig, leaves, layout


def rebuild(args: tuple, layout: list, leaves: list) -> list:
    """The arguments again, with their dynamic leaves replaced by ``leaves``."""
    return [a if spec is None else tree.unflatten(spec[2], leaves[spec[0]:spec[1]])
            for a, spec in zip(args, layout)]
