"""``bool(tensor)`` against torch: one element of any shape, NaN, ints, bools, complex; ambiguity errors."""

from __future__ import annotations

import pytest
import torch

import minitorch_cnn as mt


@pytest.mark.parametrize("values", [[2.0], [[0.0]], [[[-1]]], [0], [True], [False], [float("nan")], 0.0, 3, 1e-300])
def test_truth_of_one_element_matches_torch(values: object) -> None:
    assert bool(mt.tensor(values)) is bool(torch.tensor(values))


def test_truth_in_conditions_and_with_grad() -> None:
    x = mt.tensor([2.0], requires_grad=True)
    assert bool(x) is bool(torch.tensor([2.0], requires_grad=True)) is True
    assert (1 if mt.tensor(0.0) else 2) == (1 if torch.tensor(0.0) else 2) == 2
    assert not mt.tensor([1.0, 2.0]).sum() < 0


@pytest.mark.parametrize(("shape", "what"), [((2,), "more than one value"), ((2, 3), "more than one value"),
                                             ((0,), "no values"), ((0, 3), "no values")])
def test_ambiguous_truth_raises_as_torch(shape: tuple, what: str) -> None:
    with pytest.raises(RuntimeError, match=f"Boolean value of Tensor with {what} is ambiguous") as theirs:
        bool(torch.zeros(shape))
    with pytest.raises(RuntimeError, match=f"Boolean value of Tensor with {what} is ambiguous") as ours:
        bool(mt.zeros(shape))
    assert str(ours.value) == str(theirs.value)


def test_if_bias_on_a_parameter_raises_as_torch() -> None:
    # kuangliu/pytorch-cifar's init_params writes `if m.bias:` on a Conv2d's bias
    for lib in (torch, mt):
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            if lib.nn.Conv2d(3, 4, 1).bias:
                pass
