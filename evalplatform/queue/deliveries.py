"""When this worker took each evaluation's message from the broker: its start time.

The broker hands a worker the messages of one priority in the order they were queued (one
list, one BRPOP at a time), and the consumer thread receives them in that order. But each
goes to a slot thread of its own, and those claim concurrently: two evaluations delivered
a millisecond apart could be stamped `started_at` in the other order, whichever thread the
interpreter lock favoured. So the start time is stamped here, in the consumer thread, when
the message is received (Celery's `task_received`, before the slot is chosen), and the
claim stores that time: the start times of one worker's evaluations follow the broker's
order by construction. With prefetch 1 per slot (`worker_disable_prefetch`) a message is
only taken when a slot is free, so this is when a slot took the evaluation; the claim
follows within milliseconds.

A message with an ETA (a pick-up retried after a store outage) waits in the worker before
it runs: it is not stamped, and its claim stamps its own time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Optional

from celery import signals

from evalplatform import contract

# Stamps of messages received but not yet run; a revoked or lost one is dropped once this
# many newer ones have come (a worker holds at most its slots' worth at a time).
KEPT = 1024

_stamps: OrderedDict[str, datetime] = OrderedDict()
_lock = threading.Lock()


@signals.task_received.connect
def _received(request, **_) -> None:
    if request.name != contract.TASK_EVALUATE_CODE or request.eta:
        return
    with _lock:
        _stamps[request.id] = datetime.now(timezone.utc)
        while len(_stamps) > KEPT:
            _stamps.popitem(last=False)


def taken_at(task_id: str) -> Optional[datetime]:
    """The time the message of `task_id` was received (once), or None: stamp it now."""
    with _lock:
        return _stamps.pop(task_id, None)
