"""The binary elementwise math surface against torch: values with broadcasting, Python-number operands and edge
values (±0, inf, NaN, zero divisors), integer dtypes, gradients with a random upstream gradient, second order,
torch's errors, methods and in-place forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._math_surface import check_op, same

_RNG = np.random.default_rng(1)
A = _RNG.standard_normal((3, 4)) * 3
B = _RNG.standard_normal(4) * 3
AWAY = np.sign(B) * (np.abs(B) + 0.3)
POS = _RNG.uniform(0.2, 5.0, 4)
EDGE_A = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5.5, -5.5, 7.0, -7.0, 1e300, 0.0, 3.0, np.inf])
EDGE_B = np.array([0.0, 1.0, -0.0, np.inf, 2.0, -np.inf, 1.0, np.nan, 2.0, -3.0, 3.0, -1e-300, np.nan, 3.0, np.inf])

# name -> (second operand, whether the op is differentiable in both)
BINARY = {
    "atan2": B, "arctan2": B, "hypot": B, "xlogy": POS, "logaddexp": B, "logaddexp2": B, "copysign": B,
    "fmax": B, "fmin": B, "fmod": AWAY, "remainder": AWAY, "nextafter": B, "clamp_min": B, "clamp_max": B,
    "multiply": B, "true_divide": AWAY,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_values_gradients_second_order(name: str) -> None:
    check_op(getattr(mt, name), getattr(torch, name), [A, BINARY[name]], what=name)


@pytest.mark.parametrize("name", sorted(BINARY) + ["heaviside", "floor_divide", "divide"])
def test_binary_edge_values_match_torch(name: str) -> None:
    if name == "heaviside":
        check_op(mt.heaviside, torch.heaviside, [EDGE_A, EDGE_B], grad=False, what=name)
        return
    check_op(getattr(mt, name), getattr(torch, name), [EDGE_A, EDGE_B], grad=False, what=name)


def test_xlogy_zero_times_log_of_nonpositive_is_zero_and_nan_propagates() -> None:
    x = np.array([0.0, 0.0, 0.0, 2.0, 0.0, 1.5])
    y = np.array([0.0, -1.0, np.nan, 0.0, 3.0, np.inf])
    check_op(mt.xlogy, torch.xlogy, [x, y], grad=False, what="xlogy")
    check_op(mt.special.xlogy, torch.special.xlogy, [A, POS], what="special.xlogy")


@pytest.mark.parametrize("mode", ["trunc", "floor", None])
def test_divide_rounding_modes_floats_and_integers(mode: str | None) -> None:
    check_op(lambda a, b: mt.divide(a, b, rounding_mode=mode), lambda a, b: torch.divide(a, b, rounding_mode=mode),
             [A, AWAY], what=f"divide {mode}")
    ia, ib = np.array([-7, -6, -1, 0, 1, 5, 7, 9]), np.array([2, -2, 3, -3, 2, -4, -7, 4])
    same(mt.divide(mt.tensor(ia), mt.tensor(ib), rounding_mode=mode),
         torch.divide(torch.tensor(ia), torch.tensor(ib), rounding_mode=mode), what="int divide")
    same(mt.tensor(ia).div(2.5) if mode is None else mt.divide(mt.tensor(ia), 3, rounding_mode=mode),
         torch.tensor(ia).div(2.5) if mode is None else torch.divide(torch.tensor(ia), 3, rounding_mode=mode))


def test_divide_refuses_an_unknown_rounding_mode() -> None:
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                                           "found 'round'"):
        mt.divide(mt.tensor([1.0]), 2.0, rounding_mode="round")


@pytest.mark.parametrize("name", ["fmod", "remainder", "floor_divide"])
def test_integer_ops_match_torch_and_refuse_zero_divisors(name: str) -> None:
    ia, ib = np.array([-7, -6, -1, 0, 1, 5, 7, 9]), np.array([2, -2, 3, -3, 2, -4, -7, 4])
    same(getattr(mt, name)(mt.tensor(ia), mt.tensor(ib)), getattr(torch, name)(torch.tensor(ia), torch.tensor(ib)))
    same(getattr(mt, name)(mt.tensor(ia), -3), getattr(torch, name)(torch.tensor(ia), -3))
    same(getattr(mt, name)(mt.tensor(ia), 2.5), getattr(torch, name)(torch.tensor(ia), 2.5))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(mt, name)(mt.tensor(ia), mt.tensor(ib * 0))


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_fmod_remainder_scalar_divisor_names_and_gradients(name: str) -> None:
    check_op(lambda a: getattr(mt, name)(a, -1.5), lambda a: getattr(torch, name)(a, -1.5), [A], what=name)
    y_m, y_t = getattr(mt, name)(mt.tensor(A, requires_grad=True), 2.0), getattr(torch, name)(
        torch.tensor(A, requires_grad=True), 2.0)
    assert y_m.grad_fn.name() == y_t.grad_fn.name()


def test_remainder_of_a_number_by_a_tensor() -> None:
    same(mt.remainder(2.5, mt.tensor(AWAY)), torch.remainder(2.5, torch.tensor(AWAY)))


@pytest.mark.parametrize("name", ["floor_divide", "heaviside"])
def test_ops_without_derivative_raise_torchs_error_on_backward(name: str) -> None:
    x = mt.tensor(A, requires_grad=True)
    y = getattr(mt, name)(x, mt.tensor(AWAY))
    assert y.requires_grad
    with pytest.raises(RuntimeError, match=f"derivative for aten::{name} is not implemented"):
        y.sum().backward()


def test_heaviside_refuses_mixed_dtypes_and_numbers() -> None:
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes"):
        mt.heaviside(mt.tensor([1.0]), mt.tensor([1.0], dtype=mt.float64))
    with pytest.raises(TypeError, match="argument 'values' \\(position 2\\) must be Tensor, not float"):
        mt.heaviside(mt.tensor([1.0]), 0.5)
    same(mt.heaviside(mt.tensor([-2, 0, 3]), mt.tensor([7])), torch.heaviside(torch.tensor([-2, 0, 3]),
                                                                             torch.tensor([7])))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_on_integers(name: str) -> None:
    a, b = np.array([0, 4, -6, 12, 7, -9, 0]), np.array([5, 6, 4, -18, 0, -3, 0])
    same(getattr(mt, name)(mt.tensor(a), mt.tensor(b)), getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    same(getattr(mt, name)(mt.tensor(a, dtype=mt.int32), mt.tensor(b)),
         getattr(torch, name)(torch.tensor(a, dtype=torch.int32), torch.tensor(b)))
    with pytest.raises(NotImplementedError, match=f'"{name}_cpu" not implemented for \'Float\''):
        getattr(mt, name)(mt.tensor([1.0]), mt.tensor([2.0]))


INT_CASES = ["atan2", "hypot", "xlogy", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin", "ldexp", "fmod",
             "remainder", "nextafter", "clamp_min", "clamp_max", "float_power", "multiply", "subtract",
             "true_divide", "floor_divide", "greater", "greater_equal", "less", "less_equal", "not_equal"]


@pytest.mark.parametrize("name", INT_CASES)
def test_integer_inputs_give_torchs_dtype_or_error(name: str) -> None:
    a, b = np.array([-3, 0, 2, 7]), np.array([2, 3, -1, 4])
    try:
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    except NotImplementedError as exc:
        with pytest.raises(NotImplementedError, match=str(exc).replace("'", ".")):
            getattr(mt, name)(mt.tensor(a), mt.tensor(b))
        return
    same(getattr(mt, name)(mt.tensor(a), mt.tensor(b)), want, tol=1e-6, what=name)


def test_ldexp_with_integer_exponents() -> None:
    e = np.array([-3, 0, 2, 10])
    check_op(mt.ldexp, torch.ldexp, [A, e], what="ldexp")


@pytest.mark.parametrize("weight", [0.3, 0.7, -0.2, 1.5])
def test_lerp_scalar_weight(weight: float) -> None:
    check_op(lambda s, e: mt.lerp(s, e, weight), lambda s, e: torch.lerp(s, e, weight), [A, B], what="lerp")


def test_lerp_tensor_weight_broadcasts_and_is_differentiable() -> None:
    w = _RNG.uniform(-0.5, 1.5, (3, 1))
    check_op(mt.lerp, torch.lerp, [A, B, w], what="lerp tensor")
    y = mt.lerp(mt.tensor(A, requires_grad=True), mt.tensor(B), mt.tensor(w))
    assert y.grad_fn.name() == "LerpBackward1"


def test_lerp_refuses_mixed_dtypes_and_integers() -> None:
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        mt.lerp(mt.tensor([1.0]), mt.tensor([1.0], dtype=mt.float64), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype long int"):
        mt.lerp(mt.tensor([1.0]), mt.tensor([1.0]), mt.tensor([1]))
    with pytest.raises(NotImplementedError, match="\"lerp_kernel_scalar\" not implemented for 'Long'"):
        mt.lerp(mt.tensor([1]), mt.tensor([2]), 0.5)


@pytest.mark.parametrize("value", [1, 0.5, -2.0])
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv_broadcast_gradients_second_order(name: str, value: float) -> None:
    t2 = AWAY.reshape(1, 4) if name == "addcdiv" else B.reshape(1, 4)
    check_op(lambda x, a, b: getattr(mt, name)(x, a, b, value=value),
             lambda x, a, b: getattr(torch, name)(x, a, b, value=value), [B, A, t2], what=name)
    x = mt.tensor(B, requires_grad=True)
    assert getattr(x, name)(mt.tensor(A), mt.tensor(t2), value=value).grad_fn.name() == f"{name.title()}Backward0"


def test_addcdiv_refuses_integer_division() -> None:
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        mt.addcdiv(mt.tensor([1]), mt.tensor([1]), mt.tensor([2]))


def test_float_power_computes_in_float64_and_its_in_place_form_needs_float64() -> None:
    check_op(mt.float_power, torch.float_power, [np.abs(A) + 0.1, B], what="float_power")
    same(mt.float_power(mt.tensor([1, 2, 3]), 2), torch.float_power(torch.tensor([1, 2, 3]), 2))
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float but the operation's "
                                           "result requires dtype Double"):
        mt.tensor([1.0]).float_power_(2)
    x = mt.tensor([1.5, 2.0], dtype=mt.float64)
    same(x.float_power_(3), torch.tensor([1.5, 2.0], dtype=torch.float64).float_power_(3))


@pytest.mark.parametrize("name", ["clamp_min", "clamp_max"])
def test_clamp_min_max_with_a_number_bound(name: str) -> None:
    check_op(lambda x: getattr(mt, name)(x, 0.3), lambda x: getattr(torch, name)(x, 0.3), [A], what=name)
    x = np.array([-1.0, 0.3, 1.0])  # the gradient at the bound itself
    check_op(lambda t: getattr(mt, name)(t, 0.3), lambda t: getattr(torch, name)(t, 0.3), [x], what=name)
    same(getattr(mt, name)(mt.tensor([1, 2, 3]), 2), getattr(torch, name)(torch.tensor([1, 2, 3]), 2))
    same(getattr(mt, name)(mt.tensor([1, 2, 3]), 1.5), getattr(torch, name)(torch.tensor([1, 2, 3]), 1.5))
    y = getattr(mt, name)(mt.tensor(A, requires_grad=True), 0.3)
    assert y.grad_fn.name() == getattr(torch, name)(torch.tensor(A, requires_grad=True), 0.3).grad_fn.name()


def test_fmax_fmin_ties_and_nans_share_the_gradient_as_torch() -> None:
    a = np.array([1.0, np.nan, 2.0, np.nan, 3.0, -1.0])
    b = np.array([np.nan, 1.0, 2.0, np.nan, 3.0, 4.0])
    for name in ("fmax", "fmin"):
        check_op(getattr(mt, name), getattr(torch, name), [a, b], second=False, what=name)


def test_subtract_alpha_and_comparison_aliases() -> None:
    check_op(lambda a, b: mt.subtract(a, b, alpha=2), lambda a, b: torch.subtract(a, b, alpha=2), [A, B])
    for name in ("greater", "greater_equal", "less", "less_equal", "not_equal"):
        same(getattr(mt.tensor(A), name)(mt.tensor(B)), getattr(torch.tensor(A), name)(torch.tensor(B)))
        m, t = mt.tensor(A), torch.tensor(A)
        same(getattr(m, f"{name}_")(0.5), getattr(t, f"{name}_")(0.5), what=f"{name}_")


IN_PLACE = {"atan2": B, "arctan2": B, "hypot": B, "xlogy": POS, "copysign": B, "ldexp": B, "fmod": AWAY,
            "remainder": AWAY, "divide": AWAY, "floor_divide": AWAY, "true_divide": AWAY, "multiply": B,
            "subtract": B, "nextafter": B, "clamp_min": B, "clamp_max": B}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_write_the_result(name: str) -> None:
    m, t = mt.tensor(A), torch.tensor(A)
    assert getattr(m, f"{name}_")(mt.tensor(IN_PLACE[name])) is m
    same(m, getattr(t, f"{name}_")(torch.tensor(IN_PLACE[name])), what=f"{name}_")


def test_in_place_lerp_addcmul_addcdiv_and_gcd() -> None:
    m, t = mt.tensor(A), torch.tensor(A)
    m.lerp_(mt.tensor(B), 0.25).addcmul_(mt.tensor(A), mt.tensor(B), value=0.5).addcdiv_(mt.tensor(A),
                                                                                         mt.tensor(AWAY))
    t.lerp_(torch.tensor(B), 0.25).addcmul_(torch.tensor(A), torch.tensor(B), value=0.5).addcdiv_(
        torch.tensor(A), torch.tensor(AWAY))
    same(m, t)
    i, j = mt.tensor([4, 6, 9]), torch.tensor([4, 6, 9])
    same(i.gcd_(mt.tensor([6, 4, 3])).lcm_(mt.tensor([5, 5, 2])), j.gcd_(torch.tensor([6, 4, 3])).lcm_(
        torch.tensor([5, 5, 2])))


def test_in_place_addcmul_records_torchs_node() -> None:
    x = mt.tensor(B, requires_grad=True) * 1
    x.addcmul_(mt.tensor(B), mt.tensor(B))
    assert x.grad_fn.name() == "AddcmulBackward0"


SPECIAL = ["expit", "logit", "erf", "erfc", "erfinv", "expm1", "exp2", "log1p", "gammaln", "digamma", "psi", "sinc",
           "round", "i0", "i1", "i0e", "i1e", "entr", "ndtr"]


@pytest.mark.parametrize("name", SPECIAL)
def test_special_module_names_match_torch_special(name: str) -> None:
    x = _RNG.uniform(0.05, 0.95, 12)
    check_op(getattr(mt.special, name), getattr(torch.special, name), [x], what=f"special.{name}")


def test_special_polygamma() -> None:
    x = _RNG.uniform(0.5, 9.0, 12)
    check_op(lambda t: mt.special.polygamma(3, t), lambda t: torch.special.polygamma(3, t), [x], what="polygamma")


def test_floordiv_and_mod_operators_and_div_rounding_mode() -> None:
    for x in (np.array([5, -5, 7, 0]), np.array([5.5, -5.5, 7.0, -0.0])):
        m, t = mt.tensor(x), torch.tensor(x)
        same(m // 2, t // 2)
        same(m % 3, t % 3)
        same(7 // (m + 10), 7 // (t + 10))
        same(7 % (m + 10), 7 % (t + 10))
        same(m.div(2, rounding_mode="floor"), t.div(2, rounding_mode="floor"))
        same(mt.div(m, -3, rounding_mode="trunc"), torch.div(t, -3, rounding_mode="trunc"))
        m //= 2
        t //= 2
        same(m, t)
        m %= 2
        t %= 2
        same(m, t)
    x = mt.tensor([7.0, -7.0])
    x.div_(2, rounding_mode="floor")
    same(x, torch.tensor([7.0, -7.0]).div_(2, rounding_mode="floor"))


def test_special_xlog1py_values_edges_and_gradients() -> None:
    x = np.array([0.0, 0.0, 0.0, 2.0, 0.0, 1.5, -1.0])
    y = np.array([-1.0, -2.0, np.nan, -1.0, 3.0, np.inf, 0.5])
    check_op(mt.special.xlog1py, torch.special.xlog1py, [x, y], grad=False, what="xlog1py")
    check_op(mt.special.xlog1py, torch.special.xlog1py, [A, POS], what="xlog1py")
    assert mt.special.xlog1py(mt.tensor(A, requires_grad=True), mt.tensor(POS)).grad_fn.name() == \
        torch.special.xlog1py(torch.tensor(A, requires_grad=True), torch.tensor(POS)).grad_fn.name()


def test_rsub_and_mvlgamma() -> None:
    check_op(lambda a, b: mt.rsub(a, b, alpha=2), lambda a, b: torch.rsub(a, b, alpha=2), [A, B], what="rsub")
    same(mt.rsub(mt.tensor([1, 2]), 5), torch.rsub(torch.tensor([1, 2]), 5))
    x = _RNG.uniform(1.6, 9.0, 6)
    check_op(lambda t: mt.mvlgamma(t, 2), lambda t: torch.mvlgamma(t, 2), [x], what="mvlgamma")
    m, t = mt.tensor(x), torch.tensor(x)
    same(m.mvlgamma_(3), t.mvlgamma_(3))
    same(mt.tensor([1, 2]).mvlgamma(1), torch.tensor([1, 2]).mvlgamma(1))


SCALAR_CASES = {  # ours with a Python number, torch's form of the same call (a 0-d tensor where torch wants one)
    "xlogy_self": (lambda x: mt.xlogy(2.0, x), lambda x: torch.xlogy(2.0, x)),
    "xlogy_other": (lambda x: mt.xlogy(x, 3.0), lambda x: torch.xlogy(x, 3.0)),
    "atan2": (lambda x: mt.atan2(x, 2.0), lambda x: torch.atan2(x, torch.tensor(2.0, dtype=x.dtype))),
    "hypot": (lambda x: mt.hypot(x, 2.0), lambda x: torch.hypot(x, torch.tensor(2.0, dtype=x.dtype))),
    "copysign": (lambda x: mt.copysign(x, -1.0), lambda x: torch.copysign(x, -1.0)),
    "logaddexp": (lambda x: mt.logaddexp(x, 1.0), lambda x: torch.logaddexp(x, torch.tensor(1.0, dtype=x.dtype))),
    "ldexp": (lambda x: mt.ldexp(x, 3), lambda x: torch.ldexp(x, torch.tensor(3))),
    "remainder": (lambda x: mt.remainder(x, 2.5), lambda x: torch.remainder(x, 2.5)),
    "fmax": (lambda x: mt.fmax(x, 0.5), lambda x: torch.fmax(x, torch.tensor(0.5, dtype=x.dtype))),
}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_python_number_operands_values_gradients_second_order(name: str) -> None:
    ours, theirs = SCALAR_CASES[name]
    check_op(ours, theirs, [POS if name.startswith("xlogy") else A], what=name)
