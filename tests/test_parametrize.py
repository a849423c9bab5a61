"""mt.nn.utils.parametrize against torch.nn.utils.parametrize with parametrizations of the user's own: the
PyTorch parametrizations tutorial run side by side (Symmetric, Skew, CayleyMap chained, right_inverse on
assignment, cached(), removal), a right_inverse that returns two tensors (``original0/1``), ``unsafe`` shape
changes; state_dict keys, reprs, outputs and gradients under random upstream gradients in float64; errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close

RNG = np.random.default_rng(29)


def _classes(lib: object) -> dict:
    nn = lib.nn

    class Symmetric(nn.Module):
        def forward(self, X: object) -> object:  # noqa: N803 - the tutorial's name
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A: object) -> object:  # noqa: N803
            return A.triu()

    class Skew(nn.Module):
        def forward(self, X: object) -> object:  # noqa: N803
            A = X.triu(1)  # noqa: N806
            return A - A.transpose(-1, -2)

    class CayleyMap(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.register_buffer("Id", lib.eye(n, dtype=lib.float64))

        def forward(self, X: object) -> object:  # noqa: N803
            return lib.linalg.solve(self.Id + X, self.Id - X)  # (I + X)^{-1}(I - X)

    class ScaleAndShift(nn.Module):
        """Two originals: weight = scale * direction (right_inverse splits a tensor into both)."""

        def forward(self, scale: object, direction: object) -> object:
            return scale * direction

        def right_inverse(self, w: object) -> tuple:
            return w.abs().amax(dim=1, keepdim=True), w / w.abs().amax(dim=1, keepdim=True)

    class FirstRows(nn.Module):
        def forward(self, X: object) -> object:  # noqa: N803
            return X[:2]

    return dict(Symmetric=Symmetric, Skew=Skew, CayleyMap=CayleyMap, ScaleAndShift=ScaleAndShift,
                FirstRows=FirstRows)


OURS, THEIRS = _classes(mt), _classes(torch)


def _linear(n_in: int = 3, n_out: int = 3) -> tuple[mt.nn.Module, torch.nn.Module]:
    theirs = torch.nn.Linear(n_in, n_out).double()
    ours = mt.nn.Linear(n_in, n_out).double()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _check_run(ours: mt.nn.Module, theirs: torch.nn.Module, n_in: int, n_out: int) -> None:
    xv, gv = RNG.standard_normal((4, n_in)), RNG.standard_normal((4, n_out))
    y, ty = ours(mt.tensor(xv)), theirs(torch.tensor(xv))
    assert_close(y, ty, np.float64, what="output")
    y.backward(mt.tensor(gv))
    ty.backward(torch.tensor(gv))
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, tparams[name].grad, np.float64, what=f"grad {name}")


def _register(pair: tuple, name: str, *args: object, **kw: object) -> None:
    ours, theirs = pair
    mt.nn.utils.parametrize.register_parametrization(ours, "weight", OURS[name](*args), **kw)
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", THEIRS[name](*args), **kw)


def test_tutorial_symmetric_skew_and_cayley() -> None:
    pair = _linear()
    _register(pair, "Symmetric")
    ours, theirs = pair
    w = ours.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert repr(ours) == repr(theirs)
    _check_run(ours, theirs, 3, 3)
    # a chain: Skew then the Cayley map gives an orthogonal weight
    pair = _linear()
    _register(pair, "Skew")
    _register(pair, "CayleyMap", 3)
    ours, theirs = pair
    w = ours.weight.detach().numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "parametrizations.weight.1.Id" in ours.state_dict()
    assert repr(ours) == repr(theirs)
    _check_run(ours, theirs, 3, 3)


def test_skew_on_a_conv_weight() -> None:
    theirs = torch.nn.Conv2d(5, 8, 3).double()
    ours = mt.nn.Conv2d(5, 8, 3).double()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    mt.nn.utils.parametrize.register_parametrization(ours, "weight", OURS["Skew"]())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", THEIRS["Skew"]())
    assert_close(ours.weight, theirs.weight, np.float64, what="skew weight")
    xv, gv = RNG.standard_normal((2, 5, 6, 6)), RNG.standard_normal((2, 8, 4, 4))
    y, ty = ours(mt.tensor(xv)), theirs(torch.tensor(xv))
    assert_close(y, ty, np.float64, what="output")
    y.backward(mt.tensor(gv))
    ty.backward(torch.tensor(gv))
    assert_close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad,
                 np.float64, what="grad original")


def test_assignment_goes_through_right_inverse_and_cached_computes_once() -> None:
    pair = _linear()
    _register(pair, "Symmetric")
    ours, theirs = pair
    sym = RNG.standard_normal((3, 3))
    sym = sym + sym.T
    ours.weight = mt.tensor(sym)
    theirs.weight = torch.tensor(sym)
    assert_close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, np.float64)
    np.testing.assert_allclose(ours.weight.detach().numpy(), sym, rtol=1e-15)
    with mt.nn.utils.parametrize.cached():
        assert ours.weight is ours.weight
    assert ours.weight is not ours.weight


def test_right_inverse_with_two_tensors() -> None:
    pair = _linear(4, 3)
    _register(pair, "ScaleAndShift")
    ours, theirs = pair
    assert list(ours.state_dict()) == list(theirs.state_dict()) == \
        ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert_close(ours.parametrizations.weight.original0, theirs.parametrizations.weight.original0, np.float64)
    _check_run(ours, theirs, 4, 3)
    for lib, m in ((mt, ours), (torch, theirs)):
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight, np.float64)


def test_unsafe_changes_the_shape() -> None:
    pair = _linear(4, 3)
    with pytest.raises(ValueError, match=r"may not change the shape of the tensor(.|\n)*parametrized shape: "):
        mt.nn.utils.parametrize.register_parametrization(pair[0], "weight", OURS["FirstRows"]())
    with pytest.raises(ValueError, match=r"may not change the shape of the tensor(.|\n)*parametrized shape: "):
        torch.nn.utils.parametrize.register_parametrization(pair[1], "weight", THEIRS["FirstRows"]())
    square = _linear()
    _register(square, "Skew")  # one appended to a parametrization already there is checked as torch
    for lib, cls in ((mt, OURS), (torch, THEIRS)):
        with pytest.raises(ValueError, match=r"unless the `unsafe` flag is enabled.\nmodule.weight.shape: "):
            lib.nn.utils.parametrize.register_parametrization(square[lib is torch], "weight", cls["FirstRows"]())
    pair = _linear(4, 3)
    _register(pair, "FirstRows", unsafe=True)
    ours, theirs = pair
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) == (2, 4)
    assert_close(ours.weight, theirs.weight, np.float64)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave: bool) -> None:
    pair = _linear()
    _register(pair, "Skew")
    for lib, m in ((mt, pair[0]), (torch, pair[1])):
        assert lib.nn.utils.parametrize.is_parametrized(m, "weight")
        assert not lib.nn.utils.parametrize.is_parametrized(m, "bias")
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
        assert not lib.nn.utils.parametrize.is_parametrized(m)
    ours, theirs = pair
    assert type(ours) is mt.nn.Linear and type(theirs) is torch.nn.Linear
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight, np.float64)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        mt.nn.utils.parametrize.remove_parametrizations(ours, "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        mt.nn.utils.parametrize.register_parametrization(ours, "kernel", OURS["Skew"]())


ORTHOGONAL_CASES = [((4, 4), None, True), ((4, 4), "cayley", True), ((4, 4), "householder", True),
                    ((6, 3), None, True), ((3, 6), "householder", True), ((6, 3), "matrix_exp", True),
                    ((3, 6), "cayley", True), ((6, 3), "householder", False), ((3, 6), "householder", False),
                    ((5, 5), "householder", False), ((4, 4), "cayley", False), ((4, 4), "matrix_exp", False)]


@pytest.mark.parametrize(("shape", "orthogonal_map", "trivialization"), ORTHOGONAL_CASES)
def test_orthogonal_matches_torch(shape: tuple, orthogonal_map: str | None, trivialization: bool) -> None:
    ours, theirs = _linear(shape[1], shape[0])
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map,
                                               use_trivialization=trivialization)
    mt.nn.utils.parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map, use_trivialization=trivialization)
    if trivialization and shape[0] != shape[1]:  # a non-square base is completed with random columns: torch's
        ours.parametrizations.weight[0].base = mt.tensor(theirs.parametrizations.weight[0].base.numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert_close(ours.state_dict()[k], v, np.float64, what=k)
    w = ours.weight.detach().numpy()
    np.testing.assert_allclose(w.T @ w if shape[0] >= shape[1] else w @ w.T, np.eye(min(shape)), atol=1e-12)
    _check_run(ours, theirs, shape[1], shape[0])
    # assignment: an orthogonal matrix goes through right_inverse and comes back as the weight
    if trivialization and shape[0] != shape[1]:
        return  # assigning completes the base with random columns again
    q = np.linalg.qr(RNG.standard_normal((max(shape), min(shape))))[0]
    q = q if shape[0] >= shape[1] else q.T
    if trivialization or orthogonal_map == "householder":
        ours.weight = mt.tensor(q)
        theirs.weight = torch.tensor(q)
        assert_close(ours.weight, theirs.weight, np.float64, what="assigned weight")
        np.testing.assert_allclose(ours.weight.detach().numpy(), q, atol=1e-12)


def test_orthogonal_errors_as_torch() -> None:
    for lib in (mt, torch):
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), name="bias")
        with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="qr")
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="cayley",
                                                     use_trivialization=False)
        with pytest.raises(NotImplementedError, match="It is not possible to assign to the matrix exponential"):
            m.weight = lib.eye(3)
        with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3)).weight = lib.eye(2)
