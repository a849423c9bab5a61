"""``mt.profiler``: torch.profiler's ``profile``, ``record_function`` and ``ProfilerActivity`` over our own ops.

Inside ``with profile(...) as prof:`` every op's forward (``mt::<Function>``, e.g. ``mt::Conv2d``) and every graph
node's backward (its torch name, e.g. ``ConvolutionBackward0``) is timed on the CPU clock (``perf_counter_ns``), as
are the ``record_function(name)`` ranges the user opens. An event's total time is its wall time; its self time is
that less the time of the events run inside it. ``prof.key_averages()`` groups events by name (and, with
``group_by_input_shape=True``, by their inputs' shapes, which ``record_shapes=True`` records) and its ``table``
prints torch's columns (Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls [, Input Shapes]),
sorted by ``sort_by`` and cut at ``row_limit``. ``export_chrome_trace`` writes the events as Chrome trace JSON.

Only CPU activity exists here: asking for ``ProfilerActivity.CUDA`` warns and profiles the CPU, as torch does on a
machine without CUDA.
"""

from __future__ import annotations

import enum
import json
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..autograd.profiling import recorder as _recorder

_MAX_NAME_WIDTH, _MAX_SHAPES_WIDTH = 55, 80


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 2


@dataclass
class FunctionEvent:
    """One timed op or range: name, start and end (microseconds from the profile's start), inputs' shapes."""

    id: int
    name: str
    start_us: float
    end_us: float = 0.0
    input_shapes: list = field(default_factory=list)
    children_us: float = 0.0

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - self.children_us

    @property
    def key(self) -> str:
        return self.name


@dataclass
class FunctionEventAvg:
    """The events of one key summed: ``count``, ``cpu_time_total``, ``self_cpu_time_total``, ``cpu_time`` (mean)."""

    key: str
    input_shapes: list
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    def add(self, evt: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += evt.cpu_time_total
        self.self_cpu_time_total += evt.self_cpu_time_total


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events (or of their averages) with torch's ``table``."""

    def __init__(self, events: Iterable[Any] = (), total_self_us: float | None = None) -> None:
        super().__init__(events)
        self._total_self = total_self_us

    @property
    def self_cpu_time_total(self) -> float:
        if self._total_self is not None:
            return self._total_self
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_name_column_width: int = _MAX_NAME_WIDTH,
              header: str | None = None, top_level_events_only: bool = False) -> str:
        """torch's text table of these events: one row each, sorted by ``sort_by`` (descending), ``row_limit``."""
        events = list(self)
        if sort_by is not None:
            if not events or not hasattr(events[0], sort_by):
                raise AttributeError(f"table: sort_by={sort_by!r}: expected an event attribute such as "
                                     "'cpu_time_total', 'self_cpu_time_total', 'cpu_time' or 'count'")
            events.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit > 0:
            events = events[:row_limit]
        shapes = any(getattr(e, "input_shapes", None) for e in self) and getattr(self, "_by_shape", False)
        name_w = min(max((len(e.key) for e in self), default=4) + 4, max_name_column_width)
        total = self.self_cpu_time_total or 1.0
        cols = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        widths = [name_w] + [12] * 6
        if shapes:
            cols.append("Input Shapes")
            widths.append(min(max(len(str(e.input_shapes)) for e in self) + 4, _MAX_SHAPES_WIDTH))
        sep = "".join("-" * w + "  " for w in widths)

        def row(cells: list[str]) -> str:
            return "".join(f"{c[:w]: >{w}}  " for c, w in zip(cells, widths))

        lines = ([header] if header else []) + [sep, row(cols), sep]
        for e in events:
            avg = e.cpu_time if hasattr(e, "cpu_time") else e.cpu_time_total
            count = getattr(e, "count", 1)
            cells = [e.key if len(e.key) <= name_w - 4 else e.key[:name_w - 7] + "...",
                     f"{e.self_cpu_time_total / total * 100:.2f}%", _format_time(e.self_cpu_time_total),
                     f"{e.cpu_time_total / total * 100:.2f}%", _format_time(e.cpu_time_total), _format_time(avg),
                     str(count)]
            if shapes:
                cells.append(str(e.input_shapes))
            lines.append(row(cells))
        lines += [sep, f"Self CPU time total: {_format_time(self.self_cpu_time_total)}", ""]
        return "\n".join(lines)


