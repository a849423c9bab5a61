"""The Numba kernels against the NumPy reference and torch, over drawn geometries; the switch; whole models.

Each kernel is called directly (numba and numpy paths on the same arrays) and compared with torch's own
op (unfold/fold, max_pool2d with indices, avg_pool2d, batch_norm) in float64 (≤1e-10); float32 is judged against
the float64 result on the same inputs, the bound scaled by the magnitude of the terms summed (the same op on |x|,
|g|) or torch's own float32 error. Gradients come from random upstream arrays, never ``.sum()``.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn.kernels import dispatch, microkernel, numba_kernels, numpy_kernels, threadpool  # noqa: E402
from minitorch_cnn.ops.pooling import _avg_divisors, _out_len  # noqa: E402
from tests._conditions import bn_conditions  # noqa: E402
from tests._parity import TOL, assert_close, assert_parity  # noqa: E402
from tests._profiles import examples  # noqa: E402

DTYPES = [np.float64, np.float32]
EXAMPLES = settings(max_examples=examples(12))


@pytest.fixture(autouse=True)
def _restore_choice(monkeypatch):
    monkeypatch.delenv(dispatch.ENV_VAR, raising=False)
    yield
    dispatch.set_kernels(None)


@pytest.fixture(autouse=True, params=["one thread", "threaded", "split"])
def _both_compilations(request, monkeypatch):
    """Every test runs both compilations of each kernel: the single-threaded twin (what small inputs get)
    and the threaded one (forced by a zero threshold); "split": the batch-norm kernels' channels, max pooling's
    planes and ReLU's elements split over three threads of ``threadpool``, each running the twin, the first
    posting the others."""
    monkeypatch.setattr(numba_kernels.parallel, "PARALLEL_MIN_WORK", 0 if request.param == "threaded" else 1 << 62)
    monkeypatch.setattr(numba_kernels.parallel, "SPLIT_MIN_WORK", 0 if request.param == "split" else 1 << 62)
    with threadpool.set_workers(3 if request.param == "split" else 1):
        yield


def both(name: str, *args):
    """Kernel ``name`` run by the numba and the numpy path on the same arguments."""
    return getattr(numba_kernels, name)(*args), getattr(numpy_kernels, name)(*args)


def up(*arrays):
    """The float64 copies of a test's (float32 or float64) inputs: the truth is computed on the same values."""
    return [None if a is None else torch.from_numpy(np.asarray(a, np.float64)) for a in arrays]


def absolute(*arrays):
    """|a| in float64 for each array: inputs whose op gives the magnitude of the terms summed (the condition)."""
    return [None if a is None else np.abs(np.asarray(a, np.float64)) for a in arrays]


