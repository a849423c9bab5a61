"""argparse ``type=`` checkers for the CLI's numbers and devices: a bad value is an argparse error (one line,
exit status 2, no traceback) naming the flag, what it takes and what came."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def int_at_least(least: int) -> Callable[[str], int]:
    """An int ≥ ``least``."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value

    check.__name__ = f"int >= {least}"
    return check


def float_in(low: float, high: float | None = None, *, high_open: bool = False) -> Callable[[str], float]:
    """A finite float in [low, high] (or [low, high) with ``high_open``; no upper bound when high is None)."""
    span = f"[{low}, {'inf' if high is None else high}{')' if high_open or high is None else ']'}"

    def check(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        above = high is not None and (value >= high if high_open else value > high)
        if not (value == value and abs(value) != float("inf")) or value < low or above:
            raise argparse.ArgumentTypeError(f"must be in {span}, got {text}")
        return value

    check.__name__ = f"number in {span}"
    return check


def device(text: str) -> str:
    """'cpu', 'cuda' or 'cuda:N'."""
    kind, colon, index = text.partition(":")
    if kind == "cpu" and not colon or kind == "cuda" and (not colon or index.isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"expected cpu, cuda or cuda:N, got {text!r}")
