"""Recurrent cells, as ``mxnet.gluon.rnn`` (MXNet 1.x): one step of a recurrence per call,
``cell(x_t, states) -> (output, new_states)``, and ``unroll`` over a sequence.

``RNNCell``, ``LSTMCell`` and ``GRUCell`` hold ``i2h``/``h2h`` weights and biases as the
layers do (per gate, in MXNet's gate order); :mod:`.cell_stacks` stacks and wraps cells.
Steps are plain nd operations, so gradients are the derivatives and a hybridized cell
compiles its step.
"""

from __future__ import annotations

from typing import Any

from tracegrad import nd
from tracegrad.gluon.block import Block, HybridBlock
from tracegrad.gluon.nn.activations import LeakyReLU
from tracegrad.ndarray import NDArray

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell"]


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _format_sequence(length: int | None, inputs: Any, layout: str,
                     merge: bool | None) -> tuple[Any, int, int]:
    """``inputs`` (one array with a time axis, or a list of per-step arrays) as a list of
    steps (``merge=False``), one array in ``layout`` (``merge=True``), or as they are
    (``None``); returns (inputs, time axis, batch size)."""
    if layout not in ("NTC", "TNC"):
        raise ValueError(f"unroll: layout must be 'NTC' or 'TNC', not {layout!r}")
    axis, batch_axis = layout.find("T"), layout.find("N")
    if isinstance(inputs, NDArray):
        batch = inputs.shape[batch_axis]
        if length is not None and length != inputs.shape[axis]:
            raise ValueError(f"unroll: length {length} but the inputs have "
                             f"{inputs.shape[axis]} steps along axis {axis} ({layout})")
        if merge is False:
            inputs = _as_list(nd.split(inputs, axis=axis, num_outputs=inputs.shape[axis],
                                       squeeze_axis=1))
        return inputs, axis, batch
    inputs = list(inputs)
    if length is not None and len(inputs) != length:
        raise ValueError(f"unroll: length {length} but {len(inputs)} input steps")
    batch = inputs[0].shape[0]
    if merge is True:
        inputs = nd.stack(*inputs, axis=axis)
    return inputs, axis, batch


def _begin_state(cell: Any, begin_state: Any, batch: int) -> list:
    return cell.begin_state(func=nd.zeros, batch_size=batch) if begin_state is None \
        else _as_list(begin_state)


def _mask(outputs: Any, length: int, valid_length: Any, axis: int, merge: bool) -> Any:
    """Steps at or after each sequence's valid length set to 0."""
    data = outputs if isinstance(outputs, NDArray) else nd.stack(*outputs, axis=axis)
    data = nd.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                           axis=axis)
    return data if merge else _as_list(nd.split(data, num_outputs=length, axis=axis,
                                                squeeze_axis=True))


def _reverse(steps: list, length: int, valid_length: Any) -> list:
    """The steps in reverse order (each sequence's valid part only, when lengths differ)."""
    if valid_length is None:
        return list(reversed(steps))
    rev = nd.SequenceReverse(nd.stack(*steps, axis=0), sequence_length=valid_length,
                             use_sequence_length=True)
    return _as_list(nd.split(rev, axis=0, num_outputs=length, squeeze_axis=True))


