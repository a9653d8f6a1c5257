"""The contract's vocabulary, as the suite reads docs/contract.md.

Deliberately NOT imported from `evalplatform`: the gate must judge a platform by the
contract, so a mistake in the platform's own copy of the state machine must show up as
a failing scenario, not be shared by the judge.
"""

from __future__ import annotations

TERMINAL = frozenset({"completed", "failed", "cancelled"})

# "from -> to" moves the contract allows (the same status repeated is a no-op, not a move).
ALLOWED_MOVES = frozenset(
    f"{src}->{dst}" for src, dsts in {
        "submitted": "queued failed cancelled",
        "queued": "provisioning running failed cancelled",
        "provisioning": "running completed queued failed cancelled",
        "running": "completed failed cancelled queued",
    }.items() for dst in dsts.split()
)

FAILURE_REASONS = frozenset(
    "nonzero_exit timeout memory output_limit killed worker_lost sandbox_error rejected".split())

# The fields every GET /api/eval/{id} record carries.
RECORD_FIELDS = frozenset(
    "eval_id code language environment priority status reason created_at queued_at started_at "
    "completed_at exit_code signal output error output_truncated error_truncated runtime_ms "
    "memory_used_mb engine worker_id metadata".split())
STATUS_FIELDS = frozenset("eval_id status reason created_at completed_at success".split())
LOGS_FIELDS = frozenset("eval_id output error is_running exit_code status source".split())
SUBMIT_FIELDS = frozenset("eval_id status message queue_position".split())
LIST_FIELDS = frozenset("evaluations count limit offset has_more".split())
LIST_ITEM_FIELDS = frozenset("eval_id status created_at code_preview success".split())
QUEUE_FIELDS = frozenset("queued running completed failed cancelled by_priority workers capacity".split())
HEALTH_SERVICES = frozenset("api redis broker database workers sandbox".split())
RUNNING_KEY_FIELDS = frozenset("eval_id worker_id executor_id started_at timeout".split())
PUBLISHED_FIELDS = frozenset("eval_id status reason at".split())
ENGINES = frozenset({"nsjail", "bwrap", "gvisor"})
EXECUTORS = frozenset({"local", "kubernetes"})


def is_allowed(src: str | None, dst: str) -> bool:
    """True for a move the contract allows; a first event (no `src`) must be `submitted`."""
    if src is None:
        return dst == "submitted"
    return f"{src}->{dst}" in ALLOWED_MOVES
