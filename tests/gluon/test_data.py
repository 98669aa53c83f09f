"""gluon.data: datasets and their transforms, samplers, the DataLoader (last_batch modes,
shuffling, batchify_fn, worker processes), MNIST from local idx files, vision transforms."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from tracegrad import nd
from tracegrad.gluon import data
from tracegrad.gluon.data.vision import transforms


def _dataset(n=10):
    return data.ArrayDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def _labels(loader):
    return [y.asnumpy().tolist() for _, y in loader]


def test_datasets_and_transforms():
    ds = _dataset(4)
    assert len(ds) == 4 and ds[2][1] == 2
    assert data.ArrayDataset(nd.array([1.0, 2.0]))[1] == 2.0  # 1-D NDArray: NumPy values
    with pytest.raises(AssertionError, match="All arrays must have the same length"):
        data.ArrayDataset(np.zeros(3), np.zeros(4))
    doubled = ds.transform_first(lambda x: x * 2)
    assert doubled[1][0].tolist() == [4.0, 6.0] and doubled[1][1] == 1
    both = ds.transform(lambda x, y: (x.sum(), y + 10), lazy=False)
    assert isinstance(both, data.SimpleDataset) and both[3] == (13.0, 13)
    simple = data.SimpleDataset([5, 6, 7]).transform(lambda v: v * 10)
    assert [simple[i] for i in range(3)] == [50, 60, 70]


@pytest.mark.parametrize("mode,expected", [
    ("keep", [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]),
    ("discard", [[0, 1, 2, 3], [4, 5, 6, 7]]),
])
def test_last_batch(mode, expected):
    loader = data.DataLoader(_dataset(), batch_size=4, last_batch=mode)
    assert _labels(loader) == expected and len(loader) == len(expected)


def test_rollover_carries_the_rest_into_the_next_epoch():
    loader = data.DataLoader(_dataset(), batch_size=4, last_batch="rollover")
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(loader) == 3  # 2 left over + 10
    assert _labels(loader) == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]


def test_batches_keep_types_and_dtypes():
    x, y = next(iter(data.DataLoader(_dataset(), batch_size=3)))
    assert isinstance(x, nd.NDArray) and x.dtype == np.float32 and x.shape == (3, 2)
    assert y.dtype == np.int64
    batch = data.default_batchify_fn([(nd.ones(2), 1), (nd.zeros(2), 0)])
    assert isinstance(batch, list) and batch[0].shape == (2, 2)


def test_shuffle_sampler_and_batchify_fn():
    np.random.seed(3)
    first = sum(_labels(data.DataLoader(_dataset(), batch_size=5, shuffle=True)), [])
    assert sorted(first) == list(range(10)) and first != list(range(10))
    sampler = data.SequentialSampler(4, start=3)
    loader = data.DataLoader(_dataset(), batch_size=2, sampler=sampler)
    assert _labels(loader) == [[3, 4], [5, 6]]
    sums = data.DataLoader(_dataset(), batch_size=5,
                           batchify_fn=lambda samples: sum(s[1] for s in samples))
    assert list(sums) == [10, 35]
    with pytest.raises(ValueError, match="batch_size must be specified"):
        data.DataLoader(_dataset())
    with pytest.raises(ValueError, match="shuffle must not be specified"):
        data.DataLoader(_dataset(), batch_size=2, shuffle=True, sampler=sampler)


def test_worker_processes_return_batches_in_order():
    ds = _dataset(23).transform_first(lambda x: x + 1)
    serial = list(data.DataLoader(ds, batch_size=4))
    loader = data.DataLoader(ds, batch_size=4, num_workers=2)
    for _ in range(2):  # the pool is reused across epochs
        parallel = list(loader)
        assert len(parallel) == len(serial) == 6
        for (xa, ya), (xb, yb) in zip(serial, parallel):
            np.testing.assert_array_equal(xa.asnumpy(), xb.asnumpy())
            assert ya.asnumpy().tolist() == yb.asnumpy().tolist()
    custom = data.DataLoader(ds, batch_size=5, num_workers=2,
                             batchify_fn=lambda s: np.array([t[1] for t in s]))
    assert [b.asnumpy().tolist() for b in custom][0] == [0, 1, 2, 3, 4]


def _write_idx(path, array, compress):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                    *array.shape)
    opener = gzip.open if compress else open
    with opener(str(path) + (".gz" if compress else ""), "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_from_local_idx_files(tmp_path, compress):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (5, 28, 28))
    labels = np.array([3, 1, 4, 1, 5])
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", images, compress)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels, compress)
    ds = data.vision.MNIST(root=str(tmp_path), train=False)
    assert len(ds) == 5
    img, label = ds[2]
    assert img.shape == (28, 28, 1) and img.dtype == np.uint8 and label == 4
    np.testing.assert_array_equal(img.asnumpy()[:, :, 0], images[2])
    with pytest.raises(FileNotFoundError, match="does not download"):
        data.vision.FashionMNIST(root=str(tmp_path), train=True)
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.13, 0.31)])
    loader = data.DataLoader(ds.transform_first(t), batch_size=2)
    x, y = next(iter(loader))
    assert x.shape == (2, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x.asnumpy()[0, 0], (images[0] / 255 - 0.13) / 0.31, atol=1e-6)


def test_vision_transforms():
    img = nd.array(np.arange(12).reshape(2, 2, 3), dtype="uint8")
    t = transforms.ToTensor()(img)
    assert t.shape == (3, 2, 2) and t.asnumpy()[1, 0, 1] == pytest.approx(4 / 255)
    batch = transforms.ToTensor()(nd.array(np.zeros((4, 2, 2, 3)), dtype="uint8"))
    assert batch.shape == (4, 3, 2, 2)
    norm = transforms.Normalize(mean=(0.0, 1.0, 2.0), std=(1.0, 2.0, 4.0))(nd.ones((3, 1, 1)))
    assert norm.asnumpy().ravel().tolist() == [1.0, 0.0, -0.25]
    assert transforms.Cast("float64")(nd.ones(2)).dtype == np.float64


def test_center_crop_and_random_flips():
    from tracegrad.gluon.data.vision import transforms as T

    img = nd.array(np.arange(4 * 6 * 3).reshape(4, 6, 3), dtype="uint8")
    # MXNet 1.9.1 gives these (size is (width, height))
    assert T.CenterCrop((4, 2))(img).shape == (2, 4, 3)
    assert T.CenterCrop(2)(img).asnumpy()[:, :, 0].tolist() == [[24, 27], [42, 45]]
    assert T.CenterCrop((3, 3))(img).asnumpy()[:, :, 1].tolist() == \
        [[4, 7, 10], [22, 25, 28], [40, 43, 46]]
    with pytest.raises(NotImplementedError, match="needs resizing"):
        T.CenterCrop(5)(img)
    a = img.asnumpy()
    seen = set()
    for _ in range(40):
        out = T.RandomFlipLeftRight()(img).asnumpy()
        assert np.array_equal(out, a) or np.array_equal(out, a[:, ::-1])
        seen.add(np.array_equal(out, a))
        out = T.RandomFlipTopBottom()(img).asnumpy()
        assert np.array_equal(out, a) or np.array_equal(out, a[::-1])
    assert seen == {True, False}  # both happen
    flip_all = T.RandomApply(T.RandomFlipTopBottom(), p=0.0)
    assert np.array_equal(flip_all(img).asnumpy(), a)
    with pytest.raises(ValueError, match="images are"):
        T.RandomFlipLeftRight()(nd.ones((2, 2)))
