"""``mt.utils.benchmark``: torch.utils.benchmark's ``Timer`` and ``Measurement`` for Python statements.

``Timer(stmt, setup, globals=...)`` runs ``stmt`` under Python's ``timeit`` machinery with ``num_threads`` kernel
threads (default 1, as torch's Timer) and gives a ``Measurement``: the raw times of each block of ``number_per_run``
runs, their per-run median, mean, IQR (linear quantiles), and torch's repr (title, description, setup, median, IQR
from 4 measurements on, counts and an IQR warning above 10% / 50% of the median).

``timeit(number)`` times one block of ``number`` runs. ``blocked_autorange(min_run_time=0.2)`` first grows the block
size tenfold from 1 until the timer's own overhead (the median of five empty blocks) is at most 1e-4 of a block
lasting at least min_run_time / 1000 (or a block alone exceeds min_run_time), then times blocks until
min_run_time has been spent, as torch's does.
"""

from __future__ import annotations

import math
import textwrap
import timeit as _timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..kernels.threads import get_num_threads, set_num_threads

_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.5


@dataclass(frozen=True)
class TaskSpec:
    """What a Timer measures (the statement, its setup and labels), without its globals."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self) -> str:
        if self.setup == "pass" or not self.setup:
            return ""
        return f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup else f"setup: {self.setup}"

    def summarize(self) -> str:
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join(f"{s}\n" if "\n" in s else s for s in sections if s)


def _select_unit(t: float) -> tuple[str, float]:
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(math.log10(t) // 3) if t > 0 else -3, "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


@dataclass(repr=False)
class Measurement:
    """The times of ``len(raw_times)`` blocks of ``number_per_run`` runs each, with per-run statistics."""

    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict | None = None
    _sorted: tuple[float, ...] = field(default=(), init=False)

    @property
    def times(self) -> list[float]:
        """Per-run times: each block's time divided by ``number_per_run``."""
        return [t / self.number_per_run for t in self.raw_times]

    def _stat(self, q: float | None) -> float:
        if not self._sorted:
            self._sorted = tuple(sorted(self.times))
        arr = np.asarray(self._sorted, dtype=np.float64)
        return float(arr.mean() if q is None else np.quantile(arr, q))

    @property
    def median(self) -> float:
        return self._stat(0.5)

    @property
    def mean(self) -> float:
        return self._stat(None)

    @property
    def iqr(self) -> float:
        return self._stat(0.75) - self._stat(0.25)

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def _warnings(self) -> list[str]:
        for limit, msg in ((_IQR_GROSS_WARN_THRESHOLD, "This suggests significant environmental influence."),
                           (_IQR_WARN_THRESHOLD, "This could indicate system fluctuation.")):
            if not self.meets_confidence(limit):
                return [f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of the median "
                        f"measurement.\n           {msg}"]
        return []

    @property
    def has_warnings(self) -> bool:
        return bool(self._warnings)

    @property
    def title(self) -> str:
        return self.task_spec.title

    def __getattr__(self, name: str) -> Any:
        if name in TaskSpec.__dataclass_fields__:  # stmt, setup, label, ... read through, as torch's
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    def __repr__(self) -> str:
        n, median = len(self.raw_times), self.median
        unit, scale = _select_unit(median)
        threads = self.task_spec.num_threads
        lines = [object.__repr__(self), self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({self._stat(0.25) / scale:.2f} to "
                         f"{self._stat(0.75) / scale:.2f})")
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} thread{'s' if threads > 1 else ''}")
        return "\n".join(lines + self._warnings).strip()


class Timer:
    """Times ``stmt`` (a string of Python, run after ``setup``) with ``globals`` as its namespace."""

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = _timeit.default_timer, globals: dict | None = None,  # noqa: A002
                 label: str | None = None, sub_label: str | None = None, description: str | None = None,
                 env: str | None = None, num_threads: int = 1, language: str = "python") -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in ("python", "py"):
            raise ValueError(f"Timer: language={language!r}: only Python statements can be timed here (C++ needs "
                             "torch's compiled extensions)")
        self._globals = dict(globals or {})
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)
        self._timer = _timeit.Timer(stmt=textwrap.dedent(stmt), setup=textwrap.dedent(setup), timer=timer,
                                    globals=self._globals)

    def _timeit(self, number: int) -> float:
        return max(self._timer.timeit(number), 1e-9)  # a zero time would break the statistics, as torch notes

    def _threads(self, fn: Callable[[], Any]) -> Any:
        before = get_num_threads()
        set_num_threads(self._task_spec.num_threads)
        try:
            return fn()
        finally:
            set_num_threads(before)

    def timeit(self, number: int = 1000000) -> Measurement:
        """One block of ``number`` runs (after one warm-up block of ``max(number // 100, 2)`` runs, as torch's)."""
        def run() -> float:
            self._timeit(max(number // 100, 2))
            return self._timeit(number)

        return Measurement(number_per_run=number, raw_times=[self._threads(run)], task_spec=self._task_spec)

    def _block_size(self, min_run_time: float) -> int:
        overhead = float(np.median([self._timeit(0) for _ in range(5)]))
        number = 1
        while True:
            taken = self._timeit(number)
            if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time:
                return number
            if number * 10 > 2147483647:
                return number
            number *= 10

    def blocked_autorange(self, callback: Callable[[int, float], Any] | None = None,
                          min_run_time: float = 0.2) -> Measurement:
        """Blocks of a size whose timer overhead is negligible, timed until ``min_run_time`` seconds are spent."""
        def run() -> tuple[int, list[float]]:
            number = self._block_size(min_run_time)
            times: list[float] = []
            while sum(times) < min_run_time:
                times.append(self._timeit(number))
                if callback:
                    callback(number, times[-1])
            return number, times

        number, times = self._threads(run)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)


__all__ = ["Measurement", "TaskSpec", "Timer"]
