"""Hardening beyond the namespaces, under every engine: io_uring refused, no inherited
descriptor, and only the host facts the interpreter needs readable in /proc and /sys.

The negative controls (each probe run bare on the host, where it must see the breach)
are in tests/escape/test_hardening_controls.py.
"""

from __future__ import annotations

import pytest

from evalplatform.sandbox import hostview
from tests.sandbox.conftest import ALL_ENGINES, run_probe

pytestmark = [pytest.mark.sandbox, pytest.mark.privileges]

# What a refused io_uring call may answer: EPERM from the deny list, ENOSYS where an engine
# (gVisor, by default) does not implement it at all.
REFUSED = {"EPERM", "ENOSYS"}


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_io_uring_is_refused(sandbox):
    verdict = run_probe(sandbox, "seccomp_io_uring")
    assert verdict["blocked"], verdict
    assert set(verdict["detail"]) == {"io_uring_setup", "io_uring_enter", "io_uring_register"}
    assert set(verdict["detail"].values()) <= REFUSED, verdict


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_no_descriptor_beyond_stdio_reaches_the_code(sandbox):
    verdict = run_probe(sandbox, "fd_inherited")
    assert verdict["blocked"], verdict
    assert verdict["detail"]["open"] == [0, 1, 2], verdict


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_proc_and_sys_show_only_what_the_interpreter_needs(sandbox):
    """Under gVisor, /proc/cmdline is the Sentry's constant, not the host's (hostview.py)."""
    synthetic = hostview.GVISOR_SYNTHETIC if sandbox.engine_name == "gvisor" else ()
    hidden = [p for p in hostview.HIDDEN if p not in synthetic]
    verdict = run_probe(sandbox, "proc_host_facts", hidden=hidden, visible=list(hostview.VISIBLE))
    assert verdict["blocked"], verdict
    assert verdict["detail"]["visible_missing"] == [], verdict


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_no_vsock_socket_can_be_made(sandbox):
    verdict = run_probe(sandbox, "net_vsock")
    assert verdict["blocked"], verdict
