"""Special functions and small activations of MXNet's nd: ``erf``, ``erfinv``, ``gamma``,
``gammaln``, ``softsign``, ``hard_sigmoid`` and ``smooth_l1``.

erf, erfinv, gamma and gammaln are primitives (``compiler/prims/special.py``; their
gradients use digamma, the primitive ``polygamma``, so derivatives of any order exist); the
others are composites. As in MXNet, integer input keeps its dtype (computed in float64 and
truncated toward zero: ``nd.gammaln`` of int32 5 is 3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_math import _math_op, _on_floats, _prim


def _softsign(x: NDArray) -> NDArray:
    return x / (ops.abs(x) + 1.0)


erf = _math_op("erf", _prim(P.erf), "The Gauss error function.")
erfinv = _math_op("erfinv", _prim(P.erfinv),
                  "The inverse of erf: nan outside [-1, 1], +-inf at +-1.")
gamma = _math_op("gamma", _prim(P.gamma),
                 "The gamma function (inf at 0, nan at the negative integers).")
gammaln = _math_op("gammaln", _prim(P.gammaln),
                   "log abs(gamma(x)) (inf at 0 and the negative integers).")
softsign = _math_op("softsign", _softsign, "x / (1 + abs(x)).")


def hard_sigmoid(data: Any = None, alpha: float = 0.2, beta: float = 0.5,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """max(0, min(1, alpha * x + beta)); the gradient is alpha strictly inside (0, 1) and 0
    where the result is 0 or 1, as in MXNet.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.hard_sigmoid(nd.array([-5.0, 0.0, 1.0])).asnumpy().tolist()
    [0.0, 0.5, 0.699999988079071]
    """
    reject_unknown("nd.hard_sigmoid", kwargs)
    x = _nd(data)
    if np.dtype(x.dtype).kind != "f":
        raise TypeError(f"nd.hard_sigmoid: input dtype {np.dtype(x.dtype).name} is not a "
                        f"float type (at {_user_line()}); MXNet's hard_sigmoid takes floats "
                        "only")
    # MXNet's alpha and beta are float32 parameters, whatever the data's dtype
    y = x * float(np.float32(alpha)) + float(np.float32(beta))
    res = ops.where(y <= 0.0, 0.0, ops.where(y >= 1.0, 1.0, y))
    return write_out("nd.hard_sigmoid", res.astype(x.dtype, copy=False), out)


def smooth_l1(data: Any = None, scalar: float = 1.0, out: NDArray | None = None,
              **kwargs: Any) -> NDArray:
    """The smooth L1 loss, elementwise, with sigma = ``scalar``: 0.5 (sigma x)^2 where
    abs(x) < 1 / sigma^2, else abs(x) - 0.5 / sigma^2.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.smooth_l1(nd.array([-2.0, 0.5])).asnumpy().tolist()
    [1.5, 0.125]
    """
    reject_unknown("nd.smooth_l1", kwargs)
    s2 = float(np.float32(scalar)) ** 2  # a float32 parameter in MXNet

    def fn(x: NDArray) -> NDArray:
        a = ops.abs(x)
        t = np.dtype(x.dtype).type
        inside = x * x * float(t(0.5) * t(s2))
        return ops.where(a < float(t(1.0) / t(s2)), inside, a - float(t(0.5) / t(s2)))

    return write_out("nd.smooth_l1", _on_floats(fn, _nd(data)), out)


__all__ = ["erf", "erfinv", "gamma", "gammaln", "softsign", "hard_sigmoid", "smooth_l1"]
