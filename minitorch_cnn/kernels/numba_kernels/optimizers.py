"""The optimizers' updates compiled: each parameter's whole update in one pass over its arrays.

NumPy's SGD step with momentum and weight decay makes six passes and three temporaries the size of the
parameter; this reads p, g and the buffer once and writes p and the buffer once, which is what a step of a
model with big layers (AlexNet's fully connected ones) is bound by: memory traffic. Each element goes through
the reference's arithmetic in the parameter's dtype (the hyper-parameters cast to it first, as torch casts its
``alpha``), one operation at a time; a big parameter is split over ``threadpool``'s threads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from .. import numpy_kernels
from ..handoff import signal
from .layout import flat, unsigned
from .parallel import run_over_range


@njit(parallel=True, cache=True)
def _sgd(p, g, buf, first, has_buf, lr, momentum, damp, wd, nesterov, maximize, lo, hi, ready,
         ready_value):  # pragma: no cover - compiled
    # p, g, buf flat (buf empty without momentum); elements [lo, hi); damp = 1 - dampening
    signal(ready, ready_value)
    start = unsigned(lo)
    for k in prange(unsigned(hi - lo)):
        i = start + k
        d = -g[i] if maximize else g[i]
        if wd != 0:
            d = d + wd * p[i]
        if has_buf:
            if first:
                b = d
            elif damp == 1:  # torch multiplies by 1 - dampening = 1: exact, skipped
                b = momentum * buf[i] + d
            else:
                b = momentum * buf[i] + damp * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        p[i] = p[i] - lr * d


def sgd_step(p: Any, g: Any, buf: Any, first: bool, lr: float, momentum: float, dampening: float,
             weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """As the reference, in one pass (float32 and float64 C-contiguous arrays; anything else runs the reference)."""
    arrays = (p, g) if buf is None else (p, g, buf)
    if p.dtype.type not in (np.float32, np.float64) or any(a.dtype != p.dtype or not a.flags.c_contiguous
                                                             for a in arrays):
        numpy_kernels.sgd_step(p, g, buf, first, lr, momentum, dampening, weight_decay, nesterov, maximize)
        return
    t = p.dtype.type
    scalars = (t(lr), t(momentum), t(1 - dampening), t(weight_decay), nesterov, maximize)
    b = np.empty(0, p.dtype) if buf is None else flat(buf)
    run_over_range(_sgd, p.size, p.size, (flat(p), flat(g), b, first, buf is not None, *scalars))
