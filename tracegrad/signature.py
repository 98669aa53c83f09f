"""Call signatures of jitted functions: what a compiled graph is specialised on.

A signature holds the argument tree structure, the shape and dtype of every array leaf, the
values of static leaves and arguments, and the training flag. Sizes are part of it because
the driver allocates per shape; the kernels underneath take sizes at run time, so a new
shape costs a re-trace and a new driver, never a numba compile.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from tracegrad import state, tree
from tracegrad.ndarray import NDArray


class Signature(NamedTuple):
    layout: tuple  # per argument: its tree structure, or None for a static argument
    leaves: tuple  # per leaf: ("a", shape, dtype name) for arrays, ("s", value) for statics
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


def leaf_spec(x: Any) -> tuple:
    if isinstance(x, NDArray):
        return ("a", x.shape, np.dtype(x._data.dtype).name)
    if isinstance(x, np.ndarray):
        return ("a", x.shape, x.dtype.name)
    if isinstance(x, float):
        return ("a", (), "float32")  # Python floats are traced as weak float32 scalars
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"jit: the argument {x!r} of type {type(x).__name__} is neither an "
                        "array nor hashable. Pass arrays, Python numbers, or hashable static "
                        "values (tuples, not lists, inside static arguments).") from None
    return ("s", x)  # ints, strings, ...: part of the signature by value


def spec_text(spec: tuple) -> str:
    if spec[0] == "a":
        return f"{spec[2]}{list(spec[1])}"
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
