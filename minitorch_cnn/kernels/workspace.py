"""Reusable scratch buffers for the big temporaries of conv and pooling (im2col columns and the like).

A fresh 150 MB ``np.empty`` is cheap to ask for but expensive to use: the OS maps its pages one fault
at a time on first touch. On the (64, 64, 32, 32) 3×3 conv layer, taking the columns, GEMM output and
col2im buffers from here instead of allocating them anew made forward+backward 2× faster under load
(255 vs 532 ms; see benchmarks/conv_layer.py). Only NumPy buffers are pooled: CuPy has its own pool.

A buffer handed out by ``take`` belongs to the caller until it calls ``give``; its contents are
undefined. Never ``give`` an array that anything else may still read.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .. import backend

_free: OrderedDict[tuple, list[np.ndarray]] = OrderedDict()  # (shape, dtype) -> idle buffers, oldest key first
_held = [0]  # bytes held in _free
_limit = [1 << 30]
_PER_KEY = 2  # one layer's buffer in flight plus one spare


def take(shape: tuple[int, ...], dtype: Any, like: Any) -> Any:
    """An uninitialised array of ``shape``/``dtype`` on ``like``'s device, reused when one is idle."""
    xp = backend.array_module(like)
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    key = (tuple(shape), np.dtype(dtype))
    bufs = _free.get(key)
    if bufs:
        buf = bufs.pop()
        if not bufs:
            del _free[key]
        _held[0] -= buf.nbytes
        return buf
    return np.empty(shape, dtype=dtype)


def give(buf: Any) -> None:
    """Hand ``buf`` (from ``take``) back for reuse; the oldest idle buffers go when over the limit."""
    if type(buf) is not np.ndarray or buf.base is not None or buf.nbytes > _limit[0]:
        return
    key = (buf.shape, buf.dtype)
    bufs = _free.setdefault(key, [])
    if len(bufs) >= _PER_KEY:
        return
    bufs.append(buf)
    _free.move_to_end(key)
    _held[0] += buf.nbytes
    while _held[0] > _limit[0]:
        old_key, old = next(iter(_free.items()))
        _held[0] -= old.pop(0).nbytes
        if not old:
            del _free[old_key]


def empty_cache() -> None:
    """Release every idle buffer (like ``torch.cuda.empty_cache`` for the CPU scratch space)."""
    _free.clear()
    _held[0] = 0


def set_limit(nbytes: int) -> None:
    """Most bytes kept idle for reuse (default 1 GiB); 0 turns reuse off."""
    _limit[0] = int(nbytes)
    if _held[0] > _limit[0]:
        empty_cache()


def held_bytes() -> int:
    """Bytes currently kept idle for reuse."""
    return _held[0]
