"""torch's checkpoint format both ways: ``mt.save`` writes what ``torch.load`` reads, ``mt.load`` reads what
``torch.save`` writes, with no torch needed on either side."""

from .load import load
from .save import save

__all__ = ["load", "save"]
