"""``gluon.rnn``: the recurrent layers ``RNN``, ``LSTM`` and ``GRU`` (MXNet 1.x). The
step-by-step cells (``LSTMCell``, ``unroll``...) are not provided; see docs/gluon.md."""

from tracegrad.gluon.rnn.rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU"]
