"""Drawing indices and bits from probabilities: multinomial, bernoulli; and two index questions: isin,
unravel_index. None of them is differentiable (torch's results are integers or fresh draws).

    multinomial(p, k, replacement=True)   each row: k draws of i with probability p_i / Σp, by the inverse CDF
                                          (u uniform on [0, 1): the first i with u < cdf_i)
    multinomial(p, k, replacement=False)  each row: k distinct indices, sequential sampling without replacement, as
                                          the exponential race: the k largest p_i / e_i, e_i ~ Exp(1) (zero-probability
                                          indices come last, in random order, as torch's)
    bernoulli(p)                          1 where u < p, else 0, in p's dtype
    isin(elements, test_elements)         elements found among test_elements (``invert``: not found)
    unravel_index(i, shape)               the coordinates of flat index i in a row-major ``shape`` (torch's div/mod:
                                          no bounds check)

Draws come from the global generator (``mt.manual_seed``) or ``generator=``: not torch's stream, so only
distributions, shapes, dtypes and errors are torch's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .factories import _source


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002 - torch's name
                generator: Any = None) -> Tensor:
    """``num_samples`` indices per row of the (unnormalised) probabilities ``input`` (1-d or 2-d), int64."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{str(input.dtype).split('.')[-1].capitalize()}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    p = backend.move_to(input._data, "cpu").astype(np.float64).reshape(-1, n)
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = p.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _source(generator)
    if replacement:
        cdf = np.cumsum(p / total, axis=1)
        u = gen.random(size=(p.shape[0], num_samples))
        out = np.stack([np.searchsorted(c, row, side="right") for c, row in zip(cdf, u)])
        last = n - 1 - np.argmax(p[:, ::-1] > 0, axis=1)  # rounding may leave cdf[-1] a hair under 1
        out = np.minimum(out, last[:, None])
    else:
        e = -np.log1p(-gen.random(size=p.shape))  # Exp(1) draws
        with np.errstate(divide="ignore"):
            keys = np.where(p > 0, p / e, -e)  # zero-probability indices after every positive one, in random order
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64).reshape(input.shape[:-1] + (num_samples,))
    return Tensor._wrap(backend.move_to(out, input.device))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """0/1 draws with probability ``input`` elementwise (or the scalar ``p``), in ``input``'s dtype."""
    probs = backend.move_to(input._data, "cpu").astype(np.float64) if p is None else np.full(input.shape, float(p))
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    draws = _source(generator).random(size=tuple(input.shape)) < probs
    return Tensor._wrap(backend.move_to(draws.astype(input._data.dtype), input.device))


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Bool tensor of ``elements``' shape: which of them occur in ``test_elements`` (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
                        f"{type(test_elements).__name__}), but expected at least one Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = backend.array_module(like._data)
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._wrap(xp.isin(a, b, assume_unique=assume_unique, invert=invert))


def unravel_index(indices: Tensor, shape: Any) -> tuple:
    """One int64 tensor per dimension of ``shape``: the coordinates of each flat index (row-major)."""
    if not isinstance(indices, Tensor):
        raise TypeError("unravel_index(): argument 'indices' (position 1) must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    if indices._data.size and math.prod(shape) == 0:
        raise ValueError(f"'shape' cannot have zero dimensions when 'indices' is non-empty, but got {shape}")
    rest = indices._data.astype(np.int64)
    coords = []
    for d in reversed(shape):
        coords.append(rest % d)
        rest = rest // d
    return tuple(Tensor._wrap(c) for c in reversed(coords))


METHODS = {
    "multinomial": multinomial,
    "bernoulli": bernoulli,
}
