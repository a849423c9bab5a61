"""The optimizers' updates compiled: each parameter's whole update in one pass over its arrays.

NumPy's SGD step with momentum and weight decay makes six passes and three temporaries the size of the
parameter (Adam's, a dozen passes); this reads p, g and the buffers once and writes p and the buffers once,
which is what a step of a model with big layers (AlexNet's fully connected ones) is bound by: memory traffic.
Each element goes through the reference's arithmetic in the parameter's dtype (the hyper-parameters cast to it
first, as NumPy casts a Python float there), one operation at a time, so the bits are the reference's; a big
parameter is split over ``threadpool``'s threads.
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


@njit(parallel=True, cache=True)
def _adam(p, g, m, v, vmax, amsgrad, keep, wd, decoupled, maximize, w1, w1_minus_1, half, beta2, one_minus_beta2,
          step_size, bc2_sqrt, eps, lo, hi, ready, ready_value):  # pragma: no cover - compiled
    # p, g, m, v, vmax flat (vmax empty without AMSGrad); elements [lo, hi); keep = 1 - lr·wd, w1 = 1 - beta1,
    # half: |w1| < 0.5 (lerp's form)
    signal(ready, ready_value)
    start = unsigned(lo)
    for k in prange(unsigned(hi - lo)):
        i = start + k
        x = p[i]
        d = -g[i] if maximize else g[i]
        if wd != 0:
            if decoupled:
                x = x * keep
            else:
                d = d + wd * x
        diff = d - m[i]  # lerp(m, d, w1) in torch's two forms
        m[i] = m[i] + diff * w1 if half else d + diff * w1_minus_1
        s = v[i] * beta2 + one_minus_beta2 * d * d
        v[i] = s
        if amsgrad:
            top = vmax[i]
            top = top if (top >= s) | (top != top) else s  # np.maximum: a NaN on either side wins
            vmax[i] = top
            s = top
        p[i] = x + -step_size * m[i] / (np.sqrt(s) / bc2_sqrt + eps)


def adam_step(p: Any, g: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any, step: float, lr: float,
              beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool, maximize: bool) -> None:
    """As the reference, in one pass (float32 and float64 C-contiguous arrays; anything else runs the reference)."""
    arrays = (p, g, exp_avg, exp_avg_sq) + (() if max_exp_avg_sq is None else (max_exp_avg_sq,))
    if p.dtype.type not in (np.float32, np.float64) or any(a.dtype != p.dtype or not a.flags.c_contiguous
                                                             for a in arrays):
        numpy_kernels.adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
                                weight_decay, decoupled, maximize)
        return
    t = p.dtype.type
    vmax = np.empty(0, p.dtype) if max_exp_avg_sq is None else flat(max_exp_avg_sq)
    w1 = 1 - beta1  # each constant computed as the reference computes it, then cast as NumPy casts it there
    scalars = (t(1 - lr * weight_decay), t(weight_decay), decoupled, maximize, t(w1), t(w1 - 1), abs(w1) < 0.5,
               t(beta2), t(1 - beta2), t(lr / (1 - beta1**step)), t((1 - beta2**step) ** 0.5), t(eps))
    run_over_range(_adam, p.size, p.size, (flat(p), flat(g), flat(exp_avg), flat(exp_avg_sq), vmax,
                                           max_exp_avg_sq is not None, *scalars))
