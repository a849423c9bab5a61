"""The malloc settings applied on import: on glibc they take, and the variable turns them off."""

from __future__ import annotations

import platform

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
