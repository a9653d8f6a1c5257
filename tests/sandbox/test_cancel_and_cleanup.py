"""Cancellation (should_cancel, kill from another thread and another process), the
orphan reaper, and what the host sees of a running sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from evalplatform.sandbox import RunRequest, Sandbox, cleanup_orphans
from evalplatform.sandbox.cgroups import RunCgroup, detect
from evalplatform.settings import get_settings
from tests.sandbox.conftest import (ALL_ENGINES, FAST, SLEEPER, BackgroundRun, host_processes_with,
                                    new_run_id, run_code, small_limits)

pytestmark = [pytest.mark.sandbox, pytest.mark.cancellation]

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_should_cancel_kills_the_run(sandbox):
    started = threading.Event()
    result = run_code(sandbox, SLEEPER, on_output=lambda s, c: started.set(),
                      should_cancel=started.is_set)
    assert result.reason == "killed" and result.signal == 9, result
    assert result.runtime_ms < 20000


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_kill_from_another_thread(sandbox):
    run = BackgroundRun(sandbox)
    assert sandbox.kill(run.run_id) is True
    assert run.finish().reason == "killed"
    assert sandbox.kill(run.run_id) is False          # nothing left to kill


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_kill_from_another_process(sandbox):
    run = BackgroundRun(sandbox)
    killer = subprocess.run(
        [sys.executable, "-c", "import sys; from evalplatform.sandbox import Sandbox; "
         f"sys.exit(0 if Sandbox({sandbox.engine_name!r}).kill({run.run_id!r}) else 3)"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert killer.returncode == 0, killer.stderr
    assert run.finish().reason == "killed"


@pytest.fixture
def private_scope(tmp_path):
    """Settings with a cgroup parent and work root of their own (also as environment for
    worker processes), so orphan cleanup never touches other runs on this host."""
    from evalplatform.settings import Settings
    env = {"EVALPLATFORM_CGROUP_PARENT": f"evalplatform-test-{uuid.uuid4().hex[:8]}",
           "EVALPLATFORM_WORK_ROOT": str(tmp_path / "runs")}
    settings = Settings(cgroup_parent=env["EVALPLATFORM_CGROUP_PARENT"],
                        work_root=env["EVALPLATFORM_WORK_ROOT"])
    workers: list[subprocess.Popen] = []

    def start_worker(run_id: str) -> subprocess.Popen:
        """A worker process running SLEEPER under nsjail; returns once it has started."""
        worker = subprocess.Popen(
            [sys.executable, "-c",
             "from evalplatform.sandbox import Sandbox, RunRequest, default_limits\n"
             f"Sandbox('nsjail').run(RunRequest(code={SLEEPER!r}, run_id={run_id!r}, "
             "limits=default_limits(timeout_s=60)),\n"
             "    on_output=lambda s, c: print(c, flush=True))\n"],
            cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
        workers.append(worker)
        assert "started" in worker.stdout.readline()
        return worker

    yield settings, start_worker
    for worker in workers:
        worker.kill()
        worker.wait()
        worker.stdout.close()
    cleanup_orphans(set(), settings=settings)
    for parent in detect(settings.cgroup_parent).parent_dirs():
        if parent.is_dir():
            parent.rmdir()


def _kill_worker(worker: subprocess.Popen) -> None:
    worker.kill()
    worker.wait()


def test_cleanup_orphans_after_a_worker_died(private_scope):
    """A worker process dies (SIGKILL) mid-run: its run cgroup and processes stay until the
    reaper's cleanup_orphans removes them; an active run is left alone."""
    settings, start_worker = private_scope
    hierarchy = detect(settings.cgroup_parent)
    orphan_id, active_id = new_run_id(), new_run_id()
    _kill_worker(start_worker(orphan_id))
    start_worker(active_id)
    orphan = RunCgroup(hierarchy, orphan_id)
    assert orphan.exists() and orphan.pids(), "a dead worker's run should be orphaned"
    assert cleanup_orphans(set(), settings=settings, min_age_s=3600) == []   # too young
    assert cleanup_orphans({active_id}, settings=settings) == [orphan_id]
    assert not orphan.exists()
    assert not (Path(settings.work_root) / orphan_id).exists()
    assert RunCgroup(hierarchy, active_id).pids(), "the active run was touched"
    assert cleanup_orphans(set(), settings=settings) == [active_id]


