"""A small sequence model built from the new layers (ConvTranspose1d, ELU, RMSNorm, Softsign, Dropout1d, AlphaDropout,
LPPool1d, a ParameterDict scale, MultiMarginLoss), its torch twin's weights loaded by key: print(model) equal,
state_dict keys equal, loss and every parameter gradient equal in float64 over a few SGD steps."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402


def _build(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.ConvTranspose1d(3, 6, 3, stride=2, output_padding=1)
            self.body = nn.Sequential(nn.ELU(0.7), nn.RMSNorm(14), nn.Softsign(), nn.Dropout1d(0.3),
                                      nn.AlphaDropout(0.2), nn.LPPool1d(2, 2))
            self.scale = nn.ParameterDict({"gain": nn.Parameter(lib.ones(6))})
            self.head = nn.Linear(42, 5)

        def forward(self, x):
            h = self.body(self.up(x)) * self.scale["gain"].reshape(1, 6, 1)
            return self.head(h.flatten(1))

    return Net()


def test_model_of_new_layers_trains_like_torch() -> None:
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = _build(torch).double().eval()  # eval: the dropouts are the identity, so both sides see the same net
    ours = _build(mt).double().eval()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    opt_m = mt.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    loss_t, loss_m = torch.nn.MultiMarginLoss(p=2), mt.nn.MultiMarginLoss(p=2)
    for step in range(3):
        x, y = rng.standard_normal((4, 3, 6)), rng.integers(0, 5, 4)
        lt = loss_t(theirs(torch.tensor(x)), torch.tensor(y))
        lm = loss_m(ours(mt.tensor(x)), mt.tensor(y))
        opt_t.zero_grad()
        opt_m.zero_grad()
        lt.backward()
        lm.backward()
        assert_close(lm, lt.detach(), np.float64, what=f"step {step} loss")
        for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert_close(p.grad, q.grad, np.float64, what=f"step {step} grad {k}")
        opt_t.step()
        opt_m.step()
