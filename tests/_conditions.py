"""Conditions of computations shared by several test files: the magnitude of the terms behind each result, the
scale of :func:`tests._parity.assert_f32_close`'s bound where a result may cancel."""

from __future__ import annotations

import numpy as np


def bn_conditions(x, w, b, rm, rv, g, training, momentum, eps=1e-5) -> dict:
    """The magnitude of the terms behind each BatchNorm result (float64, broadcastable to it), the bound's scale for
    float32: x - mean cancels, so its terms are |x| + |mean|; the gradients are sums of those times |g|.
    ``rm``, ``rv`` are the running statistics before the step; ``momentum`` the one the step applies."""
    c = x.shape[1]
    axes, per_channel = (0, *range(2, x.ndim)), (1, c) + (1,) * (x.ndim - 2)
    var = x.astype(np.float64).var(axes) if training else rv.astype(np.float64)  # the one normalised with
    s = (1 / np.sqrt(var + eps)).reshape(per_channel)  # a factor: its rounding is relative, no cancellation
    x, g = np.abs(x.astype(np.float64)), np.abs(g.astype(np.float64))
    w = np.ones(c) if w is None else np.abs(w.astype(np.float64))
    b = np.zeros(c) if b is None else np.abs(b.astype(np.float64))
    rm, rv = np.abs(rm.astype(np.float64)), np.abs(rv.astype(np.float64))
    mean = x.mean(axes) if training else rm  # a batch mean is a sum of x: its rounding scales with mean |x|
    ax = (x + mean.reshape(per_channel)) * s  # the terms of |x̂|
    # "mean", "var": the statistics normalised with (the batch's, var biased, or the running ones)
    cond = {"y": ax * w.reshape(per_channel) + b.reshape(per_channel), "db": g.sum(axes), "dw": (g * ax).sum(axes),
            "mean": mean, "var": ((ax / s) ** 2).mean(axes) if training else rv, "running_mean": rm,
            "running_var": rv}
    if training:
        n = x.size // c
        cond["dx"] = s * w.reshape(per_channel) * (g + g.mean(axes, keepdims=True)
                                                   + ax * (g * ax).mean(axes, keepdims=True))
        cond["running_mean"] = (1 - momentum) * rm + momentum * mean
        cond["running_var"] = (1 - momentum) * rv + momentum * n / (n - 1) * cond["var"]
    else:
        cond["dx"] = g * w.reshape(per_channel) * s
    return cond
