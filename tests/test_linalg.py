"""mt.linalg against torch.linalg: norms, inv, solve, det, slogdet, svdvals with gradients (random upstream
gradients) in float64 to 1e-10 and float32 against the float64 truth; second order for inv, solve and slogdet;
svd/eigh/qr forward (up to the sign freedom of their vectors; their gradients: test_linalg_spectral.py);
torch's error messages."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

INF = float("inf")


def _well_conditioned(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    n = shape[-1]
    return rng.standard_normal(shape) + 2 * n * np.eye(n)


def _check(fn_m: Callable, fn_t: Callable, arrays: list[np.ndarray], seed: int = 0) -> None:
    """float64: outputs and every input's gradient to 1e-10; float32: against our float64 result."""
    rng = np.random.default_rng(seed)
    xs_m = [mt.tensor(a, requires_grad=True) for a in arrays]
    xs_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_m, out_t = fn_m(*xs_m), fn_t(*xs_t)
    assert_close(out_m, out_t, np.float64, what="forward")
    g = rng.standard_normal(tuple(out_t.shape))
    out_m.backward(mt.tensor(g))
    out_t.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(xs_m, xs_t)):
        if b.grad is None:  # ord 0: torch's backward leaves no gradient; ours is its value, zero
            assert not a.grad.numpy().any()
            return
        assert_close(a.grad, b.grad, np.float64, what=f"grad {i}")
    xs32 = [mt.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    xt32 = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    o32, t32 = fn_m(*xs32), fn_t(*xt32)
    truth_in = [mt.tensor(a.astype(np.float32).astype(np.float64), requires_grad=True) for a in arrays]
    truth = fn_m(*truth_in)
    assert o32.dtype == mt.float32
    assert_f32_close(o32, truth, torch32=t32, what="float32 forward")
    o32.backward(mt.tensor(g.astype(np.float32)))
    t32.backward(torch.tensor(g.astype(np.float32)))
    truth.backward(mt.tensor(g))
    for a, t, b in zip(xs32, truth_in, xt32):
        assert_f32_close(a.grad, t.grad, torch32=b.grad, what="float32 grad")


@pytest.mark.parametrize("ord", [2, 1, INF, -INF, 0, 3, -1.5])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 2), False)])
def test_vector_norm(ord: float, dim: object, keepdim: bool) -> None:
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    _check(lambda a: mt.linalg.vector_norm(a, ord, dim, keepdim),
           lambda a: torch.linalg.vector_norm(a, ord, dim, keepdim), [x])


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((2, 0), True)])
def test_matrix_norm(ord: object, dim: tuple, keepdim: bool) -> None:
    x = np.random.default_rng(2).standard_normal((3, 2, 4))
    _check(lambda a: mt.linalg.matrix_norm(a, ord, dim, keepdim),
           lambda a: torch.linalg.matrix_norm(a, ord, dim, keepdim), [x])


@pytest.mark.parametrize("ord,dim,shape", [(None, None, (2, 3, 4)), (None, (0, 2), (2, 3, 4)), (1, None, (3, 4)),
                                           (3, None, (5,)), (INF, 1, (3, 4)), ("nuc", None, (4, 3))])
def test_norm(ord: object, dim: object, shape: tuple) -> None:
    x = np.random.default_rng(3).standard_normal(shape)
    _check(lambda a: mt.linalg.norm(a, ord, dim), lambda a: torch.linalg.norm(a, ord, dim), [x])


