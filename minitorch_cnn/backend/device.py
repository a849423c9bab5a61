"""Devices and array modules: NumPy for "cpu", CuPy for "cuda".

CuPy is imported lazily, the first time a CUDA device is asked for or a CuPy array is seen,
so the core imports with NumPy alone.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

_cupy: Any = None
_cupy_checked = False


def _load_cupy() -> Any:
    """The cupy module if it imports and sees a GPU, else None (checked once)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
            _cupy = None
    return _cupy


def cuda_available() -> bool:
    """True when CuPy imports and at least one CUDA device is visible."""
    return _load_cupy() is not None


def require_cuda() -> Any:
    """The cupy module, or a clear error saying why CUDA cannot be used."""
    cp = _load_cupy()
    if cp is None:
        raise RuntimeError(
            "device 'cuda' was asked for but CUDA is not available: install the GPU extra "
            "(pip install -e '.[gpu]') on a machine with an NVIDIA GPU"
        )
    return cp


def cuda_synchronize() -> None:
    """Wait for all queued CUDA work (no-op without a GPU)."""
    cp = _load_cupy()
    if cp is not None:
        cp.cuda.Device().synchronize()


class Device:
    """A device like torch.device: ``Device("cpu")``, ``Device("cuda")``, ``Device("cuda:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu", index: int | None = None) -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind == "meta":
            raise ValueError("device 'meta' (tensors with shapes but no data) is not offered: minitorch_cnn's tensors "
                             "always hold their values; to reason about shapes, run the module on a small CPU input "
                             "or use mt.summary(model, input_size)")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {spec!r}: expected 'cpu' or 'cuda'")
        self.type = kind
        self.index = int(idx) if idx else index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and (
            self.index is None or other.index is None or self.index == other.index
        )

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = Device("cpu")
CUDA = Device("cuda")


def device(spec: str | Device = "cpu", index: int | None = None) -> Device:
    """``mt.device("cpu" | "cuda")``."""
    return Device(spec, index)


def get_default_device() -> Device:
    """The device new tensors are made on: the CPU (``set_default_device`` offers no other)."""
    return CPU


def set_default_device(dev: str | Device | None) -> None:
    """``torch.set_default_device``: the CPU (or None, torch's reset to it) is accepted and is what every factory
    and module already uses. A CUDA default is refused: our modules build their parameters on the CPU, so a CUDA
    default would place new tensors and new parameters apart; move them with ``.to(device)`` instead."""
    if dev is not None and Device(dev).type != "cpu":
        raise NotImplementedError(f"set_default_device({str(dev)!r}): minitorch_cnn makes new tensors on the CPU "
                                  f"only; create them there and move them with .to({str(dev)!r})")


def _cupy_array_type() -> Any:
    """cupy.ndarray if cupy was imported (a CuPy array can't exist otherwise), else None; never imports it."""
    cp = sys.modules.get("cupy")
    return getattr(cp, "ndarray", None)


def array_module(arr: Any) -> Any:
    """cupy for CuPy arrays; numpy for everything else (NumPy arrays and scalars, Python numbers, lists)."""
    if type(arr) is np.ndarray:
        return np
    cp_array = _cupy_array_type()
    if cp_array is not None and isinstance(arr, cp_array):
        return sys.modules["cupy"]
    return np


def device_of(arr: Any) -> Device:
    """The device an array lives on: cuda for CuPy arrays, else cpu."""
    if type(arr) is np.ndarray:
        return CPU
    cp_array = _cupy_array_type()
    return CUDA if cp_array is not None and isinstance(arr, cp_array) else CPU


def move_to(arr: Any, dev: str | Device) -> Any:
    """The array on device ``dev`` (the same object when it is already there)."""
    dev = Device(dev)
    if dev.type == "cpu":
        if isinstance(arr, np.ndarray):
            return arr
        if device_of(arr).type == "cuda":
            return arr.get()
        return np.asarray(arr)  # NumPy scalars, Python numbers and (nested) lists
    cp = require_cuda()
    if isinstance(arr, cp.ndarray):
        return arr
    return cp.asarray(arr)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` with repeated indices accumulated, on either device."""
    if isinstance(target, np.ndarray):
        if not _scatter_add_along(target, index, values):
            np.add.at(target, index, values)
    else:
        import cupyx  # the CuPy twin of np.add.at

        cupyx.scatter_add(target, index, values)


_MOST_REPEATS = 32  # beyond, the rounds below cost more than add.at's element loop


def _scatter_add_along(target: np.ndarray, index: Any, values: Any) -> bool:
    """``scatter_add`` for an index of one axis (``(:, ..., :, i)``, i a 1-d array of non-negative integers: the
    gradient of index_select, embedding, x[i]) in rounds: round r adds, for every target slice, its r-th value
    (in the order of i) with one vectorised ``+=`` over distinct targets, so each slice gets t + v₁ + v₂ + ... in
    add.at's order, bit for bit. np.add.at adds one slice at a time (an embedding's gradient ran 5x torch's time).
    False (nothing done) for other indices and for more than ``_MOST_REPEATS`` repeats of one slice."""
    parts = index if isinstance(index, tuple) else (index,)
    d = len(parts) - 1
    idx = parts[-1]
    if not (isinstance(idx, np.ndarray) and idx.ndim == 1 and idx.dtype.kind in "iu" and idx.size > 1
            and all(isinstance(p, slice) and p == slice(None) for p in parts[:-1])
            and np.shape(values) == target.shape[:d] + idx.shape + target.shape[d + 1:] and idx.min() >= 0):
        return False
    order = np.argsort(idx, kind="stable")
    ranked = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    runs = np.diff(np.append(starts, idx.size))
    if runs.max() > _MOST_REPEATS:
        return False
    rows, slices = np.moveaxis(np.asarray(values), d, 0), np.moveaxis(target, d, 0)
    for r in range(int(runs.max())):
        live = starts[runs > r]
        slices[ranked[live]] += rows[order[live + r]]
    return True


def as_array(a: Any) -> Any:
    """``a`` as an array: NumPy hands 0-d results back as scalars (np.float64...), and tensors always hold arrays."""
    return np.asarray(a) if isinstance(a, np.generic) else a
