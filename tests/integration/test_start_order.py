"""Start times follow the order a worker took the messages in, not the order its slots claim.

A worker's consumer thread receives the messages of one priority in the broker's order,
and hands each to a slot thread; the slots then claim (queued -> running) concurrently,
and the interpreter lock decides which commits first. The claim stores the time the
message was received (evalplatform/queue/deliveries.py), so `started_at` keeps the
broker's order whichever slot wins. Here the race is played out deterministically: two
messages received in the order a, b, claimed in the order b, a, on the real store.
The negative control claims the same way without the receipt stamps (the claim's own
clock, as before): b then starts first, which is what the FIFO scenario would catch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from celery import signals

from evalplatform import contract, store
from evalplatform.queue import deliveries
from evalplatform.queue.evaluation import _claim

pytestmark = pytest.mark.integration


@dataclass
class Received:
    """What Celery's task_received hands its receivers: the request's id, name and ETA."""

    id: str
    name: str = contract.TASK_EVALUATE_CODE
    eta: Optional[datetime] = None


def receive(request: Received) -> None:
    """The signal as the worker's consumer thread sends it, to every connected receiver."""
    signals.task_received.send(sender=None, request=request)


def queued_pair() -> tuple[str, str]:
    return tuple(store.create_evaluation(code=f"print({i})", queued=True)["eval_id"] for i in range(2))


def started(eval_id: str) -> datetime:
    return store.get_evaluation(eval_id)["started_at"]


def test_claims_that_commit_out_of_order_keep_the_order_the_messages_came_in(connected):
    first, second = queued_pair()
    receive(Received(first))
    receive(Received(second))
    assert _claim(second, "worker-b@test", "local:b") is not None      # the second slot wins
    assert _claim(first, "worker-a@test", "local:a") is not None
    assert started(first) < started(second), (started(first), started(second))


def test_negative_control_without_receipt_stamps_the_claims_order_wins(connected):
    first, second = queued_pair()
    assert _claim(second, "worker-b@test", "local:b") is not None
    assert _claim(first, "worker-a@test", "local:a") is not None
    assert started(second) < started(first), (started(first), started(second))


def test_a_message_that_waits_for_its_eta_is_stamped_when_it_is_claimed(connected):
    """A pick-up retried after a store outage comes back with an ETA and waits for it in
    the worker: its start is its claim, not its receipt."""
    eval_id, _ = queued_pair()
    receive(Received(eval_id, eta=datetime.now(timezone.utc) + timedelta(seconds=30)))
    assert deliveries.taken_at(eval_id) is None


def test_only_evaluations_are_stamped_and_each_stamp_is_taken_once(connected):
    receive(Received("a-health-check", name=contract.TASK_HEALTH_CHECK))
    assert deliveries.taken_at("a-health-check") is None
    eval_id, _ = queued_pair()
    receive(Received(eval_id))
    assert deliveries.taken_at(eval_id) is not None
    assert deliveries.taken_at(eval_id) is None
