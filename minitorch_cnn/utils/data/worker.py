"""DataLoader worker processes, as torch's: ``num_workers`` processes each build whole batches from index lists.

The main process samples the indices, hands batch ``k`` to worker ``k mod N`` (at most ``prefetch_factor`` batches
outstanding per worker) and yields the results in order. Worker ``i`` seeds Python's ``random``, the global
generator (``mt.manual_seed``) and NumPy's legacy global generator with ``base_seed + i`` (``base_seed`` drawn per
epoch from the loader's generator, else the global one), as torch seeds its workers; ``get_worker_info()`` tells a
dataset which worker it is in; ``worker_init_fn(i)`` runs after the seeding. An exception in a worker comes back
to the main process with its traceback and is raised there as the same type; a worker that dies (killed, crashed)
or a batch that takes longer than ``timeout`` seconds raises a RuntimeError: never a hang.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import queue
import random
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import backend
from .dataset import IterableDataset

_POLL_S = 1.0  # how often a waiting main process checks that its workers are alive


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker (torch's fields)."""

    id: int  # noqa: A003 - torch's name
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its id, the number of workers, its seed and its copy of the dataset; else None."""
    return _worker_info


class _Failure:
    """An exception raised in a worker, carried back as its type and formatted traceback."""

    def __init__(self, worker_id: int, exc: BaseException) -> None:
        self.exc_type = type(exc)
        self.text = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\nOriginal "
                     + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))

    def reraise(self) -> None:
        try:
            error = self.exc_type(self.text)
        except Exception:  # noqa: BLE001 - an exception type whose constructor takes other arguments
            error = RuntimeError(self.text)
        raise error


class _Exhausted:
    """A worker's IterableDataset copy has ended: it gets no more tasks this epoch."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


def _loop(worker_id: int, num_workers: int, seed: int, dataset: Any, fetch: Callable[[Any, Any], Any],
          init_fn: Callable[[int], Any] | None, tasks: Any, results: Any) -> None:
    """A worker: seed, run ``init_fn``, then turn (k, indices) from ``tasks`` into (k, batch) on ``results``.
    An IterableDataset is fetched from through this worker's iterator over it, made afresh each epoch."""
    global _worker_info
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    random.seed(seed)
    backend.manual_seed(seed)
    np.random.seed(seed % 2**32)
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as exc:  # noqa: BLE001 - reported to the main process
        results.put((None, None, _Failure(worker_id, exc)))
        return
    iterable = isinstance(dataset, IterableDataset)
    stream: tuple[int, Any] | None = None  # (epoch, iterator) of an IterableDataset
    while True:
        task = tasks.get()
        if task is None:
            return
        epoch, k, indices = task
        try:
            if iterable:
                if stream is None or stream[0] != epoch:
                    stream = (epoch, iter(dataset))
                out = fetch(stream[1], indices)
            else:
                out = fetch(dataset, indices)
        except StopIteration:
            out = _Exhausted(worker_id) if iterable else _Failure(worker_id, RuntimeError("StopIteration in fetch"))
        except Exception as exc:  # noqa: BLE001 - reported to the main process with its traceback
            out = _Failure(worker_id, exc)
        results.put((epoch, k, out))


class WorkerPool:
    """``num_workers`` processes fetching batches; ``run(batches)`` yields them in order.

    Tasks carry the number of the ``run`` that sent them, so a persistent pool drops what an abandoned epoch left.
    """

    def __init__(self, dataset: Any, fetch: Callable[[Any, Any], Any], num_workers: int, prefetch_factor: int,
                 timeout: float, init_fn: Callable[[int], Any] | None, context: Any, base_seed: int) -> None:
        ctx = mp.get_context(context) if isinstance(context, str) or context is None else context
        if context is None:
            ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.timeout, self.depth, self.epoch = timeout, prefetch_factor * num_workers, 0
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(num_workers)]
        self.procs = [
            ctx.Process(target=_loop, args=(i, num_workers, base_seed + i, dataset, fetch, init_fn, self.tasks[i],
                                            self.results), daemon=True)
            for i in range(num_workers)
        ]
        for p in self.procs:
            p.start()

    def _get(self) -> tuple[Any, Any, Any]:
        waited = 0.0
        while True:
            step = _POLL_S if not self.timeout else min(_POLL_S, self.timeout - waited)
            try:
                return self.results.get(timeout=step)
            except queue.Empty:
                waited += step
            dead = [p for p in self.procs if not p.is_alive()]
            if dead:
                self.close(wait=False)
                p = dead[0]
                raise RuntimeError(f"DataLoader worker (pid {p.pid}) exited unexpectedly with exit code {p.exitcode}")
            if self.timeout and waited >= self.timeout:
                self.close(wait=False)
                raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")

    def run(self, batches: Iterator[Any]) -> Iterator[Any]:
        """The fetched ``batches`` (index lists, or single indices without batching), in order."""
        self.epoch += 1
        sent = done = 0
        ready: dict[int, Any] = {}
        n = len(self.procs)
        active = [True] * n  # False once a worker's IterableDataset copy has ended
        turn = itertools.cycle(range(n))
        exhausted = False
        while True:
            while not exhausted and any(active) and sent - done < self.depth:
                try:
                    indices = next(batches)
                except StopIteration:
                    exhausted = True
                    break
                worker = next(w for w in turn if active[w])  # torch's cycle, skipping ended workers
                self.tasks[worker].put((self.epoch, sent, indices))
                sent += 1
            if done == sent:
                return
            while done not in ready:
                epoch, k, out = self._get()
                if epoch not in (None, self.epoch):
                    continue  # left over from an epoch the caller stopped reading
                if isinstance(out, _Failure):
                    self.close(wait=False)
                    out.reraise()
                if isinstance(out, _Exhausted):
                    active[out.worker_id] = False
                ready[k] = out
            out = ready.pop(done)
            done += 1
            if not isinstance(out, _Exhausted):
                yield out

    def close(self, wait: bool = True) -> None:
        """Stop the workers: asked first, then terminated if they do not finish in a few seconds (at once when
        ``wait`` is False: after an error nothing they still make is wanted)."""
        for q, p in zip(self.tasks, self.procs):
            if p.is_alive():
                try:
                    q.put(None)
                except (OSError, ValueError):
                    continue
        for p in self.procs:
            p.join(timeout=5 if wait else 0)
            if p.is_alive():
                p.terminate()
                p.join()
        self.procs = []
        for q in (*self.tasks, self.results):
            q.cancel_join_thread()
            q.close()
