"""The embedded stack starts healthy, stops leaving nothing behind, and keeps data when asked.

"Nothing behind" is checked, not assumed: the same probe that must find nothing after
stop() is first shown to find the live processes, ports and directory before it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis

from evalplatform.cli.connection import read_env_file
from evalplatform.stack import PROJECT_ROOT, Stack, StackError, port_is_free
from evalplatform.supervise import descendants, start_time

pytestmark = pytest.mark.integration

SERVICE_SETS = {
    "core": dict(with_api=False, with_workers=False),
    "full": dict(with_api=True, with_workers=True),
}


def _ports(stack: Stack) -> list[int]:
    return [int(re.search(r":(\d+)", url).group(1)) for url in stack.urls.values()]


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line mentions `text` (the stack's directory or port)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def leftovers(pgids: list[int], ports: list[int], directory: Path) -> dict:
    """What of a stack still exists: live process groups, bound ports, its dir, processes naming it."""
    return {
        "groups": [g for g in pgids if _group_alive(g)],
        "ports": [p for p in ports if not port_is_free(p)],
        "dir": directory.exists(),
        "processes": _processes_mentioning(str(directory)),
    }


def _wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s (last seen: {value!r})")
        time.sleep(0.05)


@pytest.mark.parametrize("services", sorted(SERVICE_SETS))
def test_start_is_healthy_and_stop_leaves_nothing(services):
    stack = Stack(workers=1, **SERVICE_SETS[services]).start(timeout=60)
    try:
        pgids = [s.pid for s in [*stack.services.values(), *stack.workers] if s.alive()]
        ports = [p for p in _ports(stack) if services == "full" or p != stack._ports["api"]]
        directory = stack.dir
        assert all(stack.healthy().values()), stack.describe()
        alive = leftovers(pgids, ports, directory)
        # The probe sees the running stack: otherwise its "nothing" below would prove nothing.
        assert alive["groups"] == pgids and alive["ports"] == ports and alive["dir"] and alive["processes"]
    finally:
        stack.stop()
    assert leftovers(pgids, ports, directory) == {"groups": [], "ports": [], "dir": False, "processes": []}
    stack.stop()  # idempotent


def test_stop_kills_running_evaluations_sandboxes_too():
    """Sandboxes run in sessions of their own: killing the worker's group would miss them."""
    import httpx
    stack = Stack(workers=1).start(timeout=60)
    try:
        api = stack.urls["API_URL"]
        eval_id = httpx.post(f"{api}/eval", json={"code": "import time\ntime.sleep(120)"}).json()["eval_id"]
        _wait_until(lambda: httpx.get(f"{api}/eval/{eval_id}/status").json()["status"] == "running",
                    30, "evaluation running")
        # The probe finds the sandboxed process: otherwise "none left" below proves nothing.
        below_worker = _wait_until(lambda: _sandboxed_below(stack.worker_pids()[0]), 30,
                                   "the sandboxed process under the worker")
    finally:
        stack.stop()
    _wait_until(lambda: not [pid for pid, started in below_worker if _alive(pid, started)], 5,
                "every process below the worker gone")
    from evalplatform.settings import get_settings
    settings = get_settings()
    assert not (Path(settings.work_root) / eval_id).exists()
    cgroups = Path("/sys/fs/cgroup")   # v2: <parent>/<id>; v1: <controller>/<parent>/<id>
    assert [*cgroups.glob(f"{settings.cgroup_parent}/{eval_id}"),
            *cgroups.glob(f"*/{settings.cgroup_parent}/{eval_id}")] == []


def _sandboxed_below(pid: int):
    """The processes below `pid` when one of them runs the evaluation's code, else None."""
    below = descendants(pid)
    for child, _ in below:
        try:
            if b"/eval/main.py" in Path(f"/proc/{child}/cmdline").read_bytes():
                return below
        except OSError:
            continue
    return None


