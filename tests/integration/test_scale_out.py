"""Scale-out across hosts: a worker on a second host of the test's own joins the stack with
the env file the stack wrote, runs evaluations, and when its link is cut nothing is lost.

The second host is a network namespace with a veth pair that this test makes and removes:
169.254.213.1 on the stack's side, 169.254.213.2 in the namespace (a link-local /30 of the
test's own: traffic goes only between its two ends). The stack listens there too
(Stack(listen_on=...)): Redis and PostgreSQL, which is all a worker needs. The worker gets
a hostname of its own (a UTS namespace), and its own work root and cgroup parent, as a
real second machine would have. Cutting the link (its end set down) is a partition, not a
crash: the worker lives on, unreachable; the platform must judge it lost by its missing
heartbeat and run its evaluation again on the worker it can reach.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from evalplatform.cli.connection import read_env_file
from evalplatform.stack import PROJECT_ROOT, Stack
from support import probes, waiting

pytestmark = pytest.mark.integration

STACK_SIDE, WORKER_SIDE, PREFIX = "169.254.213.1", "169.254.213.2", 30
REMOTE_HOSTNAME = "evalhost2"
GRACE_S = 3
TERMINAL = {"completed", "failed", "cancelled"}


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def second_host():
    """A network namespace joined to this one by a veth pair; removed afterwards."""
    if os.geteuid() != 0 or not all(map(shutil.which, ("ip", "unshare", "nsenter"))):
        pytest.skip("needs root, ip(8), unshare(1) and nsenter(1) to make a second host")
    tag = f"{os.getpid() % 100000}"
    namespace, near, far = f"evalplatform-h2-{tag}", f"epv{tag}a", f"epv{tag}b"
    _ip("netns", "add", namespace)
    try:
        _ip("link", "add", near, "type", "veth", "peer", "name", far)
        _ip("link", "set", far, "netns", namespace)
        _ip("addr", "add", f"{STACK_SIDE}/{PREFIX}", "dev", near)
        _ip("link", "set", near, "up")
        for args in (("addr", "add", f"{WORKER_SIDE}/{PREFIX}", "dev", far), ("link", "set", far, "up"),
                     ("link", "set", "lo", "up")):
            _ip("-n", namespace, *args)
        yield {"namespace": namespace, "link": near}
    finally:
        subprocess.run(["ip", "link", "del", near], capture_output=True, timeout=30)
        _ip("netns", "del", namespace)


def _remote_worker(namespace: str, env_file: Path, work_root: Path, log: Path) -> subprocess.Popen:
    """A worker in the namespace, configured by nothing but the env file (and what a
    second machine has of its own: hostname, work root, cgroup parent)."""
    env = {"PATH": os.environ["PATH"], "HOME": "/root", "LANG": "C.UTF-8",
           "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1",
           **{k: v for k, v in read_env_file(env_file).items() if k.startswith("EVALPLATFORM_")},
           "EVALPLATFORM_WORKER_CONCURRENCY": "1", "EVALPLATFORM_WORK_ROOT": str(work_root),
           "EVALPLATFORM_CGROUP_PARENT": f"evalplatform-{REMOTE_HOSTNAME}"}
    worker = [sys.executable, "-m", "celery", "-A", "evalplatform.queue.app:celery_app", "worker",
              "--hostname", f"remote0@{REMOTE_HOSTNAME}", "--concurrency", "1", "--loglevel", "INFO",
              "--without-gossip", "--without-mingle"]
    script = f'hostname {REMOTE_HOSTNAME} && exec "$@"'
    with open(log, "ab") as output:
        # nsenter, not `ip netns exec`: that one also mounts a sysfs of its own over /sys,
        # hiding the cgroup hierarchies the sandbox needs.
        return subprocess.Popen(["nsenter", f"--net=/run/netns/{namespace}", "unshare", "--uts", "sh", "-c", script,
                                 "sh", *worker], cwd=PROJECT_ROOT, env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)


def _submit(api: str, code: str) -> str:
    answer = requests.post(f"{api}/eval", json={"code": code, "timeout": 30}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["eval_id"]


def _record(api: str, eval_id: str) -> dict:
    return requests.get(f"{api}/eval/{eval_id}", timeout=10).json()


def _wait(api: str, eval_id: str, holds, what: str, timeout: float = 90) -> dict:
    return waiting.until(lambda: _record(api, eval_id), holds, timeout=timeout, description=f"{eval_id} {what}")


def _remote(record: dict) -> bool:
    return f"@{REMOTE_HOSTNAME}#" in (record.get("worker_id") or "")


def test_a_worker_on_a_second_host_joins_runs_and_loses_nothing_when_cut_off(second_host, tmp_path):
    env = {"EVALPLATFORM_WORKER_CONCURRENCY": "1", "EVALPLATFORM_REAPER_GRACE_S": str(GRACE_S)}
    work_root = tmp_path / "host2-work"
    with Stack(env=env, listen_on=(f"{STACK_SIDE}/{PREFIX}",)) as stack:
        api = stack.urls["API_URL"]
        env_file = tmp_path / "remote.env"
        stack.write_env_file(env_file, host=STACK_SIDE)
        log = tmp_path / "remote0.log"
        worker = _remote_worker(second_host["namespace"], env_file, work_root, log)
        try:
            try:
                waiting.until(lambda: worker.poll() is None and requests.get(f"{api}/health", timeout=10).json(),
                              lambda h: worker.poll() is not None or h["workers"] == 2, timeout=60,
                              description="the second host's worker in /api/health")
                assert worker.poll() is None, "the second host's worker exited"
            except (waiting.WaitTimeout, AssertionError) as exc:
                raise AssertionError(f"{exc}\n--- the second host's worker:\n{log.read_text()[-3000:]}") from None
            # Joined and working: two at once, one slot on each host, so one runs over there.
            pair = [_submit(api, probes.load("load_slow", seconds=2)) for _ in range(2)]
            ran = [_wait(api, i, lambda r: r["status"] in TERMINAL, "terminal") for i in pair]
            assert [r["status"] for r in ran] == ["completed", "completed"], ran
            assert sorted(map(_remote, ran)) == [False, True], [r["worker_id"] for r in ran]

            # Cut off mid-run: the platform runs its evaluation again on the worker it can reach.
            both = [_submit(api, probes.load("load_slow", seconds=6)) for _ in range(2)]
            running = [_wait(api, i, lambda r: r["status"] == "running", "running") for i in both]
            (cut,) = [r["eval_id"] for r in running if _remote(r)]
            _ip("link", "set", second_host["link"], "down")
            finals = {i: _wait(api, i, lambda r: r["status"] in TERMINAL, "terminal after the cut",
                               timeout=30 + GRACE_S + 60) for i in both}
            final = finals[cut]
            assert (final["status"], final["reason"]) in {("completed", None), ("failed", "worker_lost")}, final
            if final["status"] == "completed":
                assert final["attempts"] == 2 and not _remote(final), final
            assert all(finals[i]["status"] == "completed" for i in both if i != cut), finals
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            _remove_remote_runs(work_root)


def _remove_remote_runs(work_root: Path) -> None:
    """What the cut-off host's sandboxes left on this machine: processes, cgroups, run dirs
    (remove_runs kills each run's cgroup)."""
    from evalplatform.executor.local import LocalExecutor
    from evalplatform.settings import load_settings
    executor = LocalExecutor(load_settings(work_root=str(work_root),
                                           cgroup_parent=f"evalplatform-{REMOTE_HOSTNAME}"))
    executor.remove_runs(executor.run_ids())
    shutil.rmtree(work_root, ignore_errors=True)
