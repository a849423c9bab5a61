"""Gumbel-softmax (Jang et al. 2016; Maddison et al. 2016), composed of differentiable ops as torch's:

    g = -log(E),  E ~ Exp(1) elementwise (so g ~ Gumbel(0, 1)), drawn from ``backend.generator()``
    soft:  y = softmax((logits + g) / τ, dim);    dL/dlogits = softmax's backward of dL/dy, divided by τ
    hard:  y = one_hot(argmax_dim y_soft) - y_soft.detach() + y_soft   (straight through: the forward is the
           one-hot sample, the gradient is the soft one's)
"""

from __future__ import annotations

import warnings

from .. import backend
from ..autograd import Tensor
from . import softmax as _softmax
from ._util import to_float


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """``torch.nn.functional.gumbel_softmax``: a sample of the relaxed categorical over ``dim`` (see the module
    docstring); ``eps`` is deprecated and unused, as torch's."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = to_float(logits)
    draw = backend.generator().exponential(1.0, size=tuple(x.shape)).astype(x.dtype, copy=False)
    xp = backend.array_module(x._data)
    gumbels = Tensor._wrap(-xp.log(backend.move_to(draw, x.device)))
    y_soft = _softmax.softmax((x + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft._data.argmax(axis=dim)
    one_hot = (xp.expand_dims(index, dim) == xp.arange(x.shape[dim]).reshape(
        [-1 if a == dim % x.ndim else 1 for a in range(x.ndim)])).astype(x.dtype)
    return Tensor._wrap(one_hot) - y_soft.detach() + y_soft
