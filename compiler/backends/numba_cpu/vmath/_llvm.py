"""LLVM-level building blocks of the vectorisable math: bit casts, rint, IEEE operations
that fastmath leaves alone (``_sadd``...), an exact division, Horner polynomials, copysign;
and the decorator (:data:`FASTMATH` flags, inlined) every vmath function uses."""

from __future__ import annotations

from typing import Any

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic as _numba_intrinsic

# No 'nnan'/'ninf': with them LLVM may fold `x != x` to False and drop the inf/NaN selects
# below, silently breaking special values (and any isnan check in user kernels).
FASTMATH: set[str] = {"nsz", "arcp", "contract", "afn", "reassoc"}

_vm = numba.njit(inline="always", fastmath=FASTMATH, cache=False)
# Typed Any: mypy would check call sites against the typing-time signature (typingctx, ...).
_intrinsic: Any = _numba_intrinsic


# --------------------------------------------------------------------------------------------
# LLVM-level helpers
# --------------------------------------------------------------------------------------------

_INT_OF = {types.float32: types.int32, types.float64: types.int64}


@_intrinsic
def _bits(typingctx, x):
    """Reinterpret a float's bits as the signed integer of the same width."""
    if x not in _INT_OF:
        return None
    ity = _INT_OF[x]

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(ity.bitwidth))

    return ity(x), codegen


def _make_from_bits(fty):
    width = fty.bitwidth

    @_intrinsic
    def from_bits(typingctx, i):
        """Reinterpret integer bits (truncated / sign-extended to the float's width) as float."""
        if not isinstance(i, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            v, ity = args[0], ir.IntType(width)
            if i.bitwidth > width:
                v = builder.trunc(v, ity)
            elif i.bitwidth < width:
                v = builder.sext(v, ity) if i.signed else builder.zext(v, ity)
            return builder.bitcast(v, context.get_value_type(fty))

        return fty(i), codegen

    return from_bits


_f32_from_bits = _make_from_bits(types.float32)
_f64_from_bits = _make_from_bits(types.float64)


@_intrinsic
def _rint(typingctx, x):
    """Round to nearest integer (ties to even) via llvm.rint, which has vector forms."""
    if x not in _INT_OF:
        return None

    def codegen(context, builder, sig, args):
        fn = builder.module.declare_intrinsic("llvm.rint", [args[0].type])
        return builder.call(fn, [args[0]])

    return x(x), codegen


def _make_strict(op):
    @_intrinsic
    def strict(typingctx, a, b):
        """IEEE a (op) b that survives the kernel's fastmath flags.

        numba's fastmath pass only flags float instructions that carry no flag yet; 'afn' has
        no meaning for add/sub/mul, so this stays an exactly rounded, non-reassociable op.
        """
        if a not in _INT_OF or a != b:
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, op)(args[0], args[1], flags=("afn",))

        return a(a, b), codegen

    return strict


_sadd = _make_strict("fadd")
_ssub = _make_strict("fsub")
_smul = _make_strict("fmul")


@_intrinsic
def _div(typingctx, a, b):
    """Correctly rounded a / b (no reciprocal rewrite; same flag trick as _sadd) and without
    numba's ZeroDivisionError check, whose raise path blocks vectorisation. Division by zero
    gives IEEE inf/NaN, which the callers select away."""
    if a not in _INT_OF or a != b:
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(args[0], args[1], flags=("afn",))

    return a(a, b), codegen


@_intrinsic
def _poly(typingctx, x, coeffs):
    """Horner evaluation c[0] + x*(c[1] + x*(c[2] + ...)) of a constant coefficient tuple."""
    if not (isinstance(coeffs, types.UniTuple) and coeffs.dtype == x and x in _INT_OF):
        return None
    n = coeffs.count

    def codegen(context, builder, sig, args):
        xv, cv = args
        acc = builder.extract_value(cv, n - 1)
        for i in range(n - 2, -1, -1):
            acc = builder.fadd(builder.fmul(acc, xv), builder.extract_value(cv, i))
        return acc

    return x(x, coeffs), codegen


