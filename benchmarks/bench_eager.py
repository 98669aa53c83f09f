"""Per-op overhead of recorded eager code: a chain of ops on a tiny array, forward+backward.

Compared in the same run with PyTorch eager autograd, HIPS autograd and NumPy (forward only,
the floor). Run: ``python benchmarks/bench_eager.py`` (``make bench`` runs all benchmarks).
Without PyTorch in this interpreter, ``BENCH_TORCH_PYTHON`` may name one that has it: the
chain is then timed there, in a worker process stepped round by round with the others.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Worker, interleaved, mxnet_times, optional, write_report  # noqa: E402

if "--torch-worker" not in sys.argv:  # a worker's interpreter may not have tracegrad
    import tracegrad
    from tracegrad import autograd, nd

N_OPS = 200  # per chain: y = tanh(y * w + x) repeated, then a sum


def tracegrad_step(x, w):
    def step():
        with autograd.record():
            y = x
            for _ in range(N_OPS // 3):
                y = nd.tanh(y * w + x)
            s = y.sum()
        s.backward()
    return step


def numpy_forward(xa, wa):
    def step():
        y = xa
        for _ in range(N_OPS // 3):
            y = np.tanh(y * wa + xa)
        return y.sum()
    return step


def torch_step(torch, xa, wa):
    tx = torch.tensor(xa, requires_grad=True)
    tw = torch.tensor(wa, requires_grad=True)

    def step():
        y = tx
        for _ in range(N_OPS // 3):
            y = torch.tanh(y * tw + tx)
        y.sum().backward()
    return step


def torch_worker() -> None:
    """The chain in PyTorch, stepped by the parent (``--torch-worker``, in the interpreter
    BENCH_TORCH_PYTHON names): its rounds interleave with this process's systems."""
    import torch
    from harness import serve

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    xa, wa = rng.uniform(-1, 1, 4).astype(np.float32), rng.uniform(-1, 1, 4).astype(np.float32)
    serve(torch_step(torch, xa, wa), f"pytorch {torch.__version__} eager (own process)")


def hips_step(ag, anp, xa, wa):
    def f(x, w):
        y = x
        for _ in range(N_OPS // 3):
            y = anp.tanh(y * w + x)
        return anp.sum(y)
    g = ag.grad(f, (0, 1))
    return lambda: g(xa, wa)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker:
        torch_worker()
        return
    rng = np.random.default_rng(0)
    xa, wa = rng.uniform(-1, 1, 4).astype(np.float32), rng.uniform(-1, 1, 4).astype(np.float32)
    x, w = nd.array(xa), nd.array(wa)
    x.attach_grad()
    w.attach_grad()
    compiled_loop = tracegrad_step(x, w)

    def op_by_op() -> None:  # the same chain with compiled eager loops turned off
        tracegrad.config.compile_loops_after = 0
        try:
            compiled_loop()
        finally:
            tracegrad.config.compile_loops_after = 3

    systems = {"tracegrad eager (compiled loop backward)": compiled_loop,
               "tracegrad eager (op-by-op backward)": op_by_op,
               "numpy forward only": numpy_forward(xa, wa)}
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        systems["pytorch eager"] = torch_step(torch, xa, wa)
    ag = optional("autograd")
    if ag is not None:
        import autograd.numpy as anp
        systems["hips autograd"] = hips_step(ag, anp, xa, wa)
    n_ops = (N_OPS // 3) * 3 + 1
    mx = mxnet_times(["eager chain"])
    workers = [] if torch is not None else [Worker(
        os.environ.get("BENCH_TORCH_PYTHON"), __file__, "--torch-worker",
        "PyTorch is not installed here, and BENCH_TORCH_PYTHON names no interpreter that has it")]
    try:
        times = interleaved(systems, rounds=args.rounds, workers=workers)
    finally:
        for w in workers:
            w.close()
    if mx:
        times["mxnet 1.9.1 (subprocess)"] = mx["eager chain"]
    base_name = next((k for k in times if k.startswith("pytorch")),
                     "tracegrad eager (op-by-op backward)")
    rows = [{"system": k, "us per op (fwd+bwd)": v / n_ops * 1e6,
             f"ratio to {base_name}": v / times[base_name]} for k, v in times.items()]
    print(write_report("eager_overhead", rows, {"ops_per_chain": n_ops, "array": "float32[4]"},
                       args.out))


if __name__ == "__main__":
    main()
