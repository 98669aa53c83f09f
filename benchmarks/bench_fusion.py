"""Forward+backward of fused workloads, tracegrad against NumPy by hand, JAX, PyTorch, HIPS
autograd, all in one process, timed interleaved (medians). Float32 throughout.

    python benchmarks/bench_fusion.py [--quick] [--out DIR]

Every figure is also given as a fraction of the copy-bandwidth roofline: the bytes a fused
pass must move (inputs read once, outputs written once) over the measured copy bandwidth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import (  # noqa: E402
    copy_bandwidth,
    interleaved,
    mxnet_times,
    optional,
    write_report,
)

import tracegrad  # noqa: E402
from tests import functions as F  # noqa: E402
from tracegrad import autograd, nd  # noqa: E402

jax = optional("jax")
torch = optional("torch")
hips = optional("autograd")
if torch is not None:
    torch.set_num_threads(2)


# -- workloads: each returns {system: callable} and the bytes a fused pass must move ---------

def softplus(n: int) -> tuple[dict[str, Callable], int]:
    rng = np.random.default_rng(0)
    w, x = (rng.uniform(-1, 1, n).astype(np.float32) for _ in range(2))
    systems: dict[str, Callable] = {}
    vg = tracegrad.value_and_grad(F.softplus_loss, argnums=1)
    wn, xn = nd.array(w), nd.array(x)
    systems["tracegrad jit"] = lambda: vg(wn, xn)

    def eager() -> Any:
        xv = nd.array(x)
        xv.attach_grad()
        with autograd.record():
            loss = F.softplus_loss(wn, xv)
        loss.backward()
        return xv.grad
    systems["tracegrad eager"] = eager

    def by_hand() -> Any:
        e = np.exp(-w * x)
        t = np.tanh(x)
        loss = np.sum(np.log1p(e) + 0.5 * t * t, dtype=np.float64)
        return loss, t * (1 - t * t) - w * (e / (1 + e))
    systems["numpy by hand"] = by_hand
    if jax is not None:
        jnp = jax.numpy

        def jf(w: Any, x: Any) -> Any:
            return jnp.sum(jnp.log1p(jnp.exp(-w * x)) + 0.5 * jnp.tanh(x) ** 2)
        jvg = jax.jit(jax.value_and_grad(jf, argnums=1))
        jw, jx = jnp.asarray(w), jnp.asarray(x)
        systems["jax jit"] = lambda: jax.block_until_ready(jvg(jw, jx))
    if torch is not None:
        tw = torch.from_numpy(w)

        def tf() -> Any:
            tx = torch.from_numpy(x).requires_grad_()
            loss = (torch.log1p(torch.exp(-tw * tx)) + 0.5 * torch.tanh(tx) ** 2).sum()
            loss.backward()
            return tx.grad
        systems["pytorch eager"] = tf
    if hips is not None:
        anp = __import__("autograd.numpy").numpy
        hg = hips.value_and_grad(
            lambda x: anp.sum(anp.log1p(anp.exp(-w * x)) + 0.5 * anp.tanh(x) ** 2))
        systems["hips autograd"] = lambda: hg(x)
    return systems, 3 * 4 * n  # read w and x, write the gradient


def gelu(n: int) -> tuple[dict[str, Callable], int]:
    x = np.random.default_rng(1).normal(size=n).astype(np.float32)
    c = float(np.sqrt(2 / np.pi))
    g = tracegrad.value_and_grad(F.gelu_loss)
    xn = nd.array(x)
    systems: dict[str, Callable] = {"tracegrad jit": lambda: g(xn)}

    def by_hand() -> Any:
        u = c * (x + 0.044715 * x ** 3)
        t = np.tanh(u)
        val = np.sum(0.5 * x * (1 + t), dtype=np.float64)
        return val, 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    systems["numpy by hand"] = by_hand
    if jax is not None:
        jnp = jax.numpy
        jg = jax.jit(jax.value_and_grad(
            lambda x: jnp.sum(0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * x ** 3))))))
        jx = jnp.asarray(x)
        systems["jax jit"] = lambda: jax.block_until_ready(jg(jx))
    if torch is not None:
        def tf() -> Any:
            tx = torch.from_numpy(x).requires_grad_()
            (0.5 * tx * (1 + torch.tanh(c * (tx + 0.044715 * tx ** 3)))).sum().backward()
            return tx.grad
        systems["pytorch eager"] = tf
    return systems, 2 * 4 * n


def layer_norm(rows: int, cols: int) -> tuple[dict[str, Callable], int]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(rows, cols)).astype(np.float32)
    gam, bet = rng.normal(size=cols).astype(np.float32), rng.normal(size=cols).astype(np.float32)
    g = tracegrad.value_and_grad(F.layer_norm, argnums=(0, 1, 2))
    xn, gn, bn = nd.array(x), nd.array(gam), nd.array(bet)
    systems: dict[str, Callable] = {"tracegrad jit": lambda: g(xn, gn, bn)}

    def by_hand() -> Any:
        mu = x.mean(axis=-1, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(axis=-1, keepdims=True)
        inv = 1 / np.sqrt(var + 1e-5)
        xh = xc * inv
        val = np.sum(xh * gam + bet, dtype=np.float64)
        dxh = np.broadcast_to(gam, x.shape)
        dx = inv * (dxh - dxh.mean(-1, keepdims=True) - xh * (dxh * xh).mean(-1, keepdims=True))
        return val, dx, xh.sum(0), np.full(cols, rows, np.float32)
    systems["numpy by hand"] = by_hand
    if jax is not None:
        jnp = jax.numpy

        def jl(x: Any, g: Any, b: Any) -> Any:
            mu = x.mean(-1, keepdims=True)
            var = ((x - mu) ** 2).mean(-1, keepdims=True)
            return ((x - mu) / jnp.sqrt(var + 1e-5) * g + b).sum()
        jg = jax.jit(jax.value_and_grad(jl, argnums=(0, 1, 2)))
        ja = [jnp.asarray(a) for a in (x, gam, bet)]
        systems["jax jit"] = lambda: jax.block_until_ready(jg(*ja))
    if torch is not None:
        tg, tb = torch.from_numpy(gam), torch.from_numpy(bet)

        def tf() -> Any:
            tx = torch.from_numpy(x).requires_grad_()
            g1, b1 = tg.clone().requires_grad_(), tb.clone().requires_grad_()
            mu = tx.mean(-1, keepdim=True)
            var = ((tx - mu) ** 2).mean(-1, keepdim=True)
            ((tx - mu) / torch.sqrt(var + 1e-5) * g1 + b1).sum().backward()
            return tx.grad
        systems["pytorch eager"] = tf
    return systems, 4 * (2 * rows * cols + 4 * cols)


def logsumexp(rows: int, cols: int) -> tuple[dict[str, Callable], int]:
    x = np.random.default_rng(3).normal(size=(rows, cols)).astype(np.float32)
    g = tracegrad.value_and_grad(F.logsumexp)
    xn = nd.array(x)
    systems: dict[str, Callable] = {"tracegrad jit": lambda: g(xn)}

    def by_hand() -> Any:
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        s = e.sum(axis=1, keepdims=True)
        return np.sum(np.log(s) + m, dtype=np.float64), e / s
    systems["numpy by hand"] = by_hand
    if jax is not None:
        jg = jax.jit(jax.value_and_grad(
            lambda x: jax.scipy.special.logsumexp(x, axis=1).sum()))
        jx = jax.numpy.asarray(x)
        systems["jax jit"] = lambda: jax.block_until_ready(jg(jx))
    if torch is not None:
        def tf() -> Any:
            tx = torch.from_numpy(x).requires_grad_()
            torch.logsumexp(tx, dim=1).sum().backward()
            return tx.grad
        systems["pytorch eager"] = tf
    return systems, 2 * 4 * rows * cols


def mlp_step(batch: int = 256, n_in: int = 784, hidden: int = 512,
             n_out: int = 10) -> tuple[dict[str, Callable], int]:
    params, X, y = F.mlp_data(batch, n_in, hidden, n_out, dtype="float32")
    P = [p.asnumpy() for p in params]
    Xa, ya = X.asnumpy(), y.asnumpy().astype(np.int64)
    g = tracegrad.value_and_grad(F.mlp_loss)
    systems: dict[str, Callable] = {"tracegrad jit": lambda: g(params, X, y)}

    def eager() -> Any:
        ps = [nd.array(p) for p in P]
        for p in ps:
            p.attach_grad()
        with autograd.record():
            loss = F.mlp_loss(ps, X, y)
        loss.backward()
        return [p.grad for p in ps]
    systems["tracegrad eager"] = eager

    def by_hand() -> Any:
        W1, b1, W2, b2 = P
        pre = Xa @ W1 + b1
        h = np.maximum(pre, 0)
        z = h @ W2 + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = -(z[np.arange(batch), ya] - np.log(s[:, 0])).mean()
        dz = e / s
        dz[np.arange(batch), ya] -= 1
        dz /= batch
        dh = (dz @ W2.T) * (pre > 0)
        return loss, Xa.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0)
    systems["numpy by hand"] = by_hand
    if jax is not None:
        jnp = jax.numpy

        def jl(p: Any, X: Any, y: Any) -> Any:
            h = jax.nn.relu(X @ p[0] + p[1])
            lp = jax.nn.log_softmax(h @ p[2] + p[3], axis=1)
            return -jnp.take_along_axis(lp, y[:, None], axis=1).mean()
        jg = jax.jit(jax.value_and_grad(jl))
        jp, jX, jy = [jnp.asarray(p) for p in P], jnp.asarray(Xa), jnp.asarray(ya)
        systems["jax jit"] = lambda: jax.block_until_ready(jg(jp, jX, jy))
    if torch is not None:
        tX, ty = torch.from_numpy(Xa), torch.from_numpy(ya)

        def tf() -> Any:
            tp = [torch.from_numpy(p).requires_grad_() for p in P]
            h = torch.relu(tX @ tp[0] + tp[1])
            loss = torch.nn.functional.cross_entropy(h @ tp[2] + tp[3], ty)
            loss.backward()
            return [p.grad for p in tp]
        systems["pytorch eager"] = tf
    flops_bytes = 4 * (Xa.size + sum(p.size for p in P) * 2)
    return systems, flops_bytes


WORKLOADS: dict[str, Callable[[], tuple[dict[str, Callable], int]]] = {
    "softplus 1e3": lambda: softplus(10 ** 3),
    "softplus 1e5": lambda: softplus(10 ** 5),
    "softplus 1e7": lambda: softplus(10 ** 7),
    "gelu 1e6": lambda: gelu(10 ** 6),
    "layer_norm 4096x256": lambda: layer_norm(4096, 256),
    "logsumexp 4096x256": lambda: logsumexp(4096, 256),
    "mlp step 256x784-512-10": mlp_step,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--only", nargs="*", help="workload names to run (default: all)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args()
    bandwidth = copy_bandwidth()
    names = [n for n in WORKLOADS if not args.only or n in args.only]
    mx_times = mxnet_times(names)  # a separate process, before the in-process peers warm up
    print(f"copy bandwidth: {bandwidth / 1e9:.1f} GB/s", file=sys.stderr)
    rows = []
    for name, make in WORKLOADS.items():
        if args.only and name not in args.only:
            continue
        systems, nbytes = make()
        big = "1e7" in name
        times = interleaved(systems, rounds=max(5, args.rounds // 3) if big else args.rounds,
                            inner=1 if big else 3)
        if name in mx_times:
            times["mxnet 1.9.1 (subprocess)"] = mx_times[name]
        base = "jax jit" if "jax jit" in times and "mlp" not in name else "numpy by hand"
        for system, t in times.items():
            rows.append({"workload": name, "system": system, "ms": t * 1e3,
                         "ratio to baseline": t / times[base], "baseline": base,
                         "roofline fraction": (nbytes / bandwidth) / t})
            print(f"{name:26s} {system:18s} {t * 1e3:9.3f} ms  x{t / times[base]:.3f} of "
                  f"{base}", file=sys.stderr)
    print(write_report("fusion", rows, {"copy_bandwidth_GBps": bandwidth / 1e9}, args.out))


if __name__ == "__main__":
    main()
