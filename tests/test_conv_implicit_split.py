"""Wide layers' backward on the implicit GEMM split over threads (``numba_kernels.conv_implicit_split``).

dx by samples and dW by output channels, through the op at two threads with the schedule's channel-split rule
forced (``SPLIT_MIN_WEIGHTS`` 0) and chunks small enough that the batch takes several: y, dx, dW and db against
torch (float64 ≤ 1e-10, float32 against the float64 truth), with and without dx and db, output channels that split
off the kernel's groups of rows, a strided dW-only layer; on each ISA the host runs (at 256 bits there is no gather
kernel and ``conv_split.BackwardSplit`` runs instead).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as mF  # noqa: E402
from minitorch_cnn.kernels import conv_schedule, gemm_kernel, microkernel, threadpool  # noqa: E402
from minitorch_cnn.kernels.numba_kernels import conv_implicit_split, conv_split  # noqa: E402
from tests._kernel_isa import force_isa  # noqa: E402
from tests._parity import assert_parity  # noqa: E402

DTYPES = [np.float64, np.float32]

isa = pytest.fixture(params=microkernel.available_isas(), name="isa")(force_isa)

LAYERS = [  # (N, C, O, H, W, kwargs of conv2d, dx asked for, bias)
    (5, 64, 70, 5, 5, {"padding": 1}, True, True),  # 35 output channels a thread: groups of 6 rows and a rest
    (4, 128, 64, 4, 4, {"padding": 1}, True, False),
    (6, 64, 64, 7, 6, {"padding": (0, 2)}, True, True),  # dx's g padded unevenly
    (3, 64, 64, 8, 8, {"stride": 2, "padding": 1}, False, True),  # strided: dW and db only
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", LAYERS, ids=[f"{a[1]}to{a[2]}_{a[3]}x{a[4]}_{i}" for i, a in enumerate(LAYERS)])
def test_split_matches_torch(monkeypatch, isa, dtype, layer):
    """Two threads, the channel split forced, chunks of two samples: ``ImplicitSplit`` where the ISA has the
    gather-both kernel dW needs (else ``BackwardSplit``), its results against torch's."""
    N, C, O, H, W, kw, with_dx, with_b = layer
    monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", 0)
    monkeypatch.setattr(conv_schedule, "SPLIT_CHUNK_WEIGHTS", 2 * H * W * C * 9 / (O * C * 9))  # 2 samples' rows
    ran = []
    for cls in (conv_implicit_split.ImplicitSplit, conv_split.BackwardSplit):
        monkeypatch.setattr(cls, "finish", lambda self, f=cls.finish, c=cls.__name__: (ran.append(c), f(self))[1])
    rng = np.random.default_rng(C + O + H)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((N, C, H, W), (O, C, 3, 3), (O,)))
    with threadpool.set_workers(2):
        X = mt.tensor(x, requires_grad=with_dx)
        Wt, B = mt.tensor(w, requires_grad=True), mt.tensor(b, requires_grad=True) if with_b else None
        y = mF.conv2d(X, Wt, B, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(mt.tensor(g))
    gather = gemm_kernel.panel_kernel(dtype, gather=True, gather_b=True)[0] is not None  # dW's form (none at 256 bits)
    assert ran == ["ImplicitSplit" if gather else "BackwardSplit"]
    out = []
    for conv in (lambda a: torch.from_numpy(np.asarray(a, np.float64)), torch.from_numpy,
                 lambda a: torch.from_numpy(np.abs(np.asarray(a, np.float64)))):
        tx, tw, tb = (conv(a).requires_grad_() for a in (x, w, b))
        ty = F.conv2d(tx, tw, tb if with_b else None, **kw)
        ty.backward(conv(g))
        out.append([ty.detach().numpy()] + [t.grad for t in (tx, tw, tb)])
    truth, t32, cond = out
    checks = [("y", y.detach(), 0), ("dW", Wt.grad, 2)] + [("dx", X.grad, 1)] * with_dx
    for what, ours, i in checks + ([("db", B.grad, 3)] if with_b else []):
        assert_parity(ours.numpy(), truth[i].numpy() if i else truth[i], dtype,
                      torch32=t32[i].numpy() if i else t32[i], cond=cond[i].numpy() if i else cond[i], what=what)
    if not with_dx:
        assert X.grad is None


def test_which_backwards_it_takes():
    """dW with stride-1 dx, or dW alone at any stride, of layers whose dW fits the implicit GEMM; not dx at
    stride 2, nor dilated dx, nor input channels off whole panels, nor an ISA without the gather kernels."""
    fits = conv_implicit_split.implicit_split_fits
    nr = gemm_kernel.panel_kernel(np.float32, gather=True)[2]
    if nr == 0:
        assert not fits((512, 512), 1, (3, 3), (1, 1), (1, 1), np.float32, True)
        return
    assert fits((512, 512), 1, (3, 3), (1, 1), (1, 1), np.float32, True)
    assert fits((64, 128), 1, (3, 3), (2, 2), (1, 1), np.float32, False)
    assert not fits((64, 128), 1, (3, 3), (2, 2), (1, 1), np.float32, True)
    assert not fits((64, 128), 1, (3, 3), (1, 1), (2, 2), np.float32, True)
    assert not fits((72, 128), 1, (3, 3), (1, 1), (1, 1), np.float32, False)


def test_repeats_its_bits_and_agrees_with_the_batch_split(monkeypatch):
    """float64, 2 threads, 512→512-like weights on small planes: two runs of the split give the same bits (no sum
    depends on which thread finished first) and equal the batch split to rounding."""
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((6, 64, 4, 4)), rng.standard_normal((128, 64, 3, 3)), rng.standard_normal(128)
    g = rng.standard_normal((6, 128, 4, 4))
    monkeypatch.setattr(conv_schedule, "SPLIT_CHUNK_WEIGHTS", 0.5)
    results = {}
    for name, least in (("batch", float("inf")), ("split", 0.0), ("split again", 0.0)):
        monkeypatch.setattr(conv_schedule, "SPLIT_MIN_WEIGHTS", least)
        with threadpool.set_workers(2):
            X, Wt, B = (mt.tensor(a, requires_grad=True) for a in (x, w, b))
            mF.conv2d(X, Wt, B, padding=1).backward(mt.tensor(g))
        results[name] = [t.grad.numpy() for t in (X, Wt, B)]
    for what, a, c in zip(("dx", "dW", "db"), results["split"], results["batch"]):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12 * np.abs(c).max(), err_msg=what)
    for a, c in zip(results["split"], results["split again"]):
        assert np.array_equal(a, c)
