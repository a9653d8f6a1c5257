"""The `contract` dialect: docs/contract.md as written (the reference platform speaks it).

Its vocabulary comes from support/contract.py, the suite's one reading of the contract,
so the two cannot drift apart.
"""

from __future__ import annotations

import re
import uuid

from support import contract as c
from support.dialects.shapes import (
    CeleryShape,
    EventsTable,
    Fields,
    Place,
    Priorities,
    health_reader,
)

HEALTH_CHECK = "evalplatform.health_check"
EVALUATE_CODE = "evalplatform.evaluate_code"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def evaluate_args(*, eval_id: str, **_ignored) -> tuple:
    """`evalplatform.evaluate_code(eval_id)`: the worker reads everything else from the store."""
    return (eval_id,)


def route(task: str, priority: int | None) -> None:
    """No fixed queue: tasks go to the queue every worker consumes (asked of the workers)."""
    return None


def _says_unchanged(body: dict) -> bool:
    """A 409 with the unchanged status is the whole answer; the message is free text."""
    return True


def _build():
    from support.dialects import Dialect
    return Dialect(
        name="contract",
        health=Place("api", "/health"),
        read_health=health_reader(frozenset({"ok"})),
        platform=Place("api", "/platform"),
        environments=Place("api", "/environments"),
        status_codes=(200,),
        cancel_terminal_code=409,
        cancel_terminal_says=_says_unchanged,
        error_fields=("detail",),
        submission=dict,
        id_pattern=UUID,
        new_id=lambda: str(uuid.uuid4()),
        unknown_id="00000000-0000-0000-0000-000000000000",
        # The contract fixes no upper bound; a deployment reports its own range in
        # GET /api/platform `priority` (Priorities.narrowed). 0..10 fits every range so far.
        priorities=Priorities(low=0, normal=5, high=10, minimum=0, maximum=None, default=0),
        fields=Fields(
            record=c.RECORD_FIELDS, status=c.STATUS_FIELDS, logs=c.LOGS_FIELDS, submit=c.SUBMIT_FIELDS,
            listing=c.LIST_FIELDS, list_item=c.LIST_ITEM_FIELDS, queue=c.QUEUE_FIELDS,
            health_services=c.HEALTH_SERVICES, running_key=c.RUNNING_KEY_FIELDS, published=c.PUBLISHED_FIELDS,
            types={"runtime_ms": (int, float), "memory_used_mb": (int, float), "exit_code": (int,),
                   "priority": (int,)},
        ),
        has_reason=True,
        celery=CeleryShape(health_check=HEALTH_CHECK, evaluate_code=EVALUATE_CODE,
                           evaluate_args=evaluate_args, route=route),
        running_key_types=("string",),
        channel_pattern="evaluation:*",
        events=EventsTable(table="evaluation_events", eval_id="eval_id", from_status="from_status",
                           to_status="to_status", reason="reason", at="at"),
        evaluations_id_column="eval_id",
    )


DIALECT = _build()
