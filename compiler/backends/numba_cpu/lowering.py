"""The numba-CPU lowering table: which primitives this backend fuses, and the Python text a
loop body computes them with.

Everything here is plain data and string formatting. It is imported on the fusion path
(``can_fuse``), long before a kernel is compiled, so it must not import numba.

* :data:`SCALAR` — the scalar expression template of each elementwise primitive. ``{0}``,
  ``{1}``, ... are the operands; ``{zero}`` and ``{one}`` become constant arguments (zero in
  the first input's dtype, one in the output's); other fields are the equation's parameters,
  plus ``{dtype}``. Function calls in a template are resolved per dtype: names in
  :data:`VMATH` call the vectorisable ``<name>_f32``/``<name>_f64`` of ``vmath``, names in
  :data:`NUMPY` their NumPy function, anything else a helper of ``kernel_rt``.
* :data:`ACCUMULATORS` — how each reduction starts and folds one value in, and
  :func:`accumulator` — in which dtype. Sums and products accumulate in float64; a float32
  sum in a vectorised loop adds float32 partial sums over blocks of :data:`BLOCK` elements,
  each folded into the float64 accumulator (a float64 accumulator in the loop would halve
  the float32 vector width); max and min are exact in any dtype and accumulate in the
  value's own.
* float16 values are computed in float32 inside a kernel (:func:`compute_dtype`): loaded
  with a conversion, stored with one.
* ``add`` and ``sub`` of floats are IEEE operations as written (``strict_add``/``strict_sub``
  of vmath): under fastmath, LLVM otherwise rewrote ``(x - m) - log(s)`` into
  ``x - (m + log(s))`` (hoisting ``m + log(s)`` out of the loop), which cost log_softmax its
  accuracy at large row values.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

import numpy as np

from ...ir import Eqn

SCALAR: dict[str, str] = {
    # unary
    "neg": "(-{0})",
    "exp": "exp({0})",
    "log": "log({0})",
    "log1p": "log1p({0})",
    "expm1": "expm1({0})",
    "sqrt": "sqrt({0})",
    "tanh": "tanh({0})",
    "sin": "sin({0})",
    "cos": "cos({0})",
    "abs": "abs({0})",
    "sign": "select({0} == {0}, sign({0}), {zero})",  # MXNet: sign(NaN) is 0
    "floor": "floor({0})",
    "ceil": "ceil({0})",
    "round": "round_half_away({0})",  # MXNet rounds halves away from zero
    "sigmoid": "sigmoid({0})",
    "relu": "maximum({0}, {zero})",
    "stop_gradient": "{0}",
    "cast": "{dtype}({0})",
    # binary
    "add": "({0} + {1})",
    "sub": "({0} - {1})",
    "mul": "({0} * {1})",
    "div": "({0} / {1})",
    "pow": "pow({0}, {1})",
    "maximum": "maximum({0}, {1})",
    "minimum": "minimum({0}, {1})",
    "mod": "mod({0}, {1})",
    # comparisons return 0/1 in the output dtype, as MXNet's do
    "eq": "select({0} == {1}, {one}, {zero})",
    "ne": "select({0} != {1}, {one}, {zero})",
    "lt": "select({0} < {1}, {one}, {zero})",
    "le": "select({0} <= {1}, {one}, {zero})",
    "gt": "select({0} > {1}, {one}, {zero})",
    "ge": "select({0} >= {1}, {one}, {zero})",
    # ternary
    "where": "select({0} != {zero}, {1}, {2})",
    # trigonometric and hyperbolic functions, cube root: NumPy's, compiled by numba
    "tan": "tan({0})",
    "arcsin": "arcsin({0})",
    "arccos": "arccos({0})",
    "arctan": "arctan({0})",
    "sinh": "sinh({0})",
    "cosh": "cosh({0})",
    "arcsinh": "arcsinh({0})",
    "arccosh": "arccosh({0})",
    "arctanh": "arctanh({0})",
    "cbrt": "cbrt({0})",
    # special functions (gamma, gammaln, erfinv and polygamma run unfused)
    "erf": "erf({0})",
}


class Accumulator(NamedTuple):
    """A reduction in a loop: the accumulator's initial value, and the statement that folds
    ``{value}`` into ``{acc}``."""

    init: str
    update: str


ACCUMULATORS: dict[str, Accumulator] = {
    "reduce_sum": Accumulator("0.0", "{acc} += {value}"),
    "reduce_prod": Accumulator("1.0", "{acc} *= {value}"),
    # vmath's fold_max/fold_min propagate NaN like NumPy (Python's max would drop it) and
    # vectorise (accumulators of max/min are always floats, see accumulator())
    "reduce_max": Accumulator("-np.inf", "{acc} = fold_max({acc}, {value})"),
    "reduce_min": Accumulator("np.inf", "{acc} = fold_min({acc}, {value})"),
}

# Elements per float32 partial sum (see accumulator()). With 8-32 vector lanes interleaved,
# a block's sum adds at most 1024/8 values per lane in float32: a relative error of ~1e-7
# per block at worst, and the blocks are added in float64.
BLOCK = 1024


class AccumulatorType(NamedTuple):
    """How a reduction accumulates: the dtype of its accumulator, and the dtype of the
    per-block partials (None: no blocks, the accumulator is updated directly)."""

    dtype: str
    partial: str | None


def accumulator(prim: str, dtype: Any) -> AccumulatorType:
    """The accumulator of reduction ``prim`` over values of ``dtype`` in a vectorised inner
    loop. max/min are exact, so they keep the values' dtype (and vector width); a float32
    sum keeps float32 partial sums per block of :data:`BLOCK` elements, folded into float64;
    everything else accumulates in float64 (products of float32 too: a float32 partial
    product would overflow or underflow where the float64 one does not)."""
    cd = compute_dtype(dtype)
    if prim in ("reduce_max", "reduce_min") and cd in ("float32", "float64"):
        return AccumulatorType(cd, None)
    if prim == "reduce_sum" and cd == "float32":
        return AccumulatorType("float64", "float32")
    return AccumulatorType("float64", None)

# Movement a loop body does through axis maps alone: the value is its input's.
FUSED_MOVEMENT = ("broadcast_to", "reshape")

# Template functions with a vectorisable implementation in vmath, named <name>_f32 and
# <name>_f64 there (vmath checks at import that they all exist).
VMATH = ("exp", "log", "log1p", "expm1", "tanh", "sigmoid", "pow", "erf")
# Template functions that numba vectorises itself, through LLVM intrinsics.
NUMPY = {"sqrt": "np.sqrt", "sin": "np.sin", "cos": "np.cos", "floor": "np.floor",
         "ceil": "np.ceil", "rint": "np.rint"}
# ... and NumPy functions numba compiles to calls of its math library (scalar, not vectorised).
NUMPY.update({name: f"np.{name}" for name in (
    "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
    "cbrt")})
SUFFIX = {"float32": "f32", "float64": "f64"}  # dtype -> suffix of the vmath functions
# Binary operations emitted as IEEE operations (no reassociation, contraction, ...) on floats.
STRICT = {"add": "strict_add", "sub": "strict_sub"}
# Templates whose value numba types as the float type of their operands (and constants): their
# expression needs no cast to the output dtype when every operand has it. The cast is a typed
# call that numba resolves and lowers like any other; dropping the redundant ones cut 0.1 s
# off compiling the MLP's cross-entropy kernel. (tests/compiler/test_lowering.py compiles
# each of them to check the claim.)
SAME_TYPE = frozenset({
    "neg", "add", "sub", "mul", "div", "maximum", "minimum", "relu", "stop_gradient",
    "eq", "ne", "lt", "le", "gt", "ge", "where", "sign", "abs", "floor", "ceil", "sqrt",
    "exp", "log", "log1p", "expm1", "tanh", "sigmoid", "erf", "pow"})


def can_fuse(e: Eqn) -> bool:
    """Whether a loop body of this backend can compute ``e`` (fusion asks): whether the
    table above has a rule for it."""
    if e.prim.kind == "elementwise":
        return e.prim.name in SCALAR
    if e.prim.kind == "reduce":
        return e.prim.name in ACCUMULATORS
    return e.prim.name in FUSED_MOVEMENT


def compute_dtype(dtype: Any) -> str:
    """The dtype a kernel computes values of ``dtype`` in: float16 in float32 (NumPy computes
    float16 in float32 too, per operation, and numba has no float16 arithmetic), others in
    their own."""
    name = np.dtype(dtype).name
    return "float32" if name == "float16" else name


def np_type(dtype: Any) -> str:
    """The NumPy scalar type values of ``dtype`` have in kernel source (``np.float32``)."""
    return f"np.{compute_dtype(dtype)}"


def init(prim: str, dtype: str = "float64") -> str:
    """The initial value of reduction ``prim``'s accumulator of ``dtype`` (source text)."""
    text = ACCUMULATORS[prim].init
    return text if dtype == "float64" else f"np.{dtype}({text})"


