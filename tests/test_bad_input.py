"""Wrong input and misuse, each held against what torch does with it (issue 20's findings, one test each)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
import minitorch_cnn.nn.functional as F
from minitorch_cnn.utils.data import DataLoader, Subset, TensorDataset
from minitorch_cnn.vision import transforms as T
from minitorch_cnn.vision.datasets import MNIST
from minitorch_cnn.vision.datasets.mnist import sample_root


# ---- degenerate conv/pool geometry: an error before any kernel runs (a 0-size kernel crashed Numba) ----------
@pytest.mark.parametrize("wshape", [(4, 3, 0, 0), (4, 3, 2, 0), (0, 3, 2, 2), (4, 0, 1, 1)])
def test_conv2d_refuses_zero_size_weight(wshape):
    x = mt.randn(2, 3 if wshape[1] else 0, 8, 8)
    with pytest.raises(RuntimeError, match=r"every size >= 1, got \(" + ", ".join(map(str, wshape))):
        F.conv2d(x, mt.randn(*wshape))


@pytest.mark.parametrize("kwargs,name", [
    ({"kernel_size": 0}, "kernel_size"), ({"kernel_size": (3, 0)}, "kernel_size"), ({"kernel_size": -1}, "kernel_size"),
    ({"kernel_size": 3, "stride": 0}, "stride"), ({"kernel_size": 3, "dilation": 0}, "dilation"),
    ({"kernel_size": 3, "padding": -1}, "padding"),
])
@pytest.mark.parametrize("layer", ["Conv2d", "ConvTranspose2d"])
def test_conv_layers_refuse_degenerate_geometry_when_built(kwargs, name, layer):
    # torch builds most of these and fails at the first forward (a 0 kernel: inside oneDNN); we refuse them at once
    with pytest.raises(ValueError, match=f"{layer}: {name} must be >= "):
        getattr(mt.nn, layer)(3, 4, **kwargs)


@pytest.mark.parametrize("wshape", [(3, 4, 0, 0), (3, 4, 2, 0), (3, 0, 2, 2)])
def test_conv_transpose2d_refuses_zero_size_weight_as_torch(wshape):
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.zeros(wshape))
    with pytest.raises(RuntimeError, match=r"every size >= 1, got \(" + ", ".join(map(str, wshape))):
        F.conv_transpose2d(mt.tensor(x), mt.zeros(*wshape))


@pytest.mark.parametrize("call", [
    lambda m, x: m.max_pool2d(x, 0), lambda m, x: m.avg_pool2d(x, (2, 0)), lambda m, x: m.max_pool2d(x, 2, stride=0),
    lambda m, x: m.max_pool2d(x, 2, padding=2), lambda m, x: m.avg_pool2d(x, 2, padding=-1),
    lambda m, x: m.max_pool2d(x, 5),
])
def test_pools_refuse_degenerate_geometry_as_torch(call):
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
    with pytest.raises(RuntimeError):
        call(torch.nn.functional, torch.from_numpy(x))
    with pytest.raises(RuntimeError, match="max_pool2d|avg_pool2d"):
        call(F, mt.tensor(x))


# ---- the loader's batch path never bypasses a subclass's __getitem__ ------------------------------------------
class Remapped(TensorDataset):
    """Labels remapped and images negated in __getitem__, as a user's subclass does."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return -x, int(y._data) % 3


class RemappedMNIST(MNIST):
    @property
    def raw_folder(self):  # torchvision's MNIST looks under the class's name; the files are under MNIST's
        return str(sample_root() / "MNIST" / "raw")

    def __getitem__(self, index):
        img, target = super().__getitem__(index)
        return img, 9 - target


def test_loader_honours_a_tensor_dataset_subclass_and_through_subset():
    ds = Remapped(mt.arange(12.0).reshape(6, 2), mt.arange(6))
    for view, order in ((ds, range(6)), (Subset(ds, [5, 1, 3, 0]), [5, 1, 3, 0])):
        xs, ys = zip(*(next(iter(DataLoader(view, batch_size=6))),))
        x, y = xs[0], ys[0]
        assert np.array_equal(x._data, -np.arange(12.0).reshape(6, 2)[list(order)])
        assert y._data.tolist() == [i % 3 for i in order]


