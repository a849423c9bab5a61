"""kernels.threadpool: how a batch is split, the pool's results, errors and BLAS setting, and forks."""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time

import numpy as np
import pytest

import minitorch_cnn as mt
from minitorch_cnn.kernels import threadpool


@pytest.mark.parametrize("n, parts", [(10, 3), (2, 3), (1, 4), (64, 2), (7, 1)])
def test_split_covers_the_batch_in_near_equal_contiguous_shares(n, parts):
    shares = threadpool.split(n, parts)
    assert len(shares) == min(n, parts)
    assert shares[0][0] == 0 and shares[-1][1] == n
    assert all(a < b for a, b in shares) and all(s[1] == t[0] for s, t in zip(shares, shares[1:]))
    sizes = [b - a for a, b in shares]
    assert max(sizes) - min(sizes) <= 1


def test_run_returns_results_in_order_from_pool_threads():
    def work(a, b):
        return a, b, threadpool.in_worker(), threadpool.workers()

    out = threadpool.run(work, [(0, 1), (1, 2), (2, 3)])
    assert [(a, b) for a, b, _, _ in out] == [(0, 1), (1, 2), (2, 3)]
    assert all(inside and n == 1 for _, _, inside, n in out)  # a pool thread never splits again
    assert not threadpool.in_worker()


def test_run_propagates_errors_and_restores_the_blas_thread_count():
    blas = threadpool._openblas()
    before = blas[1]() if blas is not None else None

    def work(a):
        if a == 1:
            raise ValueError("share 1 failed")
        return a

    with pytest.raises(ValueError, match="share 1 failed"):
        threadpool.run(work, [(0,), (1,)])
    if blas is not None:
        assert blas[1]() == before


def _pool_without_compiled_wait(monkeypatch) -> None:
    """A fresh pool for the test, as where Numba or sched_yield is missing: its threads sleep and wake."""
    fresh = threadpool._Pool()
    fresh.wait = None
    monkeypatch.setattr(threadpool, "_pool", fresh)


@pytest.mark.parametrize("watching", [True, False], ids=["threads watch a flag", "threads sleep and wake"])
def test_hand_offs_lose_no_share_whether_the_pool_thread_watches_or_sleeps(monkeypatch, watching):
    """Shares posted back to back (caught while the pool thread watches its flag), after pauses longer than its
    watch (it sleeps; the post wakes it), and with the compiled wait loop missing altogether."""
    if not watching:
        _pool_without_compiled_wait(monkeypatch)
    for i in range(60):
        if i % 10 == 9:
            time.sleep(0.003)  # past SPIN's ~1 ms: the pool thread has gone to sleep
        out = threadpool.run(lambda a, b: (a, b, threadpool.in_worker()), [(i, 0), (i, 1), (i, 2)])
        assert out == [(i, 0, True), (i, 1, True), (i, 2, True)]


def _within(seconds: float, fn, *args):
    """fn(*args) on a helper thread; fails (instead of hanging the suite) when it does not return in time."""
    box: list = []

    def call() -> None:
        try:
            box.append((True, fn(*args)))
        except Exception as exc:  # noqa: BLE001 - raised again on the test's thread
            box.append((False, exc))

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"no result within {seconds} s: a share was never started"
    ok, value = box[0]
    if not ok:
        raise value
    return value


@pytest.mark.parametrize("watching", [True, False], ids=["threads watch a flag", "threads sleep and wake"])
@pytest.mark.parametrize("first", ["posts", "posts late", "never posts"])
def test_signalled_hand_offs_start_every_share(monkeypatch, watching, first):
    """``signal=True``: the first share signals the others (``ready[:] = ready_value``) from inside its work. The
    pool threads must start whether it signals at once, after the threads' watch is over (they must not go to sleep
    on a posted job: that hung), or never (then ``run`` signals once it returns); the other shares get an empty
    ``ready``."""
    if not watching:
        _pool_without_compiled_wait(monkeypatch)
    monkeypatch.setattr(threadpool, "SPIN", 10)  # a short watch, so that "posts late" comes after it

    def work(a, ready, ready_value):
        if a == 0 and first != "never posts":
            if first == "posts late":
                time.sleep(0.005)
            ready[:] = ready_value
        return a, ready.size, threadpool.in_worker()

    for i in range(20):
        if i % 5 == 4:
            time.sleep(0.003)  # the pool threads have gone to sleep
        out = _within(30, threadpool.run, work, [(0,), (1,), (2,)], True)
        assert out == [(0, 2, True), (1, 0, True), (2, 0, True)]


def test_a_signalled_first_share_that_raises_leaves_the_pool_working():
    def work(a, ready, ready_value):
        if a == 0:
            raise ValueError("share 0 failed before posting")
        return a

    with pytest.raises(ValueError, match="share 0 failed"):
        _within(30, threadpool.run, work, [(0,), (1,)], True)
    def posting(a, ready, ready_value):
        ready[:] = ready_value
        return a

    assert _within(30, threadpool.run, posting, [(0,), (1,)], True) == [0, 1]


def test_a_single_signalled_share_gets_an_empty_ready():
    assert threadpool.run(lambda a, ready, v: (a, ready.size, v), [(7,)], signal=True) == [(7, 0, 0)]


def test_set_workers_overrides_and_restores():
    default = threadpool.workers()
    with threadpool.set_workers(5):
        assert threadpool.workers() == 5
        with threadpool.set_workers(1):
            assert threadpool.workers() == 1
        assert threadpool.workers() == 5
    assert threadpool.workers() == default


def _conv_in_child(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    with threadpool.set_workers(2), mt.no_grad():
        return mt.nn.functional.conv2d(mt.tensor(x), mt.tensor(w), padding=1).numpy()


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_gets_a_working_pool():
    """DataLoader workers are forked: the parent's pool threads do not exist in the child, which must start its
    own pool instead of waiting on them forever."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3, 6, 6)), rng.standard_normal((5, 3, 3, 3))
    parent = _conv_in_child(x, w)  # the parent's pool now exists
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_conv_in_child, (x, w)).get(timeout=120)
    np.testing.assert_array_equal(child, parent)
