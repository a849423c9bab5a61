"""einsum against torch.einsum: values, gradients with random upstream gradients, second order, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

CASES = [
    ("Naf,Mbf->NMab", [(2, 3, 5), (4, 3, 5)]),  # the NTK tutorial's three contractions
    ("Naf,Maf->NM", [(2, 3, 5), (4, 3, 5)]),
    ("Naf,Maf->NMa", [(2, 3, 5), (4, 3, 5)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (1, 3, 4)]),
    ("bi,bj->b", [(3, 2), (1, 2)]),  # a size-1 label broadcasts
    ("ab,cd->a", [(2, 3), (4, 5)]),  # labels summed in one operand only
    ("ii->i", [(3, 3)]),
    ("iij,jk->ik", [(2, 2, 3), (3, 4)]),
    ("ii,i->i", [(3, 3), (3,)]),
    (" ba , ca ", [(2, 3), (4, 3)]),
]


@pytest.mark.parametrize(("eq", "shapes"), CASES)
def test_einsum_float64_to_second_order(eq: str, shapes: list) -> None:
    rng = np.random.default_rng(len(eq) + len(shapes))
    arrs = [rng.standard_normal(s) for s in shapes]
    tt = [torch.tensor(a, requires_grad=True) for a in arrs]
    mm = [mt.tensor(a).requires_grad_() for a in arrs]
    to, mo = torch.einsum(eq, *tt), mt.einsum(eq, *mm)
    assert_close(mo, to, np.float64, what="forward")
    g = rng.standard_normal(tuple(to.shape))
    tg = torch.autograd.grad(to, tt, torch.tensor(g), create_graph=True)
    mg = mt.autograd.grad(mo, mm, mt.tensor(g), create_graph=True)
    for i, (a, b) in enumerate(zip(mg, tg)):
        assert_close(a, b, np.float64, what=f"grad {i}")
    if all(x.requires_grad for x in tg):  # the gradient still depends on the operands: differentiate it again
        h = [rng.standard_normal(tuple(x.shape)) for x in tg]
        t2 = torch.autograd.grad(sum((a * torch.tensor(b)).sum() for a, b in zip(tg, h)), tt, materialize_grads=True)
        m2 = mt.autograd.grad(sum((a * mt.tensor(b)).sum() for a, b in zip(mg, h)), mm, materialize_grads=True)
        for i, (a, b) in enumerate(zip(m2, t2)):
            assert_close(a, b, np.float64, what=f"second order {i}")


def test_einsum_float32_against_the_float64_truth() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4, 50)).astype(np.float32), rng.standard_normal((2, 4, 50)).astype(np.float32)
    ours = mt.einsum("Naf,Mbf->NMab", mt.tensor(a), mt.tensor(b))
    truth = torch.einsum("Naf,Mbf->NMab", torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    cond = torch.einsum("Naf,Mbf->NMab", torch.tensor(np.abs(a), dtype=torch.float64),
                        torch.tensor(np.abs(b), dtype=torch.float64))
    assert_f32_close(ours, truth, torch32=torch.einsum("Naf,Mbf->NMab", torch.tensor(a), torch.tensor(b)), cond=cond)


@pytest.mark.parametrize(("eq", "shapes"), [
    ("ij,jk", [(2, 3), (4, 2)]), ("ij", [(2, 3), (1,)]), ("ijk", [(2, 3)]), ("ij->k", [(2, 3)]), ("ii", [(2, 3)])])
def test_einsum_errors_are_torchs(eq: str, shapes: list) -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch.einsum(eq, *[torch.zeros(s) for s in shapes])
    with pytest.raises(RuntimeError) as ours:
        mt.einsum(eq, *[mt.zeros(s) for s in shapes])
    assert str(ours.value) == str(theirs.value)


def test_einsum_takes_a_list_of_operands() -> None:
    a = np.arange(6.0).reshape(2, 3)
    assert_close(mt.einsum("ij,kj->ik", [mt.tensor(a), mt.tensor(a)]), a @ a.T, np.float64)
