"""Cells made of cells: ``SequentialRNNCell`` and ``HybridSequentialRNNCell`` (stacks),
``DropoutCell``, and the wrappers ``ResidualCell``, ``ZoneoutCell`` and
``BidirectionalCell``, as ``mxnet.gluon.rnn``."""

from __future__ import annotations

from typing import Any

from tracegrad import nd
from tracegrad.gluon.rnn.rnn_cell import (
    HybridRecurrentCell,
    RecurrentCell,
    _begin_state,
    _format_sequence,
    _mask,
    _reverse,
)
from tracegrad.gluon.utils import _indent
from tracegrad.ndarray import NDArray

__all__ = ["SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell"]


class _ChildStates:
    """Cells whose states are their children's, in order (stacks, BidirectionalCell)."""

    _children: dict

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return [i for c in self._children.values() for i in c.state_info(batch_size)]

    def begin_state(self, **kwargs: Any) -> list:
        self._check_unmodified()  # type: ignore[attr-defined]
        return [s for c in self._children.values() for s in c.begin_state(**kwargs)]


class _Stack(_ChildStates):
    """What SequentialRNNCell and HybridSequentialRNNCell share: children run in order, each
    taking its slice of the states."""

    def __repr__(self) -> str:
        body = "\n".join(f"({i}): {_indent(repr(m), 2)}" for i, m in self._children.items())
        return f"{type(self).__name__}(\n{body}\n)"

    def add(self, cell: Any) -> None:
        self.register_child(cell)  # type: ignore[attr-defined]

    def _step(self, inputs: Any, states: Any) -> tuple[Any, list]:
        self._counter += 1  # type: ignore[attr-defined]
        new_states: list = []
        start = 0
        for cell in self._children.values():
            if isinstance(cell, BidirectionalCell):
                raise RuntimeError("a BidirectionalCell cannot be stepped: use unroll")
            n = len(cell.state_info())
            inputs, state = cell(inputs, states[start:start + n])
            start += n
            new_states.extend(state)
        return inputs, new_states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None) -> tuple:
        self.reset()  # type: ignore[attr-defined]
        inputs, _, batch = _format_sequence(length, inputs, layout, None)
        states = _begin_state(self, begin_state, batch)
        cells = list(self._children.values())
        final: list = []
        start = 0
        for k, cell in enumerate(cells):
            n = len(cell.state_info())
            inputs, got = cell.unroll(length, inputs, begin_state=states[start:start + n],
                                      layout=layout,
                                      merge_outputs=merge_outputs if k == len(cells) - 1
                                      else None, valid_length=valid_length)
            start += n
            final.extend(got)
        return inputs, final

    def __getitem__(self, i: int) -> Any:
        return self._children[str(i)]

    def __len__(self) -> int:
        return len(self._children)


class SequentialRNNCell(_Stack, RecurrentCell):
    """Cells stacked: each step runs them in order."""

    def __call__(self, inputs: Any, states: Any) -> Any:
        return self._step(inputs, states)


class HybridSequentialRNNCell(_Stack, HybridRecurrentCell):
    """Hybrid cells stacked: each step runs them in order."""

    def __call__(self, inputs: Any, states: Any) -> Any:
        return self._step(inputs, states)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        return self._step(inputs, states)


class DropoutCell(HybridRecurrentCell):
    """Dropout on the inputs of each step (no states of its own)."""

    def __init__(self, rate: float, axes: tuple = (), prefix: str | None = None,
                 params: Any = None) -> None:
        if not isinstance(rate, (int, float)):
            raise TypeError(f"DropoutCell: rate must be a number, got {rate!r}")
        super().__init__(prefix, params)
        self._rate = rate
        self._axes = axes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        if self._rate > 0:
            inputs = F.Dropout(data=inputs, p=self._rate, axes=self._axes)
        return inputs, states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None) -> tuple:
        self.reset()
        inputs, _, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, NDArray):  # the whole sequence at once
            return self.hybrid_forward(nd, inputs, begin_state or [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs)


class ModifierCell(HybridRecurrentCell):
    """A cell wrapping ``base_cell`` (which is then used through it only)."""

    def __init__(self, base_cell: Any) -> None:
        if base_cell._modified:
            raise RuntimeError(f"Cell {base_cell.name} is already modified. One cell cannot "
                               "be modified twice")
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self) -> Any:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, func: Any = nd.zeros, **kwargs: Any) -> list:
        self._check_unmodified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell})"


