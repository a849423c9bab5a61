"""torch's top-level losses, recurrent cells and constant padding, with ATen's signatures: the reduction is an int
(0 'none', 1 'mean', 2 'sum'; no size_average/reduce), the cells take the weights as arguments. Each is the F op it
names (so its backward and second order are that op's) or, for the cells, a composition of differentiable ops:

    rnn_tanh_cell / rnn_relu_cell   h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
    lstm_cell(x, [h, c])            i, f, g, o = chunks of (x W_ihᵀ + b_ih + h W_hhᵀ + b_hh);
                                    c' = σ(f) c + σ(i) tanh(g);  h' = σ(o) tanh(c')
    gru_cell                        r, z, n_x = chunks of x W_ihᵀ + b_ih;  r_h, z_h, n_h of h W_hhᵀ + b_hh;
                                    r = σ(r + r_h), z = σ(z + z_h), n = tanh(n_x + r n_h);  h' = (1 - z) n + z h
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd import Tensor
from . import binary_cross_entropy, cosine_embedding, distance, margin_loss, padding
from . import ctc_loss as _ctc
from . import elementwise as ew
from . import kl_div as _kl
from .matmul import linear
from .shape import chunk

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction: int) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _REDUCTIONS[reduction]


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     pos_weight: Tensor | None = None, reduction: int = 1) -> Tensor:
    """torch.binary_cross_entropy_with_logits: F.binary_cross_entropy_with_logits."""
    return binary_cross_entropy.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(
        reduction), pos_weight=pos_weight)


def kl_div(input: Tensor, target: Tensor, reduction: int = 1, *, log_target: bool = False) -> Tensor:  # noqa: A002
    """torch.kl_div: F.kl_div; 'mean' averages every element, without F's warning (ATen's op has none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _kl.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 1) -> Tensor:
    """torch.cosine_embedding_loss: F.cosine_embedding_loss."""
    return cosine_embedding.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, reduction: int = 1) -> Tensor:  # noqa: A002
    """torch.hinge_embedding_loss: F.hinge_embedding_loss."""
    return margin_loss.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 1) -> Tensor:
    """torch.margin_ranking_loss: F.margin_ranking_loss."""
    return margin_loss.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: int = 1) -> Tensor:
    """torch.triplet_margin_loss: F.triplet_margin_loss."""
    return distance.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                        reduction=_reduction(reduction))


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: int = 1, zero_infinity: bool = False) -> Tensor:
    """torch.ctc_loss: F.ctc_loss."""
    return _ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction),
                         zero_infinity)


def constant_pad_nd(input: Tensor, pad: Any, value: float = 0) -> Tensor:  # noqa: A002
    """torch.constant_pad_nd: F.pad(x, pad, 'constant', value)."""
    return padding.pad(input, tuple(pad), "constant", value)


def _gates(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor:
    return ew.add(linear(x, w_ih, b_ih), linear(h, w_hh, b_hh))


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
                  b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    return ew.tanh(_gates(input, hx, w_ih, w_hh, b_ih, b_hh))


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
                  b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    return ew.relu(_gates(input, hx, w_ih, w_hh, b_ih, b_hh))


def lstm_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(h', c') from x (B, I) and hx = [h, c] (B, H) each; W_ih (4H, I), W_hh (4H, H), gates i, f, g, o."""
    h, c = hx
    i, f, g, o = chunk(_gates(input, h, w_ih, w_hh, b_ih, b_hh), 4, -1)
    c_next = ew.add(ew.mul(ew.sigmoid(f), c), ew.mul(ew.sigmoid(i), ew.tanh(g)))
    return ew.mul(ew.sigmoid(o), ew.tanh(c_next)), c_next


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
             b_hh: Tensor | None = None) -> Tensor:
    """h' from x (B, I), h (B, H); W_ih (3H, I), W_hh (3H, H), gates r, z, n."""
    r_x, z_x, n_x = chunk(linear(input, w_ih, b_ih), 3, -1)
    r_h, z_h, n_h = chunk(linear(hx, w_hh, b_hh), 3, -1)
    r, z = ew.sigmoid(ew.add(r_x, r_h)), ew.sigmoid(ew.add(z_x, z_h))
    n = ew.tanh(ew.add(n_x, ew.mul(r, n_h)))
    return ew.add(ew.mul(ew.sub(1.0, z), n), ew.mul(z, hx))
