"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``: same constructors, same recursions, same state.

A scheduler rewrites ``group["lr"]`` of its optimizer's param groups each ``step()``. Most of torch's schedulers
are *chainable*: they scale the current lr rather than recompute it from ``base_lrs``, and we follow each one's
exact form (e.g. CosineAnnealingLR's recursion) so the floats agree with torch's bit for bit.

- ``scheduler``: the ``LRScheduler`` base;
- ``epoch_schedules``: LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR;
- ``one_cycle``: OneCycleLR (per batch); ``plateau``: ReduceLROnPlateau (driven by a metric).
"""

from .epoch_schedules import CosineAnnealingLR, ExponentialLR, LambdaLR, MultiStepLR, StepLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .scheduler import LRScheduler

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]
