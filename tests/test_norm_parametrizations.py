"""nn.utils.spectral_norm / weight_norm (hook forms) and nn.utils.parametrizations.spectral_norm / weight_norm
against torch: state_dict keys, forward and every parameter's gradient under random upstream gradients over three
calls (two training calls that run the power iteration in place, one eval call that does not), the u/v buffers
after them, float64 to 1e-10 and float32 against the float64 truth; parametrize's registration and removal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

RNG = np.random.default_rng(11)
WRAPS = ["spectral_norm", "weight_norm", "p.spectral_norm", "p.weight_norm"]


def _wrap(lib, module, wrap: str, **kw):
    utils = lib.nn.utils
    fn = getattr(utils.parametrizations, wrap[2:]) if wrap.startswith("p.") else getattr(utils, wrap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the hook weight_norm's deprecation, tested below
        return fn(module, **kw)


def _run(lib, layer: str, wrap: str, kw: dict, dtype, state=None, xs=None) -> dict:
    prev = lib.get_default_dtype()
    lib.set_default_dtype(lib.float64 if dtype == np.float64 else lib.float32)
    try:
        m = _wrap(lib, getattr(lib.nn, layer)(3, 4, 3, stride=2), wrap, **kw)
    finally:
        lib.set_default_dtype(prev)
    if state is not None:
        m.load_state_dict({k: lib.tensor(v.astype(dtype)) for k, v in state.items()})
    outs = []
    for i, (x, up) in enumerate(xs):
        if i == 2:
            m.eval()
        y = m(lib.tensor(x.astype(dtype)))
        y.backward(lib.tensor(up.astype(dtype)))
        outs.append(y.detach().numpy())
    return {"keys": list(m.state_dict()), "outs": outs, "module": m,
            "grads": {k: p.grad.numpy() for k, p in m.named_parameters() if p.grad is not None},
            "state": {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}}


def _inputs(layer: str) -> list:
    out_hw = 3 if layer == "Conv2d" else 15
    return [(RNG.standard_normal((2, 3, 7, 7)), RNG.standard_normal((2, 4, out_hw, out_hw))) for _ in range(3)]


@pytest.mark.parametrize("layer", ["Conv2d", "ConvTranspose2d"])
@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("kw", [{}, {"dim": 1}], ids=["default dim", "dim 1"])
def test_normalised_layer_matches_torch(layer: str, wrap: str, kw: dict) -> None:
    if "spectral" in wrap and not kw:
        kw = {"n_power_iterations": 2}
    xs = _inputs(layer)
    start = _run(torch, layer, wrap, kw, np.float64, xs=[])["state"]  # torch's initial weights and u, v
    theirs = _run(torch, layer, wrap, kw, np.float64, state=start, xs=xs)
    ours = _run(mt, layer, wrap, kw, np.float64, state=start, xs=xs)
    assert ours["keys"] == theirs["keys"]
    for i, (o, t) in enumerate(zip(ours["outs"], theirs["outs"])):
        assert_close(o, t, np.float64, what=f"output {i}")
    assert ours["grads"].keys() == theirs["grads"].keys()
    for k in theirs["grads"]:
        assert_close(ours["grads"][k], theirs["grads"][k], np.float64, what=f"grad {k}")
    for k in theirs["state"]:
        assert_close(ours["state"][k], theirs["state"][k], np.float64, what=f"state {k}")
    # float32, against the float64 truth from the same float32 values
    start32 = {k: v.astype(np.float32) for k, v in start.items()}
    xs32 = [(x.astype(np.float32), u.astype(np.float32)) for x, u in xs]
    truth = _run(torch, layer, wrap, kw, np.float64, state=start32, xs=xs32)
    ours32 = _run(mt, layer, wrap, kw, np.float32, state=start32, xs=xs32)
    torch32 = _run(torch, layer, wrap, kw, np.float32, state=start32, xs=xs32)
    for i, (o, t, t32) in enumerate(zip(ours32["outs"], truth["outs"], torch32["outs"])):
        assert o.dtype == np.float32
        assert_f32_close(o.ravel(), t.ravel(), torch32=t32.ravel(), what=f"float32 output {i}")
    for k in truth["grads"]:
        assert_f32_close(ours32["grads"][k].ravel(), truth["grads"][k].ravel(),
                         torch32=torch32["grads"][k].ravel(), what=f"float32 grad {k}")


def test_parametrized_module_surface() -> None:
    m = mt.nn.utils.parametrizations.spectral_norm(mt.nn.Linear(5, 3))
    t = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(5, 3))
    assert type(m).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert repr(m) == repr(t)
    assert isinstance(m, mt.nn.Linear)
    assert mt.nn.utils.parametrize.is_parametrized(m) and mt.nn.utils.parametrize.is_parametrized(m, "weight")
    assert mt.nn.utils.parametrize.type_before_parametrizations(m) is mt.nn.Linear
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    with mt.nn.utils.parametrize.cached():
        assert m.weight is m.weight  # computed once inside cached()
    assert m.weight is not m.weight
    # removal leaves the parametrized value in a plain parameter and the original class
    m.eval()
    w = m.weight.detach().numpy().copy()
    mt.nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert type(m) is mt.nn.Linear and "parametrizations" not in dict(m.named_children())
    assert isinstance(m.weight, mt.nn.Parameter)
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        mt.nn.utils.parametrize.remove_parametrizations(m, "weight")


def test_weight_norm_assignment_goes_through_right_inverse() -> None:
    m = mt.nn.utils.parametrizations.weight_norm(mt.nn.Linear(4, 2))
    new = mt.tensor(RNG.standard_normal((2, 4)))
    m.weight = new.float()
    np.testing.assert_allclose(m.weight.detach().numpy(), new.numpy(), rtol=1e-6)


def test_hook_forms_remove_and_refuse_twice() -> None:
    m = mt.nn.utils.spectral_norm(mt.nn.Linear(4, 3))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        mt.nn.utils.spectral_norm(m)
    m(mt.ones(1, 4))
    mt.nn.utils.remove_spectral_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"] and not m._forward_pre_hooks
    with pytest.warns(FutureWarning, match="deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`"):
        w = mt.nn.utils.weight_norm(mt.nn.Linear(4, 3))
    assert list(w.state_dict()) == ["bias", "weight_g", "weight_v"]
    mt.nn.utils.remove_weight_norm(w)
    assert list(w.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        mt.nn.utils.parametrizations.spectral_norm(mt.nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
        mt.nn.utils.parametrizations.spectral_norm(mt.nn.Linear(2, 2), name="kernel")


def test_spectral_norm_normalises_to_unit_largest_singular_value() -> None:
    """Many training calls: the power iteration converges and σ_max(weight) -> 1, as the method promises."""
    m = mt.nn.utils.parametrizations.spectral_norm(mt.nn.Linear(6, 5).double(), n_power_iterations=5)
    for _ in range(5):
        m(mt.ones(1, 6, dtype=mt.float64))
    s = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)
    assert abs(s[0] - 1) < 1e-8
