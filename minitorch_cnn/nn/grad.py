"""torch.nn.grad: a convolution's gradient with respect to its input or its weight, given the output gradient.

For y = conv(x, w) (stride, padding, dilation, groups as in ``F.conv1d``/``F.conv2d``) and an output gradient g:

- ``convNd_input(x.shape, w, g)`` = ∂<y, g>/∂x, the transposed convolution of g by w, of the shape asked for;
- ``convNd_weight(x, w.shape, g)`` = ∂<y, g>/∂w, the correlation of x with g summed over the batch.

Both are linear in each argument, so they are computed as the gradient of the convolution at a zero tensor of the
asked shape (the value there does not matter), by the convolution's own backward: the same numbers as the
convolution's gradient, and differentiable again (in ``w`` and ``g``, or ``x`` and ``g``) where those require grad,
as torch's ``ConvolutionBackwardBackward0``. ``F.grad`` is this module, as in torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..autograd import Tensor
from ..autograd.engine import grad as _grad
from ..autograd.grad_mode import _enabled, enable_grad
from ..ops.conv import conv1d, conv2d
from ..ops.factories import zeros


def _check_shapes(out: Tensor, grad_output: Tensor) -> None:
    want, got = tuple(out.shape), tuple(grad_output.shape)
    if len(want) != len(got):
        raise RuntimeError(f"Expected grad_output of dimension {len(want)}, got {len(got)} (shape {list(got)})")
    for d, (w, g) in enumerate(zip(want, got)):
        if w != g:
            raise RuntimeError(f"Expected a tensor of dimension {len(want)} and tensor.size[{d}] == {w} but got: "
                               f"dimension {len(got)} and tensor.size[{d}] = {g}")


def _input_grad(conv: Callable, input_size: Sequence[int], weight: Tensor, grad_output: Tensor, **kw: Any) -> Tensor:
    size = tuple(int(s) for s in input_size)
    if len(size) != weight.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got {len(size)}-dimensional input of size {list(size)} instead")
    graph = _enabled[0] and (weight.requires_grad or grad_output.requires_grad)
    with enable_grad():
        x = zeros(size, dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
        out = conv(x, weight, None, **kw)
        _check_shapes(out, grad_output)
        (gx,) = _grad(out, x, grad_output, create_graph=graph)
    return gx if graph else gx.detach()


def _weight_grad(conv: Callable, input: Tensor, weight_size: Sequence[int], grad_output: Tensor,  # noqa: A002
                 **kw: Any) -> Tensor:
    size = tuple(int(s) for s in weight_size)
    if input.ndim != len(size):
        raise RuntimeError(f"Expected {len(size)}-dimensional input for {len(size)}-dimensional weight "
                           f"{list(size)}, but got {input.ndim}-dimensional input of size {list(input.shape)} instead")
    graph = _enabled[0] and (input.requires_grad or grad_output.requires_grad)
    with enable_grad():
        w = zeros(size, dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
        out = conv(input, w, None, **kw)
        _check_shapes(out, grad_output)
        (gw,) = _grad(out, w, grad_output, create_graph=graph)
    return gw if graph else gw.detach()


def conv1d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of ``F.conv1d`` with respect to its input, of shape ``input_size``."""
    return _input_grad(conv1d, input_size, weight, grad_output, stride=stride, padding=padding,
                       dilation=dilation, groups=groups)


def conv1d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor, stride: Any = 1,  # noqa: A002
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of ``F.conv1d`` with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(conv1d, input, weight_size, grad_output, stride=stride, padding=padding,
                        dilation=dilation, groups=groups)


def conv2d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of ``F.conv2d`` with respect to its input, of shape ``input_size``."""
    return _input_grad(conv2d, input_size, weight, grad_output, stride=stride, padding=padding,
                       dilation=dilation, groups=groups)


def conv2d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor, stride: Any = 1,  # noqa: A002
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of ``F.conv2d`` with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(conv2d, input, weight_size, grad_output, stride=stride, padding=padding,
                        dilation=dilation, groups=groups)
