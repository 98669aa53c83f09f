"""The numba-CPU lowering table (what fuses, and the scalar code of each primitive) and the
source emitter of the code generator. (Importing tracegrad._compiler registers every
primitive.)"""

import re
import subprocess
import sys

import numpy as np
import pytest

from tracegrad._compiler.backends.numba_cpu import lowering
from tracegrad._compiler.backends.numba_cpu.emitter import Emitter
from tracegrad._compiler.core import REGISTRY, ShapedArray
from tracegrad._compiler.ir import Eqn, Literal, Var
from tracegrad._compiler.schedule.fusion import REDUCTIONS

# Elementwise primitives the numba-CPU backend deliberately runs unfused: a new elementwise
# primitive must get a template in lowering.SCALAR or be listed here. The special functions
# below have no vectorisable formula in vmath (their NumPy implementations run per element
# or iterate), so they run between kernels.
DELIBERATELY_UNFUSED: set[str] = {"erfinv", "gamma", "gammaln", "polygamma"}


def _eqn(name, *avals, out=None, **params):
    prim = REGISTRY[name]
    ins = [a if isinstance(a, Literal) else Var(ShapedArray((3,), np.dtype(a))) for a in avals]
    return Eqn(prim, params, ins, [Var(ShapedArray((3,), np.dtype(out or avals[0])))])


@pytest.mark.parametrize("prim", sorted(REGISTRY.values(), key=lambda p: p.name),
                         ids=lambda p: p.name)
def test_can_fuse_is_derived_from_the_table(prim):
    eqn = Eqn(prim, {}, [], [])
    expected = {"elementwise": prim.name in lowering.SCALAR,
                "reduce": prim.name in lowering.ACCUMULATORS}.get(
        prim.kind, prim.name in lowering.FUSED_MOVEMENT)
    assert lowering.can_fuse(eqn) == expected


def test_every_elementwise_primitive_has_a_template_or_is_listed():
    elementwise = {p.name for p in REGISTRY.values() if p.kind == "elementwise"}
    assert elementwise - DELIBERATELY_UNFUSED == set(lowering.SCALAR)  # no stale templates
    assert not DELIBERATELY_UNFUSED & set(lowering.SCALAR)


def test_the_reductions_of_the_loop_model_all_have_accumulators():
    assert set(lowering.ACCUMULATORS) == set(REDUCTIONS)
    assert not lowering.can_fuse(Eqn(REGISTRY["argmax"], {}, [], []))
    assert lowering.accumulate("reduce_max", "acc", "v0") == "acc = fold_max(acc, v0)"
    assert lowering.init("reduce_prod") == "1.0"


def test_expressions_resolve_math_per_dtype_and_name_their_constants():
    consts = []

    def const(value, dtype):
        consts.append((value, np.dtype(dtype).name))
        return f"C{len(consts) - 1}"

    assert lowering.expression(_eqn("exp", "float32"), ["a"], const) == "exp_f32(a)"
    assert lowering.expression(_eqn("sqrt", "float64"), ["a"], const) == "np.sqrt(a)"
    # operands of other dtypes: the result is cast to the output's
    assert lowering.expression(_eqn("mul", "float32", "float64", out="float64"), ["a", "b"],
                               const) == "np.float64((a * b))"
    assert lowering.expression(_eqn("round", "float64"), ["a"], const) == \
        "np.float64(round_half_away(a))"  # round_half_away's t + 1 is float64 for float32
    assert lowering.expression(_eqn("cast", "float32", out="float64", dtype="float64"),
                               ["a"], const) == "np.float64(np.float64(a))"
    assert consts == []
    # zero (in the input dtype) is named before one (in the output dtype)
    assert lowering.expression(_eqn("lt", "float32", "float32"), ["a", "b"], const) == \
        "select(a < b, C1, C0)"
    assert consts == [(0.0, "float32"), (1.0, "float32")]


