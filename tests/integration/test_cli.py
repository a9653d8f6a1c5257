"""The command-line utilities against real services: state, diagnose (with injected faults),
submit; finding the stack `up` started; one-line errors with the fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from evalplatform import contract as c
from evalplatform import state, store
from evalplatform.__main__ import main
from evalplatform.stack import PROJECT_ROOT, free_port
from support import waiting

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


def test_diagnose_flags_a_queued_evaluation_whose_message_is_nowhere(connected, env_file, capsys):
    import redis
    broker = redis.Redis.from_url(connected.urls["CELERY_BROKER_URL"])
    lost = store.create_evaluation(code="print('lost')", queued=True)["eval_id"]
    waiting = store.create_evaluation(code="print('waits')", queued=True)["eval_id"]
    broker.lpush("evalplatform.evaluations", json.dumps({"headers": {"id": waiting}}))
    try:
        code, out = _run(capsys, "diagnose", lost, "--env-file", env_file)
        assert code == 1 and "FAULT: queued but its task message is not in the broker" in out, out
        code, out = _run(capsys, "diagnose", waiting, "--env-file", env_file)
        assert "not in the broker" not in out and '"message_in_broker": true' in out, out
    finally:
        broker.delete("evalplatform.evaluations")
        for eval_id in (lost, waiting):
            store.transition(eval_id, c.CANCELLED, reason=c.REASON_CANCELLED)


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


# --- the CLI finds the stack `up` started, ignores an earlier one, and fails in one line ------

def _clean_env(home) -> dict[str, str]:
    """A shell with nothing of the platform exported: PATH and a HOME of the test's own."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}


def _cli(env: dict, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalplatform", *argv], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _earlier_stack_exports() -> dict[str, str]:
    """What `set -a; . env-file` of a stack that has gone leaves exported: its URLs and
    settings, on ports nobody listens on now."""
    dead = {name: free_port() for name in ("redis", "postgres", "api")}
    redis_url = f"redis://127.0.0.1:{dead['redis']}"
    pg = f"postgresql://evalplatform@127.0.0.1:{dead['postgres']}/evalplatform"
    return {"API_URL": f"http://127.0.0.1:{dead['api']}/api", "REDIS_URL": f"{redis_url}/0",
            "CELERY_BROKER_URL": f"{redis_url}/1", "CELERY_RESULT_BACKEND": f"{redis_url}/2",
            "DATABASE_URL": pg, "EVALPLATFORM_DATABASE_URL": pg.replace("postgresql://", "postgresql+psycopg://"),
            "EVALPLATFORM_REDIS_URL": f"{redis_url}/0", "EVALPLATFORM_BROKER_URL": f"{redis_url}/1",
            "EVALPLATFORM_RESULT_BACKEND": f"{redis_url}/2", "EVALPLATFORM_API_PORT": str(dead["api"])}


def test_up_ignores_an_earlier_stacks_exports_and_submit_finds_it_with_nothing_exported(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code = tmp_path / "hello.py"
    code.write_text('print("hello from the stack up started")\n')
    shell = _clean_env(home)
    up = subprocess.Popen([sys.executable, "-m", "evalplatform", "up"], cwd=PROJECT_ROOT,
                          env={**shell, **_earlier_stack_exports()}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    stack_env = home / ".local" / "state" / "evalplatform" / "stack.env"
    try:
        waiting.until(lambda: stack_env.exists() or up.poll() is not None, bool, timeout=90,
                      description="up to write its stack file")
        assert up.poll() is None, up.stdout.read()
        done = _cli(shell, "submit", str(code))
        assert done.returncode == 0, done.stderr
        assert "status: completed" in done.stdout and "hello from the stack up started" in done.stdout
        state = _cli(shell, "state", "--json")
        assert state.returncode == 0 and "worker0" in json.loads(state.stdout)["supervision"], state.stderr
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=60)
    assert not stack_env.exists(), "up left its stack file behind"


@pytest.mark.parametrize("argv", [["submit", "{code}"], ["state"], ["diagnose", "some-id"],
                                  ["diagnose", "some-id", "--json"]])
def test_an_unreachable_stack_is_one_line_with_the_fix_and_a_failing_exit(tmp_path, argv):
    env_file = tmp_path / "gone.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in _earlier_stack_exports().items()))
    code = tmp_path / "x.py"
    code.write_text("print(1)\n")
    done = _cli(_clean_env(tmp_path), *[a.format(code=code) for a in argv], "--env-file", str(env_file))
    assert done.returncode != 0, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cannot reach" in lines[0] or "cannot read the store" in lines[0], lines
    assert "python -m evalplatform up" in lines[0] and str(env_file) in lines[0], lines
    assert "no faults found" not in done.stdout


def test_with_no_stack_at_all_the_commands_say_how_to_start_one(tmp_path):
    done = _cli(_clean_env(tmp_path), "state")
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "no stack file at" in done.stderr and "python -m evalplatform up" in done.stderr


@pytest.mark.parametrize("command", [["state"], ["up"], ["submit", "-"]])
def test_an_invalid_setting_is_one_line_naming_it(tmp_path, command):
    env = {**_clean_env(tmp_path), "EVALPLATFORM_SANDBOX_ENGINE": "bogus"}
    done = _cli(env, *command, timeout=60)
    assert done.returncode == 2, done
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr, done.stderr
    assert "EVALPLATFORM_SANDBOX_ENGINE='bogus'" in done.stderr and "'nsjail'" in done.stderr, done.stderr
