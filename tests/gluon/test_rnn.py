"""gluon.rnn's layers: their API and errors. Their numbers (outputs, input, state and
parameter gradients, eager and hybridized) are compared with MXNet 1.9.1's in
test_against_mxnet.py."""

import numpy as np
import pytest

from tracegrad import autograd, gluon, nd


def _x(shape, seed=0):
    return nd.array(np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32))


def test_the_input_size_is_inferred_at_the_first_call():
    layer = gluon.rnn.GRU(4, num_layers=2, bidirectional=True)
    assert repr(layer) == "GRU(None -> 4, TNC, num_layers=2, bidirectional)"
    layer.initialize()
    assert layer(_x((6, 3, 5))).shape == (6, 3, 8)
    assert layer.l0_i2h_weight.shape == (12, 5) and layer.r1_i2h_weight.shape == (12, 8)
    assert repr(layer) == "GRU(5 -> 4, TNC, num_layers=2, bidirectional)"


def test_states_in_and_out():
    layer = gluon.rnn.LSTM(3, layout="NTC", input_size=2)
    layer.initialize()
    x = _x((4, 7, 2))
    states = layer.begin_state(4)
    assert [s.shape for s in states] == [(1, 4, 3), (1, 4, 3)]
    out, new = layer(x, states)
    assert out.shape == (4, 7, 3) and [s.shape for s in new] == [(1, 4, 3)] * 2
    # the last output of the sequence is the final hidden state
    np.testing.assert_allclose(out.asnumpy()[:, -1], new[0].asnumpy()[0], rtol=1e-6)
    # one state given as an array, not a list (RNN and GRU have one)
    rnn = gluon.rnn.RNN(3, input_size=2)
    rnn.initialize()
    out, new = rnn(_x((5, 4, 2)), nd.zeros((1, 4, 3)))
    assert len(new) == 1 and out.shape == (5, 4, 3)


@pytest.fixture
def interpreter():
    """Compiled graphs run on the reference interpreter: the same graphs, without numba
    compiling an unrolled LSTM's kernels (tens of seconds on a cold cache)."""
    from tracegrad._compiler import executor

    executor.set_backend("interpreter")
    yield
    executor.set_backend(None)


def test_hybridized_gives_the_same_values_and_gradients(interpreter):
    layer = gluon.rnn.LSTM(4, num_layers=2, input_size=3)
    layer.initialize()
    x = _x((5, 2, 3), 1)
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward()
    eager, grad = y.asnumpy(), x.grad.asnumpy()
    layer.hybridize()
    with autograd.record():
        y = layer(x)
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), eager, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), grad, rtol=1e-5, atol=1e-6)
    # called first without states, then with them: the compiled graph serves both
    out, new = layer(x, layer.begin_state(2))
    np.testing.assert_allclose(out.asnumpy(), eager, rtol=1e-5, atol=1e-6)


def test_parameter_files_use_mxnets_keys_and_load_back(tmp_path):
    layer = gluon.rnn.LSTM(3, bidirectional=True, input_size=2)
    layer.initialize()
    x = _x((4, 2, 2), 2)
    want = layer(x).asnumpy()
    path = str(tmp_path / "lstm.params")
    layer.save_parameters(path)
    assert "_unfused.0.r_cell.h2h_weight" in nd.load(path)
    again = gluon.rnn.LSTM(3, bidirectional=True, input_size=2)
    again.load_parameters(path)
    np.testing.assert_allclose(again(x).asnumpy(), want, rtol=0, atol=0)


def test_errors():
    with pytest.raises(ValueError, match="Invalid layout NCT"):
        gluon.rnn.LSTM(3, layout="NCT")
    with pytest.raises(ValueError, match="activation must be 'relu' or 'tanh'"):
        gluon.rnn.RNN(3, activation="sigmoid")
    with pytest.raises(NotImplementedError, match="projection_size"):
        gluon.rnn.LSTM(3, projection_size=2)
    layer = gluon.rnn.GRU(3, input_size=2)
    layer.initialize()
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        layer(_x((4, 2, 2)), valid_length=3)
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting "
                                         r"\(1, 2, 3\), got \(1, 5, 3\)"):
        layer(_x((4, 2, 2)), [nd.zeros((1, 5, 3))])


def test_cells_step_and_unroll_agree():
    cell = gluon.rnn.GRUCell(4, input_size=3)
    cell.initialize()
    x = _x((2, 5, 3), 3)
    merged, states = cell.unroll(5, x, merge_outputs=True)
    h = cell.begin_state(batch_size=2)
    for t in range(5):
        out, h = cell(x[:, t], h)
        np.testing.assert_allclose(out.asnumpy(), merged.asnumpy()[:, t], rtol=1e-6)
    np.testing.assert_allclose(h[0].asnumpy(), states[0].asnumpy(), rtol=1e-6)


def test_cell_errors():
    bi = gluon.rnn.BidirectionalCell(gluon.rnn.LSTMCell(2), gluon.rnn.LSTMCell(2))
    with pytest.raises(NotImplementedError, match="cannot be stepped"):
        bi(nd.ones((1, 2)), [])
    base = gluon.rnn.LSTMCell(2)
    gluon.rnn.ResidualCell(base)
    with pytest.raises(RuntimeError, match="Call the modifier cell instead"):
        base.begin_state(batch_size=1)
    with pytest.raises(RuntimeError, match="cannot be modified twice"):
        gluon.rnn.ZoneoutCell(base)
    cell = gluon.rnn.RNNCell(3)
    cell.initialize()
    with pytest.raises(ValueError, match="length 4 but the inputs have 5 steps"):
        cell.unroll(4, nd.ones((2, 5, 3)))
    with pytest.raises(ValueError, match="layout must be 'NTC' or 'TNC'"):
        cell.unroll(5, nd.ones((2, 5, 3)), layout="NCT")
    with pytest.raises(TypeError, match="rate must be a number"):
        gluon.rnn.DropoutCell("0.5")
