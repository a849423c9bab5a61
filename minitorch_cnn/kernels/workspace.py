"""Reusable scratch buffers for the big temporaries of conv and pooling (im2col columns and the like).

A fresh 150 MB ``np.empty`` is cheap to ask for but expensive to use: the OS maps its pages one fault
at a time on first touch, so a conv layer that takes its columns, GEMM output and col2im buffers from here
pays those faults once instead of on every call (measured in benchmarks/results/NOTES.md). Only NumPy buffers
are pooled: CuPy has its own pool.

The pool holds flat byte buffers of any size, not one buffer per (shape, dtype): ``take`` hands out a view of
the smallest idle buffer that is big enough, and when none is, it drops the biggest idle one that is too small
before allocating. So the idle set stays as many buffers as are ever in use at once (a conv layer's columns and
GEMM output), each as big as the biggest request, instead of two per layer shape.

A buffer handed out by ``take`` belongs to the caller until it calls ``give``; its contents are undefined.
Never ``give`` an array that anything else may still read.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Any

import numpy as np

from .. import backend

_idle: list[np.ndarray] = []  # flat uint8 buffers, free for the next take
_ours: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> each buffer this module allocated
_held = [0]  # bytes held in _idle
_limit = [1 << 30]
_lock = threading.Lock()  # the threads of ``threadpool`` take and give at once


def _pop(buf: np.ndarray) -> None:
    """Remove ``buf`` from the idle list (by identity: ``list.remove`` would compare arrays elementwise)."""
    del _idle[next(i for i, b in enumerate(_idle) if b is buf)]
    _held[0] -= buf.nbytes


def take(shape: tuple[int, ...], dtype: Any, like: Any) -> Any:
    """An uninitialised array of ``shape``/``dtype`` on ``like``'s device, reused when one is idle."""
    xp = backend.array_module(like)
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    with _lock:
        fits = [b for b in _idle if b.nbytes >= nbytes]
        buf = min(fits, key=len) if fits else None
        if buf is not None:
            _pop(buf)
        elif _idle:  # the biggest idle buffer is too small for this request: let a bigger one take its place
            _pop(max(_idle, key=len))
    if buf is None:
        buf = np.empty(nbytes, dtype=np.uint8)
        with _lock:
            _ours[id(buf)] = buf
    return buf[:nbytes].view(dtype).reshape(shape)


def give(buf: Any) -> None:
    """Hand ``buf`` (from ``take``) back for reuse; the smallest idle buffers go when over the limit."""
    if type(buf) is not np.ndarray:
        return
    owner = buf if buf.base is None else buf.base
    with _lock:
        if _ours.get(id(owner)) is not owner or any(b is owner for b in _idle) or owner.nbytes > _limit[0]:
            return
        _idle.append(owner)
        _held[0] += owner.nbytes
        while _held[0] > _limit[0]:
            _pop(min(_idle, key=len))


def empty_cache() -> None:
    """Release every idle buffer (like ``torch.cuda.empty_cache`` for the CPU scratch space)."""
    with _lock:
        _idle.clear()
        _held[0] = 0


def set_limit(nbytes: int) -> None:
    """Most bytes kept idle for reuse (default 1 GiB); 0 turns reuse off."""
    _limit[0] = int(nbytes)
    if _held[0] > _limit[0]:
        empty_cache()


def held_bytes() -> int:
    """Bytes currently kept idle for reuse."""
    return _held[0]
