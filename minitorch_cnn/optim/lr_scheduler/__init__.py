"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``: same constructors, same recursions, same state.

A scheduler rewrites ``group["lr"]`` of its optimizer's param groups each ``step()``. Most of torch's schedulers
are *chainable*: they scale the current lr rather than recompute it from ``base_lrs``, and we follow each one's
exact form (e.g. CosineAnnealingLR's recursion) so the floats agree with torch's bit for bit.

- ``scheduler``: the ``LRScheduler`` base;
- ``epoch_schedules``: LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
  PolynomialLR, ConstantLR, LinearLR;
- ``one_cycle``: OneCycleLR (per batch); ``plateau``: ReduceLROnPlateau (driven by a metric);
- ``warm_restarts``: CosineAnnealingWarmRestarts; ``cyclic``: CyclicLR (per batch);
- ``combined``: SequentialLR, ChainedScheduler (schedulers made of schedulers).
"""

from .combined import ChainedScheduler, SequentialLR
from .cyclic import CyclicLR
from .epoch_schedules import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .scheduler import LRScheduler, _LRScheduler
from .warm_restarts import CosineAnnealingWarmRestarts

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "LinearLR",
    "MultiplicativeLR",
    "PolynomialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]
