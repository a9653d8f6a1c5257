"""A queued evaluation whose message is nowhere in the broker is sent again.

kombu's Redis transport takes a message off the queue's list with BRPOP and only then, in
another round trip, records it in its unacknowledged hash. A worker SIGKILLed between the
two has taken the message out of the list without keeping it anywhere: neither the
reaper's restore of abandoned deliveries nor kombu's visibility timeout can put it back,
and the evaluation stays `queued` forever (seen once in a 1,000-evaluation soak with the
only worker SIGKILLed every 50 evaluations: `queued`, 0 attempts, task PENDING).

So every CHECK_EVERY_S the reaper's leader (recovery.Reaper.tick) lists the `queued`
evaluations created more than MIN_AGE_S ago and looks for each one's message (its task
id) in the evaluation queues' lists and in the unacknowledged hash. One missing twice in
a row (SUSPECTS_KEY remembers the first time, so any leader may make the second check)
is sent again. A live worker's message is in that window for a moment, not across two
checks seconds apart; and a duplicate would be harmless anyway: a task only runs a
`queued` row, once.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from evalplatform import contract, state, store

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10
MIN_AGE_S = 30
CHECK_KEY = "evalplatform:reconcile:checked"     # set NX EX CHECK_EVERY_S: one check per period
SUSPECTS_KEY = "evalplatform:reconcile:missing"  # eval ids missing at the last check
SCAN_LIMIT = 5000


def _task_id(raw) -> str | None:
    try:
        envelope = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if isinstance(envelope, list):            # the unacked hash: [message, exchange, routing key]
        envelope = envelope[0] if envelope else {}
    return (envelope.get("headers") or {}).get("id") if isinstance(envelope, dict) else None


def messages_in_broker(client, queues: list[str]) -> set[str]:
    """The task ids of every message waiting in `queues` or held unacknowledged."""
    from evalplatform.queue.recovery import UNACKED_KEY
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        pipe.lrange(queue, 0, -1)
    pipe.hvals(UNACKED_KEY)
    found = set()
    for raws in pipe.execute():
        found.update(filter(None, map(_task_id, raws)))
    return found


def resend_missing(min_age_s: float = MIN_AGE_S, every_s: float = CHECK_EVERY_S) -> int:
    """Send again the queued evaluations whose message was missing at two checks. Returns how many."""
    from evalplatform.queue.app import broker_client, enqueue, queue_names
    if every_s and not state.client().set(CHECK_KEY, "1", nx=True, ex=max(int(every_s), 1)):
        return 0
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=min_age_s)
    items, _ = store.list_evaluations(contract.QUEUED, SCAN_LIMIT, 0)
    old = {i["eval_id"]: i for i in items if datetime.fromisoformat(i["created_at"]) < cutoff}
    present = messages_in_broker(broker_client(), queue_names()) if old else set()
    missing = set(old) - present
    suspects = {m.decode() for m in state.client().smembers(SUSPECTS_KEY)}
    resent = 0
    for eval_id in sorted(missing & suspects):
        record = store.get_evaluation(eval_id)
        if record and record["status"] == contract.QUEUED:
            enqueue(eval_id, record["priority"])
            log.warning("evaluation %s was queued with its message lost (a worker died taking it); "
                        "sent again", eval_id)
            resent += 1
    pipe = state.client().pipeline()
    pipe.delete(SUSPECTS_KEY)
    if missing - suspects:
        pipe.sadd(SUSPECTS_KEY, *(missing - suspects))
    pipe.execute()
    return resent
