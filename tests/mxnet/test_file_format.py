"""nd.save / nd.load in MXNet's binary NDArray format (tracegrad/mxnet_format.py).

The fixture files of tests/data/mxnet were written by real MXNet 1.9.1 (make_fixtures.py,
which also built the legacy v0/v1 files by hand and checked that MXNet loads them); the
values MXNet loaded from them are stored beside them. These tests run in the normal suite;
the round trip through real MXNet is skipped where its environment is absent.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import textwrap

import numpy as np
import pytest

from tests.mxnet.harness import MXNET_PYTHON, mxnet_missing
from tracegrad import NDArray, mxnet_format, nd
from tracegrad.mxnet_format import MXNetFormatError

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "mxnet")
with open(os.path.join(DATA, "expected.json")) as _f:
    EXPECTED = json.load(_f)["files"]
DTYPES = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]


def _expected(name: str) -> tuple[str, list, list[np.ndarray]]:
    meta = EXPECTED[name]
    with np.load(os.path.join(DATA, "expected.npz")) as z:
        arrays = [z[f"{name}/{i}"] for i in range(len(meta["dtypes"]))]
    return meta["kind"], meta["names"], arrays


def _check_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _sample_arrays() -> dict[str, np.ndarray]:
    rng = np.random.RandomState(5)
    out = {}
    for i, dt in enumerate(DTYPES):
        shape = [(2, 3), (4,), (1, 2, 2), (3, 1), (5,), (2, 2), (1,), (3,)][i]
        if dt == "bool":
            out[dt] = rng.randint(0, 2, size=shape).astype(bool)
        elif np.dtype(dt).kind == "f":
            out[dt] = rng.standard_normal(shape).astype(dt)
        else:
            info = np.iinfo(dt)
            out[dt] = rng.randint(max(info.min, -1000), min(info.max, 1000), size=shape,
                                  dtype=dt)
    return out


# -- files written by MXNet -------------------------------------------------------------------

LOADABLE = sorted(n for n, m in EXPECTED.items() if "row_sparse" not in m["stypes"])


@pytest.mark.parametrize("name", LOADABLE)
def test_fixture_loads_as_mxnet_loads_it(name):
    kind, names, arrays = _expected(name)
    got = nd.load(os.path.join(DATA, name))
    if kind == "dict":
        assert isinstance(got, dict) and list(got) == names
        values = list(got.values())
    else:
        assert isinstance(got, list)
        values = got
    assert len(values) == len(arrays)
    for v, want in zip(values, arrays):
        assert isinstance(v, NDArray)
        _check_same(v.asnumpy(), want)


def test_fixture_dict_keeps_non_ascii_names():
    assert "größe" in nd.load(os.path.join(DATA, "dict.params"))


def test_fixture_v3_zero_dim_array():
    got = mxnet_format.load(os.path.join(DATA, "np_shape_v3.params"))
    assert got[0].shape == () and got[0] == np.float32(2.5)


@pytest.mark.parametrize("name, version", [("list.params", 2), ("dict.params", 2),
                                           ("single.params", 2), ("empty_list.params", 2),
                                           ("legacy_v0.params", 0),
                                           ("legacy_v0_dict.params", 0),
                                           ("legacy_v1.params", 1)])
def test_writer_reproduces_mxnet_files_byte_for_byte(name, version):
    path = os.path.join(DATA, name)
    with open(path, "rb") as f:
        original = f.read()
    assert mxnet_format.dumps(mxnet_format.load(path), version=version) == original


def test_sparse_fixture_is_refused_by_name(tmp_path):
    path = os.path.join(DATA, "sparse.params")
    with pytest.raises(MXNetFormatError, match=r"sparse\.params.*row_sparse"):
        nd.load(path)


# -- tracegrad's own round trips ------------------------------------------------------------------

def test_default_format_is_mxnet(tmp_path):
    f = tmp_path / "w.params"
    nd.save(str(f), {"w": nd.ones((2, 2))})
    assert mxnet_format.is_mxnet_file(f)
    assert f.read_bytes()[:8] == struct.pack("<Q", 0x112)


@pytest.mark.parametrize("fmt", [None, "mxnet", "mxnet-v0", "npz"])
@pytest.mark.parametrize("container", ["single", "list", "dict"])
def test_round_trip_every_dtype(tmp_path, fmt, container):
    arrays = _sample_arrays()
    f = str(tmp_path / "x.params")
    if container == "single":
        data = nd.array(arrays["float32"])
    elif container == "list":
        data = [NDArray(a) for a in arrays.values()]
    else:
        data = {k: NDArray(a) for k, a in arrays.items()}
    nd.save(f, data, format=fmt)
    got = nd.load(f)  # the format is recognised from the file
    if container == "single":
        assert isinstance(got, list) and len(got) == 1
        _check_same(got[0].asnumpy(), arrays["float32"])
    elif container == "list":
        assert isinstance(got, list)
        for g, a in zip(got, arrays.values(), strict=True):
            _check_same(g.asnumpy(), a)
    else:
        assert isinstance(got, dict) and list(got) == list(arrays)
        for k, a in arrays.items():
            _check_same(got[k].asnumpy(), a)


def test_npz_by_suffix_and_old_npz_files(tmp_path):
    f = str(tmp_path / "x.npz")
    nd.save(f, [nd.arange(3)])
    assert open(f, "rb").read(4) == b"PK\x03\x04"
    np.testing.assert_array_equal(nd.load(f)[0].asnumpy(), [0, 1, 2])
    # a file of the earlier nd.save (npz under any name) still loads
    old = str(tmp_path / "old.params")
    with open(old, "wb") as fh:
        np.savez(fh, **{"d:w": np.ones(2, dtype=np.float32), "d:b": np.zeros(1)})
    got = nd.load(old)
    assert set(got) == {"w", "b"} and got["b"].dtype == np.float64
    assert nd.load(old, format="npz")["w"].shape == (2,)


def test_mxnet_format_keyword_overrides_suffix(tmp_path):
    f = str(tmp_path / "x.npz")
    nd.save(f, [nd.ones(2)], format="mxnet")
    assert mxnet_format.is_mxnet_file(f)
    assert nd.load(f)[0].shape == (2,)


def test_v0_file_layout(tmp_path):
    f = tmp_path / "v0.params"
    nd.save(str(f), [nd.array([[1, 2, 3]], dtype="int32")], format="mxnet-v0")
    raw = f.read_bytes()
    assert raw[24:36] == struct.pack("<III", 2, 1, 3)  # no magic: ndim, uint32 dims
    assert mxnet_format.load(f)[0].tolist() == [[1, 2, 3]]


def test_non_contiguous_and_big_endian_arrays(tmp_path):
    a = np.arange(12, dtype=np.float64).reshape(3, 4).T
    b = np.arange(4, dtype=">i4")
    got = mxnet_format.loads(mxnet_format.dumps([a, b]))
    _check_same(got[0], a)
    assert got[1].dtype == np.int32 and got[1].tolist() == [0, 1, 2, 3]


def test_empty_dict_loads_as_empty_list(tmp_path):
    f = str(tmp_path / "e.params")
    nd.save(f, {})
    assert nd.load(f) == []  # as in MXNet: no names, no arrays


def test_zero_size_array(tmp_path):
    got = mxnet_format.loads(mxnet_format.dumps([np.zeros((2, 0), dtype=np.float32)]))
    assert got[0].shape == (2, 0)


# -- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.zeros(2, dtype=np.int16), np.zeros(2, dtype=np.complex64),
                                 np.zeros(2, dtype=np.uint32)])
def test_save_unsupported_dtype_names_it_and_writes_nothing(tmp_path, bad):
    f = tmp_path / "bad.params"
    with pytest.raises(MXNetFormatError, match=rf"bad\.params.*{bad.dtype}"):
        nd.save(str(f), {"ok": nd.ones(2), "bad": NDArray(bad)})
    assert not f.exists()


def test_save_zero_dim_array_is_refused(tmp_path):
    with pytest.raises(MXNetFormatError, match=r"shape \(\)"):
        nd.save(str(tmp_path / "s.params"), [NDArray(np.float32(1.0))])


def test_save_rejects_other_data(tmp_path):
    f = str(tmp_path / "x.params")
    for data in (3.0, [nd.ones(1), 2.0], {1: nd.ones(1)}, {"a": np.ones(2)}):
        with pytest.raises(TypeError, match="NDArray"):
            nd.save(f, data)
    with pytest.raises(ValueError, match="format"):
        nd.save(f, [nd.ones(1)], format="hdf5")
    with pytest.raises(ValueError, match="version"):
        mxnet_format.save(f, [np.ones(1)], version=3)


def _good_file() -> bytes:
    return mxnet_format.dumps({"weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                               "bias": np.array([1, 2], dtype=np.int64)})


def test_every_truncation_is_a_clear_error(tmp_path):
    raw = _good_file()
    f = tmp_path / "cut.params"
    for n in range(len(raw)):
        f.write_bytes(raw[:n])
        with pytest.raises(MXNetFormatError, match=r"cut\.params"):
            nd.load(str(f))
    f.write_bytes(raw)
    assert set(nd.load(str(f))) == {"weight", "bias"}


@pytest.mark.parametrize("offset, value, message", [
    (0, struct.pack("<Q", 0x113), "not an MXNet NDArray file"),
    (16, struct.pack("<Q", 10 ** 12), "cannot fit"),
    (24, struct.pack("<I", 0xDEADBEEF), "no NDArray magic"),
    (28, struct.pack("<i", 7), "unknown storage type"),
    (28, struct.pack("<i", 2), "csr"),
    (32, struct.pack("<i", 40), "40 dimensions"),
    (36, struct.pack("<q", 2 ** 40), "truncated or corrupt"),
    (36, struct.pack("<q", -5), "corrupt"),
    (52, struct.pack("<i", 9), "unknown device type"),
    (60, struct.pack("<i", 8), "int16"),
    (60, struct.pack("<i", 99), "unknown type flag"),
])
def test_corrupt_fields_are_clear_errors(tmp_path, offset, value, message):
    raw = bytearray(_good_file())
    raw[offset:offset + len(value)] = value
    f = tmp_path / "corrupt.params"
    f.write_bytes(bytes(raw))
    with pytest.raises(MXNetFormatError, match=message) as e:
        nd.load(str(f))
    assert "corrupt.params" in str(e.value)


def test_names_count_mismatch_and_bad_utf8():
    raw = _good_file()
    names_at = raw.index(struct.pack("<Q", 2) + struct.pack("<Q", 6) + b"weight")
    wrong = raw[:names_at] + struct.pack("<Q", 1) + raw[names_at + 8:]
    with pytest.raises(MXNetFormatError, match="2 arrays but 1 names"):
        mxnet_format.loads(wrong)
    bad = raw.replace(b"weight", b"w\xffight")
    with pytest.raises(MXNetFormatError, match="UTF-8"):
        mxnet_format.loads(bad)


def test_npz_given_to_the_mxnet_reader(tmp_path):
    f = tmp_path / "x.npz"
    nd.save(str(f), [nd.ones(2)])
    with pytest.raises(MXNetFormatError, match="npz"):
        mxnet_format.load(f)
    with pytest.raises(MXNetFormatError, match="too short"):
        mxnet_format.loads(b"\x12\x01")


def test_errors_are_runtime_errors_like_mxnet():
    with pytest.raises(RuntimeError):
        mxnet_format.loads(b"x" * 40)


# -- real MXNet reads tracegrad's files, and tracegrad reads MXNet's ----------------------------

_MXNET_SIDE = textwrap.dedent("""
    import json, sys
    import mxnet as mx
    import numpy as np
    folder = sys.argv[1]
    report = {}
    for name in sorted(json.load(open(folder + "/manifest.json"))):
        loaded = mx.nd.load(folder + "/" + name)
        items = loaded.items() if isinstance(loaded, dict) else enumerate(loaded)
        report[name] = {"kind": type(loaded).__name__,
                        "keys": [str(k) for k, _ in items]}
        items = loaded.items() if isinstance(loaded, dict) else enumerate(loaded)
        np.savez(folder + "/" + name + ".seen.npz", **{str(k): v.asnumpy() for k, v in items})
        # and MXNet writes it back, for tracegrad to read
        mx.nd.save(folder + "/" + name + ".back", loaded)
    json.dump(report, open(folder + "/report.json", "w"))