def test_accumulators_keep_the_vector_width():
    acc = lowering.accumulator
    # max/min are exact: the values' dtype; a float32 sum: float32 partials in float64
    assert acc("reduce_max", "float32") == ("float32", None)
    assert acc("reduce_min", "float64") == ("float64", None)
    assert acc("reduce_sum", "float32") == ("float64", "float32")
    assert acc("reduce_sum", "float16") == ("float64", "float32")
    assert acc("reduce_sum", "float64") == ("float64", None)
    assert acc("reduce_prod", "float32") == ("float64", None)
    assert lowering.init("reduce_max", "float32") == "np.float32(-np.inf)"


def test_add_and_sub_of_floats_are_strict():
    const = lambda value, dtype: "C0"  # noqa: E731
    assert lowering.expression(_eqn("add", "float32", "float32"), ["a", "b"], const) == \
        "strict_add(a, b)"
    assert lowering.expression(_eqn("sub", "float64", "float64"), ["a", "b"], const) == \
        "strict_sub(a, b)"
    assert lowering.expression(_eqn("mul", "float32", "float32"), ["a", "b"], const) == \
        "(a * b)"


def test_float16_is_computed_in_float32():
    const = lambda value, dtype: "C0"  # noqa: E731
    assert lowering.compute_dtype("float16") == "float32"
    assert lowering.expression(_eqn("exp", "float16"), ["a"], const) == "exp_f32(a)"
    # a cast to float16 rounds to float16 (kept in float32)
    assert lowering.expression(_eqn("cast", "float32", out="float16", dtype="float16"),
                               ["a"], const) == "np.float32(round_f16(np.float32(a)))"
    assert lowering.expression(_eqn("cast", "float16", out="float32", dtype="float32"),
                               ["a"], const) == "np.float32(np.float32(a))"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uncast_expressions_have_the_output_type(dtype):
    # lowering.SAME_TYPE claims numba types these expressions as their operands' float type;
    # compile them all (one function returning a tuple) and read the types numba inferred
    numba = pytest.importorskip("numba")
    from tracegrad._compiler.backends.numba_cpu import kernel_rt

    names = sorted(lowering.SAME_TYPE)
    consts: dict = {}

    def const(value, dt):
        return consts.setdefault((value, np.dtype(dt).name), f"C{len(consts)}")

    exprs = []
    for name in names:
        arity = max(int(i) for i in re.findall(r"\{(\d)\}", lowering.SCALAR[name])) + 1
        text = lowering.expression(_eqn(name, *[dtype] * arity), ["a", "b", "c"][:arity],
                                   const)
        assert not text.startswith("np.float"), (name, text)
        exprs.append(text)
    cs = ", ".join(consts.values())
    src = f"def f(a, b, c, {cs}):\n    return ({', '.join(exprs)},)\n"
    ns = dict(vars(kernel_rt))
    exec(src, ns)
    t = getattr(numba, dtype)
    fn = numba.njit(ns["f"])
    fn.compile((t,) * (3 + len(consts)))
    returned = fn.nopython_signatures[0].return_type
    assert dict(zip(names, returned)) == dict.fromkeys(names, t)


def test_vmath_implements_exactly_the_names_of_the_table():
    pytest.importorskip("numba")
    from tracegrad._compiler.backends.numba_cpu import vmath

    assert set(vmath.FUNCTIONS) == {(n, dt) for n in lowering.VMATH
                                    for dt in ("float32", "float64")}


def test_fusion_and_source_generation_do_not_import_numba():
    code = ("import sys; import tracegrad._compiler.backends.numba_cpu.lowering; "
            "import tracegrad._compiler.backends.numba_cpu.codegen; "
            "assert 'numba' not in sys.modules, 'numba was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_emitter_indents_blocks_and_forgets_their_values():
    em = Emitter()
    em.line("a = 1")
    em.known[1] = "a"
    with em.block("for i in range(3):"):
        assert em.known == {1: "a"}  # a block starts from its parent's values
        em.line("b = a + i")
        em.known[2] = "b"
        with em.nest(["for j in range(2):", "for k in range(2):"]):
            em.line("c = b")
    assert em.known == {1: "a"}  # b is not valid after its loop
    em.line("")
    outer = Emitter()
    with outer.block("def f():"):
        outer.extend(em)
    assert outer.render() == [
        "def f():",
        "    a = 1",
        "    for i in range(3):",
        "        b = a + i",
        "        for j in range(2):",
        "            for k in range(2):",
        "                c = b",
        "",
    ]
