"""Piecewise activations composed of ``where``/``clamp`` (differentiable to every order); torch's kernels' sides at
the breakpoints (the comparison is strict, so a point on a breakpoint takes the flat piece):

    hardtanh(x; lo, hi)    = clamp(x, lo, hi)                            dy/dx = 1 on lo < x < hi, else 0
    threshold(x; θ, v)     = x if x > θ else v                           dy/dx = 1 where x > θ, else 0
    softshrink(x; λ)       = x - λ if x > λ, x + λ if x < -λ, else 0     dy/dx = 1 where |x| > λ, else 0
    hardshrink(x; λ)       = x if |x| > λ, else 0                        dy/dx = 1 where |x| > λ, else 0
    tanhshrink(x)          = x - tanh(x)                                 dy/dx = tanh²(x)
"""

from __future__ import annotations

from ..autograd import Tensor
from . import elementwise as ew
from ._util import to_float
from .inplace_flag import maybe_in_place


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``torch.nn.functional.hardtanh``; ``inplace`` writes into ``input`` as torch's hardtanh_
    (HardtanhBackward0, ``inplace_flag``)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return maybe_in_place(input, _hardtanh, (min_val, max_val), inplace, "hardtanh_", "HardtanhBackward0")


def _hardtanh(x: Tensor, min_val: float, max_val: float) -> Tensor:
    return ew.clamp(to_float(x), min_val, max_val)


def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    return ew.where(x > threshold, x, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """``torch.nn.functional.threshold``: x where x > threshold, else ``value`` (an integer input stays integer);
    ``inplace`` writes into ``input`` as torch's threshold_ (ThresholdBackward1)."""
    return maybe_in_place(input, _threshold, (threshold, value), inplace, "threshold_", "ThresholdBackward1")


def _check_lambd(op: str, lambd: float) -> None:
    if lambd < 0:
        raise RuntimeError(f"{op}: lambda must be greater or equal to 0, but found to be {lambd}.")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.softshrink``: moves x towards 0 by λ, 0 inside [-λ, λ]."""
    _check_lambd("softshrink", lambd)
    x = to_float(input)
    return ew.where(x > lambd, x - lambd, ew.where(x < -lambd, x + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.hardshrink``: x outside [-λ, λ], 0 inside."""
    x = to_float(input)
    return ew.where((x > lambd) | (x < -lambd), x, 0.0)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.tanhshrink``: x - tanh(x)."""
    x = to_float(input)
    return x - x.tanh()
