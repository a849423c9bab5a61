"""torch.func against torch.func: the transforms and their compositions in float64, torch's results computed here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close, to_np

import minitorch_cnn as mt

RNG = np.random.default_rng(7)


def arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def both(a: np.ndarray) -> tuple[torch.Tensor, mt.Tensor]:
    return torch.from_numpy(a.copy()), mt.tensor(a.copy())


def same(ours: Any, theirs: Any, what: str = "") -> None:
    """Equal structure (tuples, lists, dicts) and every tensor to 1e-10."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), what
        for k in theirs:
            same(ours[k], theirs[k], f"{what}[{k}]")
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), what
        for i, (o, t) in enumerate(zip(ours, theirs)):
            same(o, t, f"{what}[{i}]")
    elif isinstance(theirs, (bool, int)):
        assert ours == theirs, what
    else:
        assert tuple(ours.shape) == tuple(theirs.shape), what
        assert ours.requires_grad == theirs.requires_grad, what
        assert_close(to_np(ours), to_np(theirs), np.float64, what=what)


def predict(lib: Any, w: Any, b: Any, x: Any) -> Any:
    return (x @ w.T + b).tanh() * (x @ w.T).sin()


def test_grad_argnums_aux_and_grad_of_grad() -> None:
    (tx, mx), (ty, my), (tv, mv) = both(arr(4)), both(arr(4)), both(arr(4))

    def run(lib: Any, x: Any, y: Any, v: Any) -> tuple:
        fn = lib.func

        def f(x: Any, y: Any) -> Any:
            return (x.sin() * y).sum() + (x * x * y.exp()).sum()

        g_xy = fn.grad(f, argnums=(0, 1))(x, y)
        g_aux = fn.grad(lambda x, y: (f(x, y), {"doubled": x * 2}), has_aux=True)(x, y)
        gv = fn.grad_and_value(f, argnums=1)(x, y)
        gg = fn.grad(lambda x: (fn.grad(f)(x, y) * v).sum())(x)
        ggg = fn.grad(lambda y: (fn.grad(lambda x: (fn.grad(f, argnums=1)(x, y) * v).sum())(x) * v).sum())(y)
        return g_xy, g_aux, gv, gg, ggg

    same(run(mt, mx, my, mv), run(torch, tx, ty, tv))


def test_no_perturbation_confusion() -> None:
    """The inner gradient is taken with respect to the inner variable only, also when it is the outer one."""
    (tx, mx) = both(arr(3))

    def run(lib: Any, x: Any) -> tuple:
        fn = lib.func
        same_var = fn.grad(lambda x: fn.grad(lambda y: (x * y).sum())(x).sum())(x)
        closed = fn.grad(lambda x: (x * fn.grad(lambda y: (x * y).sum())(x.cos())).sum())(x)
        return same_var, closed

    same(run(mt, mx), run(torch, tx))


def test_grad_stays_differentiable_when_its_input_or_a_closed_over_tensor_requires_grad() -> None:
    (tx, mx), (tv, mv), (tw, mw) = both(arr(3)), both(arr(3)), both(arr(3))

    def run(lib: Any, x: Any, v: Any, w: Any) -> tuple:
        x, w = x.clone().requires_grad_(), w.clone().requires_grad_()
        g = lib.func.grad(lambda x: (x.sin() * x).sum())(x)
        (g * v).sum().backward()
        closed = lib.func.grad(lambda x: (x.sin() * w).sum())(x.detach())
        (closed * v).sum().backward()
        plain = lib.func.grad(lambda x: (x.sin() * w.detach()).sum())(x.detach())
        return g, closed, plain, x.grad, w.grad

    same(run(mt, mx, mv, mw), run(torch, tx, tv, tw))


def test_vjp_jvp_and_hvp_by_jvp_of_grad() -> None:
    (tw, mw), (tb, mb), (tx, mx) = both(arr(3, 4)), both(arr(3)), both(arr(4))
    (tc, mc), (tc2, mc2), (tt, mt_) = both(arr(3)), both(arr(4)), both(arr(4))

    def run(lib: Any, w: Any, b: Any, x: Any, c: Any, c2: Any, t: Any) -> tuple:
        fn = lib.func
        out, vjp_fn, aux = fn.vjp(lambda w, x: ((predict(lib, w, b, x), x.cos()), x.sum()), w, x, has_aux=True)
        pulled = vjp_fn((c, c2))
        o, jv = fn.jvp(lambda x: predict(lib, w, b, x), (x,), (t,))
        hv = fn.jvp(fn.grad(lambda x: predict(lib, w, b, x).sum()), (x,), (t,))[1]
        o2, jv2, aux2 = fn.jvp(lambda w, x: (predict(lib, w, b, x), x.exp()), (w, x), (w * 0.5, t), has_aux=True)
        o3, jvp_fn = fn.linearize(lambda w, x: {"y": predict(lib, w, b, x), "s": x.sin()}, w, x)
        return out, pulled, aux, o, jv, hv, o2, jv2, aux2, o3, jvp_fn(w * 0.5, t), jvp_fn(w, c2)

    same(run(mt, mw, mb, mx, mc, mc2, mt_), run(torch, tw, tb, tx, tc, tc2, tt))


