"""Integer and bool results never require grad, as in torch: a cast of a tensor that requires grad to an integer
dtype gives a plain tensor with no grad_fn (torch's autograd only tracks floating and complex tensors)."""

from __future__ import annotations

import pytest
import torch

import minitorch_cnn as mt

CASES = {
    "int()": lambda lib, x: x.int(),
    "long()": lambda lib, x: x.long(),
    "bool()": lambda lib, x: x.bool(),
    "to(int64)": lambda lib, x: x.to(lib.int64),
    "type(LongTensor)": lambda lib, x: x.type(lib.LongTensor),
    "(x*2).short()": lambda lib, x: (x * 2).short(),
    "x > 0": lambda lib, x: x > 0,
    "argmax": lambda lib, x: x.argmax(),
    "sort indices": lambda lib, x: x.sort().indices,
    "double()": lambda lib, x: x.double(),
    "float()": lambda lib, x: (x * 1).float(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_requires_grad_follows_dtype(name: str) -> None:
    fn = CASES[name]
    theirs = fn(torch, torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True))
    ours = fn(mt, mt.tensor([0.5, -1.5, 2.0], dtype=mt.float64, requires_grad=True))
    assert ours.requires_grad == theirs.requires_grad
    assert (ours.grad_fn is None) == (theirs.grad_fn is None)


def test_float_path_after_integer_cast_still_differentiates() -> None:
    x = mt.tensor([0.5, -1.5, 2.0], dtype=mt.float64, requires_grad=True)
    y = x * x.long()  # the integer factor is a constant of the graph
    y.backward(mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64))
    assert x.grad.tolist() == [0.0, -2.0, 6.0]
