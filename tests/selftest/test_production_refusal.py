"""The production profile refuses failpoints in every process, for real: the API and a
worker are started as they would be deployed and must exit at once, saying why. The
same processes with the development profile are the control (they get past the check,
so the refusal is the profile's doing, not a broken start)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .suite_run import PROJECT_ROOT, suite_env

pytestmark = pytest.mark.selftest

REFUSAL = "the production profile refuses to start with failpoints set"
# Unreachable on purpose: a process that gets past the failpoint check fails to connect
# (or keeps retrying until the timeout), which is what the control looks for.
NOWHERE = "redis://127.0.0.1:1"
PROCESSES = {
    "api": [sys.executable, "-m", "uvicorn", "evalplatform.api.app:app", "--host", "127.0.0.1", "--port", "0"],
    "worker": [sys.executable, "-m", "celery", "-A", "evalplatform.queue.app:celery_app", "worker",
               "--hostname", "failpoint-refusal@%h", "--concurrency", "1"],
}


def start(argv: list[str], profile: str, timeout: float = 30) -> tuple[int | None, str]:
    env = {**suite_env(["no_netns"]), "EVALPLATFORM_PROFILE": profile,
           "EVALPLATFORM_REDIS_URL": f"{NOWHERE}/0", "EVALPLATFORM_BROKER_URL": f"{NOWHERE}/1",
           "EVALPLATFORM_RESULT_BACKEND": f"{NOWHERE}/2",
           "EVALPLATFORM_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    try:
        done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as expired:
        return None, (expired.stdout or b"").decode(errors="replace") + (expired.stderr or b"").decode(errors="replace")


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_production_process_refuses_to_start_with_failpoints(process):
    code, output = start(PROCESSES[process], "production")
    assert code not in (None, 0) and REFUSAL in output, f"{process} exit {code}:\n{output[-3000:]}"


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_dev_process_gets_past_the_failpoint_check(process):
    code, output = start(PROCESSES[process], "dev", timeout=8)
    assert REFUSAL not in output, f"{process} refused in the dev profile:\n{output[-3000:]}"
