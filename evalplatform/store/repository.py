"""Every read and write of evaluations, and THE status state machine (`transition`).

All status changes go through `transition`: ONE statement (so one round trip, and its
own transaction: the engine autocommits) locks the row (SELECT ... FOR UPDATE in a CTE),
updates it only when its current status may move to the new one (contract.ALLOWED_MOVES
and the caller's expect_from), writes the timestamps and result fields, and records one
evaluation_events row, all or nothing. Only after it committed does it publish on Redis
and clear the running keys, so no subscriber ever sees a status the database does not
hold. A submission is likewise one statement: the row and its first event.

Why single statements: on loopback the cost of a store call is its round trips (each a
few system calls and context switches on both sides), not PostgreSQL's work; a move
used to take six (ping, BEGIN, SELECT FOR UPDATE, UPDATE, INSERT, COMMIT). See
docs/performance.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Optional

from sqlalchemy import (Text, and_, bindparam, case, func, insert, literal, null, or_, select,
                        union_all, update)
from sqlalchemy.dialects.postgresql import JSONB

from evalplatform import contract, failpoints
from evalplatform.settings import get_settings
from evalplatform.store.db import engine, session
from evalplatform.store.models import Evaluation, EvaluationEvent

log = logging.getLogger(__name__)

CODE_PREVIEW_CHARS = 100
# Result fields a move may write besides status/reason/timestamps ("metadata" is the JSONB).
WRITABLE_FIELDS = frozenset({
    "exit_code", "signal", "output", "error", "output_truncated", "error_truncated",
    "runtime_ms", "memory_used_mb", "engine", "worker_id", "attempts", "metadata",
    "queued_at", "started_at", "completed_at",
})
EVALUATIONS, EVENTS = Evaluation.__table__, EvaluationEvent.__table__
COLUMNS = tuple(c.key for c in EVALUATIONS.columns)


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


def _as_dict(row) -> dict[str, Any]:
    """The record (a result row's mapping) with the contract's field names; timestamps as
    ISO-8601 UTC strings."""
    return {column: _iso(row[column]) if isinstance(row[column], datetime) else row[column]
            for column in COLUMNS}


def create_evaluation(*, code: str, language: str = "python", environment: str = "python",
                      priority: int = 0, timeout: Optional[int] = None, memory_limit: Optional[str] = None,
                      cpu_limit: Optional[str] = None, expect_failure: bool = False,
                      debug: bool = False, metadata: Optional[dict] = None,
                      eval_id: Optional[str] = None, queued: bool = False) -> dict[str, Any]:
    """Store a new evaluation as `submitted`, with its first event (from None). No timeout:
    the platform's default.

    `queued`: and move it on to `queued` in the same statement, with both events (the API,
    before it sends the task: the worker can then only ever find it queued, and the
    channels carry submitted, queued, running in that order)."""
    import uuid
    now = utcnow()
    timeout = timeout or get_settings().default_timeout_s
    record = dict.fromkeys(COLUMNS)
    record.update(
        eval_id=eval_id or str(uuid.uuid4()), code=code,
        code_hash=(hashlib.md5 if failpoints.active("code_hash_wrong") else hashlib.sha256)(
            code.encode("utf-8", "surrogatepass")).hexdigest(),
        language=language, environment=environment, priority=priority,
        status=contract.QUEUED if queued else contract.SUBMITTED, queued_at=now if queued else None,
        created_at=now, updated_at=now, timeout=timeout,
        memory_limit=memory_limit, cpu_limit=cpu_limit, expect_failure=expect_failure,
        debug=debug, attempts=0, output_truncated=False,
        metadata=json.dumps(metadata or {}) if failpoints.active("metadata_as_text") else metadata or {},
        error_truncated=False)
    moves = [(None, contract.SUBMITTED)] + ([(contract.SUBMITTED, contract.QUEUED)] if queued else [])
    given = {k: v for k, v in record.items() if v is not None}
    with engine().connect() as conn:
        conn.execute(_create_statement(tuple(given), len(moves)),
                     {**{f"new_{k}": v for k, v in given.items()}, "new_now": now,
                      **{f"new_from_{i}": a for i, (a, _) in enumerate(moves)},
                      **{f"new_to_{i}": b for i, (_, b) in enumerate(moves)}})
    _after_commit(record["eval_id"], [to for _, to in moves], None, now)
    return _as_dict(record)


@lru_cache(maxsize=64)
def _create_statement(columns: tuple[str, ...], moves: int):
    """The submission's statement for one set of given columns and number of moves, built
    once with bound parameters (new_<column>, new_now, new_from_<i>, new_to_<i>): the row,
    and one event per move, their ids in the order of the moves (ORDER BY in the INSERT's
    SELECT)."""
    created = (insert(EVALUATIONS)
               .values({c: bindparam(f"new_{c}", type_=EVALUATIONS.c[c].type) for c in columns})
               .returning(EVALUATIONS.c.eval_id).cte("created"))
    steps = union_all(*(select(literal(i).label("step"),
                               bindparam(f"new_from_{i}", type_=Text).label("from_status"),
                               bindparam(f"new_to_{i}", type_=Text).label("to_status"))
                        for i in range(moves))).subquery("steps")
    events_rows = insert(EVENTS).from_select(
        ["eval_id", "from_status", "to_status", "at"],
        select(created.c.eval_id, steps.c.from_status, steps.c.to_status,
               bindparam("new_now", type_=EVENTS.c.at.type))
        .select_from(created.join(steps, literal(True))).order_by(steps.c.step))
    return events_rows.add_cte(created)


def transition(eval_id: str, to_status: str, *, reason: Optional[str] = None,
               expect_from: Optional[set[str]] = None, detail: Optional[dict] = None,
               **fields: Any) -> bool:
    """Move an evaluation to `to_status`; True when it moved.

    Same status: a no-op (False, nothing written). `expect_from` given and the current
    status not in it: False (the caller lost a race, e.g. a cancel beat the worker).
    Otherwise a move the contract refuses raises IllegalTransition. `fields` are result
    columns (exit_code, output, worker_id, ...); `detail` goes into the event row.
    """
    status, moved = _move(eval_id, to_status, reason, expect_from, detail, fields)
    if moved is None:   # not moved: say why
        if status == to_status or (expect_from is not None and status not in expect_from):
            return False
        raise IllegalTransition(eval_id, status, to_status)
    _after_commit(eval_id, [to_status], reason, moved["updated_at"],
                  was_running=moved["from_status"] in (contract.PROVISIONING, contract.RUNNING))
    return True


def claim(eval_id: str, worker_id: str, executor_id: str,
          started_at: Optional[datetime] = None) -> Optional[dict[str, Any]]:
    """queued -> running for this worker, in one statement; the record as it now stands,
    or None when it was not queued (cancelled first, a duplicate delivery, ...: the caller
    reads it to see why). The running keys are set with the `running` publish, in one
    Redis transaction, their start time the stored started_at: `started_at` when given
    (when the worker took the message, queue/deliveries.py), else now."""
    status, moved = _move(eval_id, contract.RUNNING, None, {contract.QUEUED}, None,
                          {"worker_id": worker_id}, whole_row=True, now=started_at)
    if moved is None:
        return None
    from evalplatform import state
    record = _as_dict(moved)
    running = state.running_info_of(eval_id, worker_id=worker_id, executor_id=executor_id,
                                    started_at=record["started_at"] or _iso(moved["updated_at"]),
                                    timeout=record["timeout"])
    _after_commit(eval_id, [contract.RUNNING], None, moved["updated_at"], running=running)
    return record


def _move(eval_id: str, to_status: str, reason: Optional[str], expect_from: Optional[set[str]],
          detail: Optional[dict], fields: dict[str, Any], whole_row: bool = False,
          now: Optional[datetime] = None):
    """THE state machine's one statement: (the status found, the moved row or None).

    The moved row holds `from_status` and `updated_at` (the move's time), and with
    `whole_row` every column as the move left it."""
    if to_status not in contract.STATUSES:
        raise ValueError(f"unknown status {to_status!r}")
    unknown = set(fields) - WRITABLE_FIELDS
    if unknown:
        raise TypeError(f"transition() cannot write {sorted(unknown)}")
    if failpoints.active("illegal_moves_allowed"):
        movable = [status for status in contract.STATUSES if status != to_status]
    else:
        movable = [status for status in contract.STATUSES if contract.is_allowed(status, to_status)
                   and (expect_from is None or status in expect_from)]
    statement = _move_statement(to_status, tuple(movable), tuple(sorted(fields)), whole_row,
                                detail is not None, failpoints.active("events_unstored"),
                                failpoints.active("started_at_unset"))
    parameters = {"move_eval_id": eval_id, "move_now": now or utcnow(), "move_reason": reason,
                  "move_detail": detail, **{f"move_{name}": value for name, value in fields.items()}}
    with engine().connect() as conn:
        found = conn.execute(statement, parameters).first()
    if found is None:
        raise EvaluationNotFound(eval_id)
    row = found._mapping
    return row["found_status"], (row if row["from_status"] is not None else None)


@lru_cache(maxsize=256)
def _move_statement(to_status: str, movable: tuple[str, ...], field_names: tuple[str, ...],
                    whole_row: bool, with_detail: bool, events_unstored: bool,
                    started_at_unset: bool):
    """The move's statement for one shape of move, built once: its values are bound
    parameters (move_eval_id, move_now, move_reason, move_detail, move_<field>), so the
    same object, whose SQLAlchemy cache key is memoized, serves every move of that shape.
    (No parameter is named like a column: an UPDATE would take it as a value to SET.)"""
    now = bindparam("move_now", type_=EVALUATIONS.c.updated_at.type)
    reason = bindparam("move_reason", type_=Text)
    current = (select(EVALUATIONS.c.eval_id, EVALUATIONS.c.status.label("found_status"))
               .where(EVALUATIONS.c.eval_id == bindparam("move_eval_id", type_=Text))
               .with_for_update().cte("current"))
    returned = list(EVALUATIONS.c) if whole_row else [EVALUATIONS.c.updated_at]
    fields = {name: bindparam(f"move_{name}", type_=EVALUATIONS.c[name].type) for name in field_names}
    moved = (update(EVALUATIONS)
             .where(EVALUATIONS.c.eval_id == current.c.eval_id, current.c.found_status.in_(movable))
             .values(_move_values(to_status, reason, now, fields, started_at_unset))
             .returning(current.c.found_status.label("from_status"), *returned).cte("moved"))
    event = insert(EVENTS).from_select(
        ["eval_id", "from_status", "to_status", "reason", "at", "detail"],
        select(current.c.eval_id, moved.c.from_status, literal(to_status, Text), reason, now,
               bindparam("move_detail", type_=JSONB) if with_detail else null())
        .select_from(current.join(moved, literal(True)))).cte("event")
    statement = (select(current.c.found_status, *moved.c)
                 .select_from(current.outerjoin(moved, literal(True))))
    return statement if events_unstored else statement.add_cte(event)


def _move_values(to_status: str, reason, now, fields: dict[str, Any],
                 started_at_unset: bool = False) -> dict[str, Any]:
    """The columns a move to `to_status` writes, as values or SQL on the row's current ones.

    queued: queued_at. provisioning/running: one attempt more when picked up from queued,
    started_at (kept by provisioning when already set). Terminal: completed_at. Then the
    caller's result fields, which win.
    """
    row = EVALUATIONS.c
    values: dict[str, Any] = {"status": to_status, "reason": reason, "updated_at": now}
    if to_status == contract.QUEUED:
        values["queued_at"] = now
    elif to_status in (contract.PROVISIONING, contract.RUNNING):
        values["attempts"] = case((row.status == contract.QUEUED, func.coalesce(row.attempts, 0) + 1),
                                  else_=row.attempts)
        if not started_at_unset:
            values["started_at"] = now if to_status == contract.RUNNING else func.coalesce(row.started_at, now)
    elif to_status in contract.TERMINAL:
        values["completed_at"] = now
    values.update(fields)
    return values


def _after_commit(eval_id: str, statuses: list[str], reason: Optional[str], at: datetime,
                  was_running: bool = False, running: Optional[dict] = None) -> None:
    """Publish the moves (in order; `reason` is the last one's) and set or drop the running
    keys, in one Redis transaction: dropped when it stopped running (terminal, or re-queued
    after a lost worker), set when a claim started it. Redis being down does not undo a
    committed move: the reaper, the outbox and the keys' expiry are the backstops."""
    from evalplatform import state
    last = statuses[-1]
    stopped = last in contract.TERMINAL or (was_running and last == contract.QUEUED)
    moves = [(status, reason if status == last else None, _iso(at)) for status in statuses]
    try:
        state.announce(eval_id, moves, running=running, stopped=stopped)
    except Exception as exc:
        log.warning("evaluation %s is %s but Redis was not told: %s", eval_id, last, exc)


def get_evaluation(eval_id: str) -> Optional[dict[str, Any]]:
    with engine().connect() as conn:
        row = conn.execute(select(EVALUATIONS).where(EVALUATIONS.c.eval_id == eval_id)).first()
    return _as_dict(row._mapping) if row is not None else None


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


def evaluations_in(statuses, limit: int) -> list[dict[str, Any]]:
    """Whole records of the evaluations in `statuses`, oldest first, at most `limit`: one
    statement, no count (for the reaper, which looks at every running one each second)."""
    with engine().connect() as conn:
        rows = conn.execute(select(EVALUATIONS).where(EVALUATIONS.c.status.in_(list(statuses)))
                            .order_by(EVALUATIONS.c.created_at).limit(limit)).all()
    return [_as_dict(r._mapping) for r in rows]


def statuses_of(eval_ids) -> dict[str, str]:
    """{eval_id: status} of those of `eval_ids` that are evaluations here: one statement."""
    ids = list(eval_ids)
    if not ids:
        return {}
    with engine().connect() as conn:
        rows = conn.execute(select(EVALUATIONS.c.eval_id, EVALUATIONS.c.status)
                            .where(EVALUATIONS.c.eval_id.in_(ids))).all()
    return {eval_id: status for eval_id, status in rows}


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
        rows = s.execute(select(EVALUATIONS).where(or_(*conditions))
                         .order_by(Evaluation.created_at)).all()
        return [_as_dict(r._mapping) for r in rows]