@_intrinsic
def _copysign(typingctx, mag, sgn):
    """|mag| with the sign bit of sgn, done on integer bits so 'nsz' cannot drop a -0."""
    if mag not in _INT_OF or mag != sgn:
        return None

    def codegen(context, builder, sig, args):
        ity = ir.IntType(mag.bitwidth)
        sign = 1 << (mag.bitwidth - 1)
        m = builder.and_(builder.bitcast(args[0], ity), ir.Constant(ity, sign - 1))
        s = builder.and_(builder.bitcast(args[1], ity), ir.Constant(ity, sign))
        return builder.bitcast(builder.or_(m, s), args[0].type)

    return mag(mag, sgn), codegen


# --------------------------------------------------------------------------------------------
# What generated kernels call besides the math functions
# --------------------------------------------------------------------------------------------

@_intrinsic
def strict_add(typingctx, a, b):
    """a + b as written (no reassociation or contraction under the kernel's fastmath); the
    code generator emits it for the ``add`` primitive on floats."""
    if a not in _INT_OF or a != b:
        return None

    def codegen(context, builder, sig, args):
        return builder.fadd(args[0], args[1], flags=("afn",))

    return a(a, b), codegen


@_intrinsic
def strict_sub(typingctx, a, b):
    """a - b as written (see :func:`strict_add`)."""
    if a not in _INT_OF or a != b:
        return None

    def codegen(context, builder, sig, args):
        return builder.fsub(args[0], args[1], flags=("afn",))

    return a(a, b), codegen


# Selections are LLVM ``select`` instructions rather than Python conditional expressions:
# a conditional expression is three basic blocks of numba IR, each of which numba's passes
# (SSA, type inference, lowering) walk, and the cross-entropy gradient kernel has a dozen.

def _common_type(typingctx, *tys):
    """The one type ``select``/``maximum``/``minimum`` compute in (None: not numbers)."""
    if not all(isinstance(t, (types.Float, types.Integer, types.Boolean)) for t in tys):
        return None
    return typingctx.unify_types(*tys)


@_intrinsic
def select(typingctx, cond, a, b):
    """``a if cond else b`` for a boolean ``cond``, as one LLVM ``select`` (both operands are
    names already computed, so evaluating both changes nothing)."""
    ty = _common_type(typingctx, a, b)
    if not isinstance(cond, types.Boolean) or ty is None:
        return None

    def codegen(context, builder, sig, args):
        x = context.cast(builder, args[1], sig.args[1], ty)
        y = context.cast(builder, args[2], sig.args[2], ty)
        return builder.select(args[0], x, y)

    return ty(cond, a, b), codegen


def _make_extremum(op):
    @_intrinsic
    def extremum(typingctx, a, b):
        """NumPy's maximum/minimum of two numbers: NaN propagates (from either operand)."""
        ty = _common_type(typingctx, a, b)
        if ty is None:
            return None

        def codegen(context, builder, sig, args):
            x = context.cast(builder, args[0], sig.args[0], ty)
            y = context.cast(builder, args[1], sig.args[1], ty)
            if isinstance(ty, types.Float):  # keep x if it is NaN or wins; else y
                keep = builder.or_(builder.fcmp_unordered("uno", x, x),
                                   builder.fcmp_ordered(op, x, y))
            elif isinstance(ty, types.Integer) and ty.signed:
                keep = builder.icmp_signed(op, x, y)
            else:  # unsigned integers, booleans
                keep = builder.icmp_unsigned(op, x, y)
            return builder.select(keep, x, y)

        return ty(a, b), codegen

    return extremum


maximum = _make_extremum(">=")
minimum = _make_extremum("<=")


