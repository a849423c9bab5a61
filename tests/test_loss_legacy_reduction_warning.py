"""The legacy ``size_average=``/``reduce=`` arguments of the losses: torch's reduction and torch's warning, which names
the reduction to write instead (``reduction='sum'`` for ``size_average=False``, as the VAE tutorials call it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

LEGACY = [({"size_average": False}, "sum"), ({"size_average": True}, "mean"), ({"reduce": False}, "none"),
          ({"size_average": False, "reduce": True}, "sum"), ({"size_average": True, "reduce": False}, "none")]


def _caught(fn) -> tuple:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("legacy,reduction", LEGACY)
def test_functional_legacy_arguments_warn_and_reduce_as_torch(legacy: dict, reduction: str) -> None:
    rng = np.random.default_rng(0)
    p, y = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    theirs, t_warn = _caught(lambda: torch.nn.functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(y), **legacy))
    ours, o_warn = _caught(lambda: mt.nn.functional.binary_cross_entropy(mt.tensor(p), mt.tensor(y), **legacy))
    assert o_warn == t_warn
    assert f"please use reduction='{reduction}' instead." in t_warn[0][1]
    assert_close(ours.numpy(), theirs.numpy(), np.float64)


@pytest.mark.parametrize("legacy,reduction", LEGACY)
@pytest.mark.parametrize("loss", ["BCELoss", "MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss"])
def test_module_legacy_arguments_warn_and_set_reduction_as_torch(loss: str, legacy: dict, reduction: str) -> None:
    theirs, t_warn = _caught(lambda: getattr(torch.nn, loss)(**legacy))
    ours, o_warn = _caught(lambda: getattr(mt.nn, loss)(**legacy))
    assert [m for _, m in o_warn] == [m for _, m in t_warn] and ours.reduction == theirs.reduction == reduction
