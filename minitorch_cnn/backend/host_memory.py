"""Keep freed big buffers in the process heap, so the next training step reuses them without page faults.

glibc serves a big allocation (over M_MMAP_THRESHOLD: 128 KiB, rising with use to at most 32 MiB) with
fresh mmap pages, which the kernel maps one fault at a time on first touch, and hands the heap's free
top back to the OS once it passes M_TRIM_THRESHOLD. A training step allocates and frees the same
activation-sized arrays every time, so it paid those faults every step (what that cost is in
benchmarks/results/NOTES.md). With the settings below tensors up to 1 GiB come from the heap, and up to 1 GiB of
freed heap stays mapped. Bigger scratch buffers are pooled by ``kernels.workspace``. Up to 1 GiB, not glibc's own
32 MiB ceiling, because weight-sized arrays of big Linear layers (AlexNet-BN's gradients and the optimizer's
temporaries) were fresh mappings every step, and the kernel time spent faulting them in varied from step to step,
and the steps' times with it. Where a glibc refuses a threshold that high, 32 MiB is used.

This changes malloc for the whole process (torch in the same process profits alike). It is applied on
import, on glibc only; set ``MINITORCH_MALLOC_TUNING=0`` before importing to leave malloc alone.
"""

from __future__ import annotations

import ctypes
import os
import platform

ENV_VAR = "MINITORCH_MALLOC_TUNING"
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
MMAP_THRESHOLD, MMAP_THRESHOLD_FALLBACK = 1 << 30, 32 << 20
TRIM_THRESHOLD = 1 << 30


def tune_malloc() -> bool:
    """Apply the settings above; False (and nothing changed) off glibc or when the variable is "0"."""
    if os.environ.get(ENV_VAR, "1") == "0" or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mapped = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) or mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_FALLBACK)
    return bool(mapped) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
