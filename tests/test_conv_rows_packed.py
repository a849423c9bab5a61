"""dx on channels-last rows on the packed panels (``numba_kernels.conv_rows_packed``) against torch.

The rows' dx product d_rows (M, K) = gᵀ (M, O) @ wk (O, K) on the panel micro-kernel, the weights packed once a
share: float64 ≤ 1e-10 and float32 against the float64 truth (``assert_parity``), random upstream gradients, with
remainders in every blocked dimension (pixels in rows of MR, K = kh·kw·C columns past a block of NC and in panels of
NR, O channels past a depth block of KC), several chunks a share (g gathered, and one sample's own planes), dW and
db made beside it on OpenBLAS, on each ISA the host runs (at 256 bits there are no panels: ``backward_rows`` on
OpenBLAS makes it all), through the chunk kernel and through the op at one and two threads.
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
from minitorch_cnn.kernels.numba_kernels import conv_implicit, conv_packed, conv_rows_packed, gemm_packed  # noqa: E402
from tests._kernel_isa import force_isa  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]


# each ISA the host runs, forced for the test
isa = pytest.fixture(params=microkernel.available_isas(), name="isa")(force_isa)


@pytest.fixture
def small_layers_qualify(monkeypatch):
    """``packed_fits``'s thresholds lowered so that a small layer takes the panels (the implicit GEMM, which would
    take its 64-channel layers first, kept off)."""
    monkeypatch.setattr(conv_implicit, "USE_IMPLICIT", False)
    monkeypatch.setattr(conv_packed, "PACKED_MIN_CHANNELS", 8)
    monkeypatch.setattr(conv_packed, "PACKED_MAX_WASTE", float("inf"))
    monkeypatch.setattr(conv_packed, "PACKED_MIN_CHUNKS", 1)


def _counting(monkeypatch, *names):
    """Wrap ``numba_kernels.conv.<name>`` for each name to count its calls."""
    calls = []
    for name in names:
        original = getattr(numba_kernels.conv, name)

        def counted(*args, _name=name, _original=original):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(numba_kernels.conv, name, counted)
    return calls


def _torch_grads(x, w, b, g):
    """torch's (dx, dW, db) of a 3×3 "same" conv2d in float64, in float32, and in float64 on the absolute values."""
    out = []
    for conv in (lambda a: torch.from_numpy(np.asarray(a, np.float64)), torch.from_numpy,
                 lambda a: torch.from_numpy(np.abs(np.asarray(a, np.float64)))):
        tx, tw, tb = (conv(a).requires_grad_() for a in (x, w, b))
        F.conv2d(tx, tw, tb, padding=1).backward(conv(g))
        out.append([t.grad.numpy() for t in (tx, tw, tb)])
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_dw", [True, False])
def test_chunk_kernel_matches_torch(monkeypatch, small_layers_qualify, isa, dtype, with_dw):
    """A 66→260 3×3 layer on 5×4 planes, the chunk kernel over the share [1, 6) in chunks of 2, 2 and 1 samples:
    K = 594 columns (a block of 512 and 82: panels of NR and a partial one), 260 channels deep (a depth block of
    256 and 4), 40 and 20 pixels (rows of 6 and 4 or 2). dx (sample 0 left as it was), dW and db against torch;
    with the input frozen, dx alone. On the panels' ISA the OpenBLAS rows kernel does not
    run; at 256 bits it makes everything."""
    on_panels = gemm_kernel.panel_kernel(dtype)[0] is not None
    calls = _counting(monkeypatch, "backward_rows", "backward_rows_packed")
    monkeypatch.setattr(numba_kernels.conv, "backward_loop", None)
    N, C, O, H, W = 6, 66, 260, 5, 4
    assert C * 9 > gemm_packed.NC and O > gemm_packed.KC
    rng = np.random.default_rng(66 + with_dw)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((N, C, H, W), (O, C, 3, 3), (O,)))
    g = rng.standard_normal((N, O, H, W)).astype(dtype)
    dx = np.full(x.shape, 7.0, dtype)
    dw, db = numba_kernels.conv2d_backward_chunks(
        g, x if with_dw else None, w, dx, x.shape, 1, N, 2, np.empty(O * 2 * H * W, dtype),
        np.empty(C * 9 * 2 * H * W, dtype), 1, True, (3, 3), (1, 1), (1, 1), (1, 1), (H, W))
    assert calls == ["backward_rows_packed" if on_panels else "backward_rows"]
    assert (dx[0] == 7).all() and (dw is None) != with_dw
    truth, t32, cond = _torch_grads(x[1:], w, b, g[1:])
    assert_parity(dx[1:], truth[0], dtype, torch32=t32[0], cond=cond[0], what="dx")
    if with_dw:
        assert_parity(dw, truth[1], dtype, torch32=t32[1], cond=cond[1], what="dW")
    assert_parity(db, truth[2], dtype, torch32=t32[2], cond=cond[2], what="db")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
