"""``gluon.Trainer``: applies an optimizer to a set of parameters.

``step(batch_size)`` sets the optimizer's ``rescale_grad`` to ``1 / batch_size`` (times the
optimizer's own ``rescale_grad``) and updates every parameter whose ``grad_req`` is not
``'null'``. A parameter whose gradient ``backward()`` has not written since the last step
is *stale*: that raises MXNet's error, unless ``ignore_stale_grad=True``, which skips it.

>>> from tracegrad import autograd, nd, gluon
>>> p = gluon.Parameter("w", shape=(2,), init="ones")
>>> p.initialize()
>>> trainer = gluon.Trainer([p], "sgd", {"learning_rate": 0.5})
>>> with autograd.record():
...     loss = (p.data() * nd.array([1.0, 2.0])).sum()
>>> loss.backward()
>>> trainer.step(1)
>>> p.data().asnumpy().tolist()
[0.5, 0.0]
"""

from __future__ import annotations

from typing import Any

from tracegrad import autograd
from tracegrad import optimizer as opt
from tracegrad.gluon.parameter import Parameter
from tracegrad.gluon.parameter_dict import ParameterDict

__all__ = ["Trainer"]

_STALE = ("Gradient of Parameter `{name}` on context {ctx} has not been updated by backward "
          "since last `step`. This could mean a bug in your model that made it only use a "
          "subset of the Parameters (Blocks) for this iteration. If you are intentionally "
          "only using a subset, call step with ignore_stale_grad=True to suppress this "
          "warning and skip updating of Parameters with stale gradient")


def _fresh(data: Any) -> bool:
    """Whether backward() wrote this variable's gradient since the last step."""
    fresh = getattr(autograd, "FRESH_GRADS", None)
    return True if fresh is None else fresh.get(id(data)) is data


def _clear_fresh(data: Any) -> None:
    fresh = getattr(autograd, "FRESH_GRADS", None)
    if fresh is not None and fresh.get(id(data)) is data:
        del fresh[id(data)]


class Trainer:
    """``Trainer(params, optimizer, optimizer_params)``: ``params`` is a ParameterDict (its
    parameters sorted by name, as MXNet does), a dict or a list of Parameters; ``optimizer``
    a name (``'sgd'``, ``'adam'``...) with its ``optimizer_params``, or an Optimizer."""

    def __init__(self, params: Any, optimizer: Any, optimizer_params: dict | None = None,
                 kvstore: Any = "device", compression_params: Any = None,
                 update_on_kvstore: Any = None) -> None:
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f"First argument must be a list or dict of Parameters, got "
                             f"{type(params)}.")
        self._params: list[Parameter] = []
        self._param2idx: dict[str, int] = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got "
                                 f"list of {type(param)}.")
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
        for param in self._params:
            param.list_ctx()  # raises for a parameter that was never initialised
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore = None
        self._update_on_kvstore = None

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict) -> None:
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise AssertionError("optimizer_params must be None if optimizer is an "
                                     "instance of Optimizer instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer)]

    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Set a new learning rate (not with an lr_scheduler)."""
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One update of every parameter with gradients normalised by ``1/batch_size``."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Nothing to reduce: tracegrad keeps one copy of each gradient."""

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """The update half of ``step`` (after ``allreduce_grads``)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        indices, grads, weights = [], [], []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            data = param.list_data()[0]
            if not ignore_stale_grad and not _fresh(data):
                raise UserWarning(_STALE.format(name=param.name, ctx=data.context))
            if not ignore_stale_grad or _fresh(data):
                indices.append(i)
                grads.append(param.list_grad()[0])
                weights.append(data)
                _clear_fresh(data)
        if indices:
            self._updaters[0](indices, grads, weights)

    def save_states(self, fname: str) -> None:
        """Save the optimizer and its states (a pickle; not MXNet's file)."""
        with open(fname, "wb") as fout:
            fout.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname: str) -> None:
        with open(fname, "rb") as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
