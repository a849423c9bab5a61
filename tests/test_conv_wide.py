"""Wide layers (≥ 64 channels) against torch: the tiled direct kernels on large planes, the backward on
channels-last rows (``numba_kernels.conv_rows``) elsewhere.

Stride-1 layers on planes the tiles suit (``conv_direct.wide_plane_fits``) take them for the forward and dx, and
for dW up to 64 channels; otherwise dW at every wide, ungrouped, non-1×1 layer and dx at stride 1 take the rows.
Each gradient is held to torch's in float64 (≤1e-10) and float32 (``assert_parity``: the float64 truth on the same
inputs, the bound scaled by the same computation on |x|, |g|, or torch's own float32 error), with random upstream
gradients, over strides, paddings, dilations and odd kernel shapes, in shares (the chunk kernel alone), at one and
two threads (the whole op), and through second order.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import conv_schedule, microkernel, numba_kernels, threadpool  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_direct, conv_implicit, conv_rows  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]

# (x shape, out channels, kernel, stride, padding, dilation): every one takes rows for dW; stride 1 for dx too
SHAPES = [
    ((3, 64, 6, 6), 64, (3, 3), (1, 1), (1, 1), (1, 1)),  # "same", several chunks of one sample
    ((3, 64, 5, 7), 72, (3, 2), (1, 1), (2, 0), (1, 1)),  # a non-square kernel and plane, uneven padding
    ((3, 65, 7, 7), 64, (3, 3), (1, 1), (0, 0), (2, 2)),  # dilated: taps one run of C apiece
    ((3, 64, 4, 5), 64, (3, 3), (1, 1), (3, 3), (1, 1)),  # padding as wide as the window: outputs on zeros only
    ((2, 64, 5, 5), 70, (5, 5), (1, 1), (2, 2), (1, 1)),
    ((3, 64, 9, 8), 128, (3, 3), (2, 2), (1, 1), (1, 1)),  # strided: dW on rows, dx channel-major
    ((3, 64, 8, 8), 64, (3, 3), (2, 1), (0, 1), (1, 1)),  # a row the windows never read
]


def up(*arrays):
    """float64 torch copies of a test's inputs: the truth is computed on the same values."""
    return [torch.from_numpy(np.asarray(a, np.float64)) for a in arrays]


def torch_grads(x, w, g, stride, padding, dilation):
    """torch's (dx, dW) of conv2d in float64 on (x, w, g), its float32 ones, and the float64 ones on |x|, |w|, |g|
    (the condition of each sum)."""
    out = []
    for xa, wa, ga in (up(x, w, g), [torch.from_numpy(a) for a in (x, w, g)], up(np.abs(x), np.abs(w), np.abs(g))):
        xa, wa = xa.requires_grad_(), wa.requires_grad_()
        F.conv2d(xa, wa, stride=stride, padding=padding, dilation=dilation).backward(ga)
        out.append((xa.grad.numpy(), wa.grad.numpy()))
    return out


def inputs(dtype, shape, O, kernel, stride, padding, dilation, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((O, shape[1], *kernel)).astype(dtype)
    out = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride, padding=padding,
                   dilation=dilation).shape[2:]
    return x, w, rng.standard_normal((shape[0], O, *out)).astype(dtype), tuple(out)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, O, kernel, stride, padding, dilation", SHAPES)
def test_rows_backward_matches_torch_and_writes_only_its_share(monkeypatch, dtype, shape, O, kernel, stride,
                                                               padding, dilation):
    """The chunk kernel over the share [1, N) in chunks of one sample: dx (sample 0 left as it was), dW and db
    against torch. At stride 1 the channel-major loop must not run at all."""
    assert conv_rows.rows_fits((shape[1], O), 1, kernel)
    if stride == (1, 1):
        monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)
    x, w, g, out = inputs(dtype, shape, O, kernel, stride, padding, dilation, seed=sum(shape) + O)
    L, K = out[0] * out[1], shape[1] * kernel[0] * kernel[1]
    dx = np.full(shape, 7.0, dtype)
    dw, db = numba_kernels.conv2d_backward_chunks(
        g, x, w, dx, shape, 1, shape[0], 1, np.empty(O * L, dtype), np.empty(K * L, dtype), 1, True, kernel,
        stride, padding, dilation, out)
    assert (dx[0] == 7).all()
    truth, t32, cond = torch_grads(x[1:], w, g[1:], stride, padding, dilation)
    assert_parity(dx[1:], truth[0], dtype, torch32=t32[0], cond=cond[0], what="dx (rows)")
    assert dw.shape == w.shape
    assert_parity(dw, truth[1], dtype, torch32=t32[1], cond=cond[1], what="dW (rows)")
    assert_parity(db, g[1:].sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                  cond=np.abs(g[1:]).sum(axis=(0, 2, 3), dtype=np.float64), what="db")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wanted", ["dx", "dW"])
