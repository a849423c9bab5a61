"""torch.nn.functional's in-place activations (``F.relu_``, ``F.hardtanh_`` ...; the ELUs' live in
exponential_linear.py): each computes its out-of-place twin and writes it into the input's storage (aliases and views
see it; the version counter moves), recorded in the graph as torch's (``inplace_flag.write_in_place``, under torch's
node names: LeakyReluBackward1, ThresholdBackward1 ...): y = f(x) replaces x, and dL/dx_old = f'(x_old)·dL/dy, the
twin's own backward. A leaf that requires grad refuses, as torch's; a view (a slice) inside a graph rewrites its base
(CopySlices).
"""

from __future__ import annotations

from ..autograd import Tensor
from . import elementwise as ew
from .inplace_flag import NEGATIVE_LEAKY, write_in_place
from .prelu import rrelu
from .shrink import hardtanh
from .shrink import threshold as _threshold


def relu_(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``F.relu_``: max(x, 0) written into ``input``."""
    return write_in_place(input, ew.relu, (), "relu_")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """``F.leaky_relu_``: x or negative_slope·x, written into ``input``."""
    refusal = NEGATIVE_LEAKY if negative_slope < 0 else None
    return write_in_place(input, ew.leaky_relu, (negative_slope,), "leaky_relu_", "LeakyReluBackward1", refusal)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """``F.hardtanh_``: clamp(x, min_val, max_val) written into ``input``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return write_in_place(input, hardtanh, (min_val, max_val), "hardtanh_", "HardtanhBackward0")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """``F.threshold_``: x where x > threshold, else ``value``, written into ``input``."""
    return write_in_place(input, _threshold, (threshold, value), "threshold_", "ThresholdBackward1")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    """``F.rrelu_``: rrelu(x) (random slopes in training) written into ``input``."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    refusal = NEGATIVE_LEAKY if not training and lower + upper < 0 else None
    return write_in_place(input, rrelu, (lower, upper, training), "rrelu_", "RreluWithNoiseBackward1", refusal)
