"""One random generator drives every random op (``mt.manual_seed``).

Random numbers are always drawn on the CPU with NumPy and moved to the device, so a run on
CUDA draws exactly the same numbers as the same run on the CPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_generator = np.random.default_rng(0)
_seed = 0  # what the global generator was last seeded with (torch.initial_seed)
_refusal: str | None = None  # set while random draws are refused (torch.func.vmap's randomness="error")


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (``mt.manual_seed``); returns it."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    return _generator


def seed() -> int:
    """Reseed the global generator from the system's entropy (``torch.seed``); returns the new seed."""
    new = int(np.random.SeedSequence().entropy) % (1 << 63)
    manual_seed(new)
    return new


def initial_seed() -> int:
    """The seed the global generator was last seeded with (``mt.manual_seed`` or ``mt.seed``)."""
    return _seed


def generator() -> np.random.Generator:
    """The global generator (a RuntimeError while :func:`refused`)."""
    if _refusal is not None:
        raise RuntimeError(_refusal)
    return _generator


@contextmanager
def refused(message: str) -> Iterator[None]:
    """Every random draw from the global generator raises ``RuntimeError(message)`` inside this block."""
    global _refusal
    prev, _refusal = _refusal, message
    try:
        yield
    finally:
        _refusal = prev


def get_rng_state() -> dict[str, Any]:
    """The generator's state, a plain dict that can be stored in a checkpoint."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state from :func:`get_rng_state`."""
    _generator.bit_generator.state = state