def _shape(a: Any) -> list:
    shape = getattr(a, "shape", None)
    return [int(n) for n in shape] if shape is not None else []


class profile:  # noqa: N801 - torch's name
    """Records our ops and ``record_function`` ranges between ``__enter__`` and ``__exit__`` (see the module)."""

    def __init__(self, activities: Iterable[ProfilerActivity] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, schedule: Any = None, on_trace_ready: Any = None) -> None:
        acts = set(activities) if activities is not None else {ProfilerActivity.CPU}
        if ProfilerActivity.CUDA in acts:
            warnings.warn("CUDA is not available here: the profile records CPU activity only", stacklevel=2)
        if schedule is not None:
            raise ValueError("profile: schedule= (step-wise tracing) is not offered here; profile the steps whole")
        self.record_shapes = record_shapes
        self.on_trace_ready = on_trace_ready
        self._events: list[FunctionEvent] = []
        self._stack: list[FunctionEvent] = []
        self._t0 = 0
        self._previous: Any = None

    def _now(self) -> float:
        return (time.perf_counter_ns() - self._t0) / 1000.0

    def begin(self, name: str, args: Iterable[Any] = ()) -> FunctionEvent:
        evt = FunctionEvent(len(self._events), name, self._now(),
                            input_shapes=[_shape(a) for a in args] if self.record_shapes else [])
        self._events.append(evt)
        self._stack.append(evt)
        return evt

    def end(self, evt: FunctionEvent) -> None:
        evt.end_us = self._now()
        while self._stack and self._stack.pop() is not evt:
            pass  # an inner range left open by an exception closes with its parent
        if self._stack:
            self._stack[-1].children_us += evt.cpu_time_total

    def start(self) -> None:
        self._t0 = time.perf_counter_ns()
        self._previous, _recorder[0] = _recorder[0], self

    def stop(self) -> None:
        _recorder[0] = self._previous
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def events(self) -> EventList:
        """Every recorded event, in the order they began."""
        return EventList(self._events)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """The events grouped by name (and by input shapes with ``group_by_input_shape``), in first-seen order."""
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError("key_averages(group_by_input_shape=True) needs profile(record_shapes=True)")
        groups: dict[tuple, FunctionEventAvg] = {}
        for e in self._events:
            key = (e.name, str(e.input_shapes)) if group_by_input_shape else (e.name,)
            if key not in groups:
                groups[key] = FunctionEventAvg(e.name, e.input_shapes if group_by_input_shape else [])
            groups[key].add(e)
        out = EventList(groups.values(), total_self_us=sum(e.self_cpu_time_total for e in self._events))
        out._by_shape = group_by_input_shape
        return out

    def export_chrome_trace(self, path: str) -> None:
        """The events as Chrome trace JSON (complete 'X' events, microseconds), readable by chrome://tracing."""
        trace = [{"ph": "X", "cat": "cpu_op", "name": e.name, "pid": 0, "tid": 0, "ts": e.start_us,
                  "dur": e.cpu_time_total, "args": {"Input Dims": e.input_shapes}} for e in self._events]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)


class record_function:  # noqa: N801 - torch's name
    """A named range in the active profile (no effect outside one), usable as a context manager or decorator."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self._evt: FunctionEvent | None = None
        self._rec: Any = None

    def __enter__(self) -> record_function:
        self._rec = _recorder[0]
        if self._rec is not None:
            self._evt = self._rec.begin(self.name)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._rec is not None and self._evt is not None:
            self._rec.end(self._evt)
        self._evt = self._rec = None

    def __call__(self, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapped


__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "ProfilerActivity", "profile", "record_function"]
