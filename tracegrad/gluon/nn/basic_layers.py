"""Containers and basic layers: ``Sequential``, ``HybridSequential``, ``Dense``,
``Dropout``, ``Flatten``, ``Embedding``, ``Lambda``, ``HybridLambda``.

>>> from tracegrad import nd
>>> from tracegrad.gluon import nn
>>> net = nn.HybridSequential(prefix="mlp_")
>>> with net.name_scope():
...     net.add(nn.Dense(4, activation="relu"), nn.Dense(2))
>>> net.initialize()
>>> net(nd.ones((3, 5))).shape
(3, 2)
>>> net
HybridSequential(
  (0): Dense(5 -> 4, Activation(relu))
  (1): Dense(4 -> 2, linear)
)
>>> list(net.collect_params().keys())
['mlp_dense0_weight', 'mlp_dense0_bias', 'mlp_dense1_weight', 'mlp_dense1_bias']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.gluon.block import Block, HybridBlock
from tracegrad.gluon.nn.activations import Activation
from tracegrad.gluon.utils import _indent

__all__ = ["Sequential", "HybridSequential", "Dense", "Dropout", "Embedding", "Flatten",
           "Lambda", "HybridLambda"]


class _Stack:
    """What Sequential and HybridSequential share: add, indexing, len, repr."""

    _children: Any
    _prefix: str

    def add(self, *blocks: Any) -> None:
        """Append blocks; they run in the order added."""
        for block in blocks:
            self.register_child(block)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self._children.items())
        return f"{self.__class__.__name__}(\n{modstr}\n)"

    def __getitem__(self, key: Any) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)  # type: ignore[call-arg]
            with net.name_scope():  # type: ignore[attr-defined]
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)


class Sequential(_Stack, Block):
    """Blocks applied one after the other (eagerly; see HybridSequential)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        Block.__init__(self, prefix=prefix, params=params)

    def forward(self, x: Any) -> Any:
        for block in self._children.values():
            x = block(x)
        return x

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(f"All children of this Sequential layer '{self.prefix}' are "
                          "HybridBlocks. Consider using HybridSequential for the best "
                          "performance.", stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """HybridBlocks applied one after the other; hybridized, the whole stack is one
    compiled graph."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        HybridBlock.__init__(self, prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        for block in self._children.values():
            x = block(x)
        return x


class Dense(HybridBlock):
    """A fully connected layer: ``activation(dot(x, weight.T) + bias)``. ``in_units=0``
    (the default) infers the input size at the first forward pass. The weight uses the
    global initializer unless ``weight_initializer`` is given; the bias starts at zero."""

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 flatten: bool = True, dtype: Any = "float32", weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_units: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") \
                if activation is not None else None

    def infer_shape(self, x: Any, *args: Any) -> None:
        in_units = int(np.prod(x.shape[1:])) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        out = nd.FullyConnected(x, weight, bias, no_bias=bias is None,
                                 num_hidden=self._units, flatten=self._flatten)
        if self.act is not None:
            out = self.act(out)
        return out

    def __repr__(self) -> str:
        shape = self.weight.shape
        return (f"{self.__class__.__name__}({shape[1] if shape[1] else None} -> {shape[0]}, "
                f"{self.act if self.act else 'linear'})")


class Dropout(HybridBlock):
    """Zero each element with probability ``rate`` (scaling the rest by 1/(1-rate)) in
    training mode; the identity when predicting. ``axes`` shares the mask along them."""

    def __init__(self, rate: float, axes: tuple = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._rate <= 0:
            return x * 1.0 if x.is_traced else x.copy()
        if not self._axes:
            return nd.Dropout(x, p=self._rate)
        from tracegrad.state import is_training

        if not is_training():
            return x
        shape = tuple(1 if i in [a % x.ndim for a in self._axes] else n
                      for i, n in enumerate(x.shape))
        keep = nd.random.uniform(0.0, 1.0, shape=shape, dtype=np.dtype(x.dtype).name) \
            >= self._rate
        return x * keep / (1.0 - self._rate)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p = {self._rate}, axes={self._axes})"


class Embedding(HybridBlock):
    """Rows of a ``(input_dim, output_dim)`` weight, looked up by index."""

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, sparse_grad: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if sparse_grad:
            warnings.warn("Embedding(sparse_grad=True): tracegrad has no sparse arrays; the "
                          "gradient is dense", stacklevel=2)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True)

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        return nd.Embedding(x, weight, **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return f"{self.__class__.__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class Flatten(HybridBlock):
    """Reshape to ``(batch, -1)``."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x.reshape((x.shape[0], -1)) if x.ndim != 2 else x

    def __repr__(self) -> str:
        return self.__class__.__name__


class Lambda(Block):
    """A Block around a function (or the name of an ``nd`` function)."""

    def __init__(self, function: Any, prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise AssertionError(f"Function name {function} is not found in ndarray.")
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type "
                             f"{type(function)}")

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._func_impl.__name__})"


class HybridLambda(HybridBlock):
    """A HybridBlock around ``function(F, x, *args)`` (or the name of an ``nd`` function)."""

    def __init__(self, function: Any, prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise AssertionError(f"Function name {function} is not found in "
                                     "symbol/ndarray.")
            impl = getattr(nd, function)
            self._func = lambda F, *args: impl(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type "
                             f"{type(function)}")

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._func_name})"
