"""Supervision of the default stack: a worker or the API that dies is started again.

The default stack has ONE worker. Before supervision, a SIGKILL of it left the platform
without any: the evaluation it held never ended and every later one stayed queued. Here
that worker dies mid-run and the test sees what an operator must see: the evaluation
ends as the contract says (re-queued once and completed, or failed worker_lost) within
its timeout plus the grace plus 60 s, the next evaluation completes, and the restart is
counted in /api/health and `evalplatform state`.
"""

from __future__ import annotations

import json
import os
import signal

import pytest
import requests

from evalplatform.__main__ import main
from evalplatform.stack import Stack
from evalplatform.supervise import RestartPolicy
from support import probes, waiting

pytestmark = pytest.mark.integration

TERMINAL = {"completed", "failed", "cancelled"}
GRACE_S = 3
SLOW_S = 4
TIMEOUT_S = 20


@pytest.fixture
def one_worker_stack():
    with Stack(env={"EVALPLATFORM_REAPER_GRACE_S": str(GRACE_S)}) as stack:
        yield stack


def _submit(api: str, code: str, timeout: int = TIMEOUT_S) -> str:
    answer = requests.post(f"{api}/eval", json={"code": code, "timeout": timeout}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["eval_id"]


def _record(api: str, eval_id: str) -> dict:
    return requests.get(f"{api}/eval/{eval_id}", timeout=10).json()


def _wait_status(api: str, eval_id: str, wanted: set[str], timeout: float) -> dict:
    return waiting.until(lambda: _record(api, eval_id), lambda r: r["status"] in wanted,
                         timeout=timeout, description=f"{eval_id} to be one of {sorted(wanted)}")


def _health(api: str) -> dict:
    return requests.get(f"{api}/health", timeout=10).json()


def test_the_only_worker_killed_mid_run_is_replaced_and_nothing_is_lost(one_worker_stack, tmp_path, capsys):
    stack = one_worker_stack
    api = stack.urls["API_URL"]
    assert len(stack.worker_pids()) == 1, stack.describe()
    waiting.until(lambda: _health(api)["restarts"], lambda r: r == {"api": 0, "worker0": 0}, timeout=10,
                  description="health naming each supervised service, none restarted yet")

    held = _submit(api, probes.load("load_slow", seconds=SLOW_S))
    running = _wait_status(api, held, {"running"}, timeout=30)
    owner = int(running["worker_id"].rpartition("#")[2])
    assert owner == stack.worker_pids()[0]
    os.kill(owner, signal.SIGKILL)

    final = _wait_status(api, held, TERMINAL, timeout=TIMEOUT_S + GRACE_S + 60)
    assert (final["status"], final["reason"]) in {("completed", None), ("failed", "worker_lost")}, final
    if final["status"] == "completed":
        assert final["attempts"] == 2 and final["worker_id"] != running["worker_id"], final

    following = _submit(api, probes.load("load_fast"))
    assert _wait_status(api, following, TERMINAL, timeout=60)["status"] == "completed"

    health = waiting.until(lambda: _health(api), lambda h: h["status"] == "ok", timeout=30,
                           description="health ok with the restarted worker")
    assert health["restarts"]["worker0"] == 1, health
    assert health["supervision"]["worker0"]["last_exit"] == -signal.SIGKILL, health
    assert "worker0 killed by SIGKILL" in stack.logs("supervisor")

    env_file = tmp_path / "stack.env"
    stack.write_env_file(env_file)
    assert main(["state", "--env-file", str(env_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["supervision"]["worker0"]["restarts"] == 1
    assert main(["state", "--env-file", str(env_file)]) == 0
    assert "worker0: running  restarts=1" in capsys.readouterr().out


def test_a_dead_api_is_restarted_on_its_port(one_worker_stack):
    stack = one_worker_stack
    api = stack.urls["API_URL"]
    first = stack.services["api"].pid
    os.kill(first, signal.SIGKILL)
    health = waiting.until(lambda: _health(api), lambda h: h["status"] == "ok", timeout=60,
                           description="the API answering again")
    assert stack.services["api"].pid != first
    assert health["restarts"]["api"] == 1, health


def test_a_service_stopped_on_purpose_stays_stopped_and_a_crash_loop_is_limited():
    """stop_service is not a death; and a worker that keeps dying is restarted no more than
    the policy's limit a minute (held in between), each attempt logged."""
    policy = RestartPolicy(first_delay_s=0.1, max_delay_s=0.2, per_minute=2)
    with Stack(with_workers=True, restart_policy=policy) as stack:
        stack.stop_service("api")
        worker = stack.workers[0]
        for expected in (1, 2):
            os.kill(worker.pid, signal.SIGKILL)
            waiting.until(stack.restarts, lambda r: r["worker0"]["restarts"] == expected
                          and r["worker0"]["state"] == "running", timeout=30,
                          description=f"restart {expected} of worker0")
        os.kill(worker.pid, signal.SIGKILL)
        held = waiting.until(stack.restarts, lambda r: r["worker0"]["state"] == "held", timeout=10,
                             description="worker0 held by the restart limit")
        assert held["worker0"]["restarts"] == 2 and not worker.alive()
        assert not stack.services["api"].alive() and held["api"]["restarts"] == 0
        assert "restart limit (2 a minute) reached" in stack.logs("supervisor")
