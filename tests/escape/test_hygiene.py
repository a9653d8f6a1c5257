"""Negative control of the hygiene check (support/hygiene.py) that runs after every
@isolation scenario: each kind of remnant, planted on the host under a fresh id, is found;
and an id of which nothing exists is clean. Without this, "nothing remains" could be a
search that never finds anything."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from support import hygiene, waiting

pytestmark = pytest.mark.isolation


@pytest.fixture
def eval_id() -> str:
    return str(uuid.uuid4())


def _cgroup_parent() -> Path:
    """Where this host lets root make a cgroup: v1's pids hierarchy, or the v2 root."""
    for candidate in (hygiene.CGROUP_ROOT / "pids", hygiene.CGROUP_ROOT):
        if (candidate / "cgroup.procs").exists() and os.access(candidate, os.W_OK):
            return candidate
    pytest.fail("no writable cgroup hierarchy on this host (the platform needs one too)")


def _sleeper(eval_id: str, on_command_line: bool) -> subprocess.Popen:
    argv = [sys.executable, "-c", "import sys; sys.stdin.read()"] + ([eval_id] if on_command_line else [])
    env = {"PATH": os.environ["PATH"]} if on_command_line else {"PATH": os.environ["PATH"], "EVAL_ID": eval_id}
    return subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)


def pids_of(found: hygiene.Remnants) -> list[str]:
    return [entry.split(":")[0] for entry in found.processes]


def test_a_clean_id_has_no_remnants(eval_id):
    assert not hygiene.remnants_of(eval_id)
    assert hygiene.remnants([eval_id]) == []


def test_a_run_directory_is_found(eval_id):
    directory = Path("/var/tmp") / "acceptance-hygiene-control" / eval_id
    directory.mkdir(parents=True)
    try:
        assert hygiene.remnants_of(eval_id).directories == [str(directory)]
    finally:
        directory.rmdir()
        directory.parent.rmdir()


def test_a_cgroup_is_found(eval_id):
    cgroup = _cgroup_parent() / eval_id
    cgroup.mkdir()
    try:
        assert hygiene.remnants_of(eval_id).cgroups == [str(cgroup)]
    finally:
        cgroup.rmdir()


@pytest.mark.parametrize("on_command_line", [False, True], ids=["EVAL_ID-in-environment", "id-on-command-line"])
def test_a_process_is_found(eval_id, on_command_line):
    proc = _sleeper(eval_id, on_command_line)
    try:
        # Popen returns once exec began; /proc shows the new argv and environment a moment later.
        found = waiting.until(lambda: hygiene.remnants_of(eval_id), lambda r: r.processes, timeout=5,
                              description=f"process {proc.pid} to show its id in /proc")
        assert pids_of(found) == [str(proc.pid)], found
        assert [pids_of(r) for r in hygiene.remnants([eval_id])] == [[str(proc.pid)]]
    finally:
        proc.kill()
        proc.wait()
