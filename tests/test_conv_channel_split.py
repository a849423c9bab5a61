"""Wide layers' backward split over output channels (``conv_schedule._by_channels``, ``numba_kernels.conv_split``)
against torch.

Where the weights outweigh the activations and more than one thread runs, every thread im2rows a slice of a
chunk's samples, then makes its slice of dW's output channels over the whole chunk and dx of its slice of the
samples. Each gradient is held to torch's in float64 (≤1e-10) and float32 (``assert_parity``: the float64 truth on
the same inputs, the bound scaled by the same computation on |x|, |g|, or torch's own float32 error), with random
upstream gradients, at 2 and 3 threads (output channels and samples that do not divide evenly, a thread with no
sample), over several chunks. The path runs OpenBLAS's GEMMs and plain copies only, not the micro-kernel, so it
has no ISA variant to test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import conv_schedule, numba_kernels, threadpool  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_split  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]

# (x shape, out channels, kernel, stride, padding): all take the split when forced; dx on rows wherever it does
SHAPES = [
    ((5, 64, 4, 4), 64, (3, 3), (1, 1), (1, 1)),
    ((3, 65, 5, 5), 67, (3, 3), (1, 1), (1, 1)),  # odd channel counts
    ((4, 64, 8, 8), 130, (3, 3), (2, 2), (1, 1)),  # strided: the last window reaches the last row and column
    ((3, 64, 5, 7), 72, (3, 2), (1, 1), (2, 0)),  # a non-square kernel and plane, uneven padding
    ((1, 64, 3, 3), 70, (3, 3), (1, 1), (1, 1)),  # one sample: a thread with no sample to gather
]


def torch_grads(x, w, g, stride, padding):
    """torch's (dx, dW) of conv2d in float64 on (x, w, g), its float32 ones, and the float64 ones on |x|, |w|, |g|
    (the condition of each sum)."""
    out = []
    for xa, wa, ga in ([torch.from_numpy(np.asarray(a, np.float64)) for a in (x, w, g)],
                       [torch.from_numpy(a) for a in (x, w, g)],
                       [torch.from_numpy(np.abs(a).astype(np.float64)) for a in (x, w, g)]):
        xa, wa = xa.requires_grad_(), wa.requires_grad_()
        F.conv2d(xa, wa, stride=stride, padding=padding).backward(ga)
        out.append((xa.grad.numpy(), wa.grad.numpy()))
    return out


def run_op(x, w, b, stride, padding, seed, workers):
    """Our conv2d's forward and backward through the op at ``workers`` threads with a random upstream gradient:
    (g, dx, dW, db)."""
    with threadpool.set_workers(workers):
        X, W, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, W, B, stride=stride, padding=padding)
        g = np.random.default_rng(seed).standard_normal(y.shape).astype(x.dtype)
        y.backward(mt.tensor(g))
    return g, X.grad.numpy(), W.grad.numpy(), B.grad.numpy()


@pytest.fixture
def forced(monkeypatch):
    """Every layer that suits the split takes it, in chunks of a sample or two; returns the count of split runs."""
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", 0.0)
    monkeypatch.setattr(conv_schedule, "SPLIT_CHUNK_WEIGHTS", 0.2)
    monkeypatch.setattr(numba_kernels, "ImplicitSplit", None)  # the implicit GEMM's (test_conv_implicit_split)
    runs = [0]
    by_channels = conv_schedule._by_channels

    def counted(*args):
        runs[0] += 1
        return by_channels(*args)

    monkeypatch.setattr(conv_schedule, "_by_channels", counted)
    return runs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("shape, O, kernel, stride, padding", SHAPES)
def test_split_backward_matches_torch(forced, dtype, workers, shape, O, kernel, stride, padding):
    """dx, dW (C order) and db of the split, through the op, against torch."""
    rng = np.random.default_rng(sum(shape) + O + workers)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((O, shape[1], *kernel)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    g, dx, dw, db = run_op(x, w, b, stride, padding, seed=O, workers=workers)
    assert forced[0] == 1
    truth, t32, cond = torch_grads(x, w, g, stride, padding)
    assert dw.flags.c_contiguous and dw.dtype == dtype
    assert_parity(dx, truth[0], dtype, torch32=t32[0], cond=cond[0], what=f"dx, {workers} threads")
    assert_parity(dw, truth[1], dtype, torch32=t32[1], cond=cond[1], what=f"dW, {workers} threads")
    assert_parity(db, g.sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                  cond=np.abs(g).sum(axis=(0, 2, 3), dtype=np.float64), what="db")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wanted", ["dx", "dW"])
def test_each_gradient_alone(forced, dtype, wanted):
    """Frozen weights (dx alone) or a frozen input (dW and db alone), strided (dx on rows there too)."""
    shape, O, stride = (3, 64, 7, 7), 66, (2, 2)
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(shape).astype(dtype), rng.standard_normal((O, 64, 3, 3)).astype(dtype)
    g = rng.standard_normal((3, O, 4, 4)).astype(dtype)
    geometry = conv_schedule.ConvGeometry((3, 3), stride, (1, 1), (1, 1), 1, (4, 4))
    truth, t32, cond = torch_grads(x, w, g, stride, (1, 1))
    with threadpool.set_workers(2):
        if wanted == "dx":
            dx = conv_schedule.conv2d_input_grad(g, w, geometry, shape)
            assert_parity(dx, truth[0], dtype, torch32=t32[0], cond=cond[0], what="dx alone")
        else:
            dw, db = conv_schedule.conv2d_weight_grad(g, x, geometry, need_b=True)
            assert_parity(dw, truth[1], dtype, torch32=t32[1], cond=cond[1], what="dW alone")
            assert_parity(db, g.sum(axis=(0, 2, 3), dtype=np.float64), dtype,
                          cond=np.abs(g).sum(axis=(0, 2, 3), dtype=np.float64), what="db alone")
    assert forced[0] == 1


def test_split_agrees_with_the_batch_split_and_repeats_its_bits(monkeypatch):
    """float64, 2 threads: the split equals the batch split (each thread a share of the samples) to rounding, and
    two runs of the split give the same bits (no sum depends on which thread finished first)."""
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((6, 64, 4, 4)), rng.standard_normal((96, 64, 3, 3)), rng.standard_normal(96)
    monkeypatch.setattr(conv_schedule, "SPLIT_CHUNK_WEIGHTS", 0.5)
    monkeypatch.setattr(numba_kernels, "ImplicitSplit", None)  # the implicit GEMM's (test_conv_implicit_split)
    results = {}
    for name, least in (("batch", float("inf")), ("split", 0.0), ("split again", 0.0)):
        monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", least)
        results[name] = run_op(x, w, b, (1, 1), (1, 1), seed=5, workers=2)[1:]
    for what, a, c in zip(("dx", "dW", "db"), results["split"], results["batch"]):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)
    for a, c in zip(results["split"], results["split again"]):
        assert np.array_equal(a, c)


def test_which_layers_split():
    """The rule: more than one thread, weights at least SPLIT_MIN_WEIGHTS times x's and g's elements, ungrouped,
    wide, not 1×1, and dx only where the padded plane covers the input: ResNet-18's 512→512 4×4 and 256→512
    stride-2 layers at batch 64 split, its 256→256 8×8 and 128→128 16×16 layers keep the batch split."""

    def splits(c, h, o, k=3, s=1, p=1, groups=1, n=64, workers=2, with_dx=True):
        oh = (h + 2 * p - k) // s + 1
        g = np.empty((n, o, oh, oh), np.float32)
        geometry = conv_schedule.ConvGeometry((k, k), (s, s), (p, p), (1, 1), groups, (oh, oh))
        with threadpool.set_workers(workers):
            return conv_schedule._channel_split(g, (n, c, h, h), geometry, with_dx) is not None

    assert splits(512, 4, 512) and splits(256, 8, 512, s=2)
    assert not splits(256, 8, 256) and not splits(128, 16, 128)
    assert splits(256, 8, 256, n=8)  # a smaller batch: the weights outweigh it
    assert not splits(512, 4, 512, workers=1)
    assert not splits(512, 4, 512, groups=2) and not splits(512, 4, 512, k=1, p=0) and not splits(32, 4, 512)
    # 8×8, 3×3, stride 2, no padding: the windows never read the last row and column
    assert not splits(512, 8, 512, s=2, p=0) and splits(512, 8, 512, s=2, p=0, with_dx=False)
    assert not conv_split.split_fits((64, 64), 1, (3, 3), (1, 1), (1, 1), (1, 1), (4, 4), (4, 4), np.int32, True)


def test_chunks_are_even_and_a_multiple_of_the_threads(monkeypatch):
    """As few chunks as the cap allows, near-equal, each a multiple of the thread count (each thread's dx gets as
    many samples), the whole batch where it fits."""
    monkeypatch.setattr(conv_schedule, "SPLIT_CHUNK_WEIGHTS", 1)
    step = conv_schedule._split_step
    assert step(10, 100, 10 * 100 * 12, 64, 2) == 12  # cap 12: 6 chunks of 12, 12, 12, 12, 12, 4
    assert step(10, 100, 10 * 100 * 12, 16, 2) == 8  # 16 in two chunks of 8, not 12 + 4
    assert step(10, 100, 10 * 100 * 3, 16, 2) == 4  # cap 3 → 4 (3 + 3 on 2 threads: 1 and 2 samples for dx)
    assert step(10, 100, 10 * 100 * 100, 64, 3) == 64 and step(10, 100, 1, 1, 2) == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_grouped_layers_keep_the_batch_split(forced, dtype):
    """groups > 1 never takes the split (the rows are ungrouped), even forced; the result stays torch's."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 128, 4, 4)).astype(dtype)
    w = rng.standard_normal((128, 64, 3, 3)).astype(dtype)
    with threadpool.set_workers(2):
        X, W = mt.tensor(x, requires_grad=True), mt.tensor(w, requires_grad=True)
        y = mF.conv2d(X, W, padding=1, groups=2)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    assert forced[0] == 0
    tx = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    tw = torch.from_numpy(w.astype(np.float64)).requires_grad_()
    F.conv2d(tx, tw, padding=1, groups=2).backward(torch.from_numpy(g.astype(np.float64)))
    ax, aw = (torch.from_numpy(np.abs(a).astype(np.float64)).requires_grad_() for a in (x, w))
    F.conv2d(ax, aw, padding=1, groups=2).backward(torch.from_numpy(np.abs(g).astype(np.float64)))
    assert_parity(X.grad.numpy(), tx.grad, dtype, cond=ax.grad, what="dx, groups 2")
    assert_parity(W.grad.numpy(), tw.grad, dtype, cond=aw.grad, what="dW, groups 2")


def test_bad_arrays_get_a_clear_error_before_any_work():
    """The phases write through raw addresses: a wrong shape or dtype is refused when the split is set up."""
    g, x, w = np.zeros((2, 64, 4, 4)), np.zeros((2, 64, 4, 4)), np.zeros((64, 64, 3, 3))
    geometry = ((3, 3), (1, 1), (1, 1), (1, 1), (4, 4))
    with pytest.raises(ValueError, match="BackwardSplit: x should be"):
        conv_split.BackwardSplit(g, x.astype(np.float32), w, None, x.shape, False, *geometry, 2, 2)
    with pytest.raises(ValueError, match="BackwardSplit: w should be"):
        conv_split.BackwardSplit(g, None, w[:, :63], np.empty(x.shape), x.shape, False, *geometry, 2, 2)
