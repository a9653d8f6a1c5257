"""The command-line utilities against real services: state, diagnose (with injected faults), submit."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from evalplatform import contract as c
from evalplatform import state, store
from evalplatform.__main__ import main

pytestmark = pytest.mark.integration


@pytest.fixture
def env_file(connected, tmp_path):
    path = tmp_path / "stack.env"
    connected.write_env_file(path)
    return str(path)


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def _completed() -> str:
    eval_id = store.create_evaluation(code="print(1)")["eval_id"]
    for status in (c.QUEUED, c.RUNNING, c.COMPLETED):
        store.transition(eval_id, status)
    return eval_id


def test_state_shows_running_evaluations_queues_and_keys(env_file, capsys):
    eval_id = store.create_evaluation(code="x")["eval_id"]
    state.mark_running(eval_id, worker_id="worker0@h#1", executor_id="e", started_at="t", timeout=5)
    state.client().set("some-other-key", "v")
    code, out = _run(capsys, "state", "--env-file", env_file, "--json")
    found = json.loads(out)
    assert code == 0
    assert found["running"][eval_id]["worker_id"] == "worker0@h#1"
    assert {"evalplatform.control", "evalplatform.evaluations"} <= set(found["queues"])
    assert {"some-other-key", f"eval:{eval_id}:running", "running_evaluations"} <= set(found["keys"])
    code, out = _run(capsys, "state", "--env-file", env_file)
    assert eval_id in out and "evalplatform.evaluations: 0" in out
    state.clear_running(eval_id)


def test_state_counts_queued_tasks_per_priority(env_file, connected, capsys):
    """Tasks sent the way the API sends them (in a process configured like the platform's)."""
    import os
    import subprocess
    import sys
    from evalplatform.stack import PROJECT_ROOT
    send = "from evalplatform.queue.app import enqueue; enqueue('q-a', 7); enqueue('q-b', 7); enqueue('q-c', -150)"
    subprocess.run([sys.executable, "-c", send], cwd=PROJECT_ROOT, check=True,
                   env={**os.environ, **connected.settings_env})
    try:
        code, out = _run(capsys, "state", "--env-file", env_file, "--json")
        found = json.loads(out)
        assert found["queues"]["evalplatform.evaluations"] == 3
        assert found["waiting_by_priority"] == {"7": 2, "-150": 1}
        code, out = _run(capsys, "state", "--env-file", env_file)
        assert "priority 7: 2" in out and "priority -150: 1" in out
    finally:
        import redis
        redis.Redis.from_url(connected.urls["CELERY_BROKER_URL"]).delete("evalplatform.evaluations")


def test_diagnose_finds_no_fault_in_a_clean_evaluation(env_file, capsys):
    eval_id = _completed()
    code, out = _run(capsys, "diagnose", eval_id, "--env-file", env_file)
    assert code == 0, out
    assert "queued -> running" in out and "running -> completed" in out and "no faults found" in out


def test_diagnose_flags_a_terminal_evaluation_still_running_in_redis(env_file, capsys):
    eval_id = _completed()
    state.client().sadd(state.RUNNING_SET, eval_id)
    code, out = _run(capsys, "diagnose", eval_id, "--env-file", env_file)
    state.clear_running(eval_id)
    assert code == 1 and "FAULT: terminal but still in running_evaluations" in out


def test_diagnose_flags_a_terminal_status_without_its_event(env_file, capsys):
    eval_id = _completed()
    with store.session() as s, s.begin():
        s.execute(text("DELETE FROM evaluation_events WHERE eval_id = :i AND to_status = 'completed'"),
                  {"i": eval_id})
    code, out = _run(capsys, "diagnose", eval_id, "--env-file", env_file)
    assert code == 1 and "FAULT: terminal status without a terminal event" in out


def test_diagnose_flags_an_evaluation_stuck_running(env_file, capsys):
    eval_id = store.create_evaluation(code="x", timeout=1)["eval_id"]
    store.transition(eval_id, c.QUEUED)
    store.transition(eval_id, c.RUNNING, started_at=datetime.now(timezone.utc) - timedelta(hours=1))
    code, out = _run(capsys, "diagnose", eval_id, "--env-file", env_file, "--json")
    found = json.loads(out)
    assert code == 1
    assert any(f.startswith("stuck running") for f in found["faults"]), found["faults"]
    assert "api" in found["errors"]   # no API in the core stack: said, not fatal


def test_diagnose_of_an_unknown_id_says_so(env_file, capsys):
    code, out = _run(capsys, "diagnose", "no-such-id", "--env-file", env_file)
    assert code == 2 and "unknown evaluation" in out


def test_submit_prints_the_result_and_exits_by_status(stack, tmp_path, capsys):
    ok, bad = tmp_path / "ok.py", tmp_path / "bad.py"
    ok.write_text("print(1)\n")
    bad.write_text('print("Before error")\n1/0\n')
    api = stack.urls["API_URL"]
    code, out = _run(capsys, "submit", str(ok), "--api", api)
    assert code == 0 and "status: completed" in out and "--- output\n1\n" in out
    code, out = _run(capsys, "submit", str(bad), "--api", api, "--timeout", "10")
    assert code == 1 and "status: failed (nonzero_exit)" in out
    assert "Before error" in out and "ZeroDivisionError" in out
