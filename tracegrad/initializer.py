"""Weight initializers, as ``mxnet.init`` / ``mxnet.initializer``.

An initializer fills an NDArray in place. Gluon calls it with an :class:`InitDesc` (the
parameter's name, and its own initializer in ``attrs['__init__']``): a parameter that names
its own initializer (``bias_initializer='zeros'``) gets that one's ``_init_weight``; the
others get the global one's ``_init_weight``, as in MXNet 1.x. Called with a plain name
outside Gluon, the name's suffix decides (``weight``, ``bias``, ``gamma``, ``beta``...).

Random draws use NumPy's global generator (``nd.random.seed`` / ``np.random.seed``), never
the traced random primitives, so initialising inside a ``jit`` trace still gives values.

>>> from tracegrad import init, nd
>>> w = nd.zeros((2, 3))
>>> init.Constant(0.5)(init.InitDesc("fc_weight"), w)
>>> w.asnumpy().tolist()
[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
>>> init.Xavier().dumps()
'["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable

import numpy as np

from tracegrad.ndarray import NDArray

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Zero", "One",
           "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Mixed",
           "Load"]


class InitDesc(str):
    """A parameter's name with its attributes (``attrs['__init__']``: its own initializer)
    and the global initializer to fall back to."""

    def __new__(cls, name: str, attrs: dict | None = None, global_init: Any = None) -> InitDesc:
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _fill(arr: NDArray, values: Any) -> None:
    """Write ``values`` into ``arr`` in place (its dtype kept), outside any graph."""
    if not isinstance(arr, NDArray):
        raise TypeError(f"initializers fill an NDArray, got {type(arr).__name__}")
    arr._own()
    np.copyto(arr._data, np.asarray(values), casting="unsafe")


class Initializer:
    """The base class: subclasses define ``_init_weight(name, arr)``."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable | None = None

    def set_verbosity(self, verbose: bool = False, print_func: Callable | None = None) -> Any:
        """Log each initialised array (by default its norm / sqrt(size))."""
        self._verbose = verbose
        self._print_func = print_func or (
            lambda x: str(float(np.linalg.norm(x.asnumpy()) / np.sqrt(x.size))))
        return self

    def _verbose_print(self, desc: str, init: Any, arr: NDArray) -> None:
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self) -> str:
        """The initializer as JSON: ``'["normal", {"sigma": 0.5}]'``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc: Any, arr: NDArray) -> None:
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in (("weight", self._init_weight), ("bias", self._init_bias),
                               ("gamma", self._init_gamma), ("beta", self._init_beta),
                               ("running_mean", self._init_zero),
                               ("running_var", self._init_one),
                               ("moving_mean", self._init_zero),
                               ("moving_var", self._init_one),
                               ("min", self._init_zero), ("max", self._init_one)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _init_zero(self, _: Any, arr: NDArray) -> None:
        _fill(arr, 0.0)

    def _init_one(self, _: Any, arr: NDArray) -> None:
        _fill(arr, 1.0)

    _init_bias = _init_zero
    _init_beta = _init_zero
    _init_gamma = _init_one

    def _init_weight(self, name: Any, arr: NDArray) -> None:
        raise NotImplementedError("Must override it")

    def _init_default(self, name: Any, _: Any) -> None:
        raise ValueError(
            f"Unknown initialization pattern for {name}. Default initialization is now "
            'limited to "weight", "bias", "gamma" (1.0), and "beta" (0.0).Please use '
            "mx.sym.Variable(init=mx.init.*) to set initialization pattern")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{self.__class__.__name__}({args})"


_REGISTRY: dict[str, type] = {}


def register(klass: type) -> type:
    """Register an Initializer subclass under its lower-case class name (``create`` finds
    it by name)."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Register a class under more names: ``@alias('zeros')``."""
    def reg(klass: type) -> type:
        for name in aliases:
            _REGISTRY[name.lower()] = klass
        return klass
    return reg


def create(init: Any, **kwargs: Any) -> Initializer:
    """An Initializer from an instance, a registered name (``'zeros'``, ``'xavier'``) or the
    JSON of ``dumps()``."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, type) and issubclass(init, Initializer):
        return init(**kwargs)
    if not isinstance(init, str):
        raise TypeError(f"cannot create an initializer from {init!r}")
    if init.startswith("["):
        name, kw = json.loads(init)
        kwargs = {**kw, **kwargs}
    else:
        name = init
    klass = _REGISTRY.get(name.lower())
    if klass is None:
        raise ValueError(f"Cannot find initializer {name}. Registered: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return klass(**kwargs)


def _dtype_of(arr: NDArray) -> np.dtype:
    return np.dtype(arr._data.dtype)


@register
@alias("zeros")
class Zero(Initializer):
    """Fills with 0."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        _fill(arr, 0.0)


