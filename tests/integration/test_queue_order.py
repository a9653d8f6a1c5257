"""Strict priority order of the queue, on a real Redis and on the whole embedded stack.

The broker tests drive the platform's transport (evalplatform/queue/broker.py) with kombu,
as Celery does, against the core stack's Redis: messages come out highest priority first
and FIFO within a value, across the whole signed 32-bit range; a message put back after a
worker took it goes ahead of its equals only. The failpoint `priority_ignored` is the
negative control: the same measurement then sees arrival order.

The stack test submits, while every worker slot but one is held and that one is busy, an
evaluation of each priority in the worst order (lowest first, so FIFO would be the exact
reverse of priority order) and checks the order they started in. Only one slot takes
them, so start order is pop order: no two slots race to record `started_at`.
"""

from __future__ import annotations

import random
import uuid

import pytest
import redis
from kombu import Connection
from kombu.transport import redis as kombu_redis

from evalplatform import contract
from evalplatform.queue import app as queue_app
from evalplatform.queue import broker
from evalplatform.settings import Settings
from support import probes, waiting
from support.api_client import ApiClient
from support.evaluations import Evaluations, timestamp

pytestmark = pytest.mark.integration

WORST_ORDER = [contract.PRIORITY_MIN, -7, 0, 0, 150, 150, 2000, 2000, contract.PRIORITY_MAX]
TAKE_TIMEOUT_S = 5
HOLD_S = 60           # the slots not under test: cancelled once the test has its answer
BUSY_S = 4            # the slot under test: busy while the submissions are made


def expected_order(submitted: list[tuple[str, int]]) -> list[str]:
    """Highest priority first, submission order within a value."""
    ranked = sorted(enumerate(submitted), key=lambda item: (-item[1][1], item[0]))
    return [name for _, (name, _) in ranked]


# --- the transport on a real Redis ---------------------------------------------------------

def expected_positions(priorities: list[int]) -> list[int]:
    """Each submission's place in the queue as it arrives behind the earlier ones (none taken
    meanwhile): 1 + how many of them have its priority or a higher one."""
    return [1 + sum(1 for earlier in priorities[:i] if earlier >= p) for i, p in enumerate(priorities)]


def connect(url: str) -> Connection:
    """A kombu connection through the platform's transport, configured as queue/app.py does."""
    return Connection(url, transport=broker.Transport, transport_options={"priority_steps": [0]})


@pytest.fixture
def broker_queue(core_stack):
    """A fresh queue on the core stack's broker: (its url, the queue, a plain Redis client)."""
    url = core_stack.urls["CELERY_BROKER_URL"]
    name = f"order-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(url)
    with connect(url) as conn:
        queue = conn.SimpleQueue(name, no_ack=False)
        yield url, queue, client
        queue.close()
    client.delete(name)
    client.close()


def put(queue, name: str, priority: int) -> None:
    queue.put({"name": name}, headers={broker.PRIORITY_HEADER: priority})


def take(queue):
    message = queue.get(block=True, timeout=TAKE_TIMEOUT_S)
    return message, message.payload["name"]


def take_all(queue, count: int) -> list[str]:
    names = []
    for _ in range(count):
        message, name = take(queue)
        message.ack()
        names.append(name)
    return names


def test_messages_leave_highest_priority_first_fifo_within_a_value(broker_queue):
    _, queue, client = broker_queue
    rng = random.Random(11)
    values = [contract.PRIORITY_MIN, -5, 0, 150, 2000, contract.PRIORITY_MAX]
    submitted = [(f"m{i}", rng.choice(values)) for i in range(120)] + \
                [(f"w{i}", p) for i, p in enumerate(WORST_ORDER)]
    for name, priority in submitted:
        put(queue, name, priority)
    counts: dict[int, int] = {}
    for _, priority in submitted:
        counts[priority] = counts.get(priority, 0) + 1
    assert broker.waiting_by_priority(client, queue.queue.name) == counts
    assert take_all(queue, len(submitted)) == expected_order(submitted)


def test_a_message_put_back_goes_ahead_of_its_equals_and_behind_higher_ones(broker_queue):
    """What the reaper does with a delivery a dead worker held (restore_by_tag), and what
    kombu does after the visibility timeout."""
    url, queue, _ = broker_queue
    for name in ("first", "second"):
        put(queue, name, 0)
    held, name = take(queue)
    assert name == "first"
    put(queue, "higher", 150)
    put(queue, "third", 0)
    put(queue, "lower", -1)
    with connect(url) as other:
        other.default_channel.qos.restore_by_tag(held.delivery_tag)
    assert take_all(queue, 5) == ["higher", "first", "second", "third", "lower"]


def test_a_message_without_priority_goes_where_kombu_puts_it(broker_queue):
    _, queue, _ = broker_queue
    put(queue, "low", -3)
    queue.put({"name": "plain"})
    put(queue, "high", 5)
    assert take_all(queue, 3) == ["high", "low", "plain"]


