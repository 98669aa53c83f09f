"""Primitives and the bind protocol.

Every operation tracegrad knows is a :class:`Primitive`, declared once with all its rules:

* ``impl``      the NumPy implementation (the reference semantics);
* ``abstract``  the shape/dtype rule, used when the arguments are symbolic;
* ``vjp``       the reverse-mode rule, written with other primitives only, so that the same
                rule runs on NumPy arrays, on recorded NDArrays and on IR tracers.

How a backend computes a primitive inside a fused kernel is the backend's own table (e.g.
``backends/numba_cpu/lowering.py``), not part of the declaration.

Calling a primitive *binds* it: the argument types decide what happens. A value type that
wants to intercept primitives (an IR tracer, tracegrad's NDArray) registers a handler with a
priority; with no handler among the arguments the NumPy implementation runs directly.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Callable, NamedTuple

import numpy as np

Params = dict[str, Any]


class ShapedArray(NamedTuple):
    """The abstract value of an array: what the compiler knows without the data."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


class Primitive:
    """One operation, with every rule the compiler needs to run, trace and differentiate it."""

    __slots__ = ("name", "kind", "impl", "abstract", "vjp", "nondiff_argnums", "samples",
                 "multiple_results", "doc", "elementwise", "uses_needs")

    def __init__(self, name: str, kind: str, impl: Callable, abstract: Callable,
                 vjp: Callable | None = None, *, nondiff_argnums: tuple[int, ...] = (),
                 samples: Callable | None = None,
                 multiple_results: bool = False, doc: str = "", uses_needs: bool = False) -> None:
        self.name = name
        self.kind = kind  # elementwise | reduce | movement | contraction | random | other
        self.elementwise = kind == "elementwise"
        self.uses_needs = uses_needs  # the VJP rule takes needs=(bool per argument)
        self.impl = impl
        self.abstract = abstract
        self.vjp = vjp
        self.nondiff_argnums = nondiff_argnums
        self.samples = samples
        self.multiple_results = multiple_results
        self.doc = doc

    def __call__(self, *args: Any, **params: Any) -> Any:
        return bind(self, args, params)

    def __repr__(self) -> str:
        return self.name


REGISTRY: dict[str, Primitive] = {}
KINDS = ("elementwise", "reduce", "movement", "contraction", "random", "other")


def register(prim: Primitive) -> Primitive:
    """Add ``prim`` to the registry; names are unique, so each op is declared exactly once."""
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} is declared twice")
    if prim.kind not in KINDS:
        raise ValueError(f"primitive {prim.name!r} has unknown kind {prim.kind!r}")
    REGISTRY[prim.name] = prim
    return prim


# -- bind -------------------------------------------------------------------------------------

BindHandler = Callable[[Primitive, tuple, Params], Any]
_HANDLERS: dict[type, tuple[int, BindHandler]] = {}


def register_handler(cls: type, priority: int, handler: BindHandler) -> None:
    """Let values of type ``cls`` intercept every primitive they are an argument of.

    The handler with the highest priority among the arguments wins; IR tracers use a higher
    priority than concrete wrappers so that symbolic values are never forced.
    """
    _HANDLERS[cls] = (priority, handler)


# Per thread and per context (asyncio task): a trace in one thread never receives another
# thread's eager random draws.
_AMBIENT: ContextVar[BindHandler | None] = ContextVar("tracegrad_ambient", default=None)
_ambient = _AMBIENT.get  # bound once: bind reads it on every call without array handlers


def set_ambient(handler: BindHandler | None) -> BindHandler | None:
    """Install, for the current thread (and context), the handler that receives primitives
    with no array arguments (see tracing); returns the previous one."""
    previous = _AMBIENT.get()
    _AMBIENT.set(handler)
    return previous


def bind(prim: Primitive, args: tuple, params: Params) -> Any:
    """Apply ``prim``: the highest-priority handler among the argument types decides how."""
    best: tuple[int, BindHandler] | None = None
    for a in args:
        h = _HANDLERS.get(type(a))
        if h is not None and (best is None or h[0] > best[0]):
            best = h
    if best is not None:
        return best[1](prim, args, params)
    ambient = _ambient()
    if ambient is not None and not any(is_array(a) for a in args):
        return ambient(prim, args, params)
    return prim.impl(*args, **params)


def abstractify(x: Any) -> ShapedArray | Any:
    """The abstract value of a concrete argument; Python scalars stay as they are (weak)."""
    if isinstance(x, (bool, int, float)):
        return x
    return ShapedArray(tuple(x.shape), np.dtype(x.dtype))


# -- the shared VJP driver --------------------------------------------------------------------

def unbroadcast(ct: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``ct`` down to ``shape``: the adjoint of NumPy broadcasting, used by every rule.

    The two primitives it needs are looked up in the registry when it runs: they are declared
    in ``prims``, which imports this module."""
    ct_shape = tuple(ct.shape)
    if ct_shape == shape:
        return ct
    reduce_sum, reshape = REGISTRY["reduce_sum"], REGISTRY["reshape"]
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and ct_shape[lead + i] != 1)
    if axes:
        ct = reduce_sum(ct, axes=axes, keepdims=False)
    if tuple(ct.shape) != shape:
        ct = reshape(ct, shape=shape)
    return ct


_SCALAR_TYPES = (bool, int, float, complex)
_FLOAT_KINDS = ("f", "c")


def is_array(x: Any) -> bool:
    return not isinstance(x, _SCALAR_TYPES)


def vjp_of(prim: Primitive, cts: Any, out: Any, args: tuple, params: Params,
           needs: tuple | None = None, int_grads: bool = False) -> list:
    """Input cotangents of one application of ``prim``, unbroadcast to each input's shape.

    ``cts`` is the output cotangent (a list for multiple-result primitives). The result has
    one entry per argument; ``None`` means no gradient flows there (a scalar literal, an
    integer index, or a non-differentiable argument). This runs once per recorded op in
    ``backward``, so it is written for speed.

    ``needs`` (one value per argument, truthy where a gradient is wanted) lets costly
    rules such as matmul's skip cotangents nobody will read.

    Integer arguments get no cotangent, as in JAX, unless ``int_grads``: then they get one in
    their own dtype, as MXNet's autograd computes it (the gradient of ``x*x`` for an int32
    ``x`` is ``2*x`` in int32). The eager tape asks for that; compiled graphs do not.
    """
    rule = prim.vjp
    if rule is None:
        raise NotImplementedError(f"primitive '{prim.name}' has no VJP rule")
    if prim.uses_needs:
        mask = tuple(bool(n) for n in needs) if needs is not None else (True,) * len(args)
        result = list(rule(cts, out, *args, needs=mask, **params))
    else:
        result = list(rule(cts, out, *args, **params))
    nondiff = prim.nondiff_argnums
    elementwise = prim.elementwise
    for i, a in enumerate(args):
        ct = result[i]
        if ct is None:
            continue
        if isinstance(a, _SCALAR_TYPES) or i in nondiff:
            result[i] = None
            continue
        dt = a.dtype
        kind = dt.kind if type(dt) is not type else np.dtype(dt).kind
        if kind not in _FLOAT_KINDS:
            if not (int_grads and kind in "iu") or (needs is not None and not needs[i]):
                result[i] = None
                continue
            if np.dtype(ct.dtype) != np.dtype(dt):
                ct = result[i] = ct.astype(np.dtype(dt))
        if elementwise and ct.shape != a.shape:
            result[i] = unbroadcast(ct, tuple(a.shape))
    return result
