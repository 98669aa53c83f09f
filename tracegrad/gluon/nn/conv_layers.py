"""Convolution and pooling layers: ``Conv1D/2D/3D``, ``Conv1D/2D/3DTranspose``,
``MaxPool1D/2D/3D``, ``AvgPool1D/2D/3D``, ``GlobalMaxPool1D/2D/3D``, ``GlobalAvgPool1D/2D/3D``.

They call ``nd.Convolution``, ``nd.Deconvolution`` and ``nd.Pooling`` (:mod:`tracegrad.ops_conv`)
with MXNet 1.9.1's parameter names (``conv0_weight``, ``conv0_bias``; pooling layers are
``pool0_``), shapes (weight ``(channels, in_channels / groups, *kernel)``, transposed
``(in_channels, channels / groups, *kernel)``; ``in_channels=0`` is inferred at the first
forward pass), defaults and reprs. Layouts are channels-first (NCW, NCHW, NCDHW).

>>> from tracegrad import nd
>>> from tracegrad.gluon import nn
>>> net = nn.HybridSequential(prefix="net_")
>>> with net.name_scope():
...     net.add(nn.Conv2D(4, kernel_size=3, activation="relu"), nn.MaxPool2D())
>>> net.initialize()
>>> net(nd.ones((2, 1, 8, 8))).shape
(2, 4, 3, 3)
>>> list(net.collect_params().keys())
['net_conv0_weight', 'net_conv0_bias']
>>> net[0]
Conv2D(1 -> 4, kernel_size=(3, 3), stride=(1, 1), Activation(relu))
"""

from __future__ import annotations

from typing import Any

from tracegrad.gluon.block import HybridBlock
from tracegrad.gluon.nn.activations import Activation
from tracegrad.ops_conv import Convolution, Deconvolution, Pooling

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]

_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


def _per_axis(value: Any, nd: int, name: str) -> tuple[int, ...]:
    """An int (the same on every axis) or one int per axis."""
    out = (int(value),) * nd if isinstance(value, int) else tuple(int(v) for v in value)
    if len(out) != nd:
        raise ValueError(f"{name} must be a number or a list of {nd} ints, got {value!r}")
    return out


def _check_layout(layout: str, nd: int, what: str) -> None:
    if layout != _LAYOUTS[nd]:
        raise ValueError(f"{what}: layout {layout!r} is not supported; tracegrad runs "
                         f"{_LAYOUTS[nd]!r} (MXNet runs channels-last layouts on GPU only)")


