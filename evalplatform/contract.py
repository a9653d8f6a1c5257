"""The platform contract's vocabulary (docs/contract.md), in one place.

Statuses, the allowed moves between them and the failure reasons are used by the
store (which enforces the state machine), the API, the queue and the executors.
"""

from __future__ import annotations

SUBMITTED = "submitted"
QUEUED = "queued"
PROVISIONING = "provisioning"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"

STATUSES = (SUBMITTED, QUEUED, PROVISIONING, RUNNING, COMPLETED, FAILED, CANCELLED)
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})
ACTIVE = frozenset(STATUSES) - TERMINAL

# from -> the statuses it may move to. Repeating the same status is a no-op, not a move.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({QUEUED, FAILED, CANCELLED}),
    QUEUED: frozenset({PROVISIONING, RUNNING, FAILED, CANCELLED}),
    PROVISIONING: frozenset({RUNNING, COMPLETED, QUEUED, FAILED, CANCELLED}),
    RUNNING: frozenset({COMPLETED, FAILED, CANCELLED, QUEUED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}

# Machine-readable reasons of a `failed` evaluation; `cancelled` carries REASON_CANCELLED.
REASON_NONZERO_EXIT = "nonzero_exit"
REASON_TIMEOUT = "timeout"
REASON_MEMORY = "memory"
REASON_OUTPUT_LIMIT = "output_limit"
REASON_KILLED = "killed"
REASON_WORKER_LOST = "worker_lost"
REASON_SANDBOX_ERROR = "sandbox_error"
REASON_REJECTED = "rejected"
REASON_CANCELLED = "cancelled"

FAILURE_REASONS = frozenset({
    REASON_NONZERO_EXIT, REASON_TIMEOUT, REASON_MEMORY, REASON_OUTPUT_LIMIT,
    REASON_KILLED, REASON_WORKER_LOST, REASON_SANDBOX_ERROR, REASON_REJECTED,
})

# Evaluation priority: any signed 32-bit integer (the store's `priority` column is an
# INTEGER), higher runs first, FIFO within a value. The request schema (and so the OpenAPI
# document), /api/platform and the queue all read these; queue/broker.py says how the
# order is kept.
PRIORITY_MIN = -(2**31)
PRIORITY_MAX = 2**31 - 1
DEFAULT_PRIORITY = 0

# Celery task names.
TASK_HEALTH_CHECK = "evalplatform.health_check"
TASK_EVALUATE_CODE = "evalplatform.evaluate_code"


def is_allowed(from_status: str, to_status: str) -> bool:
    """True when the store may move an evaluation from `from_status` to `to_status`."""
    return to_status in ALLOWED_MOVES.get(from_status, frozenset())
