"""mt.summary: parameter counts equal torch's for the whole zoo, output shapes equal the twin's, mult-adds by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn import nn
from reference import get_twin

MODELS = sorted(mt.models.MODELS)


def torch_leaf_shapes(twin: torch.nn.Module, x: torch.Tensor) -> list[tuple[str, tuple]]:
    """(name, output shape) of every leaf-module call of the twin, in call order."""
    calls, handles = [], []
    for name, m in twin.named_modules():
        if not list(m.children()) and name:
            handles.append(m.register_forward_hook(lambda m, i, o, name=name: calls.append((name, tuple(o.shape)))))
    with torch.no_grad():
        twin.eval()(x)
    for h in handles:
        h.remove()
    return calls


@pytest.mark.parametrize("name", MODELS)
def test_counts_and_shapes_match_torch(name: str) -> None:
    model, twin = mt.models.get_model(name), get_twin(name)
    s = mt.summary(model, (1, *model.input_shape), verbose=0)
    assert s.total_params == sum(p.numel() for p in twin.parameters())
    assert s.trainable_params == sum(p.numel() for p in twin.parameters() if p.requires_grad)
    assert sum(r.num_params or 0 for r in s.rows) == s.total_params  # the column adds up
    ours = [(r.name, r.output_shape) for r in s.rows if r.is_leaf and r.output_shape is not None]
    assert ours == torch_leaf_shapes(twin, torch.zeros(1, *model.input_shape))


class SmallNet(nn.Module):
    """x (N, 3, 8, 8): conv 3→8 3×3 pad 1, ReLU, maxpool 2, a Sequential (grouped conv 8→16 3×3, flatten), then
    one Linear 64→64 called twice and a head 64→10 without bias."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.block = nn.Sequential(nn.Conv2d(8, 16, 3, groups=2), nn.Flatten())
        self.fc = nn.Linear(64, 64)
        self.head = nn.Linear(64, 10, bias=False)

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        x = self.block(self.pool(self.act(self.conv1(x))))
        return self.head(self.fc(self.fc(x)))


def test_mult_adds_and_params_by_hand() -> None:
    s = mt.summary(SmallNet(), (2, 3, 8, 8), verbose=0)
    rows = {(r.name, r.output_shape): r for r in s.rows}
    # conv1: output (2, 8, 8, 8) = 1024 elements, each 3·3·3 = 27 multiply-adds
    assert rows[("conv1", (2, 8, 8, 8))].mult_adds == 1024 * 27
    # grouped conv: output (2, 16, 2, 2) = 128 elements, each (8/2)·3·3 = 36
    assert rows[("block.0", (2, 16, 2, 2))].mult_adds == 128 * 36
    fc_rows = [r for r in s.rows if r.name == "fc"]
    assert [r.mult_adds for r in fc_rows] == [2 * 64 * 64] * 2  # called twice, costs twice
    assert [r.num_params for r in fc_rows] == [64 * 64 + 64, None]  # its parameters count once
    assert rows[("head", (2, 10))].mult_adds == 2 * 10 * 64
    assert s.total_mult_adds == 1024 * 27 + 128 * 36 + 2 * (2 * 64 * 64) + 2 * 10 * 64
    assert s.total_params == (8 * 27 + 8) + (16 * 36 + 16) + (64 * 64 + 64) + 640
    assert rows[("pool", (2, 8, 4, 4))].mult_adds is None and rows[("act", (2, 8, 8, 8))].num_params is None
    block = rows[("block", (2, 64))]
    assert not block.is_leaf and block.depth == 1 and rows[("block.1", (2, 64))].depth == 2


def test_table_text_and_printing(capsys) -> None:
    s = mt.summary(SmallNet(), (2, 3, 8, 8))
    printed = capsys.readouterr().out
    assert printed.strip() == str(s).strip()
    lines = printed.splitlines()
    assert any(line.startswith("block (Sequential)") for line in lines)
    assert any(line.startswith("  0 (Conv2d)") and "[2, 16, 2, 2]" in line and "4,608" in line for line in lines)
    assert f"Total params: {s.total_params:,}" in printed and "Total mult-adds: 49,920" in printed


def test_frozen_params_modes_and_rng_are_left_alone() -> None:
    model = SmallNet()
    model.conv1.requires_grad_(False)
    model.block.eval()
    state = mt.get_rng_state()
    s = mt.summary(model, (1, 3, 8, 8), verbose=0)
    assert s.trainable_params == s.total_params - (8 * 27 + 8) == s.total_params - s.non_trainable_params
    assert model.training and not model.block.training and model.fc.training
    assert np.array_equal(mt.get_rng_state(), state)


def test_dtype_and_bad_input_size() -> None:
    s = mt.summary(SmallNet().double(), (1, 3, 8, 8), verbose=0)
    assert s.dtype == np.float64 and s.input_bytes == 3 * 8 * 8 * 8
    with pytest.raises(ValueError, match="batch dimension"):
        mt.summary(SmallNet(), (), verbose=0)