def _alive(pid: int, started: str) -> bool:
    """The same process (pid and start time) exists and is not a zombie awaiting its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return start_time(pid) == started and stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_env_file_holds_working_urls(core_stack, tmp_path):
    path = tmp_path / "stack.env"
    core_stack.write_env_file(path)
    values = read_env_file(path)
    assert {k: values[k] for k in core_stack.urls} == core_stack.urls
    assert values["API_URL"].endswith("/api")
    assert redis.Redis.from_url(values["REDIS_URL"]).ping()
    assert redis.Redis.from_url(values["CELERY_BROKER_URL"]).connection_pool.connection_kwargs["db"] == 1
    with psycopg.connect(values["DATABASE_URL"]) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"evaluations", "evaluation_events", "alembic_version"} <= tables


@pytest.fixture
def data_dir():
    """A directory the postgres user can reach (pytest's tmp_path is private to root)."""
    parent = Path(tempfile.mkdtemp(prefix="evalplatform-test-data-"))
    parent.chmod(0o755)
    yield parent / "data"
    shutil.rmtree(parent)


def test_data_dir_keeps_database_and_redis_between_runs(data_dir):
    from evalplatform import store
    with Stack(data_dir=str(data_dir), with_api=False, with_workers=False) as first:
        store.init(first.urls["DATABASE_URL"])
        eval_id = store.create_evaluation(code="print('kept')")["eval_id"]
        redis.Redis.from_url(first.urls["REDIS_URL"]).set("kept-key", "yes")
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    with Stack(data_dir=str(data_dir), with_api=False, with_workers=False) as second:
        store.init(second.urls["DATABASE_URL"])
        assert store.get_evaluation(eval_id)["code"] == "print('kept')"
        assert redis.Redis.from_url(second.urls["REDIS_URL"]).get("kept-key") == b"yes"


def _durability(stack: Stack) -> dict[str, str]:
    with psycopg.connect(stack.urls["DATABASE_URL"]) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("fsync", "synchronous_commit", "full_page_writes")}


def test_data_dir_runs_postgres_durably_and_the_throwaway_default_fast(data_dir):
    """What the user asked to keep survives a crash; the ephemeral default keeps nothing."""
    with Stack(data_dir=str(data_dir), with_api=False, with_workers=False) as kept:
        assert _durability(kept) == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        assert redis.Redis.from_url(kept.urls["REDIS_URL"]).config_get("appendonly")["appendonly"] == "yes"
    with Stack(with_api=False, with_workers=False) as throwaway:
        assert _durability(throwaway) == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def test_a_start_that_cannot_finish_raises_with_each_service_and_leaves_nothing():
    stack = Stack(with_api=False, with_workers=False)
    with pytest.raises(StackError) as failed:
        stack.start(timeout=0)
    message = str(failed.value)
    assert "--- redis:" in message and "--- postgres:" in message
    assert stack.dir is not None and not stack.dir.exists()
    assert all(not s.alive() for s in stack.services.values())


@pytest.mark.parametrize("sig,flags", [(signal.SIGTERM, []),
                                       (signal.SIGINT, ["--without-api", "--without-workers"])])
