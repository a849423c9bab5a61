"""The packed-panel GEMM (``gemm_kernel``'s micro-kernel, ``numba_kernels.gemm_packed``'s blocked loops) and the
wide layers' GEMMs that run on it (``numba_kernels.conv_packed``), on every ISA width the host runs.

The GEMM is held to NumPy's float64 product on odd shapes (remainders in every blocked dimension: rows of MR,
columns of NR, depth blocks of KC), transposed or not, added to C or not, with either operand packed beforehand.
The convolutions (forward and dx on the panels, dW beside them) are held to torch's: float64 ≤ 1e-10, float32
against the float64 truth (``assert_parity``), random upstream gradients, at one and two threads.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import gemm_kernel, microkernel, numba_kernels, threadpool  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_packed, gemm_packed  # noqa: E402
from tests._kernel_isa import force_isa  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]


# each ISA the host runs, forced for the test
isa = pytest.fixture(params=microkernel.available_isas(), name="isa")(force_isa)


# each ISA the host runs that has the panel kernel, forced for the test
panel_isa = pytest.fixture(params=[name for name in microkernel.available_isas() if name in gemm_kernel.VECTORS],
                           name="panel_isa")(force_isa)


def _kernel(dtype):
    kernel, mr, nr = gemm_kernel.panel_kernel(dtype)
    assert kernel is not None, f"llvmlite could not compile the panel kernel for {dtype} on {microkernel.isa()}"
    return kernel, mr, nr


def test_tile_shapes_per_isa(isa):
    """MR × NR: 6 rows of 4 vectors at 512 bits (float32 lanes 16, float64 8); none at 256 bits, where the layers
    keep OpenBLAS."""
    if isa not in gemm_kernel.VECTORS:
        assert gemm_kernel.panel_kernel(np.float32) == (None, gemm_kernel.MR, 0)
    else:
        assert _kernel(np.float32)[1:] == (6, 64) and _kernel(np.float64)[1:] == (6, 32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("M, N, K", [(1, 1, 1), (7, 70, 300), (13, 5, 2), (25, 130, 515)])
def test_packed_gemm_matches_numpy(panel_isa, dtype, M, N, K):
    """C (+)= op(A) @ op(B) against NumPy's float64 product of the same values, for each transposition, C's old
    values kept (add) or not, and either operand packed beforehand (``pack_a_all``/``pack_b_all``, NaN where the
    packing writes nothing: none may be read) or inside."""
    kernel, mr, nr = _kernel(dtype)
    rng = np.random.default_rng(M * N + K)
    for ta, tb, packed in [(ta, tb, p) for ta in (False, True) for tb in (False, True) for p in ("", "a", "b")]:
        a = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
        b = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
        c0 = rng.standard_normal((M, N)).astype(dtype)
        oa, ob = (a.T if ta else a).astype(np.float64), (b.T if tb else b).astype(np.float64)
        flat_a, flat_b = a.reshape(-1), b.reshape(-1)
        if packed == "a":
            flat_a = np.full(-(-M // mr) * mr * K, np.nan, dtype)
            gemm_packed.pack_a_all(a.reshape(-1), ta, a.shape[1], M, K, flat_a, mr)
        if packed == "b":
            flat_b = np.full(-(-N // nr) * nr * K, np.nan, dtype)
            gemm_packed.pack_b_all(b.reshape(-1), tb, b.shape[1], K, N, flat_b, nr)
        for add in (False, True):
            c = c0.copy()
            gemm_packed.packed_gemm(kernel, mr, nr, ta, tb, M, N, K, flat_a, a.shape[1], packed == "a", flat_b,
                                    b.shape[1], packed == "b", c.reshape(-1), N, add)
            truth = oa @ ob + (c0.astype(np.float64) if add else 0.0)
            cond = np.abs(oa) @ np.abs(ob) + (np.abs(c0.astype(np.float64)) if add else 0.0)
            assert_parity(c, truth, dtype, cond=cond, what=f"C, ta={ta}, tb={tb}, packed {packed!r}, add={add}")


def test_a_strided_c_is_written_in_its_rows_only(panel_isa):
    """C with a leading dimension wider than N: the columns past N are left as they were."""
    kernel, mr, nr = _kernel(np.float64)
    rng = np.random.default_rng(5)
    M, N, K, ldc = 8, nr + 3, 9, nr + 10
    a, b = rng.standard_normal((M, K)), rng.standard_normal((K, N))
    c = np.full((M, ldc), 7.0)
    gemm_packed.packed_gemm(kernel, mr, nr, False, False, M, N, K, a.reshape(-1), K, False, b.reshape(-1), N, False,
                            c.reshape(-1), ldc, False)
    assert_parity(c[:, :N], a @ b, np.float64, what="C")
    assert (c[:, N:] == 7.0).all()


def _counting(monkeypatch, name):
    """Wrap ``numba_kernels.conv.<name>`` to count its calls."""
    calls, original = [], getattr(numba_kernels.conv, name)

    def counted(*args):
        calls.append(name)
        return original(*args)

    monkeypatch.setattr(numba_kernels.conv, name, counted)
    return calls


def _torch_conv(x, w, b, g, stride):
    """torch's y, dx, dW, db in float64 on the same values, in float32, and in float64 on the absolute values."""
    out = []
    for conv in (lambda a: torch.from_numpy(np.asarray(a, np.float64)), torch.from_numpy,
                 lambda a: torch.from_numpy(np.abs(np.asarray(a, np.float64)))):
        tx, tw, tb = (conv(a).requires_grad_() for a in (x, w, b))
        y = F.conv2d(tx, tw, tb, stride=stride, padding=1)
        y.backward(conv(g))
        out.append([t.detach().numpy() for t in (y, tx.grad, tw.grad, tb.grad)])
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_on_the_panels_matches_torch(monkeypatch, isa, dtype, workers, stride):
    """A 40→38 3×3 layer (the channel and panel thresholds lowered so that a small layer qualifies): K = 360 taps
    (a depth block and a remainder), 38 output channels (rows of 6 and 2), a chunk's pixels not whole panels; the
    forward and dx run on the panels (OpenBLAS's loops not at all for them), dW and db beside them, against torch at
    one and two threads; at 256 bits, where there are no panels, OpenBLAS's loops run it all."""
    on_panels = gemm_kernel.panel_kernel(dtype)[0] is not None
    monkeypatch.setattr(conv_packed, "PACKED_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_packed, "PACKED_MAX_WASTE", float("inf"))
    monkeypatch.setattr(conv_packed, "PACKED_MIN_CHUNKS", 1)
    if on_panels:
        monkeypatch.setattr(numba_kernels.conv, "forward_loop", None)
    forward, dx_calls = _counting(monkeypatch, "forward_packed"), _counting(monkeypatch, "input_grad_packed")
    rng = np.random.default_rng(40 + stride)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((5, 40, 7, 6), (38, 40, 3, 3), (38,)))
    with threadpool.set_workers(workers):
        X, W, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, W, B, stride=stride, padding=1)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    assert len(forward) == len(dx_calls) == (workers if on_panels else 0)
    truth, t32, cond = _torch_conv(x, w, b, g, stride)
    for what, ours, i in (("y", y.detach(), 0), ("dx", X.grad, 1), ("dW", W.grad, 2), ("db", B.grad, 3)):
        assert_parity(ours.numpy(), truth[i], dtype, torch32=t32[i], cond=cond[i], what=f"{what}, {workers} threads")


