"""Shared timing machinery: the thread count, interleaved median timing, machine facts, result files.

The thread count is the only setting a benchmark makes: ``thread_env`` is the environment a fresh process gets
(``run`` starts one per framework), and for the tables timed in one process ``pin_threads`` puts the same
variables in this process's environment before NumPy loads (``run.py`` does so first thing), ``apply_threads``
then tells torch and the package. Nothing else (no OpenBLAS or allocator options): what the package needs to be
fast, it sets itself (``minitorch_cnn.kernels.threads``), as it does for any user.

The one exception, asked for by ``--emulate-isa avx2``: ``ISA_EMULATION``'s variables make both frameworks run
the code an AVX2-only CPU gets (ours: the kernels' ISA switch and NumPy's OpenBLAS Haswell kernel; torch: ATen's
AVX2 kernels, oneDNN's ``jit:avx2`` primitives and MKL's AVX2 GEMMs), set like the thread count (``emulate_isa``
here, ``emulation_env`` for a fresh process) and recorded beside the CPU model (``machine``). Such figures go to
result files of their own (``_avx2``): they are not this CPU's.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile")  # recorded if present


ISA_EMULATION = {  # per ISA: the variables that make each library dispatch as on a CPU with that ISA only
    "avx2": {
        "MINITORCH_ISA": "avx2",  # our LLVM micro-kernels at 256 bits, compiled without AVX-512
        "OPENBLAS_CORETYPE": "Haswell",  # NumPy's OpenBLAS: the kernel an AVX2 CPU gets
        "ATEN_CPU_CAPABILITY": "avx2",  # torch's ATen kernels (torch.backends.cpu.get_cpu_capability())
        "ONEDNN_MAX_CPU_ISA": "AVX2",  # torch's oneDNN convolutions (ONEDNN_VERBOSE shows jit:avx2)
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # torch's MKL GEMMs (Linear, matmul)
    },
}


def emulation_arg(argv: list[str]) -> str | None:
    """The ISA of ``--emulate-isa ISA`` (or ``--emulate-isa=ISA``) in ``argv``, read before NumPy loads; None
    where absent."""
    for k, a in enumerate(argv):
        if a.startswith("--emulate-isa="):
            return a.split("=", 1)[1]
        if a == "--emulate-isa" and k + 1 < len(argv):
            return argv[k + 1]
    return None


def emulation_env(isa: str | None) -> dict[str, str]:
    """The environment that emulates a CPU of ``isa`` only ({} for None)."""
    if isa is None:
        return {}
    if isa not in ISA_EMULATION:
        raise ValueError(f"--emulate-isa: expected one of {sorted(ISA_EMULATION)}, got {isa!r}")
    return dict(ISA_EMULATION[isa])


def emulate_isa(isa: str | None) -> None:
    """``emulation_env(isa)`` in this process's environment (before NumPy, torch or Numba load)."""
    os.environ.update(emulation_env(isa))


def thread_env(n: int) -> dict[str, str]:
    """The environment a user sets for ``n`` threads: every library's thread-count variable, nothing else."""
    return {var: str(n) for var in THREAD_VARS}


def pin_threads(n: int) -> None:
    """``thread_env(n)`` in this process's environment (before NumPy, torch or Numba load)."""
    os.environ.update(thread_env(n))


def apply_threads(n: int) -> None:
    """Tell torch and the package the thread count, as a user's script would."""
    import torch

    import minitorch_cnn as mt

    torch.set_num_threads(n)
    mt.set_num_threads(n)


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


def cpu_facts() -> dict:
    """The CPU's model name and which of ``ISA_FLAGS`` it has (Linux's /proc/cpuinfo; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    fields = {}
    for line in lines:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    return {"cpu_model": fields.get("model name", platform.processor()), "isa": [f for f in ISA_FLAGS if f in flags]}


def command() -> str:
    """This run's command line as a user types it: ``python -m benchmarks.NAME ARGS`` (no paths of this machine)."""
    return " ".join(["python -m", f"benchmarks.{Path(sys.argv[0]).stem}", *map(shlex.quote, sys.argv[1:])])


def machine(device: str, threads: int | None = None) -> dict:
    """What the figures were measured on, and how (``threads``: each side's count, when the run has one)."""
    import numpy
    import torch

    facts = cpu_facts()
    info: dict[str, Any] = {
        "command": command(),
        **facts,
        "processor": facts.get("cpu_model") or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "device": device,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    if threads is not None:
        info["threads"] = threads
    emulated = next((isa for isa, env in ISA_EMULATION.items() if all(os.environ.get(k) == v for k, v in env.items())),
                    None)
    if emulated is not None:
        info["emulated_isa"] = emulated
        info["emulation_env"] = ISA_EMULATION[emulated]
        for key in ("processor", "cpu_model"):  # the host's own features stay under "isa"
            info[key] = f"{emulated.upper()}-only emulated on {info.get(key) or info['processor']}"
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