@st.composite
def geometries(draw, pool: bool):
    """(shape, kernel, stride, padding, dilation, ceil_mode, out_size) with odd sizes; pooling keeps pad ≤ k/2."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = tuple(draw(st.integers(0, kk // 2 if pool else 2)) for kk in k)
    size = tuple(draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 9)) for kk, dd, pp in zip(k, d, p))
    ceil = draw(st.booleans()) if pool else False
    out = tuple(_out_len(nn, kk, ss, pp, dd, ceil) for nn, kk, ss, pp, dd in zip(size, k, s, p, d))
    return (n, c, *size), k, s, p, d, ceil, out


def sees_input(shape, k, s, p, d, out) -> bool:
    """Every pooling window holds at least one input pixel (torch is undefined otherwise)."""
    for n, kk, ss, pp, dd, o in zip(shape[2:], k, s, p, d, out):
        taps = (np.arange(o) * ss - pp)[:, None] + np.arange(kk) * dd
        if not ((taps >= 0) & (taps < n)).any(axis=1).all():
            return False
    return True


@pytest.mark.parametrize("dtype", DTYPES)
@EXAMPLES
@given(geo=geometries(pool=False), seed=st.integers(0, 2**16))
def test_im2col_and_col2im_match_the_reference_and_torch_unfold_fold(dtype, geo, seed):
    shape, k, s, p, d, _, out = geo
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    cols, ref = both("im2col", x, k, s, p, d, out)
    np.testing.assert_array_equal(cols, ref)  # the same copies: bit for bit
    n, L = shape[0], out[0] * out[1]

    def unfold(a):  # (N, C·kh·kw, L)
        return F.unfold(a, k, dilation=d, padding=p, stride=s)

    assert_parity(cols.reshape(-1, n, L).transpose(1, 0, 2), unfold(*up(x)), dtype,
                  torch32=unfold(torch.from_numpy(x)), what="im2col vs unfold")  # copies: exact

    dcols = rng.standard_normal(cols.shape).astype(dtype)
    dx, dx_ref = both("col2im", dcols, shape, k, s, p, d, out)

    def fold(a):  # a sum of the overlapping patches: cond is the fold of |dcols|
        return F.fold(torch.from_numpy(np.ascontiguousarray(a.reshape(-1, n, L).transpose(1, 0, 2))), shape[2:], k,
                      dilation=d, padding=p, stride=s)

    truth, torch32, cond = fold(dcols.astype(np.float64)), fold(dcols), fold(*absolute(dcols))
    for what, a in (("col2im", dx), ("col2im (reference)", dx_ref)):
        assert_parity(a, truth, dtype, torch32=torch32, cond=cond, what=f"{what} vs fold")


def chunk_inputs(dtype, geo, groups, o_per_group, bias, seed):
    """(x, w, b, g) for the chunk tests: one sample more than ``geo`` says, ``groups`` groups."""
    shape, k, s, p, d, _, out = geo
    n, c = shape[:2]
    shape = (n + 1, c * groups, *shape[2:])
    O = o_per_group * groups
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((O, c, *k)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype) if bias else None
    g = rng.standard_normal((shape[0], O, *out)).astype(dtype)
    return x, w, b, g


def run_chunks(module, geo, groups, step, x, w, b, g):
    """conv2d_forward_chunks and conv2d_backward_chunks of ``module`` over the share [1, N) (the first sample
    left out) in chunks of ``step``: (y, dx, dw, db)."""
    _, k, s, p, d, _, out = geo
    dtype, shape, O = x.dtype, x.shape, w.shape[0]
    L, K = out[0] * out[1], shape[1] * k[0] * k[1]
    y, dx = np.zeros((shape[0], O, *out), dtype), np.zeros(shape, dtype)
    bufs = [np.empty(K * step * L, dtype), np.empty(O * step * L, dtype)]
    module.conv2d_forward_chunks(x, w, b, y, 1, shape[0], step, *bufs, groups, k, s, p, d, out)
    dw, db = module.conv2d_backward_chunks(
        g, x, w, dx, shape, 1, shape[0], step, bufs[1], bufs[0], groups, b is not None, k, s, p, d, out
    )
    return y, dx, dw, db


def chunks_both(dtype, geo, groups, o_per_group, step, bias, seed):
    """The chunk loops of both paths on the same arrays: ((y, dx, dw, db) numba, (the same) reference)."""
    inputs = chunk_inputs(dtype, geo, groups, o_per_group, bias, seed)
    return [run_chunks(module, geo, groups, step, *inputs) for module in (numba_kernels, numpy_kernels)]


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=examples(40))
@given(geo=geometries(pool=False), groups=st.integers(1, 3), o_per_group=st.integers(1, 3), step=st.integers(1, 3),
       bias=st.booleans(), seed=st.integers(0, 2**16), tiles=st.booleans())
def test_conv_chunks_give_the_references_bits(dtype, geo, groups, o_per_group, step, bias, seed, tiles):
    """The one-call conv loop (im2col, OpenBLAS's GEMMs called from Numba, col2im) against the reference's
    Python loop over the same kernels and numpy.matmul: y, dx and dW bit for bit, db (float64 sums in
    another order) to rounding. Shapes with a GEMM side of 1 take the reference's loop. With ``tiles`` the
    stride-1 layers take the micro-kernels for y, dx and dW (fused multiply-adds in tap order): those agree
    to rounding (the tiled kernels' own tests, against torch, are below)."""
    shape, k, s, p, d, _, out = geo
    kept = numba_kernels.conv_direct.USE_TILES
    numba_kernels.conv_direct.USE_TILES = tiles
    try:
        channels = (shape[1] * groups, o_per_group * groups)
        direct = tiles and numba_kernels.conv_direct.direct_fits(channels, groups, s, d, k)
        direct_dx = tiles and numba_kernels.conv_direct.direct_dx_fits(channels, groups, s, d, k, p) and (
            numba_kernels.conv_direct.direct_dx_pays(shape[2:], out, k))
        inputs = chunk_inputs(dtype, geo, groups, o_per_group, bias, seed)
        ours, ref = (run_chunks(module, geo, groups, step, *inputs) for module in (numba_kernels, numpy_kernels))
    finally:
        numba_kernels.conv_direct.USE_TILES = kept
    # the reference in float64 on the same inputs (the truth), and on their magnitudes (the condition)
    truth = run_chunks(numpy_kernels, geo, groups, step, *(None if a is None else a.astype(np.float64)
                                                           for a in inputs))
    cond = run_chunks(numpy_kernels, geo, groups, step, *absolute(*inputs))
    for i, (what, a, r, rounded) in enumerate(zip(("y", "dx", "dW"), ours, ref, (direct, direct_dx, direct))):
        if rounded:
            assert_parity(a, truth[i], dtype, cond=cond[i], what=f"{what} (tiled direct kernel)")
        else:
            np.testing.assert_array_equal(a, r, err_msg=what)
    if bias:  # float64 sums in two orders: rounding of the sum of |g|, however much db cancels
        assert np.abs(ours[3] - ref[3]).max() <= 1e-13 * cond[3].max(), "db"
    else:
        assert ours[3] is None and ref[3] is None


TILE_SHAPES = [
    ((3, 1, 28, 28), 6, (5, 5), (2, 2), True),  # LeNet-5's conv1: two row blocks (4 + 2 channels)
    ((3, 6, 14, 14), 16, (5, 5), (0, 0), True),  # LeNet-5's conv2: planes shorter than a tile's reach
    ((3, 12, 30, 30), 12, (5, 5), (1, 1), True),  # the CIFAR CNN's conv2
    ((2, 9, 6, 6), 9, (3, 3), (1, 0), True),  # 9 channels: blocks of 4, 4, 1
    ((3, 2, 7, 9), 3, (2, 3), (0, 1), False),
    ((3, 4, 5, 6), 7, (4, 5), (3, 1), True),  # padding of nearly the window
    ((2, 1, 1, 1), 1, (1, 3), (0, 1), False),
    ((2, 30, 4, 4), 5, (5, 5), (2, 2), True),  # a long reduction (750 taps) on a tiny plane
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, O, k, p, bias", TILE_SHAPES)
def test_tiled_conv_forward_matches_torch_and_writes_only_its_share(monkeypatch, dtype, shape, O, k, p, bias):
    """Stride-1 layers take the tiled direct kernel, no columns: y of the share [1, N) against torch's conv2d in
    float64 (≤1e-10) and float32; sample 0 is left as it was. The shapes cover each count of rows in a block
    (1-4), planes shorter than a tile and odd paddings."""
    if microkernel.output_block_kernel(dtype)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernel here: the GEMM path runs")
    monkeypatch.setattr(numba_kernels.conv, "forward_loop", None)  # the im2col loop must not run
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((O, shape[1], *k)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype) if bias else None
    torch32 = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                       padding=p).numpy()
    truth, cond = (F.conv2d(*up(*a), padding=p) for a in ((x, w, b), absolute(x, w, b)))
    want = torch32
    out = want.shape[2:]
    y = np.full(want.shape, 7.0, dtype)
    L, K = out[0] * out[1], shape[1] * k[0] * k[1]
    numba_kernels.conv2d_forward_chunks(x, w, b, y, 1, shape[0], 2, np.empty(K * 2 * L, dtype),
                                        np.empty(O * 2 * L, dtype), 1, k, (1, 1), p, (1, 1), out)
    assert (y[0] == 7).all()
    assert_parity(y[1:], truth[1:], dtype, torch32=torch32[1:], cond=cond[1:], what="tiled conv")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, O, k, p, bias", TILE_SHAPES)
def test_tiled_conv_backward_matches_torch_and_writes_only_its_share(monkeypatch, dtype, shape, O, k, p, bias):
    """dx by the tiled kernel (g convolved with the flipped, channel-swapped weights), dW and db by the dot
    kernel, against torch's autograd with a random upstream gradient, over the share [1, N); sample 0 of dx is
    left as it was."""
    if microkernel.output_block_kernel(dtype)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernel here: the GEMM path runs")
    assert numba_kernels.conv_direct.direct_dx_fits((shape[1], O), 1, (1, 1), (1, 1), k, p)
    monkeypatch.setattr(numba_kernels.conv_direct, "DX_MIN_USEFUL", 0)  # the tiled dx even where the GEMM pays
    monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)  # the im2col loop must not run
    rng = np.random.default_rng(12)
    x = torch.from_numpy(rng.standard_normal(shape).astype(dtype)).requires_grad_()
    w = torch.from_numpy(rng.standard_normal((O, shape[1], *k)).astype(dtype)).requires_grad_()
    y = F.conv2d(x, w, padding=p)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(torch.from_numpy(g))
    out = y.shape[2:]
    dx = np.full(shape, 7.0, dtype)
    L, K = out[0] * out[1], shape[1] * k[0] * k[1]
    dw, db = numba_kernels.conv2d_backward_chunks(
        g, x.detach().numpy(), w.detach().numpy(), dx, shape, 1, shape[0], 2, np.empty(O * 2 * L, dtype),
        np.empty(K * 2 * L, dtype), 1, bias, k, (1, 1), p, (1, 1), out)
    assert (dx[0] == 7).all()
    truth, cond = conv_grads(x.detach().numpy(), w.detach().numpy(), g, p)
    # samples are independent: torch's own rows
    assert_parity(dx[1:], truth[0][1:], dtype, torch32=x.grad[1:], cond=cond[0][1:], what="tiled dx")
    truth_dw, cond_dw, want_dw = (torch.nn.grad.conv2d_weight(a[1:], w.shape, c[1:], padding=p)
                                  for a, c in (up(x.detach(), g), up(*absolute(x.detach(), g)),
                                               (x.detach(), torch.from_numpy(g))))
    assert_parity(dw.reshape(w.shape), truth_dw, dtype, torch32=want_dw, cond=cond_dw, what="dW (dot kernel)")
    if bias:
        assert_parity(db, g[1:].sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                      cond=np.abs(g[1:]).sum(axis=(0, 2, 3), dtype=np.float64), what="db")
    else:
        assert db is None


STRIDED_SHAPES = [
    ((3, 16, 32, 32), 32, (3, 3), (2, 2), (1, 1)),  # the small ResNet's downsampling conv
    ((2, 5, 9, 11), 7, (3, 2), (2, 2), (1, 0)),  # odd sizes: the last row and column read by no window
    ((2, 3, 8, 8), 4, (2, 2), (2, 2), (0, 0)),  # windows that tile the input
    ((2, 4, 7, 6), 3, (5, 5), (2, 1), (2, 2)),  # strides of two sizes, padding of nearly the window
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, O, k, s, p", STRIDED_SHAPES)
def test_strided_tiled_conv_forward_and_dw_match_torch(monkeypatch, dtype, shape, O, k, s, p):
    """Strided layers take the tiled kernels by phases (no columns) for y and dW, against torch in float64
    (≤1e-10) and float32, with a random upstream gradient; the im2col loops must not run."""
    if microkernel.output_block_kernel(dtype)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernel here: the GEMM path runs")
    assert numba_kernels.conv_direct.direct_fits((shape[1], O), 1, s, (1, 1), k)
    monkeypatch.setattr(numba_kernels.conv, "forward_loop", None)
    monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)
    rng = np.random.default_rng(15)
    x = torch.from_numpy(rng.standard_normal(shape).astype(dtype)).requires_grad_()
    w = torch.from_numpy(rng.standard_normal((O, shape[1], *k)).astype(dtype)).requires_grad_()
    b = rng.standard_normal(O).astype(dtype)
    y = F.conv2d(x, w, torch.from_numpy(b), s, p)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(torch.from_numpy(g))
    out = tuple(y.shape[2:])
    L, K = out[0] * out[1], shape[1] * k[0] * k[1]
    ours = np.empty(y.shape, dtype)
    xn, wn = x.detach().numpy(), w.detach().numpy()
    numba_kernels.conv2d_forward_chunks(xn, wn, b, ours, 0, shape[0], 2, np.empty(K * 2 * L, dtype),
                                        np.empty(O * 2 * L, dtype), 1, k, s, p, (1, 1), out)
    truth, cond = (F.conv2d(*up(*a), stride=s, padding=p) for a in ((xn, wn, b), absolute(xn, wn, b)))
    assert_parity(ours, truth, dtype, torch32=y.detach(), cond=cond, what="strided tiled conv")
    dw, db = numba_kernels.conv2d_backward_chunks(
        g, xn, None, None, shape, 0, shape[0], 2, np.empty(O * 2 * L, dtype), np.empty(K * 2 * L, dtype), 1, True,
        k, s, p, (1, 1), out)
    truth_dw, cond_dw = (torch.nn.grad.conv2d_weight(a, w.shape, c, stride=s, padding=p)
                         for a, c in (up(xn, g), up(*absolute(xn, g))))
    assert_parity(dw.reshape(w.shape), truth_dw, dtype, torch32=w.grad, cond=cond_dw, what="strided dW")
    assert_parity(db, g.sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                  cond=np.abs(g).sum(axis=(0, 2, 3), dtype=np.float64), what="db")


def conv_grads(x, w, g, padding):
    """torch's float64 (dx, dw) of conv2d on the same inputs (the truth), and on their magnitudes (the
    condition: the sums of |terms|)."""
    results = []
    for xa, wa, ga in (up(x, w, g), up(*absolute(x, w, g))):
        xa, wa = xa.requires_grad_(), wa.requires_grad_()
        F.conv2d(xa, wa, padding=padding).backward(ga)
        results.append((xa.grad, wa.grad))
    return results


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiled_dx_alone_skips_the_chunk_loop_and_posts(monkeypatch, dtype):
    """With frozen weights and no bias only dx is wanted: the tiled kernel makes it without the chunk loop (which
    would only copy g), and it is the call that signals ``ready`` to the pool threads."""
    if microkernel.output_block_kernel(dtype)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernel here: the GEMM path runs")
    monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)
    rng = np.random.default_rng(13)
    x = torch.from_numpy(rng.standard_normal((2, 3, 7, 7)).astype(dtype)).requires_grad_()
    w = torch.from_numpy(rng.standard_normal((4, 3, 3, 3)).astype(dtype))
    y = F.conv2d(x, w, padding=1)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(torch.from_numpy(g))
    dx, ready = np.empty(x.shape, dtype), np.zeros(2, np.int64)
    dw, db = numba_kernels.conv2d_backward_chunks(
        g, None, w.numpy(), dx, tuple(x.shape), 0, 2, 2, np.empty(4 * 2 * 49, dtype), np.empty(27 * 2 * 49, dtype),
        1, False, (3, 3), (1, 1), (1, 1), (1, 1), (7, 7), ready, 5)
    assert dw is None and db is None and (ready == 5).all()
    truth, cond = conv_grads(x.detach().numpy(), w.numpy(), g, (1, 1))
    assert_parity(dx, truth[0], dtype, torch32=x.grad, cond=cond[0], what="tiled dx")


