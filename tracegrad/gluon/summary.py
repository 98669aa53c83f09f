"""``Block.summary(*inputs)``: a table of each layer's output shape and parameter count,
printed in MXNet's layout."""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any

from tracegrad.ndarray import NDArray


def _shape_str(args: Any) -> str:
    def shapes(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return [shapes(v) for v in x]
        return x.shape if isinstance(x, NDArray) else x

    s = shapes(args)
    return str(s)[1:-1] if isinstance(s, list) else str(s)


def print_summary(block: Any, inputs: tuple) -> None:
    from tracegrad.gluon.block import HybridBlock
    from tracegrad.gluon.nn.basic_layers import HybridSequential, Sequential

    summary: OrderedDict[str, dict] = OrderedDict()
    seen: set = set()
    hooks = []

    def register(b: Any) -> None:
        if isinstance(b, HybridBlock) and b._active:
            raise AssertionError(f'"{b.name}" must not be hybridized to print summary.')

        def hook(b: Any, _: Any, outputs: Any) -> None:
            key = f"{b.__class__.__name__}-{len(summary)}"
            entry = {"output_shape": _shape_str(outputs), "trainable": 0, "shared": 0}
            n = 0
            for p in b.params.values():
                size = p.data().size
                n += size
                entry["trainable"] += 0 if p.grad_req == "null" else size
                if p in seen:
                    entry["shared"] += size
                else:
                    seen.add(p)
            entry["n_params"] = n
            summary[key] = entry

        if not isinstance(b, (Sequential, HybridSequential)):
            hooks.append(b.register_forward_hook(hook))

    summary["Input"] = {"output_shape": _shape_str(inputs), "n_params": 0, "trainable": 0,
                        "shared": 0}
    try:
        block.apply(register)
        block(*inputs)
        line = "{:>20}  {:>42} {:>15}"
        out = ["-" * 80, line.format("Layer (type)", "Output Shape", "Param #"), "=" * 80]
        total = trainable = shared = 0
        for layer, e in summary.items():
            out.append(line.format(layer, str(e["output_shape"]), e["n_params"]))
            total += e["n_params"]
            trainable += e["trainable"]
            shared += e["shared"]
        out += ["=" * 80, "Parameters in forward computation graph, duplicate included",
                f"   Total params: {total}", f"   Trainable params: {trainable}",
                f"   Non-trainable params: {total - trainable}",
                f"Shared params in forward computation graph: {shared}",
                f"Unique parameters in model: {total - shared}", "-" * 80]
        # summary() prints its table, as MXNet's does: that is its whole purpose
        sys.stdout.write("\n".join(out) + "\n")
    finally:
        for h in hooks:
            h.detach()