def test_loader_honours_an_mnist_subclass_and_a_transform_subclass():
    class Negated(T.ToTensor):
        def __call__(self, pic):
            return 1 - super().__call__(pic)

    base = MNIST(sample_root(), train=False, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    ds = RemappedMNIST(sample_root(), train=False, transform=base.transform)
    x, y = next(iter(DataLoader(Subset(ds, [3, 1, 4]), batch_size=3)))
    assert y._data.tolist() == [9 - int(base.targets._data[i]) for i in (3, 1, 4)]
    assert np.array_equal(x._data, np.stack([base[i][0]._data for i in (3, 1, 4)]))
    negated = MNIST(sample_root(), train=False, transform=T.Compose([Negated()]))
    assert Negated().batch is None and negated.transform.batch is None
    x, _ = next(iter(DataLoader(negated, batch_size=2)))
    assert np.array_equal(x._data, np.stack([1 - T.ToTensor()(negated.data._data[i])._data for i in (0, 1)]))


# ---- the CLI: explicit values kept, user errors one line and exit 2, diverging runs stopped ------------------
from minitorch_cnn.apps import train as training  # noqa: E402
from minitorch_cnn.apps.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from minitorch_cnn.apps.cli import main  # noqa: E402

RUN = ["train", "lenet5", "--no-progress", "--no-plot", "--max-batches", "2", "--batch-size", "8",
       "--val-split", "0.01"]


@pytest.mark.parametrize("args,flag", [
    (["--epochs", "-1"], "--epochs"), (["--val-split", "1.0"], "--val-split"), (["--val-split", "-0.1"], "--val-split"),
    (["--batch-size", "0"], "--batch-size"), (["--device", "tpu"], "--device"), (["--lr", "-1"], "--lr"),
    (["--lr", "nan"], "--lr"), (["--momentum", "-0.5"], "--momentum"), (["--max-batches", "0"], "--max-batches"),
])
def test_cli_rejects_bad_values_in_one_line(args, flag, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "lenet5", *args])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and f"error: argument {flag}:" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["parity", "graph", "summary"])
def test_study_commands_reject_an_empty_batch(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "lenet5", "--batch", "0"])
    assert exc.value.code == 2 and "argument --batch: must be >= 1, got 0" in capsys.readouterr().err


def test_explicit_zeros_are_kept():
    model = mt.nn.Linear(2, 2)
    sgd = training.build_optimizer(training.TrainConfig("lenet5", lr=0.0, momentum=0.0), model)
    adamw = training.build_optimizer(training.TrainConfig("lenet5", optimizer="adamw", weight_decay=0.0), model)
    assert sgd.param_groups[0]["lr"] == 0.0 and adamw.param_groups[0]["weight_decay"] == 0.0
    defaults = training.build_optimizer(training.TrainConfig("lenet5", optimizer="adamw"), model).param_groups[0]
    assert (defaults["lr"], defaults["weight_decay"]) == (1e-3, 1e-2)  # torch's AdamW defaults when unset
    with pytest.raises(training.ConfigError, match=r"val_split must be in \[0, 1\), got 1.0"):
        training.train(training.TrainConfig("lenet5", val_split=1.0))


