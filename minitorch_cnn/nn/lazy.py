"""Lazy modules: ``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d/2d``, whose input size is read at the first
forward, as torch's.

Until then their parameters are ``UninitializedParameter``s (and BatchNorm's running statistics
``UninitializedBuffer``s): real Parameter objects without a shape, which an optimizer can already hold. The first
forward materialises each in place (the same object gets its array and becomes a plain ``Parameter``, so the
optimizer's reference stays valid), runs the non-lazy module's ``reset_parameters`` (the same initialisation and
RNG draws as constructing the non-lazy module at that point) and turns the module into its non-lazy class
(``LazyLinear`` becomes ``Linear``). ``state_dict`` holds the uninitialised objects until then; loading a
checkpoint with real tensors into a lazy module materialises it with the checkpoint's shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad
from .conv import Conv2d
from .linear import Linear
from .module import _state_array
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import Parameter

_SHAPELESS = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
              "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
              "`forward` to initialize the parameters before accessing their attributes.")


class _Uninitialized:
    """What the two placeholder classes share: no shape until ``materialize`` gives one.

    The placeholder keeps an empty array of the dtype and on the device it will have, so ``module.to()``,
    ``.double()`` ... before the first forward decide the materialised tensor's dtype and device, as in torch.
    """

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor an (uninitialised) array of ``shape`` and make it a ``cls_to_become``, in place."""
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
        old = self._data
        arr = backend.array_module(old).empty(shape, dtype=old.dtype if dtype is None else backend.to_dtype(dtype))
        self._data = backend.move_to(arr, device) if device is not None else arr
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> tuple:
        raise RuntimeError(_SHAPELESS)

    def size(self, dim: int | None = None) -> Any:
        raise RuntimeError(_SHAPELESS)

    @property
    def ndim(self) -> int:
        raise RuntimeError(_SHAPELESS)

    def dim(self) -> int:
        raise RuntimeError(_SHAPELESS)

    def numel(self) -> int:
        raise RuntimeError(_SHAPELESS)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without a shape yet (``torch.nn.parameter.UninitializedParameter``)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(_placeholder(device, dtype), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer without a shape yet (``torch.nn.parameter.UninitializedBuffer``)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        self._set(_placeholder(device, dtype))
        if requires_grad:
            self.requires_grad_(True)


def _placeholder(device: Any, dtype: Any) -> Any:
    arr = np.empty(0, dtype=backend.to_dtype(dtype) if dtype is not None else backend.get_default_dtype())
    return backend.move_to(arr, device) if device is not None else arr


def is_lazy(t: Any) -> bool:
    """Whether ``t`` is a parameter or buffer still waiting for its shape (``torch.nn.parameter.is_lazy``)."""
    return isinstance(t, _Uninitialized)


class LazyModuleMixin:
    """The lazy machinery (``torch.nn.modules.lazy.LazyModuleMixin``): a forward pre-hook that calls
    ``initialize_parameters(*inputs)`` once, then turns the module into ``cls_to_become``."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """Whether any own parameter or buffer still waits for its shape."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args: Any) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        # placeholders go in as they are (they have no values to detach), as torch's
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            if t is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = t if keep_vars or is_lazy(t) else t.detach()

    def _load_from_state_dict(self, state_dict: dict, prefix: str, expected: set, missing: list, errors: list,
                              copies: list) -> None:
        # a placeholder takes the checkpoint's shape; one loaded from another placeholder stays as it is
        still_lazy = []
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if t is None or not is_lazy(t) or key not in state_dict:
                continue
            if is_lazy(state_dict[key]):
                still_lazy.append(key)
                state_dict.pop(key)
            else:
                with no_grad():
                    t.materialize(_state_array(state_dict[key]).shape)
        super()._load_from_state_dict(state_dict, prefix, expected, missing, errors, copies)
        expected.update(still_lazy)
        missing[:] = [k for k in missing if k not in still_lazy]


def _infer_parameters(module: Any, args: tuple) -> None:
    """The pre-hook: shapes from the first input, the non-lazy init, then the non-lazy class."""
    with no_grad():
        module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose in_features is the last size of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, False)  # no parameters drawn yet: in_features is unknown
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002 - torch's name
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        else:  # materialised by load_state_dict: the size comes from the loaded weight (torch leaves 0 there)
            self.in_features = self.weight.shape[1]


class _LazyConvBase(LazyModuleMixin):
    """torch's ``_LazyConvXdMixin``: ``transposed`` says the weight's layout, ``spatial_dims`` the input's."""

    transposed = False
    spatial_dims = 1

    def _lazy_weights(self, out_channels: int, groups: int, bias: bool, device: Any, dtype: Any) -> None:
        self.out_channels = out_channels
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups ({groups})")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _in_channels(self, input: Tensor) -> int:  # noqa: A002 - torch's name
        unbatched = self.spatial_dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {list(input.shape)}")
        return input.shape[1] if input.ndim == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:  # noqa: A002 - torch's name
        if self.has_uninitialized_params():
            self.in_channels = self._in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            outer = (self.in_channels, self.out_channels // self.groups) if self.transposed else (
                self.out_channels, self.in_channels // self.groups)
            self.weight.materialize((*outer, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        else:  # materialised by load_state_dict: the size comes from the loaded weight
            self.in_channels = self.weight.shape[0] if self.transposed else self.weight.shape[1] * self.groups


class _LazyConvMixin(_LazyConvBase):
    """The lazy convolutions: weight (C_out, C_in/groups, *kernel_size), torch's constructor."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)


class _LazyConvTransposeMixin(_LazyConvBase):
    """The lazy transposed convolutions: weight (C_in, C_out/groups, *kernel_size), torch's constructor."""

    transposed = True

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """``Conv2d`` whose in_channels is the channel size of the first input."""

    cls_to_become = Conv2d
    spatial_dims = 2

    def _in_channels(self, input: Tensor) -> int:  # noqa: A002 - torch's name
        if input.ndim not in (3, 4):
            raise RuntimeError(f"{self._get_name()}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got "
                               f"{tuple(input.shape)}")
        return input.shape[-3]


class _LazyNormBase(LazyModuleMixin):
    """Lazy BatchNorm: weight, bias, running_mean and running_var wait for num_features (the input's dim 1);
    num_batches_tracked is a real buffer from the start, as torch's."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, eps, momentum, False, False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = Tensor._wrap(np.zeros((), dtype=np.int64))
            if device is not None:
                self.num_batches_tracked = self.num_batches_tracked.to(device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002 - torch's name
        if self.has_uninitialized_params():
            if input.ndim < 2:
                raise RuntimeError(f"{self._get_name()}: expected an input (N, C, *), got {tuple(input.shape)}")
            self.num_features = input.shape[1]
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()
        else:  # materialised by load_state_dict (see LazyLinear); with neither, the input tells
            known = [t for t in (self.weight, self.running_mean) if t is not None]
            self.num_features = known[0].shape[0] if known else input.shape[1]


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """``BatchNorm1d`` whose num_features is the first input's dim 1."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """``BatchNorm2d`` whose num_features is the first input's dim 1."""

    cls_to_become = BatchNorm2d
