"""NDArray: an MXNet-1.x-style array over a NumPy buffer or an IR tracer.

Every operation is a compiler primitive applied through :func:`apply`. On concrete data it runs
the primitive's NumPy implementation and, under ``autograd.record()``, appends a node to the
tape. On a tracer (inside ``jit``) it adds an equation to the graph being traced instead.
This module keeps that path short: it is what every eager op pays.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad._compiler.core import Primitive, bind, register_handler
from tracegrad._compiler.errors import ConcretizationError
from tracegrad._compiler.frontend.tracing import Tracer
from tracegrad.context import CPU, Context, cpu  # noqa: F401  (re-exported)
from tracegrad.errors import InPlaceError
from tracegrad.state import FLAGS
from tracegrad.tape import NO_VARIABLE, Node, NoVariable, OutputRef, VarNode

_ndarray = np.ndarray
_new = object.__new__
_NO_PARAMS: dict = {}  # shared by every parameter-free node; never mutated
_SCALARS = (int, float, bool, np.generic)
_MX_DTYPES = ("float16", "float32", "float64", "uint8", "int8", "int32", "int64", "bool")


def _wrap(out: Any) -> NDArray:
    r = NDArray.__new__(NDArray)
    r._data = out if type(out) is _ndarray or type(out) is Tracer else np.asarray(out)
    r._node = None
    return r


def apply(prim: Primitive, args: tuple, params: dict) -> Any:
    """Apply ``prim`` to NDArrays, NumPy arrays and scalars; record it when needed."""
    vals = []
    tracing = False
    weak = False
    for a in args:
        if type(a) is NDArray:
            d = a._data
            tracing = tracing or type(d) is Tracer
            vals.append(d)
        elif isinstance(a, np.generic):
            vals.append(a.item())  # like a Python scalar: it must not promote float32 arrays
        elif type(a) is WeakScalar:
            weak = tracing = True
            vals.append(a._data)
        elif a is None:
            _none_operand(prim, args)
        else:
            tracing = tracing or type(a) is Tracer
            vals.append(a)
    if tracing:
        if weak:
            return _apply_weak(prim, args, vals, params)
        out = bind(prim, tuple(vals), params)
        return [_wrap(o) for o in out] if prim.multiple_results else _wrap(out)
    vals_t = tuple(vals)
    try:
        out = prim.impl(*vals_t, **params)
    except ValueError:
        _explain_failure(prim, vals_t, params)
        raise
    if prim.multiple_results:
        outs = [_wrap(o) for o in out]
        if FLAGS.get()[0]:
            _record(prim, params, args, vals_t, tuple(o._data for o in outs), outs)
        return outs
    res = _wrap(out)
    if FLAGS.get()[0]:
        _record(prim, params, args, vals_t, res._data, (res,))
    return res


def _apply_weak(prim: Primitive, args: tuple, vals: list, params: dict) -> Any:
    """Apply ``prim`` while tracing, with WeakScalar arguments resolved against the others."""
    skip = prim.nondiff_argnums  # where's condition, take's indices: no say in the dtype
    strong = [np.dtype(v.dtype) for i, (a, v) in enumerate(zip(args, vals))
              if i not in skip and type(a) is not WeakScalar and hasattr(v, "dtype")]
    target = np.result_type(*strong) if strong else None
    if target is not None and target.kind == "f":
        for i, a in enumerate(args):
            if type(a) is WeakScalar and i not in skip and np.dtype(vals[i].dtype) != target:
                vals[i] = bind(P.cast, (vals[i],), {"dtype": target.name})
    out = bind(prim, tuple(vals), params)
    wrap = weak if target is None and prim is not P.cast else _wrap
    return [wrap(o) for o in out] if prim.multiple_results else wrap(out)


def _none_operand(prim: Primitive, args: tuple) -> None:
    i = next(k for k, a in enumerate(args) if a is None)
    raise TypeError(f"{prim.name}: operand {i} is None (at {_user_line()}). Operations take "
                    "NDArrays, NumPy arrays and Python numbers. (A None argument of a jit "
                    "function is passed through unchanged: check the function's arguments.)")


def _explain_failure(prim: Primitive, vals: tuple, params: dict) -> None:
    """NumPy's errors rarely name the shapes; the primitive's shape rule does, so let it speak."""
    from tracegrad._compiler.core import abstractify

    prim.abstract(*[abstractify(v) for v in vals], **params)


def _record(prim: Primitive, params: dict, args: tuple, vals: tuple, out: Any,
            results: Any) -> None:
    parents = []
    live = False
    for a in args:
        p = a._node if type(a) is NDArray else None
        parents.append(p)
        if p is not None and p is not NO_VARIABLE:
            live = True
    if live:
        node = Node(prim, params, vals, out, tuple(parents))
        if prim.multiple_results:
            for i, r in enumerate(results):
                r._node = OutputRef(node, i)
        else:
            results[0]._node = node
    else:
        for r in results:
            r._node = NO_VARIABLE


def _binary(prim: Primitive, a: NDArray, b: Any) -> NDArray:
    """The hot path of ``a (op) b``: everything inlined, one flag lookup."""
    ad = a._data
    tb = type(b)
    if tb is NDArray:
        bd = b._data
        if type(bd) is not _ndarray:
            return apply(prim, (a, b), {})
    elif tb is float or tb is int:
        bd = b
    else:  # numpy scalars, lists, arrays: the general path converts them
        return apply(prim, (a, b), {})
    if type(ad) is not _ndarray:
        return apply(prim, (a, b), {})
    out = prim.impl(ad, bd)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    res = _new(NDArray)
    res._data = out
    if FLAGS.get()[0]:
        pa = a._node
        pb = b._node if tb is NDArray else None
        if (pa is not None and pa is not NO_VARIABLE) or (pb is not None and pb is not NO_VARIABLE):
            res._node = Node(prim, _NO_PARAMS, (ad, bd), out, (pa, pb))
        else:
            res._node = NO_VARIABLE
    else:
        res._node = None
    return res


def _rbinary(prim: Primitive, a: NDArray, b: Any) -> NDArray:
    return apply(prim, (b, a), {})


def _unary(prim: Primitive, a: NDArray) -> NDArray:
    """The one-argument twin of ``_binary``, kept separate (not shared) for speed."""
    ad = a._data
    if type(ad) is not _ndarray:
        return apply(prim, (a,), {})
    out = prim.impl(ad)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    res = _new(NDArray)
    res._data = out
    if FLAGS.get()[0]:
        pa = a._node
        if pa is not None and pa is not NO_VARIABLE:
            res._node = Node(prim, _NO_PARAMS, (ad,), out, (pa,))
        else:
            res._node = NO_VARIABLE
    else:
        res._node = None
    return res


def _shape_str(shape: tuple) -> str:
    return "x".join(str(n) for n in shape)


class NDArray:
    """An n-dimensional array with MXNet 1.x semantics (printing, autograd, full reductions
    returning shape ``(1,)``). Create one with :func:`tracegrad.nd.array` and friends.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.arange(4).reshape((4, 1))
    <BLANKLINE>
    [[0.]
     [1.]
     [2.]
     [3.]]
    <NDArray 4x1 @cpu(0)>
    """

    __slots__ = ("_data", "_node", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to our reflected operators

    def __init__(self, data: Any, dtype: Any = None) -> None:
        self._data = np.asarray(data, dtype=dtype)
        self._node = None

    # -- properties ------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self._data.shape, dtype=np.int64))

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    @property
    def dtype(self) -> type:
        """The element type as a NumPy scalar type (``numpy.float32``), as in MXNet."""
        return np.dtype(self._data.dtype).type

    @property
    def context(self) -> Context:
        return CPU

    ctx = context

    @property
    def stype(self) -> str:
        return "default"

    @property
    def T(self) -> NDArray:
        """The transpose; the array itself when it has fewer than 2 dimensions."""
        if self.ndim < 2:
            return self
        return apply(P.transpose, (self,), {"axes": tuple(range(self.ndim))[::-1]})

    @property
    def grad(self) -> NDArray | None:
        """The gradient buffer of a variable (after ``attach_grad``), else None."""
        node = self._node
        return node.grad if type(node) is VarNode else None

    @property
    def is_traced(self) -> bool:
        """True inside ``jit`` tracing, where the array has a shape and dtype but no data."""
        return type(self._data) is Tracer

    # -- conversion ------------------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A NumPy copy of the data."""
        d = self._data
        if type(d) is Tracer:
            raise ConcretizationError(
                f"asnumpy() needs the value of a traced array at {_user_line()}",
                source=_user_line(), reason="asnumpy()")
        return np.array(d, copy=True)

    def asscalar(self) -> Any:
        """The single element as a NumPy scalar; ValueError unless size is 1."""
        if self.size != 1:
            raise ValueError("The current array is not a scalar: asscalar() needs exactly one "
                             f"element, this array has shape {self.shape} ({self.size} "
                             "elements). Index or reduce it first, e.g. x.sum().asscalar().")
        d = self._data
        if type(d) is Tracer:
            raise ConcretizationError(
                f"asscalar() needs the value of a traced array at {_user_line()}",
                source=_user_line(), reason="asscalar()")
        return d.reshape(-1)[0]

    def item(self) -> Any:
        return self.asscalar().item()

    def _traced_conversion(self, what: str) -> None:
        if type(self._data) is Tracer:
            raise ConcretizationError(f"{what} needs the value of a traced array at "
                                      f"{_user_line()}", source=_user_line(), reason=what)

    def __bool__(self) -> bool:
        self._traced_conversion("bool() (an `if` or `while` on an array)")
        if self.size == 0:
            return False
        if self.size > 1:
            raise ValueError(f"The truth value of an NDArray with {self.size} elements is "
                             "ambiguous. Use (x != 0).sum() or reduce it first.")
        return bool(self.asscalar())

    def __float__(self) -> float:
        self._traced_conversion("float()")
        return float(self.asscalar())

    def __int__(self) -> int:
        self._traced_conversion("int()")
        return int(self.asscalar())

    def __index__(self) -> int:
        self._traced_conversion("use as an index")
        return int(self.asscalar())

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d NDArray")
        return self._data.shape[0]

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        d = self.asnumpy()
        return d if dtype is None else d.astype(dtype)

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """Convert to ``dtype`` (differentiable for float types): one of MXNet's dtypes."""
        dt = np.dtype(dtype)
        if dt.name not in _MX_DTYPES:
            raise TypeError(f"astype: {dt.name} is not an MXNet dtype (MXNet raises too); "
                            f"NDArrays are {', '.join(_MX_DTYPES)}")
        if not copy and np.dtype(self._data.dtype) == dt:
            return self
        return apply(P.cast, (self,), {"dtype": dt.name})

    def copy(self) -> NDArray:
        """A new array with its own copy of the data, outside any graph."""
        if type(self._data) is Tracer:
            return self
        return _wrap(self._data.copy())

    def copyto(self, other: Any) -> NDArray:
        """Copy the data into ``other`` (an NDArray of the same shape) or to a context."""
        if isinstance(other, Context):
            return self.copy()
        if not isinstance(other, NDArray):
            raise TypeError(f"copyto expects an NDArray or a Context, got {type(other).__name__}")
        if other.shape != self.shape:
            raise ValueError(f"copyto: shape {self.shape} of the source does not match "
                             f"shape {other.shape} of the destination")
        other._check_inplace("copyto")
        other._own()
        np.copyto(other._data, self._data, casting="unsafe")
        return other

    def as_in_context(self, ctx: Context) -> NDArray:
        return self

    def wait_to_read(self) -> None:
        """Operations run synchronously; kept for MXNet compatibility."""

    def detach(self) -> NDArray:
        """The same data, cut from the graph: no gradient flows back through it."""
        return _wrap(self._data)

    # -- printing --------------------------------------------------------------------------
    def __repr__(self) -> str:
        d = self._data
        if type(d) is Tracer:
            if d.builder.active:  # printing inside jit needs the values: run eagerly
                raise ConcretizationError(f"printing a traced array at {_user_line()}",
                                          source=_user_line(), reason="printing")
            return f"<NDArray {_shape_str(self.shape)} @cpu(0) traced {d.dtype.name}>"
        return f"\n{self._data}\n<NDArray {_shape_str(self.shape)} @{CPU}>"

    __str__ = __repr__
    __hash__ = object.__hash__

    # -- autograd --------------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Any = None) -> None:
        """Make this array a variable: gradients of ``backward`` are written to ``.grad``.

        ``grad_req`` is 'write' (overwrite), 'add' (accumulate) or 'null' (none). Attaching
        again resets the gradient to zeros; attaching to a recorded intermediate makes it a
        new leaf, cut from the operations that produced it.
        """
        from tracegrad.autograd import mark_variables

        if type(self._data) is Tracer:
            raise TypeError("attach_grad() inside a jit-traced function is not supported; "
                            "differentiate the function with tracegrad.grad instead")
        mark_variables([self], [_wrap(np.zeros_like(self._data))], grad_reqs=grad_req)

    def backward(self, out_grad: Any = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Compute the gradients of this array with respect to the attached variables."""
        from tracegrad.autograd import backward

        backward([self], [out_grad], retain_graph=retain_graph, train_mode=train_mode)

    # -- in-place --------------------------------------------------------------------------
    def _check_inplace(self, op: str) -> None:
        if FLAGS.get()[0] and self._node is not None and type(self._node) is not NoVariable:
            raise InPlaceError(
                f"in-place operation '{op}' on an array of shape {self.shape} that is part of "
                f"the recorded graph (at {_user_line()}). Backward needs its old value. "
                "Write 'y = x + ...' to create a new array instead, or modify it outside "
                "autograd.record().")
        if type(self._data) is Tracer:
            raise ConcretizationError(
                f"in-place operation '{op}' on a traced array at {_user_line()}",
                source=_user_line(), reason=f"in-place {op}")

    def _own(self) -> None:
        """Copy on write: never modify a buffer that something else holds — a view's base,
        another NDArray (detach), or a value the recorded graph saved for backward."""
        d = self._data
        # 3 references are ours: the attribute, the local and getrefcount's argument.
        if d.base is not None or not d.flags.writeable or sys.getrefcount(d) > 3:
            self._data = d.copy()

    def _inplace(self, prim: Primitive, other: Any, op: str) -> NDArray:
        self._check_inplace(op)
        value = other._data if isinstance(other, NDArray) else other
        result = prim.impl(self._data, value)
        if np.shape(result) != self.shape:
            raise ValueError(f"in-place '{op}' would change the shape from {self.shape} to "
                             f"{np.shape(result)}; broadcasting may only grow the right side")
        self._own()
        np.copyto(self._data, result, casting="unsafe")
        return self

    def __iadd__(self, o: Any) -> NDArray: return self._inplace(P.add, o, "+=")
    def __isub__(self, o: Any) -> NDArray: return self._inplace(P.sub, o, "-=")
    def __imul__(self, o: Any) -> NDArray: return self._inplace(P.mul, o, "*=")
    def __itruediv__(self, o: Any) -> NDArray: return self._inplace(P.div, o, "/=")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_inplace("x[...] = value")
        from tracegrad.indexing import setitem

        setitem(self, key, value)

    def __getitem__(self, key: Any) -> NDArray:
        from tracegrad.indexing import getitem

        return getitem(self, key)

    # -- arithmetic ------------------------------------------------------------------------
    def __neg__(self) -> NDArray: return _unary(P.neg, self)
    def __pos__(self) -> NDArray: return self
    def __abs__(self) -> NDArray: return _unary(P.abs, self)
    def __add__(self, o: Any) -> NDArray: return _binary(P.add, self, o)
    def __radd__(self, o: Any) -> NDArray: return _rbinary(P.add, self, o)
    def __sub__(self, o: Any) -> NDArray: return _binary(P.sub, self, o)
    def __rsub__(self, o: Any) -> NDArray: return _rbinary(P.sub, self, o)
    def __mul__(self, o: Any) -> NDArray: return _binary(P.mul, self, o)
    def __rmul__(self, o: Any) -> NDArray: return _rbinary(P.mul, self, o)
    def __truediv__(self, o: Any) -> NDArray: return _binary(P.div, self, o)
    def __rtruediv__(self, o: Any) -> NDArray: return _rbinary(P.div, self, o)
    def __mod__(self, o: Any) -> NDArray: return _binary(P.mod, self, o)
    def __rmod__(self, o: Any) -> NDArray: return _rbinary(P.mod, self, o)
    def __pow__(self, o: Any) -> NDArray: return _binary(P.power, self, o)
    def __rpow__(self, o: Any) -> NDArray: return _rbinary(P.power, self, o)
    def __eq__(self, o: Any) -> NDArray: return _binary(P.eq, self, o)  # type: ignore[override]
    def __ne__(self, o: Any) -> NDArray: return _binary(P.ne, self, o)  # type: ignore[override]
    def __lt__(self, o: Any) -> NDArray: return _binary(P.lt, self, o)
    def __le__(self, o: Any) -> NDArray: return _binary(P.le, self, o)
    def __gt__(self, o: Any) -> NDArray: return _binary(P.gt, self, o)
    def __ge__(self, o: Any) -> NDArray: return _binary(P.ge, self, o)
    __div__ = __truediv__


class WeakScalar(NDArray):
    """A Python float argument of a jit-compiled function, while it is traced.

    It is a graph input of dtype float64 (so a new value does not re-trace and ``1e-3`` stays
    exact), but *weakly typed*, as in JAX and NumPy 2: next to a float array it takes that
    array's dtype (a float32 computation stays float32, as it does eagerly with the Python
    float), next to integer arrays it stays float64 (as NumPy's promotion does), and
    computations on weak values alone stay weak float64.
    """

    __slots__ = ()


def weak(tracer: Any) -> WeakScalar:
    """The WeakScalar standing for ``tracer`` (a float64 input of the graph being traced)."""
    r = WeakScalar.__new__(WeakScalar)
    r._data = tracer
    r._node = None
    return r


def _user_line() -> str:
    from tracegrad._compiler.frontend.tracing import user_source

    return user_source()


def _ndarray_bind(prim: Primitive, args: tuple, params: dict) -> Any:
    return apply(prim, args, params)


# Primitives called on NDArrays (VJP rules under create_graph, composites) come here.
register_handler(NDArray, 10, _ndarray_bind)
