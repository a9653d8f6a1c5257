"""Every terminal status is published at least once.

The store publishes each status change on Redis after its commit (store.repository's
_after_commit). A process that dies between the two (a SIGKILLed worker), or a Redis that
is down at that moment, leaves a terminal status committed and never announced, and a
subscriber waiting on `evaluation:completed` waits forever. So:

- a terminal status is published together with a mark in state.PUBLISHED_KEY (a sorted
  set: eval id -> when), in one Redis transaction: both happen or neither
  (state.announce);
- the reaper's leader (recovery.Reaper.tick) reads the events committed since its cursor
  (CURSOR_KEY: the last evaluation_events id it has looked at), once they are SETTLE_S old
  (time for the normal publish to have happened), and publishes each terminal one that
  has no mark, with its mark (republish_unmarked). Marks are kept MARK_TTL_S.

At least once, not exactly once: a subscriber may see a re-published status twice (the
same message both times). A lost cursor (a Redis without persistence restarted) starts
again LOOKBACK_S back, re-publishing what ended in that window; a lost set of marks
does the same. One limit: an event committed more than SETTLE_S after its own timestamp
(a transaction that waited that long for a row lock) and after the cursor passed its id
is not looked at again.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from evalplatform import contract

log = logging.getLogger(__name__)

CURSOR_KEY = "evalplatform:outbox:cursor"
SETTLE_S = 5.0
MARK_TTL_S = 3600
LOOKBACK_S = 600
BATCH = 1000


def _start_cursor(session, now: datetime) -> int:
    """Where a reaper without a cursor starts: the newest event older than LOOKBACK_S."""
    from evalplatform.store.models import EvaluationEvent
    since = now - timedelta(seconds=LOOKBACK_S)
    return session.scalar(select(func.max(EvaluationEvent.id)).where(EvaluationEvent.at < since)) or 0


def republish_unmarked(settle_s: float = SETTLE_S, batch: int = BATCH) -> int:
    """Publish every settled terminal event since the cursor that has no mark. Returns how many."""
    from evalplatform import failpoints, state, store
    from evalplatform.store.models import EvaluationEvent
    if failpoints.active("events_unpublished"):   # the failpoint turns publishing off, all of it
        return 0
    client = state.client()
    now = datetime.now(timezone.utc)
    settled_before = now - timedelta(seconds=settle_s)
    with store.session() as session:
        raw = client.get(CURSOR_KEY)
        cursor = int(raw) if raw is not None else _start_cursor(session, now)
        rows = session.execute(
            select(EvaluationEvent.id, EvaluationEvent.eval_id, EvaluationEvent.to_status,
                   EvaluationEvent.reason, EvaluationEvent.at)
            .where(EvaluationEvent.id > cursor).order_by(EvaluationEvent.id).limit(batch)).all()
    settled = []
    for row in rows:
        if row.at > settled_before:
            break          # this one and later ones: their own publish may still be coming
        settled.append(row)
    terminal = [r for r in settled if r.to_status in contract.TERMINAL]
    marks = []
    if terminal:
        pipe = client.pipeline(transaction=False)
        for row in terminal:
            pipe.zscore(state.PUBLISHED_KEY, row.eval_id)
        marks = pipe.execute()
    republished = 0
    for row, mark in zip(terminal, marks):
        if mark is None:
            state.announce(row.eval_id, [(row.to_status, row.reason, row.at.isoformat())])
            log.warning("evaluation %s: its terminal status %s had not been published; published now",
                        row.eval_id, row.to_status)
            republished += 1
    pipe = client.pipeline(transaction=False)
    if settled:
        pipe.set(CURSOR_KEY, settled[-1].id)
    elif raw is None:
        pipe.set(CURSOR_KEY, cursor)
    pipe.zremrangebyscore(state.PUBLISHED_KEY, "-inf", time.time() - MARK_TTL_S)
    pipe.execute()
    return republished