@pytest.mark.parametrize("dtype", DTYPES)
def test_dx_of_a_plane_mostly_border_takes_the_gemm(monkeypatch, dtype):
    """LeNet-5's conv2 (10×10 outputs of a 5×5 kernel): the tiled dx would spend most products on g's zero border,
    so dx comes from the GEMM path (the tiled kernel is not called) while dW stays with the dot kernel; both
    against torch. The CIFAR CNN's conv2 keeps the tiled dx."""
    assert not numba_kernels.conv_direct.direct_dx_pays((14, 14), (10, 10), (5, 5))
    assert numba_kernels.conv_direct.direct_dx_pays((30, 30), (28, 28), (5, 5))
    if microkernel.output_block_kernel(dtype)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernel here: the GEMM path runs")
    monkeypatch.setattr(numba_kernels.conv, "conv_tiles", None)
    shape, O, k = (3, 6, 14, 14), 16, (5, 5)
    rng = np.random.default_rng(14)
    x = torch.from_numpy(rng.standard_normal(shape).astype(dtype)).requires_grad_()
    w = torch.from_numpy(rng.standard_normal((O, shape[1], *k)).astype(dtype)).requires_grad_()
    y = F.conv2d(x, w)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(torch.from_numpy(g))
    dx, L = np.empty(shape, dtype), 100
    dw, _ = numba_kernels.conv2d_backward_chunks(
        g, x.detach().numpy(), w.detach().numpy(), dx, shape, 0, 3, 2, np.empty(O * 2 * L, dtype),
        np.empty(150 * 2 * L, dtype), 1, False, k, (1, 1), (0, 0), (1, 1), (10, 10))
    truth, cond = conv_grads(x.detach().numpy(), w.detach().numpy(), g, (0, 0))
    assert_parity(dx, truth[0], dtype, torch32=x.grad, cond=cond[0], what="dx (GEMM path)")
    assert_parity(dw.reshape(w.shape), truth[1], dtype, torch32=w.grad, cond=cond[1], what="dW (dot kernel)")


