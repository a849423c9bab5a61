"""Every model of the zoo against its torch twin: keys, weight transfer, init, and one batch's forward/backward.

The twin is built by torch, its weights copied into ours; then the output, the loss, the input gradient and every
parameter gradient (and BatchNorm's updated running statistics) must agree: 1e-9 relative in float64 (a whole
network of ops, each ~1e-15, with BatchNorm's divisions by small variances amplifying), 1e-4 in float32.
A conv bias followed by BatchNorm has an exactly-zero gradient (BN removes the mean): both sides hold rounding
noise there, so it is held to "ours vanishes too" at the same tolerance times the model's largest gradient
(``Comparison.failures``). Gradients are compared on a batch where both sides take the same ReLU and max-pool
decisions (``compare_on_a_well_posed_batch``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.models import MODELS, get_model
from reference import (
    Comparison,
    compare_models,
    compare_state,
    copy_weights,
    count_flips,
    get_twin,
    state_arrays,
    trace_decisions,
)
from reference.data import dither, load_cifar10, load_mnist, resize_nearest
from reference.parity import TOL
from tests._parity import data_root

# name -> (constructor kwargs making it deterministic in training mode, data, batch size)
CASES = {
    "lenet": ({}, "mnist", 8),
    "lenet5": ({}, "mnist", 8),
    "lenet5_cifar": ({}, "cifar", 8),
    "mnist_net": ({"dropout": 0.0}, "mnist", 8),
    "cifar_cnn": ({}, "cifar", 8),
    "alexnet_bn": ({"dropout": 0.0}, "cifar227", 2),
    "resnet_small32": ({}, "cifar", 4),
    "resnet_small16": ({}, "cifar", 8),
    "resnet18": ({}, "cifar", 2),
}
CANDIDATE_BATCHES = 8
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def test_every_registered_model_has_a_case() -> None:
    assert set(CASES) == set(MODELS)


def batch(kind: str, size: int, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``index``-th batch of real images. MNIST gets a sub-grey-level dither: its background is exactly
    constant, so its max-pool windows tie exactly and rounding would decide them (see ``reference._data.dither``)."""
    root = data_root()
    stop = size * (index + 1)
    if kind == "mnist":
        x, y = load_mnist(root, stop)
        return dither(x[-size:]), y[-size:]
    x, y = load_cifar10(root / "cifar10-subset", stop)
    return (resize_nearest(x[-size:], 227) if kind == "cifar227" else x[-size:]), y[-size:]


def make_pair(name: str, dtype: type, seed: int = 0) -> tuple[mt.nn.Module, torch.nn.Module]:
    """A torch twin with torch's init (seeded) and our model holding the same weights, both in ``dtype``."""
    kwargs = CASES[name][0]
    torch.manual_seed(seed)
    twin = get_twin(name, **kwargs).to(TORCH_DTYPE[dtype])
    ours = get_model(name, **kwargs).to(dtype)
    copy_weights(twin, ours)
    return ours, twin


def compare_on_a_well_posed_batch(name: str, dtype: type) -> tuple[Comparison, torch.nn.Module]:
    """Compare on the first real batch where both sides take every ReLU / max-pool decision alike.

    Where an activation lies within rounding of a kink the two frameworks may decide differently, and that one
    element then changes the gradients of every layer below by up to a few percent (see ``reference.kinks``);
    in float32 a model with a million activations meets one in about every other batch. The decisions are
    traced, and a batch with a flip is passed over (it happens in float32 only, and only for the big models).
    """
    ours, twin = make_pair(name, dtype)
    start = {k: v.clone() for k, v in twin.state_dict().items()}  # each try starts from the same BN statistics
    flips = []
    for index in range(CANDIDATE_BATCHES):
        twin.load_state_dict(start)
        copy_weights(twin, ours)
        cmp = compare_models(ours, twin, *batch(CASES[name][1], CASES[name][2], index), trace=True)
        if cmp.flips == 0:
            return cmp, twin
        flips.append(cmp.flips)
    raise AssertionError(f"{name}: every candidate batch had ReLU/max-pool decisions taken differently: {flips}")


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_keys_and_shapes_match_the_twin(name: str) -> None:
    kwargs = CASES[name][0]
    ours, twin = state_arrays(get_model(name, **kwargs)), state_arrays(get_twin(name, **kwargs))
    assert list(ours) == list(twin)
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in twin.items()}


