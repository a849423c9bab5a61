"""The errors ``mt.distributed`` raises, under torch.distributed's names."""

from __future__ import annotations


class DistError(RuntimeError):
    """Base of the errors raised by ``mt.distributed``."""


class DistBackendError(DistError):
    """The communication engine failed or a collective did not finish within the process group's timeout."""
