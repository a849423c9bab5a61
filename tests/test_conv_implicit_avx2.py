"""The implicit-GEMM convolution at 256 bits (``MINITORCH_ISA=avx2``): the gather micro-kernel's AVX2 tile (MR 6 ×
NR 16 float32, 8 float64), the weights packed into panels narrower than a cache line, and wide layers' forward and
stride-1 dx on it at the real channel thresholds, against torch (float64 ≤ 1e-10, float32 against the float64
truth), at one and two threads, and against the 512-bit path where the host runs it. dW keeps its other paths at
256 bits (the form gathering B's rows too measured slower there than OpenBLAS on rows).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import conv_schedule, gemm_kernel, microkernel, numba_kernels, threadpool  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_implicit, gemm_packed  # noqa: E402
from tests._kernel_isa import force_isa  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]

# each ISA the host runs, forced for the test
isa = pytest.fixture(params=microkernel.available_isas(), name="isa")(force_isa)


def test_tiles_per_isa(isa):
    """At 256 bits the gather form only, 6 × 16 float32 / 6 × 8 float64; at 512 bits every form, 6 × 64 / 6 × 32."""
    wide = isa == "avx512"
    for dtype, (narrow_nr, wide_nr) in ((np.float32, (16, 64)), (np.float64, (8, 32))):
        kernel, mr, nr = gemm_kernel.panel_kernel(dtype, gather=True)
        assert kernel is not None and (mr, nr) == (6, wide_nr if wide else narrow_nr)
        for form in ({}, {"gather": True, "gather_b": True}):
            found = gemm_kernel.panel_kernel(dtype, **form)
            assert (found[0] is not None, found[2]) == ((True, wide_nr) if wide else (False, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_avx2_gather_kernel_has_no_avx512_code(dtype):
    """The 256-bit gather kernel is compiled as an AVX2-only CPU runs it: ymm registers and FMAs, no zmm."""
    code = gemm_kernel.assembly(dtype, "avx2", gather=True)
    assert "ymm" in code and "vfmadd" in code and "zmm" not in code


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("nr", [8, 16])
def test_weights_packed_into_narrow_panels(flip, nr):
    """``pack_panels`` with panels of 8 and 16 columns (under the 16 it packs side by side): every entry where the
    layout puts it, nothing written past a panel, channel blocks of KC and a remainder."""
    O, C, T = 2 * nr, gemm_packed.KC + 5, 3
    rng = np.random.default_rng(nr)
    w = rng.standard_normal((C, O, T) if flip else (O, C, T))
    wp = np.full(O * C * T, np.nan)
    conv_implicit.pack_panels(w.reshape(-1), wp, O, C, T, nr, flip)
    expected = np.empty_like(wp)
    for q0 in range(0, O, nr):
        for c0 in range(0, C, gemm_packed.KC):
            kc = min(gemm_packed.KC, C - c0)
            for t in range(T):
                for c in range(c0, c0 + kc):
                    for col in range(nr):
                        o = q0 + col
                        value = w[c, o, T - 1 - t] if flip else w[o, c, t]
                        expected[q0 * T * C + c0 * T * nr + (t * kc + c - c0) * nr + col] = value
    np.testing.assert_array_equal(wp, expected)


def _counting(monkeypatch):
    """Record which implicit kernels run: "forward", "dx" (``conv_implicit`` with ``flip``) or "dW"; the backward
    split over the batch (this small layer's weights would send it to the channel split, which has no dx of its own
    on the implicit GEMM)."""
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", float("inf"))
    calls = []
    original, dw_original = numba_kernels.conv.conv_implicit, numba_kernels.conv.weight_grad_implicit
    monkeypatch.setattr(numba_kernels.conv, "conv_implicit",
                        lambda *a: calls.append("dx" if a[11] else "forward") or original(*a))
    monkeypatch.setattr(numba_kernels.conv, "weight_grad_implicit", lambda *a: calls.append("dW") or dw_original(*a))
    return calls


def _layer(dtype, workers, stride):
    """A 128→128 3×3 layer (the real stride-1 threshold) on 5 samples of 7×6, padding 1, through the op at
    ``workers`` threads; its arrays and (y, dx, dW, db)."""
    rng = np.random.default_rng(7 * workers + stride)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((5, 128, 7, 6), (128, 128, 3, 3), (128,)))
    with threadpool.set_workers(workers):
        X, Wt, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, Wt, B, stride=stride, padding=1)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    return (x, w, b, g), [y.detach().numpy(), X.grad.numpy(), Wt.grad.numpy(), B.grad.numpy()]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("stride", [1, 2])
def test_wide_layer_matches_torch(monkeypatch, isa, dtype, workers, stride):
    """y, dx, dW and db of the layer against torch on each ISA: the forward on the implicit GEMM in every share, dx
    too at stride 1, dW only at 512 bits."""
    calls = _counting(monkeypatch)
    (x, w, b, g), ours = _layer(dtype, workers, stride)
    expected = ["forward"] * workers + (["dW"] * workers if isa == "avx512" else []) + ["dx"] * workers * (stride == 1)
    assert sorted(calls) == sorted(expected)
    for k, what in enumerate(("y", "dx", "dW", "db")):
        truth, t32, cond = [], [], []
        for conv, out in ((lambda a: torch.from_numpy(np.asarray(a, np.float64)), truth), (torch.from_numpy, t32),
                          (lambda a: torch.from_numpy(np.abs(np.asarray(a, np.float64))), cond)):
            tx, tw, tb = (conv(a).requires_grad_() for a in (x, w, b))
            ty = F.conv2d(tx, tw, tb, stride=stride, padding=1)
            ty.backward(conv(g))
            out.append([ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()][k])
        assert_parity(ours[k], truth[0], dtype, torch32=t32[0], cond=cond[0], what=f"{what}, {isa}, {workers} threads")


@pytest.mark.skipif("avx512" not in microkernel.available_isas(), reason="the host runs 256-bit kernels only")
@pytest.mark.parametrize("workers", [1, 2])
def test_both_widths_agree(workers):
    """The same float64 layer with the 256-bit and the 512-bit kernels: y, dx, dW and db equal to rounding."""
    results = []
    for name in ("avx2", "avx512"):
        microkernel.set_isa(name)
        try:
            results.append(_layer(np.float64, workers, 1)[1])
        finally:
            microkernel.set_isa(None)
    for what, a, c in zip(("y", "dx", "dW", "db"), *results):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)


def test_which_layers_from_64_channels():
    """AlexNet's 96→256 5×5 layer takes the implicit GEMM for its forward at both widths, for dx (96 output
    channels) only in panels of 16 (256 bits) or 32 (512-bit float64); 64-channel stride-1 layers take it on every
    plane since the block turns (an A/B at 1 thread, 64→64 32×32 fwd+bwd: 162.7 vs 166.5 ms on the tiles under
    AVX2 emulation, 149.5 vs 163.0 natively); narrower ones keep the tiles."""
    fits = conv_implicit.implicit_fits
    assert fits((96, 256), 1, (5, 5), (1, 1), 64) and fits((96, 256), 1, (5, 5), (1, 1), 16)
    assert fits((256, 96), 1, (5, 5), (1, 1), 16) and fits((256, 96), 1, (5, 5), (1, 1), 32)
    assert not fits((256, 96), 1, (5, 5), (1, 1), 64)
    assert fits((64, 64), 1, (3, 3), (1, 1), 16) and fits((64, 64), 1, (3, 3), (1, 1), 64)
    assert not fits((48, 64), 1, (3, 3), (1, 1), 16) and fits((64, 128), 1, (3, 3), (2, 2), 64)
    assert conv_implicit.implicit_dw_fits((64, 64), 1, (3, 3), (1, 1), 64)