def test_jacrev_jacfwd_hessian_and_their_compositions() -> None:
    (tw, mw), (tb, mb), (tx, mx), (txs, mxs) = both(arr(3, 4)), both(arr(3)), both(arr(4)), both(arr(2, 4))

    def run(lib: Any, w: Any, b: Any, x: Any, xs: Any) -> tuple:
        fn = lib.func

        def p(w: Any, b: Any, x: Any) -> Any:
            return predict(lib, w, b, x)

        def two(w: Any, b: Any, x: Any) -> Any:
            return {"y": p(w, b, x), "s": (x * x).sum()}, x.mean()

        return (fn.jacrev(p, argnums=2)(w, b, x), fn.jacrev(p, argnums=(0, 1))(w, b, x),
                fn.jacfwd(p, argnums=(0, 2))(w, b, x), fn.jacrev(two, argnums=(1, 2), has_aux=True)(w, b, x),
                fn.jacfwd(two, argnums=2, has_aux=True)(w, b, x),
                fn.hessian(lambda w, b, x: p(w, b, x).sum(), argnums=(1, 2))(w, b, x),
                fn.jacrev(fn.jacrev(p, argnums=2), argnums=2)(w, b, x),
                fn.jacfwd(fn.jacfwd(p, argnums=2), argnums=0)(w, b, x),
                fn.vmap(fn.jacrev(p, argnums=2), in_dims=(None, None, 0))(w, b, xs),
                fn.jacrev(p, argnums=2, chunk_size=1)(w, b, x))

    same(run(mt, mw, mb, mx, mxs), run(torch, tw, tb, tx, txs))


def test_vmap_in_dims_out_dims_nesting_and_per_sample_grads() -> None:
    (ta, ma), (tb, mb), (tc, mc), (tw, mw), (tx, mx), (ty, my) = (
        both(arr(3, 2)), both(arr(2, 4)), both(arr(2)), both(arr(3, 5)), both(arr(6, 5)), both(arr(6, 3)))

    def run(lib: Any, a: Any, b: Any, c: Any, w: Any, x: Any, y: Any) -> tuple:
        fn = lib.func
        outer = fn.vmap(fn.vmap(lambda u, v: u * v + c, in_dims=(None, 0)), in_dims=(0, None))(a[:, 0], b[0])
        tree = fn.vmap(lambda d, k: (d["p"] @ d["q"]) * k, in_dims=({"p": 0, "q": -1}, None))(
            {"p": a, "q": b.T.contiguous().T[:, :3]}, 2.0)
        out_dims = fn.vmap(lambda u: (u * 2, u.sum()), in_dims=1, out_dims=(1, 0))(b)
        unmapped = fn.vmap(lambda u: (u, c), out_dims=(0, None))(a)
        kw = fn.vmap(lambda u, *, scale: u * scale)(a, scale=3.0)

        def loss(w: Any, x: Any, y: Any) -> Any:
            return ((x @ w.T).tanh() - y).pow(2).mean()

        per_sample = fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))(w, x, y)
        grad_of_vmap = fn.grad(lambda w: fn.vmap(loss, in_dims=(None, 0, 0))(w, x, y).sum())(w)
        return outer, tree, out_dims, unmapped, kw, per_sample, grad_of_vmap, lib.vmap(lib.sin)(a)

    same(run(mt, ma, mb, mc, mw, mx, my), run(torch, ta, tb, tc, tw, tx, ty))


