"""tracegrad.test_utils (mx.test_utils): messages and failures. Tolerances and outcomes are
compared with MXNet 1.9.1's in tests/gluon (the "test_utils" case)."""

import numpy as np
import pytest

import tracegrad as mx
from tracegrad import nd, test_utils


def test_assert_almost_equal_names_the_worst_element():
    with pytest.raises(AssertionError, match=r"Error 400\.0+ exceeds tolerance rtol=1\.0+e-04, "
                                             r"atol=1\.0+e-03 \(mismatch 33\.3+%\)\.\n"
                                             r"Location of maximum error: \(1,\), got=2\.0+, "
                                             r"want=2\.50+"):
        test_utils.assert_almost_equal(nd.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.0]),
                                       names=("got", "want"))
    test_utils.assert_almost_equal(nd.array([np.nan]), np.array([np.nan]), equal_nan=True)
    with pytest.raises(AssertionError, match="shape"):
        test_utils.assert_almost_equal(np.ones(2), np.ones((2, 2)), use_broadcast=False)


def test_assert_exception_and_the_context():
    test_utils.assert_exception(lambda: nd.zeros((1,), ctx=mx.gpu()), mx.base.MXNetError)
    with pytest.raises(AssertionError, match="did not raise ValueError"):
        test_utils.assert_exception(lambda: None, ValueError)
    assert test_utils.default_context() == mx.cpu()
    with pytest.raises(ValueError, match="CPU only"):
        test_utils.set_default_context("gpu")
    with pytest.raises(NotImplementedError, match="dense arrays only"):
        test_utils.rand_ndarray((2, 2), stype="csr")
    shape = test_utils.rand_shape_nd(3, dim=4)
    assert len(shape) == 3 and all(1 <= n <= 4 for n in shape)


def test_ndarray_iter_errors_and_shuffle():
    from tracegrad import io

    with pytest.raises(ValueError, match="last_batch_handle must be"):
        io.NDArrayIter(np.ones((4, 2)), last_batch_handle="wrap")
    with pytest.raises(TypeError, match="Input must be NDArray"):
        io.NDArrayIter("data")
    with pytest.raises(TypeError, match="Data must be list of NDArrays"):
        io.DataBatch(nd.ones(2))
    np.random.seed(0)
    it = io.NDArrayIter(np.arange(8).reshape(8, 1), np.arange(8), batch_size=4, shuffle=True)
    pairs = [(d, lab) for b in it for d, lab in zip(b.data[0].asnumpy().ravel(),
                                                    b.label[0].asnumpy())]
    assert sorted(d for d, _ in pairs) == list(range(8))  # a permutation, labels kept along
    assert all(d == lab for d, lab in pairs)