def test_each_gradient_alone(monkeypatch, dtype, wanted):
    """Frozen weights (dx alone) or a frozen input (dW alone): the rows kernel makes just that one, and is the
    call that posts the pool threads' flags."""
    monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)
    shape, O, kernel = (2, 64, 5, 5), 64, (3, 3)
    x, w, g, out = inputs(dtype, shape, O, kernel, (1, 1), (1, 1), (1, 1), seed=3)
    L, K = out[0] * out[1], shape[1] * 9
    dx = np.empty(shape, dtype) if wanted == "dx" else None
    ready = np.zeros(2, np.int64)
    dw, db = numba_kernels.conv2d_backward_chunks(
        g, x if wanted == "dW" else None, w if wanted == "dx" else None, dx, shape, 0, 2, 2,
        np.empty(O * 2 * L, dtype), np.empty(K * 2 * L, dtype), 1, False, kernel, (1, 1), (1, 1), (1, 1), out,
        ready, 5)
    assert (ready == 5).all()
    truth, t32, cond = torch_grads(x, w, g, (1, 1), (1, 1), (1, 1))
    assert (dw is None) == (wanted != "dW") and db is None
    if wanted == "dx":
        assert_parity(dx, truth[0], dtype, torch32=t32[0], cond=cond[0], what="dx alone")
    else:
        assert_parity(dw, truth[1], dtype, torch32=t32[1], cond=cond[1], what="dW alone")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("stride", [1, 2])
def test_whole_op_at_one_and_two_threads(monkeypatch, dtype, workers, stride):
    """conv2d's forward and backward through the op, the batch split over 1 or 2 threads: dx, dW (handed on in
    C order) and db against torch. The split over output channels, which these weights would take at 2 threads,
    is kept off here (tests/test_conv_channel_split.py holds it to torch)."""
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", float("inf"))
    rng = np.random.default_rng(10 + stride)
    x = rng.standard_normal((5, 64, 6, 6)).astype(dtype)
    w = rng.standard_normal((64, 64, 3, 3)).astype(dtype)
    b = rng.standard_normal(64).astype(dtype)
    with threadpool.set_workers(workers):
        X, W, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, W, B, stride=stride, padding=1)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    truth, t32, cond = torch_grads(x, w, g, (stride, stride), (1, 1), (1, 1))
    assert W.grad.numpy().flags.c_contiguous
    assert_parity(X.grad.numpy(), truth[0], dtype, torch32=t32[0], cond=cond[0], what=f"dx, {workers} threads")
    assert_parity(W.grad.numpy(), truth[1], dtype, torch32=t32[1], cond=cond[1], what=f"dW, {workers} threads")
    assert_parity(B.grad.numpy(), g.sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                  cond=np.abs(g).sum(axis=(0, 2, 3), dtype=np.float64), what="db")


def test_second_order_through_the_rows():
    """create_graph: the gradient of <dx, v> with respect to W and to g (dx = ConvInputGrad, whose backward
    makes ConvWeightGrad and a forward conv) against torch's in float64."""
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal((2, 64, 5, 5)), rng.standard_normal((64, 64, 3, 3))
    g, v = rng.standard_normal((2, 64, 5, 5)), rng.standard_normal((2, 64, 5, 5))
    X, W, G = (mt.tensor(a, requires_grad=True) for a in (x, w, g))
    (dx,) = mt.autograd.grad(mF.conv2d(X, W, padding=1), X, G, create_graph=True)
    (dx * mt.tensor(v)).sum().backward()
    tX, tW, tG = (torch.from_numpy(a).requires_grad_() for a in (x, w, g))
    (tdx,) = torch.autograd.grad(F.conv2d(tX, tW, padding=1), tX, tG, create_graph=True)
    (tdx * torch.from_numpy(v)).sum().backward()
    assert_parity(W.grad.numpy(), tW.grad, np.float64, what="d<dx, v>/dW")
    assert_parity(G.grad.numpy(), tG.grad, np.float64, what="d<dx, v>/dg")


