"""``gluon.nn``: layers (convolution and pooling layers in ``conv_layers.py``)."""

from tracegrad.gluon.block import Block, HybridBlock  # as in mxnet.gluon.nn
from tracegrad.gluon.nn.activations import (
    ELU,
    GELU,
    SELU,
    Activation,
    LeakyReLU,
    PReLU,
    Swish,
)
from tracegrad.gluon.nn.basic_layers import (
    Dense,
    Dropout,
    Embedding,
    Flatten,
    HybridLambda,
    HybridSequential,
    Lambda,
    Sequential,
)
from tracegrad.gluon.nn.conv_layers import *  # noqa: F401,F403  (Conv2D, MaxPool2D, ...)
from tracegrad.gluon.nn.conv_layers import __all__ as _conv_all
from tracegrad.gluon.nn.norm_layers import (
    BatchNorm,
    BatchNormReLU,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
)

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "Swish", "GELU", "Sequential",
           "HybridSequential", "Dense", "Dropout", "Embedding", "Flatten", "Lambda",
           "HybridLambda", "BatchNorm", "BatchNormReLU", "LayerNorm", "InstanceNorm",
           "GroupNorm", "Block", "HybridBlock", *_conv_all]
