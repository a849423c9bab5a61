"""``mt.utils``: torch.utils's names for the parts CNN training uses (``mt.utils.data``)."""

from . import data
