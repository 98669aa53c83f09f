"""Layers and losses added after the first Gluon release: errors and what the MXNet
comparison cannot cover (tests/gluon/cases.py compares their numbers with MXNet 1.9.1)."""

import numpy as np
import pytest

from tracegrad import autograd, gluon, nd


def test_poisson_nll_with_stirlings_term_against_numpy():
    # (MXNet 1.9.1's compute_full fails under autograd, so there is no MXNet reference)
    rng = np.random.default_rng(0)
    pred = rng.uniform(0.5, 2.0, (4, 3))
    target = rng.integers(0, 5, (4, 3)).astype(np.float64)
    loss = gluon.loss.PoissonNLLLoss(from_logits=False, compute_full=True)
    x = nd.array(pred, dtype="float64")
    x.attach_grad()
    with autograd.record():
        value = loss(x, nd.array(target, dtype="float64"))
    value.backward()
    with np.errstate(divide="ignore", invalid="ignore"):
        stirling = target * np.log(target) - target + 0.5 * np.log(2 * target * np.pi)
    ref = pred - target * np.log(pred + 1e-8) + np.where(target > 1, stirling, 0.0)
    np.testing.assert_allclose(value.asnumpy(), [ref.mean()], rtol=1e-12)
    np.testing.assert_allclose(x.grad.asnumpy(), (1 - target / (pred + 1e-8)) / ref.size,
                               rtol=1e-10)


def test_errors():
    with pytest.raises(ValueError, match="padding must be an int or 8 numbers"):
        gluon.nn.ReflectionPad2D((1, 2))
    with pytest.raises(ValueError, match="Only 'NTC' and 'TNC' layouts"):
        gluon.loss.CTCLoss(layout="NCT")
    with pytest.raises(ValueError, match="Only 'NT' and 'TN' layouts"):
        gluon.loss.CTCLoss(label_layout="TT")


def test_instance_norm_infers_its_channels_and_prints_them():
    layer = gluon.nn.InstanceNorm()
    layer.initialize()
    assert layer(nd.ones((2, 3, 4))).shape == (2, 3, 4)
    assert repr(layer) == ("InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, "
                           "in_channels=3)")
    assert repr(gluon.nn.GroupNorm(2)) == ("GroupNorm(eps=1e-05, num_groups=2, center=True, "
                                           "scale=True)")


def test_batchnorm_relu_is_batchnorm_then_relu():
    # (MXNet 1.9.1's pip build runs BatchNormWithReLU with MKL-DNN only: no MXNet reference)
    fused, plain = gluon.nn.BatchNormReLU(in_channels=3), gluon.nn.BatchNorm(in_channels=3)
    for block in (fused, plain):
        block.initialize()
        block.gamma.set_data(nd.array([0.5, 1.5, -1.0]))
        block.beta.set_data(nd.array([0.1, -0.2, 0.3]))
    x = nd.array(np.random.default_rng(1).normal(size=(4, 3, 2)))
    with autograd.record():
        a, b = fused(x), nd.relu(plain(x))
    np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(fused.running_mean.data().asnumpy(),
                               plain.running_mean.data().asnumpy(), rtol=1e-6)
