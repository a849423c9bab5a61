"""reference.parity_report and `minitorch-cnn parity`: clean models pass, planted bugs are named where they are.

The planted bugs are monkeypatched into our ops, so the report must find them from the outside: a BatchNorm
backward without the mean-of-gradient term (first divergence: the BatchNorm layer closest to the loss, its
grad_input, in backward order), a BatchNorm forward shifted by 1e-3 (first divergence: the first BatchNorm in
execution order, forward), and a wrong functional ReLU backward (first divergence: the gradient arriving at the
output of the layer before it).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
import reference
from minitorch_cnn.apps import cli
from minitorch_cnn.ops import elementwise, normalization
from reference import get_twin
from reference.parity import MARK, parity_report


def report_for(name: str, dtype: str = "float64", batch: int = 4, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    ours, twin = mt.models.get_model(name, **kwargs), get_twin(name, **kwargs)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *ours.input_shape))
    return parity_report(ours, twin, x, rng.integers(0, 10, batch), dtype=dtype)


def plant_bn_backward_without_mean_term(monkeypatch) -> None:
    """BatchNorm's training backward with the classic mistake: dx = w/σ · (g - x̂ · mean(g x̂)), mean(g) left out.

    Written from the Function's inputs (stashed by a wrapped forward), not from its saved internals, so the plant
    does not depend on how BatchNorm is implemented; the parameter gradients stay the correct ones.
    """
    forward, backward = normalization.BatchNorm.forward, normalization.BatchNorm.backward

    def stashing_forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        self.planted = (x, weight, eps)
        return forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps)

    def wrong_backward(self, g):
        x, weight, eps = self.planted
        grads = list(backward(self, g))
        axes = (0,) + tuple(range(2, x.ndim))
        mu = x.mean(axis=axes, keepdims=True, dtype=np.float64)
        inv_std = 1 / np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + eps)
        x_hat = (x - mu) * inv_std
        w = 1.0 if weight is None else weight.reshape(mu.shape)
        grads[0] = (w * inv_std * (g - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))).astype(g.dtype)
        return tuple(grads)

    monkeypatch.setattr(normalization.BatchNorm, "forward", stashing_forward)
    monkeypatch.setattr(normalization.BatchNorm, "backward", wrong_backward)


def last_of_type(report, type_name: str) -> str:
    return [r.name for r in report.rows if r.section == "layer" and r.type == type_name][-1]


@pytest.mark.parametrize("name, dtype", [("lenet5", "float64"), ("lenet5", "float32"), ("resnet_small16", "float64")])
def test_clean_model_passes(name: str, dtype: str) -> None:
    report = report_for(name, dtype)
    assert report.ok and report.first_failure is None, str(report)
    layers = [r for r in report.rows if r.section == "layer"]
    assert [r.name for r in layers][:2] == (["conv1", "pool"] if name == "lenet5" else ["stem.0", "stem.1"])
    assert all(r.errors["grad_input"] is not None for r in layers)
    assert "OK: every row within" in str(report)


def test_shared_input_gets_per_layer_gradients() -> None:
    """In a ResNet block the block input feeds conv1 and the shortcut: each layer's grad_input is its own share."""
    report = report_for("resnet_small16")
    rows = {r.name: r for r in report.rows}
    assert rows["layer2.conv1"].errors["grad_input"] < 1e-12
    assert rows["layer2.shortcut.0"].errors["grad_input"] < 1e-12


@pytest.mark.parametrize("name", ["cifar_cnn", "resnet_small16"])
def test_batchnorm_backward_bug_is_named_first(name: str, monkeypatch) -> None:
    plant_bn_backward_without_mean_term(monkeypatch)
    report = report_for(name)
    first = report.first_failure
    assert not report.ok
    assert first.row.type == "BatchNorm2d" and first.quantity == "grad_input" and first.direction == "backward"
    # gradients flow backwards: the culprit found first is the BatchNorm closest to the loss
    assert first.row.name == last_of_type(report, "BatchNorm2d")
    assert first.row.errors["grad_output"] < 1e-12  # what reached it was right
    assert all(r.errors["forward"] < 1e-12 for r in report.rows if r.section == "layer")
    assert MARK in str(report) and first.row.name in str(report).splitlines()[-2]


