"""The unary elementwise math surface against torch: values over wide ranges with inf, NaN and ±0, dtypes
(integer inputs), gradients with a random upstream gradient, second order, methods and in-place forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._math_surface import check_op, same

_EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-300, -1e-300, 1e300])
_RNG = np.random.default_rng(0)
WIDE = np.concatenate([_RNG.standard_normal(40) * 5, _RNG.uniform(-1e6, 1e6, 10), _EDGES])
UNIT = np.concatenate([_RNG.uniform(-1.2, 1.2, 40), [0.0, -0.0, 0.99999, -0.99999, 1.0, -1.0, np.nan, 0.5]])
# smooth points only for gradients (away from poles and domain edges where torch's own formula gives inf/NaN)
SMOOTH = {
    "pos": _RNG.uniform(0.1, 30.0, 30), "unit": _RNG.uniform(-0.95, 0.95, 30), "any": _RNG.standard_normal(30) * 3,
    "gt1": _RNG.uniform(1.1, 20.0, 30), "prob": _RNG.uniform(0.05, 0.95, 30),
    "gamma": np.concatenate([_RNG.uniform(0.05, 40.0, 25), [-0.5, -1.5, -2.7, -10.3]]),
}

# name -> (torch function, domain for gradients, values for the forward check)
UNARY = {
    "log1p": (torch.log1p, "pos", WIDE), "expm1": (torch.expm1, "any", WIDE), "log2": (torch.log2, "pos", WIDE),
    "log10": (torch.log10, "pos", WIDE), "exp2": (torch.exp2, "any", WIDE), "rsqrt": (torch.rsqrt, "pos", WIDE),
    "reciprocal": (torch.reciprocal, "pos", WIDE), "asinh": (torch.asinh, "any", WIDE),
    "acosh": (torch.acosh, "gt1", WIDE), "atanh": (torch.atanh, "unit", UNIT), "sinc": (torch.sinc, "any", WIDE),
    "deg2rad": (torch.deg2rad, "any", WIDE), "rad2deg": (torch.rad2deg, "any", WIDE),
    "erf": (torch.erf, "any", WIDE), "erfc": (torch.erfc, "any", WIDE), "lgamma": (torch.lgamma, "gamma", WIDE),
    "digamma": (torch.digamma, "gamma", WIDE), "logit": (torch.logit, "prob", UNIT),
    "square": (torch.square, "any", WIDE), "sgn": (torch.sgn, "any", WIDE), "negative": (torch.negative, "any", WIDE),
    "absolute": (torch.absolute, "any", WIDE), "floor": (torch.floor, "any", WIDE), "ceil": (torch.ceil, "any", WIDE),
    "round": (torch.round, "any", WIDE), "trunc": (torch.trunc, "any", WIDE), "fix": (torch.fix, "any", WIDE),
    "frac": (torch.frac, "any", WIDE), "nan_to_num": (torch.nan_to_num, "any", WIDE),
    "arcsinh": (torch.arcsinh, "any", WIDE), "arccosh": (torch.arccosh, "gt1", WIDE),
    "arctanh": (torch.arctanh, "unit", UNIT), "i0": (torch.i0, "any", WIDE),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_match_torch_with_edges(name: str) -> None:
    theirs, _, values = UNARY[name]
    check_op(getattr(mt, name), theirs, [values], grad=False, what=name)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradients_and_second_order_match_torch(name: str) -> None:
    theirs, domain, _ = UNARY[name]
    check_op(getattr(mt, name), theirs, [SMOOTH[domain]], what=name)


def test_erfinv_matches_torch_inside_its_well_conditioned_range() -> None:
    # near ±1 erfinv's condition number passes 1e6 (its slope is √π/2·e^(y²)): there both are as exact as erf
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 201), [0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan, 1e-300]])
    check_op(mt.erfinv, torch.erfinv, [y], grad=False, what="erfinv")
    check_op(mt.erfinv, torch.erfinv, [SMOOTH["unit"]], what="erfinv")


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma_matches_torch(n: int) -> None:
    check_op(lambda x: mt.polygamma(n, x), lambda x: torch.polygamma(n, x), [WIDE], grad=False, what=f"poly{n}")
    check_op(lambda x: x.polygamma(n), lambda x: x.polygamma(n), [SMOOTH["gamma"]], what=f"poly{n}")


def test_polygamma_refuses_negative_order() -> None:
    with pytest.raises(RuntimeError, match="does not support negative n"):
        mt.polygamma(-1, mt.tensor([1.0]))


@pytest.mark.parametrize("eps", [None, 0.1, 1e-6, -1.0])
def test_logit_eps_clamps_and_zeroes_the_gradient_outside(eps: float | None) -> None:
    x = np.array([-0.5, 0.0, 0.05, 0.3, 0.5, 0.95, 1.0, 1.5])
    check_op(lambda t: mt.logit(t, eps=eps), lambda t: torch.logit(t, eps=eps), [x], grad=False, what="logit")
    check_op(lambda t: t.logit(eps), lambda t: t.logit(eps), [SMOOTH["prob"]], what="logit")


@pytest.mark.parametrize("decimals", [-2, -1, 1, 3])
def test_round_decimals_matches_torch(decimals: int) -> None:
    x = np.concatenate([WIDE, [0.125, 0.135, 2.5, 3.5, -2.5, 1234.5678, 15.0, 25.0]])
    check_op(lambda t: mt.round(t, decimals=decimals), lambda t: torch.round(t, decimals=decimals), [x],
             what="round")


@pytest.mark.parametrize("kw", [{}, {"nan": 1.5}, {"nan": -2.0, "posinf": 7.0, "neginf": -9.0}])
def test_nan_to_num_replacements_and_gradient(kw: dict) -> None:
    check_op(lambda t: mt.nan_to_num(t, **kw), lambda t: torch.nan_to_num(t, **kw), [WIDE], what="nan_to_num")


@pytest.mark.parametrize("name", sorted(UNARY) + ["erfinv", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
                                                  "isreal", "signbit"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_inputs_give_torch_dtype_or_error(name: str, dtype: type) -> None:
    a = np.array([-3, 0, 2, 7]).astype(dtype)
    try:
        want = getattr(torch, name)(torch.tensor(a))
    except (RuntimeError, NotImplementedError) as exc:
        with pytest.raises(type(exc), match=str(exc).split(" on a")[0][:30].replace("(", r"\(").replace("'", ".")):
            getattr(mt, name)(mt.tensor(a))
        return
    same(getattr(mt, name)(mt.tensor(a)), want, tol=1e-6 if want.dtype == torch.float32 else 0, what=name)


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit"])
def test_predicates_are_bool_and_match_torch(name: str) -> None:
    for dtype in (np.float64, np.float32):
        x = WIDE.astype(dtype)
        ours = getattr(mt.tensor(x), name)()
        assert not ours.requires_grad
        same(ours, getattr(torch, name)(torch.tensor(x)), what=name)


@pytest.mark.parametrize("name", sorted(n for n in UNARY if not n.startswith("arc")) + ["erfinv", "polygamma"])
def test_in_place_forms_write_the_result(name: str) -> None:
    x = SMOOTH["prob"].copy()
    args = (2,) if name == "polygamma" else ()
    m, t = mt.tensor(x), torch.tensor(x)
    out = getattr(m, f"{name}_")(*args)
    assert out is m
    same(m, getattr(t, f"{name}_")(*args), what=f"{name}_")


def test_positive_is_the_input_and_refuses_bool() -> None:
    x = mt.tensor([1.0, -2.0])
    assert mt.positive(x) is x
    with pytest.raises(NotImplementedError, match="The `\\+` operator, on a bool tensor is not supported"):
        mt.positive(mt.tensor([True]))
    with pytest.raises(NotImplementedError, match="Negation, the `-` operator, on a bool tensor"):
        mt.negative(mt.tensor([True]))


@pytest.mark.parametrize("name", ["erf", "lgamma", "floor", "sgn", "logit", "nan_to_num", "frac", "deg2rad"])
def test_grad_fn_names_are_torch_names(name: str) -> None:
    x = np.array([0.3, 0.6])
    y_m = getattr(mt, name)(mt.tensor(x, requires_grad=True))
    y_t = getattr(torch, name)(torch.tensor(x, requires_grad=True))
    assert y_m.grad_fn.name() == y_t.grad_fn.name()


def test_out_argument_writes_into_the_given_tensor() -> None:
    out = mt.empty(3, dtype=mt.float64)
    res = mt.log1p(mt.tensor([0.5, 1.0, 2.0], dtype=mt.float64), out=out)
    assert res is out
    same(out, torch.log1p(torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)))


@pytest.mark.parametrize("name", ["log1p", "erf", "floor", "round", "frac", "isnan", "signbit", "nan_to_num", "sinc"])
def test_non_tensor_input_raises_torchs_type_error(name: str) -> None:
    with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"):
        getattr(mt, name)([1.0])
    with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"):
        getattr(torch, name)([1.0])


def test_special_i1_values_gradient_at_zero_and_second_order() -> None:
    check_op(mt.special.i1, torch.special.i1, [WIDE], grad=False, what="i1")
    check_op(mt.special.i1, torch.special.i1, [np.concatenate([SMOOTH["any"], [0.0, 1e-20]])], what="i1")


@pytest.mark.parametrize("name", ["i0e", "i1e", "entr", "ndtr"])
def test_special_scaled_bessel_entropy_and_normal_cdf(name: str) -> None:
    ours, theirs = getattr(mt.special, name), getattr(torch.special, name)
    check_op(ours, theirs, [WIDE], grad=False, what=name)
    smooth = SMOOTH["pos"] if name == "entr" else np.concatenate([SMOOTH["any"], [0.0, 1e-20, 12.0, -15.0]])
    check_op(ours, theirs, [smooth], what=name)


def test_special_multigammaln_values_gradient_and_errors() -> None:
    x = _RNG.uniform(2.6, 30.0, 10)
    for p in (1, 2, 5):
        check_op(lambda t, p=p: mt.special.multigammaln(t, p), lambda t, p=p: torch.special.multigammaln(t, p), [x],
                 what=f"multigammaln {p}")
    with pytest.raises(RuntimeError, match=r"All elements must be greater than \(p-1\)/2"):
        mt.special.multigammaln(mt.tensor([1.0, 3.0]), 4)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        mt.special.multigammaln(mt.tensor([1.0]), 0)
