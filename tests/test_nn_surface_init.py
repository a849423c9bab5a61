"""nn.init.eye_, dirac_ (groups), sparse_ and torch's deprecated no-underscore names (normal, uniform, constant,
xavier_*, kaiming_*, orthogonal, sparse): the deterministic fills equal torch's, the random ones have torch's
structure and statistics, the old names warn as torch's and fill as the new ones, errors as torch's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

TI = torch.nn.init
MI = mt.nn.init


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_matches_torch(shape: tuple) -> None:
    t, m = torch.empty(shape), mt.empty(*shape)
    TI.eye_(t)
    assert MI.eye_(m) is m
    assert np.array_equal(m.numpy(), t.numpy())


@pytest.mark.parametrize("shape,groups", [((3, 5, 3), 1), ((6, 3, 3, 3), 2), ((4, 6, 2, 4), 1), ((6, 2, 3, 3, 3), 3),
                                          ((8, 4, 5), 4)])
def test_dirac_matches_torch(shape: tuple, groups: int) -> None:
    t, m = torch.empty(shape), mt.empty(*shape)
    TI.dirac_(t, groups)
    MI.dirac_(m, groups)
    assert np.array_equal(m.numpy(), t.numpy())


def test_dirac_conv_passes_the_input_through() -> None:
    x = mt.tensor(np.random.default_rng(0).standard_normal((1, 3, 6, 6)))
    w = MI.dirac_(mt.empty(3, 3, 3, 3, dtype=mt.float64))
    np.testing.assert_array_equal(mt.nn.functional.conv2d(x, w, padding=1).numpy(), x.numpy())


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9])
def test_sparse_zeroes_each_column_and_draws_normal(sparsity: float) -> None:
    rows, cols = 50, 400
    mt.manual_seed(0)
    w = MI.sparse_(mt.empty(rows, cols, dtype=mt.float64), sparsity, std=0.2)
    arr = w.numpy()
    zeros = math.ceil(sparsity * rows)
    assert np.all((arr == 0).sum(0) == zeros)  # exactly ceil(sparsity·rows) zeros per column, as torch's
    nonzero = arr[arr != 0]
    assert abs(nonzero.std() - 0.2) < 0.01 and abs(nonzero.mean()) < 0.01
    # the zeros land on rows uniformly: each row is zeroed in about sparsity of the columns
    assert np.abs((arr == 0).mean(1) - zeros / rows).max() < 0.12
    t = TI.sparse_(torch.empty(rows, cols), sparsity)
    assert np.all((t.numpy() == 0).sum(0) == zeros)


@pytest.mark.parametrize("old,new,args", [
    ("uniform", "uniform_", (-0.5, 0.5)), ("normal", "normal_", (0.0, 2.0)), ("constant", "constant_", (0.3,)),
    ("xavier_uniform", "xavier_uniform_", ()), ("xavier_normal", "xavier_normal_", (1.5,)),
    ("kaiming_uniform", "kaiming_uniform_", ()), ("kaiming_normal", "kaiming_normal_", ()),
    ("orthogonal", "orthogonal_", ()), ("sparse", "sparse_", (0.3,)),
])
def test_deprecated_names_warn_and_fill_as_the_new(old: str, new: str, args: tuple) -> None:
    message = f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`."
    with pytest.warns(FutureWarning, match=message):
        getattr(TI, old)(torch.empty(6, 5), *args)
    mt.manual_seed(4)
    with pytest.warns(FutureWarning, match=message):
        a = getattr(MI, old)(mt.empty(6, 5), *args)
    mt.manual_seed(4)
    b = getattr(MI, new)(mt.empty(6, 5), *args)
    assert np.array_equal(a.numpy(), b.numpy()) and getattr(MI, old).__name__ == old


ERRORS = [
    (lambda init, lib: init.eye_(lib.empty(2, 3, 4)), "Only tensors with 2 dimensions are supported"),
    (lambda init, lib: init.dirac_(lib.empty(2, 3)), "Only tensors with 3, 4, or 5 dimensions are supported"),
    (lambda init, lib: init.dirac_(lib.empty(5, 3, 3), 2), "dim 0 must be divisible by groups"),
    (lambda init, lib: init.sparse_(lib.empty(5), 0.1), "Only tensors with 2 dimensions are supported"),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_as_torch(index: int) -> None:
    call, match = ERRORS[index]
    for init, lib in ((TI, torch), (MI, mt)):
        with pytest.raises(ValueError, match=match):
            call(init, lib)
