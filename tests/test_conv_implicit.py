"""Wide layers' forward and stride-1 dx as an implicit GEMM (``numba_kernels.conv_implicit``) against torch.

The gather micro-kernel reading the padded channels-last input in place, the weights packed once a share: float64
≤ 1e-10 and float32 against the float64 truth (``assert_parity``), random upstream gradients, with remainders in
every blocked dimension (pixels in groups of MR, input channels past a depth block of KC), strides, dilations,
asymmetric padding, several chunks a share, on each ISA the host runs (its own panel width: 64/32 columns at 512
bits, 16/8 at 256, where dW keeps its other paths), through the op at one and two threads.
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


@pytest.fixture
def small_layers_qualify(monkeypatch):
    """``implicit_fits``'s channel thresholds lowered so that small layers take the implicit GEMM, and small
    chunks so that a share makes several; the channel split kept off."""
    monkeypatch.setattr(conv_implicit, "IMPLICIT_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_implicit, "STRIDED_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_implicit, "CHUNK_BYTES", 1 << 14)
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", float("inf"))


def _counting(monkeypatch):
    """Wrap ``numba_kernels.conv.conv_implicit`` (and ``weight_grad_implicit``) to record, per call, whether it
    made the forward, dx (its ``flip``) or dW."""
    calls = []
    original, dw_original = numba_kernels.conv.conv_implicit, numba_kernels.conv.weight_grad_implicit

    def counted(*args):
        calls.append("dx" if args[11] else "forward")
        return original(*args)

    def dw_counted(*args):
        calls.append("dW")
        return dw_original(*args)

    monkeypatch.setattr(numba_kernels.conv, "conv_implicit", counted)
    monkeypatch.setattr(numba_kernels.conv, "weight_grad_implicit", dw_counted)
    return calls


def _torch_grads(x, w, b, g, **kw):
    """torch's (y, dx, dW, db) of conv2d in float64, in float32, and in float64 on the absolute values."""
    out = []
    for conv in (lambda a: torch.from_numpy(np.asarray(a, np.float64)), torch.from_numpy,
                 lambda a: torch.from_numpy(np.abs(np.asarray(a, np.float64)))):
        tx, tw, tb = (conv(a).requires_grad_() for a in (x, w, b))
        y = F.conv2d(tx, tw, tb, **kw)
        y.backward(conv(g))
        out.append([y.detach().numpy()] + [t.grad.numpy() for t in (tx, tw, tb)])
    return out


