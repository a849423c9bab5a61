"""``AdaptiveLogSoftmaxWithLoss`` (Grave et al. 2016, "Efficient softmax approximation for GPUs"), as torch's.

The classes are split by ``cutoffs`` into a shortlist [0, c_0) and clusters [c_i, c_{i+1}). The head (a Linear to
c_0 + #clusters outputs) scores the shortlist and one token per cluster; cluster i has its own two-layer projection
(in → in // div_value^(i+1) → cluster size, no biases). For a target t:

    log p(t) = log_softmax(head(x))[t]                                           t in the shortlist
    log p(t) = log_softmax(head(x))[c_0 + i] + log_softmax(tail_i(x))[t - c_i]   t in cluster i

``forward`` returns (output = log p(target) per row, loss = mean of -output); ``log_prob`` the full (B, n_classes)
log-probabilities; ``predict`` their argmax (the head's argmax where it lands in the shortlist). All of it is
composed of differentiable ops (Linear, log_softmax, gather, index_copy, cat).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops.factories import zeros
from ..ops.gather import gather
from ..ops.index_ops import index_copy
from ..ops.shape import cat
from ..ops.softmax import log_softmax
from .containers import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _index(values: np.ndarray, like: Tensor) -> Tensor:
    """An int64 index tensor on ``like``'s device."""
    return Tensor._wrap(backend.move_to(values.astype(np.int64), like.device))


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features: int, n_classes: int, cutoffs: Any, div_value: float = 4.0,
                 head_bias: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, device=device, dtype=dtype),
                                        Linear(hsz, osz, bias=False, device=device, dtype=dtype)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        if target_.ndim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif target_.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.ndim > 0
        x = input_ if batched else input_.unsqueeze(0)
        target = np.asarray(target_.detach().cpu().numpy()).reshape(-1)
        output = zeros(len(target), dtype=x.dtype, device=x.device)
        gather_inds = target.copy()
        used = 0
        bounds = [0] + self.cutoffs
        for i in range(len(bounds) - 1):
            rows = np.nonzero((target >= bounds[i]) & (target < bounds[i + 1]))[0]
            if rows.size == 0:
                continue
            if i > 0:
                rows_t = _index(rows, x)
                cluster = log_softmax(self.tail[i - 1](x.index_select(0, rows_t)), 1)
                relative = _index((target[rows] - bounds[i])[:, None], x)
                output = index_copy(output, 0, rows_t, gather(cluster, 1, relative).squeeze(1))
                gather_inds[rows] = self.shortlist_size + i - 1
            used += rows.size
        if used != len(target):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min()}, {target.max()}] were found. ")
        head = log_softmax(self.head(x), 1)
        output = output + gather(head, 1, _index(gather_inds[:, None], x)).squeeze()
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:  # noqa: A002 - torch's name
        head = log_softmax(head_output, 1)
        parts = [head[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            parts.append(log_softmax(self.tail[i](input), 1) + head[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:  # noqa: A002
        """log p(class | x) for every class: (B, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:  # noqa: A002
        """The most likely class per row (B,), int64."""
        head_output = self.head(input)
        output = head_output.argmax(1)
        outside = output.cpu().numpy() >= self.shortlist_size
        if not outside.any():
            return output
        if outside.all():
            return self._get_full_log_prob(input, head_output).argmax(1)
        rows = _index(np.nonzero(outside)[0], input)
        full = self._get_full_log_prob(input.index_select(0, rows), head_output.index_select(0, rows))
        best = output.cpu().numpy().copy()
        best[outside] = full.argmax(1).cpu().numpy()
        return _index(best, input)
