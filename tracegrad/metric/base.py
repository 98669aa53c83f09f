"""The base of the metrics: ``EvalMetric``, the registry and ``create``, composites and
custom functions, and MXNet's ``check_label_shapes``."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as _numpy

from tracegrad.ndarray import NDArray


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False,
                       shape: bool = False) -> tuple[Any, Any]:
    """Raise ValueError unless ``labels`` and ``preds`` have the same length (or, with
    ``shape=True``, the same shape); with ``wrap=True`` a single NDArray becomes a list."""
    got = (labels.shape, preds.shape) if shape else (len(labels), len(preds))
    if got[0] != got[1]:
        raise ValueError(f"Shape of labels {got[0]} does not match shape of predictions "
                         f"{got[1]}")
    if wrap:
        labels = [labels] if isinstance(labels, NDArray) else labels
        preds = [preds] if isinstance(preds, NDArray) else preds
    return labels, preds


def _host(x: Any) -> Any:
    """A label or prediction as a NumPy array (NumPy arrays are taken as they are)."""
    return x.asnumpy() if isinstance(x, NDArray) else _numpy.asarray(x)


class EvalMetric:
    """Base class of metrics: ``update`` adds to ``sum_metric`` and ``num_inst`` (and their
    ``global_`` twins); ``get`` is their quotient, NaN before any update."""

    def __init__(self, name: str, output_names: list[str] | None = None,
                 label_names: list[str] | None = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs  # the constructor's own arguments, for get_config()
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict:
        """The arguments that ``create(**config)`` rebuilds this metric from."""
        return {**self._kwargs, "metric": type(self).__name__, "name": self.name,
                "output_names": self.output_names, "label_names": self.label_names}

    def update_dict(self, label: dict, pred: dict) -> None:
        """``update`` with the arrays named by ``label_names``/``output_names`` (all when
        None) of name -> NDArray mappings."""
        preds = [pred[n] for n in self.output_names] if self.output_names is not None \
            else list(pred.values())
        labels = [label[n] for n in self.label_names] if self.label_names is not None \
            else list(label.values())
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    def _add(self, total: float, count: float) -> None:
        total = float(total)  # float64 sums, whatever NumPy scalar the batch gave
        self.sum_metric += total
        self.global_sum_metric += total
        self.num_inst += count
        self.global_num_inst += count

    def reset(self) -> None:
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> tuple[Any, Any]:
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, self.sum_metric / self.num_inst

    def get_global(self) -> tuple[Any, Any]:
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, self.global_sum_metric / self.global_num_inst

    def get_name_value(self) -> list[tuple[str, Any]]:
        return _pairs(self.get())

    def get_global_name_value(self) -> list[tuple[str, Any]]:
        return _pairs(self.get_global() if self._has_global_stats else self.get())


def _pairs(name_value: tuple[Any, Any]) -> list[tuple[str, Any]]:
    name, value = name_value
    return list(zip(name if isinstance(name, list) else [name],
                    value if isinstance(value, list) else [value]))


_REGISTRY: dict[str, type] = {}


def register(klass: type, name: str | None = None) -> type:
    """Register an EvalMetric subclass under ``name`` (its lower-case class name)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError(f"metric.register takes EvalMetric subclasses, got {klass!r}")
    _REGISTRY[(name or klass.__name__).lower()] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Register a metric class under more names: ``@alias('acc')``."""
    def reg(klass: type) -> type:
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name (``'acc'``, ``'f1'``...; extra arguments go to its
    constructor) or class, an instance (returned as it is), a config dict (``get_config()``), a list
    of any of these (a CompositeEvalMetric), or a function ``feval(label, pred)`` of NumPy
    arrays (a CustomMetric)."""
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise ValueError("metric.create: an EvalMetric instance takes no further "
                             "arguments")
        return metric
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        return create(**{**metric, **kwargs})
    if not isinstance(metric, str):
        raise TypeError(f"metric.create: cannot make a metric from {metric!r} "
                        f"({type(metric).__name__}); give a name, an EvalMetric, a list or "
                        "a function")
    klass = _REGISTRY.get(metric.lower())
    if klass is None:
        raise ValueError(f"metric {metric!r} is not registered; known: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return klass(*args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get`` returns the lists of their names and
    values."""

    def __init__(self, metrics: list | None = None, name: str = "composite",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        self.metrics: list[EvalMetric] = []
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in metrics or []]

    def add(self, metric: Any) -> None:
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        try:
            return self.metrics[index]
        except IndexError:
            raise ValueError(f"Metric index {index} is out of range 0 and "
                             f"{len(self.metrics)}") from None

    def update_dict(self, labels: dict, preds: dict) -> None:
        if self.label_names is not None:
            labels = OrderedDict((k, v) for k, v in labels.items() if k in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict((k, v) for k, v in preds.items() if k in self.output_names)
        for m in self.metrics:
            m.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for m in self.metrics:
            m.update(labels, preds)

    def reset(self) -> None:
        for m in getattr(self, "metrics", []):
            m.reset()

    def reset_local(self) -> None:
        for m in self.metrics:
            m.reset_local()

    def _collect(self, get: Callable[[EvalMetric], tuple[Any, Any]]) -> tuple[list, list]:
        names: list = []
        values: list = []
        for m in self.metrics:
            name, value = get(m)
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> tuple[list, list]:
        return self._collect(lambda m: m.get())

    def get_global(self) -> tuple[list, list]:
        return self._collect(lambda m: m.get_global())

    def get_config(self) -> dict:
        return {**super().get_config(), "metrics": [m.get_config() for m in self.metrics]}


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning a value (averaged over
    calls) or a ``(sum, count)`` pair."""

    def __init__(self, feval: Callable, name: str | None = None,
                 allow_extra_outputs: bool = False, output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            value = self._feval(_host(label), _host(pred))
            if isinstance(value, tuple):
                self._add(*value)
            else:
                self._add(value, 1)

    def get_config(self) -> dict:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable, name: str | None = None,  # noqa: A001  (MXNet's name)
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A :class:`CustomMetric` from a function of NumPy arrays (``mx.metric.np``)."""
    def feval(label: Any, pred: Any) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
