"""Shared helpers for parity tests: relative error, array conversion, the data root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def to_np(x: Any) -> np.ndarray:
    """A NumPy array from a minitorch Tensor, a torch tensor or an array."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy") and type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    if hasattr(x, "data") and hasattr(x, "grad_fn"):
        data = x.data
        return data if isinstance(data, np.ndarray) else data.get()
    return np.asarray(x)


def rel_err(ours: Any, theirs: Any) -> float:
    """max|a - b| / max|b| (0 when both are empty; absolute error when b is all zeros)."""
    a, b = to_np(ours).astype(np.float64), to_np(theirs).astype(np.float64)
    assert a.shape == b.shape, f"shape mismatch: ours {a.shape}, torch {b.shape}"
    if a.size == 0:
        return 0.0
    scale = np.max(np.abs(b))
    diff = np.max(np.abs(a - b))
    return float(diff / scale) if scale > 0 else float(diff)


def assert_close(ours: Any, theirs: Any, dtype: Any, tol: float | None = None, what: str = "") -> None:
    tol = TOL[np.dtype(dtype)] if tol is None else tol
    err = rel_err(ours, theirs)
    assert err <= tol, f"{what}: relative error {err:.3g} > {tol:g}"


def data_root() -> Path:
    """``../shared/data`` beside the checkout; skips the test when it is absent."""
    root = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not (root / "MNIST" / "raw").is_dir():
        pytest.skip(f"real datasets not found at {root} (expected ../shared/data beside the checkout)")
    return root
