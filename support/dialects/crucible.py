"""The `crucible` dialect: crucible-eval-platform (github.com/VeylanSolmira/crucible-eval-platform),
the platform the original integration suite was written for, as its newest source reads
(commit 1b8b6ce), with the older spellings it has had where they are cheap to accept.

Where each difference comes from (paths in that repository):
- health: `GET /health` outside /api (api/microservices_gateway.py `health`). Its answer has
  changed: `{"status": "healthy"}` or 503 `{"status": "unhealthy", "services": {name: bool}}`
  (before 99d8e6a); then `{"status", "services": {name: bool}, "details": {name: "healthy"}}`
  (99d8e6a..870e96c); now `{"status": "healthy", "service": "api-gateway", ...}` with no
  services. `GET /api/health` answers `{"status": "ok", "services": {gateway, queue, storage,
  executor: "healthy"}}` (api/models.py HealthResponse).
- priority: `int`, "0-2000+, higher = more important", no bound checked (api/models.py since
  e065cb8; before: -1..1 (f2ecb5f), a bool (920d1db and older)). Its tests use 150/250/350
  (shared/utils/priority_mapping.py LEGACY_PRIORITY_MAPPING), which this dialect takes as
  low/normal/high.
- Celery: tasks `celery_worker.tasks.health_check`, `celery_worker.tasks.evaluate_code(eval_id,
  code, language, timeout, priority, executor_image, memory_limit, cpu_limit, debug,
  expect_failure)` (celery_worker/tasks.py); queues on the direct exchange `crucible`
  (celery_worker/celeryconfig.py); evaluate_code goes to `high_priority` (>= 1000),
  `evaluation` (>= 250) or `low_priority` (shared/utils/priority_mapping.py get_celery_queue).
- Redis: `eval:{id}:running` is JSON `{executor_id, container_id, started_at, timeout}` when
  storage_worker/app.py writes it, a HASH when its own tests do
  (tests/integration/test_redis_cleanup_events.py, diagnose_status_update.py `hgetall`).
  Channels `evaluation:{status}` carry no status/reason/at, and `evaluation:{id}:logs` shares
  the pattern (storage_worker/app.py, dispatcher_service/app.py).
- cancel of a terminal evaluation: 200 `{eval_id, status, message: "Evaluation already in
  terminal state: <status>"}`; unknown ids and running-only failures answer `{"error": ...}`.
- `GET /api/eval/{id}/status` answers 202 while running or pending.
- ids `YYYYMMDD_HHMMSS_<8 hex>` (api/microservices_gateway.py `evaluate`).
- no `environment` in a submission: `executor_image` names it (api/models.py EvaluationRequest).
- no reason field, no /api/platform (`/api/status` is a different report), no /api/environments;
  queue status `{queued, processing, queue_length, total_tasks, error}` (api/models.py).
- PostgreSQL: `evaluations.id`, `evaluation_events(id, evaluation_id, timestamp, event_type,
  message, metadata)` (storage/models/models.py): no from-status, no reason.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from support.dialects.shapes import (
    CeleryShape,
    EventsTable,
    Fields,
    Place,
    Priorities,
    health_reader,
)

HEALTH_CHECK = "celery_worker.tasks.health_check"
EVALUATE_CODE = "celery_worker.tasks.evaluate_code"
EXCHANGE = "crucible"
DEFAULT_QUEUE = "evaluation"
QUEUES = ("evaluation", "high_priority", "low_priority", "batch", "maintenance")
EVAL_ID = re.compile(r"\d{8}_\d{6}_[0-9a-f]{8}")
TERMINAL_WORDS = "already in terminal state"
# The services GET /api/health names (detection tells crucible's /api/health by them).
API_HEALTH_SERVICES = frozenset({"gateway", "queue", "storage"})


def new_id() -> str:
    """An id as crucible makes them (api/microservices_gateway.py `evaluate`)."""
    return f"{datetime.now(timezone.utc).strftime('%Y%m%d_%H%M%S')}_{os.urandom(4).hex()}"


def evaluate_args(*, eval_id: str, code: str | None, language: str, timeout: int, priority: int, **_ignored) -> tuple:
    """evaluate_code(eval_id, code, language, timeout, priority): the task carries the code."""
    if code is None:
        raise AssertionError("crucible's evaluate_code task carries the code itself: pass code= "
                             "(the evaluation's source) as well as its id")
    return (eval_id, code, language, timeout, priority)


def queue_for_priority(priority: int) -> str:
    """shared/utils/priority_mapping.py get_celery_queue."""
    if priority >= 1000:
        return "high_priority"
    if priority >= 250:
        return "evaluation"
    return "low_priority"


def route(task: str, priority: int | None) -> str:
    if task == EVALUATE_CODE and priority is not None:
        return queue_for_priority(priority)
    return DEFAULT_QUEUE


def submission(fields: dict) -> dict:
    """Crucible has no `environment` field (pydantic drops it unread): the environment is
    its `executor_image` (api/models.py EvaluationRequest)."""
    body = dict(fields)
    if "environment" in body and "executor_image" not in body:
        body["executor_image"] = body.pop("environment")
    return body


def _says_already_terminal(body: dict) -> bool:
    return TERMINAL_WORDS in str(body.get("message", ""))


def _build():
    from support.dialects import Dialect
    return Dialect(
        name="crucible",
        health=Place("root", "/health"),
        read_health=health_reader(frozenset({"healthy", "ok"})),
        platform=None,
        environments=None,
        status_codes=(200, 202),
        cancel_terminal_code=200,
        cancel_terminal_says=_says_already_terminal,
        error_fields=("detail", "error"),
        submission=submission,
        id_pattern=EVAL_ID,
        new_id=new_id,
        unknown_id="19700101_000000_00000000",
        priorities=Priorities(low=150, normal=250, high=350, minimum=0, maximum=None, default=0),
        fields=Fields(
            record=frozenset("eval_id code language status created_at started_at completed_at output error "
                             "exit_code runtime_ms memory_used_mb output_truncated error_truncated metadata".split()),
            status=frozenset("eval_id status created_at completed_at output error success".split()),
            logs=frozenset("eval_id output error is_running exit_code status source".split()),
            submit=frozenset("eval_id status message queue_position".split()),
            listing=frozenset("evaluations count limit offset has_more".split()),
            list_item=frozenset("eval_id status created_at code_preview success".split()),
            queue=frozenset("queued processing queue_length total_tasks".split()),
            # The newest GET /health names no services; the older ones did.
            health_services=frozenset(),
            # What both its writers (the storage worker's JSON, its tests' hash) put there.
            running_key=frozenset({"started_at"}),
            published=frozenset({"eval_id"}),
            types={"runtime_ms": (int,), "memory_used_mb": (int,), "exit_code": (int,)},
        ),
        has_reason=False,
        celery=CeleryShape(health_check=HEALTH_CHECK, evaluate_code=EVALUATE_CODE, evaluate_args=evaluate_args,
                           route=route, exchange=EXCHANGE, queues=QUEUES),
        running_key_types=("hash", "string"),
        channel_pattern="evaluation:*",
        events=EventsTable(table="evaluation_events", eval_id="evaluation_id", from_status="NULL",
                           to_status="event_type", reason="NULL", at="timestamp"),
        evaluations_id_column="id",
    )


DIALECT = _build()
