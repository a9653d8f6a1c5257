"""The broker's evaluation queue: one Redis list, kept in strict priority order.

Design. Every evaluation is still one Celery message `evaluate_code(eval_id)` whose task id
is the evaluation id, on ONE queue (`evalplatform.evaluations`), consumed the way kombu's
Redis transport always consumes: a worker BRPOPs the head of the list only when a pool slot
is free (prefetch 1, acks late), and the message waits in kombu's unacked hash until the
task ends. What changes is only WHERE a message enters the list. This transport (kombu's
Redis transport with two methods replaced) puts a message that carries a priority header
at its place in priority order, with a Lua script (lua/ordered_put.lua), atomically:

    head (taken next)  2000 2000 150 0 0 0 -5  tail
                                      ^ a new 0 goes here: behind every 0, ahead of -5

So the head is always the highest priority waiting, the oldest of that value: strict order
across every value of the range (contract.PRIORITY_MIN..PRIORITY_MAX, a signed 32-bit
integer), FIFO within a value. A message put back after a worker took it (kombu's restore
after the visibility timeout, or the reaper's restore of a delivery abandoned by a dead
worker) goes ahead of its equals instead: it was the first of its priority.

Why this and not a waiting-room sorted set fed by "take the best" tickets: the message a
worker holds stays the evaluation it runs. Everything that the recovery promises rest on
is unchanged: kombu's unacked hash and visibility timeout, the reaper's restore of a
taken-but-unclaimed delivery (recovery.restore_abandoned_deliveries, which reads the task
id of the held message), re-sending after a broker restart, `inspect active` naming the
evaluation, the task's states in the result backend. A ticket design would need its own
bookkeeping (which evaluation a ticket took, tickets lost with a worker) for each of them.

Cost: a new message passes only the waiting messages of LOWER priority (zero in the usual
case, an LPUSH), each decoded once; the queue depth is bounded by settings.queue_max_depth
(the API answers 503 beyond it). A message without the header (a client publishing by hand)
is put where kombu puts it (LPUSH, the tail). The failpoint `priority_ignored` makes every
message carry the default priority: the list is then plain FIFO, and only priority breaks.

kombu coupling: the two replaced methods, `Channel._put` and `Channel._do_restore_message`,
have kept their signatures since kombu 4; tests/integration/test_queue_order.py exercises
both against a real Redis and real workers.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from kombu.transport import redis as kombu_redis
from kombu.utils.json import dumps

from evalplatform import contract
from evalplatform.state import scripts

# The envelope header (a Celery custom header) that carries an evaluation's priority.
PRIORITY_HEADER = "evalplatform_priority"
LUA_DIR = Path(__file__).with_name("lua")

# What the ordered put in this thread answered last: how many messages were ahead of it.
_placed = threading.local()


@lru_cache(maxsize=None)
def script(name: str) -> str:
    """A Lua script of lua/, with the shared envelope reader in front of it."""
    return (LUA_DIR / "envelope.lua").read_text() + (LUA_DIR / f"{name}.lua").read_text()


def message_priority(message: dict[str, Any]) -> Optional[int]:
    """The priority a kombu envelope carries, or None (then kombu's own placement applies)."""
    value = (message.get("headers") or {}).get(PRIORITY_HEADER)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def ordered_put_args(message: dict[str, Any], priority: int, *, ahead_of_equals: bool) -> list:
    """ARGV of lua/ordered_put.lua."""
    return [dumps(message), priority, "1" if ahead_of_equals else "0",
            PRIORITY_HEADER, contract.DEFAULT_PRIORITY]


def placed_ahead() -> Optional[int]:
    """How many messages were ahead of the last one this thread put in priority order, as
    the put itself found them (kombu's publish, which calls the put in the caller's thread,
    returns nothing); None when it put none since the last ask."""
    ahead = getattr(_placed, "ahead", None)
    _placed.ahead = None
    return ahead


def waiting_by_priority(client, queue: str) -> dict[int, int]:
    """{priority: messages waiting} in `queue`'s list, in one server-side pass. It decodes
    every waiting message (4 ms of Redis's time at a depth of 1000): for diagnosis, not
    for a path every submission takes."""
    flat = scripts.run(client, script("count_by_priority"), [queue],
                       [PRIORITY_HEADER, contract.DEFAULT_PRIORITY])
    return {int(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}


class Channel(kombu_redis.Channel):
    """kombu's Redis channel, placing prioritised messages in order (see module docstring)."""

    _client_of_pool: Any = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        """kombu's, with one client per connection pool instead of a new one per call.

        kombu makes a new redis.Redis for every put, every delivery's unacknowledged-message
        bookkeeping and every ack, and a redis-py client costs about 0.1 ms of CPU to make
        (it copies its table of some 170 response callbacks): 0.1 ms of the API's and 0.2 ms
        of the worker's per evaluation. The client holds no connection of its own (each
        command takes one from the pool and gives it back), so one per pool is what kombu's
        calls got before; a pool that kombu replaces (after a disconnect) gets a new one."""
        if client:
            yield client
            return
        pool = self.pool
        cached = self._client_of_pool
        if cached is None or cached.connection_pool is not pool:
            cached = self._client_of_pool = self._create_client()
        yield cached

    @property
    def supports_batch_publish(self) -> bool:
        return False    # every message goes through _put, one script call each

    def _put(self, queue, message, **kwargs):
        priority = message_priority(message)
        if priority is None or (self._expires and queue in self._expires):
            return super()._put(queue, message, **kwargs)
        with self.conn_or_acquire() as client:
            _placed.ahead = int(scripts.run(client, script("ordered_put"), [queue],
                                            ordered_put_args(message, priority, ahead_of_equals=False)))

    def _do_restore_message(self, payload, exchange, routing_key, pipe, leftmost=False):
        priority = message_priority(payload)
        if priority is None:
            return super()._do_restore_message(payload, exchange, routing_key, pipe, leftmost)
        # As kombu marks it, so the worker knows the message was delivered before.
        payload.setdefault("headers", {})["redelivered"] = True
        payload.get("properties", {}).get("delivery_info", {})["redelivered"] = True
        for queue in self._lookup(exchange, routing_key):
            pipe.eval(script("ordered_put"), 1, queue,
                      *ordered_put_args(payload, priority, ahead_of_equals=True))


class Transport(kombu_redis.Transport):
    """`broker_transport` of the platform's Celery app (queue/app.py): TRANSPORT."""

    Channel = Channel


TRANSPORT = f"{__name__}:{Transport.__name__}"
