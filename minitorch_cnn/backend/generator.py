"""``mt.Generator``: torch's CPU random generator (the 32-bit Mersenne Twister), for samplers and splits.

torch's CPU generator is mt19937 seeded with the low 32 bits of the seed (aten's ``CPUGeneratorImpl``); NumPy's
``MT19937`` is the same twister, seeded the same way by ``RandomState(seed)``. On that stream this class draws
as torch draws (aten/src/ATen/native: ``randperm_cpu``, ``uniform_int_from_to_distribution``,
``uniform_real_distribution``), so the numbers are torch's for the same seed:

    permutation(n)      torch.randperm(n, generator=g): for i = 0 .. n-2 swap i with i + r_i mod (n - i),
                        r_i the twister's successive 32-bit outputs (n below 2**32 / 20, torch's small-n path)
    integers(lo, hi, k) torch.randint(lo, hi, (k,), generator=g): lo + r mod (hi - lo), r one 32-bit output
                        (two, high word first, when hi - lo >= 2**32)
    random(k)           torch.rand(k, dtype=torch.float64, generator=g): the low 53 bits of a 64-bit draw / 2**53;
                        float32: the low 24 bits of a 32-bit draw / 2**24

Everything else a NumPy generator offers (``normal``, ``uniform``, ``choice``...) is NumPy's algorithm on the same
twister (``.rng``): reproducible from the seed, not torch's numbers. So an ``mt.Generator`` goes wherever a
``numpy.random.Generator`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_SEED = 67280421310721  # torch's seed of a new Generator
_SMALL_N = 2**32 // 20  # torch's randperm draws 32 bits per swap below this size, 64 above


class Generator:
    """``mt.Generator(device="cpu")``, as ``torch.Generator``: ``manual_seed(s)`` returns the generator itself."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"Generator: random numbers are drawn on the CPU here, got device={device!r}")
        self.device = device
        self._twister = np.random.MT19937()
        self.rng = np.random.Generator(self._twister)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed in place with torch's seeding (the low 32 bits); returns ``self``."""
        self._seed = int(seed)
        _, key, pos, *_ = np.random.RandomState(self._seed & 0xFFFFFFFF).get_state()
        self._twister.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63)).initial_seed()

    def get_state(self) -> dict[str, Any]:
        """The twister's state (a dict: this library's own format, not torch's ByteTensor)."""
        return self._twister.state

    def set_state(self, state: dict[str, Any]) -> Generator:
        self._twister.state = state
        return self

    # ---- torch's draws -------------------------------------------------------------------
    def _draw32(self, k: int) -> np.ndarray:
        return self._twister.random_raw(k).astype(np.uint64)

    def _draw64(self, k: int) -> np.ndarray:
        pairs = self._draw32(2 * k).reshape(k, 2)
        return (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]

    def permutation(self, n: int) -> np.ndarray:
        """torch.randperm(n) on this generator, int64."""
        if not isinstance(n, (int, np.integer)):
            raise TypeError(f"Generator.permutation takes an int, got {type(n).__name__}")
        if n >= _SMALL_N:
            raise ValueError(f"torch's randperm is reproduced for n < {_SMALL_N}; got n={n}")
        perm = np.arange(n, dtype=np.int64)
        if n < 2:
            return perm
        offsets = (self._draw32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
        for i, z in enumerate(offsets):  # each swap depends on the ones before: a loop
            j = i + z
            perm[i], perm[j] = perm[j], perm[i]
        return perm

    def integers(self, low: int, high: int | None = None, size: Any = None, dtype: Any = np.int64) -> Any:
        """torch.randint(low, high, size) on this generator: integers in [low, high) (``integers(high)``: [0, high))."""
        low, high = (0, low) if high is None else (low, high)
        span = int(high) - int(low)
        if span <= 0:
            raise ValueError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        count = 1 if size is None else int(np.prod(size))
        draws = self._draw64(count) if span >= 2**32 else self._draw32(count)
        out = ((draws % np.uint64(span)).astype(np.int64) + int(low)).astype(dtype)
        return out[0] if size is None else out.reshape(size)

    def random(self, size: Any = None, dtype: Any = np.float64) -> Any:
        """torch.rand(size, dtype=dtype) on this generator: floats in [0, 1), float64 or float32."""
        count = 1 if size is None else int(np.prod(size))
        if np.dtype(dtype) == np.float32:
            out = ((self._draw32(count) & np.uint64(2**24 - 1)).astype(np.float64) * 2.0**-24).astype(np.float32)
        else:
            out = (self._draw64(count) & np.uint64(2**53 - 1)).astype(np.float64) * 2.0**-53
        return out[0] if size is None else out.reshape(size)

    def __getattr__(self, name: str) -> Any:
        # the rest of NumPy's Generator surface, on the same twister (NumPy's algorithms, not torch's)
        if name.startswith("_") or name == "rng":
            raise AttributeError(name)
        return getattr(self.rng, name)
