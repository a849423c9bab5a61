"""The hook through which ``mt.profiler`` sees each op run: ``recorder[0]`` is None (the common case: one list
read per op) or the active profile, whose ``begin(name, shapes)`` / ``end(handle)`` bracket an op's forward (in
``Function.apply``) or a node's backward (in the engine). It lives on the autograd floor so that the ops need not
know about the profiler above them."""

from __future__ import annotations

from typing import Any

recorder: list[Any] = [None]
