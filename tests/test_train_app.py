"""The training app: CLI runs, checkpoints (atomic, torch keys), bit-identical resume, evaluate, end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _parity import data_root

import minitorch_cnn as mt
from minitorch_cnn.apps import checkpoint
from minitorch_cnn.apps.cli import main
from minitorch_cnn.apps.train import TrainConfig, train


def _cfg(tmp_path, **kw) -> TrainConfig:
    base = dict(model="lenet5", epochs=1, batch_size=32, max_batches=6, progress=False, plot=False,
                checkpoint_dir=str(tmp_path / "run"), val_split=0.02)
    base.update(kw)
    return TrainConfig(**base)


def test_cli_train_writes_checkpoints_log_and_plot(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", "lenet5", "--epochs", "1", "--batch-size", "32", "--max-batches", "5", "--no-progress",
                 "--checkpoint-dir", str(run)])
    assert code == 0
    for name in ("last.npz", "best.npz", "history.json", "curves.png"):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert len(history["epochs"]) == 1 and "test" in history
    out = capsys.readouterr().out
    assert "accuracy" in out and "all" in out  # the per-class table


def test_checkpoint_keys_are_torchs(tmp_path):
    torch = pytest.importorskip("torch")
    from reference.models import get_twin

    train(_cfg(tmp_path))
    state, optim_state, meta = checkpoint.load_checkpoint(tmp_path / "run" / "last.npz")
    twin = get_twin("lenet5")
    assert sorted(state) == sorted(twin.state_dict())
    twin.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    assert optim_state is not None and meta["epoch"] == 0


def test_resume_continues_bit_for_bit(tmp_path, monkeypatch):
    from minitorch_cnn.apps import train as train_module

    straight = train(_cfg(tmp_path / "a", epochs=2, optimizer="adam", scheduler="cosine"))

    def save_then_crash(path, *args, **kwargs):
        checkpoint.save_checkpoint(path, *args, **kwargs)
        if path.name == "last.npz":
            raise KeyboardInterrupt  # the run dies right after its first epoch's checkpoint

    monkeypatch.setattr(train_module, "save_checkpoint", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path / "b", epochs=2, optimizer="adam", scheduler="cosine"))
    monkeypatch.undo()
    resumed = train(_cfg(tmp_path / "b", epochs=2, optimizer="adam", scheduler="cosine", resume=True))
    a, _, _ = checkpoint.load_checkpoint(tmp_path / "a" / "run" / "last.npz")
    b, _, _ = checkpoint.load_checkpoint(tmp_path / "b" / "run" / "last.npz")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert straight["epochs"][-1]["train_loss"] == resumed["epochs"][-1]["train_loss"]


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    checkpoint.save_checkpoint(path, {"w": np.ones(3)})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError):
        checkpoint.save_checkpoint(path, {"w": np.zeros(3)})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]


def test_damaged_checkpoint_names_the_file(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="bad.npz"):
        checkpoint.load_checkpoint(bad)


def test_evaluate_reads_our_npz_and_a_torch_pt(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from reference.models import get_twin

    torch.manual_seed(0)
    twin = get_twin("lenet5")
    pt = tmp_path / "twin.pt"
    torch.save(twin.state_dict(), pt)
    assert main(["evaluate", "lenet5", "--weights", str(pt), "--max-batches", "1"]) == 0
    table_pt = capsys.readouterr().out
    ours = mt.models.get_model("lenet5")
    ours.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    npz = tmp_path / "ours.npz"
    checkpoint.save_checkpoint(npz, ours.state_dict())
    assert main(["evaluate", "lenet5", "--weights", str(npz), "--max-batches", "1"]) == 0
    assert capsys.readouterr().out == table_pt


def test_unknown_names_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown model"):
        train(_cfg(tmp_path, model="vgg99"))
    with pytest.raises(ValueError, match="needs --data-root"):
        train(_cfg(tmp_path, model="cifar_cnn", dataset="cifar10"))
    with pytest.raises(ValueError, match="3-channel"):
        train(_cfg(tmp_path, model="cifar_cnn"))


def test_lenet5_full_mnist_two_epochs_reaches_97_percent(tmp_path):
    """End to end on the real data: the issue's acceptance run."""
    root = data_root()
    history = train(TrainConfig(
        model="lenet5", dataset="mnist", data_root=str(root), epochs=2, batch_size=64, lr=0.05, momentum=0.9,
        val_split=0.0, progress=False, plot=False, checkpoint_dir=str(tmp_path / "run"),
    ))
    assert history["test"]["accuracy"] >= 0.97, history["test"]["accuracy"]
