"""``gluon.data.vision``: MNIST-style datasets from local idx files, and transforms."""

from tracegrad.gluon.data.vision import transforms  # noqa: F401
from tracegrad.gluon.data.vision.datasets import MNIST, FashionMNIST

__all__ = ["MNIST", "FashionMNIST", "transforms"]
