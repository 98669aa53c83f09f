"""The primitive registry, one module per kind. Importing this package registers them all."""

from .. import core as _core  # noqa: E402
from .elementwise import (  # noqa: F401
    abs,
    add,
    cast,
    ceil,
    cos,
    div,
    eq,
    exp,
    expm1,
    floor,
    ge,
    gt,
    le,
    log,
    log1p,
    lt,
    maximum,
    minimum,
    mod,
    mul,
    ne,
    neg,
    power,
    relu,
    round,
    sigmoid,
    sign,
    sin,
    sqrt,
    stop_gradient,
    sub,
    tanh,
    where,
)
from .linalg import matmul  # noqa: F401
from .movement import (  # noqa: F401
    broadcast_to,
    concatenate,
    reshape,
    slice_p,
    take,
    take_adjoint,
    transpose,
    unslice,
)
from .random import full, random_normal, random_randint, random_uniform  # noqa: F401
from .reduce import (  # noqa: F401
    argmax,
    argmin,
    reduce_max,
    reduce_min,
    reduce_prod,
    reduce_sum,
)

_core._SUM_AND_RESHAPE[:] = [reduce_sum, reshape]
