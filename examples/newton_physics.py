"""Fitting a damped harmonic oscillator by Newton's method, with exact second derivatives.

A mass on a spring with friction, released and left alone, moves as

    x(t) = A * exp(-gamma * t) * cos(omega * t + phi)

(amplitude A, damping rate gamma, angular frequency omega, phase phi). From 200 noisy
measurements of x(t) on 0 <= t <= 10 the script recovers the four parameters by minimising
the mean squared error L(p) with Newton's method:

* the gradient g = dL/dp is ``tracegrad.grad(loss)``;
* the Hessian-vector product H v = d/dp (g(p) . v) is ``tracegrad.grad`` of a function that
  calls ``tracegrad.grad(loss)``: the inner gradient graph is inlined into the outer trace and
  differentiated again, then compiled as one graph;
* the 4x4 Hessian is assembled from four such products (H e_i), and each step solves
  (H + mu I) d = -g, with mu adapted as in Levenberg-Marquardt so that the loss never rises.

The script checks the Hessian-vector products against finite differences of the gradient
and the recovered parameters against the true ones; it exits with status 1 when either is
off. The starting frequency comes from the peak of the data's spectrum, as one would do by
hand (the loss has many local minima in omega).

Run: ``python examples/newton_physics.py``
"""

from __future__ import annotations

import time

import numpy as np

import tracegrad
from tracegrad import nd

TRUE = {"A": 1.5, "gamma": 0.3, "omega": 2.0, "phi": 0.5}
NOISE = 0.02
# How far each recovered parameter may be from the true value (several standard errors).
TOLERANCE = {"A": 0.03, "gamma": 0.01, "omega": 0.01, "phi": 0.03}


def oscillator(p: nd.NDArray, t: nd.NDArray) -> nd.NDArray:
    A, gamma, omega, phi = p[0], p[1], p[2], p[3]
    return A * nd.exp(-gamma * t) * nd.cos(omega * t + phi)


def loss(p: nd.NDArray, t: nd.NDArray, x: nd.NDArray) -> nd.NDArray:
    return ((oscillator(p, t) - x) ** 2).mean()


grad_loss = tracegrad.grad(loss)  # g(p) = dL/dp


def _directional(p: nd.NDArray, v: nd.NDArray, t: nd.NDArray, x: nd.NDArray) -> nd.NDArray:
    return (grad_loss(p, t, x) * v).sum()  # g(p) . v


hvp = tracegrad.grad(_directional)  # H(p) v = d/dp (g(p) . v)
value = tracegrad.jit(loss)


def hessian(p: nd.NDArray, t: nd.NDArray, x: nd.NDArray) -> np.ndarray:
    n = p.shape[0]
    eye = np.eye(n)
    return np.stack([hvp(p, nd.array(eye[i], dtype="float64"), t, x).asnumpy()
                     for i in range(n)], axis=1)


def make_data(rng: np.random.Generator) -> tuple[nd.NDArray, nd.NDArray]:
    t = np.linspace(0.0, 10.0, 200)
    p = np.array(list(TRUE.values()))
    clean = p[0] * np.exp(-p[1] * t) * np.cos(p[2] * t + p[3])
    return (nd.array(t, dtype="float64"),
            nd.array(clean + rng.normal(0.0, NOISE, t.shape), dtype="float64"))


def initial_guess(t: nd.NDArray, x: nd.NDArray) -> np.ndarray:
    """A from the largest |x|, omega from the spectrum's peak, no damping, phase 0."""
    tt, xx = t.asnumpy(), x.asnumpy()
    freqs = np.fft.rfftfreq(len(tt), d=tt[1] - tt[0])
    peak = freqs[1 + np.argmax(np.abs(np.fft.rfft(xx))[1:])]
    return np.array([np.abs(xx).max(), 0.1, 2 * np.pi * peak, 0.0])


def check_hvp(p: nd.NDArray, t: nd.NDArray, x: nd.NDArray, rng: np.random.Generator) -> float:
    """Largest relative difference between H v and a central difference of g along v."""
    v = rng.normal(size=p.shape[0])
    eps = 1e-5
    hv = hvp(p, nd.array(v, dtype="float64"), t, x).asnumpy()
    g_plus = grad_loss(nd.array(p.asnumpy() + eps * v, dtype="float64"), t, x).asnumpy()
    g_minus = grad_loss(nd.array(p.asnumpy() - eps * v, dtype="float64"), t, x).asnumpy()
    fd = (g_plus - g_minus) / (2 * eps)
    return float(np.abs(hv - fd).max() / np.abs(fd).max())


def newton(p0: np.ndarray, t: nd.NDArray, x: nd.NDArray, max_steps: int = 50,
           tol: float = 1e-10) -> tuple[np.ndarray, int]:
    p = p0.copy()
    mu = 1e-3
    current = float(value(nd.array(p, dtype="float64"), t, x).asscalar())
    for step in range(1, max_steps + 1):
        pa = nd.array(p, dtype="float64")
        g = grad_loss(pa, t, x).asnumpy()
        H = hessian(pa, t, x)
        while True:  # Levenberg-Marquardt damping: accept only steps that lower the loss
            d = np.linalg.solve(H + mu * np.eye(len(p)), -g)
            trial = float(value(nd.array(p + d, dtype="float64"), t, x).asscalar())
            if trial <= current or mu > 1e8:
                break
            mu *= 10
        p, previous, current = p + d, current, trial
        mu = max(mu / 10, 1e-12)
        print(f"  step {step:2d}: loss {current:.8f}, |gradient| {np.abs(g).max():.2e}, "
              f"p = [{', '.join(f'{v:.5f}' for v in p)}]")
        if previous - current < tol * max(previous, 1e-30) and np.abs(d).max() < 1e-8:
            return p, step
    return p, max_steps


def main() -> int:
    rng = np.random.default_rng(7)
    t, x = make_data(rng)
    print(f"data: {t.shape[0]} samples of x(t) = A exp(-gamma t) cos(omega t + phi), "
          f"noise std {NOISE}")
    print("true:    " + ", ".join(f"{k} = {v}" for k, v in TRUE.items()))
    p0 = initial_guess(t, x)
    print("start:   " + ", ".join(f"{k} = {v:.4f}" for k, v in zip(TRUE, p0)))

    failures = []
    err = check_hvp(nd.array(p0, dtype="float64"), t, x, rng)
    print(f"Hessian-vector product vs finite differences of the gradient: relative "
          f"difference {err:.1e}")
    if err > 1e-6:
        failures.append(f"the Hessian-vector product differs from finite differences ({err:.1e})")
    H0 = hessian(nd.array(p0, dtype="float64"), t, x)
    asym = float(np.abs(H0 - H0.T).max() / np.abs(H0).max())
    print(f"Hessian at the start is symmetric to {asym:.1e}")
    if asym > 1e-10:
        failures.append(f"the Hessian is not symmetric ({asym:.1e})")

    print("Newton's method (Levenberg-Marquardt damped):")
    t0 = time.perf_counter()
    p, steps = newton(p0, t, x)
    elapsed = time.perf_counter() - t0
    print(f"converged in {steps} steps, {elapsed:.2f} s (including compilation)")
    print("fitted:  " + ", ".join(f"{k} = {v:.4f}" for k, v in zip(TRUE, p)))
    for (name, true), fitted in zip(TRUE.items(), p):
        if not abs(fitted - true) <= TOLERANCE[name]:
            failures.append(f"{name} = {fitted:.4f} is not within {TOLERANCE[name]} of {true}")
    print(f"hvp.explain():\n{hvp.explain()}")
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))
    print("OK: all four parameters recovered within tolerance")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
