"""What the micro-kernel tests share: the body of their ISA fixtures, which force one instruction set the host
runs for a test and give the host's own back after it (the kernels compile once per ISA and dtype)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from minitorch_cnn.kernels import microkernel


def force_isa(request: pytest.FixtureRequest) -> Iterator[str]:
    """``request.param`` forced for the test: use as ``isa = pytest.fixture(params=..., name="isa")(force_isa)``."""
    microkernel.set_isa(request.param)
    yield request.param
    microkernel.set_isa(None)
