"""``gluon.rnn`` (MXNet 1.x): the recurrent layers ``RNN``, ``LSTM`` and ``GRU`` over whole
sequences, and the cells (``RNNCell``, ``LSTMCell``, ``GRUCell``, stacks and wrappers) that
step one element at a time or ``unroll``."""

from tracegrad.gluon.rnn.cell_stacks import (
    BidirectionalCell,
    DropoutCell,
    HybridSequentialRNNCell,
    ModifierCell,
    ResidualCell,
    SequentialRNNCell,
    ZoneoutCell,
)
from tracegrad.gluon.rnn.rnn_cell import (
    GRUCell,
    HybridRecurrentCell,
    LSTMCell,
    RecurrentCell,
    RNNCell,
)
from tracegrad.gluon.rnn.rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RecurrentCell", "HybridRecurrentCell", "RNNCell",
           "LSTMCell", "GRUCell", "SequentialRNNCell", "HybridSequentialRNNCell",
           "DropoutCell", "ModifierCell", "ZoneoutCell", "ResidualCell", "BidirectionalCell"]
