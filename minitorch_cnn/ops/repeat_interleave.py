"""``repeat_interleave`` (each slice along ``dim`` repeated in place: [a, b] -> [a, a, b, b]) and ``unbind``.

    repeat_interleave(x, r, dim)[.., j, ..] = x[.., src(j), ..],  src = (0 r₀ times, 1 r₁ times, ...)
    dx[.., i, ..] = Σ_{j: src(j) = i} g[.., j, ..]

An int ``r`` is an unsqueeze, expand and reshape (their backward sums the copies); a tensor of counts is an index
by ``src`` (its backward scatters-adds). ``unbind`` is one ``select`` per index, so each piece's gradient goes back
into its own slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .indexing import getitem
from .shape import _wrap_dim, expand, select


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,  # noqa: A002 - torch's name
                      output_size: int | None = None) -> Tensor:
    """``input`` with each slice along ``dim`` repeated ``repeats`` times (an int, or one count per slice); without
    ``dim`` the input is flattened first. ``repeat_interleave(counts)`` alone gives 0, 1, ... each counts[i] times."""
    if repeats is None:  # torch.repeat_interleave(repeats): the index each position comes from
        counts = _counts(input, None)
        xp = backend.array_module(input._data)
        return Tensor._wrap(xp.repeat(xp.arange(counts.size, dtype=np.int64), backend.move_to(counts, input.device)))
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _wrap_dim(dim, x.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor) and repeats.ndim == 0:
        repeats = int(repeats.item())
    if isinstance(repeats, (int, np.integer)):
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        shape = tuple(x.shape)
        out = expand(x.unsqueeze(d + 1), (*shape[:d + 1], int(repeats), *shape[d + 1:]))
        out = out.reshape(*shape[:d], shape[d] * int(repeats), *shape[d + 1:])
    else:
        counts = _counts(repeats, x.shape[d] if x.ndim else 1)
        if counts.size != (x.shape[d] if x.ndim else 1):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({d}) = {x.shape[d]}")
        src = np.repeat(np.arange(counts.size), counts)
        out = getitem(x, (slice(None),) * d + (src,))
    if output_size is not None and out.shape[d] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the {out.shape[d]} "
                           f"repeated entries")
    return out


def _counts(repeats: Any, n: int | None) -> np.ndarray:
    """The repeat counts as a 1-d int64 NumPy array (from a Tensor, a list or an array), checked."""
    arr = repeats._data if isinstance(repeats, Tensor) else repeats
    arr = np.asarray(arr.get() if hasattr(arr, "get") else arr)
    if arr.ndim != 1:
        raise RuntimeError(f"repeat_interleave only accept 1D vector as repeat, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"repeats has to be Long or Int tensor, got {arr.dtype}")
    if (arr < 0).any():
        raise RuntimeError("repeats can not be negative")
    return arr.astype(np.int64)


def unbind(input: Tensor, dim: int = 0) -> tuple:  # noqa: A002 - torch's name
    """The slices of ``input`` along ``dim``, that dim removed: (N, C) -> N tensors (C,) for dim 0."""
    d = _wrap_dim(dim, input.ndim, "unbind")
    return tuple(select(input, d, i) for i in range(input.shape[d]))
