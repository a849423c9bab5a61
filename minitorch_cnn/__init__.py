"""minitorch_cnn: a from-scratch deep-learning framework on NumPy/CuPy, held against PyTorch.

``import minitorch_cnn as mt`` gives torch's names for the subset of torch that CNN training uses.
"""

from . import accelerator, amp, autograd, backends, cuda, distributed, func, models, nn, optim, profiler, utils, vision
from . import backend as _backend
from . import multiprocessing as multiprocessing  # noqa: PLC0414 - its own line, so parallel export edits merge cleanly
from . import ops as _ops  # noqa: F401 - installs the Tensor methods
from . import testing as testing  # noqa: PLC0414 - its own line, so parallel export edits merge cleanly
from .amp import autocast
from .autograd import (
    Function,
    Size,
    Tensor,
    Variable,
    enable_grad,
    get_printoptions,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
    set_printoptions,
)
from .backend import (
    Device,
    Generator,
    channels_last,
    contiguous_format,
    device,
    get_default_device,
    get_rng_state,
    initial_seed,
    manual_seed,
    preserve_format,
    seed,
    set_default_device,
    set_default_dtype,
    set_rng_state,
)
from .backend import DType as dtype
from .backend import MemoryFormat as memory_format
from .backend.finfo import finfo, iinfo
from .compiler import compile  # noqa: A004 - torch's name
from .cuda import amp as _cuda_amp  # noqa: F401 - makes mt.cuda.amp an attribute, as torch.cuda.amp
from .func import vmap
from .global_flags import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .kernels.threads import get_num_threads, set_num_threads
from .nn.functional import (  # torch.X = F.X
    avg_pool1d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
    pixel_shuffle,
    pixel_unshuffle,
)
from .ops.addmm import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    block_diag,
    chain_matmul,
    diag_embed,
    diagflat,
    tril_indices,
    triu_indices,
    vander,
)
from .ops.arrange import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    clone,
    fliplr,
    flipud,
    ravel,
    roll,
    rot90,
    tile,
)
from .ops.bilinear import bilinear
from .ops.binary_math import (
    addcdiv,
    addcmul,
    arctan2,
    atan2,
    clamp_max,
    clamp_min,
    copysign,
    float_power,
    fmax,
    fmin,
    hypot,
    ldexp,
    lerp,
    logaddexp,
    logaddexp2,
    xlogy,
)
from .ops.channel_shuffle import channel_shuffle
from .ops.compare import allclose, equal, isclose
from .ops.construction import (
    can_cast,
    frombuffer,
    is_complex,
    is_floating_point,
    is_nonzero,
    logspace,
    numel,
    promote_types,
    range,
    result_type,
)
from .ops.conv import conv1d
from .ops.detach_inplace import detach_
from .ops.diagonal import diagonal
from .ops.differences import cumulative_trapezoid, diff, trapezoid, trapz
from .ops.distance import cdist, cosine_similarity, pairwise_distance
from .ops.division import (
    divide,
    floor_divide,
    fmod,
    gcd,
    greater,
    greater_equal,
    heaviside,
    lcm,
    less,
    less_equal,
    multiply,
    nextafter,
    not_equal,
    remainder,
    rsub,
    subtract,
    true_divide,
)
from .ops.einsum import einsum
from .ops.elementwise import (
    abs,
    add,
    clamp,
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
    sign,
    sqrt,
    sub,
    tanh,
    where,
)
from .ops.exponential_linear import celu, selu
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
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .ops.flip import flip
from .ops.gather import gather, scatter, topk
from .ops.index_ops import (
    argwhere,
    diagonal_scatter,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_select,
    masked_scatter,
    masked_select,
    nonzero,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
)
from .ops.indexing import bincount, diag, one_hot
from .ops.inplace import masked_fill
from .ops.legacy_types import CUDA_TYPES as _CUDA_TYPES
from .ops.legacy_types import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .ops.likelihood_loss import poisson_nll_loss
from .ops.logical import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from .ops.matmul import bmm, dot, matmul, mm, mv, vdot
from .ops.matrix_exp import matrix_exp
from .ops.order_stats import kthvalue, median, mode, nanmedian, nanquantile, quantile
from .ops.pooling import adaptive_avg_pool1d, adaptive_max_pool1d, max_pool1d
from .ops.predicates import isfinite, isinf, isnan, isneginf, isposinf, isreal, nan_to_num, signbit
from .ops.prelu import prelu, rrelu
from .ops.products import (
    cartesian_prod,
    combinations,
    cross,
    dist,
    ger,
    inner,
    kron,
    outer,
    renorm,
    tensordot,
    trace,
)
from .ops.reduction import all, amax, amin, any, argmax, argmin, max, mean, min, norm, prod, std, sum, var
from .ops.repeat_interleave import repeat_interleave, unbind
from .ops.rounding import ceil, fix, floor, frac, round, trunc
from .ops.sampling import bernoulli, isin, multinomial, unravel_index
from .ops.scan import cummax, cummin, cumprod, cumsum, logcumsumexp, logsumexp
from .ops.scatter_reduce import scatter_add, scatter_reduce
from .ops.shape import (
    cat,
    chunk,
    expand,
    flatten,
    meshgrid,
    movedim,
    narrow,
    pad,
    permute,
    repeat,
    reshape,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    unflatten,
    unsqueeze,
)
from .ops.shape import movedim as moveaxis
from .ops.shrink import hardshrink, threshold
from .ops.softmax import log_softmax, softmax
from .ops.sorting import argsort, bucketize, msort, searchsorted, sort, unique, unique_consecutive
from .ops.special_fns import digamma, erf, erfc, erfinv, i0, lgamma, mvlgamma, polygamma
from .ops.stacking import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dsplit,
    dstack,
    hsplit,
    hstack,
    split_with_sizes,
    tensor_split,
    vsplit,
    vstack,
)
from .ops.stacking import vstack as row_stack
from .ops.statistics import (
    aminmax,
    corrcoef,
    count_nonzero,
    cov,
    histc,
    histogram,
    nanmean,
    nansum,
    std_mean,
    var_mean,
)
from .ops.strided import as_strided
from .ops.triangular import tril, triu
from .ops.trig import acos, asin, atan, cos, cosh, sin, sinh, tan
from .ops.unary_math import (
    absolute,
    acosh,
    arccosh,
    arcsinh,
    arctanh,
    asinh,
    atanh,
    deg2rad,
    exp2,
    expm1,
    log1p,
    log2,
    log10,
    logit,
    negative,
    positive,
    rad2deg,
    reciprocal,
    rsqrt,
    sgn,
    sinc,
    square,
)
from .ops.windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window
from .serialization import load, save
from .study import viz
from .study.summary import summary

