"""The float32 judge itself: it must fail where an element passes its bound, on arrays of any rank, and say why."""

import numpy as np
import pytest

from tests._parity import assert_f32_close


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)])
def test_an_element_past_its_bound_fails_with_its_own_bound(shape: tuple[int, ...]) -> None:
    truth = np.linspace(1.0, 2.0, int(np.prod(shape))).reshape(shape)
    cond = np.broadcast_to(np.arange(1.0, shape[-1] + 1.0), shape)
    ours = truth.astype(np.float32)
    assert_f32_close(ours, truth, cond=cond)  # float32 rounding alone: within every bound
    bad = ours.copy()
    bad.flat[-1] += np.float32(1e-3)  # the last element's condition is the largest: 1e-3 is still past rtol × it
    with pytest.raises(AssertionError, match=r"bound 4e-05 \(rtol 1e-05 x condition 4;.*1 of \d+ elements"):
        assert_f32_close(bad, truth, cond=np.broadcast_to(np.full(shape[-1], 4.0), shape))


def test_torch_error_widens_the_bound_and_nonfinite_must_match() -> None:
    truth = np.array([[1.0, 2.0], [3.0, np.inf]])
    ours = np.array([[1.0, 2.0 + 1e-3], [3.0, np.inf]], np.float32)
    torch32 = np.array([[1.0, 2.0 + 4e-4], [3.0, np.inf]], np.float32)
    assert_f32_close(ours, truth, torch32=torch32)  # within 4 × torch's own error
    with pytest.raises(AssertionError, match="non-finite values differ"):
        assert_f32_close(np.array([[1.0, 2.0], [3.0, 1.0]], np.float32), truth)