def test_wide_grouped_or_strided_layers_keep_the_gemm():
    """The tiled kernels take undilated, ungrouped layers of at most TILE_MAX_CHANNELS channels in and out on any
    plane (wider ones only at stride 1 on large planes: tests/test_conv_wide.py), at strides up to MAX_STRIDE with a
    kernel at least as wide (by phases) for the forward and dW; dx needs stride 1 and padding below the kernel
    size."""
    fits, dx_fits = numba_kernels.conv_direct.direct_fits, numba_kernels.conv_direct.direct_dx_fits
    wide = numba_kernels.conv_direct.TILE_MAX_CHANNELS + 1
    one, k3 = (1, 1), (3, 3)
    assert fits((3, 12), 1, one, one, k3)
    assert not fits((wide, 12), 1, one, one, k3) and not fits((12, wide), 1, one, one, k3)
    assert not fits((4, 4), 2, one, one, k3)
    assert fits((4, 4), 1, (2, 1), one, k3) and fits((4, 4), 1, (2, 2), one, (2, 2))
    assert not fits((4, 4), 1, (3, 1), one, k3) and not fits((4, 4), 1, (2, 2), one, one)
    assert not fits((4, 4), 1, one, (1, 2), k3)
    assert dx_fits((4, 4), 1, one, one, k3, (2, 2))
    assert not dx_fits((4, 4), 1, one, one, k3, (3, 0)) and not dx_fits((4, 4), 1, (2, 1), one, k3, one)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, K", [(1, 1), (2, 7), (3, 40), (4, 300)])