def test_inv_det_slogdet_svdvals() -> None:
    rng = np.random.default_rng(4)
    a = _well_conditioned(rng, (2, 3, 3))
    _check(mt.linalg.inv, torch.linalg.inv, [a])
    _check(mt.linalg.det, torch.linalg.det, [a])
    _check(lambda x: mt.linalg.slogdet(x).logabsdet, lambda x: torch.linalg.slogdet(x).logabsdet, [a])
    b = rng.standard_normal((2, 4, 3))
    _check(mt.linalg.svdvals, torch.linalg.svdvals, [b])
    sym = b.swapaxes(-1, -2) @ b
    sym[..., 0, 2] += 7.0  # the upper triangle is not read with UPLO="L"
    _check(mt.linalg.eigvalsh, torch.linalg.eigvalsh, [sym])
    _check(lambda x: mt.linalg.eigvalsh(x, "U"), lambda x: torch.linalg.eigvalsh(x, "U"), [sym.swapaxes(-1, -2)])
    neg = a.copy()
    neg[..., 0, :] *= -1
    sign_m, sign_t = mt.linalg.slogdet(mt.tensor(neg)).sign, torch.linalg.slogdet(torch.tensor(neg)).sign
    assert_close(sign_m, sign_t, np.float64)


def test_det_gradient_of_singular_matrices() -> None:
    """The cofactor matrix from the SVD: exact where A⁻¹ does not exist (rank n-1 and n-2)."""
    rng = np.random.default_rng(5)
    u = rng.standard_normal((4, 2))
    for a in (np.c_[rng.standard_normal((4, 3)), rng.standard_normal((4, 3)) @ [1.0, 2.0, -1.0]],
              u @ rng.standard_normal((2, 4))):
        xm, xt = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        mt.linalg.det(xm).backward()
        torch.linalg.det(xt).backward()
        assert np.isfinite(xm.grad.numpy()).all()
        assert np.abs(xm.grad.numpy() - xt.grad.numpy()).max() <= 1e-10 * max(1.0, np.abs(xt.grad.numpy()).max())


@pytest.mark.parametrize("a_shape,b_shape,left", [((3, 3), (3, 2), True), ((2, 3, 3), (3,), True),
                                                  ((2, 3, 3), (2, 3), True), ((3, 3), (2, 3, 4), True),
                                                  ((2, 1, 3, 3), (4, 3, 1), True), ((3, 3), (2, 3), False)])
def test_solve(a_shape: tuple, b_shape: tuple, left: bool) -> None:
    rng = np.random.default_rng(6)
    _check(lambda a, b: mt.linalg.solve(a, b, left=left), lambda a, b: torch.linalg.solve(a, b, left=left),
           [_well_conditioned(rng, a_shape), rng.standard_normal(b_shape)])


@pytest.mark.parametrize("name", ["inv", "solve", "slogdet"])
def test_second_order(name: str) -> None:
    rng = np.random.default_rng(7)
    a, b = _well_conditioned(rng, (3, 3)), rng.standard_normal((3, 2))
    g, v = rng.standard_normal((3, 2)), rng.standard_normal((3, 3))
    results = []
    for lib in (mt, torch):
        am, bm = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        if name == "inv":
            out = lib.linalg.inv(am) @ bm
        elif name == "solve":
            out = lib.linalg.solve(am, bm)
        else:
            out = lib.linalg.slogdet(am).logabsdet * bm
        (ga,) = lib.autograd.grad(out, am, lib.tensor(g), create_graph=True)
        (ggb, gga) = lib.autograd.grad((ga * lib.tensor(v)).sum(), (bm, am))
        results.append((ga, ggb, gga))
    for ours, theirs in zip(*results):
        assert_close(ours, theirs, np.float64)


def test_svd_eigh_qr_forward() -> None:
    rng = np.random.default_rng(8)
    a = rng.standard_normal((2, 4, 3))
    um, sm, vm = mt.linalg.svd(mt.tensor(a), full_matrices=False)
    st = torch.linalg.svdvals(torch.tensor(a))
    assert_close(sm, st, np.float64)
    assert_close(um.numpy() * sm.numpy()[..., None, :] @ vm.numpy(), a, np.float64)
    assert mt.linalg.svd(mt.tensor(a)).U.shape == (2, 4, 4)
    sym = a.swapaxes(-1, -2) @ a
    w, v = mt.linalg.eigh(mt.tensor(sym))
    assert_close(w, torch.linalg.eigvalsh(torch.tensor(sym)), np.float64)
    assert_close(v.numpy() * w.numpy()[..., None, :] @ v.numpy().swapaxes(-1, -2), sym, np.float64)
    q, r = mt.linalg.qr(mt.tensor(a))
    qt, rt = torch.linalg.qr(torch.tensor(a))
    assert_close(np.abs(r.numpy()), np.abs(rt.numpy()), np.float64)  # the same up to each column's sign
    assert_close(q.numpy() @ r.numpy(), a, np.float64)
    assert np.allclose(np.triu(r.numpy()), r.numpy())
    assert mt.linalg.qr(mt.tensor(a), mode="complete").Q.shape == (2, 4, 4)


