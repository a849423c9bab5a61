"""mt.save / mt.load speak torch's checkpoint format both ways; tensors pickle and deep-copy as torch's.

The reading side of the torch -> us direction runs in a subprocess where ``import torch`` fails, so it proves
that reading needs no torch; its results go back to torch through ``mt.save`` and are compared here.
"""

from __future__ import annotations

import copy
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.models import MODELS, get_model
from reference.models import get_twin
from tests._parity import assert_close

ROOT = Path(__file__).resolve().parents[1]
OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3, "nesterov": True}),
    "adam": ("Adam", {"lr": 1e-2, "betas": (0.8, 0.95)}),
    "adamw": ("AdamW", {"lr": 1e-2, "weight_decay": 0.1}),
}
STEPS = 2


def _randomized_twin(name: str) -> torch.nn.Module:
    """A torch twin whose buffers are not at their initial values (so a lost buffer shows)."""
    torch.manual_seed(sum(map(ord, name)))
    twin = get_twin(name)
    with torch.no_grad():
        for key, buf in twin.named_buffers():
            if key.endswith("running_mean"):
                buf.normal_()
            elif key.endswith("running_var"):
                buf.uniform_(0.5, 2.0)
            elif key.endswith("num_batches_tracked"):
                buf.fill_(7)
    return twin


def _torch_steps(model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, w: torch.Tensor) -> None:
    for _ in range(STEPS):
        opt.zero_grad()
        (model(x) * w).sum().backward()  # a random upstream gradient, not .sum()
        opt.step()


def _our_steps(model: mt.nn.Module, opt: mt.optim.Optimizer, x: mt.Tensor, w: mt.Tensor) -> None:
    for _ in range(STEPS):
        opt.zero_grad()
        (model(x) * w).sum().backward()
        opt.step()


_READER = """
import sys
sys.modules["torch"] = None  # `import torch` now raises ImportError: reading must not need it
sys.modules["torchvision"] = None
import minitorch_cnn as mt
from minitorch_cnn.models import get_model

folder, names, optimizers = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
for name in names:
    model = get_model(name)
    model.load_state_dict(mt.load(f"{folder}/{name}.pt"))
    mt.save(model.state_dict(), f"{folder}/{name}_back.pt")
for kind in optimizers:
    ck = mt.load(f"{folder}/opt_{kind}.pt", map_location="cpu")
    model = get_model("lenet").double()
    model.load_state_dict(ck["model"])
    opt = getattr(mt.optim, ck["class"])(model.parameters(), **ck["kwargs"])
    opt.load_state_dict(ck["optim"])
    for _ in range(ck["steps"]):
        opt.zero_grad()
        (model(ck["x"]) * ck["w"]).sum().backward()
        opt.step()
    mt.save({"model": model.state_dict(), "optim": opt.state_dict()}, f"{folder}/opt_{kind}_back.pt")
assert sys.modules["torch"] is None
"""


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """torch writes every zoo model's state_dict and three optimizers mid-run; a torch-free process reads them,
    continues the optimizers and writes back with mt.save. Returns what torch wrote and torch's own continuation."""
    folder = tmp_path_factory.mktemp("moved")
    originals = {}
    for name in MODELS:
        originals[name] = _randomized_twin(name).state_dict()
        torch.save(originals[name], folder / f"{name}.pt")
    continued = {}
    for kind, (cls, kwargs) in OPTIMIZERS.items():
        torch.manual_seed(1)
        model = get_twin("lenet").double()
        opt = getattr(torch.optim, cls)(model.parameters(), **kwargs)
        x, w = torch.randn(2, 1, 28, 28, dtype=torch.float64), torch.randn(2, 10, dtype=torch.float64)
        _torch_steps(model, opt, x, w)
        torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "class": cls, "kwargs": kwargs,
                    "x": x, "w": w, "steps": STEPS}, folder / f"opt_{kind}.pt")
        _torch_steps(model, opt, x, w)
        continued[kind] = (model.state_dict(), opt.state_dict())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", _READER, str(folder), ",".join(MODELS), ",".join(OPTIMIZERS)],
                   check=True, env=env, cwd=ROOT, timeout=300)
    return {"folder": folder, "originals": originals, "continued": continued}