def test_micro_kernel_sums_each_row_over_the_taps(dtype, rows, K):
    """The micro-kernel alone, called as the conv calls it: C[r, q] = Σ_k A[r, k] · X[offs[k] + q] for r < rows,
    q < NR, against NumPy in float64; rows past ``rows`` are not written."""
    tile, lanes = microkernel.output_block_kernel(dtype)
    if tile is None:
        pytest.skip("llvmlite could not compile the micro-kernel here")
    rng = np.random.default_rng(rows * 1000 + K)
    A = rng.standard_normal((4, K + 3)).astype(dtype)  # lda = K + 3: rows need not be packed
    X = rng.standard_normal(500).astype(dtype)
    offs = rng.integers(0, 500 - lanes, K).astype(np.int64)
    C = np.full((4, lanes + 5), 7.0, dtype)  # ldc = NR + 5
    tile(rows, K, A.ctypes.data, K + 3, X.ctypes.data, offs.ctypes.data, C.ctypes.data, lanes + 5)
    taps = X[offs[:, None] + np.arange(lanes)].astype(np.float64)
    want, cond = A[:, :K].astype(np.float64) @ taps, np.abs(A[:, :K].astype(np.float64)) @ np.abs(taps)
    assert_parity(C[:rows, :lanes], want[:rows], dtype, cond=cond[:rows], what="micro-kernel vs NumPy")
    assert (C[rows:] == 7).all() and (C[:, lanes:] == 7).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, taps, vectors", [(1, 1, 1), (2, 3, 2), (3, 4, 5), (3, 2, 40)])
def test_dot_kernel_sums_rows_against_shifted_inputs(dtype, rows, taps, vectors):
    """The dot kernel alone: C[r, t] = Σ_{q < Q} G[r, q] · X[offs[t] + q] for r < rows, t < taps (Q whole
    vectors), against NumPy in float64; entries past the block are not written."""
    dots, lanes = microkernel.weight_grad_kernel(dtype)
    if dots is None:
        pytest.skip("llvmlite could not compile the micro-kernel here")
    rng = np.random.default_rng(rows * 100 + taps * 10 + vectors)
    Q = vectors * lanes
    G = rng.standard_normal((3, Q + 2)).astype(dtype)  # ldg = Q + 2
    X = rng.standard_normal(Q + 300).astype(dtype)
    offs = rng.integers(0, 300, 4).astype(np.int64)
    C = np.full((3, 6), 7.0, dtype)  # ldc = 6
    dots(rows, taps, Q, G.ctypes.data, Q + 2, X.ctypes.data, offs.ctypes.data, C.ctypes.data, 6)
    shifted = X[offs[:, None] + np.arange(Q)].astype(np.float64).T
    want, cond = G[:, :Q].astype(np.float64) @ shifted, np.abs(G[:, :Q].astype(np.float64)) @ np.abs(shifted)
    assert_parity(C[:rows, :taps], want[:rows, :taps], dtype, cond=cond[:rows, :taps], what="dot kernel vs NumPy")
    assert (C[rows:] == 7).all() and (C[:, taps:] == 7).all()


def test_conv_takes_the_gemm_where_the_micro_kernel_cannot_be_built(monkeypatch):
    """Without llvmlite's native target (``tile`` gives None) stride-1 layers run im2col + GEMM, with the
    reference's bits."""
    monkeypatch.setattr(microkernel, "_built",
                        {(np.dtype(np.float32), microkernel.isa()): (None, None, 0)})
    geo = ((2, 3, 6, 6), (3, 3), (1, 1), (1, 1), (1, 1), False, (6, 6))
    ours, ref = chunks_both(np.float32, geo, 1, 4, 2, True, 5)
    for what, a, r in zip(("y", "dx", "dW"), ours, ref):
        np.testing.assert_array_equal(a, r, err_msg=what)


def test_conv_chunks_run_in_one_call_where_numpys_openblas_is_found(monkeypatch):
    """The fast loop really runs (the reference's would raise here) wherever NumPy's OpenBLAS can be reached."""
    if numba_kernels.conv_gemm.gemm_routine(np.dtype(np.float32)) is None:
        pytest.skip("NumPy's BLAS is not the 64-bit-integer OpenBLAS its wheels ship: the reference's loop runs")

    def refuse(*args):
        raise AssertionError("the reference's loop ran")

    monkeypatch.setattr(numpy_kernels, "conv2d_forward_chunks", refuse)
    monkeypatch.setattr(numpy_kernels, "conv2d_backward_chunks", refuse)
    y = mt.nn.functional.conv2d(mt.tensor(np.ones((2, 3, 6, 6), np.float32), requires_grad=True),
                                mt.tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True))
    y.backward(mt.tensor(np.ones(y.shape, np.float32)))


