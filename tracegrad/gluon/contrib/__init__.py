"""``gluon.contrib`` (MXNet 1.x): the contributed layers of ``contrib.nn``."""

from tracegrad.gluon.contrib import nn

__all__ = ["nn"]
