"""A LeNet training step: batch 256 of 1x28x28 random images, conv 5x5x20 -> max pool 2 ->
conv 5x5x50 -> max pool 2 -> dense 500 (ReLU after each of these three) -> dense 10, softmax
cross-entropy, then an SGD update. Float32. Timed interleaved (medians), in one run:

* tracegrad: ``jit`` of ``value_and_grad`` plus the update (nd.Convolution/Pooling), and a
  hybridized Gluon network with ``gluon.Trainer`` (what the MXNet code below does);
* NumPy by hand: the same forward and backward written directly with the same building
  blocks (the primitives' NumPy implementations: im2col, max pooling, BLAS products), and
  the step's ten matrix products alone ("BLAS only": the floor of the im2col + BLAS route);
* PyTorch eager, when installed (``optional("torch")``), or else in its own process when
  ``BENCH_TORCH_PYTHON`` names an interpreter that has it (interleaved like MXNet);
* MXNet 1.9.1, a hybridized Gluon network with ``gluon.Trainer``, in its own process
  (``.venv-mxnet``; this file runs itself there with ``--mxnet-worker``), stepping on
  request so that its steps are interleaved with the others' (a shared, busy machine
  slows every system at the same moments).

    python benchmarks/bench_lenet.py [--rounds N] [--out DIR]

Ratios are to PyTorch when it ran, else to MXNet, else to NumPy by hand. Everything runs
twice: with the environment's OpenBLAS threads and with one (set OPENBLAS_NUM_THREADS to run
only that setting). The table names the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BATCH, LR = 256, 0.01
SHAPES = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (500, 800), (500,), (10, 500), (10,)]


def data(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for s in SHAPES:
        fan_in = int(np.prod(s[1:])) if len(s) > 1 else 1
        params.append((rng.normal(0, np.sqrt(2 / fan_in), s) if len(s) > 1
                       else np.zeros(s)).astype(np.float32))
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.float32)
    return params, x, y


# -- MXNet (runs in .venv-mxnet: standard library, NumPy and MXNet only) ----------------------

def mxnet_worker() -> None:
    import mxnet as mx
    from mxnet import autograd, gluon

    params, x_np, y_np = data()
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Conv2D(20, 5, activation="relu"), gluon.nn.MaxPool2D(2, 2),
                gluon.nn.Conv2D(50, 5, activation="relu"), gluon.nn.MaxPool2D(2, 2),
                gluon.nn.Dense(500, activation="relu"), gluon.nn.Dense(10))
    net.initialize()
    net(mx.nd.array(x_np))  # infers the deferred shapes
    for p, value in zip(net.collect_params().values(), params):
        p.set_data(mx.nd.array(value))
    net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR})
    x, y = mx.nd.array(x_np), mx.nd.array(y_np)

    def step() -> None:
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(BATCH)
        mx.nd.waitall()

    from harness import serve

    serve(step, f"mxnet {mx.__version__} hybridized (own process)")


# -- tracegrad ----------------------------------------------------------------------------------

def tracegrad_systems() -> dict[str, Callable[[], Any]]:
    import harness  # noqa: F401  (before tracegrad: the benchmark compiles blocking)

    import tracegrad
    from tracegrad import autograd, gluon, nd

    raw, x_np, y_np = data()
    x, y = nd.array(x_np), nd.array(y_np)

    def loss_fn(params: list, x: Any, y: Any) -> Any:
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        h = nd.Pooling(nd.relu(nd.Convolution(x, w1, b1, kernel=(5, 5), num_filter=20)),
                       kernel=(2, 2), stride=(2, 2))
        h = nd.Pooling(nd.relu(nd.Convolution(h, w2, b2, kernel=(5, 5), num_filter=50)),
                       kernel=(2, 2), stride=(2, 2))
        h = nd.relu(nd.dot(h.reshape((x.shape[0], -1)), w3, transpose_b=True) + b3)
        z = nd.dot(h, w4, transpose_b=True) + b4
        return -nd.pick(nd.log_softmax(z, axis=1), y, axis=1).mean()

    grad_fn = tracegrad.value_and_grad(loss_fn)

    @tracegrad.jit
    def train_step(params: list, x: Any, y: Any) -> Any:
        loss, grads = grad_fn(params, x, y)
        return loss, [p - LR * g for p, g in zip(params, grads)]

    state = {"params": [nd.array(p) for p in raw]}

    def jit_step() -> None:
        loss, state["params"] = train_step(state["params"], x, y)
        loss.asnumpy()

    nn = gluon.nn
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(20, 5, activation="relu"), nn.MaxPool2D(2, 2),
                nn.Conv2D(50, 5, activation="relu"), nn.MaxPool2D(2, 2),
                nn.Dense(500, activation="relu"), nn.Dense(10))
    net.initialize()
    net(x)
    for p, value in zip(net.collect_params().values(), raw):
        p.set_data(nd.array(value))
    net.hybridize()
    ce = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR})

    def gluon_step() -> None:
        with autograd.record():
            loss = ce(net(x), y)
        loss.backward()
        trainer.step(BATCH)
        loss.asnumpy()

    return {"tracegrad jit": jit_step, "tracegrad gluon hybridized": gluon_step}


# -- NumPy by hand --------------------------------------------------------------------------------

def numpy_systems() -> dict[str, Callable[[], Any]]:
    from tracegrad._compiler.prims import conv as C

    raw, x, y = data()
    params = [p.copy() for p in raw]
    onehot = np.eye(10, dtype=np.float32)[y.astype(int)]
    k5 = {"kernel": (5, 5), "stride": (1, 1), "dilate": (1, 1), "pad": ((0, 0), (0, 0))}
    p2 = {"kernel": (2, 2), "stride": (2, 2), "pad": ((0, 0), (0, 0))}

    def step() -> None:
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        n = x.shape[0]
        c1 = C._im2col_impl(x, order="NCKO", **k5).reshape(n, 25, 576)
        a1 = np.maximum(np.matmul(w1.reshape(20, 25), c1).reshape(n, 20, 24, 24)
                        + b1[:, None, None], 0)
        m1 = C._max_pool_impl(a1, **p2)
        c2 = C._im2col_impl(m1, order="CKNO", **k5).reshape(500, n * 64)
        z2 = (w2.reshape(50, 500) @ c2).reshape(50, n, 8, 8).transpose(1, 0, 2, 3)
        a2 = np.maximum(z2 + b2[:, None, None], 0)
        m2 = C._max_pool_impl(a2, **p2)
        f = m2.reshape(n, 800)
        h = np.maximum(f @ w3.T + b3, 0)
        z = h @ w4.T + b4
        e = np.exp(z - z.max(axis=1, keepdims=True))
        dz = (e / e.sum(axis=1, keepdims=True) - onehot) / n
        dw4, db4 = dz.T @ h, dz.sum(0)
        dh = (dz @ w4) * (h > 0)
        dw3, db3 = dh.T @ f, dh.sum(0)
        dm2 = (dh @ w3).reshape(m2.shape)
        da2 = C._max_pool_grad_impl(a2, m2, dm2, **p2) * (a2 > 0)
        db2 = da2.sum((0, 2, 3))
        g2 = np.ascontiguousarray(da2.transpose(1, 0, 2, 3)).reshape(50, n * 64)
        dw2 = (g2 @ c2.T).reshape(w2.shape)
        dm1 = C._col2im_impl((w2.reshape(50, 500).T @ g2).reshape(20, 5, 5, n, 8, 8),
                             shape=m1.shape, order="CKNO", **k5)
        da1 = C._max_pool_grad_impl(a1, m1, dm1, **p2) * (a1 > 0)
        db1 = da1.sum((0, 2, 3))
        dw1 = np.matmul(da1.reshape(n, 20, 576), c1.transpose(0, 2, 1)).sum(0).reshape(w1.shape)
        for p, g in zip(params, (dw1, db1, dw2, db2, dw3, db3, dw4, db4)):
            p -= LR * g

    rng = np.random.default_rng(1)
    f32 = np.float32
    mats = {"c1": rng.standard_normal((BATCH, 25, 576)).astype(f32),
            "w1": rng.standard_normal((20, 25)).astype(f32),
            "c2": rng.standard_normal((500, BATCH * 64)).astype(f32),
            "w2": rng.standard_normal((50, 500)).astype(f32),
            "g2": rng.standard_normal((50, BATCH * 64)).astype(f32),
            "g1": rng.standard_normal((BATCH, 20, 576)).astype(f32),
            "f": rng.standard_normal((BATCH, 800)).astype(f32),
            "w3": rng.standard_normal((500, 800)).astype(f32),
            "h": rng.standard_normal((BATCH, 500)).astype(f32),
            "w4": rng.standard_normal((10, 500)).astype(f32),
            "dz": rng.standard_normal((BATCH, 10)).astype(f32)}

    def blas_only() -> None:
        m = mats
        np.matmul(m["w1"], m["c1"])                         # conv1 forward
        np.matmul(m["g1"], m["c1"].transpose(0, 2, 1))      # conv1 weight gradient
        m["w2"] @ m["c2"]                                   # conv2 forward
        m["g2"] @ m["c2"].T                                 # conv2 weight gradient
        m["w2"].T @ m["g2"]                                 # conv2 input gradient
        m["f"] @ m["w3"].T, m["h"] @ m["w4"].T              # dense forward
        m["dz"].T @ m["h"], m["dz"] @ m["w4"]               # dense 2 gradients
        m["h"].T @ m["f"], m["h"] @ m["w3"]                 # dense 1 gradients

    return {"numpy by hand": step, "BLAS only (the products)": blas_only}


def torch_step(torch: Any) -> Callable[[], None]:
    torch.set_num_threads(os.cpu_count() or 1)
    raw, x_np, y_np = data()
    ps = [torch.tensor(p, requires_grad=True) for p in raw]
    x, y = torch.tensor(x_np), torch.tensor(y_np).long()
    F = torch.nn.functional
    opt = torch.optim.SGD(ps, lr=LR)

    def step() -> None:
        w1, b1, w2, b2, w3, b3, w4, b4 = ps
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h = F.relu(F.linear(h.reshape(x.shape[0], -1), w3, b3))
        loss = F.cross_entropy(F.linear(h, w4, b4), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def torch_systems() -> dict[str, Callable[[], Any]]:
    """PyTorch eager in this process, when it is installed here (``optional("torch")``)."""
    from harness import optional

    torch = optional("torch")
    if torch is None:
        return {}
    return {f"pytorch {torch.__version__} eager": torch_step(torch)}


def torch_worker() -> None:
    import torch
    from harness import serve

    serve(torch_step(torch), f"pytorch {torch.__version__} eager (own process)")


def measure(rounds: int) -> list[dict]:
    """This process's rows: every system, interleaved with the workers' steps."""
    systems = {**tracegrad_systems(), **numpy_systems(), **torch_systems()}
    from harness import Worker, interleaved

    workers = [Worker(ROOT / ".venv-mxnet" / "bin" / "python", __file__, "--mxnet-worker",
                      "MXNet 1.9.1 not available (run `make mxnet-venv`)")]
    if not any(k.startswith("pytorch") for k in systems):
        workers.append(Worker(os.environ.get("BENCH_TORCH_PYTHON"), __file__, "--torch-worker",
                              "PyTorch is not installed here, and BENCH_TORCH_PYTHON names no "
                              "interpreter that has it"))
    try:
        t0 = time.perf_counter()
        for fn in systems.values():  # the first calls trace and compile
            fn()
        print(f"first calls (tracing, compiling or loading kernels): "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for fn in systems.values():
            fn()
        # (no warm-up or settling calls: one LeNet step takes ~0.1 s)
        times = interleaved(systems, rounds=rounds, warmup=0, settle=0, workers=workers)
    finally:
        for w in workers:
            w.close()
    base = next((k for k in times if k.startswith("pytorch")),
                next((k for k in times if k.startswith("mxnet")), "numpy by hand"))
    threads = os.environ.get("OPENBLAS_NUM_THREADS", f"default ({os.cpu_count()})")
    rows = []
    for system, t in times.items():
        rows.append({"workload": f"lenet step, batch {BATCH}", "OpenBLAS threads": threads,
                     "system": system, "ms": t * 1e3, "ratio to baseline": t / times[base],
                     "baseline": base})
        print(f"[OpenBLAS threads {threads}] {system:44s} {t * 1e3:9.1f} ms  "
              f"x{t / times[base]:.2f} of {base}", file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--mxnet-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rows", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mxnet_worker:
        mxnet_worker()
        return
    if args.torch_worker:
        torch_worker()
        return
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    if args.rows:  # a child: print this configuration's rows as JSON
        print(json.dumps(measure(args.rounds)))
        return
    from harness import write_report

    # OpenBLAS's thread count is fixed when NumPy loads, so each setting runs in a child:
    # the environment's own, and one thread (on a busy machine, OpenBLAS's spinning threads
    # take the cores from each other and from everything else)
    rows: list[dict] = []
    settings = [None] if os.environ.get("OPENBLAS_NUM_THREADS") else [None, "1"]
    for threads in settings:
        env = dict(os.environ)
        if threads is not None:
            env["OPENBLAS_NUM_THREADS"] = threads
        proc = subprocess.run([sys.executable, __file__, "--rows", "--rounds",
                               str(args.rounds)], env=env, capture_output=True, text=True,
                              timeout=3600)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"the measuring child failed (status {proc.returncode})")
        rows += json.loads(proc.stdout.strip().splitlines()[-1])
    meta = {"batch": BATCH, "rounds": args.rounds}
    print(write_report("lenet", rows, meta, args.out))


if __name__ == "__main__":
    main()
