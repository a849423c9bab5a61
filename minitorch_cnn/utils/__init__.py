"""``mt.utils``: torch.utils's names for the parts CNN training uses (``mt.utils.data``, ``mt.utils.tensorboard``)."""

from . import data, tensorboard
