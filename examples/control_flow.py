"""Python control flow on array values under ``tracegrad.jit``: fallback, explain(), strict mode.

``jit`` traces a function with placeholder arrays that have a shape and a dtype but no values.
A ``while`` or ``if`` that looks at a value (``.asscalar()``, ``bool(x)``, ``float(x)``, ...)
cannot be traced, so jit runs that signature eagerly, op by op, and says so: a
``FallbackWarning`` once, and ``f.explain()`` with the reason and the line. The results are
those of eager execution (the script checks it and exits with status 1 otherwise), and
gradients still work, through the tape.

1. the seed notebook's function (doubling until the norm reaches 1000, then a sign test);
2. Heron's square root, iterated until the residual is small (data-dependent stopping),
   then the usual rewrite: compile the loop *body*, keep the stopping test in Python;
3. strict mode, which turns the fallback into an error.

Run: ``python examples/control_flow.py``
"""

from __future__ import annotations

import warnings

import numpy as np

import tracegrad
from tracegrad import autograd, nd
from tracegrad.errors import FallbackWarning, StrictModeError

FAILURES: list[str] = []


def check(what: str, ok: bool) -> None:
    print(f"  check: {what}: {'ok' if ok else 'WRONG'}")
    if not ok:
        FAILURES.append(what)


def same(a: nd.NDArray, b: nd.NDArray) -> bool:
    return a.shape == b.shape and np.array_equal(a.asnumpy(), b.asnumpy())


def section(title: str) -> None:
    print(f"\n## {title}")


# -- 1. the seed's function -------------------------------------------------------------------

def f(a):
    b = a * 2
    while b.norm().asscalar() < 1000:
        b = b * 2
    if b.sum().asscalar() > 0:
        c = b
    else:
        c = 100 * b
    return c


def seed_function() -> None:
    section("1. The seed's function: a while loop and an if on array values")
    jf = tracegrad.jit(f)
    for values in ([0.29956347], [-1.0], [3.0, -4.0]):
        a = nd.array(values)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FallbackWarning)
            got = jf(a)
        for w in caught:
            print(f"  {w.category.__name__}: {w.message}")
        expected = f(a)
        print(f"  f({values}) = {got.asnumpy().tolist()}")
        check(f"jit(f)({values}) equals eager f", same(got, expected))

    # Gradients through the fallback: recorded op by op on the tape.
    a = nd.array([0.29956347])
    a.attach_grad()
    with autograd.record():
        c = jf(a)
    c.backward()
    print(f"  gradient through jit(f) under record(): {a.grad.asnumpy().tolist()}")
    check("gradient through jit(f) is c / a = 4096", a.grad.asnumpy().tolist() == [4096.0])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        g = tracegrad.grad(lambda a: f(a).sum())(nd.array([0.29956347]))
    check("tracegrad.grad of the falling-back function is 4096", g.asnumpy().tolist() == [4096.0])
    print("\n  jf.explain():")
    print("    " + jf.explain().replace("\n", "\n    "))


# -- 2. data-dependent stopping ---------------------------------------------------------------

def heron_sqrt(a: nd.NDArray, tol: float = 1e-6) -> nd.NDArray:
    """sqrt(a) by Heron's method, iterated until the largest relative residual is below tol:
    how many iterations run depends on the values of ``a``."""
    x = a
    while nd.max(nd.abs(x * x - a) / a).asscalar() > tol:
        x = 0.5 * (x + a / x)
    return x


def heron_step(x: nd.NDArray, a: nd.NDArray) -> nd.NDArray:
    return 0.5 * (x + a / x)


compiled_step = tracegrad.jit(heron_step)


def heron_sqrt_compiled_body(a: nd.NDArray, tol: float = 1e-6) -> tuple[nd.NDArray, int]:
    """The same loop with a compiled body: the stopping test stays in Python, eagerly."""
    x, steps = a, 0
    while nd.max(nd.abs(x * x - a) / a).asscalar() > tol:
        x = compiled_step(x, a)
        steps += 1
    return x, steps


def data_dependent_stopping() -> None:
    section("2. Heron's square root: a loop that stops when the residual is small")
    jsqrt = tracegrad.jit(heron_sqrt)
    a = nd.array([2.0, 9.0, 1e4, 0.25])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FallbackWarning)
        got = jsqrt(a)
    for w in caught:
        print(f"  {w.category.__name__}: {w.message}")
    expected = heron_sqrt(a)
    print(f"  sqrt({a.asnumpy().tolist()}) = {got.asnumpy().tolist()}")
    check("jit(heron_sqrt) equals eager heron_sqrt", same(got, expected))
    check("the result is the square root",
          np.allclose(got.asnumpy(), np.sqrt(a.asnumpy()), rtol=1e-6))
    jsqrt(nd.array([5.0, 7.0, 11.0, 13.0]))  # same signature: eager again, no new trace
    print("\n  jsqrt.explain():")
    print("    " + jsqrt.explain().replace("\n", "\n    "))

    print("\n  The rewrite: compile the body, keep the data-dependent test outside.")
    got2, steps = heron_sqrt_compiled_body(a)
    print(f"  {steps} compiled steps: {got2.asnumpy().tolist()}")
    check("compiled-body loop equals the eager loop (within float32 rounding)",
          np.allclose(got2.asnumpy(), expected.asnumpy(), rtol=1e-6, atol=0))
    print("\n  compiled_step.explain():")
    print("    " + compiled_step.explain().replace("\n", "\n    "))
    check("the loop body compiled once and never fell back",
          len(compiled_step.cache) == 1 and "FALLBACK" not in compiled_step.explain())


# -- 3. strict mode ---------------------------------------------------------------------------

def strict_mode() -> None:
    section("3. Strict mode: an error instead of a fallback")
    strict_f = tracegrad.jit(f, strict=True)
    try:
        strict_f(nd.array([0.5]))
    except StrictModeError as err:
        print(f"  StrictModeError: {err}")
        check("strict mode raised StrictModeError naming the line", "control_flow.py:" in str(err))
    else:
        check("strict mode raised StrictModeError", False)


def main() -> int:
    seed_function()
    data_dependent_stopping()
    strict_mode()
    if FAILURES:
        raise SystemExit("FAILED: " + "; ".join(FAILURES))
    print("\nOK: jit gives the eager results for every function with data-dependent control flow")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
