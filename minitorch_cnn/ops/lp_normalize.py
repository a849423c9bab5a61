"""``F.normalize``: each slice along ``dim`` divided by its p-norm, held away from 0 by ``eps``.

    y = x / max(‖x‖_p along dim, eps)                                    (the norm kept as a size-1 axis)
    backward: the composition's own (norm, clamp, division): where ‖x‖_p < eps the denominator is the constant
              eps and dy/dx = 1/eps; elsewhere dy/dx = (I - y yᵀ·…)/‖x‖ as the norm's gradient gives it
"""

from __future__ import annotations

from ..autograd import Tensor
from . import elementwise as ew
from ._util import out_arg
from .reduction import norm
from .shape import expand


@out_arg
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """``torch.nn.functional.normalize``: input / max(‖input‖_p over ``dim``, eps); ``out=`` as torch's."""
    if not isinstance(input, Tensor):
        raise TypeError(f"normalize(): argument 'input' must be a Tensor, not {type(input).__name__}")
    denom = ew.clamp(norm(input, p, dim, keepdim=True), min=eps)
    return ew.div(input, expand(denom, tuple(input.shape)))
