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

    ``truth`` is the result computed in float64 (ours or torch's) from the same inputs, i.e. the float32 inputs
    upcast, so that it differs from ``ours`` by float32's rounding of the computation only. The bound is scaled by
    the condition of the computation, never by a result that may cancel: ``cond`` is the magnitude of the terms that
    were summed (for a reduction, the same reduction of their absolute values; a scalar or an array broadcastable to
    the result), and each element must hold ``|ours - truth| <= rtol * cond`` at its own condition. Without ``cond``
    (computations that do not cancel) the bound is the project's relative error: ``max|ours - truth| <= rtol *
    max|truth|``. When ``torch32`` (torch's float32 result) is given, an error up to ``torch_factor`` times torch's
    own (largest) float32 error also passes: we are held to torch, not to a tolerance torch itself misses. Failing
    means: worse than both. Non-finite values (inf, -inf, NaN) must sit where the truth has them, with the same value.
    """
    a, t = to_np(ours).astype(np.float64), to_np(truth).astype(np.float64, copy=False)
    assert a.shape == t.shape, f"{what}: shape mismatch: ours {a.shape}, truth {t.shape}"
    if a.size == 0:
        return
    fin = np.isfinite(t)
    if not fin.all():  # masked copies only where there is something to mask (the arrays can be a model's weights)
        assert np.array_equal(np.where(fin, 0.0, a), np.where(fin, 0.0, t), equal_nan=True), \
            f"{what}: non-finite values differ from the truth: ours {a[~fin]}, truth {t[~fin]}"
        a, t = a[fin], t[fin]
    assert np.isfinite(a).all(), f"{what}: non-finite values where the truth is finite: {a[~np.isfinite(a)][:5]}"
    err = np.abs(np.subtract(a, t, out=a))  # a is our own float64 copy
    if cond is None:
        scale = float(np.max(np.abs(t), initial=0.0))
    else:
        scale = np.broadcast_to(np.abs(to_np(cond).astype(np.float64, copy=False)), fin.shape)
        scale = scale if fin.all() else scale[fin]
    torch_err = 0.0
    if torch32 is not None:
        t32 = np.broadcast_to(to_np(torch32).astype(np.float64), fin.shape)
        torch_err = float(np.max(np.abs(t32[fin] - t) if not fin.all() else np.abs(t32 - t), initial=0.0))
    bounds = np.maximum(rtol * scale, torch_factor * torch_err)
    past = err > bounds
    if past.any():
        i = np.unravel_index(int(np.argmax(err - bounds)), err.shape)  # err may be n-d: index it as such
        bound_i, scale_i = np.broadcast_to(bounds, err.shape)[i], np.broadcast_to(scale, err.shape)[i]
        raise AssertionError(f"{what}: float32 error {err[i]:.3g} against the float64 truth > bound {bound_i:.3g} "
                             f"(rtol {rtol:g} x condition {scale_i:.3g}; torch's own float32 error {torch_err:.3g}); "
                             f"{int(past.sum())} of {err.size} elements past their bound")


def assert_parity(ours: Any, truth: Any, dtype: Any, *, torch32: Any = None, cond: Any = None, what: str = "") -> None:
    """One call for a test parametrised over dtypes: ``truth`` is the float64 result on ``dtype``'s inputs (for a
    float64 run, torch's own result); float64 is held to 1e-10 relative, float32 by :func:`assert_f32_close`."""
    if np.dtype(dtype) == np.float64:
        assert_close(ours, truth, np.float64, what=what)
    else:
        assert_f32_close(ours, truth, torch32=torch32, cond=cond, what=what)
