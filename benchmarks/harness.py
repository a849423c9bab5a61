"""Shared timing machinery: thread pinning, interleaved median timing, machine facts, result files.

Import this module before NumPy is imported anywhere (``run.py`` does), so the BLAS thread count set here
takes effect for NumPy as well as torch and Numba.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def pin_threads(n: int) -> None:
    """Same thread count for every side: OpenBLAS/MKL/OpenMP (env, before NumPy loads), Numba and torch."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(n)
    # OpenBLAS's idle workers spin ~2^28 cycles after each GEMM, starving Numba's workers on a busy machine
    # (CIFAR CNN step on 2 threads under load: 11.8x torch's time with the default, 1.06x with 2^4 cycles)
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def apply_threads(n: int) -> None:
    """The run-time half of pinning, once the libraries are imported."""
    import torch

    torch.set_num_threads(n)
    try:
        import numba

        from minitorch_cnn.kernels import dispatch

        # load our Numba kernels first: they pick Numba's threading layer, which set_num_threads fixes for good
        dispatch.available("cpu")
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass


# Each turn starts with one untimed call of the side whose turn it is. torch's OpenMP workers spin for several
# milliseconds after its last parallel region (its default wait policy, which its own speed relies on), and
# that spin took a core from whichever side ran next: LeNet-5's step on 2 threads read 9.8 ms alone and 14.7
# ms timed right after torch's; with the settling call, 10.7-11.2 ms. torch keeps its default, and the same
# rule applies to both sides.
TURN = 3  # timed calls per turn, after the settling call


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int, warmup: int, sync: Callable[[], None]) -> dict:
    """Median seconds of each callable, timed in turns (a: settle, then TURN timed calls; b: the same; a, ...)
    so noise hits both sides alike and neither times the other's idle threads (see above)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
            sync()
    times: dict[str, list[float]] = {k: [] for k in fns}
    while any(len(v) < repeats for v in times.values()):
        for name, fn in fns.items():
            fn()
            sync()
            for _ in range(min(TURN, repeats - len(times[name]))):
                t0 = time.perf_counter()
                fn()
                sync()
                times[name].append(time.perf_counter() - t0)
    return {k: {"median_s": statistics.median(v), "min_s": min(v), "runs": len(v)} for k, v in times.items()}


def machine(device: str) -> dict:
    """What the figures were measured on."""
    import numpy
    import torch

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": device,
        "command": " ".join([Path(sys.executable).name] + sys.argv),
    }
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:
        pass
    if device == "cuda":
        import cupy

        info["cupy"] = cupy.__version__
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def write_results(name: str, payload: dict, table: str) -> None:
    """``results/NAME.json`` and ``results/NAME.md``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2))
    (RESULTS / f"{name}.md").write_text(table + "\n")