def test_resume_applies_an_explicit_lr_and_refuses_another_optimizer(tmp_path, capsys):
    run = [*RUN, "--checkpoint-dir", str(tmp_path)]
    assert main([*run, "--epochs", "1"]) == 0
    (tmp_path / "last.npz.4194303.deadbeef.tmp").write_bytes(b"half a file")  # a killed writer's leftover
    assert main([*run, "--epochs", "2", "--resume", "--lr", "0.5"]) == 0
    assert "the learning rate is now 0.5 (the checkpoint's was 0.01)" in capsys.readouterr().out
    _, opt_state, meta = load_checkpoint(tmp_path / "last.npz")
    assert opt_state["param_groups"][0]["lr"] == 0.5 and meta["epoch"] == 1
    assert not list(tmp_path.glob("*.tmp"))
    assert main([*run, "--epochs", "3", "--resume", "--optimizer", "adam"]) == 2
    err = capsys.readouterr().err
    assert "minitorch-cnn: error: --resume:" in err and "optimizer sgd, but --optimizer is adam" in err
    assert "Traceback" not in err
    assert main([*RUN, "--checkpoint-dir", str(tmp_path / "none"), "--resume"]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("policy", ["stop", "skip"])
def test_a_diverging_run_is_reported_and_never_checkpoints_nan(policy, tmp_path, capsys):
    import re

    run = [*RUN, "--checkpoint-dir", str(tmp_path)]
    assert main([*run, "--epochs", "1"]) == 0
    code = main([*run, "--epochs", "4", "--resume", "--lr", "1e6", "--on-nonfinite", policy])
    out = capsys.readouterr().out
    found = re.search(r"non-finite loss (nan|inf|-inf) at epoch (\d), step (\d)", out)
    assert found, out
    _, _, meta = load_checkpoint(tmp_path / "last.npz")
    if policy == "stop":
        assert code == 1 and meta["epoch"] + 1 < int(found[2])  # nothing written for the failing epoch
    else:  # the run goes on without those updates; each epoch says how many it skipped
        assert code == (1 if "are not finite" in out else 0) and "steps skipped" in out
    for name in ("last.npz", "best.npz"):
        assert all(np.isfinite(v).all() for v in load_checkpoint(tmp_path / name)[0].values())


def test_checkpoints_are_written_with_the_umask_mode(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "c.npz", {"w": np.zeros(2)})
        (tmp_path / "h.json").write_text("{}")
    finally:
        os.umask(old)
    assert (tmp_path / "c.npz").stat().st_mode & 0o777 == 0o644 == (tmp_path / "h.json").stat().st_mode & 0o777


def test_a_torch_file_under_another_name_loads_or_is_named(tmp_path):
    from minitorch_cnn.apps.checkpoint import load_state_file

    twin = torch.nn.Linear(3, 2)
    torch.save(twin.state_dict(), tmp_path / "w.bin")
    state = load_state_file(tmp_path / "w.bin")  # read by content, not by suffix
    assert np.array_equal(state["weight"], twin.weight.detach().numpy())
    with pytest.raises(ValueError, match="is a torch.save file, not one of our .npz checkpoints"):
        load_checkpoint(tmp_path / "w.bin")
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    with pytest.raises(ValueError, match="holds no model weights"):
        load_checkpoint(tmp_path / "other.npz")


# ---- torch's rules for misuse: each case run in torch too ----------------------------------------------------
def _both_raise(ours, theirs, error, match):
    with pytest.raises(error):
        theirs()
    with pytest.raises(error, match=match):
        ours()


@pytest.mark.parametrize("grad,error,match", [
    (np.zeros((3, 3), np.float32), RuntimeError, r"gradient of size '\[3, 3\]' to a tensor of size '\[2, 3\]'"),
    (np.zeros((2, 3), np.float64), RuntimeError,
     "gradient with dtype 'mt.float64' to a tensor with dtype 'mt.float32'"),
    (np.zeros((2, 3), np.int64), RuntimeError, "gradient with dtype 'mt.int64'"),
])
def test_grad_assignment_is_checked_as_torch(grad, error, match):
    ours, theirs = mt.nn.Linear(3, 2), torch.nn.Linear(3, 2)

    def set_ours():
        ours.weight.grad = mt.tensor(grad)

    def set_theirs():
        theirs.weight.grad = torch.from_numpy(grad)

    _both_raise(set_ours, set_theirs, error, match)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        ours.weight.grad = grad
    ours.weight.grad = mt.zeros(2, 3)  # the right one is accepted, and None clears it
    ours.weight.grad = None
    assert ours.weight.grad is None


def test_weight_data_takes_a_new_shape_as_torch():
    ours, theirs = mt.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.weight.data = mt.zeros(5, 4, dtype=mt.float64)
    theirs.weight.data = torch.zeros(5, 4, dtype=torch.float64)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) and str(ours.weight.dtype).endswith("float64")
    with pytest.raises(TypeError):
        theirs.weight.data = np.zeros((2, 3))
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        ours.weight.data = np.zeros((2, 3))


