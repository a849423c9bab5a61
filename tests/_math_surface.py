"""Shared checks for the elementwise math surface tests: forward, gradient and second order against torch, with
non-finite values (inf, -inf, NaN) required at the same places as torch's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

import minitorch_cnn as mt
from tests._parity import assert_f32_close, to_np


def same(ours: object, theirs: object, tol: float = 1e-10, what: str = "", floor: float = 1e-300) -> None:
    """Equal dtype and shape; non-finite values identical in place and value; finite ones within ``tol`` relative
    (to the largest finite magnitude, or ``floor`` when that is smaller: a result that cancels to rounding noise
    is held to the size of its terms)."""
    a, b = to_np(ours), to_np(theirs)
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype}, torch {b.dtype}"
    assert a.shape == b.shape, f"{what}: shape {a.shape}, torch {b.shape}"
    if a.dtype.kind != "f":
        assert np.array_equal(a, b), f"{what}: {a} != torch {b}"
        return
    fin = np.isfinite(b)
    assert np.array_equal(np.where(fin, 0, a), np.where(fin, 0, b), equal_nan=True), \
        f"{what}: non-finite mismatch: ours {a[~fin | ~np.isfinite(a)]}, torch {b[~fin | ~np.isfinite(a)]}"
    assert np.isfinite(a[fin]).all(), f"{what}: non-finite where torch is finite"
    if fin.any():
        scale = max(float(np.max(np.abs(b[fin]))), floor)
        err = float(np.max(np.abs(a[fin].astype(np.float64) - b[fin])))
        assert err <= tol * scale, f"{what}: relative error {err / scale:.3g} > {tol:g}"


def _cast(a: np.ndarray, dtype: object) -> np.ndarray:
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as in torch
        return a.astype(dtype) if a.dtype.kind == "f" else a


def _tensors(lib: object, arrays: Sequence[np.ndarray], dtype: object, grad: bool) -> list:
    out = []
    for a in arrays:
        a = _cast(a, dtype)
        req = grad and a.dtype.kind == "f"
        out.append(torch.tensor(a, requires_grad=req) if lib is torch else mt.tensor(a, requires_grad=req))
    return out


def check_op(ours: Callable, theirs: Callable, arrays: Sequence[np.ndarray], *, grad: bool = True,
             second: bool = True, tol: float = 1e-10, what: str = "") -> None:
    """Forward in float64 (and float32 against the float64 truth), the gradients of the floating inputs with a
    random upstream gradient, and the second order (differentiating Σ grad·v) against torch."""
    rng = np.random.default_rng(7)
    tt, mm = _tensors(torch, arrays, np.float64, grad), _tensors(mt, arrays, np.float64, grad)
    y_t, y_m = theirs(*tt), ours(*mm)
    same(y_m, y_t, tol, f"{what} forward")
    t32 = _tensors(torch, arrays, np.float32, False)
    m32 = _tensors(mt, arrays, np.float32, False)
    up = [torch.tensor(_cast(_cast(a, np.float32), np.float64)) for a in arrays]
    truth, ours32 = theirs(*up), ours(*m32)
    assert to_np(ours32).dtype == to_np(theirs(*t32)).dtype, f"{what}: float32 dtype"
    assert_f32_close(ours32, truth, torch32=theirs(*t32), what=f"{what} float32")
    if not grad:
        return
    g = rng.standard_normal(tuple(y_t.shape))
    leaves = [i for i, t in enumerate(tt) if t.requires_grad]
    gt_ = torch.autograd.grad(y_t, [tt[i] for i in leaves], torch.tensor(g), create_graph=second, allow_unused=True)
    gm_ = mt.autograd.grad(y_m, [mm[i] for i in leaves], mt.tensor(g), create_graph=second, allow_unused=True)
    gt_ = [b if b is None or not b._is_zerotensor() else torch.zeros(b.shape, dtype=b.dtype) for b in gt_]
    for i, a, b in zip(leaves, gm_, gt_):
        same(a if a is not None else mt.zeros(*arrays[i].shape, dtype=mt.float64),
             b if b is not None else torch.zeros(arrays[i].shape, dtype=torch.float64), tol, f"{what} grad {i}")
    if not second:
        return
    pairs = [(a, b) for a, b in zip(gm_, gt_) if b is not None and b.requires_grad]
    if not pairs:
        return
    vs = [rng.standard_normal(tuple(b.shape)) for _, b in pairs]
    st = sum((b * torch.tensor(v)).sum() for (_, b), v in zip(pairs, vs))
    g2t = torch.autograd.grad(st, [tt[i] for i in leaves], allow_unused=True)
    if not any(a.requires_grad for a, _ in pairs):  # ours is a constant gradient: torch's must not move either
        assert all(b is None or not b.any() for b in g2t), f"{what}: torch has a second derivative, ours none"
        return
    sm = sum((a * mt.tensor(v)).sum() for (a, _), v in zip(pairs, vs))
    g2m = mt.autograd.grad(sm, [mm[i] for i in leaves], allow_unused=True)
    for i, a, b in zip(leaves, g2m, g2t):
        if b is None:
            continue
        # an exactly-zero second derivative comes out of torch's formula as rounding noise (copysign's y/a):
        # held to the O(1) size of the terms (g, v and the inputs are O(1))
        same(a if a is not None else mt.zeros(*arrays[i].shape, dtype=mt.float64), b, tol, f"{what} 2nd {i}",
             floor=1.0)
