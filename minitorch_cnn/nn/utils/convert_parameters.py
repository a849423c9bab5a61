"""``parameters_to_vector`` / ``vector_to_parameters``, as torch.nn.utils's."""

from __future__ import annotations

from collections.abc import Iterable

from ...autograd import Tensor
from ...ops.shape import cat


def _check_device(params: list[Tensor]) -> None:
    devices = {p.device for p in params}
    if len(devices) > 1:
        raise TypeError(f"Found parameters on different devices {sorted(map(str, devices))}: all must share one")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one 1-d Tensor (differentiable, as torch's)."""
    params = list(parameters) if not isinstance(parameters, Tensor) else [parameters]
    _check_device(params)
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's ``.data`` at its slice of ``vec`` (1-d), reshaped: the parameters then share
    ``vec``'s storage, as torch's."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters) if not isinstance(parameters, Tensor) else [parameters]
    _check_device(params)
    need = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != need:
        raise RuntimeError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} does not hold the {need} values "
                           f"of the parameters")
    start = 0
    for p in params:
        n = p.numel()
        p.data = Tensor._wrap(vec._data[start:start + n].reshape(p.shape))
        start += n
