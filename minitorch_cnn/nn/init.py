"""Weight initialisation, torch's rules for fans and gains exactly (``torch.nn.init``).

Every function fills its tensor in place (without recording a graph) and returns it. Random ones
draw from ``backend.generator()`` (so ``mt.manual_seed`` makes them reproducible), or from the
``generator`` passed (a ``numpy.random.Generator``).
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad

_DRAW_CHUNK = 1 << 17  # float64 draws per piece: 1 MiB, in a core's L2
_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: 1 (linear/conv/sigmoid), 5/3 (tanh), √2 (relu),
    √(2/(1+slope²)) (leaky_relu, slope 0.01 by default), 3/4 (selu)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel): in·∏kernel and out·∏kernel."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, arr: Any) -> Tensor:
    """Write ``arr`` (NumPy) into ``tensor`` in place, in its dtype and on its device."""
    with no_grad():
        return tensor._set_(backend.move_to(np.asarray(arr).astype(tensor.dtype, copy=False), tensor.device))


def _fill_drawn(tensor: Tensor, draw: Any) -> Tensor:
    """Fill ``tensor`` with ``draw(k)`` (k float64 draws at a time), in place: the same numbers as one draw of the
    whole shape (NumPy's generators consume their stream in order), cast into the tensor a cache-sized piece at a
    time, where one draw of a VGG classifier's 10⁸ weights made 1.2 GB of float64 and float32 temporaries."""
    arr, n = tensor._data, tensor.numel()
    if not (isinstance(arr, np.ndarray) and arr.flags.c_contiguous and arr.flags.writeable) or n <= _DRAW_CHUNK:
        return _fill(tensor, draw(n).reshape(tensor.shape))
    flat = arr.reshape(-1)  # written as _fill writes: without recording, whatever requires_grad says
    for start in range(0, n, _DRAW_CHUNK):
        flat[start:start + _DRAW_CHUNK] = draw(min(_DRAW_CHUNK, n - start))
    tensor._version_counter[0] += 1
    return tensor


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return backend.generator() if generator is None else generator


def _empty(tensor: Tensor) -> bool:
    if tensor.numel() == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill with U(a, b)."""
    rng = _rng(generator)
    return _fill_drawn(tensor, lambda k: rng.uniform(a, b, size=k))


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill with N(mean, std²)."""
    rng = _rng(generator)
    return _fill_drawn(tensor, lambda k: rng.normal(mean, std, size=k))


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (bounds in absolute values, not in stds, as torch's).

    Drawn by rejection: normal draws outside [a, b] are drawn again, which gives exactly the truncated law.
    When [a, b] holds under 1% of the mass, the inverse CDF of uniform draws on [Φ(a'), Φ(b')] is used instead.
    torch's own draw is the inverse-CDF one throughout (the same law, other numbers).
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)
    rng, n = _rng(generator), tensor.numel()
    normal = statistics.NormalDist(mean, std)
    lo, hi = normal.cdf(a), normal.cdf(b)
    if hi - lo < 0.01:
        inv = np.frompyfunc(normal.inv_cdf, 1, 1)
        values = inv(rng.uniform(lo, hi, size=n)).astype(np.float64)
    else:
        values = np.empty(0)
        while values.size < n:  # each round keeps the draws inside [a, b] (at least 1% of them)
            draws = rng.normal(mean, std, size=int((n - values.size) / (hi - lo)) + 16)
            values = np.concatenate([values, draws[(draws >= a) & (draws <= b)]])
    return _fill(tensor, np.clip(values[:n], a, b).reshape(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor._set_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """U(-a, a) with a = gain·√(6/(fan_in + fan_out)) (Glorot)."""
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (Glorot)."""
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """U(-bound, bound) with bound = gain·√(3/fan) (He); gain from ``nonlinearity`` with slope ``a``."""
    if _empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """N(0, std²) with std = gain/√fan (He)."""
    if _empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``, as torch's: the tensor viewed as (rows, cols) with
    rows = size(0); a standard normal draw (transposed when rows < cols) is QR-factored and Q's columns signed by
    R's diagonal, so that Q is uniform over the orthogonal matrices. Rows (or columns) are orthonormal, times gain."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor  # torch: no-op for zero elements
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity matrix (ones on the main diagonal of a rectangular one), as torch's."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-d convolution weight (out, in, *k) with the Dirac delta: within each of ``groups`` output
    groups, output channel d passes input channel d through the kernel's centre (k // 2), for as many channels as
    both sides have; zero elsewhere."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    arr = np.zeros(sizes)
    centre = tuple(k // 2 for k in sizes[2:])
    for g in range(groups):
        for d in range(min(per_group, sizes[1])):
            arr[(g * per_group + d, d, *centre)] = 1
    return _fill(tensor, arr)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill a 2-d tensor as a sparse matrix (Martens 2010), as torch's: N(0, std²) everywhere, then in each column
    ceil(sparsity · rows) entries at random rows set to zero."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rng = _rng(generator)
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    arr = rng.normal(0.0, std, size=(rows, cols))
    for col in range(cols):
        arr[rng.permutation(rows)[:num_zeros], col] = 0
    return _fill(tensor, arr)


def _deprecated(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """torch's old name without the underscore: warns (FutureWarning), then calls ``fn``."""
    new_name = fn.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.", FutureWarning,
                      stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = f"Deprecated: ``{new_name}``, after a FutureWarning (as torch's ``{old_name}``)."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
