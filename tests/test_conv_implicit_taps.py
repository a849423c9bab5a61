"""The implicit GEMM with the taps inside the micro-kernel (``gemm_taps_kernel``, ``conv_implicit_taps``).

The kernel alone against its formula in float64 (skipped taps, two depths, ``add`` on and off), and layers through
the op against torch (float64 ≤ 1e-10, float32 against the float64 truth, random upstream gradients), with the
taps path on and off: on each ISA the host runs (6 × 64 / 32 at 512 bits, 6 × 16 / 8 at 256).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import gemm_taps_kernel, microkernel, threadpool  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_implicit, conv_implicit_taps  # noqa: E402
from tests._kernel_isa import force_isa  # noqa: E402
from tests._parity import assert_close, assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]

# each ISA the host runs, forced for the test
isa = pytest.fixture(params=microkernel.available_isas(), name="isa")(force_isa)


@pytest.mark.parametrize("add", [0, 1])
@pytest.mark.parametrize("kc", [1, 37])
def test_kernel_formula(isa, kc, add):
    """C = (C if add) + Σ_u Σ_k A[r][offs[2u] + k] · B[offs[2u+1] + k·NR + q] over three taps of five."""
    kernel, mr, nr = gemm_taps_kernel.taps_kernel(np.float64)
    assert kernel is not None and mr == 6 and nr == {"avx512": 32, "avx2": 8}[isa]
    rng = np.random.default_rng(kc + add)
    taps = [0, 2, 4]
    src = rng.standard_normal(mr * 200)
    rows = [r * 200 for r in range(mr)]
    a_off = [3, 50, 101]
    b = rng.standard_normal(5 * kc * nr)
    c0 = rng.standard_normal((mr, nr + 3))
    c = c0.copy()
    offs = np.array([v for u, t in enumerate(taps) for v in (a_off[u], t * kc * nr)], np.int64)
    ptrs = np.array([src.ctypes.data + 8 * r for r in rows], np.uint64)
    kernel(kc, len(taps), ptrs.ctypes.data, offs.ctypes.data, b.ctypes.data, c.ctypes.data, nr + 3, add)
    want = c0[:, :nr] * add
    for u, t in enumerate(taps):
        a = np.stack([src[r + a_off[u]:r + a_off[u] + kc] for r in rows])
        want = want + a @ b[t * kc * nr:(t + 1) * kc * nr].reshape(kc, nr)
    assert_close(c[:, :nr], want, np.float64, what="C")
    assert np.array_equal(c[:, nr:], c0[:, nr:])  # past NR columns: untouched


LAYERS = [  # (N, C, O, H, W, kernel, kwargs of conv2d)
    (3, 64, 64, 7, 6, (3, 3), {"padding": 1}),
    (2, 260, 64, 5, 4, (3, 3), {"padding": 1}),  # input channels past a depth block: add across blocks
    (7, 64, 64, 3, 3, (3, 3), {"padding": 3}),  # pixel groups reading only the border: no tap
    (2, 64, 64, 9, 8, (3, 2), {"stride": 2, "padding": (1, 2), "dilation": (2, 1)}),
]


@pytest.mark.parametrize("taps", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", LAYERS, ids=[f"{a[1]}to{a[2]}_{a[3]}x{a[4]}_{i}" for i, a in enumerate(LAYERS)])
def test_layers_match_torch(monkeypatch, isa, dtype, layer, taps):
    """y, dx, dW and db through the op at one thread against torch, the implicit GEMM's taps in the kernel or
    tap by tap."""
    N, C, O, H, W, k, kw = layer
    monkeypatch.setattr(conv_implicit_taps, "USE_TAPS", taps)
    monkeypatch.setattr(conv_implicit, "CHUNK_BYTES", 1 << 14)
    rng = np.random.default_rng(C + O + H)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((N, C, H, W), (O, C, *k), (O,)))
    with threadpool.set_workers(1):
        X, Wt, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, Wt, B, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    out = []
    for conv in (lambda a: torch.from_numpy(np.asarray(a, np.float64)), torch.from_numpy,
                 lambda a: torch.from_numpy(np.abs(np.asarray(a, np.float64)))):
        tx, tw, tb = (conv(a).requires_grad_() for a in (x, w, b))
        ty = F.conv2d(tx, tw, tb, **kw)
        ty.backward(conv(g))
        out.append([ty.detach().numpy()] + [t.grad.numpy() for t in (tx, tw, tb)])
    truth, t32, cond = out
    for what, ours, i in (("y", y.detach(), 0), ("dx", X.grad, 1), ("dW", Wt.grad, 2), ("db", B.grad, 3)):
        assert_parity(ours.numpy(), truth[i], dtype, torch32=t32[i], cond=cond[i], what=what)


def test_taps_kernel_choice(monkeypatch, isa):
    """``taps_kernel`` gives the compiled kernel and USE_TAPS, or a placeholder and False where it has none."""
    kernel, fused = conv_implicit_taps.taps_kernel(np.float32)
    assert kernel is gemm_taps_kernel.taps_kernel(np.float32)[0] and fused is True
    monkeypatch.setattr(conv_implicit_taps, "USE_TAPS", False)
    assert conv_implicit_taps.taps_kernel(np.float32)[1] is False
    assert conv_implicit_taps.taps_kernel(np.int32) == (conv_implicit_taps._PLACEHOLDER, False)
