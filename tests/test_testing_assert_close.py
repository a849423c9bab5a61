"""mt.testing.assert_close against torch.testing.assert_close: the same inputs on both sides must pass or fail
alike, with the same exception type and the same message (torch's ``torch.`` names read ``mt.`` here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

NAN, INF = float("nan"), float("inf")


def _ours(value: Any) -> Any:
    """The same input in our types: torch Tensors become ours; containers are rebuilt around them."""
    if isinstance(value, torch.Tensor):
        out = mt.tensor(value.detach().numpy())
        return mt.nn.Parameter(out) if isinstance(value, torch.nn.Parameter) else out
    if isinstance(value, dict):
        return {k: _ours(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_ours(v) for v in value)
    return value


def _outcome(fn: Any, actual: Any, expected: Any, **kwargs: Any) -> tuple[type | None, str]:
    try:
        fn(actual, expected, **kwargs)
    except (AssertionError, TypeError, ValueError) as error:
        text = str(error).replace(str(mt.nn.Parameter), "<class 'mt.nn.parameter.Parameter'>")
        return type(error), text.replace(str(mt.Tensor), "<class 'mt.Tensor'>").replace("torch.", "mt.")
    return None, ""


CASES = [
    (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.5, 3.0]), {}),
    (torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.1, 4.2]]), {}),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 2e-6]), {}),  # inside float32's default tolerance
    (torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, 2.0 + 1e-6], dtype=torch.float64), {}),
    (torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4]), {}),
    (torch.tensor([True, False]), torch.tensor([True, True]), {}),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0, 3.0]), {}),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64), {}),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1], dtype=torch.float64), dict(check_dtype=False)),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0000001], dtype=torch.float64), dict(check_dtype=False)),
    (torch.tensor([1.0, NAN]), torch.tensor([1.0, NAN]), {}),
    (torch.tensor([1.0, NAN]), torch.tensor([1.0, NAN]), dict(equal_nan=True)),
    (torch.tensor([INF, 1.0]), torch.tensor([INF, 1.0]), {}),
    (torch.tensor([INF]), torch.tensor([-INF]), {}),
    (torch.tensor([0.0, 2.0]), torch.tensor([1e-6, 2.0]), {}),
    (torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]), {}),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]), dict(rtol=0.0, atol=0.0)),
    (torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 2.5]]), dict(rtol=0.1, atol=0.0)),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]), dict(rtol=1e-3)),
    (torch.tensor(1.0), torch.tensor(1.5), {}),
    (torch.ones(2, 3).t(), torch.ones(3, 2), dict(check_stride=True)),
    (torch.nn.Parameter(torch.ones(2)), torch.ones(2), {}),
    (torch.nn.Parameter(torch.ones(2)), torch.ones(2), dict(allow_subclasses=False)),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]), dict(msg="custom")),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]), dict(msg=lambda m: "X" + m[:30])),
    (torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]), {}),
    (torch.tensor([1.0, 2.0]), [1.0, 2.0], {}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.5]), {}),
    (np.array([1, 2]), np.array([1.0, 2.0]), {}),
    (1.0, 1.5, {}),
    (1, 2, {}),
    (1, 1.0, {}),
    (1, 1.0, dict(check_dtype=False)),
    (True, False, {}),
    (np.float64(1.0), 1.0, {}),
    (None, None, {}),
    (None, 1.0, {}),
    ("a", "a", {}),
    ([torch.tensor([1.0, 2.0]), torch.tensor(3.0)], [torch.tensor([1.0, 2.0]), torch.tensor(3.5)], {}),
    ({"a": torch.tensor([1.0, 2.0])}, {"a": torch.tensor([1.0, 2.5])}, {}),
    ({"a": torch.tensor([1.0, 2.0])}, {"b": torch.tensor([1.0, 2.5])}, {}),
    ([torch.tensor(1.0)], [torch.tensor(1.0), torch.tensor(2.0)], {}),
    ([[torch.ones(1)], {"x": torch.ones(1)}], [[torch.ones(1)], {"x": torch.zeros(1)}], {}),
    ([[torch.ones(1)], {"x": torch.ones(1)}], [[torch.ones(1)], {"x": torch.zeros(1)}], dict(msg=lambda m: m[-30:])),
    ((torch.ones(2),), [torch.ones(2)], {}),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]), dict(rtol=1e-3, atol=None)),
    (torch.tensor([1.0, 2.0], dtype=torch.float16), torch.tensor([1.0, 2.001], dtype=torch.float16), {}),
    (torch.tensor([1.0, 2.0], dtype=torch.float16), torch.tensor([1.0, 2.01], dtype=torch.float16), {}),
]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_outcome_and_message_match_torch(case: tuple) -> None:
    actual, expected, kwargs = case
    theirs = _outcome(torch.testing.assert_close, actual, expected, **kwargs)
    ours = _outcome(mt.testing.assert_close, _ours(actual), _ours(expected), **kwargs)
    assert ours == theirs


def test_negative_tolerance_is_refused() -> None:
    with pytest.raises(RuntimeError, match="must be greater than or equal to zero"):
        mt.testing.assert_close(mt.ones(2), mt.ones(2), rtol=-1.0, atol=0.0)