def _error(call: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        call()
    return info.type, str(info.value)


def _cases(lib: Any) -> list:
    fn = lib.func
    x, y, e = lib.arange(6.0).reshape(3, 2), lib.zeros(4, 2), lib.zeros(2)
    return [
        lambda: fn.vmap(lib.add)(x, y),
        lambda: fn.vmap(lambda a, n: a * n, in_dims=(0, 0))(x, 2),
        lambda: fn.vmap(lambda a: a, in_dims=(None,))(x),
        lambda: fn.vmap(lambda a: a, in_dims=(2,))(x),
        lambda: fn.vmap(lambda a: 3)(x),
        lambda: fn.vmap(lambda a: a, in_dims=None)(x),
        lambda: fn.vmap(lambda a: lib.randn(2))(x),
        lambda: fn.vmap(lambda a: a, randomness="x"),
        lambda: fn.vmap(lambda a: a, chunk_size=0),
        lambda: fn.vmap(lambda a: a)(),
        lambda: fn.vmap(lambda a: a, out_dims=None)(x),
        lambda: fn.grad(lambda a: a)(x),
        lambda: fn.grad(lambda a: a.sum(), argnums=1)(x),
        lambda: fn.grad(lambda a: (a.sum(), 1))(x),
        lambda: fn.grad(lambda a: a.sum(), has_aux=True)(x),
        lambda: fn.grad(lambda a: a.sum())(3.0),
        lambda: fn.grad(lambda a, b: a.sum(), argnums=())(x, x),
        lambda: fn.grad(lambda a, b: a.sum(), argnums=1.0)(x, x),
        lambda: fn.vjp(lambda a: 3, x),
        lambda: fn.vjp(lambda a: a * 2, x)[1]((x,)),
        lambda: fn.jvp(lambda a: a * 2, x, (x,)),
        lambda: fn.jvp(lambda a: a * 2, (x,), (e,)),
        lambda: fn.jacrev(lambda a: a, argnums=2)(x),
        lambda: fn.linearize(lambda a: a.sin(), x)[1](e),
        lambda: fn.jacrev(lambda a: a, chunk_size=0),
        lambda: fn.jacfwd(lambda a: a * lib.randn(2))(x),
        lambda: fn.stack_module_state([]),
        lambda: fn.stack_module_state([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2).eval()]),
        lambda: fn.stack_module_state([lib.nn.Linear(2, 2), lib.nn.Conv2d(2, 2, 1)]),
        lambda: fn.functional_call(lib.nn.Linear(2, 2), {"weight": x, "foo": e}, x, strict=True),
        lambda: fn.functional_call(lib.nn.Linear(2, 2), ({"weight": x}, {"weight": x}), x),
    ]


@pytest.mark.parametrize("case", range(len(_cases(torch))))
def test_errors_are_torchs(case: int) -> None:
    t_type, t_msg = _error(_cases(torch)[case])
    m_type, m_msg = _error(_cases(mt)[case])
    assert m_type is t_type
    if "TreeSpec" in t_msg:  # torch prints its pytree specs; ours names the same structure its own way
        t_msg, m_msg = t_msg.split("has structure")[0], m_msg.split("has structure")[0]
    assert m_msg == t_msg.replace("torch.Size", "mt.Size")


def test_vmap_randomness() -> None:
    x = mt.zeros(4, 3)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        mt.vmap(lambda a: mt.nn.functional.dropout(a + 1, 0.5))(x)
    mt.manual_seed(0)
    same_rows = mt.vmap(lambda a: a + mt.randn(3), randomness="same")(x)
    different = mt.vmap(lambda a: a + mt.randn(3), randomness="different")(x)
    assert (same_rows == same_rows[0]).all()
    assert not (different == different[0]).all()
    assert mt.randn(1).shape == (1,)  # the refusal ends with the call


def test_vmap_of_empty_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="size 0"):
        mt.vmap(lambda a: a.sum())(mt.zeros(0, 2))


