"""PostgreSQL storage of evaluations (SQLAlchemy 2, Alembic migrations run at start).

The state machine lives in repository.transition; everything else reads. Call `init`
once per process (or let the first call use the settings' URL) and `migrate` at start.
"""

from evalplatform.store.db import init, migrate, ping, session, sqlalchemy_url
from evalplatform.store.repository import (
    EvaluationNotFound,
    IllegalTransition,
    claim,
    counts_by_status,
    create_evaluation,
    evaluations_in,
    events,
    get_evaluation,
    list_evaluations,
    queued_by_priority,
    stale_evaluations,
    statuses_of,
    transition,
)

__all__ = [
    "init", "migrate", "ping", "session", "sqlalchemy_url",
    "EvaluationNotFound", "IllegalTransition", "claim", "counts_by_status", "create_evaluation",
    "evaluations_in", "events", "get_evaluation", "list_evaluations", "queued_by_priority",
    "stale_evaluations", "statuses_of", "transition",
]
