"""MXNet's fused recurrent layer ``RNN`` (modes ``rnn_relu``, ``rnn_tanh``, ``lstm``,
``gru``; several layers, both directions, dropout between layers, state outputs, LSTM state
clipping, per-sequence lengths), unrolled over time with nd operators, so its gradients
are the derivatives and it traces under ``jit``.

The parameters come as one flat vector in MXNet's (cuDNN's) order: for every layer and
direction the input-to-hidden then the hidden-to-hidden weights, (gates * H, inputs) each;
then, in the same order, all the biases. Gates are ordered i, f, c, o (LSTM) and r, z, n
(GRU, whose candidate is tanh(W_n x + b_in + r * (U_n h + b_hn))).

With ``use_sequence_length`` each sequence stops at its length (its final state is the one
at its last step, later outputs are 0, the reverse direction starts at its last step), and
``lstm_state_clip_min``/``_max`` clip the cell state at every step, as MXNet documents
them (features of its cuDNN implementation); MXNet 1.9.1's CPU implementation ignores both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_aliases import SequenceReverse
from tracegrad.ops_shape import slice_axis
from tracegrad.state import is_training

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def _take(flat: NDArray, start: int, shape: tuple[int, ...]) -> tuple[NDArray, int]:
    size = int(np.prod(shape))
    part = slice_axis(flat, axis=0, begin=start, end=start + size)
    return ops.reshape(part, shape), start + size


def _unpack(params: NDArray, layers: int, dirs: int, gates: int, hidden: int,
            inputs: int) -> list:
    """[(w_i2h, w_h2h, b_i2h, b_h2h)] per (layer, direction), from the flat vector."""
    gh = gates * hidden
    need = sum(gh * ((inputs if layer == 0 else hidden * dirs) + hidden + 2) * dirs
               for layer in range(layers))
    if need != params.shape[0]:
        raise ValueError(f"nd.RNN: the parameters have {params.shape[0]} entries, the layers "
                         f"need {need} (at {_user_line()})")
    weights, pos = [], 0
    for layer in range(layers):
        n_in = inputs if layer == 0 else hidden * dirs
        for _ in range(dirs):
            wi, pos = _take(params, pos, (gh, n_in))
            wh, pos = _take(params, pos, (gh, hidden))
            weights.append([wi, wh])
    for k in range(layers * dirs):
        bi, pos = _take(params, pos, (gh,))
        bh, pos = _take(params, pos, (gh,))
        weights[k] += [bi, bh]
    return weights


def _linear(x: NDArray, w: NDArray, b: NDArray) -> NDArray:
    return apply(P.matmul, (x, ops.transpose(w)), {}) + b


def _gate(z: NDArray, k: int, hidden: int) -> NDArray:
    return slice_axis(z, axis=1, begin=k * hidden, end=(k + 1) * hidden)


def _step(mode: str, xw: NDArray, h: NDArray, c: Any, wh: NDArray, bh: NDArray,
          hidden: int, clip: tuple) -> tuple[NDArray, Any]:
    hw = _linear(h, wh, bh)
    if mode in ("rnn_relu", "rnn_tanh"):
        act = ops.relu if mode == "rnn_relu" else ops.tanh
        return act(xw + hw), None
    if mode == "lstm":
        z = xw + hw
        i, f = ops.sigmoid(_gate(z, 0, hidden)), ops.sigmoid(_gate(z, 1, hidden))
        g, o = ops.tanh(_gate(z, 2, hidden)), ops.sigmoid(_gate(z, 3, hidden))
        c = f * c + i * g
        if clip[0] is not None:
            c = ops.clip(c, clip[0], clip[1])
        return o * ops.tanh(c), c
    r = ops.sigmoid(_gate(xw, 0, hidden) + _gate(hw, 0, hidden))
    u = ops.sigmoid(_gate(xw, 1, hidden) + _gate(hw, 1, hidden))
    n = ops.tanh(_gate(xw, 2, hidden) + r * _gate(hw, 2, hidden))
    return (1.0 - u) * n + u * h, None


def _direction(mode: str, x: NDArray, h: NDArray, c: Any, w: list, hidden: int,
               lengths: Any, clip: tuple) -> tuple:
    """One layer in one direction over x (T, N, I): outputs (T, N, H), last h and c."""
    wi, wh, bi, bh = w
    steps, n = x.shape[:2]
    xw = ops.reshape(_linear(ops.reshape(x, (steps * n, -1)), wi, bi), (steps, n, -1))
    outs = []
    for t in range(steps):
        xt = ops.reshape(slice_axis(xw, axis=0, begin=t, end=t + 1), (n, -1))
        h_new, c_new = _step(mode, xt, h, c, wh, bh, hidden, clip)
        if lengths is not None:  # past a sequence's end: keep its state, output zeros
            live = ops.reshape((lengths > t).astype(x.dtype), (n, 1))
            h = h_new * live + h * (1.0 - live)
            c = c_new * live + c * (1.0 - live) if c is not None else None
            outs.append(h_new * live)
        else:
            h, c = h_new, c_new
            outs.append(h)
    return ops.stack(*outs, axis=0), h, c


def RNN(data: Any = None, parameters: Any = None, state: Any = None, state_cell: Any = None,
        sequence_length: Any = None, state_size: int | None = None, num_layers: int | None = None,
        bidirectional: bool = False, mode: str | None = None, p: float = 0.0,
        state_outputs: bool = False, projection_size: Any = None,
        lstm_state_clip_min: float | None = None, lstm_state_clip_max: float | None = None,
        lstm_state_clip_nan: bool = False, use_sequence_length: bool = False,
        out: NDArray | None = None, **kwargs: Any) -> Any:
    """A stack of recurrent layers over ``data`` (T, N, I) from the initial ``state`` (and
    ``state_cell`` for LSTM), (layers * directions, N, state_size) each; returns the
    outputs (T, N, directions * state_size), and with ``state_outputs`` the final states.

    Examples
    --------
    >>> from tracegrad import nd
    >>> y = nd.RNN(nd.ones((5, 2, 3)), nd.ones(4 * (3 + 4 + 2)) * 0.1, nd.zeros((1, 2, 4)),
    ...            state_size=4, num_layers=1, mode='rnn_tanh')
    >>> y.shape
    (5, 2, 4)
    """
    reject_unknown("nd.RNN", kwargs)
    if mode not in _GATES:
        raise ValueError(f"nd.RNN: mode must be one of {sorted(_GATES)}, not {mode!r}")
    if projection_size:
        raise NotImplementedError("nd.RNN: projection_size (LSTMP) is not supported")
    if state_size is None or num_layers is None:
        raise TypeError(f"nd.RNN: state_size and num_layers are required (at {_user_line()})")
    x, h0 = _nd(data), _nd(state)
    hidden, layers, dirs = int(state_size), int(num_layers), 2 if bidirectional else 1
    if x.ndim != 3 or h0.shape != (layers * dirs, x.shape[1], hidden):
        raise ValueError(f"nd.RNN: data (T, N, I) and state ({layers * dirs}, N, {hidden}) "
                         f"are needed, got {x.shape} and {h0.shape} (at {_user_line()})")
    c0 = _nd(state_cell) if mode == "lstm" else None
    if mode == "lstm" and (c0 is None or c0.shape != h0.shape):
        raise ValueError(f"nd.RNN: LSTM needs state_cell of shape {h0.shape}")
    weights = _unpack(_nd(parameters), layers, dirs, _GATES[mode], hidden, x.shape[2])
    lengths = _nd(sequence_length).astype(np.int64) if use_sequence_length else None
    clip = (lstm_state_clip_min, lstm_state_clip_max) if lstm_state_clip_min is not None \
        else (None, None)
    hs, cs = [], []
    layer_in = x
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            h = ops.reshape(slice_axis(h0, axis=0, begin=k, end=k + 1), h0.shape[1:])
            c = None if c0 is None else ops.reshape(slice_axis(c0, axis=0, begin=k, end=k + 1),
                                                    c0.shape[1:])
            seq = layer_in if d == 0 else _reverse(layer_in, lengths)
            y, h, c = _direction(mode, seq, h, c, weights[k], hidden, lengths, clip)
            outs.append(y if d == 0 else _reverse(y, lengths))
            hs.append(h)
            cs.append(c)
        layer_in = ops.concat(*outs, dim=2) if dirs == 2 else outs[0]
        if p and layer < layers - 1 and is_training():
            layer_in = ops.Dropout(layer_in, p=p)
    res = write_out("nd.RNN", layer_in, out if not state_outputs else None)
    if not state_outputs:
        return res
    states = [res, ops.stack(*hs, axis=0)]
    if mode == "lstm":
        states.append(ops.stack(*cs, axis=0))
    return states


def _reverse(x: NDArray, lengths: Any) -> NDArray:
    if lengths is None:
        return ops.flip(x, 0)
    return SequenceReverse(x, lengths, use_sequence_length=True)


__all__ = ["RNN"]
