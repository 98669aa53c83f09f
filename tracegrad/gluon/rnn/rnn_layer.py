"""Recurrent layers, as ``mxnet.gluon.rnn`` (MXNet 1.x): ``RNN``, ``LSTM``, ``GRU`` over a
whole sequence, several layers, either direction.

Each layer and direction has the parameters ``{l|r}{layer}_{i2h|h2h}_{weight|bias}``, of
shapes (gates * hidden, inputs) and (gates * hidden,), with MXNet's names, initialisers and
gate order; the forward pass flattens them in MXNet's order into ``nd.RNN``, the fused
operator (``tracegrad.ops_rnn``), which unrolls the sequence with nd operations: the
gradients are the derivatives, and ``hybridize()`` compiles the unrolled graph.
"""

from __future__ import annotations

import re
from typing import Any

from tracegrad import nd
from tracegrad.gluon.block import HybridBlock
from tracegrad.ndarray import NDArray

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_KEY = re.compile(r"(l|r)(\d+)_(i2h|h2h)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """The layers' common part: parameters, states, and the call of ``nd.RNN``."""

    def __init__(self, hidden_size: int, num_layers: int, layout: str, dropout: float,
                 bidirectional: bool, input_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, mode: str, dtype: Any,
                 use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise ValueError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        self._hidden_size = hidden_size
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self._gates = _GATES[mode]
        self._clip: dict = {}  # LSTM's cell-state clipping, as nd.RNN's arguments
        self.skip_states: bool | None = None
        rows, inputs = self._gates * hidden_size, input_size
        for layer in range(num_layers):
            for d in "lr"[:self._dir]:
                for part, shape, init in (
                        ("i2h_weight", (rows, inputs), i2h_weight_initializer),
                        ("h2h_weight", (rows, hidden_size), h2h_weight_initializer),
                        ("i2h_bias", (rows,), i2h_bias_initializer),
                        ("h2h_bias", (rows,), h2h_bias_initializer)):
                    name = f"{d}{layer}_{part}"
                    setattr(self, name, self.params.get(name, shape=shape, init=init,
                                                        allow_deferred_init=True,
                                                        dtype=dtype))
            inputs = hidden_size * self._dir

    def __repr__(self) -> str:
        extra = "".join([f", num_layers={self._num_layers}" if self._num_layers != 1 else "",
                         f", dropout={self._dropout}" if self._dropout != 0 else "",
                         ", bidirectional" if self._dir == 2 else ""])
        rows, inputs = self.l0_i2h_weight.shape
        return (f"{type(self).__name__}({inputs if inputs else None} -> "
                f"{rows // self._gates}, {self._layout}{extra})")

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Any]:
        """MXNet's keys in parameter files (those of its unfused cells), so that files are
        interchangeable with MXNet's."""
        prefix = prefix + "." if prefix else ""
        matches = {key: _KEY.match(key) for key in self._reg_params}
        both = any(m is not None and m.group(1) == "r" for m in matches.values())
        out = {}
        for key, param in self._reg_params.items():
            m = matches[key]
            if m is None:
                out[prefix + key] = param
                continue
            d, layer, kind, what = m.groups()
            cell = f"{d}_cell.{kind}_{what}" if both else f"{kind}_{what}"
            out[f"{prefix}_unfused.{layer}.{cell}"] = param
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    def state_info(self, batch_size: int = 0) -> list[dict]:
        shape = (self._num_layers * self._dir, batch_size, self._hidden_size)
        count = 2 if self._mode == "lstm" else 1
        return [{"shape": shape, "__layout__": "LNC", "dtype": self._dtype}] * count

    def begin_state(self, batch_size: int = 0, func: Any = nd.zeros,
                    **kwargs: Any) -> list[NDArray]:
        """The initial states for ``batch_size`` sequences: ``func(name=..., shape=...,
        dtype=..., **kwargs)`` for each (zeros by default)."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            args = {k: v for k, v in info.items() if k != "__layout__"}
            states.append(func(name=f"{self.prefix}h0_{i}", **{**args, **kwargs}))
        return states

    def __call__(self, inputs: Any, states: Any = None, sequence_length: Any = None,
                 **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments "
                            f"{sorted(kwargs)}")
        self.skip_states = states is None
        if states is None:
            batch = inputs.shape[self._layout.find("N")]
            states = self.begin_state(batch, ctx=inputs.context, dtype=inputs.dtype)
        if isinstance(states, NDArray):
            states = [states]
        args = (inputs, list(states)) + ((sequence_length,) if self._use_sequence_length
                                         else ())
        # the graph always returns the states too (a hybridized block's outputs must not
        # depend on how it was called first); the call drops them when none were given
        out, new_states = super().__call__(*args)
        return out if self.skip_states else (out, new_states)

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        rows = self._gates * self._hidden_size
        for d in "lr"[:self._dir]:
            getattr(self, f"{d}0_i2h_weight").shape = (rows, inputs.shape[2])

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, sequence_length: Any = None,
                       **params: Any) -> Any:
        batch = inputs.shape[self._layout.find("N")]
        for state, info in zip(states, self.state_info(batch)):
            if state.shape != info["shape"]:
                raise ValueError(f"Invalid recurrent state shape. Expecting "
                                 f"{info['shape']}, got {state.shape}.")
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, 0, 1)
        flat = [params[f"{d}{layer}_{kind}_{what}"].reshape(-1)
                for what in ("weight", "bias") for layer in range(self._num_layers)
                for d in "lr"[:self._dir] for kind in ("i2h", "h2h")]
        result = F.RNN(inputs, F.concat(*flat, dim=0), *states,
                       sequence_length=sequence_length,
                       use_sequence_length=self._use_sequence_length,
                       state_size=self._hidden_size, num_layers=self._num_layers,
                       bidirectional=self._dir == 2, p=self._dropout, state_outputs=True,
                       mode=self._mode, **self._clip)
        outputs, new_states = result[0], list(result[1:])
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, 0, 1)
        return outputs, new_states


class RNN(_RNNLayer):
    """An Elman RNN, ``h_t = activation(W x_t + b + U h_{t-1} + c)`` (``'relu'`` or
    ``'tanh'``). Call ``layer(inputs)`` for the outputs, or ``layer(inputs, states)`` for
    ``(outputs, new_states)``; inputs are (T, N, C) (``layout='TNC'``) or (N, T, C)."""

    def __init__(self, hidden_size: int, num_layers: int = 1, activation: str = "relu",
                 layout: str = "TNC", dropout: float = 0, bidirectional: bool = False,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, dtype: Any = "float32", **kwargs: Any) -> None:
        if activation not in ("relu", "tanh"):
            raise ValueError(f"gluon.rnn.RNN: activation must be 'relu' or 'tanh', not "
                             f"{activation!r}")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "rnn_" + activation,
                         dtype, **kwargs)


class LSTM(_RNNLayer):
    """A long short-term memory layer (gates in MXNet's order i, f, c, o); two states,
    ``h`` and the cell ``c``. ``state_clip_min``/``state_clip_max`` clip the cell state at
    every step."""

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 projection_size: int | None = None, h2r_weight_initializer: Any = None,
                 state_clip_min: float | None = None, state_clip_max: float | None = None,
                 state_clip_nan: bool = False, dtype: Any = "float32",
                 **kwargs: Any) -> None:
        if projection_size:
            raise NotImplementedError("gluon.rnn.LSTM: projection_size (LSTMP) is not "
                                      "supported by tracegrad's nd.RNN; leave it out and "
                                      "project the outputs with an nn.Dense layer")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "lstm", dtype, **kwargs)
        self._clip = {"lstm_state_clip_min": state_clip_min,
                      "lstm_state_clip_max": state_clip_max,
                      "lstm_state_clip_nan": state_clip_nan}


class GRU(_RNNLayer):
    """A gated recurrent unit layer (gates r, z, n; the candidate is
    ``tanh(W_n x + b_in + r * (U_n h + b_hn))``, as MXNet's and cuDNN's)."""

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "gru", dtype, **kwargs)
