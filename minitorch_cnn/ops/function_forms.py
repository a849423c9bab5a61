"""torch's top-level function forms of Tensor methods and small queries that scripts call as ``torch.<name>``:

- the in-place functions ``torch.exp_(x)``, ``torch.clamp_(x, …)``, ``torch.zero_(x)`` …: x.<name>(…), x itself
  returned (``FUNCTIONS_INPLACE``);
- the ``*_copy`` functions (``torch.transpose_copy(x, 0, 1)`` …): the view op's result as a new tensor (each piece
  for split/unbind), differentiable as the view op is;
- ``scalar_tensor``, ``fill`` (a tensor like x holding value; x takes a zero gradient), ``empty_strided`` (the
  strides are the array's own), ``frobenius_norm`` / ``nuclear_norm`` (linalg.matrix_norm), ``detach``,
  ``is_same_size``, ``is_signed``, ``is_inference``, ``get_device``, ``typename``.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from . import factories, inplace
from .linalg import matrix_norm

_INPLACE = ("abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
            "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_",
            "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_",
            "gcd_", "i0_", "index_put_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_",
            "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "resize_as_", "round_", "rsqrt_",
            "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_")

_COPIES = ("as_strided", "detach", "diagonal", "expand", "permute", "select", "split", "split_with_sizes", "squeeze",
           "t", "transpose", "unbind", "unfold", "unsqueeze", "view")


def _function(name: str) -> Any:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"torch.{name}(x, ...): x.{name}(...)."
    return fn


def _copy(name: str) -> Any:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        out = getattr(input, name)(*args, **kwargs)
        return tuple(o.clone() for o in out) if isinstance(out, (tuple, list)) else out.clone()
    fn.__name__ = f"{name}_copy"
    fn.__doc__ = f"torch.{name}_copy(x, ...): a copy of x.{name}(...)."
    return fn


FUNCTIONS_INPLACE: dict = {name: _function(name) for name in _INPLACE}
FUNCTIONS_COPY: dict = {f"{name}_copy": _copy(name) for name in _COPIES}


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    """A 0-d tensor holding ``s``, in the default float dtype unless ``dtype`` says otherwise (as torch's)."""
    return factories.tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def fill(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A tensor of x's shape and dtype holding ``value`` (a number or a 0-d tensor)."""
    return inplace._overwrite(input, value)


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
                  **_: Any) -> Tensor:
    """An uninitialised tensor of ``size`` (the strides are the array's own, row-major)."""
    return factories.empty(*tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def frobenius_norm(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """√Σx² over the two dimensions ``dim``."""
    return matrix_norm(input, "fro", tuple(dim), keepdim)


def nuclear_norm(input: Tensor, dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The sum of the singular values over the two dimensions ``dim`` (the last two by default); torch's
    ``nuclear_norm(x, keepdim)`` form is taken too."""
    if isinstance(dim, bool):
        dim, keepdim = (-2, -1), dim
    return matrix_norm(input, "nuc", tuple(dim), keepdim)


def detach(input: Tensor) -> Tensor:  # noqa: A002
    return input.detach()


def is_same_size(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input: Tensor) -> bool:  # noqa: A002
    return input.is_signed()


def is_inference(input: Tensor) -> bool:  # noqa: A002
    return input.is_inference()


def get_device(input: Tensor) -> int:  # noqa: A002
    return input.get_device()


def typename(obj: Any) -> str:
    """'torch.FloatTensor' for a tensor (its legacy type name), the qualified class name for anything else."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = "" if cls.__module__ in ("builtins", "__builtin__", None) else cls.__module__ + "."
    return module + cls.__qualname__