class _Conv(HybridBlock):
    """What every convolution layer shares: the parameters, the forward pass, the repr."""

    _transposed = False

    def __init__(self, channels: int, kernel_size: Any, strides: Any, padding: Any,
                 dilation: Any, groups: int, layout: str, in_channels: int = 0,
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 output_padding: Any = None, nd: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_layout(layout, nd, type(self).__name__)
        kernel = _per_axis(kernel_size, nd, "kernel_size")
        with self.name_scope():
            self._channels = int(channels)
            self._in_channels = int(in_channels)
            self._groups = int(groups)
            self._kwargs: dict[str, Any] = {
                "kernel": kernel, "stride": _per_axis(strides, nd, "strides"),
                "dilate": _per_axis(dilation, nd, "dilation"),
                "pad": _per_axis(padding, nd, "padding"), "num_filter": self._channels,
                "num_group": self._groups, "no_bias": not use_bias, "layout": layout}
            if output_padding is not None:
                self._kwargs["adj"] = _per_axis(output_padding, nd, "output_padding")
            self.weight = self.params.get("weight", shape=self._weight_shape(in_channels),
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(self._channels,),
                                            init=bias_initializer, allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") \
                if activation is not None else None

    def _weight_shape(self, in_channels: int) -> tuple[int, ...]:
        kernel = self._kwargs["kernel"]
        if self._transposed:
            return (in_channels, self._channels // self._groups) + kernel
        return (self._channels, in_channels // self._groups) + kernel

    def _alias(self) -> str:
        return "conv"

    def infer_shape(self, x: Any, *args: Any) -> None:
        self.weight.shape = self._weight_shape(x.shape[1])

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        op = Deconvolution if self._transposed else Convolution
        out = op(x, weight, bias, **self._kwargs)
        if self.act is not None:
            out = self.act(out)
        return out

    def __repr__(self) -> str:
        k = self._kwargs
        n = len(k["kernel"])
        text = f"kernel_size={k['kernel']}, stride={k['stride']}"
        if k["pad"] != (0,) * n:
            text += f", padding={k['pad']}"
        if k["dilate"] != (1,) * n:
            text += f", dilation={k['dilate']}"
        # (MXNet 1.9.1 never prints output_padding: its repr looks for an attribute the
        # layer does not have; kept so that printed models read the same)
        if k["num_group"] != 1:
            text += f", groups={k['num_group']}"
        if self.bias is None:
            text += ", bias=False"
        if self.act is not None:
            text += f", {self.act}"
        shape = self.weight.shape
        # as MXNet prints it: weight.shape[1] -> weight.shape[0] (for a transposed
        # convolution, (channels / groups) -> in_channels)
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{type(self).__name__}({mapping}, {text})"


class Conv1D(_Conv):
    """1-d convolution over (N, C, W) inputs; see :class:`Conv2D`."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, layout: str = "NCW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, nd=1, **kwargs)


class Conv2D(_Conv):
    """2-d convolution over (N, C, H, W) inputs: ``channels`` filters of ``kernel_size``
    (an int or a pair), with ``strides``, ``padding`` (zeros), ``dilation`` and ``groups``;
    ``activation`` applied to the output. ``in_channels=0`` infers the input channels at
    the first forward pass. The weight uses the global initializer unless
    ``weight_initializer`` is given; the bias starts at zero."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: Any = (0, 0), dilation: Any = (1, 1), groups: int = 1,
                 layout: str = "NCHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, nd=2, **kwargs)


class Conv3D(_Conv):
    """3-d convolution over (N, C, D, H, W) inputs; see :class:`Conv2D`."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: Any = (0, 0, 0), dilation: Any = (1, 1, 1), groups: int = 1,
                 layout: str = "NCDHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, nd=3, **kwargs)


class _ConvTranspose(_Conv):
    _transposed = True


class Conv1DTranspose(_ConvTranspose):
    """1-d transposed convolution; see :class:`Conv2DTranspose`."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, dilation: Any = 1, groups: int = 1,
                 layout: str = "NCW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding=output_padding, nd=1, **kwargs)
        self.outpad = self._kwargs["adj"]


class Conv2DTranspose(_ConvTranspose):
    """2-d transposed convolution ("deconvolution"): the gradient of a convolution with
    respect to its input, as a layer. The output is ``strides * (x - 1) + dilation *
    (kernel_size - 1) + 1 - 2 * padding + output_padding`` on each axis; the weight is
    ``(in_channels, channels / groups, *kernel_size)``."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: Any = (0, 0), output_padding: Any = (0, 0), dilation: Any = (1, 1),
                 groups: int = 1, layout: str = "NCHW", activation: str | None = None,
                 use_bias: bool = True, weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding=output_padding, nd=2, **kwargs)
        self.outpad = self._kwargs["adj"]


class Conv3DTranspose(_ConvTranspose):
    """3-d transposed convolution; see :class:`Conv2DTranspose`."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: Any = (0, 0, 0), output_padding: Any = (0, 0, 0),
                 dilation: Any = (1, 1, 1), groups: int = 1, layout: str = "NCDHW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding=output_padding, nd=3, **kwargs)
        self.outpad = self._kwargs["adj"]


# -- pooling ----------------------------------------------------------------------------------

class _Pooling(HybridBlock):
    """What the pooling layers share. ``strides=None`` means the pool size; ``ceil_mode``
    is MXNet's 'full' pooling convention (the last window may stick out)."""

    def __init__(self, pool_size: Any, strides: Any, padding: Any, ceil_mode: bool,
                 global_pool: bool, pool_type: str, layout: str, nd: int,
                 count_include_pad: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_layout(layout, nd, type(self).__name__)
        kernel = _per_axis(pool_size, nd, "pool_size")
        self._kwargs: dict[str, Any] = {
            "kernel": kernel,
            "stride": kernel if strides is None else _per_axis(strides, nd, "strides"),
            "pad": _per_axis(padding, nd, "padding"), "global_pool": global_pool,
            "pool_type": pool_type, "layout": layout,
            "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self) -> str:
        return "pool"

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return Pooling(x, **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return (f"{type(self).__name__}(size={k['kernel']}, stride={k['stride']}, "
                f"padding={k['pad']}, ceil_mode={k['pooling_convention'] == 'full'}, "
                f"global_pool={k['global_pool']}, pool_type={k['pool_type']}, "
                f"layout={k['layout']})")


class MaxPool1D(_Pooling):
    """Max pooling over (N, C, W) inputs; see :class:`MaxPool2D`."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: Any = 0,
                 layout: str = "NCW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, 1,
                         **kwargs)


class MaxPool2D(_Pooling):
    """Max pooling over (N, C, H, W) inputs: windows of ``pool_size`` every ``strides``
    (default: the pool size), ``padding`` on both sides, ``ceil_mode`` rounding the window
    count up. The gradient goes to each window's first maximum, as in MXNet."""

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: Any = 0,
                 layout: str = "NCHW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, 2,
                         **kwargs)


class MaxPool3D(_Pooling):
    """Max pooling over (N, C, D, H, W) inputs; see :class:`MaxPool2D`."""

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, 3,
                         **kwargs)


class AvgPool1D(_Pooling):
    """Average pooling over (N, C, W) inputs; see :class:`AvgPool2D`."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: Any = 0,
                 layout: str = "NCW", ceil_mode: bool = False, count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, 1,
                         count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """Average pooling over (N, C, H, W) inputs; ``count_include_pad`` (default True)
    counts the zero padding in each window's size, as MXNet."""

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCHW", count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, 2,
                         count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """Average pooling over (N, C, D, H, W) inputs; see :class:`AvgPool2D`."""

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCDHW",
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, 3,
                         count_include_pad, **kwargs)


def _global(name: str, pool_type: str, nd: int) -> type:
    def __init__(self: Any, layout: str = _LAYOUTS[nd], **kwargs: Any) -> None:
        _Pooling.__init__(self, (1,) * nd, None, 0, True, True, pool_type, layout, nd,
                          **kwargs)

    kind = "Maximum" if pool_type == "max" else "Average"
    doc = (f"{kind} of each channel over all {nd}-d positions: output (N, C"
           f"{', 1' * nd}).")
    return type(name, (_Pooling,), {"__init__": __init__, "__doc__": doc,
                                    "__module__": __name__})


GlobalMaxPool1D = _global("GlobalMaxPool1D", "max", 1)
GlobalMaxPool2D = _global("GlobalMaxPool2D", "max", 2)
GlobalMaxPool3D = _global("GlobalMaxPool3D", "max", 3)
GlobalAvgPool1D = _global("GlobalAvgPool1D", "avg", 1)
GlobalAvgPool2D = _global("GlobalAvgPool2D", "avg", 2)
GlobalAvgPool3D = _global("GlobalAvgPool3D", "avg", 3)


class ReflectionPad2D(HybridBlock):
    """Pads the two spatial axes of NCHW input by reflecting it at its borders; ``padding``
    is an int (the same on every side) or MXNet's 8-tuple ``pad_width``."""

    def __init__(self, padding: Any = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if len(padding) != 8:
            raise ValueError(f"ReflectionPad2D: padding must be an int or 8 numbers, got "
                             f"{padding!r}")
        self._padding = tuple(padding)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.pad(x, mode="reflect", pad_width=self._padding)
