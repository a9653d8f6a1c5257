"""supervise.descendants walks a process tree through /proc while its processes may end.

A process that ends between the walk's look at its /proc directory and the listing of it
(a PostgreSQL backend whose client just left, while the stack stops PostgreSQL) must be
taken as having no children, not end the stop with FileNotFoundError (seen once in CI).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from evalplatform import supervise


def _tree():
    """A parent with one sleeping child, once /proc shows the child."""
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys; subprocess.Popen(['sleep', '30']); sys.stdin.read()"],
                              stdin=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not supervise.descendants(parent.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return parent


def test_the_tree_below_a_process_is_found():
    parent = _tree()
    try:
        assert len(supervise.descendants(parent.pid)) == 1
    finally:
        for pid, started in supervise.descendants(parent.pid):
            supervise.kill_if_same(pid, started)
        parent.kill()
        parent.wait()


def test_a_process_that_ends_while_it_is_walked_has_no_children(monkeypatch):
    parent = _tree()
    [(child, _)] = supervise.descendants(parent.pid)
    real_glob = Path.glob

    def ended_meanwhile(self, pattern):          # its /proc entry vanishes mid-listing
        if str(self) == f"/proc/{child}/task":
            raise FileNotFoundError(2, "No such file or directory", str(self))
        return real_glob(self, pattern)

    monkeypatch.setattr(Path, "glob", ended_meanwhile)
    try:
        assert {pid for pid, _ in supervise.descendants(parent.pid)} == {child}
    finally:
        monkeypatch.undo()
        for pid, started in supervise.descendants(parent.pid):
            supervise.kill_if_same(pid, started)
        parent.kill()
        parent.wait()
