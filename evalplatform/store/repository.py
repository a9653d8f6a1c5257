"""Every read and write of evaluations, and THE status state machine (`transition`).

All status changes go through `transition`: it locks the row (SELECT ... FOR UPDATE),
checks the move against contract.ALLOWED_MOVES, writes the timestamp and result fields,
records one evaluation_events row, and commits — one short transaction per move. Only
after the commit does it publish on Redis and clear the running keys, so no subscriber
ever sees a status the database does not hold.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from sqlalchemy import func, or_, select, and_

from evalplatform import contract, failpoints
from evalplatform.settings import get_settings
from evalplatform.store.db import session
from evalplatform.store.models import Evaluation, EvaluationEvent

log = logging.getLogger(__name__)

CODE_PREVIEW_CHARS = 100
# Result fields a move may write besides status/reason/timestamps ("metadata" is the JSONB).
WRITABLE_FIELDS = frozenset({
    "exit_code", "signal", "output", "error", "output_truncated", "error_truncated",
    "runtime_ms", "memory_used_mb", "engine", "worker_id", "attempts", "metadata",
    "queued_at", "started_at", "completed_at",
})
COLUMNS = tuple(c.key for c in Evaluation.__table__.columns)


class IllegalTransition(Exception):
    """A move the contract does not allow (for example completed -> running)."""

    def __init__(self, eval_id: str, from_status: str, to_status: str):
        super().__init__(f"evaluation {eval_id}: {from_status} -> {to_status} is not allowed")
        self.eval_id, self.from_status, self.to_status = eval_id, from_status, to_status


class EvaluationNotFound(LookupError):
    """No evaluation has this id."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _as_dict(row: Evaluation) -> dict[str, Any]:
    """The record with the contract's field names; timestamps as ISO-8601 UTC strings."""
    record = {}
    for column in COLUMNS:
        value = getattr(row, "meta" if column == "metadata" else column)
        record[column] = _iso(value) if isinstance(value, datetime) else value
    return record


def create_evaluation(*, code: str, language: str = "python", environment: str = "python",
                      priority: int = 0, timeout: Optional[int] = None, memory_limit: Optional[str] = None,
                      cpu_limit: Optional[str] = None, expect_failure: bool = False,
                      debug: bool = False, metadata: Optional[dict] = None,
                      eval_id: Optional[str] = None) -> dict[str, Any]:
    """Store a new evaluation as `submitted` (with its first event, from None). No timeout:
    the platform's default."""
    import uuid
    now = utcnow()
    timeout = timeout or get_settings().default_timeout_s
    row = Evaluation(
        eval_id=eval_id or str(uuid.uuid4()), code=code,
        code_hash=hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest(),
        language=language, environment=environment, priority=priority,
        status=contract.SUBMITTED, created_at=now, updated_at=now, timeout=timeout,
        memory_limit=memory_limit, cpu_limit=cpu_limit, expect_failure=expect_failure,
        debug=debug, attempts=0, meta=metadata or {}, output_truncated=False,
        error_truncated=False)
    with session() as s, s.begin():
        s.add(row)
        s.flush()
        s.add(EvaluationEvent(eval_id=row.eval_id, from_status=None,
                              to_status=contract.SUBMITTED, at=now))
    _after_commit(row.eval_id, contract.SUBMITTED, None, now)
    return _as_dict(row)


def transition(eval_id: str, to_status: str, *, reason: Optional[str] = None,
               expect_from: Optional[set[str]] = None, detail: Optional[dict] = None,
               **fields: Any) -> bool:
    """Move an evaluation to `to_status`; True when it moved.

    Same status: a no-op (False, nothing written). `expect_from` given and the current
    status not in it: False (the caller lost a race, e.g. a cancel beat the worker).
    Otherwise a move the contract refuses raises IllegalTransition. `fields` are result
    columns (exit_code, output, worker_id, ...); `detail` goes into the event row.
    """
    if to_status not in contract.STATUSES:
        raise ValueError(f"unknown status {to_status!r}")
    unknown = set(fields) - WRITABLE_FIELDS
    if unknown:
        raise TypeError(f"transition() cannot write {sorted(unknown)}")
    now = utcnow()
    with session() as s, s.begin():
        row = s.get(Evaluation, eval_id, with_for_update=True)
        if row is None:
            raise EvaluationNotFound(eval_id)
        from_status = row.status
        if from_status == to_status:
            return False
        if not failpoints.active("illegal_moves_allowed"):
            if expect_from is not None and from_status not in expect_from:
                return False
            if not contract.is_allowed(from_status, to_status):
                raise IllegalTransition(eval_id, from_status, to_status)
        _apply_move(row, from_status, to_status, reason, now, fields)
        s.add(EvaluationEvent(eval_id=eval_id, from_status=from_status, to_status=to_status,
                              reason=reason, at=now, detail=detail))
    _after_commit(eval_id, to_status, reason, now,
                  was_running=from_status in (contract.PROVISIONING, contract.RUNNING))
    return True


