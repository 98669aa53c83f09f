"""``mx.io``'s in-memory data iterator: ``NDArrayIter`` over arrays (or dicts or lists of
them), yielding ``DataBatch`` objects of ``batch_size`` samples, with MXNet's three ways to
end an epoch (``last_batch_handle``): ``'pad'`` (the last batch is filled from the start of
the data; ``batch.pad`` says how many), ``'discard'`` (an incomplete last batch is dropped)
and ``'roll_over'`` (its samples open the next epoch's first batch). The record-file
iterators of ``mx.io`` read MXNet's binary formats and are not provided.

>>> import numpy as np
>>> from tracegrad import io
>>> it = io.NDArrayIter(np.arange(10).reshape(5, 2), np.arange(5), batch_size=2)
>>> [(b.data[0].shape, b.pad) for b in it]
[((2, 2), 0), ((2, 2), 0), ((2, 2), 1)]
>>> it.provide_data
[DataDesc[data,(2, 2),<class 'numpy.float32'>,NCHW]]
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.ndarray import NDArray

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """The name, shape, dtype and layout of one input of a batch."""

    dtype: Any
    layout: str

    def __new__(cls, name: str, shape: tuple, dtype: Any = np.float32,
                layout: str = "NCHW") -> DataDesc:
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        return 0 if layout is None else layout.find("N")

    @staticmethod
    def get_list(shapes: list, types: list | None) -> list[DataDesc]:
        dtypes = dict(types) if types is not None else {}
        return [DataDesc(name, shape, dtypes.get(name, np.float32)) for name, shape in shapes]


class DataBatch:
    """One batch: lists of data and label arrays, and how many samples are padding."""

    def __init__(self, data: Any, label: Any = None, pad: int | None = None,
                 index: Any = None, bucket_key: Any = None, provide_data: Any = None,
                 provide_label: Any = None) -> None:
        for what, value in (("Data", data), ("Label", label)):
            if value is not None and not isinstance(value, (list, tuple)):
                raise TypeError(f"{what} must be list of NDArrays")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        labels = [x.shape for x in self.label] if self.label else None
        return (f"{type(self).__name__}: data shapes: {[d.shape for d in self.data]} "
                f"label shapes: {labels}")


class DataIter:
    """The iterator protocol of ``mx.io``: ``reset``, ``next``/``__next__``, and the
    ``iter_next``/``getdata``/``getlabel``/``getpad``/``getindex`` a subclass defines."""

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> DataIter:
        return self

    def reset(self) -> None:
        pass

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=self.getindex())

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        return False

    def getdata(self) -> Any:
        return None

    def getlabel(self) -> Any:
        return None

    def getindex(self) -> Any:
        return None

    def getpad(self) -> Any:
        return None


def _named_arrays(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, NDArray]]:
    """(name, array) pairs sorted by name: one array is ``default_name``, a list of them
    ``_0_<default_name>``, ``_1_...``, a dict keeps its keys. NumPy arrays become NDArrays
    as ``nd.array`` makes them (float32)."""
    if data is None:
        if not allow_empty:
            raise ValueError("NDArrayIter: data must be given")
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not data and not allow_empty:
            raise ValueError("NDArrayIter: data must not be an empty list")
        data = OrderedDict([(default_name, data[0])] if len(data) == 1 else
                           [(f"_{i}_{default_name}", d) for i, d in enumerate(data)])
    if not isinstance(data, dict):
        raise TypeError("Input must be NDArray, numpy.ndarray, a list of them or dict with "
                        f"them as values, not {type(data).__name__}")
    out = {}
    for name, value in data.items():
        try:
            out[name] = value if isinstance(value, NDArray) else nd.array(value)
        except Exception as err:  # noqa: BLE001  (reported with the name)
            raise TypeError(f"Invalid type '{type(value)}' for {name}, should be NDArray or "
                            "numpy.ndarray") from err
    return sorted(out.items())


class NDArrayIter(DataIter):
    """Batches of ``batch_size`` samples (along the batch axis of ``layout``) of ``data`` and
    ``label``; ``shuffle`` permutes the samples (NumPy's global generator) at every reset.
    See the module docstring for ``last_batch_handle``."""

    def __init__(self, data: Any, label: Any = None, batch_size: int = 1,
                 shuffle: bool = False, last_batch_handle: str = "pad",
                 data_name: str = "data", label_name: str = "softmax_label",
                 layout: str = "NCHW") -> None:
        super().__init__(batch_size)
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError(f"NDArrayIter: last_batch_handle must be 'pad', 'discard' or "
                             f"'roll_over', not {last_batch_handle!r}")
        self.data = _named_arrays(data, False, data_name)
        self.label = _named_arrays(label, True, label_name)
        self.layout = layout
        self.idx = np.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.cursor = -batch_size
        self.num_data = self.idx.shape[0]
        self._cache_data: list | None = None
        self._cache_label: list | None = None
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)

    def _descs(self, arrays: list) -> list[DataDesc]:
        axis = self.layout.find("N")
        return [DataDesc(k, tuple(v.shape[:axis]) + (self.batch_size,) + tuple(v.shape[axis + 1:]),
                         v.dtype, layout=self.layout) for k, v in arrays]

    @property
    def provide_data(self) -> list[DataDesc]:
        return self._descs(self.data)

    @property
    def provide_label(self) -> list[DataDesc]:
        return self._descs(self.label)

    def hard_reset(self) -> None:
        """Back to the start, forgetting samples a ``roll_over`` epoch left over."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self) -> None:
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and \
                self.num_data - self.batch_size < self.cursor < self.num_data:
            # the left-over samples start the next epoch: its first batch takes fewer
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        data, label = self.getdata(), self.getlabel()
        if data[0].shape[self.layout.find("N")] != self.batch_size:
            # an incomplete last batch ('discard', 'roll_over'): kept for a roll-over
            self._cache_data, self._cache_label = data, label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _slice(self, source: list, start: int = 0, end: int | None = None) -> list:
        axis = self.layout.find("N")
        return [nd.slice_axis(v, axis=axis, begin=start,
                              end=v.shape[axis] if end is None else end)
                for _, v in source]

    def _concat(self, first: list, second: list) -> list:
        if not first or not second:
            return first or second
        return [nd.concat(a, b, dim=self.layout.find("N")) for a, b in zip(first, second)]

    def _batchify(self, source: list) -> list:
        if self.cursor >= self.num_data:
            raise RuntimeError("DataIter needs reset.")
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            cached = self._cache_data if self._cache_data is not None else self._cache_label
            if cached is None:
                raise RuntimeError("next epoch should have cached data")
            if self._cache_data is not None:
                self._cache_data = None
            else:
                self._cache_label = None
            return self._concat(cached, self._slice(source, end=self.cursor + self.batch_size))
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            pad = self.batch_size - self.num_data + self.cursor
            fill: list = []
            for _ in range(pad // self.num_data):
                fill = self._concat(fill, self._slice(source))
            if pad % self.num_data:
                fill = self._concat(fill, self._slice(source, end=pad % self.num_data))
            return self._concat(self._slice(source, start=self.cursor), fill)
        return self._slice(source, self.cursor, min(self.cursor + self.batch_size,
                                                    self.num_data))

    def getdata(self) -> list:
        return self._batchify(self.data)

    def getlabel(self) -> list:
        return self._batchify(self.label)

    def getpad(self) -> int:
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        np.random.shuffle(self.idx)
        # as MXNet, through nd.array (so an integer array becomes float32)
        self.data = [(k, nd.array(v.asnumpy()[self.idx])) for k, v in self.data]
        self.label = [(k, nd.array(v.asnumpy()[self.idx])) for k, v in self.label]