def test_up_stops_everything_on_signal(tmp_path, sig, flags):
    env_file = tmp_path / "up.env"
    up = subprocess.Popen([sys.executable, "-m", "evalplatform", "up", *flags,
                           "--env-file", str(env_file)],
                          cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until(lambda: env_file.exists() or up.poll() is not None, 60, "env file")
        assert up.poll() is None, up.stdout.read()
        urls = read_env_file(env_file)
        assert redis.Redis.from_url(urls["REDIS_URL"]).ping()
        banner = up.stdout.readline()
        directory = Path(re.search(r"logs: (\S+)/logs", banner).group(1))
        services = ["REDIS_URL", "DATABASE_URL"] + ([] if flags else ["API_URL"])
        ports = [int(re.search(r":(\d+)", urls[k]).group(1)) for k in services]
        assert leftovers([], ports, directory)["processes"]
        up.send_signal(sig)
        assert up.wait(timeout=30) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert leftovers([], ports, directory) == {"groups": [], "ports": [], "dir": False, "processes": []}


def test_process_control_restarts_each_service_and_the_platform_still_works():
    """The chaos features' levers: each does what it says and the platform recovers."""
    import httpx
    # Unsupervised: the levers alone (a killed worker stays dead; test_supervision.py
    # shows the supervised stack replacing it).
    with Stack(workers=1, supervise=False) as stack:
        api = stack.urls["API_URL"]

        def healthy():
            answer = httpx.get(f"{api}/health", timeout=5)
            return answer.status_code == 200 and answer.json()["status"] == "ok"

        first = stack.worker_pids()[0]
        stack.kill_worker(0)
        _wait_until(lambda: not stack.workers[0].alive(), 10, "worker 0 dead")
        assert stack.worker_pids() == []
        stack.start_worker()
        assert len(stack.worker_pids()) == 1 and stack.worker_pids()[0] != first
        assert stack.workers[1].name == "worker1"
        _wait_until(healthy, 30, "healthy with the new worker")

        redis_pid = stack.services["redis"].pid
        stack.restart_redis()
        assert stack.services["redis"].pid != redis_pid
        postgres_pid = stack.services["postgres"].pid
        stack.restart_postgres()
        assert stack.services["postgres"].pid != postgres_pid
        api_pid = stack.services["api"].pid
        stack.restart_api()
        assert stack.services["api"].pid != api_pid
        _wait_until(healthy, 30, "healthy after restarts")

        eval_id = httpx.post(f"{api}/eval", json={"code": "print(1)"}).json()["eval_id"]
        record = _wait_until(lambda: (lambda r: r if r["status"] in ("completed", "failed") else None)(
            httpx.get(f"{api}/eval/{eval_id}").json()), 30, "print(1) terminal")
        assert (record["status"], record["output"]) == ("completed", "1\n"), record
        assert "worker1@" in stack.logs("worker1") and "ready" in stack.logs("worker1")


def test_stop_removes_the_sandboxes_its_ended_evaluations_left_and_no_other_stacks():
    """A worker killed mid-run leaves its run's cgroup and dir to another worker's reaper,
    which removes them once the evaluation has ended; a stack stopped before that tick
    must remove them itself. A run this stack's store does not know (another stack's, a
    benchmark's) is left alone, and is the control that the sweep is seen at all."""
    import httpx

    from evalplatform.sandbox import cgroups
    from evalplatform.sandbox.runner import run_dir
    from evalplatform.settings import get_settings
    stack = Stack(workers=1).start(timeout=60)
    settings = get_settings()
    hierarchy = cgroups.detect(settings.cgroup_parent)
    foreign = f"foreign-{os.getpid()}-{time.time_ns()}"
    planted: list[str] = []

    def leave_sandbox(run_id: str) -> None:        # what a SIGKILLed worker leaves of a run
        planted.append(run_id)
        hierarchy.create(run_id, 64, 16)
        run_dir(settings, run_id).mkdir(parents=True)

    def on_host(run_id: str) -> bool:
        return cgroups.RunCgroup(hierarchy, run_id).exists() or run_dir(settings, run_id).exists()

    try:
        try:
            api = stack.urls["API_URL"]
            eval_id = httpx.post(f"{api}/eval", json={"code": "print(1)"}).json()["eval_id"]
            _wait_until(lambda: httpx.get(f"{api}/eval/{eval_id}/status").json()["status"] == "completed",
                        30, "evaluation completed")
            # The only worker dies and is not replaced: no reaper of a worker can sweep
            # what is left before the stop, as when a stack is stopped right after a kill.
            stack.supervisor.pause()
            os.kill(stack.worker_pids()[0], signal.SIGKILL)
            for run_id in (eval_id, foreign):
                leave_sandbox(run_id)
            assert on_host(eval_id) and on_host(foreign)
        finally:
            stack.stop()
        assert not on_host(eval_id), "the stack left its ended evaluation's sandbox on the host"
        assert on_host(foreign), "the stack removed a sandbox that is not one of its evaluations'"
    finally:
        for run_id in planted:
            cgroups.RunCgroup(hierarchy, run_id).remove()
            shutil.rmtree(run_dir(settings, run_id), ignore_errors=True)