def test_chunks_may_hold_the_weights_bytes():
    """A share's chunk holds at least as many columns' bytes as the weights where those exceed the L2-sized cap
    (OpenBLAS packs the weights at every call), and stays within that cap otherwise."""
    per_sample = 300_000
    cap = conv_schedule.MAX_CHUNK_BYTES
    assert conv_schedule._samples_per_chunk(32, per_sample, 1 << 40, 0, np) == cap // per_sample
    assert conv_schedule._samples_per_chunk(32, per_sample, 1 << 40, 9 * cap // 2, np) == 9 * cap // 2 // per_sample
    assert conv_schedule._samples_per_chunk(8, per_sample, 1 << 40, 100 * cap, np) == 8


def test_which_layers_take_the_rows():
    """dW: ungrouped layers of at least ROWS_MIN_CHANNELS channels in and out, kernels larger than 1×1; dx: those
    at stride 1."""
    fits, dx_fits, wide = conv_rows.rows_fits, conv_rows.rows_dx_fits, conv_rows.ROWS_MIN_CHANNELS
    assert fits((wide, wide), 1, (3, 3)) and fits((wide, 2 * wide), 1, (1, 2))
    assert not fits((wide - 1, wide), 1, (3, 3)) and not fits((wide, wide - 1), 1, (3, 3))
    assert not fits((wide, wide), 2, (3, 3)) and not fits((wide, wide), 1, (1, 1))
    assert dx_fits((wide, wide), 1, (3, 3), (1, 1)) and not dx_fits((wide, wide), 1, (3, 3), (2, 1))


@pytest.mark.parametrize("stride", [1, 2])
def test_rows_and_channel_major_agree(monkeypatch, stride):
    """The same layer with the rows switched off (``USE_ROWS``: every gradient channel-major) gives dx, dW and db
    equal to rounding in float64."""
    rng = np.random.default_rng(30 + stride)
    x, w, b = rng.standard_normal((3, 64, 6, 6)), rng.standard_normal((64, 64, 3, 3)), rng.standard_normal(64)
    grads = []
    for rows in (True, False):
        monkeypatch.setattr(conv_rows, "USE_ROWS", rows)
        X, W, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, W, B, stride=stride, padding=1)
        y.backward(mt.tensor(np.random.default_rng(1).standard_normal(y.shape)))
        grads.append([t.grad.numpy() for t in (X, W, B)])
    for what, a, c in zip(("dx", "dW", "db"), *grads):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("channels", [(64, 64), (72, 96)])
def test_wide_layers_on_large_planes_take_the_tiles(monkeypatch, dtype, workers, channels):
    """A 16×16 plane: forward and dx by the tiled kernel, dW by the dot kernel at 64 channels and on rows at 96
    (neither the im2col loop nor, at 64, the rows run), at 1 and 2 threads, against torch."""
    if microkernel.output_block_kernel(dtype)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernel here: the GEMM path runs")
    C, O = channels
    nr = microkernel.output_block_kernel(dtype)[1]
    assert conv_direct.wide_plane_fits((16, 16), (3, 3), nr) and not conv_direct.wide_plane_fits((8, 8), (3, 3), nr)
    monkeypatch.setattr(conv_implicit, "USE_IMPLICIT", False)  # which takes these layers where the ISA has it
    monkeypatch.setattr(numba_kernels.conv, "forward_loop", None)
    monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)
    if O <= conv_direct.WIDE_DW_MAX_CHANNELS:
        monkeypatch.setattr(numba_kernels.conv, "backward_rows", None)
    rng = np.random.default_rng(C + O)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((3, C, 16, 16), (O, C, 3, 3), (O,)))
    with threadpool.set_workers(workers):
        X, W, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, W, B, padding=1)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    t64 = F.conv2d(*up(x, w, b), padding=1).numpy()
    t32 = F.conv2d(*(torch.from_numpy(a) for a in (x, w, b)), padding=1).numpy()
    tcond = F.conv2d(*up(np.abs(x), np.abs(w), np.abs(b)), padding=1).numpy()
    assert_parity(y.detach().numpy(), t64, dtype, torch32=t32, cond=tcond, what="y (tiles)")
    truth, g32, cond = torch_grads(x, w, g, (1, 1), (1, 1), (1, 1))
    assert_parity(X.grad.numpy(), truth[0], dtype, torch32=g32[0], cond=cond[0], what="dx (tiles)")
    assert_parity(W.grad.numpy(), truth[1], dtype, torch32=g32[1], cond=cond[1], what="dW")
    assert_parity(B.grad.numpy(), g.sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                  cond=np.abs(g).sum(axis=(0, 2, 3), dtype=np.float64), what="db")


def test_which_planes_suit_the_tiles():
    """``tile_waste``: positions computed per output on the padded pitch in whole tiles; wide layers take the tiles
    where it is small and the kernel is larger than 1×1."""
    assert conv_direct.tile_waste((32, 32), (3, 3), 48) == pytest.approx(23 * 48 / 1024)
    assert conv_direct.tile_waste((8, 8), (3, 3), 48) == 1.5
    assert conv_direct.tile_waste((0, 5), (3, 3), 48) == float("inf") == conv_direct.tile_waste((4, 4), (3, 3), 0)
    assert conv_direct.wide_plane_fits((32, 32), (3, 3), 48) and not conv_direct.wide_plane_fits((32, 32), (1, 1), 48)
    wide = conv_direct.TILE_MAX_CHANNELS + 1
    assert conv_direct.direct_fits((wide, wide), 1, (1, 1), (1, 1), (3, 3), True)
    assert not conv_direct.direct_fits((wide, wide), 1, (1, 1), (1, 1), (3, 3), False)
    assert not conv_direct.direct_fits((wide, wide), 1, (2, 2), (1, 1), (3, 3), True)
    assert not conv_direct.direct_dw_fits((conv_direct.WIDE_DW_MAX_CHANNELS + 1, 8), 1, (1, 1), (1, 1), (3, 3), True)
