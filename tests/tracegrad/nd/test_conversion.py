"""Conversion to NumPy and Python, astype and copies, nd.save/nd.load, and printing like MXNet."""

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import arr, check
from tracegrad import nd
from tracegrad.ndarray import NDArray

# ============================================================================================
# conversion, copies, save/load
# ============================================================================================

class TestConversion:
    def test_asnumpy_is_a_copy(self):
        x = nd.array([1.0, 2.0])
        a = x.asnumpy()
        assert isinstance(a, np.ndarray) and a.dtype == np.float32
        a[0] = 100
        assert x.asnumpy()[0] == 1.0

    def test_asscalar(self):
        s = nd.array([2.5]).asscalar()
        assert s == 2.5 and isinstance(s, np.float32)
        assert nd.array([[3]], dtype="int32").asscalar() == 3
        assert nd.ones((1, 1, 1)).asscalar() == 1.0

    @pytest.mark.parametrize("shape", [(2,), (0,), (2, 3)])
    def test_asscalar_not_a_scalar(self, shape):
        with pytest.raises(ValueError, match="The current array is not a scalar"):
            nd.zeros(shape).asscalar()

    def test_python_conversions(self):
        x = nd.array([3.0])
        assert float(x) == 3.0 and int(x) == 3 and bool(x) is True
        assert bool(nd.array([0.0])) is False
        assert np.asarray(nd.array([1, 2])).tolist() == [1.0, 2.0]
        with pytest.raises(ValueError, match="ambiguous"):
            bool(nd.ones(2))

    @pytest.mark.parametrize("dtype", ["float64", "int32", np.float16, "uint8"])
    def test_astype(self, dtype):
        a = np.array([1.5, 2.0, 250.0], np.float32)
        check(arr(a).astype(dtype), a.astype(dtype), dtype=dtype)

    def test_astype_copy_false_same_dtype_is_self(self):
        x = nd.ones(2)
        assert x.astype("float32", copy=False) is x
        y = x.astype("float32")
        assert y is not x
        y[0] = 5
        assert x.asnumpy()[0] == 1

    def test_copy_is_independent(self):
        x = nd.array([1.0, 2.0])
        y = x.copy()
        y[0] = 9
        assert x.asnumpy().tolist() == [1.0, 2.0] and y.asnumpy().tolist() == [9.0, 2.0]

    def test_copyto_array(self):
        x, y = nd.array([1.0, 2.0]), nd.zeros(2)
        out = x.copyto(y)
        assert out is y
        check(y, [1.0, 2.0])
        x[0] = 7
        check(y, [1.0, 2.0])

    def test_copyto_casts_into_destination_dtype(self):
        y = nd.zeros(2, dtype="int32")
        nd.array([1.7, 2.2]).copyto(y)
        check(y, [1, 2], dtype=np.int32)

    def test_copyto_context(self):
        x = nd.array([1.0, 2.0])
        y = x.copyto(tracegrad.cpu())
        assert y is not x
        check(y, [1.0, 2.0])
        assert x.as_in_context(tracegrad.cpu()) is x

    def test_copyto_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
            nd.zeros(2).copyto(nd.zeros(3))

    def test_wait_to_read_and_waitall(self):
        x = nd.ones(2) * 3
        assert x.wait_to_read() is None
        assert nd.waitall() is None
        check(x, [3.0, 3.0])


class TestSaveLoad:
    def test_single_array_loads_as_list(self, tmp_path):
        f = str(tmp_path / "x.params")
        x = nd.array([[1, 2], [3, 4]])
        nd.save(f, x)
        out = nd.load(f)
        assert isinstance(out, list) and len(out) == 1
        check(out[0], [[1, 2], [3, 4]], dtype=np.float32)

    def test_list(self, tmp_path):
        f = str(tmp_path / "list.params")
        items = [nd.arange(3), nd.ones((2, 2), dtype="float64"), nd.array([5], dtype="int32")]
        items += [nd.full(1, float(i)) for i in range(10)]  # order survives > 10 entries
        nd.save(f, items)
        out = nd.load(f)
        assert isinstance(out, list) and len(out) == len(items)
        for a, b in zip(out, items):
            check(a, b.asnumpy(), dtype=b.dtype)

    def test_dict(self, tmp_path):
        f = str(tmp_path / "dict.params")
        d = {"weight": nd.array([[1.0, 2.0]]), "bias": nd.zeros(3, dtype="float64")}
        nd.save(f, d)
        out = nd.load(f)
        assert isinstance(out, dict) and set(out) == {"weight", "bias"}
        check(out["weight"], [[1.0, 2.0]], dtype=np.float32)
        check(out["bias"], [0, 0, 0], dtype=np.float64)

    def test_save_rejects_other_types(self, tmp_path):
        with pytest.raises(TypeError, match="NDArray"):
            nd.save(str(tmp_path / "bad"), 3.0)


# ============================================================================================
# printing
# ============================================================================================

class TestPrinting:
    @pytest.mark.parametrize("x, shape_text", [
        (nd.arange(4).reshape((4, 1)), "4x1"),
        (nd.array([1.5, -2.25, 3.0]), "3"),
        (nd.arange(24).reshape((2, 3, 4)), "2x3x4"),
        (nd.array([7.0]), "1"),
        (nd.arange(3000), "3000"),  # NumPy's summarisation with '...'
        (nd.array([[1, 2]], dtype="int32"), "1x2"),
        (nd.array([0.1, 1e-8], dtype="float64"), "2"),
        (nd.zeros((0, 3)), "0x3"),
    ], ids=["4x1", "3", "2x3x4", "1", "3000", "int32", "float64", "empty"])
    def test_repr_like_mxnet(self, x, shape_text):
        expected = "\n" + str(x.asnumpy()) + f"\n<NDArray {shape_text} @cpu(0)>"
        assert repr(x) == expected
        assert str(x) == repr(x)

    def test_literal_4x1(self):
        assert repr(nd.arange(4).reshape((4, 1))) == (
            "\n[[0.]\n [1.]\n [2.]\n [3.]]\n<NDArray 4x1 @cpu(0)>")

    def test_summarised_output_has_ellipsis(self):
        assert "..." in repr(nd.arange(3000))

    def test_zero_dim_has_two_spaces(self):
        x = NDArray(np.array(2.5, dtype=np.float32))
        assert x.shape == ()
        assert repr(x) == "\n2.5\n<NDArray  @cpu(0)>"

    def test_print(self, capsys):
        print(nd.array([[1, 2], [3, 4]]))
        assert capsys.readouterr().out == "\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>\n"
