"""Shared helpers of the target tests: small safety nets, and proof that a run left nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.safety_net import CGROUP_ROOT, NET_PARENT, NET_PREFIX, NetUnavailable, cgroup_version


def net_cgroups() -> set[str]:
    """Names of this process's nets' cgroups that exist now (v1: in any controller)."""
    parents = [CGROUP_ROOT / NET_PARENT] if cgroup_version() == 2 else \
        [CGROUP_ROOT / c / NET_PARENT for c in ("memory", "pids")]
    mine = f"{NET_PREFIX}{os.getpid()}-"
    return {p.name for parent in parents if parent.is_dir() for p in parent.iterdir()
            if p.is_dir() and p.name.startswith(mine)}


def net_scratches() -> set[str]:
    """Scratch tmpfs mounts of this process's nets, from /proc/mounts."""
    mine = f"/suite-{NET_PREFIX}{os.getpid()}-"
    return {line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
            if line.startswith("suite-net ") and mine in line.split()[1]}


@pytest.fixture(scope="session", autouse=True)
def _needs_root_and_cgroups():
    if os.geteuid() != 0:
        pytest.skip("the safety net needs root (cgroups, tmpfs mounts)")
    try:
        cgroup_version()
    except NetUnavailable as exc:
        pytest.skip(f"no cgroups for the safety net: {exc}")


@pytest.fixture
def leaves_nothing():
    """After the test: no net cgroup and no net scratch mount is left on the host."""
    cgroups, mounts = net_cgroups(), net_scratches()
    yield
    assert net_cgroups() <= cgroups, f"net cgroups left behind: {net_cgroups() - cgroups}"
    assert net_scratches() <= mounts, f"net scratch mounts left behind: {net_scratches() - mounts}"

