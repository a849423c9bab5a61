"""``index_reduce`` (torch's beta op) and ``nonzero_static``.

    index_reduce(x, dim, index, source, reduce): x with each slice source.select(dim, i) reduced (prod, mean, amax,
    amin) into x.select(dim, index[i]); ``include_self=False`` leaves x's own values out where something lands.

It is scatter_reduce with the 1-D index spread along every other dimension of ``source``, so its forward and its
gradient (torch's index_reduce_backward has scatter_reduce_backward's form, ties and zeros alike) are
scatter_reduce's.

    nonzero_static(x, size=k, fill_value=-1): nonzero(x) (n, x.ndim) cut to, or padded with fill_value to, k rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import inplace
from .scatter_reduce import scatter_reduce

_REDUCES = ("prod", "mean", "amax", "amin")


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,  # noqa: A002
                 include_self: bool = True) -> Tensor:
    """``source`` slices along ``dim`` reduced into ``input``'s slices ``index``."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                           f"{reduce}.")
    d = dim % max(input.ndim, 1)
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if index.dtype.kind not in "iu":
        raise RuntimeError("index_reduce_(): Expected index to have int or long dtype")
    if source.ndim and index.numel() != source.shape[d]:
        raise IndexError("index_reduce_(): Number of indices should be equal to source.size(dim)")
    shape = [1] * source.ndim
    shape[d] = -1
    spread = backend.array_module(index._data).broadcast_to(index._data.reshape(shape), tuple(source.shape))
    return scatter_reduce(input, d, Tensor._wrap(spread.astype(np.int64)), source, reduce, include_self=include_self)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:  # noqa: A002
    """The (size, ndim) int64 indices of the non-zero elements, truncated or padded with ``fill_value``."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got {size}")
    xp = backend.array_module(input._data)
    found = xp.argwhere(input._data).astype(np.int64)[:size]
    out = xp.full((size, max(input.ndim, 1) if input.ndim else 0), fill_value, dtype=np.int64)
    out[:found.shape[0]] = found
    return Tensor._wrap(out)


METHODS: dict[str, Any] = {
    "index_reduce": index_reduce, "index_reduce_": inplace.inplace(index_reduce, "index_reduce_"),
    "nonzero_static": nonzero_static,
}
