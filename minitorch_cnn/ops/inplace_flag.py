"""The ``inplace=True`` flag of torch's activations and dropouts (``F.elu(x, inplace=True)``, ``nn.SiLU(inplace=True)``,
``F.dropout(x, inplace=True)`` ...): the out-of-place op's result written into ``x``'s storage by
``inplace.apply_inplace``, so the returned tensor is ``x``, a kept reference or alias sees the result, the version
counter moves, a leaf that requires grad refuses, and a view (a slice) inside a graph rewrites its base as torch's
CopySlices (``autograd/views.py``). The maths is the out-of-place op's: y = f(x) replaces x, dL/dx_old =
f'(x_old)·dL/dy, its own backward (and backward_graph, so second order works).

torch names some in-place nodes apart from the out-of-place ones (``EluBackward1`` for ``elu_``,
``HardtanhBackward0`` for ``relu6_``): ``torch_name`` renames the node the op made, by a subclass of its class
that only sets ``torch_name`` (``Function.name`` reads it), so the graph prints as torch's. torch's in-place ELUs
and leaky ReLUs with a negative slope run forward but refuse their backward (it reads the result, which a negative
slope makes ambiguous): ``refusal`` gives the node a backward that raises torch's message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..autograd import Tensor
from ..autograd.grad_mode import _enabled
from .inplace import _is_view_in_graph, apply_inplace


def writes_in_place(input: Tensor) -> bool:  # noqa: A002 - torch's name
    """Whether ``inplace=True`` writes into ``input``: always, but for an array that shares memory with a graph
    input without being recorded as its view (no ``_base`` to rewrite), which is computed out of place."""
    return not (_enabled[0] and input.requires_grad and input._base is None and _is_view_in_graph(input))


NEGATIVE_ELU = ("In-place elu backward calculation is triggered with a negative slope which is not supported. This is "
                "caused by calling in-place forward function with a negative slope, please call out-of-place version "
                "instead.")
NEGATIVE_LEAKY = ("In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
                  "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
                  "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
                  "in-place leakRelu backward calculation with negative slope")


@functools.cache
def _named(cls: type, torch_name: str | None, refusal: str | None) -> type:
    attrs: dict = {"__slots__": (), "__module__": cls.__module__}
    if torch_name is not None:
        attrs["torch_name"] = torch_name
    if refusal is not None:
        def refuse(self: object, *grads: object) -> None:
            raise RuntimeError(refusal)

        attrs["backward"] = attrs["backward_graph"] = refuse
    return type(cls.__name__, (cls,), attrs)


def _renamed(out: Tensor, torch_name: str | None, refusal: str | None) -> Tensor:
    node = out.grad_fn
    if (torch_name is not None or refusal is not None) and node is not None:
        node.__class__ = _named(type(node), torch_name, refusal)
    return out


def write_in_place(input: Tensor, fn: Callable[..., Tensor], args: tuple, name: str,  # noqa: A002
                   torch_name: str | None = None, refusal: str | None = None) -> Tensor:
    """``fn(input, *args)`` written into ``input`` (returned), its node named ``torch_name`` when given and its
    backward raising ``refusal`` when given."""
    return apply_inplace(input, lambda x, *a: _renamed(fn(x, *a), torch_name, refusal), args, {}, name)


def maybe_in_place(input: Tensor, fn: Callable[..., Tensor], args: tuple, inplace: bool, name: str,  # noqa: A002
                   torch_name: str | None = None, refusal: str | None = None) -> Tensor:
    """``fn(input, *args)``; with ``inplace`` written into ``input`` as torch's (``write_in_place``)."""
    if inplace and writes_in_place(input):
        return write_in_place(input, fn, args, name, torch_name, refusal)
    return fn(input, *args)

