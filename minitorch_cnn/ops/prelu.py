"""The leaky ReLUs with a learned or a random slope, composed of differentiable ops:

    prelu(x; a):  y = x for x > 0, a_c·x else       dy/dx = 1 or a_c,  dy/da_c = Σ x over x <= 0 of channel c
    rrelu(x):     y = x for x >= 0, r·x else        dy/dx = 1 or r

x is (N, C, *) (or (C,)-less: a 0-d/1-d input has one channel); a is (1,) or (C,), broadcast over dim 1. rrelu's
slope r is drawn per element from U(lower, upper) in training (``backend.generator()``, so ``mt.manual_seed``
repeats it) and is the fixed (lower + upper) / 2 in eval: a leaky ReLU.
"""

from __future__ import annotations

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from ._util import to_float
from .inplace_flag import NEGATIVE_LEAKY, maybe_in_place


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.prelu``: input (N, C, *), weight (1,) or (C,) -> the shape of input."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    x = to_float(input)
    a = weight.reshape(-1, *([1] * (x.ndim - 2))) if x.ndim >= 2 and weight.numel() > 1 else weight.reshape(())
    return ew.where(x > 0, x, a * x)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False) -> Tensor:
    """``torch.nn.functional.rrelu``; ``inplace`` writes into ``input`` as torch's rrelu_
    (RreluWithNoiseBackward1, ``inplace_flag``)."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    refusal = NEGATIVE_LEAKY if not training and lower + upper < 0 else None  # eval: torch's leaky_relu_
    return maybe_in_place(input, _rrelu, (lower, upper, training), inplace, "rrelu_", "RreluWithNoiseBackward1",
                          refusal)


def _rrelu(input: Tensor, lower: float, upper: float, training: bool) -> Tensor:  # noqa: A002
    x = to_float(input)
    if not training:
        return ew.leaky_relu(x, (lower + upper) / 2)
    draw = backend.move_to(backend.generator().uniform(lower, upper, tuple(x.shape)).astype(x.dtype), x.device)
    xp = backend.array_module(x._data)
    slope = xp.where(x._data >= 0, x.dtype.type(1), draw)  # a constant of the graph: dy/dx = slope
    return x * Tensor._wrap(slope)
