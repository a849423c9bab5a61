"""``embedding``: rows of a table looked up by integer indices.

    forward:  out[..., :] = weight[input[...], :]          input (*) int64/int32, weight (num, dim) -> (*, dim)
    backward: dweight[i] = Σ_{p: input[p] = i} g[p, :]     (scatter-add; repeats add up), divided by the count
              of i in the batch with ``scale_grad_by_freq``; the ``padding_idx`` row gets no gradient.

``max_norm`` renormalises, in place and outside the graph, the looked-up rows whose ``norm_type``-norm exceeds it
(scaled by max_norm / (norm + 1e-7), as torch's embedding_renorm_), before the lookup.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor, no_grad

_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool", "uint8": "Byte",
               "int8": "Char", "int16": "Short"}


class Embedding(Function):
    def forward(self, weight: Any, idx: Any, padding_idx: int | None, scale_grad_by_freq: bool) -> Any:
        self.num, self.idx = weight.shape[0], idx
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return weight[idx]

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        flat = self.idx.reshape(-1)
        rows = g.reshape(flat.shape[0], -1)
        if self.scale:
            counts = xp.bincount(flat, minlength=self.num)
            rows = rows / counts[flat][:, None].astype(g.dtype)
        gw = xp.zeros((self.num, rows.shape[1]), dtype=g.dtype)
        backend.scatter_add(gw, (flat,), rows)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None, None, None


def _check(input: Any, weight: Tensor) -> None:  # noqa: A002 - torch's name
    if not isinstance(input, Tensor) or input.dtype not in (np.int64, np.int32):
        kind = _TYPE_NAMES.get(np.dtype(input.dtype).name, "") if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{kind}Tensor instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.numel() and (int(input.min().item()) < 0 or int(input.max().item()) >= weight.shape[0]):
        raise IndexError("index out of range in self")


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: the rows looked up whose norm exceeds max_norm scaled down to it, in place."""
    xp = backend.array_module(weight._data)
    rows = xp.unique(input._data.reshape(-1))
    with no_grad():
        table = weight._data.copy()
        norms = xp.linalg.norm(table[rows], ord=norm_type, axis=1)
        big = norms > max_norm
        scale = (max_norm / (norms[big] + 1e-7)).astype(table.dtype)
        table[rows[big]] *= scale[:, None]
        weight._set_(table)


def embedding(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num, dim) at the integer ``input`` (*) -> (*, dim)."""
    _check(input, weight)
    if sparse:
        raise RuntimeError("embedding: sparse=True asks for a sparse gradient, which minitorch_cnn does not offer; "
                           "use sparse=False (the dense gradient of the same values)")
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= weight.shape[0]
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, input._data, padding_idx, scale_grad_by_freq)