class ZoneoutCell(ModifierCell):
    """Zoneout: each output and state element keeps its previous value with probability
    ``zoneout_outputs`` / ``zoneout_states`` in training."""

    def __init__(self, base_cell: Any, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise TypeError("BidirectionalCell doesn't support zoneout since it doesn't "
                            "support step. Please add ZoneoutCell to the cells underneath "
                            "instead.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output: Any = None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p_out={self.zoneout_outputs}, "
                f"p_state={self.zoneout_states}, {self.base_cell})")

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        out, new_states = self.base_cell(inputs, states)

        def keep(p: float, like: Any) -> Any:
            return F.Dropout(F.ones_like(like), p=p)

        prev = self._prev_output if self._prev_output is not None else F.zeros_like(out)
        if self.zoneout_outputs != 0.0:
            out = F.where(keep(self.zoneout_outputs, out), out, prev)
        if self.zoneout_states != 0.0:
            new_states = [F.where(keep(self.zoneout_states, new), new, old)
                          for new, old in zip(new_states, states)]
        self._prev_output = out
        return out, new_states


class ResidualCell(ModifierCell):
    """``output = base_cell(x) + x``."""

    def _alias(self) -> str:
        return "residual"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        out, states = self.base_cell(inputs, states)
        return out + inputs, states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None) -> tuple:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs, begin_state=begin_state,
                                                    layout=layout, merge_outputs=merge_outputs,
                                                    valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        merged = isinstance(outputs, NDArray) if merge_outputs is None else merge_outputs
        inputs, axis, _ = _format_sequence(length, inputs, layout, merged)
        if valid_length is not None:
            inputs = _mask(inputs, length, valid_length, axis, merged)
        if merged:
            return outputs + inputs, states
        return [o + i for o, i in zip(outputs, inputs)], states


class BidirectionalCell(_ChildStates, HybridRecurrentCell):
    """``l_cell`` over the sequence and ``r_cell`` over it reversed, outputs concatenated;
    only ``unroll`` (a step has no reverse)."""

    def __init__(self, l_cell: Any, r_cell: Any, output_prefix: str = "bi_") -> None:
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._output_prefix = output_prefix

    def __call__(self, inputs: Any, states: Any) -> Any:
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(forward={self._children['l_cell']}, "
                f"backward={self._children['r_cell']})")

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None) -> tuple:
        self.reset()
        steps, axis, batch = _format_sequence(length, inputs, layout, False)
        states = _begin_state(self, begin_state, batch)
        l_cell, r_cell = self._children.values()
        n = len(l_cell.state_info(batch))
        l_out, l_states = l_cell.unroll(length, steps, begin_state=states[:n], layout=layout,
                                        merge_outputs=merge_outputs, valid_length=valid_length)
        r_out, r_states = r_cell.unroll(length, _reverse(steps, length, valid_length),
                                        begin_state=states[n:], layout=layout,
                                        merge_outputs=False, valid_length=valid_length)
        r_out = _reverse(r_out, length, valid_length)
        if merge_outputs is None:
            merge_outputs = isinstance(l_out, NDArray)
            l_out, _, _ = _format_sequence(None, l_out, layout, merge_outputs)
            r_out, _, _ = _format_sequence(None, r_out, layout, merge_outputs)
        if merge_outputs:
            if not isinstance(r_out, NDArray):
                r_out = nd.stack(*r_out, axis=axis)
            outputs: Any = nd.concat(l_out, r_out, dim=2)
        else:
            outputs = [nd.concat(a, b, dim=1) for a, b in zip(l_out, r_out)]
        if valid_length is not None:
            outputs = _mask(outputs, length, valid_length, axis, merge_outputs)
        return outputs, l_states + r_states