@pytest.mark.parametrize("what", ["linear_f64_layer", "linear_f64_input", "matmul", "bn_f64_input", "bn_f64_layer"])
def test_no_dtype_promotion_inside_layers_as_torch(what):
    x32, x64 = np.ones((2, 3), np.float32), np.ones((2, 3), np.float64)
    cases = {
        "linear_f64_layer": (lambda lib: lib.nn.Linear(3, 2).double()(_t(lib, x32)), "mat1 and mat2 must have"),
        "linear_f64_input": (lambda lib: lib.nn.Linear(3, 2)(_t(lib, x64)), "mat1 and mat2 must have the same"),
        "matmul": (lambda lib: _t(lib, x32) @ _t(lib, x64.T.copy()), "expected m1 and m2 to have the same dtype"),
        "bn_f64_input": (lambda lib: lib.nn.BatchNorm1d(3)(_t(lib, x64)), "mixed dtype"),
        "bn_f64_layer": (lambda lib: lib.nn.BatchNorm1d(3).double()(_t(lib, x32)), "mixed dtype"),
    }
    call, match = cases[what]
    _both_raise(lambda: call(mt), lambda: call(torch), RuntimeError, match)
    assert (mt.tensor(x32) * mt.tensor(x64)).dtype == mt.float64  # elementwise ops promote, in both


def _t(lib, arr):
    return mt.tensor(arr) if lib is mt else torch.from_numpy(arr)


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_on_an_empty_batch_as_torch(train):
    x = np.zeros((0, 3, 4, 4))
    ours, theirs = mt.nn.BatchNorm2d(3).double().train(train), torch.nn.BatchNorm2d(3).double().train(train)
    xo, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert tuple(yo.shape) == tuple(yt.shape) == (0, 3, 4, 4)
    yo.sum().backward()
    yt.sum().backward()
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert np.array_equal(np.asarray(getattr(ours, name)._data), getattr(theirs, name).numpy())
    assert tuple(xo.grad.shape) == (0, 3, 4, 4)


@pytest.mark.parametrize("target", [[0, 1], np.array([0, 1])])
def test_loss_targets_must_be_tensors_as_torch(target):
    x = np.zeros((2, 3))
    _both_raise(lambda: F.cross_entropy(mt.tensor(x), target),
                lambda: torch.nn.functional.cross_entropy(torch.from_numpy(x), target),
                TypeError, "argument 'target' must be Tensor, not (list|numpy.ndarray)")
    _both_raise(lambda: F.nll_loss(mt.tensor(x), mt.tensor(np.array([0, 1], np.int32))),
                lambda: torch.nn.functional.nll_loss(torch.from_numpy(x), torch.tensor([0, 1], dtype=torch.int32)),
                RuntimeError, "int64")


def test_empty_dataset_with_shuffle_as_torch():
    _both_raise(lambda: DataLoader(TensorDataset(mt.zeros(0, 2)), shuffle=True),
                lambda: torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(0, 2)), shuffle=True),
                ValueError, "num_samples should be a positive integer value, but got num_samples=0")
    assert list(DataLoader(TensorDataset(mt.zeros(0, 2)))) == []


def test_optimizer_state_of_another_shape_is_refused_at_load():
    model = mt.nn.Linear(3, 2)
    opt = mt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    bad = {"state": {0: {"momentum_buffer": mt.zeros(5)}}, "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match=r"parameter 0 \(shape \(2, 3\)\) has 'momentum_buffer' of shape \(5,\)"):
        opt.load_state_dict(bad)


def test_half_models_are_refused_up_front():
    model = mt.nn.Sequential(mt.nn.Conv2d(1, 2, 3), mt.nn.MaxPool2d(2))
    for cast in (lambda m: m.half(), lambda m: m.to(mt.float16)):
        with pytest.raises(NotImplementedError, match="float16 modules are not supported"):
            cast(model)
    with pytest.raises(TypeError, match="float16 input is not supported"):
        F.max_pool2d(mt.zeros(1, 1, 4, 4).half(), 2)
