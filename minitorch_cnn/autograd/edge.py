"""``Edge``: what a graph node keeps of one of its inputs."""

from __future__ import annotations

from typing import Any


class Edge:
    """What a node keeps of an input that is not a leaf requiring grad: where its gradient goes and what the
    checks need (version counter, shape, dtype), but not its data.

    As torch's edges: an intermediate array is freed as soon as no op saved it for backward (the output of a
    BatchNorm that feeds a ReLU, the sum of a residual add), instead of living until the graph dies. Leaves that
    require grad stay Tensors: backward writes their ``.grad``.
    """

    __slots__ = ("grad_fn", "_output_nr", "_requires_grad", "_version_counter", "shape", "dtype")

    def __init__(self, t: Any) -> None:
        data = t._data
        self.grad_fn, self._output_nr, self._requires_grad, self._version_counter, self.shape, self.dtype = (
            t.grad_fn, t._output_nr, t._requires_grad, t._version_counter, data.shape, data.dtype
        )


# the name a Tensor reads too (a property there, checked on assignment; a plain alias of the slot here), so code
# walking a node's inputs reads either the same way, and the engine's hot loop reads the slot of both
Edge.requires_grad = Edge._requires_grad
