"""mt.distributions against torch.distributions: log_prob, entropy, moments and KL divergences (with gradients for
random upstream gradients) in float64 to 1e-10 and float32 against the float64 truth; draws (our RNG: the same
law, other numbers) tested statistically, rsample's gradient exactly; shapes and validation errors as torch's."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

RNG = np.random.default_rng(0)
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.random((2, 3)) + 0.5
PROBS = RNG.random((2, 4)) + 0.1
LOGITS = RNG.standard_normal((2, 4))
BPROBS = RNG.random((2, 3)) * 0.8 + 0.1
LOW, HIGH = RNG.standard_normal(3), RNG.standard_normal(3) + 3


def _run(lib: object, build: Callable, params: list[np.ndarray], what: Callable, dtype: type) -> tuple:
    ts = [lib.tensor(p.astype(dtype), requires_grad=True) for p in params]
    out = what(build(lib.distributions, *ts), lib)
    g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(lib.tensor(g))
    return out, [t.grad for t in ts]


def _parity(build: Callable, params: list[np.ndarray], what: Callable) -> None:
    out_m, grads_m = _run(mt, build, params, what, np.float64)
    out_t, grads_t = _run(torch, build, params, what, np.float64)
    assert_close(out_m, out_t, np.float64, what="value")
    for gm, gt in zip(grads_m, grads_t):
        if gt is None:
            assert gm is None or not gm.numpy().any()
            continue
        assert_close(gm, gt, np.float64, what="grad")
    o32, g32 = _run(mt, build, params, what, np.float32)
    t32, gt32 = _run(torch, build, params, what, np.float32)
    truth, gtruth = _run(mt, build, [p.astype(np.float32) for p in params], what, np.float64)
    assert o32.dtype == mt.float32
    assert_f32_close(o32, truth, torch32=t32, what="float32 value")
    for a, b, c in zip(g32, gtruth, gt32):
        if c is not None:
            assert_f32_close(a, b, torch32=c, what="float32 grad")


def _value(lib: object, arr: np.ndarray, like: object) -> object:
    return lib.tensor(arr.astype(np.float32 if like.dtype in (mt.float32, torch.float32) else np.float64))


NORMAL_X = RNG.standard_normal((4, 2, 3))


@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "stddev", "variance", "mode"])
def test_normal(what: str) -> None:
    def fn(d: object, lib: object) -> object:
        return d.log_prob(_value(lib, NORMAL_X, d.loc)) if what == "log_prob" else (
            d.entropy() if what == "entropy" else getattr(d, what) * 1.0)

    _parity(lambda D, loc, scale: D.Normal(loc, scale), [LOC, SCALE], fn)


@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "probs", "logits"])
def test_categorical(param: str, what: str) -> None:
    def fn(d: object, lib: object) -> object:
        if what == "log_prob":
            return d.log_prob(lib.tensor([[0, 3], [2, 1], [1, 1]]))
        return d.entropy() if what == "entropy" else getattr(d, what) * 1.0

    _parity(lambda D, p: D.Categorical(**{param: p}), [PROBS if param == "probs" else LOGITS], fn)


@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "probs", "logits"])
def test_bernoulli(param: str, what: str) -> None:
    x = (RNG.random((2, 3)) < 0.5).astype(np.float64)

    def fn(d: object, lib: object) -> object:
        if what == "log_prob":
            return d.log_prob(_value(lib, x, d.probs))
        return d.entropy() if what == "entropy" else getattr(d, what) * 1.0

    _parity(lambda D, p: D.Bernoulli(**{param: p}), [BPROBS if param == "probs" else LOGITS[:, :3]], fn)


@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "stddev", "variance"])
def test_uniform(what: str) -> None:
    x = np.stack([LOW + 0.5, HIGH - 0.25])

    def fn(d: object, lib: object) -> object:
        if what == "log_prob":
            return d.log_prob(_value(lib, x, d.low))
        return d.entropy() if what == "entropy" else getattr(d, what) * 1.0

    _parity(lambda D, lo, hi: D.Uniform(lo, hi), [LOW, HIGH], fn)
    with np.errstate(divide="ignore"):  # log 0, as torch's
        outside = mt.distributions.Uniform(mt.tensor(LOW), mt.tensor(HIGH)).log_prob(mt.tensor(HIGH))
    assert np.all(np.isneginf(outside.numpy()))  # high is in torch's support check, at log density -inf


def test_independent() -> None:
    def fn(d: object, lib: object) -> object:
        ind = lib.distributions.Independent(d, 1)
        assert tuple(ind.batch_shape) == (2,) and tuple(ind.event_shape) == (3,)
        return ind.log_prob(_value(lib, NORMAL_X, d.loc)) + ind.entropy()

    _parity(lambda D, loc, scale: D.Normal(loc, scale), [LOC, SCALE], fn)
    ind = mt.distributions.Independent(mt.distributions.Normal(mt.zeros(2, 3, 4), mt.ones(2, 3, 4)), 2)
    assert (tuple(ind.batch_shape), tuple(ind.event_shape), tuple(ind.sample((5,)).shape)) == ((2,), (3, 4),
                                                                                            (5, 2, 3, 4))


@pytest.mark.parametrize("pair", ["normal", "categorical", "bernoulli", "uniform", "independent"])
def test_kl_divergence(pair: str) -> None:
    def build(D: object, a: object, b: object) -> object:
        return a, b, D

    def fn(ab: tuple, lib: object) -> object:
        a, b, D = ab
        if pair == "normal":
            p, q = D.Normal(a[0], b[0]), D.Normal(a[1], b[1])
        elif pair == "categorical":
            p, q = D.Categorical(probs=a), D.Categorical(logits=b)
        elif pair == "bernoulli":
            p, q = D.Bernoulli(probs=a), D.Bernoulli(logits=b)
        elif pair == "uniform":
            p, q = D.Uniform(a, a + 1), D.Uniform(b - 3, b + 4)
        else:
            p, q = D.Independent(D.Normal(a, b), 1), D.Independent(D.Normal(b, a.exp()), 1)
        return D.kl_divergence(p, q)

    params = {"normal": [np.stack([LOC, LOC * 0.5]), np.stack([SCALE, SCALE + 0.3])], "categorical": [PROBS, LOGITS],
              "bernoulli": [BPROBS, LOGITS[:, :3]], "uniform": [LOW, LOW + 0.2], "independent": [LOC, SCALE]}[pair]
    _parity(build, params, fn)


def test_kl_edge_cases() -> None:
    p = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    q = np.array([[0.2, 0.8, 0.0], [0.2, 0.3, 0.5]])
    ours = mt.distributions.kl_divergence(mt.distributions.Categorical(mt.tensor(p)),
                                          mt.distributions.Categorical(mt.tensor(q)))
    theirs = torch.distributions.kl_divergence(torch.distributions.Categorical(torch.tensor(p)),
                                               torch.distributions.Categorical(torch.tensor(q)))
    np.testing.assert_array_equal(np.isinf(ours.numpy()), np.isinf(theirs.numpy()))
    assert_close(ours.numpy()[1:], theirs.numpy()[1:], np.float64)
    with pytest.raises(NotImplementedError, match="No KL"):
        mt.distributions.kl_divergence(mt.distributions.Normal(0.0, 1.0), mt.distributions.Bernoulli(0.5))


def test_draws() -> None:
    """Moments of 20,000 draws within 6 standard errors; shapes and dtypes as torch's."""
    mt.manual_seed(0)
    D = mt.distributions
    n = 20000
    loc, scale = mt.tensor([1.0, -2.0]), mt.tensor([0.5, 2.0])
    x = D.Normal(loc, scale).sample((n,)).numpy()
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert np.all(np.abs(x.mean(0) - loc.numpy()) < 6 * scale.numpy() / n**0.5)
    assert np.all(np.abs(x.std(0) / scale.numpy() - 1) < 6 / (2 * n) ** 0.5)
    probs = np.array([0.1, 0.2, 0.7])
    k = D.Categorical(mt.tensor(probs)).sample((n,)).numpy()
    assert k.dtype == np.int64 and k.min() >= 0 and k.max() <= 2
    freq = np.bincount(k, minlength=3) / n
    assert np.all(np.abs(freq - probs) < 6 * np.sqrt(probs * (1 - probs) / n))
    b = D.Bernoulli(mt.tensor([0.3])).sample((n,)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 6 * np.sqrt(0.21 / n)
    u = D.Uniform(mt.tensor([-1.0]), mt.tensor([3.0])).sample((n,)).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 6 * 4 / np.sqrt(12 * n)
    assert D.Categorical(logits=mt.zeros(5, 3)).sample().shape == (5,)


def test_rsample_gradient() -> None:
    """rsample = loc + scale·ε: d/dloc = g, d/dscale = g·ε, ε recovered from the draw; Uniform likewise."""
    loc = mt.tensor(LOC, requires_grad=True)
    scale = mt.tensor(SCALE, requires_grad=True)
    x = mt.distributions.Normal(loc, scale).rsample((4,))
    g = RNG.standard_normal(tuple(x.shape))
    x.backward(mt.tensor(g))
    eps = (x.detach().numpy() - LOC) / SCALE
    assert_close(loc.grad, g.sum(0), np.float64)
    assert_close(scale.grad, (g * eps).sum(0), np.float64)
    low, high = mt.tensor(LOW, requires_grad=True), mt.tensor(HIGH, requires_grad=True)
    y = mt.distributions.Uniform(low, high).rsample()
    u = (y.detach().numpy() - LOW) / (HIGH - LOW)
    y.backward(mt.ones(3, dtype=mt.float64))
    assert_close(high.grad, u, np.float64)
    assert_close(low.grad, 1 - u, np.float64)
    assert not mt.distributions.Normal(loc, scale).sample().requires_grad


def _message(lib: object, fn: Callable) -> str:
    with pytest.raises(ValueError) as info:
        fn(lib.distributions, lib)
    return str(info.value).replace("torch.Size", "mt.Size")


@pytest.mark.parametrize("case", [
    lambda D, lib: D.Normal(lib.zeros(2), lib.tensor([1.0, -1.0])),
    lambda D, lib: D.Normal(lib.zeros(2), lib.ones(2)).log_prob(lib.tensor([float("nan"), 1.0])),
    lambda D, lib: D.Normal(lib.zeros(2), lib.ones(2)).log_prob(lib.zeros(3)),
    lambda D, lib: D.Categorical(lib.tensor([0.5, -0.1])),
    lambda D, lib: D.Categorical(probs=lib.tensor([0.5, 0.5]), logits=lib.zeros(2)),
    lambda D, lib: D.Categorical(probs=lib.tensor([0.5, 0.5])).log_prob(lib.tensor(3)),
    lambda D, lib: D.Categorical(probs=lib.tensor(0.5)),
    lambda D, lib: D.Bernoulli(lib.tensor([1.5])),
    lambda D, lib: D.Bernoulli(lib.tensor([0.5])).log_prob(lib.tensor([0.5])),
    lambda D, lib: D.Uniform(lib.tensor([1.0]), lib.tensor([0.0])),
    lambda D, lib: D.Uniform(lib.tensor([0.0]), lib.tensor([1.0])).log_prob(lib.tensor([2.0])),
    lambda D, lib: D.Independent(D.Normal(lib.zeros(2), lib.ones(2)), 2),
])
def test_validation_errors(case: Callable) -> None:
    assert _message(mt, case) == _message(torch, case)


def test_validate_args_off_and_shapes() -> None:
    d = mt.distributions.Normal(mt.zeros(2), mt.tensor([1.0, -1.0]), validate_args=False)
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == ()
    assert tuple(mt.distributions.Categorical(logits=mt.zeros(2, 3)).enumerate_support().shape) == (3, 2)
    assert str(mt.distributions.Normal(0.0, 1.0)) == str(torch.distributions.Normal(0.0, 1.0))


def _spd(shape: tuple) -> np.ndarray:
    a = np.random.default_rng(2).standard_normal(shape)
    return a @ a.swapaxes(-1, -2) + np.eye(shape[-1])


MVN_LOC, MVN_COV = RNG.standard_normal(3), _spd((2, 3, 3))


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "variance", "covariance_matrix"])
def test_multivariate_normal(param: str, what: str) -> None:
    matrix = np.linalg.cholesky(MVN_COV) if param == "scale_tril" else (
        np.linalg.inv(MVN_COV) if param == "precision_matrix" else MVN_COV)
    x = RNG.standard_normal((4, 2, 3))

    def fn(d: object, lib: object) -> object:
        if what == "log_prob":
            return d.log_prob(_value(lib, x, d.loc))
        return d.entropy() if what == "entropy" else getattr(d, what) * 1.0

    _parity(lambda D, loc, m: D.MultivariateNormal(loc, **{param: m}), [MVN_LOC, matrix], fn)


