"""``ReduceOp``: how ``all_reduce`` combines the ranks' tensors, with torch.distributed's names."""

from __future__ import annotations

import enum


class ReduceOp(enum.Enum):
    """SUM, PRODUCT, MIN, MAX, the bitwise BAND/BOR/BXOR, and AVG (the NCCL backend only, as in torch)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    AVG = "avg"