def test_conv_chunks_refuse_short_buffers_and_wrong_shapes_before_any_work():
    x, w = np.ones((2, 3, 6, 6), np.float32), np.ones((4, 3, 3, 3), np.float32)
    y = np.zeros((2, 4, 4, 4), np.float32)
    geo = ((3, 3), (1, 1), (0, 0), (1, 1), (4, 4))
    cols, ybuf = np.empty(27 * 2 * 16, np.float32), np.empty(4 * 2 * 16, np.float32)
    with pytest.raises(ValueError, match="col_buf should be a contiguous float32 buffer of at least 864"):
        numba_kernels.conv2d_forward_chunks(x, w, None, y, 0, 2, 2, cols[:-1], ybuf, 1, *geo)
    with pytest.raises(ValueError, match=r"y should be \(2, 4, 4, 4\) float32, got \(2, 4, 4, 4\) float64"):
        numba_kernels.conv2d_forward_chunks(x, w, None, y.astype(np.float64), 0, 2, 2, cols, ybuf, 1, *geo)
    with pytest.raises(ValueError, match=r"samples \[0, 3\) in steps of 2 do not fit a batch of 2"):
        numba_kernels.conv2d_backward_chunks(
            np.ones((2, 4, 4, 4), np.float32), x, w, None, x.shape, 0, 3, 2, ybuf, cols, 1, False, *geo
        )
    assert not y.any()


def pool_input(rng, shape, dtype, ties: bool):
    """Distinct values, or few distinct integers so that windows hold tied maxima."""
    return (rng.integers(0, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)


def pool_grad(pool, x, g, *args, **kw):
    """torch's float64 dL/dx of ``pool`` at x under the upstream ``g`` (with |g|: the condition, a sum of |g|)."""
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    pool(tx, *args, **kw).backward(torch.tensor(g, dtype=torch.float64))
    return tx.grad


@pytest.mark.parametrize("dtype", DTYPES)
@EXAMPLES
@given(geo=geometries(pool=True), ties=st.booleans(), seed=st.integers(0, 2**16))
def test_max_pool_matches_the_reference_and_torch_including_ties(dtype, geo, ties, seed):
    shape, k, s, p, d, ceil, out = geo
    if not sees_input(shape, k, s, p, d, out):
        return
    rng = np.random.default_rng(seed)
    x = pool_input(rng, shape, dtype, ties)
    (y, idx), (y_ref, idx_ref) = both("max_pool2d_forward", x, k, s, p, d, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(idx, idx_ref)
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = F.max_pool2d(tx, k, s, p, d, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())  # the first of tied maxima, as torch

    g = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.from_numpy(g))
    unique = all(ss >= dd * (kk - 1) + 1 for ss, dd, kk in zip(s, d, k))
    dx, dx_ref = both("max_pool2d_backward", g, idx, shape[2:], unique)
    truth, cond = (pool_grad(F.max_pool2d, x, ga, k, s, p, d, ceil_mode=ceil) for ga in (g, np.abs(g)))
    for what, a in (("max-pool backward", dx), ("max-pool backward (reference)", dx_ref)):
        assert_parity(a, truth, dtype, torch32=tx.grad, cond=cond, what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@EXAMPLES
@given(geo=geometries(pool=True), include_pad=st.booleans(), override=st.sampled_from([None, 3]),
       seed=st.integers(0, 2**16))
def test_avg_pool_matches_the_reference_and_torch(dtype, geo, include_pad, override, seed):
    shape, k, s, p, _, ceil, _ = geo
    out = tuple(_out_len(nn, kk, ss, pp, 1, ceil) for nn, kk, ss, pp in zip(shape[2:], k, s, p))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    divisor = override or _avg_divisors(shape[2:], k, s, p, out, include_pad)
    y, y_ref = both("avg_pool2d_forward", x, k, s, p, out, divisor)
    kw = dict(ceil_mode=ceil, count_include_pad=include_pad, divisor_override=override)
    tx = torch.tensor(x, requires_grad=True)
    ty = F.avg_pool2d(tx, k, s, p, **kw)
    truth, cond = (F.avg_pool2d(a, k, s, p, **kw) for a in up(x, np.abs(x)))
    for what, a in (("avg-pool", y), ("avg-pool (reference)", y_ref)):
        assert_parity(a, truth, dtype, torch32=ty, cond=cond, what=what)

    g = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.from_numpy(g))
    dx, dx_ref = both("avg_pool2d_backward", g, shape[2:], k, s, p, divisor)
    truth, cond = (pool_grad(F.avg_pool2d, x, ga, k, s, p, **kw) for ga in (g, np.abs(g)))
    for what, a in (("avg-pool backward", dx), ("avg-pool backward (reference)", dx_ref)):
        assert_parity(a, truth, dtype, torch32=tx.grad, cond=cond, what=what)


def test_adaptive_max_pool_matches_the_reference_with_ties():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (2, 3, 7, 5)).astype(np.float64)
    rows, cols = (np.array([0, 2, 4]), np.array([3, 5, 7])), (np.array([0, 0, 1, 2]), np.array([2, 3, 4, 5]))
    (y, idx), (y_ref, idx_ref) = both("adaptive_max_pool2d_forward", x, rows, cols)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(idx, idx_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_stats", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(5, 3, 7), (4, 2, 1), (3, 4, 33)])
def test_batch_norm_kernels_match_the_reference_and_torch(dtype, batch_stats, affine, shape):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 3 + 1.5).astype(dtype)  # non-zero mean, non-unit variance
    w, b = (rng.standard_normal(shape[1]).astype(dtype) for _ in range(2)) if affine else (None, None)
    rm, rv = rng.standard_normal(shape[1]), rng.random(shape[1]) + 0.5
    stats = (None, None) if batch_stats else (rm, rv)
    g = rng.standard_normal(shape).astype(dtype)
    (y, mean, var), (y_ref, mean_ref, var_ref) = both("batch_norm_forward", x, w, b, *stats, 1e-5)
    (dx, sum_g, sum_gx), (dx_ref, sum_g_ref, sum_gx_ref) = both(
        "batch_norm_backward", g, x, mean, var, w, 1e-5, batch_stats, True
    )
    # the truth: the reference in float64 on the same inputs; torch's float64 agrees with it (float64 runs)
    x64, w64, b64, g64 = (None if a is None else a.astype(np.float64) for a in (x, w, b, g))
    truth_y, truth_mean, truth_var = numpy_kernels.batch_norm_forward(x64, w64, b64, *stats, 1e-5)
    truth_back = numpy_kernels.batch_norm_backward(g64, x64, truth_mean, truth_var, w64, 1e-5, batch_stats, True)
    cond = bn_conditions(x, w, b, rm, rv, g, batch_stats, momentum=0.0)  # no running statistics here

    def t(a):
        return None if a is None else torch.tensor(a, requires_grad=True)

    tx, tw, tb = t(x), t(w), t(b)
    trm, trv = torch.tensor(rm.astype(dtype)), torch.tensor(rv.astype(dtype))
    ty = F.batch_norm(tx, None if batch_stats else trm, None if batch_stats else trv, tw, tb,
                      training=batch_stats, eps=1e-5)
    ty.backward(torch.from_numpy(g))
    for path, (yy, mm, vv, dd, sg, sgx) in (("numba", (y, mean, var, dx, sum_g, sum_gx)),
                                            ("reference", (y_ref, mean_ref, var_ref, dx_ref, sum_g_ref, sum_gx_ref))):
        assert_parity(yy, truth_y, dtype, torch32=ty, cond=cond["y"], what=f"y {path}")
        assert_parity(mm, truth_mean, dtype, cond=cond["mean"], what=f"mean {path}")
        assert_parity(vv, truth_var, dtype, cond=cond["var"], what=f"var {path}")
        assert_parity(dd, truth_back[0], dtype, torch32=tx.grad, cond=cond["dx"], what=f"dx {path}")
        assert_parity(sg, truth_back[1], dtype, torch32=tb.grad if affine else None, cond=cond["db"],
                      what=f"Σg {path}")
        assert_parity(sgx, truth_back[2], dtype, torch32=tw.grad if affine else None, cond=cond["dw"],
                      what=f"Σg·x̂ {path}")
    if dtype == np.float64:  # and torch's float64, which the float32 runs' truth (the reference) is held to
        for ours, theirs in ((y, ty), (dx, tx.grad)) + (((sum_g, tb.grad), (sum_gx, tw.grad)) if affine else ()):
            assert_close(ours, theirs, dtype)
    assert numba_kernels.batch_norm_backward(g, x, mean, var, w, 1e-5, batch_stats, False)[0] is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5, 6), (2, 9, 1)])
