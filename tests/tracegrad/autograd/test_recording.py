"""The recording and training state (scopes, setters, per thread) and autograd.get_graph."""

import threading

import pytest

from tests.tracegrad.autograd.helpers import DEFAULT, NOT_IN_GRAPH, check, flags, var
from tracegrad import autograd, nd
from tracegrad.errors import NotInGraphError

# ============================================================================================
# recording and training state
# ============================================================================================

SCOPES = {
    "record": (lambda: autograd.record(), lambda s: (True, True)),
    "record_predict": (lambda: autograd.record(train_mode=False), lambda s: (True, False)),
    "pause": (lambda: autograd.pause(), lambda s: (False, False)),
    "pause_train": (lambda: autograd.pause(train_mode=True), lambda s: (False, True)),
    "train_mode": (lambda: autograd.train_mode(), lambda s: (s[0], True)),
    "predict_mode": (lambda: autograd.predict_mode(), lambda s: (s[0], False)),
}


class TestState:
    def test_defaults(self):
        assert autograd.is_recording() is False
        assert autograd.is_training() is False

    @pytest.mark.parametrize("name", list(SCOPES))
    def test_single_scope(self, name):
        make, effect = SCOPES[name]
        with make():
            assert flags() == effect(DEFAULT)
        assert flags() == DEFAULT

    @pytest.mark.parametrize("outer", list(SCOPES))
    @pytest.mark.parametrize("inner", list(SCOPES))
    def test_nested_scope_matrix(self, outer, inner):
        make_o, eff_o = SCOPES[outer]
        make_i, eff_i = SCOPES[inner]
        with make_o():
            s_outer = flags()
            assert s_outer == eff_o(DEFAULT)
            with make_i():
                assert flags() == eff_i(s_outer)
            assert flags() == s_outer
        assert flags() == DEFAULT

    @pytest.mark.parametrize("outer", list(SCOPES))
    @pytest.mark.parametrize("inner", list(SCOPES))
    def test_state_restored_after_exceptions(self, outer, inner):
        make_o, eff_o = SCOPES[outer]
        make_i, _ = SCOPES[inner]
        with pytest.raises(KeyError):
            with make_o():
                try:
                    with make_i():
                        raise ZeroDivisionError
                except ZeroDivisionError:
                    assert flags() == eff_o(DEFAULT)
                with make_i():
                    raise KeyError("boom")
        assert flags() == DEFAULT

    def test_set_recording_and_set_training_return_previous(self):
        assert autograd.set_recording(True) is False
        assert autograd.is_recording() is True
        assert autograd.set_recording(True) is True
        assert autograd.set_recording(False) is True
        assert autograd.is_recording() is False
        assert autograd.set_training(True) is False
        assert autograd.is_training() is True
        assert autograd.set_training(False) is True
        assert flags() == DEFAULT

    def test_set_recording_records(self):
        x = var([3.0])
        prev = autograd.set_recording(True)
        try:
            y = x * x
        finally:
            autograd.set_recording(prev)
        y.backward()
        check(x.grad, [6.0])

    def test_scope_restores_after_set_inside(self):
        with autograd.record():
            autograd.set_recording(False)
            autograd.set_training(False)
            assert flags() == DEFAULT
        assert flags() == DEFAULT
        with autograd.pause():
            autograd.set_recording(True)
        assert flags() == DEFAULT

    def test_pause_inside_record_stops_recording(self):
        x = var([2.0])
        with autograd.record():
            y = x * x
            with autograd.pause():
                metric = y * 10  # not recorded
            z = y * 3
        z.backward()
        check(x.grad, [12.0])
        with pytest.raises(NotInGraphError, match="was not recorded"):
            metric.backward()

    def test_threads_have_their_own_state(self):
        seen = {}

        def probe():
            seen["flags"] = flags()

        with autograd.record():
            t = threading.Thread(target=probe)
            t.start()
            t.join()
            assert flags() == (True, True)
        assert seen["flags"] == DEFAULT

    def test_two_threads_record_independently(self):
        barrier = threading.Barrier(3, timeout=10)
        results, errors = {}, []

        def worker(k):
            try:
                x = var([float(k)], dtype="float64")
                barrier.wait()  # 1: both threads started
                with autograd.record(train_mode=(k == 1)):
                    barrier.wait()  # 2: both threads inside record
                    s = flags()
                    y = x ** 3 * k
                    barrier.wait()  # 3: main thread looks while both record
                    barrier.wait()  # 4
                y.backward()
                results[k] = (s, x.grad.asscalar())
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
                barrier.abort()

        threads = [threading.Thread(target=worker, args=(k,)) for k in (1, 2)]
        for t in threads:
            t.start()
        barrier.wait()
        barrier.wait()
        barrier.wait()
        main_flags = flags()
        w = nd.array([1.0])
        w.attach_grad()
        y_main = w * 2  # not recorded in the main thread
        barrier.wait()
        for t in threads:
            t.join()
        assert not errors, errors
        assert main_flags == DEFAULT
        with pytest.raises(NotInGraphError, match="was not recorded"):
            y_main.backward()
        assert results[1] == ((True, True), 3.0)  # 3 k x^2 at x = k = 1
        assert results[2] == ((True, False), 24.0)  # 3 * 2 * 2^2


# ============================================================================================
# get_graph
# ============================================================================================

class TestGetGraph:
    def test_seed_example_graph(self):
        x = nd.arange(4).reshape((4, 1))
        x.attach_grad()
        with autograd.record():
            y = 2 * nd.dot(x.T, x)
        text = str(autograd.get_graph(y))
        assert "a:f32[4,1]" in text
        assert "transpose[axes=(1, 0)]" in text
        assert "matmul" in text
        assert "mul 2.0:f32[]" in text
        # the order of the equations follows the recording
        assert text.index("transpose") < text.index("matmul") < text.index("mul 2.0")
        y.backward()  # get_graph did not free anything
        check(x.grad, [[0.0], [4.0], [8.0], [12.0]])

    def test_constants_become_graph_inputs(self):
        x = nd.ones((2,))
        x.attach_grad()
        with autograd.record():
            y = nd.exp(x * nd.array([1.0, 2.0]))
        text = str(autograd.get_graph(y))
        assert "exp" in text and "mul" in text

    def test_unrecorded_head(self):
        with pytest.raises(NotInGraphError, match=NOT_IN_GRAPH):
            autograd.get_graph(nd.ones(2))

    def test_freed_graph(self):
        x = var([1.0])
        with autograd.record():
            y = x * x
        y.backward()
        with pytest.raises(NotInGraphError, match="retain_graph"):
            autograd.get_graph(y)
