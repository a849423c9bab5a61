"""minitorch_cnn: a from-scratch deep-learning framework on NumPy/CuPy, held against PyTorch.

``import minitorch_cnn as mt`` gives torch's names for the subset of torch that CNN training uses.
"""

from . import autograd, backends, cuda, distributed, models, nn, optim, utils, vision, viz
from . import ops as _ops  # noqa: F401 - installs the Tensor methods
from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device,
    bool_,
    device,
    float16,
    float32,
    float64,
    get_default_dtype,
    get_rng_state,
    int32,
    int64,
    manual_seed,
    set_default_dtype,
    set_rng_state,
    uint8,
)
from .kernels.threads import get_num_threads, set_num_threads
from .ops.elementwise import (
    abs,
    add,
    clamp,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
    where,
)
from .ops.factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .ops.indexing import one_hot
from .ops.matmul import matmul
from .ops.reduction import amax, amin, argmax, argmin, max, mean, min, std, sum, var
from .ops.shape import (
    cat,
    chunk,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from .ops.softmax import log_softmax, softmax
from .serialization import load, save
from .study.summary import summary

clip = clamp
float = float32  # noqa: A001 - torch's alias
double = float64
long = int64
__version__ = "0.1.0"
