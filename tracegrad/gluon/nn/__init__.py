"""``gluon.nn``: layers. (Convolution and pooling layers will live in ``conv_layers.py``.)"""

from tracegrad.gluon.block import Block, HybridBlock  # as in mxnet.gluon.nn
from tracegrad.gluon.nn.activations import ELU, SELU, Activation, LeakyReLU, PReLU, Swish
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
from tracegrad.gluon.nn.norm_layers import BatchNorm, LayerNorm

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "Swish", "Sequential",
           "HybridSequential", "Dense", "Dropout", "Embedding", "Flatten", "Lambda",
           "HybridLambda", "BatchNorm", "LayerNorm", "Block", "HybridBlock"]