class RecurrentCell(Block):
    """The base of cells: ``state_info``, ``begin_state`` and ``unroll``."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Start a new sequence (step counters back to the start), for this cell and its
        children."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size: int = 0) -> list[dict]:
        raise NotImplementedError(f"{type(self).__name__} defines no state_info")

    def _check_unmodified(self) -> None:
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. ZoneoutCell) the base "
                               "cell cannot be called directly. Call the modifier cell "
                               "instead.")

    def begin_state(self, batch_size: int = 0, func: Any = nd.zeros,
                    **kwargs: Any) -> list[NDArray]:
        """Initial states for ``batch_size`` sequences, made by ``func(name=..., shape=...,
        **kwargs)`` (zeros by default)."""
        self._check_unmodified()
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            args = {k: v for k, v in (info or {}).items() if k != "__layout__"}
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}",
                               **{**args, **kwargs}))
        return states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None) -> tuple:
        """Run ``length`` steps over ``inputs`` (an array in ``layout``, or a list of steps):
        (outputs, final states). Outputs are one array with ``merge_outputs=True``, a list
        with ``False``, and as the inputs came with ``None``. With ``valid_length``, each
        sequence's outputs after its length are 0 and its states are those at its end."""
        self.reset()
        steps, axis, batch = _format_sequence(length, inputs, layout, False)
        states = _begin_state(self, begin_state, batch)
        outputs, history = [], []
        for x in steps:
            out, states = self(x, states)
            outputs.append(out)
            if valid_length is not None:
                history.append(states)
        if valid_length is not None:
            states = [nd.SequenceLast(nd.stack(*per_step, axis=0), sequence_length=valid_length,
                                      use_sequence_length=True, axis=0)
                      for per_step in zip(*history)]
            outputs = _mask(outputs, length, valid_length, axis, True)
        outputs, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F: Any, x: Any, activation: Any, **kwargs: Any) -> Any:
        named = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid,
                 "softsign": F.softsign}
        if isinstance(activation, str):
            fn = named.get(activation)
            return fn(x, **kwargs) if fn else F.Activation(x, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(x, act_type="leaky", slope=activation._alpha, **kwargs)
        return activation(x, **kwargs)

    def forward(self, inputs: Any, states: Any) -> Any:
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A cell whose step is a ``hybrid_forward(F, inputs, states, **params)``."""

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class _GatedCell(HybridRecurrentCell):
    """RNNCell, LSTMCell and GRUCell: ``i2h``/``h2h`` weights (gates * hidden, inputs /
    hidden) and biases; the input size is inferred at the first step when 0."""

    GATES = 1
    STATES = 1

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, input_size: int, prefix: str | None,
                 params: Any) -> None:
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        rows = self.GATES * hidden_size
        for name, shape, init in (("i2h_weight", (rows, input_size), i2h_weight_initializer),
                                  ("h2h_weight", (rows, hidden_size), h2h_weight_initializer),
                                  ("i2h_bias", (rows,), i2h_bias_initializer),
                                  ("h2h_bias", (rows,), h2h_bias_initializer)):
            setattr(self, name, self.params.get(name, shape=shape, init=init,
                                                allow_deferred_init=True))

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}
                for _ in range(self.STATES)]

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        self.i2h_weight.shape = (self.GATES * self._hidden_size, inputs.shape[-1])

    def _mapping(self) -> str:
        rows, inputs = self.i2h_weight.shape
        return f"{inputs if inputs else None} -> {rows}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"

    def _projections(self, F: Any, x: Any, h: Any, params: dict) -> tuple[Any, Any]:
        prefix = f"t{self._counter}_"
        rows = self.GATES * self._hidden_size
        i2h = F.FullyConnected(data=x, weight=params["i2h_weight"], bias=params["i2h_bias"],
                               num_hidden=rows, name=prefix + "i2h")
        h2h = F.FullyConnected(data=h, weight=params["h2h_weight"], bias=params["h2h_bias"],
                               num_hidden=rows, name=prefix + "h2h")
        return i2h, h2h


class RNNCell(_GatedCell):
    """``h' = activation(W x + b + U h + c)``."""

    def __init__(self, hidden_size: int, activation: Any = "tanh",
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation

    def _alias(self) -> str:
        return "rnn"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()}, {self._activation})"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, **params: Any) -> Any:
        i2h, h2h = self._projections(F, inputs, states[0], params)
        out = self._get_activation(F, i2h + h2h, self._activation,
                                   name=f"t{self._counter}_out")
        return out, [out]


class LSTMCell(_GatedCell):
    """A long short-term memory step: gates i, f, c, o; states ``[h, c]``."""

    GATES = 4
    STATES = 2

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: Any = None, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self) -> str:
        return "lstm"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, **params: Any) -> Any:
        i2h, h2h = self._projections(F, inputs, states[0], params)
        i, f, c, o = F.SliceChannel(i2h + h2h, num_outputs=4)
        gate, act = self._recurrent_activation, self._activation
        next_c = self._get_activation(F, f, gate) * states[1] + \
            self._get_activation(F, i, gate) * self._get_activation(F, c, act)
        next_h = self._get_activation(F, o, gate) * F.Activation(next_c, act_type=act)
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    """A gated recurrent unit step: gates r, z and the candidate
    ``tanh(W_n x + b_in + r * (U_n h + b_hn))``; ``h' = (1 - z) * candidate + z * h``."""

    GATES = 3

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)

    def _alias(self) -> str:
        return "gru"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, **params: Any) -> Any:
        h = states[0]
        i2h, h2h = self._projections(F, inputs, h, params)
        i_r, i_z, i_n = F.SliceChannel(i2h, num_outputs=3)
        h_r, h_z, h_n = F.SliceChannel(h2h, num_outputs=3)
        reset = F.Activation(i_r + h_r, act_type="sigmoid")
        update = F.Activation(i_z + h_z, act_type="sigmoid")
        candidate = F.Activation(i_n + reset * h_n, act_type="tanh")
        next_h = (F.ones_like(update) - update) * candidate + update * h
        return next_h, [next_h]
