"""Every primitive in the registry, checked by walking the registry.

For each sample input: the abstract rule matches the NumPy result; recorded eager execution
matches NumPy; the traced graph run by the interpreter matches eager; the gradient matches
central differences in float64; the gradient of the gradient (a Hessian-vector product)
matches central differences of the gradient.
"""

import numpy as np
import pytest

import tracegrad._compiler  # noqa: F401  (importing the compiler registers every primitive)
from tracegrad import autograd
from tracegrad._compiler.core import REGISTRY, ShapedArray, is_array
from tracegrad._compiler.frontend.interpreter import eval_graph
from tracegrad._compiler.frontend.tracing import trace
from tracegrad.errors import NotInGraphError
from tracegrad.ndarray import NDArray, apply
from tracegrad.testing import numerical_grad

PRIMS = sorted(REGISTRY.values(), key=lambda p: p.name)
DIFFERENTIABLE_KINDS = ("elementwise", "reduce", "movement", "contraction", "other")
# stop_gradient's gradient is zero by definition, not its derivative (tested in
# tests/tracegrad/autograd/test_function.py).
DIFFERENTIABLE = [p for p in PRIMS
                  if p.kind in DIFFERENTIABLE_KINDS and p.name != "stop_gradient"]


def _cases(prim):
    assert prim.samples is not None, f"primitive {prim.name} has no sample inputs"
    cases = prim.samples()
    assert cases, f"primitive {prim.name} has an empty sample list"
    return cases


def _outs(prim, out):
    return list(out) if prim.multiple_results else [out]


def _weighted(prim, y, weights):
    """sum_k sum(y_k * w_k) as a recorded NDArray."""
    total = None
    for yk, wk in zip(_outs(prim, y), weights):
        term = (yk * NDArray(wk)).sum()
        total = term if total is None else total + term
    return total


def _diff_argnums(prim, args):
    return [i for i, a in enumerate(args) if is_array(a) and i not in prim.nondiff_argnums]


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_every_primitive_has_samples_and_rules(prim):
    _cases(prim)
    assert prim.vjp is not None, f"{prim.name} has no VJP rule"
    assert prim.doc or prim.kind == "elementwise", f"{prim.name} has no doc"


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_abstract_rule_matches_numpy(prim):
    for args, params in _cases(prim):
        out = prim.impl(*args, **params)
        absargs = [ShapedArray(a.shape, a.dtype) if is_array(a) else a for a in args]
        aval = prim.abstract(*absargs, **params)
        for o, av in zip(_outs(prim, out), _outs(prim, aval)):
            assert tuple(av.shape) == np.shape(o), prim.name
            assert np.dtype(av.dtype) == np.asarray(o).dtype, prim.name


@pytest.mark.parametrize("prim", [p for p in PRIMS if p.kind != "random"], ids=lambda p: p.name)
def test_eager_and_interpreter_match_numpy(prim):
    for args, params in _cases(prim):
        expected = prim.impl(*args, **params)
        nd_args = tuple(NDArray(a) if is_array(a) else a for a in args)
        with autograd.record():
            eager = apply(prim, nd_args, params)
        for e, x in zip(_outs(prim, eager), _outs(prim, expected)):
            np.testing.assert_array_equal(e.asnumpy(), x)
        array_pos = [i for i, a in enumerate(args) if is_array(a)]

        def fun(*tracers, args=args, params=params, array_pos=array_pos):
            full = list(args)
            for i, t in zip(array_pos, tracers):
                full[i] = t
            return _outs(prim, prim(*full, **params))

        graph = trace(fun, [ShapedArray(args[i].shape, args[i].dtype) for i in array_pos])
        interp = eval_graph(graph, [args[i] for i in array_pos])
        for e, x in zip(interp, _outs(prim, expected)):
            np.testing.assert_array_equal(e, x)


def test_random_primitives_draw_fresh_samples_with_the_right_moments():
    np.random.seed(1)
    for name, mean in (("random_uniform", 0.5), ("random_normal", 1.0)):
        prim = REGISTRY[name]
        (_, params), = prim.samples()
        a, b = prim.impl(**params), prim.impl(**params)
        assert a.shape == params["shape"] and a.dtype == np.float64
        assert not np.array_equal(a, b)
        assert abs(a.mean() - mean) < 0.3
    ints = REGISTRY["random_randint"].impl(low=-3, high=5, shape=(500,), dtype="int32")
    assert ints.dtype == np.int32 and ints.min() == -3 and ints.max() == 4


def _loss(prim, params, args, weights):
    """sum(prim(args) * weights): a scalar whose gradient is the VJP with cotangent weights."""
    out = prim.impl(*args, **params)
    return float(sum(np.sum(np.asarray(o, dtype=np.float64) * w)
                     for o, w in zip(_outs(prim, out), weights)))


def _random_weights(prim, args, params, rng):
    out = prim.impl(*args, **params)
    return [rng.uniform(0.5, 1.5, size=np.shape(o)) for o in _outs(prim, out)]


def _recorded_loss(prim, raw, params, weights, diff):
    """Variables for the arguments (gradients attached to ``diff``) and the weighted loss of
    the primitive on them; call it inside ``autograd.record()``."""
    variables = [NDArray(a) if is_array(a) else a for a in raw]
    for i in diff:
        variables[i].attach_grad()
    y = apply(prim, tuple(variables), params)
    return variables, _weighted(prim, y, weights)


@pytest.mark.parametrize("prim", DIFFERENTIABLE, ids=lambda p: p.name)
def test_gradient_matches_central_differences(prim):
    rng = np.random.default_rng(1)
    for args, params in _cases(prim):
        diff = _diff_argnums(prim, args)
        if not diff:
            continue
        weights = _random_weights(prim, args, params, rng)
        with autograd.record():
            variables, loss = _recorded_loss(prim, args, params, weights, diff)
        loss.backward()
        for i in diff:
            expected = numerical_grad(
                lambda *a: _loss(prim, params, a, weights), list(args), i)
            np.testing.assert_allclose(variables[i].grad.asnumpy(), expected, rtol=1e-5,
                                       atol=1e-6, err_msg=f"{prim.name} d/d arg {i}")


@pytest.mark.parametrize("prim", DIFFERENTIABLE, ids=lambda p: p.name)
def test_second_order_matches_differences_of_the_gradient(prim):
    rng = np.random.default_rng(2)
    for args, params in _cases(prim):
        diff = _diff_argnums(prim, args)
        if not diff:
            continue
        weights = _random_weights(prim, args, params, rng)
        direction = [rng.uniform(0.5, 1.5, size=np.shape(args[i])) for i in diff]

        def first_order(*raw, record_second=False):
            with autograd.record():
                variables, loss = _recorded_loss(prim, raw, params, weights, diff)
                grads = autograd.grad(loss, [variables[i] for i in diff], create_graph=True)
                gv = sum(((g * NDArray(d)).sum() for g, d in zip(grads, direction)),
                         NDArray(np.zeros(1)))
            if record_second:
                try:
                    gv.backward()
                except NotInGraphError:  # the gradient is constant: its derivative is zero
                    return [np.zeros(np.shape(args[i])) for i in diff]
                return [variables[i].grad.asnumpy() for i in diff]
            return gv.asscalar()

        hvp = first_order(*args, record_second=True)
        for k, i in enumerate(diff):
            expected = numerical_grad(lambda *a: first_order(*a), list(args), i)
            np.testing.assert_allclose(hvp[k], expected, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{prim.name} second order, arg {i}")