@register
@alias("ones")
class One(Initializer):
    """Fills with 1."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        _fill(arr, 1.0)


@register
class Constant(Initializer):
    """Fills with ``value`` (a scalar, or an array of the parameter's shape)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        v = self.value.asnumpy() if isinstance(self.value, NDArray) else self.value
        _fill(arr, np.broadcast_to(np.asarray(v), arr.shape))

    def dumps(self) -> str:
        val = self._kwargs["value"]
        if not np.isscalar(val):
            val = np.asarray(val.asnumpy() if isinstance(val, NDArray) else val).tolist()
        return json.dumps([self.__class__.__name__.lower(), {"value": val}])


@register
class Uniform(Initializer):
    """Uniform samples from [-scale, scale] (default 0.07: gluon's default initializer)."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        _fill(arr, np.random.uniform(-self.scale, self.scale, arr.shape))


@register
class Normal(Initializer):
    """Normal samples with mean 0 and standard deviation ``sigma`` (default 0.01)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        _fill(arr, np.random.normal(0.0, self.sigma, arr.shape))


@register
class Orthogonal(Initializer):
    """An orthogonal matrix (from the SVD of a random one), times ``scale``."""

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = np.random.uniform(-1.0, 1.0, (nout, nin))
        elif self.rand_type == "normal":
            tmp = np.random.normal(0.0, 1.0, (nout, nin))
        else:
            raise ValueError(f"Unknown random type {self.rand_type!r}")
        u, _s, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _fill(arr, self.scale * res.reshape(arr.shape))


@register
class Xavier(Initializer):
    """Xavier/Glorot: ``scale = sqrt(magnitude / factor)`` with factor the average (``'avg'``),
    ``fan_in`` (``'in'``) or ``fan_out`` (``'out'``), where fan_in = shape[1] * prod(shape[2:])
    and fan_out = shape[0] * prod(shape[2:]); samples are uniform in [-scale, scale]
    (``rnd_type='uniform'``) or normal with std ``scale`` (``'gaussian'``). Defaults:
    uniform, avg, magnitude 3, as in MXNet."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _scale(self, name: Any, shape: tuple) -> float:
        if len(shape) < 2:
            raise ValueError(f"Xavier initializer cannot be applied to vector {name}. It "
                             "requires at least 2D.")
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        if self.factor_type == "avg":
            factor = (fan_in + fan_out) / 2.0
        elif self.factor_type == "in":
            factor = fan_in
        elif self.factor_type == "out":
            factor = fan_out
        else:
            raise ValueError("Incorrect factor type")
        return float(np.sqrt(self.magnitude / factor))

    def _init_weight(self, name: Any, arr: NDArray) -> None:
        scale = self._scale(name, arr.shape)
        if self.rnd_type == "uniform":
            _fill(arr, np.random.uniform(-scale, scale, arr.shape))
        elif self.rnd_type == "gaussian":
            _fill(arr, np.random.normal(0.0, scale, arr.shape))
        else:
            raise ValueError("Unknown random type")


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialisation: Xavier with gaussian samples and magnitude 2 / (1 + slope²)."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


class Mixed:
    """Initialize each parameter with the first initializer whose regex matches its name."""

    def __init__(self, patterns: list[str], initializers: list[Initializer]) -> None:
        if len(patterns) != len(initializers):
            raise ValueError("Mixed needs as many patterns as initializers")
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name: Any, arr: NDArray) -> None:
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError(f"Parameter name {name} did not match any pattern. Consider add a "
                         '".*" pattern at the and with default Initializer.')


class Load:
    """Initialize from a dict of arrays (or a file saved by ``nd.save``), falling back to
    ``default_init`` for names it does not hold."""

    def __init__(self, param: Any, default_init: Initializer | None = None,
                 verbose: bool = False) -> None:
        if isinstance(param, str):
            from tracegrad import nd

            param = nd.load(param)
        self.param = {(k[4:] if k.startswith(("arg:", "aux:")) else k): v
                      for k, v in param.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: Any, arr: NDArray) -> None:
        if name in self.param:
            src = self.param[name]
            if tuple(src.shape) != arr.shape:
                raise ValueError(f"Parameter {name} cannot be initialized from loading. Shape "
                                 f"mismatch, target {arr.shape} vs loaded {tuple(src.shape)}")
            _fill(arr, np.asarray(src.asnumpy() if isinstance(src, NDArray) else src))
        elif self.default_init is not None:
            self.default_init(name, arr)
        else:
            raise ValueError(f"Cannot Initialize {name}. Not found in loaded param and no "
                             "default Initializer is provided.")
