"""The platform's `state` utility (python -m evalplatform state), run as a client would
run it: a separate process pointed at the target's Redis and broker by the suite's own
variables. It is a command, not an import: the suite judges its output like any other."""

from __future__ import annotations

import json
import subprocess
import sys

from support.config import Target
from support.host import PROJECT_ROOT

COMMAND = [sys.executable, "-m", "evalplatform", "state", "--json"]


def snapshot(target: Target, timeout: float = 30.0) -> dict:
    env = {"PATH": "/usr/bin:/bin", "API_URL": target.api_url, "REDIS_URL": target.redis_url,
           "CELERY_BROKER_URL": target.broker_url, "CELERY_RESULT_BACKEND": target.result_backend,
           "DATABASE_URL": target.database_url}
    done = subprocess.run(COMMAND, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT,
                          timeout=target.seconds(timeout))
    assert done.returncode == 0, f"{' '.join(COMMAND)} exited {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)
