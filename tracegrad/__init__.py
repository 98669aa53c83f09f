"""tracegrad: MXNet-1.x style autograd on a tracing compiler that emits fused numba kernels.

>>> from tracegrad import autograd, nd
>>> x = nd.arange(4).reshape((4, 1))
>>> x.attach_grad()
>>> with autograd.record():
...     y = 2 * nd.dot(x.T, x)
>>> y.backward()
>>> x.grad.asnumpy().ravel().tolist()
[0.0, 4.0, 8.0, 12.0]
"""

from tracegrad._compiler.frontend.tracing import add_internal_dir

add_internal_dir(__file__)

from tracegrad import (  # noqa: E402
    autograd,
    base,
    cache,
    context,
    gluon,
    initializer,
    lr_scheduler,
    nd,
    optimizer,
    random,
    tree,
)
from tracegrad.config import config  # noqa: E402
from tracegrad.context import (  # noqa: E402
    Context,
    cpu_pinned,
    cpu_shared,
    current_context,
    gpu,
)
from tracegrad.differentiate import grad, value_and_grad  # noqa: E402
from tracegrad.errors import *  # noqa: E402,F401,F403
from tracegrad.jit import Jitted, cache_info, jit, make_ir  # noqa: E402
from tracegrad.ndarray import NDArray, cpu  # noqa: E402

init = initializer  # mx.init
MXNetError = base.MXNetError

# Imported at first use (``tracegrad.metric``, ``mx.io.NDArrayIter``...): a script that
# never uses them does not pay for them in ``import tracegrad``.
_LAZY = ("io", "metric", "test_utils")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"
__all__ = ["autograd", "base", "cache", "nd", "random", "tree", "NDArray", "cpu", "gpu",
           "current_context", "context", "cpu_pinned",
           "cpu_shared", "Context", "config", "jit", "grad",
           "value_and_grad", "make_ir", "cache_info", "Jitted", "__version__", "gluon", "init",
           "initializer", "optimizer", "lr_scheduler"]  # and, imported at first use, _LAZY
