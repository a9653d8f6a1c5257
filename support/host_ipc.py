"""SysV IPC objects of the host's own, for the scenario that looks for them from inside.

The host makes them with the same probe an evaluation looks with (support/probes/
ipc_objects.py, run bare as a plain subprocess of this interpreter), and first shows it
can see them, so "invisible inside" means a private IPC namespace and not a wrong key.
They are removed again at the end, whatever the scenario found.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from typing import Iterator

from support import host_exposure, probes

RUN_TIMEOUT_S = 30


def run_on_host(**params: object) -> dict:
    """The ipc_objects probe's verdict, run bare on this host."""
    done = subprocess.run([sys.executable, "-c", probes.load("ipc_objects", **params)], capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S, check=True)
    return probes.verdict(done.stdout)


@contextmanager
def sysv_objects() -> Iterator[str]:
    """A shared memory segment, a message queue and a semaphore set of the host's (mode
    0600), under keys derived from the marker this yields."""
    marker = host_exposure.unique_name("ipc")
    left = run_on_host(marker=marker, mode="leave", remove="False")
    try:
        assert set(left["detail"]["seen"].values()) == {"left"}, f"the host could not make its IPC objects: {left}"
        seen = run_on_host(marker=marker, mode="look", remove="False")
        assert seen["detail"]["found"] == ["msg", "sem", "shm"], f"the host cannot see its own IPC objects: {seen}"
        yield marker
    finally:
        run_on_host(marker=marker, mode="look", remove="True")
