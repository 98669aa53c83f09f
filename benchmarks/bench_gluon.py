"""A hybridized Gluon MLP training step: batch 256 of 784 float32 inputs -> Dense(512, relu)
-> Dense(10), SoftmaxCrossEntropyLoss, ``loss.backward()``, an sgd ``Trainer.step``. Timed
interleaved (``harness.interleaved``, medians), in one run:

* tracegrad.gluon, hybridized (the MXNet code with another import line), and, to show
  what bounds it, its parts: the recorded forward + backward alone, ``trainer.step`` alone;
* NumPy by hand: the same forward, backward and update written directly (the baseline),
  its five matrix products alone ("BLAS only": the floor of any implementation here), and
  the by-hand step plus the product a gradient for the input x costs (256x512 @ 512x784:
  tracegrad's hybridized backward computes it, although x needs no gradient);
* MXNet 1.9.1, hybridized with static_alloc/static_shape, in its own process
  (``.venv-mxnet``; this file runs itself there with ``--mxnet-worker``), stepping on
  request between the in-process systems, timed there (no pipe time);
* PyTorch eager, when installed (``optional("torch")``).

    python benchmarks/bench_gluon.py [--rounds N] [--out DIR]

Ratios are to NumPy by hand. tracegrad runs with ``TRACEGRAD_TIERS=blocking`` (unless set):
the timed calls are the compiled kernels', not the interpreter's that answers meanwhile.
The table (benchmarks/results/gluon.md) names the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BATCH, N_IN, HIDDEN, N_OUT, LR = 256, 784, 512, 10, 0.01


def data(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Parameters in Gluon's layout (weight: (out, in)), inputs, integer labels as float."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, np.sqrt(2 / N_IN), (HIDDEN, N_IN)), np.zeros(HIDDEN),
              rng.normal(0, np.sqrt(2 / HIDDEN), (N_OUT, HIDDEN)), np.zeros(N_OUT)]
    x = rng.standard_normal((BATCH, N_IN))
    y = rng.integers(0, N_OUT, BATCH)
    return ([p.astype(np.float32) for p in params], x.astype(np.float32),
            y.astype(np.float32))


def gluon_net(mx: Any, params: list[np.ndarray], **hybridize: Any) -> Any:
    """The network, in MXNet or tracegrad (``mx`` is either module), with these values."""
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(HIDDEN, activation="relu", in_units=N_IN),
                nn.Dense(N_OUT, in_units=HIDDEN))
    net.initialize()
    for p, value in zip(net.collect_params().values(), params):
        p.set_data(mx.nd.array(value))
    net.hybridize(**hybridize)
    return net


def gluon_step(mx: Any) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    """(full step, forward + backward only, trainer.step only) for ``mx``."""
    params, x_np, y_np = data()
    kw = {"static_alloc": True, "static_shape": True} if mx.__name__ == "mxnet" else {}
    net = gluon_net(mx, params, **kw)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR})
    x, y = mx.nd.array(x_np), mx.nd.array(y_np)
    autograd = mx.autograd

    def forward_backward() -> Any:
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        return loss

    datas = [p.data() for p in net.collect_params().values()]
    fresh = getattr(autograd, "FRESH_GRADS", None)  # tracegrad's record of written gradients

    def update() -> None:  # the gradients left by the last backward, marked written again
        if fresh is not None:
            fresh.update((id(d), d) for d in datas)
        trainer.step(BATCH)

    def step() -> None:
        forward_backward()
        trainer.step(BATCH)
        if mx.__name__ == "mxnet":
            mx.nd.waitall()
        else:  # tracegrad computes eagerly; touch the last parameter to be sure
            net[1].bias.data().asnumpy()

    return step, forward_backward, update


# -- MXNet (runs in .venv-mxnet) ----------------------------------------------------------------

def mxnet_worker() -> None:
    import mxnet as mx
    from harness import serve

    serve(gluon_step(mx)[0], f"mxnet {mx.__version__} hybridized (own process)")


# -- NumPy by hand ------------------------------------------------------------------------------

def numpy_systems() -> dict[str, Callable[[], Any]]:
    raw, x, y_f = data()
    P = [p.copy() for p in raw]
    y = y_f.astype(np.int64)
    rows = np.arange(BATCH)

    def by_hand(input_grad: bool = False) -> None:
        W1, b1, W2, b2 = P
        pre = x @ W1.T + b1
        h = np.maximum(pre, 0)
        z = h @ W2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s[:, 0]) - z[rows, y]  # per example, as SoftmaxCrossEntropyLoss
        dz = e / s
        dz[rows, y] -= 1
        dz /= BATCH  # trainer.step(BATCH) rescales the summed gradients
        dh = (dz @ W2) * (pre > 0)
        if input_grad:  # what a graph that differentiates for x too also computes
            dh @ W1
        for p, g in zip(P, (dh.T @ x, dh.sum(0), dz.T @ h, dz.sum(0))):
            p -= LR * g
        return loss

    rng = np.random.default_rng(1)
    h = rng.standard_normal((BATCH, HIDDEN)).astype(np.float32)
    dz = rng.standard_normal((BATCH, N_OUT)).astype(np.float32)

    def blas_only() -> None:
        W1, _, W2, _ = P
        x @ W1.T, h @ W2.T             # forward
        dz @ W2, dz.T @ h, h.T @ x     # backward (h stands in for dh)

    return {"numpy by hand": by_hand, "BLAS only (the 5 products)": blas_only,
            "  numpy by hand + the input gradient dh @ W1": lambda: by_hand(True)}


def tracegrad_systems() -> dict[str, Callable[[], Any]]:
    import harness  # noqa: F401  (before tracegrad: the benchmark compiles blocking)

    import tracegrad

    step, fwd_bwd, update = gluon_step(tracegrad)
    return {"tracegrad gluon hybridized": step,
            "  part: tracegrad forward + backward": lambda: fwd_bwd().asnumpy(),
            "  part: tracegrad trainer.step": update}


def torch_systems() -> dict[str, Callable[[], Any]]:
    from harness import optional

    torch = optional("torch")
    if torch is None:
        return {}
    raw, x_np, y_np = data()
    ps = [torch.tensor(p, requires_grad=True) for p in raw]
    x, y = torch.tensor(x_np), torch.tensor(y_np).long()
    F = torch.nn.functional
    opt = torch.optim.SGD(ps, lr=LR)

    def step() -> None:
        w1, b1, w2, b2 = ps
        loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return {f"pytorch {torch.__version__} eager": step}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--mxnet-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mxnet_worker:
        mxnet_worker()
        return
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from harness import Worker, interleaved, write_report

    systems = {**numpy_systems(), **tracegrad_systems(), **torch_systems()}
    worker = Worker(ROOT / ".venv-mxnet" / "bin" / "python", __file__, "--mxnet-worker",
                    "MXNet 1.9.1 not available (run `make mxnet-venv`)")
    try:
        t0 = time.perf_counter()
        for fn in systems.values():  # the first calls trace and compile
            fn()
        print(f"first calls (tracing, compiling or loading kernels): "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        # the worker's steps interleave with the others', timed in its own process
        times = interleaved(systems, rounds=args.rounds, warmup=2, workers=[worker])
    finally:
        worker.close()
    base = "numpy by hand"
    rows = []
    for system, t in times.items():
        rows.append({"workload": f"gluon MLP step {BATCH}x{N_IN}->{HIDDEN}->{N_OUT}",
                     "system": system, "ms": t * 1e3, "ratio to numpy by hand": t / times[base]})
        print(f"{system:44s} {t * 1e3:8.2f} ms  x{t / times[base]:.2f}", file=sys.stderr)
    meta = {"batch": BATCH, "sizes": [N_IN, HIDDEN, N_OUT], "rounds": args.rounds,
            "baseline": base}
    print(write_report("gluon", rows, meta, args.out))


if __name__ == "__main__":
    main()
