"""torch.nn.functional's in-place activations (``F.relu_``, ``F.elu_`` ...): each computes its out-of-place twin
and writes it into the input's storage (aliases and views see it; the version counter moves), recorded in the
graph as torch's (``inplace.apply_inplace``): y = f(x) replaces x, and dL/dx_old = f'(x_old)·dL/dy, the twin's own
backward. A leaf that requires grad refuses, as torch's. ``writes_in_place`` decides ``F.relu(x, inplace=True)``
and ``nn.ReLU(inplace=True)`` (and the LeakyReLU pair): they write into ``x`` as torch's, so a reference kept to
``x`` (a feature list filled while walking a net's layers) sees the activation, except for a view inside a graph,
which ``apply_inplace`` does not offer: that one is computed out of place.
"""

from __future__ import annotations

from ..autograd import Tensor
from ..autograd.grad_mode import _enabled
from . import elementwise as ew
from .exponential_linear import celu, elu, selu
from .inplace import _is_view_in_graph, apply_inplace
from .prelu import rrelu
from .shrink import hardtanh
from .shrink import threshold as _threshold


def writes_in_place(input: Tensor) -> bool:  # noqa: A002
    """Whether an ``inplace=True`` activation writes into ``input``: always, but for a view inside a graph."""
    return not (_enabled[0] and input.requires_grad and _is_view_in_graph(input))


def relu_(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``F.relu_``: max(x, 0) written into ``input``."""
    return apply_inplace(input, ew.relu, (), {}, "relu_")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """``F.leaky_relu_``: x or negative_slope·x, written into ``input``."""
    return apply_inplace(input, ew.leaky_relu, (negative_slope,), {}, "leaky_relu_")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """``F.hardtanh_``: clamp(x, min_val, max_val) written into ``input``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return apply_inplace(input, hardtanh, (min_val, max_val), {}, "hardtanh_")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """``F.threshold_``: x where x > threshold, else ``value``, written into ``input``."""
    return apply_inplace(input, _threshold, (threshold, value), {}, "threshold_")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``F.elu_``: elu(x, α) written into ``input``."""
    return apply_inplace(input, elu, (alpha,), {}, "elu_")


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """``F.selu_``: selu(x) written into ``input``."""
    return apply_inplace(input, selu, (), {}, "selu_")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``F.celu_``: celu(x, α) written into ``input``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return apply_inplace(input, celu, (alpha,), {}, "celu_")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    """``F.rrelu_``: rrelu(x) (random slopes in training) written into ``input``."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    return apply_inplace(input, rrelu, (lower, upper, training), {}, "rrelu_")