def _apply_move(row: Evaluation, from_status: str, to_status: str, reason: Optional[str],
                now: datetime, fields: dict[str, Any]) -> None:
    row.status, row.reason, row.updated_at = to_status, reason, now
    if to_status == contract.QUEUED:
        row.queued_at = now
    elif to_status in (contract.PROVISIONING, contract.RUNNING):
        if from_status == contract.QUEUED:
            row.attempts = (row.attempts or 0) + 1   # one pick-up by a worker, one attempt
        if to_status == contract.RUNNING or row.started_at is None:
            row.started_at = now
    elif to_status in contract.TERMINAL:
        row.completed_at = now
    for name, value in fields.items():
        setattr(row, "meta" if name == "metadata" else name, value)


def _after_commit(eval_id: str, status: str, reason: Optional[str], at: datetime,
                  was_running: bool = False) -> None:
    """Publish the move and drop the running keys when it stopped running (terminal, or
    re-queued after a lost worker). Redis being down does not undo a committed move: the
    reaper and the keys' expiry are the backstops."""
    from evalplatform import state
    try:
        if status in contract.TERMINAL or (was_running and status == contract.QUEUED):
            state.clear_running(eval_id)
        state.publish_status(eval_id, status, reason, _iso(at))
    except Exception as exc:
        log.warning("evaluation %s is %s but Redis was not told: %s", eval_id, status, exc)


def get_evaluation(eval_id: str) -> Optional[dict[str, Any]]:
    with session() as s:
        row = s.get(Evaluation, eval_id)
        return _as_dict(row) if row is not None else None


def list_evaluations(status: Optional[str] = None, limit: int = 20,
                     offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Newest first; each item is a summary (no code/output), with `code_preview`. And the total."""
    wanted = [Evaluation.status == status] if status else []
    summary = (Evaluation.eval_id, Evaluation.status, Evaluation.reason, Evaluation.priority,
               Evaluation.created_at, Evaluation.completed_at, Evaluation.exit_code,
               func.left(Evaluation.code, CODE_PREVIEW_CHARS).label("code_preview"))
    with session() as s:
        total = s.scalar(select(func.count()).select_from(Evaluation).where(*wanted))
        rows = s.execute(select(*summary).where(*wanted)
                         .order_by(Evaluation.created_at.desc(), Evaluation.eval_id)
                         .limit(limit).offset(offset)).mappings().all()
    items = [{k: _iso(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]
    return items, int(total or 0)


def counts_by_status() -> dict[str, int]:
    """Every contract status with its count (0 when none)."""
    counts = dict.fromkeys(contract.STATUSES, 0)
    with session() as s:
        for status, n in s.execute(select(Evaluation.status, func.count()).group_by(Evaluation.status)):
            counts[status] = n
    return counts


def queued_by_priority() -> dict[int, int]:
    with session() as s:
        rows = s.execute(select(Evaluation.priority, func.count())
                         .where(Evaluation.status == contract.QUEUED)
                         .group_by(Evaluation.priority))
        return {priority: n for priority, n in rows}


def events(eval_id: str) -> list[dict[str, Any]]:
    """The evaluation's status changes, oldest first."""
    with session() as s:
        rows = s.scalars(select(EvaluationEvent).where(EvaluationEvent.eval_id == eval_id)
                         .order_by(EvaluationEvent.id)).all()
        return [{"id": e.id, "eval_id": e.eval_id, "from_status": e.from_status,
                 "to_status": e.to_status, "reason": e.reason, "at": _iso(e.at),
                 "detail": e.detail} for e in rows]


def stale_evaluations(grace_s: int, queued_max_age_s: Optional[int] = None) -> list[dict[str, Any]]:
    """Non-terminal evaluations that should have ended by now (for the reaper).

    - provisioning/running: started (or last moved) more than timeout + grace ago;
    - submitted: created more than grace ago (the API should have queued it at once);
    - queued: only when `queued_max_age_s` is given, queued longer than that — a long
      queue is legitimate, so waiting is not by itself a fault.
    """
    now = utcnow()
    grace = timedelta(seconds=grace_s)
    timeout = func.make_interval(0, 0, 0, 0, 0, 0, Evaluation.timeout)
    started = func.coalesce(Evaluation.started_at, Evaluation.updated_at)
    conditions = [
        and_(Evaluation.status.in_([contract.PROVISIONING, contract.RUNNING]),
             started + timeout + grace < now),
        and_(Evaluation.status == contract.SUBMITTED, Evaluation.created_at + grace < now),
    ]
    if queued_max_age_s is not None:
        conditions.append(and_(
            Evaluation.status == contract.QUEUED,
            func.coalesce(Evaluation.queued_at, Evaluation.created_at)
            + timedelta(seconds=queued_max_age_s) < now))
    with session() as s:
        rows = s.scalars(select(Evaluation).where(or_(*conditions))
                         .order_by(Evaluation.created_at)).all()
        return [_as_dict(r) for r in rows]
