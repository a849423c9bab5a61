"""Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye, randn, rand, randint, *_like.

Random factories draw from the one global generator (``mt.manual_seed``) on the CPU and move the
result to the device, so CPU and CUDA runs see the same numbers.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..kernels.fused_multiply_add import arange_values, fma


def _size(size: tuple) -> tuple:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _given_size(sizes: tuple, size: Any, name: str) -> tuple:
    """The shape of ``name(*sizes)`` or of ``name(size=...)`` (torch accepts either, not both)."""
    if size is None:
        return _size(sizes)
    if sizes:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    return _size((size,))


def _finish(arr: np.ndarray, device: Any, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(backend.move_to(arr, device) if device is not None else arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype: Any) -> np.dtype:
    return backend.get_default_dtype() if dtype is None else backend.to_dtype(dtype)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor from data (a copy, as torch.tensor); float lists get the default dtype."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        data = data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d.item() if isinstance(d, Tensor) else d for d in data]
    xp = backend.array_module(data)
    if dtype is not None:
        arr = xp.array(data, dtype=backend.to_dtype(dtype), copy=True)
    else:
        arr = xp.array(data, copy=True)
        if arr.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)) and xp is np:
            arr = arr.astype(backend.get_default_dtype(), copy=False)  # Python floats: the default dtype
        elif arr.dtype.kind in "iu" and arr.dtype not in (np.uint8, np.int8, np.int16, np.int32):
            arr = arr.astype(np.int64, copy=False)
        backend.to_dtype(arr.dtype)  # a clear TypeError for strings, objects, complex...
    return _finish(arr, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array of the right dtype."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return _finish(data, device, False)
    return tensor(data, dtype, device)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr``, keeping its dtype."""
    return Tensor._wrap(arr)


def zeros(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_given_size(sizes, size, "zeros"), dtype=_float(dtype)), device, requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_given_size(sizes, size, "ones"), dtype=_float(dtype)), device, requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_given_size(sizes, size, "empty"), dtype=_float(dtype)), device, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = (
            np.bool_ if isinstance(fill_value, bool) else np.int64 if isinstance(fill_value, int) else _float(None)
        )
    return _finish(np.full(_size((size,)), fill_value, dtype=backend.to_dtype(dtype)), device, requires_grad)


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None, device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, int) for v in (start, end, step)) else _float(None)
    return _finish(torch_arange(start, end, step, backend.to_dtype(dtype)), device, requires_grad)


def torch_arange(start: float, end: float, step: float, dtype: np.dtype) -> np.ndarray:
    """torch.arange's values bit for bit. The length is ceil((end - start) / step) in float64. Integer dtypes
    truncate start and step first, then count ``start + step·i``. Floating dtypes work in torch's accumulate type
    (float64; float32 for float16) as its vectorised CPU loop: in pairs of 32-byte vectors (16, 8 or 4 lanes)
    each lane is ``base + j·step`` fused, from ``base = start + step·i₀`` fused and rounded to the dtype, i₀ the
    vector's first index; the elements past the last whole pair are ``start + step·i`` fused. NumPy's arange
    computes in the dtype itself and misses float32 values by up to ~1e-5 over a few hundred steps."""
    dtype = np.dtype(dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(float(v)) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.ceil((float(end) - float(start)) / float(step)))
    if dtype.kind != "f":
        return (int(start) + int(step) * np.arange(n, dtype=np.int64)).astype(dtype, copy=False)
    if dtype.itemsize == 2:
        return _half_arange(float(start), float(step), n)
    return arange_values(start, step, n, dtype)


def _half_arange(start: float, step: float, n: int) -> np.ndarray:
    """float16's arange: the same lanes (16 of them) in float32, torch's accumulate type for half."""
    i = np.arange(n)
    whole = n - n % 32
    first = np.where(i < whole, i - i % 16, i).astype(np.float32)
    lane = np.where(i < whole, i % 16, 0).astype(np.float32)
    with np.errstate(over="ignore"):  # past float16's range: inf, as torch's
        base = fma(np.full(n, step, np.float32), first, np.full(n, start, np.float32)).astype(np.float16)
        return fma(lane, np.full(n, step, np.float32), base.astype(np.float32)).astype(np.float16)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _finish(torch_linspace(start, end, steps, _float(dtype)), device, requires_grad)


