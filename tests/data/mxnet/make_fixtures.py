"""Make the MXNet NDArray files of this folder with real MXNet 1.9.1 (run once, then commit):

    .venv-mxnet/bin/python tests/data/mxnet/make_fixtures.py

Files MXNet 1.9.1 can still write are written by ``mx.nd.save`` (and ``mx.npx.save`` for the
v3 file). MXNet 1.9.1 writes only its current format, so the legacy v0 and v1 files are built
byte by byte here from the format description (see tracegrad/mxnet_format.py) and checked by
loading them in MXNet. ``expected.npz`` and ``expected.json`` hold what MXNet's ``nd.load``
returns for each file: the arrays (keys ``<file>/<index>``), and per file whether it is a
list or a dict, the names, dtypes, shapes and storage types (sparse.params holds a row_sparse
array, which tracegrad refuses with a clear error).
"""

import json
import os
import struct
import sys

import mxnet as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
V1_MAGIC, LIST_MAGIC = 0xF993FAC8, 0x112
TYPE_FLAG = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
             "int64": 6}


def path(name):
    return os.path.join(HERE, name)


def legacy_file(arrays, names, version):
    """The bytes of a v0 (no magic, uint32 shape) or v1 (magic, int64 shape) file."""
    out = struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))
    for a in arrays:
        if version == 0:
            out += struct.pack(f"<I{a.ndim}I", a.ndim, *a.shape)
        else:
            out += struct.pack(f"<Ii{a.ndim}q", V1_MAGIC, a.ndim, *a.shape)
        out += struct.pack("<iii", 1, 0, TYPE_FLAG[a.dtype.name])  # cpu(0), type flag
        out += np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    out += struct.pack("<Q", len(names))
    for n in names:
        raw = n.encode("utf-8")
        out += struct.pack("<Q", len(raw)) + raw
    return out


def main():
    rng = np.random.RandomState(13)
    nd = mx.nd

    def arr(shape, dtype, low=-50, high=50):
        if dtype == "bool":
            return nd.array(rng.randint(0, 2, size=shape), dtype="bool")
        if np.dtype(dtype).kind == "f":
            return nd.array(rng.uniform(low, high, size=shape), dtype=dtype)
        lo = 0 if np.dtype(dtype).kind == "u" else low
        return nd.array(rng.randint(lo, high, size=shape), dtype=dtype)

    # -- written by MXNet ---------------------------------------------------------------------
    nd.save(path("single.params"), nd.array([[1.5, -2.0, 3.0], [4.0, 5.0, 6.25]]))
    nd.save(path("list.params"), [
        arr((2, 3, 4), "float32"), arr((5,), "float64"), arr((3, 2), "float16"),
        arr((4,), "uint8", high=255), arr((2, 2), "int8", low=-128, high=127),
        arr((3,), "int32"), arr((2, 1), "int64", low=-2**40, high=2**40), arr((3,), "bool"),
    ])
    # names as Gluon writes them, one of them not ASCII
    nd.save(path("dict.params"), {
        "conv0_weight": arr((2, 1, 3, 3), "float32"), "conv0_bias": arr((2,), "float32"),
        "dense0_weight": arr((3, 4), "float64"), "dense0_bias": arr((3,), "float16"),
        "embedding0_idx": arr((4,), "int64"), "mask": arr((2, 3), "uint8", high=2),
        "offsets": arr((3,), "int32"), "quantised": arr((2, 2), "int8"),
        "größe": nd.array([7.0, 8.0]),
    })
    nd.save(path("empty_list.params"), [])
    # mx.npx.save writes the v3 format (NumPy shape semantics), where 0-d arrays exist
    with mx.util.np_shape(True):
        nd.save(path("np_shape_v3.params"),
                [nd.array([2.5]).reshape(()), nd.array([[1, 2], [3, 4]], dtype="int32")])
    sparse = nd.sparse.row_sparse_array((np.ones((1, 2), dtype="float32"), [1]), shape=(3, 2))
    nd.save(path("sparse.params"), {"w": sparse, "b": nd.ones(2)})

    # -- legacy formats, built by hand ----------------------------------------------------------
    v0 = [np.arange(6, dtype="float32").reshape(2, 3) - 2.5, np.array([1, -2, 3], dtype="int32")]
    with open(path("legacy_v0.params"), "wb") as f:
        f.write(legacy_file(v0, [], 0))
    v0d = {"weight": np.array([[0.5, -1.0]], dtype="float64"),
           "bias": np.array([3.0], dtype="float32")}
    with open(path("legacy_v0_dict.params"), "wb") as f:
        f.write(legacy_file(list(v0d.values()), list(v0d), 0))
    v1 = [np.array([[1, 2], [3, 4], [5, 6]], dtype="uint8"), np.array([0.25], dtype="float16")]
    with open(path("legacy_v1.params"), "wb") as f:
        f.write(legacy_file(v1, [], 1))

    # -- what MXNet loads ---------------------------------------------------------------------
    built = {"legacy_v0.params": v0, "legacy_v0_dict.params": v0d, "legacy_v1.params": v1}
    expected, arrays = {}, {}
    for name in sorted(os.listdir(HERE)):
        if not name.endswith(".params"):
            continue
        with mx.util.np_shape(name.startswith("np_shape")):
            loaded = nd.load(path(name))
            stypes = [x.stype for x in (loaded.values() if isinstance(loaded, dict) else loaded)]
            if isinstance(loaded, dict):
                loaded = {k: v.asnumpy() for k, v in loaded.items()}
            else:
                loaded = [x.asnumpy() for x in loaded]
        if name in built:  # MXNet reads the hand-built bytes as the arrays they were built from
            want = built[name]
            got = list(loaded.values()) if isinstance(loaded, dict) else loaded
            for a, b in zip(got, want.values() if isinstance(want, dict) else want):
                assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), name
        kind = "dict" if isinstance(loaded, dict) else "list"
        items = list(loaded.items()) if kind == "dict" else [(None, v) for v in loaded]
        expected[name] = {"kind": kind, "names": [k for k, _ in items],
                          "dtypes": [v.dtype.name for _, v in items],
                          "shapes": [list(v.shape) for _, v in items], "stypes": stypes}
        for i, (_, v) in enumerate(items):
            arrays[f"{name}/{i}"] = v
    np.savez(path("expected.npz"), **arrays)
    with open(path("expected.json"), "w") as f:
        f.write('{"mxnet": "%s", "files": {\n' % mx.__version__)
        f.write(",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                           for k, v in expected.items()))
        f.write("\n}}\n")
    print(f"wrote {len(expected)} files with MXNet {mx.__version__} "
          f"(python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
