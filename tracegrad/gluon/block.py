"""``Block`` and ``HybridBlock``: models as trees of layers, named as in MXNet 1.x.

Names: a block created outside any ``name_scope()`` takes a process-wide name from its class
(``dense0_``, ``dense1_``...); one created inside its parent's ``name_scope()`` gets the
parent's prefix and a count kept by that parent (``hybridsequential0_dense0_``). Its
parameters are named ``prefix + name`` (``dense0_weight``). ``prefix=`` and ``params=``
(sharing another block's parameters) work as in MXNet.

``HybridBlock.hybridize()`` compiles the forward pass per input signature with
``tracegrad.jit`` (see :mod:`tracegrad.gluon.hybrid`); until then, and for children of a
compiled block, ``hybrid_forward(F, x, **params)`` runs eagerly with ``F = nd``.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from typing import Any

from tracegrad import initializer, nd
from tracegrad.gluon.block_io import ParameterFiles
from tracegrad.gluon.parameter import TRACE_VALUES, DeferredInitializationError, Parameter
from tracegrad.gluon.parameter_dict import ParameterDict
from tracegrad.gluon.utils import HookHandle, _indent

__all__ = ["Block", "HybridBlock"]


class _Names(threading.local):
    """Process-wide (per thread) counters of block names outside any name scope."""

    def __init__(self) -> None:
        self.counter: dict[str, int] = {}
        self.scope: _BlockScope | None = None


_NAMES = _Names()


class _BlockScope:
    """The scope of ``with block.name_scope():``: children created inside are named after
    the block."""

    def __init__(self, block: Block) -> None:
        self._block = block
        self._counter: dict[str, int] = {}
        self._old_scope: _BlockScope | None = None

    @staticmethod
    def create(prefix: str | None, params: ParameterDict | None,
               hint: str) -> tuple[str, ParameterDict]:
        current = _NAMES.scope
        if current is None:
            if prefix is None:
                count = _NAMES.counter.get(hint, 0)
                _NAMES.counter[hint] = count + 1
                prefix = f"{hint}{count}_"
            params = ParameterDict(prefix) if params is None else \
                ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self) -> _BlockScope:
        if self._block._empty_prefix:
            return self
        self._old_scope = _NAMES.scope
        _NAMES.scope = self
        return self

    def __exit__(self, *exc: object) -> None:
        if self._block._empty_prefix:
            return
        _NAMES.scope = self._old_scope


class Block(ParameterFiles):
    """The base class of layers and models: define ``forward``; assign children as
    attributes (they are registered) and parameters with ``self.params.get``."""

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children: OrderedDict[str, Block] = OrderedDict()
        self._reg_params: dict[str, Parameter] = {}
        self._forward_hooks: OrderedDict = OrderedDict()
        self._forward_pre_hooks: OrderedDict = OrderedDict()

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self.__dict__.items() if isinstance(block, Block))
        return f"{self.__class__.__name__}(\n{modstr}\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(f"Changing attribute type for {name} from {type(existing)} to "
                                f"{type(value)}is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise AssertionError(
                    f"Overriding Parameter attribute {name} is not allowed. If you want to "
                    "share parameters between blocks, please set 'params' at Block "
                    "construction instead.")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self) -> None:
        _warn_unregistered(self)

    def _alias(self) -> str:
        return self.__class__.__name__.lower()

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def name(self) -> str:
        return self._name

    def name_scope(self) -> _BlockScope:
        """``with self.name_scope():`` names the children created inside after this block."""
        return self._scope

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's: see ``collect_params``)."""
        return self._params

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """This block's and its children's parameters; ``select`` is a regular expression
        matched against the names (``'.*weight|.*bias'``)."""
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({k: v for k, v in self.params.items() if pattern.match(k)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        if prefix:
            prefix += "."
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def register_child(self, block: Block, name: str | None = None) -> None:
        """Register ``block`` as a child (attributes that are Blocks are registered
        automatically)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook: Any) -> HookHandle:
        """``hook(block, inputs)`` runs before each ``forward``."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook: Any) -> HookHandle:
        """``hook(block, inputs, outputs)`` runs after each ``forward``."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn: Any) -> Block:
        """Call ``fn(block)`` on every child, recursively, then on this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init: Any = initializer.Uniform(), ctx: Any = None,
                   verbose: bool = False, force_reinit: bool = False) -> None:
        """``collect_params().initialize(...)``: ``init`` is the default initializer of the
        parameters that have none of their own."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize the HybridBlock children (a plain Block itself runs eagerly)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        for child in self._children.values():
            child.cast(dtype)
        for _, param in self.params.items():
            param.cast(dtype)

    def __call__(self, *args: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError

    def register_op_hook(self, callback: Any, monitor_all: bool = False) -> None:
        raise NotImplementedError("register_op_hook is not supported by tracegrad; use "
                                  "register_forward_hook, or block.explain() for the graph")

    def summary(self, *inputs: Any) -> None:
        """Print each layer's output shape and parameter count, as MXNet does."""
        from tracegrad.gluon.summary import print_summary

        print_summary(self, inputs)

    def explain(self) -> str:
        """What hybridize() compiled, per block (see HybridBlock.explain)."""
        parts = [c.explain() for c in self._children.values()]
        return "\n".join(p for p in parts if p) or f"{self.name}: nothing is hybridized"


def _warn_unregistered(block: Block) -> None:
    """Warn about lists, tuples and dicts of Blocks assigned as attributes: they are not
    registered as children (MXNet's warning)."""
    children = set(block._children.values())

    def unregistered(data: Any) -> bool:
        if isinstance(data, (list, tuple)):
            return any(unregistered(x) for x in data)
        if isinstance(data, dict):
            return any(unregistered(x) for x in data.values())
        return isinstance(data, Block) and data not in children

    for k, v in block.__dict__.items():
        if isinstance(v, (list, tuple, dict)) and not (k.startswith("__") or k == "_children"):
            if unregistered(v):
                warnings.warn(
                    f'"{block.__class__.__name__}.{k}" is an unregistered container with '
                    "Blocks. Note that Blocks inside the list, tuple or dict will not be "
                    "registered automatically. Make sure to register them using "
                    "register_child() or switching to nn.Sequential/nn.HybridSequential "
                    "instead. ", stacklevel=4)


class HybridBlock(Block):
    """A block whose ``hybrid_forward(F, x, *args, **params)`` can be compiled: after
    ``hybridize()``, each call runs a graph compiled per input signature."""

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._cached: Any = None
        self._flags: dict = {}

    def register_child(self, block: Block, name: str | None = None) -> None:
        if not isinstance(block, HybridBlock):
            raise ValueError(
                f"Children of HybridBlock must also be HybridBlock, but {block} has type "
                f"{type(block)}. If you are using Sequential, please try HybridSequential "
                "instead.")
        super().register_child(block, name)
        self._clear_cached_op()

    def _clear_cached_op(self) -> None:
        self._cached = None

    def hybridize(self, active: bool = True, backend: Any = None, clear: bool = True,
                  static_alloc: bool = False, static_shape: bool = False, **kwargs: Any) -> None:
        """Compile this block's forward pass per input signature (``active=False`` turns it
        off). ``static_alloc``/``static_shape`` are accepted and have nothing to do here:
        compiled graphs are always specialised on shapes."""
        self._active = active
        self._flags = {"static_alloc": static_alloc, "static_shape": static_shape, **kwargs}
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn(f'"{self}" is being hybridized while still having forward '
                          f'hook/pre-hook. If "{self}" is a child of HybridBlock, the hooks '
                          "will not take effect.")
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape)

    def cast(self, dtype: Any) -> None:
        self._clear_cached_op()
        super().cast(dtype)

    def forward(self, x: Any, *args: Any) -> Any:
        if self._active and TRACE_VALUES.get() is None:
            from tracegrad.gluon.hybrid import CachedForward

            if self._cached is None:
                self._cached = CachedForward(self)
            return self._cached(x, *args)
        return self._eager_forward(x, *args)

    def _eager_forward(self, x: Any, *args: Any) -> Any:
        try:
            params = {k: v.data() for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            self._deferred_infer_shape(x, *args)
            for v in self.params.values():
                v._finish_deferred_init()
            params = {k: v.data() for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, x, *args, **params)

    def _deferred_infer_shape(self, *args: Any) -> None:
        try:
            self.infer_shape(*args)
        except Exception as e:
            raise ValueError("Deferred initialization failed because shape cannot be "
                             f"inferred. {e}") from e

    def infer_shape(self, *args: Any) -> None:
        """Set the unknown dimensions of this block's parameters from its inputs. Built-in
        layers define it; a custom block with deferred shapes must too."""
        unknown = [p.name for p in self.params.values() if p._deferred_init]
        raise NotImplementedError(
            f"{type(self).__name__} has parameters with unknown shapes ({', '.join(unknown)}) "
            "and no infer_shape(self, *inputs) method to set them (tracegrad has no symbolic "
            "shape inference). Give the shapes when creating the parameters, or define "
            "infer_shape.")

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> None:
        raise NotImplementedError("export() writes MXNet's symbol JSON, which tracegrad does "
                                  "not have; use save_parameters, and block.explain() / "
                                  "block.lower(x) for the compiled graph")

    def explain(self) -> str:
        """The compile ledger of the hybridized forward pass (``tracegrad.jit``'s
        ``explain()``): signatures, cache hits, fallbacks to eager and their lines."""
        if self._cached is None:
            own = f"{self.name}: not compiled" + ("" if self._active else " (not hybridized)")
            children = [c.explain() for c in self._children.values()]
            return "\n".join([own] + [c for c in children if c and "not compiled" not in c])
        return self._cached.explain()

    def lower(self, *inputs: Any) -> Any:
        """The stages (traced, optimised and fused IR, source) of the compiled forward pass
        for these inputs, as ``tracegrad.jit(...).lower``."""
        from tracegrad.gluon.hybrid import CachedForward

        if self._cached is None:
            self._cached = CachedForward(self)
        return self._cached.lower(*inputs)
