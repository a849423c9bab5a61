"""Weight averaging, as ``torch.optim.swa_utils``: ``AveragedModel`` (SWA's running mean, or an EMA through
``avg_fn`` / ``multi_avg_fn``), the averaging functions, ``SWALR`` and ``update_bn``.

The averages, per parameter (``p_avg`` the averaged model's copy, ``p`` the model's, ``n`` = ``n_averaged``)::

    SWA:  p_avg = p_avg + (p - p_avg) / (n + 1)       (on the GPU: lerp(p_avg, p, 1 / (n + 1)), as torch's
                                                       foreach path there)
    EMA:  p_avg = lerp(p_avg, p, 1 - decay)            (multi_avg_fn; floating tensors)
          p_avg = decay * p_avg + (1 - decay) * p      (avg_fn, and integer buffers, truncated as torch's copy_)
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad
from ..kernels.numpy_kernels import lerp_
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..ops.factories import tensor as _tensor
from .lr_scheduler.scheduler import LRScheduler, per_group
from .optimizer import Optimizer

__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]

AvgFn = Callable[[Tensor, Tensor, Any], Tensor]
MultiAvgFn = Callable[[Sequence[Tensor], Sequence[Tensor], Any], None]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _write(dest: Tensor, value: Any) -> None:
    """``dest[...] = value`` in place (a float into an integer buffer truncates, as torch's ``copy_``)."""
    data = value._data if isinstance(value, Tensor) else value
    dest._data[...] = data.astype(dest._data.dtype, copy=False) if hasattr(data, "astype") else data
    dest._version += 1


def _is_floating(t: Tensor) -> bool:
    return t._data.dtype.kind in "fc"


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """An exponential moving average over lists of tensors, in place: ``lerp(ema, p, 1 - decay)``."""
    _check_decay(decay)

    def ema_update(ema_params: Sequence[Tensor], current_params: Sequence[Tensor], _: Any) -> None:
        if _is_floating(ema_params[0]):
            for ema, cur in zip(ema_params, current_params):
                lerp_(ema._data, cur._data, 1 - decay)
                ema._version += 1
        else:
            for ema, cur in zip(ema_params, current_params):
                _write(ema, ema._data * decay + cur._data * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """The running (equal-weight) mean over lists of tensors, in place: ``lerp(avg, p, 1 / (n + 1))``."""

    def swa_update(averaged: Sequence[Tensor], current: Sequence[Tensor], num_averaged: Any) -> None:
        """One (device, dtype) group at a time, as AveragedModel calls it; an integer group is refused with the
        error torch's integer path raises."""
        if not _is_floating(averaged[0]):
            if isinstance(num_averaged, Tensor):
                raise RuntimeError("Integer division with addcdiv is no longer supported: the SWA list average "
                                   f"cannot average integer tensors ({averaged[0]._data.dtype}); average the buffers "
                                   "with use_buffers=False or the default average")
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        if isinstance(num_averaged, Tensor):
            # torch's 1 / (n + 1) of an int64 tensor: a tensor of the default dtype (float32 as a rule)
            weight = float(np.asarray(1, dtype=backend.get_default_dtype()) / (int(num_averaged.item()) + 1))
        else:
            weight = 1 / (num_averaged + 1)
        for avg, cur in zip(averaged, current):
            lerp_(avg._data, cur._data, weight)
            avg._version += 1

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """An exponential moving average of one tensor: returns ``decay * ema + (1 - decay) * p``."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """The running mean of one tensor: returns ``avg + (p - avg) / (n + 1)``."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` (as ``self.module``) whose parameters (and buffers, with ``use_buffers``) hold an
    average of the model's over the ``update_parameters`` calls; ``n_averaged`` (a 0-d int64 buffer) counts them.

    ``avg_fn(avg, p, n)`` returns one averaged tensor; ``multi_avg_fn(avgs, ps, n)`` updates lists in place;
    neither gives SWA's equal-weight mean. Without ``use_buffers`` the buffers are copied from the model each update
    (recompute BatchNorm statistics with ``update_bn`` after training).
    """

    n_averaged: Tensor

    def __init__(self, model: Module, device: Any = None, avg_fn: AvgFn | None = None,
                 multi_avg_fn: MultiAvgFn | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _tensor(0, dtype=np.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _tracked(self, model: Module, own: bool) -> Iterable[Tensor]:
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return self.parameters() if own else model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers) into the average; the first call copies them."""
        averaged, current = [], []
        first = int(self.n_averaged.item()) == 0
        for p_avg, p_model in zip(self._tracked(self.module, True), self._tracked(model, False)):
            cur = p_model.detach().to(p_avg.device)
            averaged.append(p_avg.detach())
            current.append(cur)
            if first:
                _write(p_avg, cur)
        if not first and self.avg_fn is not None:
            for p_avg, cur in zip(averaged, current):
                _write(p_avg, self.avg_fn(p_avg, cur, self.n_averaged))
        elif not first:
            n = int(self.n_averaged.item())
            # as torch: the list functions see one (device, dtype) group at a time
            groups: dict[tuple[str, Any], tuple[list[Tensor], list[Tensor]]] = {}
            for p_avg, cur in zip(averaged, current):
                group = groups.setdefault((str(p_avg.device), p_avg._data.dtype), ([], []))
                group[0].append(p_avg)
                group[1].append(cur)
            for (device, _), (avgs, curs) in groups.items():
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(avgs, curs, self.n_averaged.to(device))
                elif not device.startswith("cpu"):
                    get_swa_multi_avg_fn()(avgs, curs, n)
                else:
                    for p_avg, cur in zip(avgs, curs):
                        # torch's CPU path: the running mean's formula, in the parameter's dtype
                        _write(p_avg, p_avg._data + (cur._data - p_avg._data) / (n + 1))
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                _write(b_avg, b_model.detach().to(b_avg.device))
        self.n_averaged._data += 1
        self.n_averaged._version += 1


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader`` (in train mode, as a
    cumulative average: momentum None), then restore the momenta and the training flag. A batch that is a list or
    tuple feeds its first element to the model."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` epochs (``cos`` or ``linear``), then hold it,
    in torch's form (which recovers the previous step's starting lr from the current one)::

        t = clamp(step / max(1, anneal_epochs), 0, 1);  a = anneal(t)
        lr_0 = (lr - a_prev * swa_lr) / (1 - a_prev)    (swa_lr when a_prev == 1)
        lr = swa_lr * a + lr_0 * (1 - a)
    """

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: Literal["cos", "linear"] = "cos", last_epoch: int = -1) -> None:
        for value, group in zip(per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = _cosine_anneal if anneal_strategy == "cos" else _linear_anneal

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [_starting_lr(group["lr"], group["swa_lr"], prev_alpha) for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the anneal function (rebuilt from its name on loading)."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)


def _starting_lr(lr: float, swa_lr: float, alpha: float) -> float:
    """The lr annealing started from, given the lr ``alpha`` of the way to ``swa_lr``."""
    if alpha == 1:
        return swa_lr
    return (lr - alpha * swa_lr) / (1 - alpha)


def _linear_anneal(t: float) -> float:
    return t


def _cosine_anneal(t: float) -> float:
    return (1 - math.cos(math.pi * t)) / 2