def test_whole_op_at_one_and_two_threads(monkeypatch, small_layers_qualify, isa, dtype, workers):
    """conv2d 64→70 3×3 through the op, the batch split over 1 or 2 threads (the channel split kept off): dx on the
    panels in each share where the ISA has them, dx, dW and db against torch."""
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", float("inf"))
    monkeypatch.setattr(conv_implicit, "USE_IMPLICIT", False)  # 64 channels on a small plane would take it
    calls = _counting(monkeypatch, "backward_rows", "backward_rows_packed")
    rng = np.random.default_rng(70 + workers)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((5, 64, 7, 6), (70, 64, 3, 3), (70,)))
    with threadpool.set_workers(workers):
        X, W, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
        y = mF.conv2d(X, W, B, padding=1)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    on_panels = gemm_kernel.panel_kernel(dtype)[0] is not None
    assert calls == ["backward_rows_packed" if on_panels else "backward_rows"] * workers
    truth, t32, cond = _torch_grads(x, w, b, g)
    for what, ours, i in (("dx", X.grad, 0), ("dW", W.grad, 1), ("db", B.grad, 2)):
        assert_parity(ours.numpy(), truth[i], dtype, torch32=t32[i], cond=cond[i], what=f"{what}, {workers} threads")


def test_panels_and_openblas_agree(monkeypatch, small_layers_qualify):
    """The same float64 layer with the rows' dx off the panels (``USE_ROWS_PACKED``): dx and dW equal to rounding."""
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((3, 64, 6, 6)), rng.standard_normal((72, 64, 3, 3))
    g = rng.standard_normal((3, 72, 6, 6))
    results = []
    for use in (True, False):
        monkeypatch.setattr(conv_rows_packed, "USE_ROWS_PACKED", use)
        X, W = (mt.tensor(a, requires_grad=True) for a in (x, w))
        mF.conv2d(X, W, padding=1).backward(mt.tensor(g))
        results.append([X.grad.numpy(), W.grad.numpy()])
    for what, a, c in zip(("dx", "dW"), *results):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)


def test_which_layers_take_the_panels(monkeypatch):
    """ResNet-18's 256→256 8×8 layer (K = 2304 columns, whole panels of 64, several chunks a share) does; its
    512→512 4×4 layer in one or two chunks a share, a narrow, grouped or 1×1 layer, an ISA without the kernel
    (nr 0), K far from whole panels or ``USE_ROWS_PACKED`` off do not."""
    fits, many = conv_rows_packed.rows_packed_fits, conv_packed.PACKED_MIN_CHUNKS
    assert fits((256, 256), 1, (3, 3), 64, many) and fits((256, 256), 1, (3, 3), 32, many)
    assert not fits((512, 512), 1, (3, 3), 64, many - 1) and not fits((256, 256), 1, (3, 3), 0, many)
    assert not fits((64, 64), 1, (3, 3), 64, many) and not fits((256, 256), 2, (3, 3), 64, many)
    assert not fits((256, 256), 1, (1, 1), 64, many)
    assert not fits((129, 256), 1, (1, 3), 64, many)  # K = 387: 7 panels of 64 hold 448
    monkeypatch.setattr(conv_rows_packed, "USE_ROWS_PACKED", False)
    assert not fits((256, 256), 1, (3, 3), 64, many)
