"""``F.pad`` with every torch mode: 'constant' (``ops.shape``'s PadOp), 'reflect', 'replicate', 'circular'.

The non-constant modes are gathers: padded position i of an axis of size n (i from -lo to n + hi - 1) reads

    reflect:    |i| for i < 0,  2(n-1) - i for i >= n   (the edge is not repeated; needs lo, hi < n)
    replicate:  clip(i, 0, n-1)
    circular:   i mod n                                 (needs lo, hi <= n)

(circular, as torch's, first crops negative pads away and wraps within what is left: a := max(-lo, 0) rows
cropped at the start, n' = n - a - max(-hi, 0) left, position i reads a + (i mod n') for i from -max(lo, 0)),
so forward is an integer-array index per padded axis and backward (what ``GetItem``'s scatter-add derives) adds
each output gradient into the position it was read from. Negative pads crop, as in torch.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Tensor
from .indexing import getitem
from .shape import pad as _constant_pad

_MODES = ("constant", "reflect", "replicate", "circular")


def _source(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """The input position each padded position of an axis of size ``n`` reads (see the module docstring)."""
    if mode == "circular":
        start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        return start + np.arange(-max(lo, 0), kept + max(hi, 0)) % kept
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        return np.where(i < 0, -i, np.where(i >= n, 2 * (n - 1) - i, i))
    return np.clip(i, 0, n - 1)  # replicate


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """``torch.nn.functional.pad``: ``pad`` = (left, right, top, bottom, ...) pairs starting at the last dim.

    'reflect', 'replicate' and 'circular' pad the last 1, 2 or 3 dims of a batched or unbatched input
    (2-3, 3-4 or 4-5 dims), as torch's.
    """
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unsupported padding mode {mode!r}: expected one of {list(_MODES)}")
    if mode == "constant":
        return _constant_pad(input, pad, "constant", 0.0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    pad = tuple(int(p) for p in pad)
    k = len(pad) // 2
    if len(pad) % 2 or k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of {len(pad)} values needs a {k + 1}-d or {k + 2}-d input "
                                  f"(the last {k} dims padded), got input of shape {tuple(input.shape)}")
    out = input
    for j in range(k):
        axis = input.ndim - 1 - j
        n, lo, hi = input.shape[axis], pad[2 * j], pad[2 * j + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the input dimension {axis} "
                               f"of size {n} (input shape {tuple(input.shape)})")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"pad: circular padding ({lo}, {hi}) may be at most the size {n} of dimension {axis} "
                               f"(input shape {tuple(input.shape)})")
        if n + lo + hi < 1:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) leaves nothing of dimension {axis} of size {n}")
        if lo or hi:
            out = getitem(out, (slice(None),) * axis + (_source(n, lo, hi, mode),))
    return out