def test_bad_input() -> None:
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got"):
        mt.linalg.vector_norm(mt.arange(3))
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 2 by 3 matrices"):
        mt.linalg.inv(mt.ones(2, 3))
    with pytest.raises(mt.linalg.LinAlgError, match="singular"):
        mt.linalg.inv(mt.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation AX = B \(2x2 and 3x1\)"):
        mt.linalg.solve(mt.eye(2), mt.ones(3))
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        mt.linalg.det(mt.ones(3))
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        mt.linalg.matrix_norm(mt.ones(3, 3), ord=3)
    with pytest.raises(RuntimeError, match="the input must be 1D or 2D. Got 3D"):
        mt.linalg.norm(mt.ones(3, 3, 3), ord=2)
    with pytest.raises(RuntimeError, match="not differentiable twice"):
        x = mt.ones(2, 2, dtype=mt.float64, requires_grad=True)
        (g,) = mt.autograd.grad(mt.linalg.det(x), x, create_graph=True)
        g.sum().backward()


def _spd(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    a = rng.standard_normal(shape)
    return a @ a.swapaxes(-1, -2) + np.eye(shape[-1])


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper: bool) -> None:
    rng = np.random.default_rng(9)
    a = _spd(rng, (2, 3, 3))
    a[..., (0, 2)[upper], (2, 0)[upper]] += 50.0  # the other triangle is not read, as LAPACK's (and torch's)
    _check(lambda x: mt.linalg.cholesky(x, upper=upper), lambda x: torch.linalg.cholesky(x, upper=upper), [a])
    g, v = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))
    results = []
    for lib in (mt, torch):
        x = lib.tensor(a, requires_grad=True)
        (gx,) = lib.autograd.grad(lib.linalg.cholesky(x, upper=upper), x, lib.tensor(g), create_graph=True)
        (ggx,) = lib.autograd.grad((gx * lib.tensor(v)).sum(), x)
        results.append((gx, ggx))
    for ours, theirs in zip(*results):
        assert_close(ours, theirs, np.float64)
    bad = np.array([[[1.0, 2.0], [2.0, 1.0]]] * 2)
    with pytest.raises(mt.linalg.LinAlgError) as ours_err:
        mt.linalg.cholesky(mt.tensor(bad))
    with pytest.raises(torch.linalg.LinAlgError) as torch_err:
        torch.linalg.cholesky(torch.tensor(bad))
    assert str(ours_err.value) == str(torch_err.value)


def test_torch_level_names() -> None:
    """mt.inverse / det / slogdet / logdet and the Tensor methods, as torch's (logdet: NaN for a negative det)."""
    rng = np.random.default_rng(10)
    a = _well_conditioned(rng, (2, 3, 3))
    a[1, 0] *= -1
    _check(lambda x: x.inverse(), lambda x: x.inverse(), [a])
    _check(lambda x: mt.det(x), lambda x: torch.det(x), [a])
    _check(lambda x: x.slogdet()[1] + mt.slogdet(x)[1], lambda x: x.slogdet()[1] + torch.slogdet(x)[1], [a])
    with np.errstate(invalid="ignore"):
        ours, theirs = mt.tensor(a).logdet(), torch.logdet(torch.tensor(a))
    np.testing.assert_array_equal(np.isnan(ours.numpy()), np.isnan(theirs.numpy()))
    assert_close(ours.numpy()[0], theirs.numpy()[0], np.float64)
    _check(lambda x: mt.logdet(x), lambda x: torch.logdet(x), [_spd(rng, (3, 3))])
