"""A platform of the scenario's own, and the faults chaos scenarios inject into it.

Every @chaos scenario gets a dedicated embedded stack instead of the session's shared one:
a killed worker, an emptied Redis or a full queue would otherwise leak into whichever
scenario runs next, and a scenario could pass or fail because of its neighbour. Each
stack starts in a few seconds and is sized by the scenario (workers, slots, queue depth).

This is the only module of the suite that touches the stack's process controls
(evalplatform.stack.Stack: kill_worker, stop_service, start_service, ...). @chaos
scenarios are skipped, with the reason, against an external API_URL (conftest.py):
faults can only be injected into processes the suite started itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

from support import waiting
from support.api_client import ApiClient
from support.evaluations import Evaluations

# The reaper's grace on a chaos stack: short, so a scenario that waits "timeout + grace"
# for a lost evaluation waits seconds, not the default quarter of a minute.
GRACE_S = 3
START_TIMEOUT_S = 60
SERVICES = ("redis", "postgres", "api")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# A consumer of the platform's own Celery app that takes ONE evaluation message the way a
# worker does (acks late: the message moves to the broker's unacknowledged set), prints
# its task id (the evaluation id), and holds it until it is killed: a worker that dies
# between taking an evaluation and starting it.
TAKING_CONSUMER = """
import sys
from kombu import Consumer
from evalplatform.queue.app import celery_app, priority_queue
queue = next(q for q in celery_app.conf.task_queues if q.name == priority_queue(int(sys.argv[1])))
with celery_app.connection_for_read() as conn:
    taken = lambda body, message: print(message.headers["id"], flush=True)
    with Consumer(conn, queues=[queue], callbacks=[taken], accept=["json"], prefetch_count=1):
        conn.drain_events(timeout=float(sys.argv[2]))
        sys.stdin.read()
"""


class ChaosPlatform:
    """An embedded stack for one scenario: `workers` workers of `slots` slots each."""

    def __init__(self, workers: int = 1, slots: int = 1, queue_max_depth: Optional[int] = None,
                 timeout_scale: float = 1.0):
        env = {"EVALPLATFORM_WORKER_CONCURRENCY": str(slots),
               "EVALPLATFORM_REAPER_GRACE_S": str(GRACE_S)}
        if queue_max_depth is not None:
            env["EVALPLATFORM_QUEUE_MAX_DEPTH"] = str(queue_max_depth)
        from evalplatform.stack import (
            Stack,  # the suite imports evalplatform only for embedded stacks
        )
        self.stack = Stack(workers=workers, env=env)
        self.scale = timeout_scale
        self.api: Optional[ApiClient] = None
        self.evaluations: Optional[Evaluations] = None

    def start(self) -> "ChaosPlatform":
        self.stack.start(timeout=START_TIMEOUT_S * self.scale)
        self.api = ApiClient(self.stack.urls["API_URL"], timeout_scale=self.scale)
        self.evaluations = Evaluations(self.api, timeout_scale=self.scale)
        return self

    def stop(self) -> None:
        if self.api is not None:
            self.api.close()
        self.stack.stop()

    @property
    def urls(self) -> dict[str, str]:
        return self.stack.urls

    def grace_s(self) -> float:
        """The reaper's grace as /api/platform states it, else the one this stack was given."""
        stated = self.api.platform().get("reaper_grace_s")
        return float(stated if stated is not None else GRACE_S)

    # -- workers -------------------------------------------------------------------------

    def kill_worker_of(self, eval_id: str, sig: int = signal.SIGKILL) -> str:
        """Signal the worker process that runs `eval_id` (its record's worker_id ends in
        `#<pid>`); returns that worker id."""
        worker_id = self.api.evaluation(eval_id)["worker_id"]
        assert worker_id, f"evaluation {eval_id} names no worker: it is not running"
        pid = int(worker_id.rpartition("#")[2])
        indexes = [i for i, worker in enumerate(self.stack.workers) if worker.pid == pid]
        assert indexes, f"worker {worker_id} is not one of this stack's workers {self.stack.worker_pids()}"
        self.stack.kill_worker(indexes[0], sig)
        waiting.until(lambda: self.stack.workers[indexes[0]].alive(), lambda alive: not alive,
                      timeout=5 * self.scale, description=f"worker {worker_id} to die of signal {sig}")
        return worker_id

    def take_message_and_die(self, priority: int) -> str:
        """Take the next evaluation of `priority` from the broker as a worker would, then die
        (SIGKILL) before starting it; returns the evaluation id it held."""
        env = {**os.environ, **self.stack.settings_env,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
        consumer = subprocess.Popen([sys.executable, "-c", TAKING_CONSUMER, str(priority), str(10 * self.scale)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        try:
            taken = consumer.stdout.readline().strip()   # bounded by the consumer's own timeout
            assert taken, f"the consumer took no message of priority {priority} (exit status {consumer.poll()})"
            return taken
        finally:
            consumer.kill()
            consumer.wait()

    # -- services ------------------------------------------------------------------------

    def stop_service(self, name: str) -> None:
        self._check(name)
        self.stack.stop_service(name)

    def start_service(self, name: str) -> None:
        """Start it again on the same port and wait until it answers."""
        self._check(name)
        self.stack.start_service(name, timeout=START_TIMEOUT_S * self.scale)

    def restart_service(self, name: str) -> None:
        self.stop_service(name)
        self.start_service(name)

    @staticmethod
    def _check(name: str) -> None:
        if name not in SERVICES:
            raise ValueError(f"unknown service {name!r}; the chaos steps control {', '.join(SERVICES)}")
