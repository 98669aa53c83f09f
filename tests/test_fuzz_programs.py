"""A program fuzzer: random small graphs run four ways must agree.

Hypothesis draws 1-3 input arrays (odd shapes: 0-d, size 1, size 0, float32 and float64) and a
short list of operations, each applied to earlier values: elementwise unary and broadcasting
binary ops, reductions over random axes, ``nd.dot``, reshape/transpose/broadcast_to/slicing.
Every program is run

* eagerly on NDArrays (and with ``autograd.record``/``backward`` for the gradient),
* compiled by ``tracegrad.jit``/``value_and_grad`` on the numba backend,
* compiled on the reference interpreter backend,
* in float64 NumPy (the reference forward), whose central differences give the gradient of
  the scalar loss ``sum_k (out_k * w_k).sum()``.

Elements where the loss has a kink (relu/abs/maximum at a tie, etc.) are detected by their
one-sided differences disagreeing and are not compared. Values stay in safe ranges: exp takes
``tanh(x)``, log and sqrt take ``|x| + 0.5``, division is by ``|y| + 0.5``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegrad
from tracegrad import autograd, nd
from tracegrad._compiler import executor

UNARY = ["exp", "log", "tanh", "sigmoid", "sin", "abs", "relu", "sqrt", "neg"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"]
REDUCE = ["sum", "mean", "max", "min"]


# -- the operations, once for NumPy (float64 reference) and once for nd --------------------

def _np_unary(name, x):
    return {
        "exp": lambda: np.exp(np.tanh(x)),
        "log": lambda: np.log(np.abs(x) + 0.5),
        "tanh": lambda: np.tanh(x),
        "sigmoid": lambda: 1.0 / (1.0 + np.exp(-x)),
        "sin": lambda: np.sin(x),
        "abs": lambda: np.abs(x),
        "relu": lambda: np.maximum(x, 0.0),
        "sqrt": lambda: np.sqrt(np.abs(x) + 0.5),
        "neg": lambda: -x,
    }[name]()


def _nd_unary(name, x):
    return {
        "exp": lambda: nd.exp(nd.tanh(x)),
        "log": lambda: nd.log(nd.abs(x) + 0.5),
        "tanh": lambda: nd.tanh(x),
        "sigmoid": lambda: nd.sigmoid(x),
        "sin": lambda: nd.sin(x),
        "abs": lambda: nd.abs(x),
        "relu": lambda: nd.relu(x),
        "sqrt": lambda: nd.sqrt(nd.abs(x) + 0.5),
        "neg": lambda: -x,
    }[name]()


def _np_binary(name, a, b):
    return {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
        "div": lambda: a / (np.abs(b) + 0.5),
        "maximum": lambda: np.maximum(a, b), "minimum": lambda: np.minimum(a, b),
    }[name]()


def _nd_binary(name, a, b):
    return {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
        "div": lambda: a / (nd.abs(b) + 0.5),
        "maximum": lambda: nd.maximum(a, b), "minimum": lambda: nd.minimum(a, b),
    }[name]()


def _np_reduce(name, x, axis, keepdims):
    f = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}[name]
    out = np.asarray(f(x, axis=axis, keepdims=keepdims))
    return out.reshape(1) if out.ndim == 0 else out  # MXNet: a full reduction has shape (1,)


def _nd_reduce(name, x, axis, keepdims):
    f = {"sum": nd.sum, "mean": nd.mean, "max": nd.max, "min": nd.min}[name]
    return f(x, axis=axis, keepdims=keepdims)


def apply(lib, step, vals):
    """One step of a program on earlier values ``vals`` (NumPy arrays or NDArrays)."""
    kind, name, args, p = step
    xs = [vals[i] for i in args]
    is_np = lib == "np"
    if kind == "unary":
        return (_np_unary if is_np else _nd_unary)(name, xs[0])
    if kind == "binary":
        return (_np_binary if is_np else _nd_binary)(name, xs[0], xs[1])
    if kind == "reduce":
        return (_np_reduce if is_np else _nd_reduce)(name, xs[0], p["axis"], p["keepdims"])
    if kind == "dot":
        b = xs[1].T if p["transpose_b"] else xs[1]
        return np.dot(xs[0], b) if is_np else nd.dot(xs[0], b)
    if kind == "reshape":
        return xs[0].reshape(p["shape"])
    if kind == "transpose":
        return np.transpose(xs[0], p["axes"]) if is_np else nd.transpose(xs[0], axes=p["axes"])
    if kind == "broadcast_to":
        return (np.broadcast_to(xs[0], p["shape"]) if is_np
                else nd.broadcast_to(xs[0], shape=p["shape"]))
    if kind == "slice":
        return xs[0][p["key"]]
    raise AssertionError(kind)


def run_np(program, inputs):
    vals = list(inputs)
    for step in program["steps"]:
        vals.append(np.asarray(apply("np", step, vals), dtype=np.float64))
    return vals


# -- the strategy ---------------------------------------------------------------------------

SIDE = st.sampled_from([1, 2, 3, 3, 2, 0])  # size 0 now and then


@st.composite
def shapes(draw, max_dims=3):
    ndim = draw(st.integers(0, max_dims))
    return tuple(draw(SIDE) for _ in range(ndim))


def _broadcastable(s, t):
    for a, b in zip(reversed(s), reversed(t)):
        if a != b and a != 1 and b != 1:
            return False
    return True


def _draw_step(draw, shapes_now):
    n = len(shapes_now)
    idx = st.integers(0, n - 1)
    kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "reduce", "dot",
                                 "reshape", "transpose", "broadcast_to", "slice"]))
    i = draw(idx)
    s = shapes_now[i]
    if kind == "unary":
        return ("unary", draw(st.sampled_from(UNARY)), (i,), {})
    if kind == "binary":
        partners = [j for j in range(n) if _broadcastable(s, shapes_now[j])]
        j = draw(st.sampled_from(partners))  # i itself is always a partner
        return ("binary", draw(st.sampled_from(BINARY)), (i, j), {})
    if kind == "reduce":
        name = draw(st.sampled_from(REDUCE))
        if len(s) == 0:
            axis = None
        else:
            axes = draw(st.lists(st.integers(0, len(s) - 1), min_size=1, max_size=len(s),
                                 unique=True))
            axis = None if draw(st.booleans()) and len(axes) == len(s) else (
                axes[0] if len(axes) == 1 and draw(st.booleans()) else tuple(sorted(axes)))
        if name != "sum" and 0 in s:
            # mean/max/min of any empty array is rejected ("has no value"), even where NumPy
            # gives an empty result (min over a non-empty axis of shape (2, 0, 3))
            name = "sum"
        return ("reduce", name, (i,), {"axis": axis, "keepdims": draw(st.booleans())})
    if kind == "dot":
        two_d = [j for j in range(n) if len(shapes_now[j]) == 2]
        if not two_d:
            return ("unary", "tanh", (i,), {})
        i = draw(st.sampled_from(two_d))
        opts = [(j, False) for j in two_d if shapes_now[j][0] == shapes_now[i][1]]
        opts += [(j, True) for j in two_d if shapes_now[j][1] == shapes_now[i][1]]
        j, tb = draw(st.sampled_from(opts))  # (i, True) always qualifies
        return ("dot", "dot", (i, j), {"transpose_b": tb})
    if kind == "reshape":
        size = int(np.prod(s))
        options = [(size,), (1,) + s, s + (1,), tuple(reversed(s)) or (1,)]
        if len(s) >= 2:
            options.append((s[0] * s[1],) + s[2:])
        if size == 1:
            options.append(())
        # MXNet's reshape reads 0 as "copy this dimension": size-0 targets are not expressible
        options = [o for o in options if 0 not in o]
        if not options:
            return ("unary", "abs", (i,), {})
        return ("reshape", "reshape", (i,), {"shape": draw(st.sampled_from(options))})
    if kind == "transpose":
        axes = tuple(draw(st.permutations(list(range(len(s))))))
        return ("transpose", "transpose", (i,), {"axes": axes})
    if kind == "broadcast_to":
        if 0 in s:  # MXNet's broadcast_to reads 0 in the target as "keep this dimension"
            return ("unary", "relu", (i,), {})
        lead = draw(st.sampled_from([(), (2,), (1,), (3, 1)]))
        shape = lead + tuple(draw(st.sampled_from([1, 2, 3])) if d == 1 else d for d in s)
        return ("broadcast_to", "broadcast_to", (i,), {"shape": shape})
    if kind == "slice":
        if len(s) == 0:
            return ("unary", "sin", (i,), {})
        key = []
        for d in s:
            start = draw(st.integers(0, max(d - 1, 0)))
            stop = draw(st.sampled_from([None, d, max(d - 1, start)]))
            key.append(slice(start, stop, draw(st.sampled_from([1, 1, 2]))))
        return ("slice", "slice", (i,), {"key": tuple(key[:draw(st.integers(1, len(s)))])})
    raise AssertionError(kind)


@st.composite
def programs(draw, max_steps=5):
    dtype = draw(st.sampled_from(["float32", "float64"]))
    in_shapes = draw(st.lists(shapes(), min_size=1, max_size=3))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    transposed = draw(st.lists(st.booleans(), min_size=len(in_shapes), max_size=len(in_shapes)))
    now = [np.zeros(s) for s in in_shapes]
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        step = _draw_step(draw, [v.shape for v in now])
        steps.append(step)
        now.append(np.asarray(apply("np", step, now)))
    n_out = draw(st.integers(1, min(2, len(steps))))
    outs = tuple(range(len(now) - n_out, len(now)))
    return {"dtype": dtype, "shapes": in_shapes, "seed": seed, "transposed": transposed,
            "steps": steps, "outs": outs}


# -- running and checking -------------------------------------------------------------------

def _inputs(program):
    rng = np.random.default_rng(program["seed"])
    dt = np.dtype(program["dtype"])
    xs = []
    for s in program["shapes"]:
        # values representable in the program's dtype, so the float64 reference sees them too
        xs.append(rng.uniform(-2.0, 2.0, size=s).astype(dt).astype(np.float64))
    return rng, xs


def _to_nd(x, dtype, transposed):
    a = np.asarray(x, dtype=dtype)
    if transposed and a.ndim >= 2:  # a non-contiguous NumPy view (nd.array copies it)
        a = np.ascontiguousarray(a.T).T
        assert not a.flags.c_contiguous or a.size <= 1 or 1 in a.shape
    return nd.array(a, dtype=dtype)


def _make_functions(program, n_in):
    steps, outs = program["steps"], program["outs"]

    def forward(*xs):
        vals = list(xs)
        for step in steps:
            vals.append(apply("nd", step, vals))
        return tuple(vals[k] for k in outs)

    def loss(*args):
        xs, ws = args[:n_in], args[n_in:]
        total = None
        for o, w in zip(forward(*xs), ws):
            term = (o * w).sum()
            total = term if total is None else total + term
        return total

    return forward, loss


def _tol(dtype):
    return (2e-4, 2e-5) if dtype == "float32" else (1e-9, 1e-10)


def _close(got, want, rtol, atol, what):
    got = got.asnumpy() if hasattr(got, "asnumpy") else np.asarray(got)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol, atol=atol, err_msg=what)


def check_program(program):
    dtype = program["dtype"]
    rtol, atol0 = _tol(dtype)
    rng, xs = _inputs(program)
    n_in = len(xs)
    ref_vals = run_np(program, xs)
    ref_outs = [ref_vals[k] for k in program["outs"]]
    finite = [v for v in ref_vals if v.size]
    scale = max([1.0] + [float(np.max(np.abs(v))) for v in finite])
    atol = atol0 * scale
    ws64 = [rng.uniform(-1.0, 1.0, size=o.shape).astype(dtype).astype(np.float64)
            for o in ref_outs]
    nd_in = [_to_nd(x, dtype, t) for x, t in zip(xs, program["transposed"])]
    nd_w = [nd.array(np.asarray(w, dtype=dtype), dtype=dtype) for w in ws64]
    forward, loss = _make_functions(program, n_in)

    # forward: eager, numba jit, interpreter against float64 NumPy
    eager = forward(*nd_in)
    for o, r in zip(eager, ref_outs):
        assert np.dtype(o.dtype) == np.dtype(dtype)
        _close(o, r, rtol, atol, "eager vs numpy")
    jitted = tracegrad.jit(forward)(*nd_in)
    jitted = jitted if isinstance(jitted, tuple) else (jitted,)
    for o, e, r in zip(jitted, eager, ref_outs):
        _close(o, r, rtol, atol, "jit vs numpy")
        _close(o, e.asnumpy().astype(np.float64), rtol, atol, "jit vs eager")
    argnums = tuple(range(n_in))
    executor.set_backend("interpreter")
    try:
        interp = tracegrad.jit(forward)(*nd_in)
        v_int, g_int = tracegrad.value_and_grad(loss, argnums=argnums)(*nd_in, *nd_w)
    finally:
        executor.set_backend(None)
    interp = interp if isinstance(interp, tuple) else (interp,)
    for o, r in zip(interp, ref_outs):
        _close(o, r, rtol, atol, "interpreter vs numpy")

    # gradient: value_and_grad (numba, interpreter), eager autograd, central differences
    v_jit, g_jit = tracegrad.value_and_grad(loss, argnums=argnums)(*nd_in, *nd_w)
    for x in nd_in:
        x.attach_grad()
    with autograd.record():
        v_eager = loss(*nd_in, *nd_w)
    v_eager.backward()
    g_eager = [x.grad for x in nd_in]

    def ref_loss(*a):
        vals = run_np(program, a)
        return sum(float(np.sum(vals[k] * w)) for k, w in zip(program["outs"], ws64))

    v_ref = ref_loss(*xs)
    lscale = scale * max(1.0, sum(float(np.abs(w).sum()) for w in ws64))
    for v in (v_jit, v_int, v_eager):
        _close(v.reshape((-1,))[0:1], np.array([v_ref]), rtol, atol0 * lscale, "loss value")

    grtol, gatol = (2e-3, 2e-3) if dtype == "float32" else (1e-5, 1e-6)
    for a in range(n_in):
        central, kink = _numerical(ref_loss, xs, a)
        gscale = max(1.0, float(np.max(np.abs(central))) if central.size else 1.0)
        smooth = ~kink
        for what, g in (("value_and_grad (numba)", g_jit[a]), ("value_and_grad (interpreter)",
                        g_int[a]), ("eager backward", g_eager[a])):
            assert g.shape == xs[a].shape, (what, g.shape, xs[a].shape)
            got = g.asnumpy().astype(np.float64)
            np.testing.assert_allclose(got[smooth], central[smooth], rtol=grtol,
                                       atol=gatol * gscale, err_msg=f"{what} vs numerical, arg {a}")
        np.testing.assert_allclose(g_jit[a].asnumpy().astype(np.float64),
                                   g_eager[a].asnumpy().astype(np.float64), rtol=rtol * 10,
                                   atol=atol0 * 10 * lscale, err_msg="jit grad vs eager grad")


def _numerical(f, args, argnum, eps=1e-6):
    """Central differences, and a mask of elements where the one-sided differences disagree."""
    args = [np.array(a, dtype=np.float64, copy=True) for a in args]
    x = args[argnum]
    flat = x.reshape(-1)
    base = f(*args)
    central = np.zeros(flat.size)
    kink = np.zeros(flat.size, dtype=bool)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f(*args)
        flat[i] = old - eps
        lo = f(*args)
        flat[i] = old
        fwd, bwd = (hi - base) / eps, (base - lo) / eps
        central[i] = (hi - lo) / (2 * eps)
        kink[i] = abs(fwd - bwd) > 1e-4 * (1 + abs(central[i]))
    return central.reshape(x.shape), kink.reshape(x.shape)


# -- the tests ------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, derandomize=True)
@given(program=programs())
def test_random_programs_agree(program):
    check_program(program)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None)
@given(program=programs(max_steps=7))
def test_random_programs_agree_slow(program):
    check_program(program)


def test_a_hand_written_program():
    """A fixed program through every kind of step (the fuzzer's own smoke test)."""
    program = {
        "dtype": "float64", "shapes": [(2, 3), (3,), ()], "seed": 1,
        "transposed": [True, False, False],
        "steps": [("binary", "div", (0, 1), {}), ("transpose", "transpose", (3,), {"axes": (1, 0)}),
                  ("dot", "dot", (0, 4), {"transpose_b": False}),
                  ("reduce", "max", (5,), {"axis": 1, "keepdims": True}),
                  ("broadcast_to", "broadcast_to", (6,), {"shape": (3, 2, 2)}),
                  ("slice", "slice", (7,), {"key": (slice(1, None, 1),)}),
                  ("unary", "exp", (8,), {}), ("binary", "mul", (9, 2), {})],
        "outs": (10,),
    }
    check_program(program)