def accumulate(prim: str, acc: str, value: str) -> str:
    """The statement that folds ``value`` into the accumulator ``acc`` of reduction ``prim``."""
    return ACCUMULATORS[prim].update.format(acc=acc, value=value)


_CALL = re.compile(r"\b([a-z_][a-z_0-9]*)\(")


def expression(e: Eqn, args: list[str], const: Callable[[float, Any], str]) -> str:
    """The scalar expression of elementwise (or fused movement) equation ``e`` on operand
    names ``args``; ``const(value, dtype)`` names a constant argument of the kernel."""
    dtype = e.outvars[0].aval.dtype
    if e.prim.name in FUSED_MOVEMENT:
        return args[0]
    template = SCALAR.get(e.prim.name)
    if template is None:
        raise NotImplementedError(f"no scalar template for {e.prim.name}")
    in_dtype = e.invars[0].aval.dtype
    fields = {**e.params, "dtype": np_type(dtype)}
    # only the constants a template uses become arguments; zero first, so that the constant
    # numbering (part of the source) stays as it always was
    if "{zero}" in template:
        fields["zero"] = const(0.0, in_dtype)
    if "{one}" in template:
        fields["one"] = const(1.0, dtype)
    out = compute_dtype(dtype)
    if e.prim.name == "cast" and np.dtype(dtype).name == "float16" and \
            np.dtype(in_dtype).name != "float16":
        template = "round_f16(np.float32({0}))"  # float16's precision, kept in float32
    if e.prim.name in STRICT and out in SUFFIX:
        # both operands in the result's type (the intrinsic takes one float type)
        args = [a if compute_dtype(x.aval.dtype) == out else f"{np_type(dtype)}({a})"
                for a, x in zip(args, e.invars)]
        template = STRICT[e.prim.name] + "({0}, {1})"
    text = template.format(*args, **fields)

    def resolve(m: re.Match) -> str:
        fn = m.group(1)
        if fn in VMATH:
            return f"{fn}_{SUFFIX[out]}("
        return NUMPY.get(fn, fn) + "("

    text = _CALL.sub(resolve, text)
    operands = e.invars[1:] if e.prim.name == "where" else e.invars  # not the condition
    if out in SUFFIX and e.prim.name in SAME_TYPE and \
            all(compute_dtype(x.aval.dtype) == out for x in operands):
        return text
    return f"{np_type(dtype)}({text})"  # keeps float32 math in float32
