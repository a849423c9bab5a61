"""The gated linear unit: input split in halves a, b along ``dim``; y = a · σ(b), composed of differentiable ops:

    dy/da = σ(b),   dy/db = a · σ(b) (1 - σ(b));   input (*, 2n, *) -> (*, n, *)
"""

from __future__ import annotations

from ..autograd import Tensor
from ._util import to_float


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.glu``: the first half of ``dim`` gated by the sigmoid of the second."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    if not 0 <= d < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                         f"but got {dim})")
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = to_float(input).chunk(2, d)
    return a * b.sigmoid()
