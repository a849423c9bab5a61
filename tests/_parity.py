"""Shared helpers for parity tests: relative error, array conversion, the data root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

# one op against torch; a whole model's forward and backward, many ops deep, is held to reference.parity.TOL
TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def to_np(x: Any) -> np.ndarray:
    """A NumPy array from a minitorch Tensor, a torch tensor or an array."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy") and type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    if hasattr(x, "_data") and hasattr(x, "grad_fn"):
        data = x._data
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


def assert_f32_close(ours: Any, truth: Any, *, torch32: Any = None, cond: Any = None, rtol: float = 1e-5,
                     torch_factor: float = 4.0, what: str = "") -> None:
    """Judge a float32 result against the float64 truth of the same computation.

    ``truth`` is the result computed in float64 (ours or torch's). The bound is scaled by the condition of the
    computation, never by a result that may cancel: ``cond`` is the magnitude of the terms that were summed (for
    a reduction, the same reduction of their absolute values; a scalar or an array broadcastable to the result),
    defaulting to ``max|truth|`` for computations that do not cancel. When ``torch32`` (torch's float32 result)
    is given, an error up to ``torch_factor`` times torch's own float32 error also passes: we are held to torch,
    not to a tolerance torch itself misses. Failing means: worse than both.
    """
    a, t = to_np(ours).astype(np.float64), to_np(truth).astype(np.float64)
    assert a.shape == t.shape, f"{what}: shape mismatch: ours {a.shape}, truth {t.shape}"
    if a.size == 0:
        return
    assert np.array_equal(np.isfinite(a), np.isfinite(t)), f"{what}: non-finite values differ from the truth"
    fin = np.isfinite(t)
    err = np.abs(a - t)[fin]
    scale = np.abs(t) if cond is None else np.broadcast_to(np.abs(to_np(cond).astype(np.float64)), t.shape)
    bound = rtol * float(np.max(scale[fin], initial=0.0))
    torch_err = 0.0
    if torch32 is not None:
        torch_err = float(np.max(np.abs(to_np(torch32).astype(np.float64) - t)[fin], initial=0.0))
        bound = max(bound, torch_factor * torch_err)
    worst = float(np.max(err, initial=0.0))
    assert worst <= bound, (f"{what}: float32 error {worst:.3g} against the float64 truth > bound {bound:.3g} "
                            f"(rtol {rtol:g} x condition {float(np.max(scale[fin], initial=0.0)):.3g}; "
                            f"torch's own float32 error {torch_err:.3g})")
