"""linalg.svd, torch.svd, linalg.eigh and linalg.qr with torch's gradients (svd_backward, linalg_eig_backward,
linalg_qr_backward): forward and gradients (random upstream gradients on every output) in float64 to 1e-10 and float32
against the float64 truth, second order. The singular/eigen vectors are defined up to sign: both sides fix it the
same way (each column's sum made positive, a constant of the forward), so outputs and gradients compare directly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(5)
SHAPES = [(4, 4), (2, 3, 5), (2, 5, 3)]


def _signs(u: Any) -> Any:
    """+1/-1 per column of u (*, m, k), fixed by the column's sum; no gradient flows through it."""
    return u.detach().sum(-2, keepdim=True).sign()


def _svd(lib: Any, full: bool, outputs: str) -> Any:
    def fn(a: Any) -> tuple:
        u, s, vh = lib.linalg.svd(a, full_matrices=full)
        d = _signs(u)
        u, vh = u * d, vh * d.mT[..., : vh.shape[-2], :] if full else vh * d.mT
        return tuple({"U": u, "S": s, "Vh": vh}[k] for k in outputs.split(","))
    return fn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full", [False, True])
def test_svd_gradients(shape: tuple, full: bool) -> None:
    a = RNG.standard_normal(shape)
    k = min(shape[-2:])
    if full and shape[-2] != shape[-1]:  # the columns past k are LAPACK's choice: compare the first k only
        def pick(lib: Any) -> Any:
            def fn(x: Any) -> tuple:
                u, s, vh = lib.linalg.svd(x, full_matrices=True)
                d = _signs(u[..., :k])
                return u[..., :k] * d, s, vh[..., :k, :] * d.mT
            return fn
        check(pick(mt), pick(torch), [a], second_order=True)
        return
    check(_svd(mt, full, "U,S,Vh"), _svd(torch, full, "U,S,Vh"), [a], second_order=True)


@pytest.mark.parametrize("outputs", ["U", "Vh", "S", "U,S"])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 3, 5)])
def test_svd_gradient_branches(outputs: str, shape: tuple) -> None:
    check(_svd(mt, False, outputs), _svd(torch, False, outputs), [RNG.standard_normal(shape)])


def test_svd_old_api() -> None:
    a = RNG.standard_normal((2, 5, 3))

    def old(lib: Any, some: bool) -> Any:
        def fn(x: Any) -> tuple:
            u, s, v = lib.svd(x, some=some)
            d = _signs(u[..., :3])
            return u[..., :3] * d, s, v * d
        return fn

    check(old(mt, True), old(torch, True), [a])
    check(old(mt, False), old(torch, False), [a], f32=False)
    u, s, v = mt.svd(mt.tensor(a), compute_uv=False)
    u_t, s_t, v_t = torch.svd(torch.tensor(a), compute_uv=False)
    assert u.shape == u_t.shape and v.shape == v_t.shape and not u.numpy().any()
    assert np.allclose(s.numpy(), s_t.numpy(), rtol=1e-12)
    assert mt.tensor(a).svd().V.shape == (2, 3, 3)


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("outputs", ["both", "vectors", "values"])
def test_eigh_gradients(uplo: str, outputs: str) -> None:
    a = RNG.standard_normal((2, 4, 4))

    def fn(lib: Any) -> Any:
        def f(x: Any) -> Any:
            w, v = lib.linalg.eigh(x, UPLO=uplo)
            v = v * _signs(v)
            return {"both": (w, v), "vectors": v, "values": w}[outputs]
        return f

    check(fn(mt), fn(torch), [a], second_order=outputs == "both")


@pytest.mark.parametrize("shape,mode", [((4, 4), "reduced"), ((2, 5, 3), "reduced"), ((2, 3, 5), "reduced"),
                                        ((2, 3, 5), "complete"), ((4, 4), "complete")])
def test_qr_gradients(shape: tuple, mode: str) -> None:
    check(lambda x: tuple(mt.linalg.qr(x, mode)), lambda x: tuple(torch.linalg.qr(x, mode)),
          [RNG.standard_normal(shape)], second_order=True)
    check(lambda x: mt.linalg.qr(x, mode).R, lambda x: torch.linalg.qr(x, mode).R, [RNG.standard_normal(shape)])


def test_grad_fn_names_and_errors() -> None:
    a = mt.randn(3, 3, dtype=mt.float64, requires_grad=True)
    assert mt.linalg.svd(a).S.grad_fn.name() == "LinalgSvdBackward0"
    assert mt.linalg.eigh(a).eigenvalues.grad_fn.name() == "LinalgEighBackward0"
    assert mt.linalg.qr(a).Q.grad_fn.name() == "LinalgQrBackward0"
    with pytest.raises(RuntimeError, match="The derivative of linalg.qr depends on Q, which is not computed when "
                                           "mode='r'"):
        mt.linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        mt.linalg.qr(mt.randn(4, 3, requires_grad=True), mode="complete").R.sum().backward()
    with pytest.raises(RuntimeError, match="linalg.svd: The input tensor A must have at least 2 dimensions"):
        mt.linalg.svd(mt.ones(3))
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got X"):
        mt.linalg.eigh(mt.eye(3), UPLO="X")


def test_polar_and_matrix_sqrth() -> None:
    check(lambda x: tuple(mt.linalg.polar(x)), lambda x: tuple(torch.linalg.polar(x)), [RNG.standard_normal((2, 5, 3))],
          second_order=True)
    b = RNG.standard_normal((2, 4, 4))
    spd = b @ b.swapaxes(-1, -2) + np.eye(4)
    check(mt.linalg.matrix_sqrth, torch.linalg.matrix_sqrth, [spd], second_order=True)
    check(mt.linalg.matrix_sqrth, torch.linalg.matrix_sqrth, [spd + 0.1 * RNG.standard_normal((2, 4, 4))])  # lower
    assert not mt.linalg.matrix_sqrth(-mt.eye(2)).numpy().any()  # negative eigenvalues clamp to 0, as torch's
    with pytest.raises(RuntimeError, match="linalg.polar: input must have at least as many rows as columns, but got "
                                           "3 by 5 matrices"):
        mt.linalg.polar(mt.ones(3, 5))
