"""nd.Dropout: identity outside training, masking and scaling in training, gradient."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import arr, check
from tracegrad import autograd, nd


class TestDropout:
    X = np.arange(1, 20001, dtype=np.float32).reshape(100, 200)

    def test_identity_outside_training(self):
        out = nd.Dropout(arr(self.X), p=0.5)
        check(out, self.X)
        with autograd.record(train_mode=False):
            check(nd.Dropout(arr(self.X), p=0.5), self.X)
        with autograd.record(), autograd.predict_mode():
            check(nd.Dropout(arr(self.X), p=0.5), self.X)

    @pytest.mark.parametrize("scope", ["train_mode", "record"])
    @pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
    def test_training_zeroes_and_scales(self, scope, p):
        ctx = autograd.train_mode() if scope == "train_mode" else autograd.record()
        with ctx:
            out = nd.Dropout(arr(self.X), p=p).asnumpy()
        dropped = out == 0
        assert abs(dropped.mean() - p) < 0.02
        np.testing.assert_allclose(out[~dropped], self.X[~dropped] / (1 - p), rtol=1e-6)

    def test_p_zero_is_identity_in_training(self):
        with autograd.train_mode():
            check(nd.Dropout(arr(self.X), p=0.0), self.X)

    def test_new_mask_each_call(self):
        with autograd.train_mode():
            a = nd.Dropout(nd.ones(1000), p=0.5).asnumpy()
            b = nd.Dropout(nd.ones(1000), p=0.5).asnumpy()
        assert not np.array_equal(a, b)

    def test_gradient_is_the_scaled_mask(self):
        x = nd.ones((50, 40))
        x.attach_grad()
        with autograd.record():
            y = nd.Dropout(x, p=0.25)
        y.backward()
        mask = y.asnumpy() != 0
        check(x.grad, mask / 0.75)

    def test_invalid_p(self):
        with pytest.raises(ValueError, match="Dropout"):
            nd.Dropout(nd.ones(2), p=1.0)
