"""``grad`` and ``value_and_grad``: a jitted function whose traced graph gains its VJP.

:class:`Differentiated` overrides the three places where a gradient differs from ``jit``:
the traced graph gains its gradient (``vjp_graph``), the outputs are regrouped per
differentiated argument, and the eager fallback records the function and walks the tape.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from tracegrad import state, tree
from tracegrad._compiler.frontend.autodiff import vjp_graph
from tracegrad._compiler.ir import Graph
from tracegrad.jit import Entry, Jitted, _is_ndarray, _raw
from tracegrad.ndarray import NDArray
from tracegrad.signature import STATIC, Signature, rebuild


class Differentiated(Jitted):
    """The gradient of a function (with its value when ``with_value``), compiled per
    signature. Made by :func:`grad` and :func:`value_and_grad`."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (),
                 argnums: int | Sequence[int] = 0, with_value: bool = False) -> None:
        super().__init__(fun, static_argnums)
        self.argnums = argnums
        self.with_value = with_value
        self.kind = "value_and_grad" if with_value else "grad"
        nums = (argnums,) if isinstance(argnums, (int, np.integer)) else argnums
        try:
            nums = tuple(nums)
        except TypeError:
            nums = (nums,)
        if not nums or any(isinstance(k, bool) or not isinstance(k, (int, np.integer))
                           for k in nums):
            raise TypeError(f"{self.kind}({self.__name__}): argnums must be an int or a "
                            f"non-empty tuple of ints, got {argnums!r}")
        self._argnums_tuple = tuple(int(k) for k in nums)

    def _argnums(self) -> tuple[int, ...]:
        return self._argnums_tuple

    def _wrt(self, layout: list) -> list[int]:
        """The leaves the gradient is taken with respect to."""
        n = len(layout)
        out = []
        for k in self._argnums():
            if not -n <= k < n:
                raise ValueError(f"argnums {k} is out of range for a function called with "
                                 f"{n} arguments")
            if layout[k % n] is None:
                raise ValueError(f"argnums {k} names a static argument; it has no gradient")
            lo, hi, _ = layout[k % n]
            out.extend(range(lo, hi))
        return out

    def _check_args(self, sig: Signature, layout: list) -> None:
        """Gradients are taken with respect to float arrays and Python floats only (as in
        JAX); an int argument is a clear TypeError, not a missing or zero gradient."""
        where = {j: k for k, spec in enumerate(layout) if spec is not None
                 for j in range(spec[0], spec[1])}
        for i in self._wrt(layout):
            spec = sig.leaves[i]
            if spec[0] == STATIC:
                what = f"a Python {type(spec[1]).__name__} ({spec[1]!r})"
            elif np.dtype(spec[2]).kind not in "fc":
                what = f"{spec[2]}{list(spec[1])}"
            else:
                continue
            raise TypeError(
                f"{self.kind} requires float inputs; argument {where[i]} of {self.__name__} "
                f"is {what}. Convert it (x.astype('float32'), or a float instead of an int), "
                "or leave it out of argnums. (Eager autograd follows MXNet and computes "
                "integer gradients in the integer dtype.)")

    def _transform(self, graph: Graph, dyn: list[int], layout: list, leaves: list,
                   out_tree: Any = None) -> Graph:
        outs = graph.out_avals
        if len(outs) != 1 or outs[0].size != 1:
            raise ValueError(f"{self.kind} needs {self.__name__} to return one array of size "
                             f"1; it returned {_describe_output(out_tree, outs)}. Reduce it "
                             "(e.g. .sum()); for several outputs take the gradient of one, or "
                             "of their sum.")
        wrt = [dyn.index(i) for i in self._wrt(layout) if i in dyn]
        return vjp_graph(graph, wrt, seed="ones", keep_outputs=self.with_value)

    def _structure(self, outs: list, entry: Entry, layout: list) -> Any:
        n_val = 1 if self.with_value else 0
        grads = self._grad_tree(layout, outs[n_val:])
        return (tree.unflatten(entry.out_tree, outs[:1]), grads) if self.with_value else grads

    def _grad_tree(self, layout: list, grads: list) -> Any:
        per_arg, k = [], 0
        for a in self._argnums():
            lo, hi, td = layout[a % len(layout)]
            per_arg.append(tree.unflatten(td, grads[k:k + hi - lo]))
            k += hi - lo
        return per_arg[0] if isinstance(self.argnums, (int, np.integer)) else tuple(per_arg)

    def _eager(self, args: tuple, leaves: list, layout: list) -> Any:
        from tracegrad import autograd

        wrt = self._wrt(layout)
        full = list(leaves)
        outer = state.is_recording()
        with autograd.record():
            for i in wrt:
                x = full[i]
                if isinstance(x, NDArray) and x._node is not None and outer:
                    full[i] = x * 1.0  # differentiate through the outer graph as well
                else:
                    full[i] = NDArray(np.array(_raw(x)))
                    full[i].attach_grad()
            out = self.fun(*rebuild(args, layout, full))
        outs, out_tree = tree.flatten(out, is_leaf=_is_ndarray)
        if len(outs) != 1 or not isinstance(outs[0], NDArray) or outs[0].size != 1:
            raise ValueError(f"{self.kind} needs {self.__name__} to return one array of size "
                             f"1; it returned {_describe_output(out_tree, outs)}. Reduce it "
                             "(e.g. .sum()); for several outputs take the gradient of one, or "
                             "of their sum.")
        with (autograd.record() if outer else state.pause()):
            grads = autograd.grad(outs[0], [full[i] for i in wrt], create_graph=outer)
        g = self._grad_tree(layout, grads)
        return (tree.unflatten(out_tree, outs), g) if self.with_value else g


def _describe_output(out_tree: Any, outs: list) -> str:
    """What a function returned, for an error message: "None", "a tuple of 2 values",
    "an array of shape (3,)"."""
    if out_tree == "None" or (not outs and out_tree is None):
        return "None"
    if isinstance(out_tree, tuple) and out_tree[0] in ("tuple", "list", "dict"):
        return f"a {out_tree[0]} of {len(out_tree[-1])} values"
    if len(outs) == 1:
        shape = getattr(outs[0], "shape", None)
        return f"an array of shape {tuple(shape)}" if shape is not None else repr(outs[0])
    return f"{len(outs)} values"


def grad(fun: Callable, argnums: int | Sequence[int] = 0,
         static_argnums: Sequence[int] = ()) -> Differentiated:
    """The gradient of a function returning one array of size 1, compiled like ``jit``.

    Examples
    --------
    >>> import tracegrad
    >>> from tracegrad import nd
    >>> df = tracegrad.grad(lambda x: (x ** 3).sum())
    >>> df(nd.array([1.0, 2.0])).asnumpy().tolist()
    [3.0, 12.0]
    """
    return Differentiated(fun, static_argnums, argnums=argnums)


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0,
                   static_argnums: Sequence[int] = ()) -> Differentiated:
    """``(fun(*args), grad(fun)(*args))`` from one compiled graph.

    Examples
    --------
    >>> import tracegrad
    >>> from tracegrad import nd
    >>> v, g = tracegrad.value_and_grad(lambda x: (x * x).sum())(nd.array([1.0, 2.0]))
    >>> v.asnumpy().tolist(), g.asnumpy().tolist()
    ([5.0], [2.0, 4.0])
    """
    return Differentiated(fun, static_argnums, argnums=argnums, with_value=True)
