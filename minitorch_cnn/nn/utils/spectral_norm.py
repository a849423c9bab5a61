"""``torch.nn.utils.spectral_norm`` / ``remove_spectral_norm``: the hook form of spectral normalisation.

The parameter moves to ``<name>_orig``, with buffers ``<name>_u`` and ``<name>_v`` (the state_dict keys torch
writes); a forward pre-hook sets ``module.<name>`` before every call (the maths of
``parametrizations.spectral_norm``, in torch's older order):

    W = <name>_orig as a matrix (dim first);  training: n times  v = normalize(Wᵀ u),  u = normalize(W v)
    (in place in the buffers, no gradient; then copies of u and v enter the graph);  weight = W_orig / (uᵀ W v)

Before the first call ``module.<name>`` is the unnormalised weight, as torch's.
"""

from __future__ import annotations

from typing import Any

from ...autograd import Tensor, no_grad
from ...ops import elementwise as ew
from ...ops.lp_normalize import normalize
from ...ops.matmul import dot, mv
from ...ops.shape import flatten, permute
from ..conv_transpose import ConvTranspose2d
from ..module import Module
from ..parameter import Parameter


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>``; one per parametrized tensor."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = permute(weight, (self.dim, *(d for d in range(weight.ndim) if d != self.dim)))
        return flatten(weight, 1) if weight.ndim > 1 else weight.reshape(weight.shape[0], 1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    normalize(mv(weight_mat.t(), u), dim=0, eps=self.eps, out=v)
                    normalize(mv(weight_mat, v), dim=0, eps=self.eps, out=u)
            u, v = u.clone(), v.clone()  # the buffers change in the next call; this graph keeps these values
        sigma = dot(u, mv(weight_mat, v))
        return ew.div(weight, sigma)

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))


def _hooks(module: Module) -> list[tuple[Any, SpectralNorm]]:
    return [(k, h) for k, h in module._forward_pre_hooks.items() if isinstance(h, SpectralNorm)]


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Spectral normalisation of ``module.<name>`` by a forward pre-hook (see the module docstring); ``dim``
    defaults to 1 for transposed convolutions, else 0."""
    if dim is None:
        dim = 1 if isinstance(module, ConvTranspose2d) else 0
    for _, hook in _hooks(module):
        if hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters.get(name)
    if weight is None:
        raise AttributeError(f"'{type(module).__name__}' object has no parameter '{name}' to normalise")
    with no_grad():
        weight_mat = fn.reshape_weight_to_matrix(weight)
        h, w = weight_mat.shape
        u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
        v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.data)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``module.<name>`` becomes a parameter holding the normalised weight."""
    for key, hook in _hooks(module):
        if hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