@pytest.mark.parametrize("name", list(MODELS))
def test_state_dict_torch_to_ours_and_back(moved: dict, name: str) -> None:
    """torch.save -> mt.load (no torch) -> our model -> mt.save -> torch.load(weights_only=True): bit for bit."""
    back = torch.load(moved["folder"] / f"{name}_back.pt", weights_only=True)
    original = moved["originals"][name]
    assert list(back) == list(original)
    for key, value in original.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape, key
        assert torch.equal(back[key], value), key
    twin = get_twin(name)
    twin.load_state_dict(back)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_optimizer_continues_after_moving_from_torch(moved: dict, kind: str) -> None:
    """torch steps, saves; we (without torch) load, step on; torch stepping on from the same point agrees."""
    back = torch.load(moved["folder"] / f"opt_{kind}_back.pt", weights_only=True)
    model_sd, opt_sd = moved["continued"][kind]
    for key, value in model_sd.items():
        assert_close(back["model"][key], value, np.float64, what=f"{kind} {key}")
    for index, state in opt_sd["state"].items():
        for key, value in state.items():
            assert_close(back["optim"]["state"][index][key], value, np.float64, what=f"{kind} state {index}.{key}")
    assert back["optim"]["param_groups"][0]["lr"] == opt_sd["param_groups"][0]["lr"]


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_optimizer_continues_after_moving_to_torch(kind: str) -> None:
    """We step and mt.save; torch.load(weights_only=True) + load_state_dict; both step on and agree."""
    cls, kwargs = OPTIMIZERS[kind]
    mt.manual_seed(2)
    ours = get_model("lenet").double()
    opt = getattr(mt.optim, cls)(ours.parameters(), **kwargs)
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 1, 28, 28)), rng.standard_normal((2, 10))
    _our_steps(ours, opt, mt.tensor(x), mt.tensor(w))
    buf = io.BytesIO()
    mt.save({"model": ours.state_dict(), "optim": opt.state_dict()}, buf)
    buf.seek(0)
    ck = torch.load(buf, weights_only=True)
    twin = get_twin("lenet").double()
    twin.load_state_dict(ck["model"])
    topt = getattr(torch.optim, cls)(twin.parameters(), **kwargs)
    topt.load_state_dict(ck["optim"])
    _our_steps(ours, opt, mt.tensor(x), mt.tensor(w))
    _torch_steps(twin, topt, torch.tensor(x), torch.tensor(w))
    for key, value in twin.state_dict().items():
        assert_close(ours.state_dict()[key], value, np.float64, what=f"{kind} {key}")


def test_shared_storage_stays_shared_both_ways(tmp_path: Path) -> None:
    base = mt.arange(12.0)
    obj = {"base": base, "view": base[2:10:3], "grid": base.view(3, 4).transpose(0, 1), "n": np.float32(0.5),
           "dtype": mt.float64, "p": mt.nn.Parameter(mt.ones(2))}
    mt.save(obj, tmp_path / "shared.pt")
    theirs = torch.load(tmp_path / "shared.pt", weights_only=True)
    assert theirs["view"].untyped_storage().data_ptr() == theirs["base"].untyped_storage().data_ptr()
    assert theirs["grid"].stride() == (1, 4) and torch.equal(theirs["grid"], torch.arange(12.0).view(3, 4).T)
    assert theirs["n"] == 0.5 and type(theirs["n"]) is float and theirs["dtype"] is torch.float64
    assert isinstance(theirs["p"], torch.nn.Parameter) and theirs["p"].requires_grad
    torch.save(theirs, tmp_path / "again.pt")
    ours = mt.load(tmp_path / "again.pt")
    assert np.shares_memory(ours["view"]._data, ours["base"]._data)
    np.testing.assert_array_equal(ours["grid"]._data, obj["grid"]._data)
    assert isinstance(ours["p"], mt.nn.Parameter) and ours["p"].requires_grad and ours["dtype"] == mt.float64
    mt.save(ours, tmp_path / "third.pt")  # what mt.load shared, mt.save shares again
    third = torch.load(tmp_path / "third.pt", weights_only=True)
    assert third["grid"].untyped_storage().data_ptr() == third["base"].untyped_storage().data_ptr()
    assert torch.equal(third["grid"], theirs["grid"]) and third["grid"].storage_offset() == 0
    assert third["view"].storage_offset() == 2 and third["view"].stride() == (3,)


