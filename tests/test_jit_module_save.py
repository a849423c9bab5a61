"""``torch.jit.script(net).save(path)`` (d2l's hybrid-programming chapter) is refused with ``mt.jit.save``'s
message, naming what to use instead, rather than an AttributeError; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import minitorch_cnn as mt


def test_scripted_module_save_is_refused_with_the_way_out(tmp_path: Path) -> None:
    theirs = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()))
    theirs.save(str(tmp_path / "torch_mlp"))  # torch writes a TorchScript archive
    assert (tmp_path / "torch_mlp").exists()
    net = mt.jit.script(mt.nn.Sequential(mt.nn.Linear(4, 2), mt.nn.ReLU()))
    with pytest.raises(RuntimeError, match=r"TorchScript archives do not exist.*mt\.save\(model\.state_dict\(\), f\)"):
        net.save(str(tmp_path / "my_mlp"))
    assert not (tmp_path / "my_mlp").exists()
    assert isinstance(net, mt.jit.ScriptModule) and net(mt.ones(1, 4)).shape == (1, 2)
