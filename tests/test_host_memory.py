"""The malloc settings applied on import: on glibc they take, and the variable turns them off."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from minitorch_cnn.backend import host_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="malloc tuning is applied on glibc (Linux) only")
def test_settings_are_accepted_by_glibc(monkeypatch):
    monkeypatch.delenv(host_memory.ENV_VAR, raising=False)
    assert host_memory.tune_malloc() is True


def test_the_variable_leaves_malloc_alone(monkeypatch):
    monkeypatch.setenv(host_memory.ENV_VAR, "0")
    assert host_memory.tune_malloc() is False


@pytest.mark.skipif(not GLIBC, reason="malloc tuning is applied on glibc (Linux) only")
def test_a_freed_big_block_is_reused_without_page_faults(monkeypatch):
    """A 64 MiB array (over glibc's own 32 MiB ceiling) allocated again after one was freed takes the same pages:
    no page faults (a fresh mapping faults 32 huge pages or 16,384 small ones). Faults, not time: no timing."""
    import resource

    monkeypatch.delenv(host_memory.ENV_VAR, raising=False)
    assert host_memory.tune_malloc() is True
    a = np.ones(64 << 20, np.uint8)
    del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    b = np.ones(64 << 20, np.uint8)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults <= 4, f"{faults} page faults for an allocation the heap should have kept"
    assert b[-1] == 1