def test_panels_and_openblas_agree(monkeypatch):
    """The same float64 layer with the panels switched off (``USE_PACKED``): y, dx and dW equal to rounding."""
    monkeypatch.setattr(conv_packed, "PACKED_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_packed, "PACKED_MAX_WASTE", float("inf"))
    monkeypatch.setattr(conv_packed, "PACKED_MIN_CHUNKS", 1)
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((3, 36, 6, 6)), rng.standard_normal((40, 36, 3, 3))
    g = rng.standard_normal((3, 40, 3, 3))
    results = []
    for use in (True, False):
        monkeypatch.setattr(conv_packed, "USE_PACKED", use)
        X, W = (mt.tensor(a, requires_grad=True) for a in (x, w))
        y = mF.conv2d(X, W, stride=2, padding=1)
        y.backward(mt.tensor(g))
        results.append([y.detach().numpy(), X.grad.numpy(), W.grad.numpy()])
    for what, a, c in zip(("y", "dx", "dW"), *results):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)


def test_which_layers_take_the_panels():
    """Ungrouped layers of at least PACKED_MIN_CHANNELS in and out, larger than 1×1, whose chunks' pixels fill their
    panels of NR to within PACKED_MAX_WASTE (ResNet-18's 8×8 layer in chunks of 4 samples; not AlexNet's 13×13 in
    chunks of 2), with at least PACKED_MIN_CHUNKS chunks a share."""
    fits, wide, many = conv_packed.packed_fits, conv_packed.PACKED_MIN_CHANNELS, conv_packed.PACKED_MIN_CHUNKS
    assert fits((wide, wide), 1, (3, 3), 256, 64, many) and fits((wide, 2 * wide), 1, (3, 3), 512, 64, many)
    assert not fits((wide - 1, wide), 1, (3, 3), 256, 64, many) and not fits((wide, wide - 1), 1, (3, 3), 256, 64, many)
    assert not fits((wide, wide), 2, (3, 3), 256, 64, many) and not fits((wide, wide), 1, (1, 1), 256, 64, many)
    assert not fits((384, 384), 1, (3, 3), 338, 64, many) and fits((384, 384), 1, (3, 3), 338, 16, many)
    assert not fits((wide, wide), 1, (3, 3), 256, 0, many) and not fits((wide, wide), 1, (3, 3), 0, 64, many)
    assert not fits((512, 512), 1, (3, 3), 512, 64, many - 1)
