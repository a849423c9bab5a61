"""The implicit GEMM's layout turns by blocks (``turn_kernel``, ``numba_kernels.conv_turns``).

The block transpose and both turns against NumPy's indexing (copies: equal bit for bit), with remainders in every
blocked dimension (plane rows past the last block, rows narrower than a block, channels and pixels past the last
block), on each ISA the host runs; then conv2d layers whose planes are wide enough for the blocks through the op,
at one and two threads, against torch (float64 ≤ 1e-10, float32 against the float64 truth).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import conv_schedule, gemm_kernel, microkernel, numba_kernels, threadpool, turn_kernel  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_implicit, conv_turns  # noqa: E402
from tests._kernel_isa import force_isa  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]

isa = pytest.fixture(params=microkernel.available_isas(), name="isa")(force_isa)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("has_b", [False, True])
def test_block_transpose(isa, dtype, has_b):
    """dst[q·ldd + r] = src[idx[r]·lds + base + q] (+ bias[q]) for a V × V block; nothing else written."""
    turn, v = turn_kernel.turn_kernel(dtype)
    assert turn is not None and v == 64 // np.dtype(dtype).itemsize
    rng = np.random.default_rng(v)
    src = rng.standard_normal((3 * v, 2 * v + 5)).astype(dtype)
    idx = rng.permutation(3 * v)[:v].astype(np.int64)
    bias = rng.standard_normal(v).astype(dtype)
    dst = np.zeros((v, v + 7), dtype)
    turn(src.ctypes.data, idx.ctypes.data, src.shape[1], 3, dst.ctypes.data, dst.shape[1], bias.ctypes.data,
         int(has_b))
    expected = src[idx, 3:3 + v].T + (bias[:, None] if has_b else 0)
    np.testing.assert_array_equal(dst[:, :v], expected)
    assert not dst[:, v:].any()


PADS = [  # (N, C, H, W, Hp, Wp, pt, pl): x (N, C, H, W) into (n, Hp, Wp, C) at (pt, pl)
    (3, 40, 5, 37, 7, 39, 1, 1),  # rows of 2 blocks (float32: 2 × 16 + 5) and channels past the last block
    (2, 16, 4, 16, 6, 18, 1, 1),  # whole blocks only (float32)
    (2, 24, 3, 6, 5, 8, 1, 1),  # rows narrower than a block
    (2, 32, 4, 20, 6, 23, 2, 3),  # wider padding
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", PADS, ids=[f"{s[1]}x{s[2]}x{s[3]}" for s in PADS])
def test_to_padded(isa, dtype, shape):
    """Samples 1.. of x into a padded channels-last buffer: its interior is x's values, its border left as it was."""
    N, C, H, W, Hp, Wp, pt, pl = shape
    turn = turn_kernel.turn_kernel(dtype)[0]
    x = np.random.default_rng(C).standard_normal((N, C, H, W)).astype(dtype)
    xp = np.full((N - 1, Hp, Wp, C), 7.0, dtype)
    conv_turns.to_padded(turn, x.reshape(-1), xp.reshape(-1), 1, N - 1, C, H, W, Hp, Wp, pt, pl)
    expected = np.full_like(xp, 7.0)
    expected[:, pt:pt + H, pl:pl + W] = x[1:].transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(xp, expected)


TURNS = [(2, 64, 37), (3, 48, 64), (1, 40, 21), (2, 32, 9)]  # (n, O, L): pixels and channels past the blocks


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("has_b", [False, True])
@pytest.mark.parametrize("shape", TURNS, ids=[f"{t[1]}x{t[2]}" for t in TURNS])
def test_rows_to_planes(isa, dtype, has_b, shape):
    """y[n0 + s, o, l] = rows[pos[s·L + l], o] (+ b[o]), the other samples of y untouched."""
    n, O, L = shape
    turn = turn_kernel.turn_kernel(dtype)[0]
    rng = np.random.default_rng(O + L)
    rows = rng.standard_normal((n * L + 5, O)).astype(dtype)
    pos = rng.permutation(n * L).astype(np.int64)
    b = rng.standard_normal(O).astype(dtype) if has_b else np.empty(0, dtype)
    y = np.zeros((n + 2, O, L), dtype)
    conv_turns.rows_to_planes(turn, rows.reshape(-1), pos, y.reshape(-1), b, has_b, 1, n, O, L)
    expected = np.zeros_like(y)
    expected[1:1 + n] = rows[pos].reshape(n, L, O).transpose(0, 2, 1) + (b[:, None] if has_b else 0)
    np.testing.assert_array_equal(y, expected)


LAYERS = [  # (N, C, O, H, W, kwargs of conv2d, implicit calls a share makes where the ISA has the gather kernels)
    (2, 64, 64, 19, 17, {"padding": 1}, ["forward", "dW", "dx"]),  # planes past the blocks, both dtypes
    (2, 24, 64, 18, 33, {"padding": 1}, ["forward", "dx"]),  # input channels past the last block (dx: 8-wide panels)
    (3, 64, 128, 16, 16, {"padding": 2, "dilation": 2}, ["forward", "dW"]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("layer", LAYERS, ids=[f"{a[1]}to{a[2]}_{a[3]}x{a[4]}" for a in LAYERS])
def test_layers_match_torch(monkeypatch, isa, dtype, workers, layer):
    """y, dx, dW and db through the op on the implicit GEMM (thresholds lowered for these sizes), one and two
    threads, against torch."""
    N, C, O, H, W, kw, expected = layer
    monkeypatch.setattr(conv_implicit, "IMPLICIT_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_implicit, "STRIDED_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", float("inf"))
    calls = []
    forward, dw = numba_kernels.conv.conv_implicit, numba_kernels.conv.weight_grad_implicit
    monkeypatch.setattr(numba_kernels.conv, "conv_implicit",
                        lambda *a: (calls.append("dx" if a[11] else "forward"), forward(*a))[1])
    monkeypatch.setattr(numba_kernels.conv, "weight_grad_implicit", lambda *a: (calls.append("dW"), dw(*a))[1])
    rng = np.random.default_rng(C + O)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((N, C, H, W), (O, C, 3, 3), (O,)))
    with threadpool.set_workers(workers):
        X, Wt, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, Wt, B, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    nr = gemm_kernel.panel_kernel(dtype, gather=True)[2]
    nrb = gemm_kernel.panel_kernel(dtype, gather=True, gather_b=True)[2]  # dW's form: none at 256 bits
    panels = {"forward": (nr, O), "dx": (nr, C), "dW": (nrb, C)}
    expected = [c for c in expected if panels[c][0] and panels[c][1] % panels[c][0] == 0]
    assert sorted(calls) == sorted(expected * min(workers, N))  # each share makes each
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