@pytest.mark.parametrize("name", ["lenet", "lenet5_cifar", "mnist_net", "cifar_cnn", "resnet_small16"])
def test_copy_weights_works_both_ways(name: str) -> None:
    kwargs = CASES[name][0]
    torch.manual_seed(1)
    twin, ours, back = get_twin(name, **kwargs), get_model(name, **kwargs), get_twin(name, **kwargs)
    copy_weights(twin, ours)
    assert compare_state(ours, twin).worst() == 0.0
    copy_weights(ours, back)  # ours -> torch goes through torch's strict load_state_dict
    assert compare_state(back, twin).worst() == 0.0


def test_copy_weights_rejects_different_keys() -> None:
    with pytest.raises(KeyError, match="state_dict keys differ"):
        copy_weights(get_twin("lenet5"), get_model("mnist_net"))


@pytest.mark.parametrize("name", ["lenet", "lenet5", "mnist_net", "cifar_cnn", "resnet_small32"])
def test_fresh_init_has_torch_scale(name: str) -> None:
    """Our own init draws from the same distributions as torch's: per-tensor std within 15% (tensors ≥ 500
    elements, where the sample std is tight), constant tensors (BatchNorm) equal."""
    mt.manual_seed(0)
    torch.manual_seed(0)
    ours, twin = state_arrays(get_model(name)), state_arrays(get_twin(name))
    for key, t in twin.items():
        if t.dtype.kind != "f":
            continue
        if t.std() == 0:
            np.testing.assert_array_equal(ours[key], t, err_msg=key)
        elif t.size >= 500:
            assert ours[key].std() == pytest.approx(t.std(), rel=0.15), key


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_one_batch_matches_torch(name: str, dtype: type) -> None:
    """Training mode: output, loss, every gradient and the updated BN statistics agree with the twin."""
    cmp, twin = compare_on_a_well_posed_batch(name, dtype)
    assert {f"grad/{n}" for n, _ in twin.named_parameters()} <= {r.name for r in cmp.rows}
    assert not cmp.failures(TOL[np.dtype(dtype)]), f"{name} {np.dtype(dtype)}:\n{cmp}"


@pytest.mark.parametrize("name", ["cifar_cnn", "resnet_small16"])
def test_eval_mode_uses_the_running_statistics_like_torch(name: str) -> None:
    x, y = batch("cifar", 8)
    ours, twin = make_pair(name, np.float64)
    compare_models(ours, twin, x[:4], y[:4])  # one training-mode pass moves the running statistics
    ours.eval()
    twin.eval()
    cmp = compare_models(ours, twin, x[4:], y[4:])
    assert not cmp.failures(1e-9), f"{name} eval:\n{cmp}"


@pytest.mark.parametrize(("name", "relus", "pools"), [("lenet5", 4, 2), ("mnist_net", 3, 2), ("resnet_small16", 5, 0)])
def test_decision_trace_sees_every_relu_and_max_pool(name: str, relus: int, pools: int) -> None:
    ours, twin = make_pair(name, np.float64)
    ours_log: list = []
    torch_log: list = []
    x = batch(CASES[name][1], 2)[0]
    with trace_decisions(ours_log, torch_log):
        ours(mt.tensor(x).requires_grad_(True))
        twin(torch.tensor(x, requires_grad=True))
    kinds = [k for k, _ in torch_log]
    assert (kinds.count("relu"), kinds.count("max_pool2d")) == (relus, pools)
    assert count_flips(ours_log, torch_log) == 0
    ours_log[0][1].flat[0] = not ours_log[0][1].flat[0]
    assert count_flips(ours_log, torch_log) == 1


def test_get_model_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown model 'lenet7'.*lenet5"):
        get_model("lenet7")


@pytest.mark.parametrize(
    ("name", "shape", "expected"),
    [("lenet5", (2, 3, 32, 32), r"\(N, 1, 28, 28\)"), ("lenet5_cifar", (2, 1, 28, 28), r"\(N, 3, 32, 32\)"),
     ("resnet18", (2, 3, 28, 28), r"\(N, 3, 32, 32\)")],
)
def test_wrong_input_shape_is_a_clear_error(name: str, shape: tuple[int, ...], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        get_model(name)(mt.zeros(shape))