def _net_class(lib: Any) -> Any:
    class Net(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = lib.nn.Conv2d(2, 3, 3)
            self.bn = lib.nn.BatchNorm2d(3)
            self.fc = lib.nn.Linear(12, 4)
            self.out = lib.nn.Linear(4, 4)

        def forward(self, x: Any) -> Any:
            return self.out(self.fc(self.bn(self.conv(x)).relu().flatten(1)).tanh())

    return Net


def _state(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    shapes = {"conv.weight": (3, 2, 3, 3), "conv.bias": (3,), "bn.weight": (3,), "bn.bias": (3,), "fc.weight": (4, 12),
              "fc.bias": (4,), "out.weight": (4, 4), "out.bias": (4,), "bn.running_mean": (3,), "bn.running_var": (3,)}
    state = {k: rng.standard_normal(s) for k, s in shapes.items()}
    state["bn.running_var"] = np.abs(state["bn.running_var"]) + 0.5
    return state


def test_functional_call_ensemble_and_ntk_on_a_conv_net() -> None:
    """functional_call, stack_module_state, vmap over the stack, and the per-sample Jacobian contraction (NTK)."""
    states = [_state(s) for s in (1, 2, 3)]
    (tx, mx) = both(arr(3, 2, 4, 4))

    def run(lib: Any, x: Any) -> tuple:
        fn = lib.func
        models = []
        net = _net_class(lib)
        for s in states:
            m = net().double().eval()
            m.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in s.items()}, strict=False)
            models.append(m)
        params, buffers = fn.stack_module_state(models)
        base = models[0]
        before = base.conv.weight
        one = fn.functional_call(base, ({k: v[1] for k, v in params.items()}, {k: v[1] for k, v in buffers.items()}),
                                 (x,))
        assert base.conv.weight is before
        ens = fn.vmap(lambda p, b, x: fn.functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(params, buffers, x)
        per = fn.vmap(lambda p, b, x: fn.functional_call(base, (p, b), x), in_dims=(0, 0, 0))(params, buffers,
                                                                                                 x.unsqueeze(1))
        detached = {k: v.detach() for k, v in base.named_parameters()}

        def single(p: Any, x: Any) -> Any:
            return fn.functional_call(base, p, (x.unsqueeze(0),)).squeeze(0)

        jac = fn.vmap(fn.jacrev(single), (None, 0))(detached, x)
        # the NTK tutorial's einsum('Naf,Mbf->NMab') per parameter, summed over parameters
        ntk = lib.stack([(j.flatten(2)[:, None, :, None] * j.flatten(2)[None, :, None]).sum(-1)
                         for j in jac.values()]).sum(0)
        return one, ens, per, {k: (tuple(v.shape), v.requires_grad) for k, v in params.items()}, jac, ntk

    same(run(mt, mx), run(torch, tx))


def test_functional_call_restores_on_error_ties_weights_and_sets_unknown_names() -> None:
    lin = mt.nn.Linear(2, 2)
    lin2 = mt.nn.Linear(2, 2)
    seq = mt.nn.Sequential(lin, lin2)
    lin2.weight = lin.weight
    own = lin.weight
    w = mt.ones(2, 2)
    with pytest.raises(RuntimeError):
        mt.func.functional_call(seq, {"0.weight": w}, (mt.zeros(3, 5),))
    assert lin.weight is own and lin2.weight is own
    x = mt.ones(1, 2)
    tied = mt.func.functional_call(seq, {"0.weight": w}, (x,))
    assert mt.allclose(tied, (x @ w.T + lin.bias) @ w.T + lin2.bias)
    untied = mt.func.functional_call(seq, {"0.weight": w}, (x,), tie_weights=False)
    assert mt.allclose(untied, (x @ w.T + lin.bias) @ own.T + lin2.bias)
    with pytest.raises(ValueError, match="which are tied"):
        mt.func.functional_call(seq, {"0.weight": w, "1.weight": mt.zeros(2, 2)}, (x,))
    seen = mt.func.functional_call(mt.nn.Identity(), {"extra": w}, (x,))
    assert mt.equal(seen, x) and not hasattr(mt.nn.Identity(), "extra")


def test_stateless_functional_call_is_the_deprecated_spelling() -> None:
    lin = mt.nn.Linear(2, 2)
    w, x = mt.ones(2, 2), mt.ones(1, 2)
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        out = mt.nn.utils.stateless.functional_call(lin, {"weight": w}, (x,))
    assert mt.equal(out, mt.func.functional_call(lin, {"weight": w}, (x,)))


def test_replace_all_batch_norm_modules_per_sample_grads() -> None:
    """The per-sample-gradient recipe for a model with BatchNorm: drop the running statistics, then vmap(grad)."""
    rng = np.random.default_rng(4)
    state = {k: v for k, v in _state(5).items() if not k.startswith("bn.running")}
    (tx, mx), (ty, my) = both(arr(3, 2, 2, 4, 4)), both(rng.standard_normal((3, 2, 4)))

    def run(lib: Any, x: Any, y: Any) -> Any:
        fn = lib.func
        net = _net_class(lib)().double()
        net.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()}, strict=False)
        fn.replace_all_batch_norm_modules_(net)
        assert net.bn.running_mean is None and not net.bn.track_running_stats
        # conv.bias is left out: BatchNorm's batch mean cancels it, so its gradient is rounding noise around zero
        params = {k: v.detach() for k, v in net.named_parameters() if k != "conv.bias"}

        def loss(p: dict, x: Any, y: Any) -> Any:
            return ((fn.functional_call(net, p, (x,)) - y) ** 2).mean()

        return fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))(params, x, y)

    same(run(mt, mx, my), run(torch, tx, ty))
