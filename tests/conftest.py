"""Test-session settings: one BLAS/Numba/torch thread per test process.

The suite runs as ``pytest -n 2`` on 2 cores; two workers each running 2 BLAS threads fight over the cores and
run several times slower. Set before NumPy is imported by any test module.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pytest_configure(config):
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)
