"""``x.detach_()`` / ``mt.detach_(x)``: cut the tensor itself from the autograd graph, in place, as torch.

No maths: the tensor keeps its storage, values and version counter; it loses its ``grad_fn`` and
``requires_grad`` and so becomes a leaf. Graphs recorded before keep their own edges to the node that made it.
A view refuses with torch's error, whatever its base: detaching it alone would leave its base's graph reading it.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor


def detach_(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """Detach ``input`` from the graph that created it, in place; returns ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"detach_(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._base is not None:
        raise RuntimeError(
            "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for "
            "training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence "
            "detach_() cannot be called on these gradients. To fix this error, please refer to the "
            "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
        )
    input.grad_fn, input._requires_grad, input._output_nr = None, False, 0
    return input


METHODS: dict[str, Any] = {"detach_": detach_}