def test_batchnorm_forward_bug_is_named_in_execution_order(monkeypatch) -> None:
    original = normalization.BatchNorm.forward

    def shifted(self, *args, **kwargs):
        return original(self, *args, **kwargs) + 1e-3

    monkeypatch.setattr(normalization.BatchNorm, "forward", shifted)
    report = report_for("cifar_cnn")
    first = report.first_failure
    assert (first.row.name, first.quantity, first.direction) == ("bn1", "forward", "forward")
    assert report.rows[0].errors["forward"] < 1e-12  # conv1, before it, agrees


def test_functional_relu_backward_bug_points_between_layers(monkeypatch) -> None:
    original = elementwise.Relu.backward
    monkeypatch.setattr(elementwise.Relu, "backward", lambda self, g: original(self, g) * 1.01)
    report = report_for("cifar_cnn")
    first = report.first_failure
    # cifar_cnn applies F.relu after bn5: the gradient arriving at bn5's output is the first to differ
    assert (first.row.name, first.quantity) == ("bn5", "grad_output")
    assert "between this layer and the next" in first.explain()


def test_json_and_colour(monkeypatch) -> None:
    plant_bn_backward_without_mean_term(monkeypatch)
    report = report_for("cifar_cnn", batch=2)
    data = json.loads(report.to_json())
    assert data["ok"] is False and data["first_failure"]["name"] == "bn5"
    assert data["first_failure"]["quantity"] == "grad_input"
    assert {r["section"] for r in data["rows"]} == {"layer", "loss", "param", "buffer", "input"}
    assert "\033[1;31m" in report.format(color=True) and "\033[" not in str(report)


def test_conv_bias_before_batchnorm_is_measured_against_the_gradient_scale() -> None:
    """Its gradient is zero in exact arithmetic (BN removes the mean): both sides hold rounding noise."""
    report = report_for("cifar_cnn", "float32", batch=2)
    vanishing = [r.name for r in report.rows if r.section == "param" and r.note.startswith("vanishing")]
    assert vanishing == ["conv1.bias", "conv2.bias", "conv4.bias", "conv5.bias"]
    assert report.ok, str(report)


def test_any_module_pair_works_and_a_wrong_layer_is_found() -> None:
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    ours = mt.nn.Sequential(mt.nn.Linear(4, 8), mt.nn.Tanh(), mt.nn.Linear(8, 3))
    assert reference.parity_report(ours, twin, x, y, dtype="float64").ok
    wrong = mt.nn.Sequential(mt.nn.Linear(4, 8), mt.nn.Sigmoid(), mt.nn.Linear(8, 3))
    first = parity_report(wrong, twin, x, y, dtype="float64").first_failure
    assert (first.row.name, first.row.type, first.quantity) == ("1", "Sigmoid", "forward")
    shorter = mt.nn.Sequential(mt.nn.Linear(4, 8), mt.nn.Linear(8, 3))
    with pytest.raises(RuntimeError, match="call their layers differently: call 2 is nothing in ours and 2 in the"):
        parity_report(shorter, twin, x, y, copy=False)


def test_rejects_swapped_models_and_bad_dtype() -> None:
    ours, twin = mt.models.get_model("lenet5"), get_twin("lenet5")
    x, y = np.zeros((2, 1, 28, 28)), np.zeros(2, dtype=np.int64)
    with pytest.raises(TypeError, match="minitorch_cnn model then its torch twin"):
        parity_report(twin, ours, x, y)
    with pytest.raises(ValueError, match="float64 or float32"):
        parity_report(ours, twin, x, y, dtype="float16")


def test_cli_exit_status(monkeypatch, capsys) -> None:
    assert cli.main(["parity", "lenet5", "--batch", "2"]) == 0
    assert "OK: every row within 1e-09" in capsys.readouterr().out
    assert cli.main(["parity", "mnist_net", "--dtype", "float32", "--json"]) == 0  # built with dropout=0
    assert json.loads(capsys.readouterr().out)["tol"] == 1e-4
    plant_bn_backward_without_mean_term(monkeypatch)
    assert cli.main(["parity", "cifar_cnn", "--batch", "2"]) == 1
    assert "first divergence (backward): bn5 (BatchNorm2d), grad_input" in capsys.readouterr().out


def test_cli_without_the_reference_package_says_how_to_get_it(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "reference", None)  # as if not installed: importing it raises ImportError
    assert cli.main(["parity", "lenet5"]) == 2
    err = capsys.readouterr().err
    assert "needs torch and the reference package" in err and "pip install -e '.[dev]'" in err