def test_same_run_id_reclaimed_after_its_worker_died(private_scope):
    """A retried evaluation on the same host: the dead worker's leftovers (its lock is gone
    with it) are cleaned and the run goes ahead; a live one is refused (test_api)."""
    settings, start_worker = private_scope
    run_id = new_run_id()
    _kill_worker(start_worker(run_id))
    assert RunCgroup(detect(settings.cgroup_parent), run_id).pids()
    result = Sandbox("nsjail", settings=settings).run(
        RunRequest(code="print('again')", run_id=run_id, limits=small_limits()))
    assert result.ok and result.stdout == "again\n", result
    assert not RunCgroup(detect(settings.cgroup_parent), run_id).exists()


def test_bwrap_helpers_hold_an_empty_environment(monkeypatch):
    """bwrap's pid-1 helper keeps its launcher's environment in /proc/1/environ: the host
    reads the environ of every process of a running bwrap sandbox. The launcher's marker
    must be nowhere, and the program has only PATH, HOME, LANG and EVAL_ID."""
    sandbox = Sandbox("bwrap")
    marker = f"marker-{uuid.uuid4().hex}"
    monkeypatch.setenv("EVALPLATFORM_PROBE_MARKER", marker)
    run = BackgroundRun(sandbox)
    try:
        pids = RunCgroup(sandbox.hierarchy, run.run_id).pids()
        environs = {pid: Path(f"/proc/{pid}/environ").read_bytes() for pid in pids}
        comms = {pid: Path(f"/proc/{pid}/comm").read_text().strip() for pid in pids}
    finally:
        sandbox.kill(run.run_id)
        run.finish()
    assert sorted(comms.values()).count("bwrap") == 2, comms
    assert all(marker.encode() not in env for env in environs.values())
    for pid, env in environs.items():
        names = {v.split(b"=", 1)[0].decode() for v in env.split(b"\0") if v}
        assert names <= {"PATH", "HOME", "LANG", "EVAL_ID"}, (comms[pid], names)


def test_bwrap_helper_environ_check_detects_an_inherited_environment(monkeypatch):
    """Negative control: bwrap started WITH the launcher's environment leaks it into its
    pid-1 helper's /proc/<pid>/environ, where the check above would see it."""
    marker = f"marker-{uuid.uuid4().hex}"
    monkeypatch.setenv("EVALPLATFORM_PROBE_MARKER", marker)
    proc = subprocess.Popen(["bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--",
                             "sleep", "30"], env=dict(os.environ))
    try:
        deadline, helper = time.monotonic() + 10, None
        while helper is None and time.monotonic() < deadline:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            helper = int(children[0]) if children else None
            time.sleep(0.01)
        assert helper, "bwrap never started its pid-1 helper"
        assert marker.encode() in Path(f"/proc/{helper}/environ").read_bytes()
    finally:
        proc.kill()
        proc.wait()


def test_nothing_of_a_run_remains_on_the_host():
    """Explicit check (the autouse fixture checks it after every test too)."""
    for name in ("nsjail", "bwrap"):
        run_id = new_run_id()
        marker = f"left-{uuid.uuid4().hex}"
        result = run_code(Sandbox(name), f"print('{marker}')", run_id=run_id)
        assert result.ok
        assert not RunCgroup(detect(get_settings().cgroup_parent), run_id).exists()
        assert not (Path(get_settings().work_root) / run_id).exists()
        assert host_processes_with(marker) == []