def torch_linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    """torch.linspace's values bit for bit: step = (end - start) / (steps - 1) in the dtype (float64 for integer
    dtypes, then truncated); below the middle start + step·i, from it end - step·(steps - 1 - i), each one fused
    multiply-add, as torch's CPU loop (NumPy's start + i·step rounds twice and differs in the last bit)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = np.dtype(dtype)
    work = dtype if dtype.kind == "f" else np.dtype(np.float64)
    t = work.type
    s, e = t(start), t(end)
    if steps <= 1:
        return np.full(steps, s).astype(dtype)
    step = t(t(e - s) / t(steps - 1))
    i = np.arange(steps)
    low = i < steps // 2
    scale = np.where(low, step, -step).astype(work)
    count = np.where(low, i, steps - 1 - i).astype(work)
    shift = np.where(low, s, e).astype(work)
    return fma(scale, count, shift).astype(dtype, copy=False)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float(dtype)), device, requires_grad)


def _source(generator: Any) -> Any:
    """Where random draws come from: ``generator`` (an mt.Generator draws torch's numbers for rand, randint and
    randperm; a NumPy one NumPy's) or the global generator."""
    return backend.generator() if generator is None else generator


def randn(*sizes: Any, size: Any = None, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    shape = _given_size(sizes, size, "randn")
    arr = _source(generator).standard_normal(shape, dtype=np.float64).astype(_float(dtype), copy=False)
    return _finish(arr, device, requires_grad)


def rand(*sizes: Any, size: Any = None, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    gen, dt, shape = _source(generator), _float(dtype), _given_size(sizes, size, "rand")
    if isinstance(gen, backend.Generator):  # torch's own draw for the dtype
        arr = gen.random(shape, dtype=dt)
    else:
        arr = gen.random(shape, dtype=np.float64).astype(dt, copy=False)
    return _finish(arr, device, requires_grad)


def randint(
    low: int, high: Any = None, size: tuple = (), *, generator: Any = None, dtype: Any = None, device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers in [low, high); torch's overloads ``randint(high, size)`` and ``randint(low, high, size)``."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    arr = _source(generator).integers(low, high, size=tuple(size), dtype=np.int64)
    arr = arr.astype(backend.to_dtype(np.int64 if dtype is None else dtype), copy=False)
    return _finish(arr, device, requires_grad)


def randperm(n: int, *, generator: Any = None, device: Any = None) -> Tensor:
    return _finish(_source(generator).permutation(n).astype(np.int64), device, False)


def _like(fn: Any) -> Any:
    def like(x: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        dt = x.dtype if dtype is None else dtype
        if fn in (randn, rand) and backend.to_dtype(dt).kind != "f":
            raise RuntimeError(f"{fn.__name__}_like: expected a floating dtype, got {dt}")
        return fn(*x.shape, dtype=dt, device=device or x.device, requires_grad=requires_grad)

    like.__name__ = fn.__name__ + "_like"
    return like


zeros_like, ones_like, empty_like, randn_like, rand_like = (_like(f) for f in (zeros, ones, empty, randn, rand))


def full_like(x: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def randint_like(x: Tensor, low: int = 0, high: int | None = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Integers in [low, high) shaped like ``x`` (``randint_like(x, high)`` is [0, high)), in ``x``'s dtype."""
    if high is None:
        low, high = 0, low
    dt = x.dtype if dtype is None else dtype
    return randint(low, high, tuple(x.shape), dtype=dt, device=device or x.device, requires_grad=requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std²): elementwise for tensor ``mean``/``std`` (broadcast), or ``size`` of them for
    numbers, as torch.normal."""
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        if size is not None:
            raise RuntimeError("normal: size is only taken when mean and std are numbers")
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = dtype or tensors[0].dtype
        like = tensors[0]
        z = backend.generator().standard_normal(shape).astype(backend.to_dtype(dt), copy=False)
        z = backend.move_to(z, like.device)
        return _finish(z * s + m, None, requires_grad)
    if size is None:
        raise RuntimeError("normal: with a number mean and std, pass size")
    z = backend.generator().normal(mean, std, size=_size((size,) if isinstance(size, int) else tuple(size)))
    return _finish(z.astype(_float(dtype), copy=False), device, requires_grad)
