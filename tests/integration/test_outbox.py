"""Every terminal status is published at least once, even when the process that committed
it never got to publish it (queue/outbox.py), against the real store and Redis."""

from __future__ import annotations

import json

import pytest
import redis

from evalplatform import contract as c
from evalplatform import state, store
from evalplatform.queue import outbox
from evalplatform.stack import free_port
from support import waiting

pytestmark = pytest.mark.integration


@pytest.fixture
def subscriber(connected):
    client = redis.Redis.from_url(connected.urls["REDIS_URL"])
    pubsub = client.pubsub()
    pubsub.subscribe(state.channel(c.COMPLETED))
    waiting.until(lambda: pubsub.get_message(timeout=0.1), lambda m: m and m["type"] == "subscribe",
                  timeout=5, description="the subscription")
    yield pubsub
    pubsub.close()
    client.close()


def _received(pubsub) -> list[dict]:
    messages = []
    while True:
        message = pubsub.get_message(timeout=0.5)
        if message is None:
            return messages
        if message["type"] == "message":
            messages.append(json.loads(message["data"]))


def _run(eval_id: str, publish: bool) -> None:
    """queued -> running -> completed; with publish=False the commit's publish is lost (its
    Redis unreachable), as when the process dies between the commit and the publish."""
    store.transition(eval_id, c.QUEUED)
    store.transition(eval_id, c.RUNNING)
    if not publish:
        state.init(f"redis://127.0.0.1:{free_port()}/0")
    try:
        store.transition(eval_id, c.COMPLETED)
    finally:
        if not publish:
            state.init()


def test_a_committed_but_unpublished_terminal_status_is_published_once(connected, subscriber, monkeypatch):
    monkeypatch.setattr(state, "init", _pinned_init(connected))
    outbox.republish_unmarked(settle_s=0)          # the cursor past earlier tests' events
    announced = store.create_evaluation(code="print(1)")["eval_id"]
    lost = store.create_evaluation(code="print(2)")["eval_id"]
    _run(announced, publish=True)
    _run(lost, publish=False)
    assert [m["eval_id"] for m in _received(subscriber)] == [announced]   # the loss, seen

    assert outbox.republish_unmarked(settle_s=0) == 1
    (republished,) = _received(subscriber)
    record = store.get_evaluation(lost)
    assert republished == {"eval_id": lost, "status": "completed", "reason": None,
                           "at": record["completed_at"]}, republished
    assert outbox.republish_unmarked(settle_s=0) == 0 and _received(subscriber) == []


def test_a_fresh_terminal_event_is_left_to_its_own_publish_for_the_settle_time(connected, subscriber, monkeypatch):
    monkeypatch.setattr(state, "init", _pinned_init(connected))
    outbox.republish_unmarked(settle_s=0)
    lost = store.create_evaluation(code="print(3)")["eval_id"]
    _run(lost, publish=False)
    assert outbox.republish_unmarked(settle_s=3600) == 0 and _received(subscriber) == []
    assert outbox.republish_unmarked(settle_s=0) == 1
    assert [m["eval_id"] for m in _received(subscriber)] == [lost]


def _pinned_init(stack):
    """state.init() with no URL means the core stack's Redis (not the settings' default)."""
    real = state.init

    def init(url=None):
        real(url or stack.urls["REDIS_URL"])
    return init
