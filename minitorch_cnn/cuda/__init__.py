"""``mt.cuda``: is_available, synchronize, manual_seed, device_count, empty_cache — as torch.cuda; ``mt.cuda.amp``
holds the deprecated mixed-precision spellings."""

from __future__ import annotations

from .. import backend
from .memory import empty_cache

__all__ = ["device_count", "empty_cache", "is_available", "manual_seed", "manual_seed_all", "synchronize"]


def is_available() -> bool:
    """True when CuPy imports and sees a CUDA GPU."""
    return backend.cuda_available()


def synchronize() -> None:
    """Wait for all queued GPU work to finish (no-op without a GPU)."""
    backend.cuda_synchronize()


def device_count() -> int:
    if not backend.cuda_available():
        return 0
    return int(backend.require_cuda().cuda.runtime.getDeviceCount())


def manual_seed(seed: int) -> None:
    """Seed the generator used for CUDA tensors: the same single generator as the CPU (numbers are drawn on the
    CPU and moved), so this equals ``mt.manual_seed``."""
    backend.manual_seed(seed)


manual_seed_all = manual_seed