LAYERS = [  # (N, C, O, H, W, kernel, kwargs of conv2d, implicit calls a share makes: forward, dW, dx)
    (3, 64, 128, 7, 6, (3, 3), {"padding": 1}, ["forward", "dW", "dx"]),
    (2, 260, 64, 5, 4, (3, 3), {"padding": 1}, ["forward"]),  # C past a depth block; dx's and dW's 260: no
    (2, 64, 260, 5, 4, (3, 3), {"padding": 1}, ["dW", "dx"]),  # dx's input channels past a depth block
    (2, 24, 64, 9, 8, (3, 2), {"stride": 2, "padding": (1, 2), "dilation": (2, 1)}, ["forward"]),
    (3, 64, 64, 6, 5, (2, 3), {"padding": "same"}, ["forward", "dW", "dx"]),  # asymmetric: 0 top, 1 bottom
    (2, 64, 64, 6, 6, (3, 3), {"padding": 0}, ["forward", "dW", "dx"]),  # dx's g padded by 2
    (7, 64, 64, 3, 3, (3, 3), {"padding": 3}, ["forward", "dW", "dx"]),  # pixels reading only the border
    (2, 64, 70, 5, 5, (3, 3), {"stride": 2, "padding": 1}, ["dW"]),  # dW strided, O past groups of MR
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", LAYERS, ids=[f"{a[1]}to{a[2]}_{a[3]}x{a[4]}_{i}" for i, a in enumerate(LAYERS)])
def test_layers_match_torch(monkeypatch, small_layers_qualify, isa, dtype, layer):
    """y, dx, dW and db through the op at one thread against torch; the implicit GEMM runs where the ISA has the
    gather kernels and the layer fits (dx: stride 1, its output channels in whole panels; dW: the input channels in
    whole panels), else nothing of it."""
    N, C, O, H, W, k, kw, expected = layer
    calls = _counting(monkeypatch)
    rng = np.random.default_rng(C + O)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((N, C, H, W), (O, C, *k), (O,)))
    with threadpool.set_workers(1):
        X, Wt, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, Wt, B, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    nr = gemm_kernel.panel_kernel(dtype, gather=True)[2]
    dw_nr = gemm_kernel.panel_kernel(dtype, gather=True, gather_b=True)[2]
    expected = [c for c in expected if (n := dw_nr if c == "dW" else nr) and (O if c == "forward" else C) % n == 0]
    assert calls == expected
    truth, t32, cond = _torch_grads(x, w, b, g, **kw)
    for what, ours, i in (("y", y.detach(), 0), ("dx", X.grad, 1), ("dW", Wt.grad, 2), ("db", B.grad, 3)):
        assert_parity(ours.numpy(), truth[i], dtype, torch32=t32[i], cond=cond[i], what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
def test_whole_op_at_one_and_two_threads(monkeypatch, small_layers_qualify, isa, dtype, workers):
    """conv2d 64→128 3×3 over 5 samples split over 1 or 2 threads, chunks of a few samples: each share runs the
    forward, dW and dx on the implicit GEMM where the ISA has it; y, dx, dW and db against torch."""
    calls = _counting(monkeypatch)
    rng = np.random.default_rng(workers)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((5, 64, 7, 7), (128, 64, 3, 3), (128,)))
    with threadpool.set_workers(workers):
        X, Wt, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, Wt, B, padding=1)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    on_kernel = gemm_kernel.panel_kernel(dtype, gather=True)[0] is not None
    dw_on_kernel = gemm_kernel.panel_kernel(dtype, gather=True, gather_b=True)[0] is not None
    assert sorted(calls) == ["dW"] * workers * dw_on_kernel + (["dx"] * workers + ["forward"] * workers) * on_kernel
    truth, t32, cond = _torch_grads(x, w, b, g, padding=1)
    for what, ours, i in (("y", y.detach(), 0), ("dx", X.grad, 1), ("dW", Wt.grad, 2), ("db", B.grad, 3)):
        assert_parity(ours.numpy(), truth[i], dtype, torch32=t32[i], cond=cond[i], what=f"{what}, {workers} threads")