def test_the_channel_makes_one_redis_client_per_connection_pool(broker_queue):
    """kombu makes a new redis.Redis for every put, every delivery's bookkeeping and every
    ack (0.1 ms of CPU each); the platform's channel one per connection pool, and a new one
    when kombu replaces the pool (after a disconnect). Messages flow through both."""
    _, queue, _ = broker_queue
    channel = queue.channel
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as again:
        assert first is again and first.connection_pool is channel.pool
    put(queue, "a", 0)
    put(queue, "b", 0)
    assert take_all(queue, 2) == ["a", "b"]
    with channel.conn_or_acquire() as after_traffic:
        assert after_traffic is first
    channel._disconnect_pools()
    with channel.conn_or_acquire() as fresh:
        assert fresh is not first and fresh.connection_pool is channel.pool
    put(queue, "c", 0)
    assert take_all(queue, 1) == ["c"]
    # Control: kombu's own method, on the same channel, makes a client per call.
    with kombu_redis.Channel.conn_or_acquire(channel) as one, \
            kombu_redis.Channel.conn_or_acquire(channel) as other:
        assert one is not other


def test_the_ordered_put_counts_the_messages_ahead_of_each_one(broker_queue):
    """The API's queue_position is one more than this count, the put's own: no second pass
    over the queue per submission."""
    _, queue, _ = broker_queue
    sent = [("a", 5), ("b", 0), ("c", 3), ("d", 5), ("e", 9)]
    answers = []
    for name, priority in sent:
        broker.placed_ahead()
        put(queue, name, priority)
        answers.append(broker.placed_ahead())
    assert answers == [position - 1 for position in expected_positions([p for _, p in sent])] \
        == [0, 1, 1, 1, 0]
    assert broker.placed_ahead() is None          # asked: forgotten
    queue.put({"name": "plain"})                  # no priority: kombu's put, no count
    assert broker.placed_ahead() is None
    assert take_all(queue, 6) == ["e", "a", "d", "c", "b", "plain"]


def test_with_priority_ignored_the_same_measurement_sees_arrival_order(broker_queue, monkeypatch):
    """Negative control: the failpoint makes every message carry the default priority."""
    _, queue, _ = broker_queue
    faulty = Settings(failpoints="priority_ignored", failpoints_allowed=True)
    monkeypatch.setattr("evalplatform.failpoints.get_settings", lambda: faulty)
    submitted = [(f"w{i}", p) for i, p in enumerate(WORST_ORDER)]
    for name, priority in submitted:
        put(queue, name, queue_app.queued_priority(priority))
    taken = take_all(queue, len(submitted))
    assert taken == [name for name, _ in submitted]
    assert taken != expected_order(submitted)


# --- the whole platform ------------------------------------------------------------------

@pytest.fixture(scope="module")
def platform(stack):
    api = ApiClient(stack.urls["API_URL"])
    yield api, Evaluations(api)
    api.close()


def test_priority_150_is_accepted_and_kept(platform):
    api, evaluations = platform
    record = evaluations.run(probes.load("load_fast"), priority=150)
    assert (record["status"], record["priority"]) == ("completed", 150), record
    bounds = api.platform()["priority"]
    assert (bounds["min"], bounds["max"], bounds["default"]) == \
        (contract.PRIORITY_MIN, contract.PRIORITY_MAX, contract.DEFAULT_PRIORITY)


def test_evaluations_start_strictly_by_priority_fifo_within_a_value(platform):
    api, evaluations = platform
    slots = api.platform()["worker_slots"]
    assert slots >= 1
    held = [evaluations.submit(probes.load("load_slow", seconds=HOLD_S), timeout=HOLD_S + 30)
            for _ in range(slots - 1)]
    busy = evaluations.submit(probes.load("load_slow", seconds=BUSY_S))
    waiting_ids: list[str] = []
    try:
        for eval_id in held + [busy]:
            evaluations.wait_running(eval_id)
        answers = [api.submit(probes.load("load_fast"), priority=p) for p in WORST_ORDER]
        submitted = [(answer["eval_id"], p) for answer, p in zip(answers, WORST_ORDER)]
        waiting_ids = [eval_id for eval_id, _ in submitted]
        # The precondition of the ordering claim: every submission waited behind a busy slot.
        still = {eval_id: api.status(eval_id)["status"] for eval_id in held + [busy]}
        assert set(still.values()) == {"running"}, \
            f"a slot freed before the submissions were done (raise BUSY_S): {still}"
        queued = {int(p): n for p, n in api.queue_status()["by_priority"].items()}
        assert all(queued.get(p, 0) >= WORST_ORDER.count(p) for p in WORST_ORDER), queued
        # Each answer's queue_position: one more than the waiting ones of its priority or higher.
        assert [a["queue_position"] for a in answers] == expected_positions(WORST_ORDER), answers
        records = {eval_id: evaluations.wait_terminal(eval_id, timeout=BUSY_S + 60) for eval_id in waiting_ids}
        order = sorted(waiting_ids, key=lambda eval_id: timestamp(records[eval_id], "started_at"))
        priorities = {eval_id: p for eval_id, p in submitted}
        assert order == expected_order(submitted), \
            f"started as {[priorities[i] for i in order]}, submitted as {WORST_ORDER}"
    finally:
        for eval_id in held + [busy] + waiting_ids:
            api.cancel(eval_id)


def test_health_outside_api_answers_as_api_health(stack):
    api = ApiClient(stack.urls["API_URL"])
    root = ApiClient(stack.urls["API_URL"].removesuffix("/api"))
    try:
        under_api = waiting.until(api.health, lambda a: a.status_code == 200, timeout=30,
                                  description="GET /api/health to answer 200")
        outside = root.health()
        assert outside.status_code == under_api.status_code, outside.text
        assert outside.json()["status"] == under_api.json()["status"] == "ok"
        assert outside.json().keys() == under_api.json().keys()
    finally:
        api.close()
        root.close()