def _make_fold(name):
    @_intrinsic
    def fold(typingctx, acc, value):
        """The max/min reduction step: ``acc`` (float32/float64) against ``value`` (any number,
        converted to acc's type). LLVM's IEEE 754-2019 maximum/minimum propagate NaN like
        NumPy's, and unlike a compare-and-select they are associative, so the loop vectoriser
        turns the fold into a vector reduction (a select chain stayed scalar: 1.5 ms against
        0.16 ms for the row maxima of 4096x256 float32)."""
        if acc not in _INT_OF or not isinstance(value, (types.Float, types.Integer,
                                                        types.Boolean)):
            return None

        def codegen(context, builder, sig, args):
            v = context.cast(builder, args[1], sig.args[1], sig.args[0])
            t = args[0].type
            fn = builder.module.declare_intrinsic(name, [t], ir.FunctionType(t, [t, t]))
            return builder.call(fn, [args[0], v])

        return acc(acc, value), codegen

    return fold


fold_max = _make_fold("llvm.maximum")
fold_min = _make_fold("llvm.minimum")


@_intrinsic
def scratch(typingctx, n, dtype):
    """``np.empty(n, dtype)``, a 1-d buffer (row caches, per-chunk partials). numba's
    ``np.empty`` is an overload whose implementation numba compiles, with its whole pipeline,
    the first time a process uses it per signature: 0.19 s of the first kernel compiled in
    every process. This emits what that implementation does (numba's ``_empty_nd_impl``,
    present in every numba version pyproject allows)."""
    if not isinstance(n, types.Integer) or not isinstance(dtype, types.NumberClass):
        return None
    array = types.Array(dtype.instance_type, 1, "C")

    def codegen(context, builder, sig, args):
        # imported here, when compiling: numba's lowering has loaded it by then, and a warm
        # process that only loads kernels does not pay for it (24 ms)
        from numba.np.arrayobj import _empty_nd_impl

        size = context.cast(builder, args[0], sig.args[0], types.intp)
        return _empty_nd_impl(context, builder, array, [size])._getvalue()

    return array(n, dtype), codegen


@_intrinsic
def round_f16(typingctx, x):
    """float32 ``x`` rounded to float16 precision and range (a cast to float16 inside a
    kernel, which computes float16 values in float32)."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.fpext(builder.fptrunc(args[0], ir.HalfType()), ir.FloatType())

    return x(x), codegen


@_intrinsic
def prefer_vector_width(typingctx, width):
    """Mark the function being compiled with LLVM's ``"prefer-vector-width"`` attribute (what
    clang's ``-mprefer-vector-width`` sets): the vectoriser of this function only, not of
    anything else numba compiles in the process, uses ``width``-bit vectors where the CPU has
    them. Emits no code. ``width`` must be a literal integer (it is part of the kernel's
    source, hence of its cache key)."""
    if not isinstance(width, types.IntegerLiteral):
        return None
    value = int(width.literal_value)

    def codegen(context, builder, sig, args):
        # llvmlite only accepts the attributes it knows; a string attribute is valid LLVM IR
        # in a function's attribute list, so it goes into the set directly
        set.add(builder.function.attributes, f'"prefer-vector-width"="{value}"')
        return context.get_dummy_value()

    return types.none(width), codegen


# numba's CPU target has no float16 data model (a float16 array argument raises
# NotImplementedError), so kernels take float16 arrays as their uint16 bits and convert with
# LLVM's half type (vcvtph2ps / vcvtps2ph with F16C, vectorisable).

@_intrinsic
def from_f16_bits(typingctx, bits):
    """The float32 value of float16 bits (a uint16)."""
    if bits != types.uint16:
        return None

    def codegen(context, builder, sig, args):
        return builder.fpext(builder.bitcast(args[0], ir.HalfType()), ir.FloatType())

    return types.float32(bits), codegen


@_intrinsic
def to_f16_bits(typingctx, x):
    """float32 ``x`` rounded to float16, as its bits (a uint16)."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(builder.fptrunc(args[0], ir.HalfType()), ir.IntType(16))

    return types.uint16(x), codegen