def test_implicit_and_other_paths_agree(monkeypatch, small_layers_qualify):
    """The same float64 layer with the implicit GEMM off (``USE_IMPLICIT``): y and dx equal to rounding."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 64, 6, 6)), rng.standard_normal((128, 64, 3, 3))
    g = rng.standard_normal((3, 128, 6, 6))
    results = []
    for use in (True, False):
        monkeypatch.setattr(conv_implicit, "USE_IMPLICIT", use)
        X = mt.tensor(x, requires_grad=True)
        y = mF.conv2d(X, mt.tensor(w), padding=1)
        y.backward(mt.tensor(g))
        results.append([y.detach().numpy(), X.grad.numpy()])
    for what, a, c in zip(("y", "dx"), *results):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)


def test_gather_kernel_sums_rows_read_in_place(isa):
    """The gather form alone: C (MR × NR) = Σ_k A[r][k] · B[k·NR + q] with each row read from its own pointer,
    then added to C (``add``), against NumPy in float64."""
    kernel, mr, nr = gemm_kernel.panel_kernel(np.float64, gather=True)
    if kernel is None:
        assert isa == "avx2" and nr == 0
        return
    rng = np.random.default_rng(0)
    kc = gemm_packed.KC + 3
    rows = [rng.standard_normal(kc + 5) for _ in range(mr)]  # each row a run somewhere in its own array
    b = rng.standard_normal((kc, nr))
    c = np.zeros((mr, nr))
    ptrs = np.array([r.ctypes.data + 8 * r0 for r, r0 in zip(rows, range(mr))], np.uint64)
    expected = np.stack([r[r0:r0 + kc] for r, r0 in zip(rows, range(mr))]) @ b
    kernel(kc, ptrs.ctypes.data, b.ctypes.data, c.ctypes.data, nr, 0)
    np.testing.assert_allclose(c, expected, rtol=1e-12, atol=1e-12)
    kernel(kc, ptrs.ctypes.data, b.ctypes.data, c.ctypes.data, nr, 1)
    np.testing.assert_allclose(c, 2 * expected, rtol=1e-12, atol=1e-12)


def test_border_taps_skipped_and_chunks_in_whole_groups():
    """On a 4×4 plane (3×3, padding 1) the pixels come ordered by the taps they read, and with chunks of a
    multiple of MR samples each group of MR reads exactly its pixels' taps: 69% of all taps are multiplied."""
    mr = gemm_kernel.MR
    n = conv_implicit.chunk_samples(6, 6, 512, 16, 512, 4, mr)
    assert n % mr == 0 and conv_implicit.chunk_samples(18, 18, 128, 256, 128, 4, mr) == 1
    M = n * 16
    pix, pos, kmask = np.empty(M, np.int64), np.empty(M, np.int64), np.empty(M, np.int64)
    gmask = np.empty(M // mr, np.int64)
    conv_implicit._pixel_order.py_func(pix, pos, gmask, kmask, mr, n, 4, 4, 6, 6, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1)
    assert (kmask.reshape(-1, mr) == gmask[:, None]).all()  # every group one class
    assert sorted(pos) == list(range(M)) and sorted(pix) == sorted(((s * 6 + a) * 6 + b) for s in range(n)
                                                                   for a in range(4) for b in range(4))
    assert sum(bin(int(m)).count("1") for m in gmask) * mr == n * 100  # (2·2 + 2·3)² = 100 taps a sample


def test_which_layers_take_it(monkeypatch):
    """ResNet-18's 64→64, 128→128 16×16 and 256→256 8×8 layers, its 3×3 stride-2 ones from 64 channels do;
    narrower layers (the tiles), 1×1 and grouped layers, output channels off whole panels, an ISA without the
    kernel (nr 0) or ``USE_IMPLICIT`` off do not."""
    fits = conv_implicit.implicit_fits
    assert fits((128, 128), 1, (3, 3), (1, 1), 64) and fits((256, 256), 1, (3, 3), (1, 1), 32)
    assert fits((64, 128), 1, (3, 3), (2, 2), 64) and fits((64, 64), 1, (3, 3), (1, 1), 64)
    assert not fits((32, 64), 1, (3, 3), (1, 1), 64)
    assert not fits((256, 512), 1, (1, 1), (2, 2), 64) and not fits((256, 256), 2, (3, 3), (1, 1), 64)
    assert not fits((256, 260), 1, (3, 3), (1, 1), 64) and not fits((256, 256), 1, (3, 3), (1, 1), 0)
    monkeypatch.setattr(conv_implicit, "USE_IMPLICIT", False)
    assert not fits((256, 256), 1, (3, 3), (1, 1), 64)


def test_gather_both_kernel_reads_b_rows_by_pointer(isa):
    """The form that gathers B's rows too: C = Σ_k A[r][k] · B[k][q], each B row at its own pointer, against NumPy
    in float64."""
    kernel, mr, nr = gemm_kernel.panel_kernel(np.float64, gather=True, gather_b=True)
    if kernel is None:
        assert isa == "avx2" and nr == 0
        return
    rng = np.random.default_rng(1)
    kc = 37
    a = rng.standard_normal((mr, kc))
    store = rng.standard_normal((3 * kc, nr))  # B's rows, scattered over it in a random order
    picked = rng.permutation(3 * kc)[:kc]
    aptrs = np.array([a.ctypes.data + 8 * kc * r for r in range(mr)], np.uint64)
    bptrs = np.array([store.ctypes.data + 8 * nr * int(i) for i in picked], np.uint64)
    c = np.empty((mr, nr))
    kernel(kc, aptrs.ctypes.data, bptrs.ctypes.data, c.ctypes.data, nr, 0)
    np.testing.assert_allclose(c, a @ store[picked], rtol=1e-12, atol=1e-12)
