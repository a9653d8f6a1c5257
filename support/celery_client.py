"""A Celery app bound to the target's broker and result backend (the only module that
knows the task names, through the target's dialect: support/dialects).

It sends tasks by name, as any client of the deployment would, and asks the workers
about themselves through Celery's remote control (`inspect ping/stats/conf`), so the
scenarios check what the running workers report rather than what a config file says.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import redis
from celery import Celery
from celery.result import AsyncResult
from celery.states import READY_STATES
from kombu import Exchange, Queue

from support.dialects import CONTRACT, Dialect, TaskCall
from support.dialects import contract as contract_dialect

# The contract's task names. Steps may name tasks by these (or by "health_check" /
# "evaluate_code"); the client sends each under the target dialect's own name.
HEALTH_CHECK = contract_dialect.HEALTH_CHECK
EVALUATE_CODE = contract_dialect.EVALUATE_CODE
INSPECT_TIMEOUT = 2.0
# The Redis result backend publishes each state change of a task on this channel + task id.
RESULT_CHANNEL_PREFIX = "celery-task-meta-"


class CeleryClient:
    def __init__(self, broker_url: str, result_backend: str, *, timeout_scale: float = 1.0,
                 dialect: Dialect = CONTRACT, expected_workers: int | None = None):
        self.result_backend = result_backend
        self.dialect = dialect
        self.app = Celery("acceptance-suite", broker=broker_url, backend=result_backend, set_as_current=False)
        self.app.conf.update(
            task_serializer="json", result_serializer="json", accept_content=["json"],
            broker_connection_retry_on_startup=True, broker_connection_timeout=3,
            result_extended=True,
        )
        shape = dialect.celery
        if shape.exchange:
            # Declare the platform's queues as its workers do, so a task sent to one is
            # routed through the platform's exchange, not one named after the queue.
            exchange = Exchange(shape.exchange, type="direct")
            self.app.conf.task_queues = [Queue(name, exchange, routing_key=name) for name in shape.queues]
        self.inspect_timeout = INSPECT_TIMEOUT * timeout_scale
        # How many workers a remote-control call waits for: the number the suite started
        # (an embedded stack), else as many as answered the first call.
        self._known_workers: int | None = expected_workers
        self._work_queue: str | None = None

    def close(self) -> None:
        self.app.close()

    # -- remote control ----------------------------------------------------------------

    def _inspect(self, method: str) -> dict[str, Any]:
        """Every worker's reply. Celery cannot know how many workers will answer: unless the
        suite started them (and so knows their number), the first call waits the whole
        timeout; later calls stop as soon as as many workers as answered the first time
        have replied. Fewer replies than that still wait the whole timeout."""
        inspector = self.app.control.inspect(timeout=self.inspect_timeout, limit=self._known_workers)
        replies = getattr(inspector, method)() or {}
        if self._known_workers is None and replies:
            self._known_workers = len(replies)
        return replies

    def ping(self) -> dict[str, Any]:
        """{worker hostname: reply} from every worker that answered."""
        return self._inspect("ping")

    def stats(self) -> dict[str, Any]:
        return self._inspect("stats")

    def conf(self) -> dict[str, Any]:
        """{worker hostname: its effective Celery configuration}."""
        return self._inspect("conf")

    def active_queues(self) -> dict[str, list[dict]]:
        return self._inspect("active_queues")

    def evaluations_in_hand(self) -> set[str]:
        """The ids of the evaluations whose evaluate_code task a worker is executing now."""
        name = self.dialect.celery.evaluate_code
        return {str(task["args"][0]) for tasks in self._inspect("active").values() for task in tasks
                if task.get("name") == name and task.get("args")}

    def work_queue(self) -> str:
        """The queue every worker consumes (tasks sent by name must land where workers read);
        asked once per client."""
        if self._work_queue is None:
            self._work_queue = self._common_queue()
        return self._work_queue

    def _common_queue(self) -> str:
        queues = self.active_queues()
        if not queues:
            raise AssertionError("no Celery worker answered `inspect active_queues`")
        common = set.intersection(*({q["name"] for q in qs} for qs in queues.values()))
        if not common:
            raise AssertionError(f"the workers consume no common queue: {queues}")
        return sorted(common)[0]

    # -- tasks ---------------------------------------------------------------------------

    def _queue(self, call: TaskCall) -> str:
        return call.queue or self.work_queue()

    def _send(self, call: TaskCall, **options: Any) -> AsyncResult:
        return self.app.send_task(call.name, args=list(call.args), queue=self._queue(call), **options)

    def send(self, task_name: str, *args: Any) -> AsyncResult:
        """Send `task_name` (logical, the contract's, or a full name; sent under the
        dialect's name) with `args` as they are."""
        return self._send(self.dialect.task(task_name, *args))

    def health_check(self) -> AsyncResult:
        return self._send(self.dialect.task("health_check"))

    def evaluate_code(self, eval_id: str, *, code: str | None = None, language: str = "python",
                      timeout: int = 30, priority: int | None = None) -> AsyncResult:
        """Run one evaluation by task, in the dialect's argument shape: the contract's task
        takes the id of a stored evaluation; crucible's also takes the code and its settings."""
        return self._send(self.dialect.evaluate_call(eval_id, code=code, language=language,
                                                     timeout=timeout, priority=priority))

    def follow_states(self, task_name: str | TaskCall, *args: Any, timeout: float) -> tuple[list[str], Any]:
        """Send a task and record every state the result backend reports for it, in order.

        The suite subscribes to the task's result channel BEFORE sending (pub/sub has no
        history): the first state is what the backend reports before any worker has the
        task (PENDING), then each state the worker publishes (STARTED, SUCCESS) as it
        happens. Polling instead could miss the short-lived ones.
        """
        call = task_name if isinstance(task_name, TaskCall) else self.dialect.task(task_name, *args)
        task_id = str(uuid.uuid4())
        backend = redis.Redis.from_url(self.result_backend, decode_responses=True)
        pubsub = backend.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(f"{RESULT_CHANNEL_PREFIX}{task_id}")
        try:
            result = AsyncResult(task_id, app=self.app)
            states = [result.state]
            self._send(call, task_id=task_id)
            deadline = time.monotonic() + timeout
            while states[-1] not in READY_STATES:
                if time.monotonic() > deadline:
                    raise AssertionError(f"task {call.name} {task_id} not ready after {timeout:.1f}s; states: {states}")
                message = pubsub.get_message(timeout=0.2)
                if message:
                    states.append(json.loads(message["data"])["status"])
            return states, result.get(timeout=timeout)
        finally:
            pubsub.close()
            backend.close()
