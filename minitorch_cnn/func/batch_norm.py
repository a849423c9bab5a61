"""``torch.func.replace_all_batch_norm_modules_``: BatchNorm without running statistics, for vmap over a model.

Under a transform, BatchNorm's in-place update of its running statistics would mix the samples' (or the ensemble
members') statistics into one buffer; torch's remedy, taken here, is to stop tracking them, so every BatchNorm
normalises with the statistics of the batch it is given, in training and in eval mode alike.
"""

from __future__ import annotations

from ..nn.module import Module
from ..nn.normalization import _BatchNorm


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """In place, every BatchNorm module in ``root`` (itself included) that tracks running statistics drops them
    (``running_mean``, ``running_var``, ``num_batches_tracked`` become None, ``track_running_stats`` False);
    returns ``root``."""
    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
