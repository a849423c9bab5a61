"""One torchvision model against ours: the torch file format in between, float64, every gradient compared."""

from __future__ import annotations

import io

import numpy as np
import torch

import minitorch_cnn as mt
from tests._parity import assert_close


def assert_torchvision_parity(theirs: torch.nn.Module, ours: mt.nn.Module, name: str, side: int = 32) -> None:
    """``theirs`` (random init) in float64 eval mode with BN running statistics randomised, saved with
    ``torch.save`` and read with ``mt.load`` into ``ours``; on a (2, 3, side, side) input and a random upstream
    gradient the outputs, the input gradient and every parameter gradient (same names, same order) agree to 1e-10.
    Both models are left in float64 eval mode, holding those gradients."""
    theirs.double().eval()
    ours.double().eval()
    with torch.no_grad():
        for key, buf in theirs.named_buffers():
            if key.endswith("running_mean"):
                buf.normal_(0, 0.1)
            elif key.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    blob = io.BytesIO()
    torch.save(theirs.state_dict(), blob)
    ours.load_state_dict(mt.load(io.BytesIO(blob.getvalue())))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, side, side))
    tx = torch.tensor(x, requires_grad=True)
    expected = theirs(tx)
    w = rng.standard_normal(tuple(expected.shape))
    (expected * torch.tensor(w)).sum().backward()
    mx = mt.tensor(x, requires_grad=True)
    out = ours(mx)
    (out * mt.tensor(w)).sum().backward()
    assert_close(out, expected.detach(), np.float64, what=f"{name} output")
    assert_close(mx.grad, tx.grad, np.float64, what=f"{name} input grad")
    for (key, p), (tkey, tp) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert key == tkey
        assert_close(p.grad, tp.grad, np.float64, what=f"{name} {key}.grad")