def test_state_dict_metadata_passes_through(tmp_path: Path) -> None:
    sd = get_twin("cifar_cnn").state_dict()
    torch.save(sd, tmp_path / "m.pt")
    mt.save(mt.load(tmp_path / "m.pt"), tmp_path / "back.pt")
    assert torch.load(tmp_path / "back.pt", weights_only=True)._metadata == sd._metadata


def test_whole_module_round_trip_with_weights_only_false(tmp_path: Path) -> None:
    model = get_model("lenet5")
    mt.save(model, tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed.*LeNet5"):
        mt.load(tmp_path / "model.pt")
    again = mt.load(tmp_path / "model.pt", weights_only=False)
    x = mt.randn(2, 1, 28, 28)
    np.testing.assert_array_equal(again(x)._data, model(x)._data)


def _storage_data_offset(data: bytes, record: str) -> int:
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(record)
    name_len, extra_len = np.frombuffer(data[info.header_offset + 26:info.header_offset + 30], dtype="<u2")
    return info.header_offset + 30 + int(name_len) + int(extra_len)


def test_clear_errors_for_files_that_are_not_checkpoints(tmp_path: Path) -> None:
    good = io.BytesIO()
    mt.save({"w": mt.arange(64.0)}, good)
    data = good.getvalue()
    cases = {
        "empty": (b"", "is empty"),
        "truncated": (data[: len(data) // 2], "damaged or truncated zip"),
        "text": (b"hello world\n", "not a torch checkpoint"),
    }
    flipped = bytearray(data)
    flipped[_storage_data_offset(data, "archive/data/0") + 5] ^= 0xFF
    cases["damaged"] = (bytes(flipped), "damaged torch checkpoint")
    npz = io.BytesIO()
    np.savez(npz, w=np.ones(3))
    cases["npz"] = (npz.getvalue(), "NumPy .npz archive")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("notes.txt", "hi")
    cases["zip"] = (plain_zip.getvalue(), "not a torch checkpoint")
    legacy = io.BytesIO()
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    cases["legacy"] = (legacy.getvalue(), "legacy format")
    for what, (content, message) in cases.items():
        path = tmp_path / f"{what}.pt"
        path.write_bytes(content)
        with pytest.raises(RuntimeError, match=message):
            mt.load(path)


def test_torn_pickle_inside_a_good_zip_is_damaged() -> None:
    good = io.BytesIO()
    mt.save({"w": mt.ones(3)}, good)
    src = zipfile.ZipFile(io.BytesIO(good.getvalue()))
    torn = io.BytesIO()
    with zipfile.ZipFile(torn, "w") as zf:
        for name in src.namelist():
            body = src.read(name)
            zf.writestr(name, body[: len(body) // 2] if name.endswith("data.pkl") else body)
    torn.seek(0)
    with pytest.raises(RuntimeError, match="damaged torch checkpoint"):
        mt.load(torn)


class Opaque:
    """A class no allow-list knows."""

    def __init__(self) -> None:
        self.value = 3


def test_weights_only_refuses_globals_off_the_allow_list(tmp_path: Path) -> None:
    torch.save({"x": Opaque()}, tmp_path / "opaque.pt")
    with pytest.raises(pickle.UnpicklingError, match=f"unsupported global {Opaque.__module__}.Opaque"):
        mt.load(tmp_path / "opaque.pt")
    assert mt.load(tmp_path / "opaque.pt", weights_only=False)["x"].value == 3
    # A pickle that would run a command on load: refused, and nothing ran.
    marker = tmp_path / "ran"
    payload = textwrap.dedent(f"""
        cos
        system
        (S'touch {marker}'
        tR.""").lstrip().encode()
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    evil.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="unsupported global os.system"):
        mt.load(evil)
    assert not marker.exists()


def test_map_location() -> None:
    buf = io.BytesIO()
    mt.save({"w": mt.ones(2)}, buf)
    buf.seek(0)
    assert mt.load(buf, map_location={"cpu": "cpu"})["w"].device.type == "cpu"
    if not mt.cuda.is_available():
        buf.seek(0)
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            mt.load(buf, map_location="cuda")


def test_pickle_and_deepcopy_as_torch() -> None:
    mt.manual_seed(0)
    model = get_model("lenet5")
    loss = model(mt.randn(2, 1, 28, 28)).sum()
    blob = pickle.dumps(loss)
    assert len(blob) < 1000  # the data, dtype, device and requires_grad: no graph
    back = pickle.loads(blob)
    assert back.is_leaf and back.requires_grad and back.item() == loss.item()
    tx = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as theirs:
        copy.deepcopy(tx)
    with pytest.raises(RuntimeError) as ours:
        copy.deepcopy(loss)
    assert str(ours.value) == str(theirs.value)
    loss.backward()
    clone = copy.deepcopy(model)
    for (name, p), q in zip(model.named_parameters(), clone.parameters(), strict=True):
        assert type(q) is mt.nn.Parameter and q.requires_grad and q._data is not p._data, name
        np.testing.assert_array_equal(q.grad._data, p.grad._data)
    opt = mt.optim.Adam(model.parameters())
    opt.step()
    opt_copy = copy.deepcopy(opt)
    assert all(p in opt_copy.state for p in opt_copy.param_groups[0]["params"])
    unpickled = pickle.loads(pickle.dumps((model, opt)))
    assert set(map(id, unpickled[1].param_groups[0]["params"])) == set(map(id, unpickled[0].parameters()))


def test_cli_best_weights_as_pt_load_in_torch_and_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from minitorch_cnn.apps.cli import main

    run = tmp_path / "run"
    assert main(["train", "lenet5", "--epochs", "1", "--batch-size", "32", "--max-batches", "3", "--no-progress",
                 "--no-plot", "--save-format", "pt", "--checkpoint-dir", str(run)]) == 0
    assert (run / "best.pt").is_file() and not (run / "best.npz").exists() and (run / "last.npz").is_file()
    twin = get_twin("lenet5")
    twin.load_state_dict(torch.load(run / "best.pt", weights_only=True))
    capsys.readouterr()
    assert main(["evaluate", "lenet5", "--weights", str(run / "best.pt"), "--max-batches", "1"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_a_pickled_torch_module_says_to_save_its_state_dict(tmp_path: Path) -> None:
    torch.save(torch.nn.Linear(2, 3), tmp_path / "whole.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        mt.load(tmp_path / "whole.pt")
    with pytest.raises(RuntimeError, match="torch's own object torch.nn.modules.linear.Linear.*state_dict"):
        mt.load(tmp_path / "whole.pt", weights_only=False)


def test_big_endian_storages_are_swapped() -> None:
    """A file written on a big-endian machine (byteorder 'big', storages byte-swapped) reads the same."""
    values = np.arange(6, dtype=np.float64) * 1.5
    little = io.BytesIO()
    mt.save({"w": mt.from_numpy(values.copy())}, little)
    src = zipfile.ZipFile(io.BytesIO(little.getvalue()))
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w") as zf:
        for name in src.namelist():
            body = src.read(name)
            if name.endswith("/byteorder"):
                body = b"big"
            elif "/data/" in name:
                body = np.frombuffer(body, np.float64).byteswap().tobytes()
            zf.writestr(name, body)
    big.seek(0)
    np.testing.assert_array_equal(mt.load(big)["w"]._data, values)


def test_dtypes_we_do_not_have_are_named() -> None:
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, buf)
    buf.seek(0)
    with pytest.raises(RuntimeError, match="torch.BFloat16Storage data, a dtype minitorch_cnn does not have"):
        mt.load(buf)
