"""Test-session settings: one BLAS/Numba/torch thread per test process; the hypothesis profile.

The suite runs as ``pytest -n 2`` on 2 cores; two workers each running 2 BLAS threads fight over the cores and
run several times slower. Set before NumPy is imported by any test module.

The hypothesis profile is "ci" (derandomized) unless ``HYPOTHESIS_PROFILE`` names another (``dev``: fresh seeds,
more examples); ``--hypothesis-profile`` still overrides both. See tests/_profiles.py.
"""

import os

import pytest

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from hypothesis import settings  # noqa: E402

import tests._profiles  # noqa: E402, F401  (registers the profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _profile_line() -> str:
    s = settings.default
    how = "derandomized: the same examples every run" if s.derandomize else "random seeds"
    return (f"hypothesis profile {settings.get_current_profile_name()!r} ({how}, max_examples {s.max_examples}); "
            "fresh seeds and more examples: HYPOTHESIS_PROFILE=dev [--hypothesis-seed=N]")


def pytest_report_header(config):
    return _profile_line()


def pytest_terminal_summary(terminalreporter):
    """The profile again at the end: the header is not shown under -q (this project's addopts)."""
    terminalreporter.write_line(_profile_line())


@pytest.fixture(autouse=True)
def _seeded_dual_runs(request):
    """The dual-run tests build their models from torch's global generator, as the scripts they port do, and copy
    the weights to ours: seeded here so that CI trains the same weights every run (unseeded, census h's CNN once
    met weights whose two Adam steps amplified rounding past its 1e-9 bound)."""
    if request.module.__name__.startswith(("test_ported", "test_dual_run", "test_detection")):
        import torch

        import minitorch_cnn

        torch.manual_seed(0)
        minitorch_cnn.manual_seed(0)
