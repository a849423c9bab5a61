"""The C heap's policy: big freed blocks stay in the process for the next step instead of going back to the OS.

Why: a training step allocates the same big arrays every time (activations, gradients, the optimizer's
temporaries), and glibc's malloc hands blocks from 128 KiB up (its threshold rises to at most 32 MiB as blocks are
freed) straight to the OS with ``munmap``, and trims the heap's free top. The next step then faults every page
of those arrays in again, and the kernel zeroes each one (NumPy asks for huge pages on big arrays; finding one may
mean compacting memory first). That time is system time, and it varies from step to step: AlexNet-BN's SGD step
(batch 16, 2-core VM) spent 54 to 670 ms in the kernel on ~2,300 page faults for 90 ms of arithmetic, its backward
39 to 318 ms; steps were 1.5-2x apart. With big blocks kept (``mallopt``: no ``mmap`` below 1 GiB, no trimming of
a free top under 1 GiB), those steps made no page faults after the first and spent ~0 ms in the kernel.

The cost: memory freed by the program stays in the process (up to the working set of a step, reused by the next)
rather than returning to the OS; ``release()`` gives it back. Set once at import, for glibc only (elsewhere the
heap is left as it is): it is the process's heap, the same for every library in it.
"""

from __future__ import annotations

import ctypes
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
KEEP_BYTES = 1 << 30  # blocks up to this size come from the heap; a free top up to this size is kept


def _libc() -> ctypes.CDLL | None:
    """glibc, or None (musl, macOS, Windows: their allocators have other knobs)."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def keep_freed_blocks() -> bool:
    """Apply the policy (see the module docstring); whether it took effect."""
    libc = _libc()
    if libc is None:
        return False
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(libc.mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(libc.mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))


def release() -> None:
    """Give the heap's free memory back to the OS now (glibc's ``malloc_trim``), e.g. after training."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        libc.malloc_trim(0)