""")


@pytest.mark.skipif(mxnet_missing() is not None, reason=mxnet_missing() or "")
def test_round_trip_through_real_mxnet(tmp_path):
    arrays = _sample_arrays()
    files = {
        "list.params": ([NDArray(a) for a in arrays.values()], None),
        "dict.params": ({f"p_{k}": NDArray(a) for k, a in arrays.items()}, None),
        "single.params": (nd.array([[1.5, 2.5]]), None),
        "legacy.params": ({"w": NDArray(arrays["float64"]), "b": NDArray(arrays["int32"])},
                          "mxnet-v0"),
    }
    for name, (data, fmt) in files.items():
        nd.save(str(tmp_path / name), data, format=fmt)
    (tmp_path / "manifest.json").write_text(json.dumps(sorted(files)))
    proc = subprocess.run([MXNET_PYTHON, "-c", _MXNET_SIDE, str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    for name, (data, _) in files.items():
        if isinstance(data, dict):
            want = {k: v.asnumpy() for k, v in data.items()}
            assert report[name]["kind"] == "dict"
        else:
            items = data if isinstance(data, list) else [data]
            want = {str(i): v.asnumpy() for i, v in enumerate(items)}
            assert report[name]["kind"] == "list"
        assert report[name]["keys"] == list(want)
        with np.load(tmp_path / f"{name}.seen.npz") as seen:
            for k, a in want.items():
                _check_same(seen[k], a)
        back = nd.load(str(tmp_path / f"{name}.back"))
        back_items = back.items() if isinstance(back, dict) else \
            [(str(i), v) for i, v in enumerate(back)]
        for (k, v), (wk, wa) in zip(back_items, want.items(), strict=True):
            assert k == wk
            _check_same(v.asnumpy(), wa)