def test_relu_kernels_match_the_reference_and_torch_bit_for_bit(dtype, shape):
    """Forward and backward exactly as torch's relu / threshold_backward, including NaN outputs, exact zeros and
    a non-finite gradient at a dead unit (0, as torch), on contiguous and transposed inputs."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    flat_x, flat_g = x.reshape(-1), g.reshape(-1)
    flat_x[:3] = [np.nan, 0.0, -1.0]
    finite = g.copy()
    flat_g[2] = np.inf  # at a unit whose output is 0 (the reference's slow, exact branch; ``finite`` its fast one)
    for xx, gg in ((x, g), (x.T, g.T), (x, finite)):
        tx = torch.tensor(xx, requires_grad=True)
        ty = torch.relu(tx)
        ty.backward(torch.tensor(gg))
        y, y_ref = both("relu_forward", xx)
        dx, dx_ref = both("relu_backward", gg, y)
        for ours, ref, want in ((y, y_ref, ty), (dx, dx_ref, tx.grad)):
            assert ours.dtype == dtype and ours.shape == xx.shape
            np.testing.assert_array_equal(ours, ref)
            np.testing.assert_array_equal(ours, want.detach().numpy())


def test_max_pool_nan_wins_as_in_torch():
    x = np.array([[[[1.0, np.nan, 3.0, 2.0], [np.nan, 0.0, 5.0, 4.0]]]])
    y, idx = numba_kernels.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (1, 2))
    ty, tidx = F.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(y, ty.numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_2x2_and_values_only_match_torch(dtype, ties):
    # the 2×2 stride-2 pool's own loop (a tournament over the four taps) and the maxima without indices, on
    # tied maxima and NaNs placed in every tap of some windows; an odd size leaves a row and column unread
    rng = np.random.default_rng(3)
    x = pool_input(rng, (3, 4, 9, 11), dtype, ties)
    x.reshape(-1)[::13] = np.nan
    x.reshape(-1)[4::29] = np.nan
    for k, s in (((2, 2), (2, 2)), ((3, 2), (2, 1))):  # the second runs the general loop on the same data
        ty, tidx = F.max_pool2d(torch.from_numpy(x), k, s, return_indices=True)
        out = tuple(ty.shape[2:])
        y, idx = numba_kernels.max_pool2d_forward(x, k, s, (0, 0), (1, 1), out)
        np.testing.assert_array_equal(y, ty.numpy())
        np.testing.assert_array_equal(idx, tidx.numpy())
        for path in (numba_kernels, numpy_kernels):
            y_only, none = path.max_pool2d_forward(x, k, s, (0, 0), (1, 1), out, False)
            assert none is None
            np.testing.assert_array_equal(y_only, ty.numpy())


def test_max_pool_without_a_graph_returns_the_maxima_alone():
    # no_grad, or an input that needs no gradient: the values-only kernel, a plain result, torch's values
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 8, 8))
    want = F.max_pool2d(torch.from_numpy(x), 2).numpy()
    with mt.no_grad():
        y = mt.nn.functional.max_pool2d(mt.tensor(x, requires_grad=True), 2)
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), want)
    np.testing.assert_array_equal(mt.nn.functional.max_pool2d(mt.tensor(x[0]), 2).numpy(), want[0])
    y, idx = mt.nn.functional.max_pool2d(mt.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), F.max_pool2d(torch.from_numpy(x), 2, return_indices=True)[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_step_is_the_reference_update_bit_for_bit(dtype):
    # one pass per parameter computing the reference's operations in the same order and dtype: the same bits,
    # every option, over three steps (the first writes the momentum buffer); torch parity is test_optim's
    rng = np.random.default_rng(5)
    for momentum, dampening, nesterov, weight_decay, maximize in itertools.product(
            (0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 5e-4), (False, True)):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        p = rng.standard_normal((37, 5)).astype(dtype)
        ours, ref = p.copy(), p.copy()
        bufs = [np.empty_like(p), np.empty_like(p)] if momentum else [None, None]
        for step in range(3):
            g = rng.standard_normal(p.shape).astype(dtype)
            args = (step == 0, 0.05, momentum, dampening, weight_decay, nesterov, maximize)
            numba_kernels.sgd_step(ours, g, bufs[0], *args)
            numpy_kernels.sgd_step(ref, g, bufs[1], *args)
            np.testing.assert_array_equal(ours, ref)
            if momentum:
                np.testing.assert_array_equal(bufs[0], bufs[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_step_is_the_reference_update_bit_for_bit(dtype):
    # as SGD's: every option (beta1 = 0.3 takes lerp's other form), three steps, the same bits as the reference
    rng = np.random.default_rng(6)
    for beta1, weight_decay, decoupled, amsgrad, maximize in itertools.product(
            (0.9, 0.3), (0.0, 0.05), (False, True), (False, True), (False, True)):
        p = rng.standard_normal((37, 5)).astype(dtype)
        ours, ref = p.copy(), p.copy()
        moments = [[np.zeros_like(p) for _ in range(3)] for _ in range(2)]
        for step in range(1, 4):
            g = rng.standard_normal(p.shape).astype(dtype)
            for kernel, q, (m, v, vmax) in ((numba_kernels.adam_step, ours, moments[0]),
                                            (numpy_kernels.adam_step, ref, moments[1])):
                kernel(q, g, m, v, vmax if amsgrad else None, float(step), 0.01, beta1, 0.999, 1e-8, weight_decay,
                       decoupled, maximize)
            np.testing.assert_array_equal(ours, ref)
            for a, b in zip(*moments):
                np.testing.assert_array_equal(a, b)


# ---- the switch ---------------------------------------------------------------------------------------


def test_auto_prefers_numba_on_the_cpu_and_the_switch_chooses():
    x = np.zeros((1, 1, 2, 2))
    assert mt.backends.available("cpu") == ["numpy", "numba"]
    for name in dispatch.KERNELS:
        assert dispatch.get(name, x) is getattr(numba_kernels, name)
    mt.backends.set_kernels("numpy")
    assert dispatch.get("im2col", x) is numpy_kernels.im2col
    with mt.backends.use_kernels("numba"):
        assert dispatch.get("col2im", x) is numba_kernels.col2im
    assert mt.backends.selected() == "numpy"
    mt.backends.set_kernels(None)
    assert dispatch.get("batch_norm_forward", x) is numba_kernels.batch_norm_forward


def test_environment_chooses_numba_and_importing_the_package_loads_no_numba():
    code = (
        "import sys, numpy as np, minitorch_cnn as mt\n"
        "assert 'numba' not in sys.modules, 'numba loaded at import'\n"
        "from minitorch_cnn.kernels import dispatch\n"
        "print(mt.backends.selected(), dispatch.get('im2col', np.zeros(1)).__module__)\n"
    )
    env = {"MINITORCH_KERNELS": "numba", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["numba", "minitorch_cnn.kernels.numba_kernels.im2col"]


# ---- whole models ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lenet5", "cifar_cnn", "resnet_small16"])
def test_models_agree_under_both_kernel_paths(name):
    """One training step (forward, backward) in float64 through every kernel: numba and numpy paths agree.

    A conv bias feeding a BatchNorm has an exactly-zero gradient (BN removes the mean), so its computed value
    is rounding noise of the size of the other gradients: each tensor is measured against the larger of its
    own scale and the step's largest gradient.
    """
    results = {}
    for path in ("numpy", "numba"):
        mt.manual_seed(0)
        model = mt.models.get_model(name).to(mt.float64)
        x = np.random.default_rng(0).standard_normal((3, *model.input_shape))
        with mt.backends.use_kernels(path):
            loss = mt.nn.functional.cross_entropy(model(mt.tensor(x)), mt.tensor(np.array([1, 0, 7])))
            loss.backward()
        results[path] = [loss._data] + [p.grad._data for p in model.parameters()]
    scale = max(np.abs(r).max() for r in results["numpy"][1:])
    for i, (ours, ref) in enumerate(zip(results["numba"], results["numpy"])):
        err = np.abs(ours - ref).max() / max(np.abs(ref).max(), scale)
        assert err <= TOL[np.dtype(np.float64)], f"{name} under numba vs numpy, tensor {i}: relative error {err:.3g}"
