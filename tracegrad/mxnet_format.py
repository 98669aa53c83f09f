"""MXNet's binary NDArray file format (what ``mxnet.nd.save`` writes and ``.params`` files are).

A file is a list of arrays, optionally with one name per array (a dict when saved)::

    uint64  0x112                 list magic
    uint64  0                     reserved
    uint64  n                     number of arrays, then n arrays:
        uint32  0xF993FAC9        array magic of the current format (v2)
        int32   storage type      0 = dense (1 row_sparse and 2 csr are not supported here)
        int32   ndim, int64 x ndim the shape
        int32   device type, int32 device id   (1, 0 for the CPU)
        int32   type flag         0 float32, 1 float64, 2 float16, 3 uint8, 4 int32,
                                  5 int8, 6 int64, 7 bool
        bytes   the data, C order, little endian
    uint64  k                     number of names: 0, or n, then k times
        uint64 length, bytes      the name, UTF-8

Older arrays have no storage type: v1 (magic 0xF993FAC8) continues with the int64 shape, and
the original v0 has no magic at all; it starts with ``uint32 ndim`` and ``uint32`` dims. v3
(magic 0xF993FACA) is v2 written under MXNet's NumPy shape semantics (``mx.npx.save``), where
ndim 0 is a 0-d array. All four are read; v2 (the default) and v0 are written (v1 too).

This module works on NumPy arrays; :func:`tracegrad.nd.save` and :func:`tracegrad.nd.load`
wrap it. Reading checks every magic number and size against the file, so a truncated or
corrupt file gives an :class:`MXNetFormatError` naming the file, never a ``struct.error`` or
a huge allocation.
"""

from __future__ import annotations

import io
import os
import struct
from typing import IO, Any, Union

import numpy as np

from tracegrad._compiler.errors import TracegradError

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8  # int64 shape
V2_MAGIC = 0xF993FAC9  # storage type added (the current format)
V3_MAGIC = 0xF993FACA  # v2 under NumPy shape semantics (0-d arrays exist)

DENSE, ROW_SPARSE, CSR, UNDEFINED_STORAGE = 0, 1, 2, -1
_STORAGE_NAMES = {ROW_SPARSE: "row_sparse", CSR: "csr"}

#: MXNet's (mshadow's) type flags of the dtypes this module reads and writes.
DTYPE_OF_FLAG: dict[int, np.dtype] = {
    0: np.dtype("float32"), 1: np.dtype("float64"), 2: np.dtype("float16"),
    3: np.dtype("uint8"), 4: np.dtype("int32"), 5: np.dtype("int8"), 6: np.dtype("int64"),
    7: np.dtype("bool"),
}
FLAG_OF_DTYPE: dict[np.dtype, int] = {dt: flag for flag, dt in DTYPE_OF_FLAG.items()}
# flags MXNet knows but this module does not read, for the error message
_OTHER_FLAGS = {8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}

_DEVICE_TYPES = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
_MAX_NDIM = 32  # MXNet's limit; anything above is a corrupt file
_ZIP_MAGIC = b"PK\x03\x04"  # an .npz file

Data = Union[list, dict]


class MXNetFormatError(TracegradError, RuntimeError):
    """A file that is not a valid MXNet NDArray file, or that holds something tracegrad cannot
    represent (sparse storage, a dtype other than those of :data:`DTYPE_OF_FLAG`). Derives
    from ``RuntimeError`` as MXNet's ``MXNetError`` for an invalid file does."""


def _label(fname: Any) -> str:
    return repr(os.fspath(fname)) if isinstance(fname, (str, bytes, os.PathLike)) else str(fname)


# -- reading ----------------------------------------------------------------------------------

