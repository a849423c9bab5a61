"""One random generator drives every random op (``mt.manual_seed``).

Random numbers are always drawn on the CPU with NumPy and moved to the device, so a run on
CUDA draws exactly the same numbers as the same run on the CPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (``mt.manual_seed``); returns it."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The global generator."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state, a plain dict that can be stored in a checkpoint."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state from :func:`get_rng_state`."""
    _generator.bit_generator.state = state


class Generator:
    """``mt.Generator()``: a random generator of its own, for ``DataLoader(generator=)``, samplers and
    ``random_split``, as ``torch.Generator``. It wraps one ``np.random.Generator`` (``.rng``) that reseeding
    resets in place, so a sampler holding it sees ``manual_seed`` as torch's would. Its numbers are NumPy's, not
    torch's: the same seed gives a reproducible order here, not torch's order."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"Generator: random numbers are drawn on the CPU here, got device={device!r}")
        self.device = device
        self._seed = 67280421310721  # torch's default seed of a new Generator
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed in place; returns ``self`` (so ``Generator().manual_seed(42)`` is the generator)."""
        self._seed = int(seed)
        self.rng.bit_generator.state = np.random.default_rng(self._seed).bit_generator.state
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63)).initial_seed()

    def get_state(self) -> dict[str, Any]:
        return self.rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> Generator:
        self.rng.bit_generator.state = state
        return self