def test_multivariate_normal_kl_draws_and_errors() -> None:
    def build(D: object, loc: object, cov: object) -> tuple:
        return D, loc, cov

    def fn(args: tuple, lib: object) -> object:
        D, loc, cov = args
        return D.kl_divergence(D.MultivariateNormal(loc, cov), D.MultivariateNormal(loc[0] * 0.5, cov[1] + cov[0]))

    _parity(build, [RNG.standard_normal((2, 3)), MVN_COV], fn)
    mt.manual_seed(1)
    n, cov = 20000, mt.tensor(MVN_COV[0])
    d = mt.distributions.MultivariateNormal(mt.tensor(MVN_LOC), cov)
    x = d.sample((n,)).numpy()
    assert x.shape == (n, 3) and tuple(d.batch_shape) == () and tuple(d.event_shape) == (3,)
    sd = np.sqrt(np.diag(MVN_COV[0]))
    assert np.all(np.abs(x.mean(0) - MVN_LOC) < 6 * sd / n**0.5)
    assert np.abs(np.cov(x.T) - MVN_COV[0]).max() < 6 * MVN_COV[0].max() * np.sqrt(2 / n)
    for case in (lambda D, lib: D.MultivariateNormal(lib.zeros(2)),
                 lambda D, lib: D.MultivariateNormal(lib.tensor(0.0), lib.eye(1)),
                 lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.ones(2)),
                 lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
                 lambda D, lib: D.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 2.0], [2.0, 1.0]]))):
        assert _message(mt, case) == _message(torch, case)