class _Reader:
    """Reads little-endian fields from a binary stream whose total size is known, so every
    length read from the file is checked against what is left before anything is read or
    allocated."""

    def __init__(self, stream: IO[bytes], size: int, label: str) -> None:
        self.stream, self.size, self.label = stream, size, label
        self.pos = 0

    @property
    def left(self) -> int:
        return self.size - self.pos

    def error(self, what: str) -> MXNetFormatError:
        return MXNetFormatError(f"cannot load {self.label}: {what} (at byte {self.pos} of "
                                f"{self.size})")

    def need(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise self.error(f"the file is truncated or corrupt: {what} needs {nbytes} bytes, "
                             f"{self.left} are left")

    def bytes(self, nbytes: int, what: str) -> bytes:
        self.need(nbytes, what)
        out = self.stream.read(nbytes)
        if len(out) != nbytes:  # the file shrank while it was read
            raise self.error(f"the file is truncated: {what} needs {nbytes} bytes, got "
                             f"{len(out)}")
        self.pos += nbytes
        return out

    def scalar(self, fmt: str, what: str) -> int:
        return struct.unpack("<" + fmt, self.bytes(struct.calcsize(fmt), what))[0]

    def into(self, arr: np.ndarray, what: str) -> None:
        """Fill the C-contiguous ``arr`` from the stream."""
        nbytes = arr.nbytes
        self.need(nbytes, what)
        if nbytes == 0:
            return
        got = self.stream.readinto(memoryview(arr).cast("B"))  # type: ignore[attr-defined]
        if got != nbytes:
            raise self.error(f"the file is truncated: {what} needs {nbytes} bytes, got {got}")
        self.pos += nbytes


def _read_shape(r: _Reader, what: str, legacy_ndim: int | None = None) -> tuple[int, ...] | None:
    """A shape: int32 ndim and int64 dims, or (v0) the given uint32 ndim and uint32 dims.
    None for MXNet's 'no shape' (ndim -1, or an unknown dimension -1)."""
    if legacy_ndim is None:
        ndim = r.scalar("i", f"the number of dimensions of {what}")
        if ndim == -1:
            return None
        fmt = "q"
    else:
        ndim, fmt = legacy_ndim, "I"
    if not 0 <= ndim <= _MAX_NDIM:
        raise r.error(f"{what} has {ndim} dimensions; the file is corrupt")
    dims = struct.unpack(f"<{ndim}{fmt}",
                         r.bytes(ndim * struct.calcsize(fmt), f"the shape of {what}"))
    if any(d == -1 for d in dims):
        return None
    if any(d < 0 for d in dims):
        raise r.error(f"{what} has the shape {dims}; the file is corrupt")
    return tuple(int(d) for d in dims)


def _read_array(r: _Reader, index: int) -> np.ndarray:
    what = f"array {index}"
    start = r.pos
    magic = r.scalar("I", f"the header of {what}")
    legacy_ndim = None
    if magic in (V2_MAGIC, V3_MAGIC):
        stype = r.scalar("i", f"the storage type of {what}")
        if stype in _STORAGE_NAMES:
            raise r.error(f"{what} has {_STORAGE_NAMES[stype]} (sparse) storage; tracegrad "
                          f"reads dense arrays only. Convert it in MXNet first: "
                          f"x.tostype('default')")
        if stype not in (DENSE, UNDEFINED_STORAGE):
            raise r.error(f"{what} has the unknown storage type {stype}; the file is corrupt")
    elif magic != V1_MAGIC:
        if magic > _MAX_NDIM:
            r.pos = start
            raise r.error(f"{what} starts with 0x{magic:08X}, which is no NDArray magic "
                          f"number (v1 0x{V1_MAGIC:08X}, v2 0x{V2_MAGIC:08X}, v3 "
                          f"0x{V3_MAGIC:08X}) nor a legacy v0 dimension count; the file is "
                          f"corrupt")
        legacy_ndim = magic  # v0: the first word is the number of dimensions
    shape = _read_shape(r, what, legacy_ndim)
    if shape is None or (shape == () and magic != V3_MAGIC):
        # MXNet writes no more for an array that has no shape ("none"); outside NumPy shape
        # semantics ndim 0 means the same
        raise r.error(f"{what} is an uninitialised MXNet NDArray (it has no shape); "
                      f"tracegrad has no such array")
    dev_type = r.scalar("i", f"the device type of {what}")
    r.scalar("i", f"the device id of {what}")
    if dev_type not in _DEVICE_TYPES:
        raise r.error(f"{what} has the unknown device type {dev_type}; the file is corrupt")
    flag = r.scalar("i", f"the type flag of {what}")
    if flag not in DTYPE_OF_FLAG:
        name = _OTHER_FLAGS.get(flag)
        known = ", ".join(dt.name for dt in DTYPE_OF_FLAG.values())
        raise r.error(f"{what} has the dtype {name} (MXNet type flag {flag}), which tracegrad "
                      f"does not read (it reads {known})" if name else
                      f"{what} has the unknown type flag {flag}; the file is corrupt")
    dtype = DTYPE_OF_FLAG[flag]
    count = 1
    for d in shape:
        count *= d
    r.need(count * dtype.itemsize, f"the data of {what} (shape {shape}, {dtype.name})")
    out = np.empty(shape, dtype=dtype.newbyteorder("<"))
    r.into(out, f"the data of {what}")
    return out.astype(dtype, copy=False)  # native byte order


def _read(stream: IO[bytes], size: int, label: str) -> Data:
    r = _Reader(stream, size, label)
    if size < 16:
        raise r.error("the file is too short to be an MXNet NDArray file")
    head = stream.read(4)
    stream.seek(-len(head), io.SEEK_CUR)
    if head == _ZIP_MAGIC:
        raise r.error("this is a NumPy .npz file, not an MXNet NDArray file; load it with "
                      "format='npz'")
    magic = r.scalar("Q", "the file header")
    if magic != LIST_MAGIC:
        r.pos = 0
        raise r.error(f"this is not an MXNet NDArray file: it starts with 0x{magic:X}, not "
                      f"0x{LIST_MAGIC:X}")
    r.scalar("Q", "the reserved field")  # MXNet writes 0 and never reads it
    n = r.scalar("Q", "the number of arrays")
    if n * 16 > r.left:  # the smallest array takes more than 16 bytes
        raise r.error(f"the header says {n} arrays, which cannot fit in the {r.left} bytes "
                      f"left; the file is truncated or corrupt")
    arrays = [_read_array(r, i) for i in range(n)]
    k = r.scalar("Q", "the number of names")
    if k not in (0, n):
        raise r.error(f"the file has {n} arrays but {k} names; the file is corrupt")
    names = []
    for i in range(k):
        length = r.scalar("Q", f"the length of name {i}")
        raw = r.bytes(length, f"name {i}")
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise r.error(f"name {i} is not UTF-8 text; the file is corrupt") from None
    if k == 0:
        return arrays
    return dict(zip(names, arrays))  # a repeated name keeps the last array, as in MXNet


def load(fname: str | os.PathLike) -> Data:
    """The arrays of an MXNet NDArray file: a list of NumPy arrays, or a dict name -> array
    when the file has names (as ``mxnet.nd.load`` returns them)."""
    with open(fname, "rb") as f:
        return _read(f, os.fstat(f.fileno()).st_size, _label(fname))


def loads(buf: bytes | bytearray | memoryview, label: str = "the buffer") -> Data:
    """:func:`load` from the bytes of a file (``mxnet.nd.load_frombuffer``)."""
    view = memoryview(buf)
    return _read(io.BytesIO(view), view.nbytes, label)


def is_mxnet_file(fname: str | os.PathLike) -> bool:
    """Whether ``fname`` starts with the list magic number of an MXNet NDArray file."""
    with open(fname, "rb") as f:
        head = f.read(8)
    return len(head) == 8 and struct.unpack("<Q", head)[0] == LIST_MAGIC


# -- writing ----------------------------------------------------------------------------------

def _array_header(a: np.ndarray, version: int, label: str, what: str) -> bytes:
    flag = FLAG_OF_DTYPE.get(np.dtype(a.dtype).newbyteorder("="))
    if flag is None:
        known = ", ".join(dt.name for dt in DTYPE_OF_FLAG.values())
        raise MXNetFormatError(f"cannot save {what} to {label}: MXNet's file format has no "
                               f"dtype {a.dtype} here (it takes {known}); cast it first, "
                               f"e.g. x.astype('float32')")
    if a.ndim == 0:
        raise MXNetFormatError(f"cannot save {what} to {label}: it has shape (), which MXNet's "
                               f"nd.load reads as an uninitialised array; reshape it to (1,)")
    context = struct.pack("<ii", 1, 0)  # cpu(0)
    if version == 0:
        if any(d > 0xFFFFFFFF for d in a.shape):
            raise MXNetFormatError(f"cannot save {what} to {label} in the v0 format: its shape "
                                   f"{a.shape} has a dimension above 2**32 - 1")
        shape = struct.pack(f"<I{a.ndim}I", a.ndim, *a.shape)
        return shape + context + struct.pack("<i", flag)
    shape = struct.pack(f"<i{a.ndim}q", a.ndim, *a.shape)
    if version == 1:
        return struct.pack("<I", V1_MAGIC) + shape + context + struct.pack("<i", flag)
    return struct.pack("<Ii", V2_MAGIC, DENSE) + shape + context + struct.pack("<i", flag)


def _prepare(data: Data, version: int, label: str) -> tuple[list, list, list]:
    """Names, arrays and array headers; raises before anything is written."""
    if version not in (0, 1, 2):
        raise ValueError(f"version must be 2 (the current format), 1 or 0 (legacy), not "
                         f"{version!r}")
    if isinstance(data, dict):
        names = [str(k) for k in data]
        arrays = [np.asarray(v) for v in data.values()]
        whats = [f"array {n!r}" for n in names]
    else:
        names, arrays = [], [np.asarray(v) for v in data]
        whats = [f"array {i}" for i in range(len(arrays))]
    headers = [_array_header(a, version, label, w) for a, w in zip(arrays, whats)]
    return names, arrays, headers


def _write(f: IO[bytes], names: list, arrays: list, headers: list) -> None:
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)))
    for a, head in zip(arrays, headers):
        f.write(head)
        little = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        if little.size:
            f.write(memoryview(little).cast("B"))  # type: ignore[arg-type]
    f.write(struct.pack("<Q", len(names)))
    for name in names:
        raw = name.encode("utf-8")
        f.write(struct.pack("<Q", len(raw)) + raw)


def save(fname: str | os.PathLike, data: Data, version: int = 2) -> None:
    """Write ``data`` (a list of NumPy arrays, or a dict name -> array) as an MXNet NDArray
    file that ``mxnet.nd.load`` reads. ``version=2`` is MXNet 1.x's current format; ``0``
    writes the legacy v0 format of the first MXNet releases (``1``, the v1 format, also
    works). Every array is checked before the file is opened, so an array that cannot be
    saved leaves no partial file."""
    parts = _prepare(data, version, _label(fname))
    with open(fname, "wb") as f:
        _write(f, *parts)


def dumps(data: Data, version: int = 2) -> bytes:
    """The bytes :func:`save` would write.

    >>> import numpy as np
    >>> from tracegrad import mxnet_format
    >>> raw = mxnet_format.dumps({"w": np.array([1.5, 2.0], dtype="float32")})
    >>> raw[:8].hex(), len(raw)
    ('1201000000000000', 81)
    >>> mxnet_format.loads(raw)
    {'w': array([1.5, 2. ], dtype=float32)}
    """
    buf = io.BytesIO()
    _write(buf, *_prepare(data, version, "a buffer"))
    return buf.getvalue()
