"""Floor 3: the ops, one file per family; each op's forward and backward side by side."""

from . import methods, names

methods.install()
names.install()
