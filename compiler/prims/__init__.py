"""The primitive registry, one module per kind. Importing this package registers them all."""

from .conv import (  # noqa: F401
    col2im,
    im2col,
    max_pool,
    max_pool_grad,
    max_pool_pick,
    sum_pool,
    sum_pool_adjoint,
)
from .elementwise import (  # noqa: F401
    abs,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    cast,
    cbrt,
    ceil,
    cos,
    cosh,
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
    sinh,
    sqrt,
    stop_gradient,
    sub,
    tan,
    tanh,
    where,
)
from .linalg import matmul  # noqa: F401
from .linalg_extra import (  # noqa: F401
    cholesky,
    det,
    eigh,
    inverse,
    lq,
    slogdet,
    triangular_solve,
)
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
from .scan import cumsum  # noqa: F401
from .sort import argsort  # noqa: F401
from .special import erf, erfinv, gamma, gammaln, polygamma  # noqa: F401
