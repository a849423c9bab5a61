"""torch's ``torch.return_types``: the named tuples that sort, median, kthvalue, mode, cummax/cummin, aminmax and
histogram return (indexable, unpackable, and with the named fields ``.values``/``.indices`` ...)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _named(name: str, fields: list[str]) -> Any:
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    return cls


sort = _named("sort", ["values", "indices"])
median = _named("median", ["values", "indices"])
nanmedian = _named("nanmedian", ["values", "indices"])
kthvalue = _named("kthvalue", ["values", "indices"])
mode = _named("mode", ["values", "indices"])
cummax = _named("cummax", ["values", "indices"])
cummin = _named("cummin", ["values", "indices"])
aminmax = _named("aminmax", ["min", "max"])
histogram = _named("histogram", ["hist", "bin_edges"])