# dtypes as torch shows them (mt.float32 prints as such; NumPy takes it wherever it takes a dtype)
float16, float32, float64, int8, int16, int32, int64, uint8, bool_ = (
    _backend.public_dtype(d) for d in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                                       "bool")
)
bool = bool_  # noqa: A001 - torch's name
half = float16
float = float32  # noqa: A001 - torch's alias
double = float64
long = int64
int = int32  # noqa: A001 - torch's alias
short = int16


def is_tensor(obj: object) -> bool:
    """True for a Tensor (a Parameter is one), as ``torch.is_tensor``."""
    return isinstance(obj, Tensor)


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (``mt.float32`` unless changed), as torch's."""
    return _backend.public_dtype(_backend.get_default_dtype())


for _name, _type in _CUDA_TYPES.items():  # mt.cuda.FloatTensor ...: cuda sits below ops, so they are set here
    setattr(cuda, _name, _type)
clip = clamp
swapdims = swapaxes
arcsin, arccos, arctan = asin, acos, atan
concatenate = concat = cat
div = divide  # torch's div takes rounding_mode= too
__version__ = "0.1.0"

import math as _math  # noqa: E402

from . import (  # noqa: E402 - torch's submodules added late, one a line for merges
    distributions,
    jit,
    linalg,
    return_types,
    special,
)
from .autograd import forward_ad as _forward_ad  # noqa: E402, F401 - makes mt.autograd.forward_ad (it needs func)
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402
from .ops import function_forms as _function_forms  # noqa: E402
from .ops.aten_forms import (  # noqa: E402 - torch's top-level forms with ATen's signatures
    alpha_dropout,
    alpha_dropout_,
    batch_norm,
    convolution,
    dropout,
    dropout_,
    embedding,
    feature_alpha_dropout,
    feature_alpha_dropout_,
    feature_dropout,
    feature_dropout_,
    group_norm,
    instance_norm,
    layer_norm,
    native_batch_norm,
    native_channel_shuffle,
    native_dropout,
    native_group_norm,
    native_layer_norm,
)
from .ops.aten_losses import (  # noqa: E402
    binary_cross_entropy_with_logits,
    constant_pad_nd,
    cosine_embedding_loss,
    ctc_loss,
    gru_cell,
    hinge_embedding_loss,
    kl_div,
    lstm_cell,
    margin_ranking_loss,
    rnn_relu_cell,
    rnn_tanh_cell,
    triplet_margin_loss,
)
from .ops.bit_ops import bitwise_left_shift, bitwise_right_shift, frexp  # noqa: E402 - more of torch's functions
from .ops.conv3d import conv3d  # noqa: E402 - torch's twins of nn.functional names (3-d family)
from .ops.conv_transpose1d import conv_transpose1d  # noqa: E402 - torch's twins of nn.functional names
from .ops.conv_transpose3d import conv_transpose3d  # noqa: E402
from .ops.exponential_linear import celu_, selu_  # noqa: E402
from .ops.function_forms import (  # noqa: E402 - torch's function forms of Tensor methods
    detach,
    empty_strided,
    fill,
    frobenius_norm,
    get_device,
    is_inference,
    is_same_size,
    is_signed,
    nuclear_norm,
    scalar_tensor,
    typename,
)
from .ops.householder import householder_product as orgqr  # noqa: E402
from .ops.incomplete_gamma import igamma, igammac  # noqa: E402
from .ops.index_reduce import index_reduce, nonzero_static  # noqa: E402
from .ops.inplace_activation import relu_, rrelu_, threshold_  # noqa: E402
from .ops.least_squares import pinverse  # noqa: E402 - torch's top-level linear algebra (old API forms)
from .ops.linalg import det, inverse, logdet, slogdet  # noqa: E402
from .ops.linalg_composite import matrix_power  # noqa: E402
from .ops.lu import lu_old as lu  # noqa: E402
from .ops.lu import lu_solve_old as lu_solve  # noqa: E402
from .ops.lu import lu_unpack  # noqa: E402
from .ops.method_surface import (  # noqa: E402
    adjoint,
    angle,
    conj,
    conj_physical,
    imag,
    is_conj,
    is_neg,
    narrow_copy,
    real,
    resolve_conj,
    resolve_neg,
    unsafe_chunk,
    unsafe_split,
    unsafe_split_with_sizes,
)
from .ops.numeric_gradient import gradient  # noqa: E402
from .ops.pdist import pdist  # noqa: E402
from .ops.pool3d import max_pool3d  # noqa: E402
from .ops.pool_with_indices import max_pool1d_with_indices  # noqa: E402
from .ops.random_fill import binomial, poisson  # noqa: E402
from .ops.rms_norm import rms_norm  # noqa: E402
from .ops.spectral import geqrf  # noqa: E402
from .ops.spectral import svd_old as svd  # noqa: E402
from .ops.triangular_solve import cholesky_inverse, cholesky_solve, triangular_solve  # noqa: E402

for _name, _fn in {**_function_forms.FUNCTIONS_INPLACE, **_function_forms.FUNCTIONS_COPY}.items():
    globals().setdefault(_name, _fn)  # torch.exp_(x), torch.transpose_copy(x, 0, 1) ...: where no other module set one
e, pi, inf, nan, newaxis = _math.e, _math.pi, _math.inf, _math.nan, None  # torch's constants
