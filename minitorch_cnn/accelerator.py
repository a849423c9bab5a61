"""``mt.accelerator``: torch's device-agnostic questions, answered for this library's one accelerator (CUDA
through CuPy): ``current_accelerator()`` is ``device('cuda')`` with a GPU, else None, as torch on a CPU machine."""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when a CUDA GPU is usable (CuPy imports and sees one)."""
    return backend.cuda_available()


def current_accelerator(check_available: bool = False) -> backend.Device | None:
    """``device('cuda')`` when a GPU is there, else None."""
    return backend.Device("cuda") if backend.cuda_available() else None


def device_count() -> int:
    from . import cuda

    return cuda.device_count()


def synchronize(device: object = None) -> None:
    """Wait for queued GPU work (nothing to wait for without one)."""
    backend.cuda_synchronize()
