"""``embedding_bag``: bags of table rows reduced by sum, mean or max, without the (bags, length, dim) intermediate.

A 1-D ``input`` of n indices is cut into B bags by ``offsets`` (bag b holds positions offsets[b] .. offsets[b+1] - 1,
the last running to n; with ``include_last_offset`` offsets holds B + 1 entries, and the last bag still runs to
n, as torch's); a 2-D input (B, L) is B bags of L. Positions
whose index is ``padding_idx`` are left out of their bag. With bag(p) the bag of position p, w = weight and
c_b the number of positions kept in bag b:

    sum:   out[b] = Σ_{p ∈ b} s_p · w[input[p]]    (s_p = per_sample_weights[p], else 1)
    mean:  out[b] = (1 / c_b) · Σ_{p ∈ b} w[input[p]]
    max:   out[b, j] = max_{p ∈ b} w[input[p], j]   (the first position reaching the maximum wins, as torch's)

    an empty bag gives a row of zeros in every mode.

    backward (g = dL/dout):
      sum/mean: dw[i] = Σ_{p: input[p] = i} g[bag(p)] · s_p   (s_p = 1 / c_{bag(p)} for mean), divided by the count
                of i in ``input`` with ``scale_grad_by_freq``;
                d per_sample_weights[p] = <g[bag(p)], w[input[p]]>  (0 at padding positions)
      max:      dw[input[p*], j] += g[b, j] at the winning position p* of (b, j)

``max_norm`` renormalises the looked-up rows in place first, as ``embedding`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .embedding import _TYPE_NAMES, _renorm_

_MODES = ("sum", "mean", "max")


class EmbeddingBag(Function):
    def forward(self, weight: Any, idx: Any, bag: Any, nbags: int, mode: str, psw: Any, scale: bool) -> Any:
        xp = backend.array_module(weight)
        self.num, self.idx, self.bag, self.mode, self.scale = weight.shape[0], idx, bag, mode, scale
        self.psw = None
        rows = weight[idx]
        out = xp.zeros((nbags, weight.shape[1]), dtype=weight.dtype)
        if mode == "max":
            self.win = _winners(xp, rows, bag, nbags)
            hit = self.win < idx.shape[0]
            out[hit] = rows[self.win[hit], xp.nonzero(hit)[1]]
            self.hit = hit
            return out
        if psw is not None:
            self.rows, self.psw = rows, psw
            rows = rows * psw[:, None]
        backend.scatter_add(out, (bag,), rows)
        if mode == "mean":
            counts = xp.bincount(bag, minlength=nbags).astype(weight.dtype)
            self.inv = 1 / xp.maximum(counts, 1)
            out *= self.inv[:, None]
        return out

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        gw = xp.zeros((self.num, g.shape[1]), dtype=g.dtype)
        if self.mode == "max":
            b, j = xp.nonzero(self.hit)
            backend.scatter_add(gw, (self.idx[self.win[b, j]], j), g[b, j])
            return gw, None, None, None, None, None, None
        rows = g[self.bag]
        gpsw = None
        if self.mode == "mean":
            rows = rows * self.inv[self.bag][:, None]
        elif self.psw is not None:
            gpsw = (rows * self.rows).sum(axis=1) if self.needs_input_grad[5] else None
            rows = rows * self.psw[:, None]
        if self.scale:
            counts = xp.bincount(self.idx, minlength=self.num)
            rows = rows / counts[self.idx][:, None].astype(g.dtype)
        backend.scatter_add(gw, (self.idx,), rows)
        return gw, None, None, None, None, gpsw, None


def _winners(xp: Any, rows: Any, bag: Any, nbags: int) -> Any:
    """(nbags, dim): the first position of each bag holding the column's maximum; n (past the end) for an empty
    bag. Positions come sorted by bag, so a stable sort on (bag, -value) puts each winner first in its bag."""
    n, dim = rows.shape
    win = xp.full((nbags, dim), n, dtype=np.int64)
    if n == 0:
        return win
    for j in range(dim):
        order = xp.lexsort((-rows[:, j], bag))
        first = xp.ones(n, dtype=bool)
        first[1:] = bag[order][1:] != bag[order][:-1]
        win[bag[order][first], j] = order[first]
    return win


def _check(input: Tensor, weight: Tensor, offsets: Tensor) -> None:  # noqa: A002 - torch's name
    if input.dtype not in (np.int64, np.int32):
        kind = _TYPE_NAMES.get(np.dtype(input.dtype).name, "")
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{kind}Tensor instead (while checking arguments for "
                           "embedding_bag)")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding_bag: 'weight' must be 2-D (num_embeddings, embedding_dim), got "
                           f"{weight.ndim}-D")
    idx, offs = input._data, offsets._data
    xp = backend.array_module(idx)
    bad = xp.nonzero((idx < 0) | (idx >= weight.shape[0]))[0]
    if bad.size:
        raise RuntimeError(f"Index {int(bad[0])} of input takes value {int(idx[int(bad[0])])} which is not in the "
                           f"valid range [0, {weight.shape[0]})")
    if offs.shape[0]:
        if int(offs[0]) != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {int(offs[0])}")
        if int(offs[-1]) > idx.shape[0]:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.shape[0]} but got "
                               f"offsets[-1] of {int(offs[-1])}")
        if offs.shape[0] > 1 and bool((offs[1:] < offs[:-1]).any()):
            raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {offs.tolist()}")


def embedding_bag(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Bags of rows of ``weight`` (num, dim) reduced by ``mode`` -> (bags, dim); see the module docstring."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        xp = backend.array_module(input._data)
        offsets = Tensor._wrap(xp.arange(0, input.numel(), input.shape[1], dtype=input._data.dtype))
        include_last_offset = False
        input = input.reshape(-1)  # noqa: A001 - torch's name
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise RuntimeError("embedding_bag: sparse=True asks for a sparse gradient, which minitorch_cnn does not "
                           "offer; use sparse=False (the dense gradient of the same values)")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    _check(input, weight, offsets)
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        names = [_TYPE_NAMES.get(np.dtype(t.dtype).name, "") for t in (weight, per_sample_weights)]
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type torch.{names[0]}Tensor does not equal "
                           f"torch.{names[1]}Tensor (while checking arguments for embedding_bag)")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{weight.shape[0]} through "
                               f"{weight.shape[0] - 1}, but got {padding_idx}")
        padding_idx %= weight.shape[0]
    return _apply(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                  scale_grad_by_freq)


def _apply(input: Tensor, weight: Tensor, offsets: Tensor, mode: str, psw: Tensor | None,  # noqa: A002
           include_last_offset: bool, padding_idx: int | None, scale: bool) -> Tensor:
    """The positions kept (not padding) with their bag numbers, handed to the Function."""
    xp = backend.array_module(weight._data)
    idx = xp.asarray(input._data).astype(np.int64)
    offs = xp.asarray(offsets._data).astype(np.int64)
    nbags = offs.shape[0] - 1 if include_last_offset else offs.shape[0]
    keep = xp.ones(idx.shape[0], dtype=bool)
    if padding_idx is not None:
        keep = idx != padding_idx
    kept = xp.nonzero(keep)[0]
    bag = xp.searchsorted(offs[:max(nbags, 0)], kept, side="right") - 1
    if psw is not None:
        psw = psw[Tensor._wrap(kept)]
    return EmbeddingBag.apply(weight, idx[kept], bag, max(nbags, 0), mode, psw, scale)
