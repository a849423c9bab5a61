"""The compiled half of ``threadpool``'s hand-offs: waiting on a flag and raising one, without the GIL.

A thread that waits for a flag in compiled code holds no GIL, so the thread that writes the flag never sleeps on
it; and a kernel that raises its pool threads' flags from compiled code lets them start once it has let go of the
GIL. ``threadpool`` builds its wait loop on ``wait_flag`` (imported lazily: importing the package loads no Numba);
every Numba kernel that a share runs starts with ``signal``.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def signal(ready, ready_value):  # pragma: no cover - compiled
    """``ready[:] = ready_value``: a share's kernel starts the pool threads (``threadpool.run``'s ``signal``)."""
    for k in range(ready.size):
        ready[k] = ready_value


@njit(nogil=True, cache=True)
def wait_flag(flag, value, polls, pause, done, done_value):  # pragma: no cover - compiled
    """Whether flag[0] (an int64 array another thread writes) reaches ``value`` within ``polls`` polls; each poll
    calls ``pause`` (libc's sched_yield, passed in as a first-class function), which lets anything runnable go
    first and, being opaque, makes the compiler read the flag anew every time. First it writes
    ``done[:] = done_value`` (a pool thread saying its share is finished, once it holds no GIL)."""
    signal(done, done_value)
    for _ in range(polls):
        if flag[0] >= value:
            return True
        pause()
    return flag[0] >= value
