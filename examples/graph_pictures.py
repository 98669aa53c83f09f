"""Pictures of gradient graphs, before and after optimisation and fusion, as Graphviz files.

For three functions (the seed notebook's ``2 * dot(x.T, x)``, a softplus loss and a two-layer
MLP's cross-entropy) the script takes the gradient with ``tracegrad.grad``, lowers it for
example arguments and writes:

* ``NAME_traced.dot``: ``lowered.ir``, the gradient graph as traced and differentiated;
* ``NAME_fused.dot``: ``lowered.to_dot()``, the graph after the passes, with each fused
  kernel drawn as a blue cluster;
* ``NAME.txt``: the text form of every stage: ``lowered.ir``, ``lowered.optimized_ir`` and
  ``lowered.fused_ir`` (each kernel one ``fused`` equation with its body);
* ``NAME_traced.svg`` and ``NAME_fused.svg`` when Graphviz's ``dot`` program is installed
  (skipped with a note otherwise).

It checks what it wrote and exits with status 1 when something is missing or malformed.

Run: ``python examples/graph_pictures.py [OUTPUT_FOLDER]`` (default: a new temporary folder).
The pictures in the documentation (docs/_static/*.svg) are SVG files this script wrote.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

import tracegrad
from tracegrad import nd


def seed(x: nd.NDArray) -> nd.NDArray:
    return 2 * nd.dot(x.T, x)


def softplus_loss(w: nd.NDArray, x: nd.NDArray) -> nd.NDArray:
    return (nd.log1p(nd.exp(-w * x)) + 0.5 * nd.tanh(x) ** 2).sum()


def mlp_loss(params: list[nd.NDArray], X: nd.NDArray, y: nd.NDArray) -> nd.NDArray:
    W1, b1, W2, b2 = params
    h = nd.relu(nd.dot(X, W1) + b1)
    logits = nd.dot(h, W2) + b2
    return -nd.pick(nd.log_softmax(logits, axis=1), y, axis=1).mean()


def examples() -> list[tuple[str, Callable[..., Any], tuple]]:
    params = [nd.ones((6, 5)), nd.zeros(5), nd.ones((5, 3)), nd.zeros(3)]
    return [
        ("seed_grad", seed, (nd.arange(4).reshape((4, 1)),)),
        ("softplus_grad", softplus_loss, (nd.ones(8), nd.ones(8))),
        ("mlp_grad", mlp_loss, (params, nd.ones((8, 6)), nd.zeros(8))),
    ]


def render(dot_file: Path, dot_program: str | None) -> Path | None:
    """``dot -Tsvg``; None when Graphviz is not installed."""
    if dot_program is None:
        return None
    svg = dot_file.with_suffix(".svg")
    subprocess.run([dot_program, "-Tsvg", str(dot_file), "-o", str(svg)], check=True,
                   timeout=60)
    return svg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", help="output folder (default: a temporary folder)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="tracegrad-graphs-"))
    out.mkdir(parents=True, exist_ok=True)
    dot_program = shutil.which("dot")
    print(f"writing to {out}")
    if dot_program is None:
        print("note: Graphviz's `dot` is not installed, so no SVG files are rendered "
              "(the .dot files can be rendered elsewhere: dot -Tsvg FILE.dot -o FILE.svg)")

    problems = []
    for name, fun, fun_args in examples():
        lowered = tracegrad.grad(fun).lower(*fun_args)
        files = {"traced": lowered.ir.to_dot(), "fused": lowered.to_dot()}
        (out / f"{name}.txt").write_text(
            f"# {name}: as traced and differentiated (lowered.ir)\n{lowered.ir}\n\n"
            f"# after the graph passes (lowered.optimized_ir)\n{lowered.optimized_ir}\n\n"
            f"# fused kernels (lowered.fused_ir)\n{lowered.fused_ir}\n")
        n_kernels = len(lowered.plan.kernels) if lowered.plan else 0
        print(f"{name}: {len(lowered.ir.eqns)} equations as traced, "
              f"{len(lowered.optimized_ir.eqns)} after the passes, {n_kernels} fused kernel(s)")
        for stage, text in files.items():
            path = out / f"{name}_{stage}.dot"
            path.write_text(text + "\n")
            if not text.startswith("digraph") or "->" not in text:
                problems.append(f"{path.name} is not a DOT graph")
            if stage == "fused" and n_kernels and "subgraph cluster_" not in text:
                problems.append(f"{path.name} has no kernel clusters")
            svg = render(path, dot_program)
            shown = [path.name] + ([svg.name] if svg else [])
            if svg is not None and "<svg" not in svg.read_text():
                problems.append(f"{svg.name} is not an SVG picture")
            print(f"  wrote {', '.join(shown)}")
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))
    print("OK: all graph files written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
