"""The Celery application: JSON only, acks late, prefetch 1, and strict priority.

Priority. Each API priority value (PRIORITY_MIN..PRIORITY_MAX) has its own Redis list
(`evalplatform.p10` ... `evalplatform.p0`). Workers consume them with kombu's
`queue_order_strategy="priority"`, so every BRPOP names the lists highest priority first
and Redis pops from the first non-empty one: strict between values, FIFO within a value
(LPUSH + BRPOP). Kombu's own message priorities top out at ten levels (0-9), one short of
the API's eleven, which is why the values are separate queues rather than priority steps.
A worker only pops when a slot is free (prefetch multiplier 1, acks late, thread pool), so
nothing waits in a worker's local buffer where a later, higher priority could not pass it.

The thread pool is deliberate: an evaluation's work happens in the sandbox process, the
task only waits on it, and a worker that dies takes all its tasks with it (no orphaned
pool child finishing a run that the reaper has already handed to someone else).
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import redis
from celery import Celery
from kombu import Exchange, Queue

from evalplatform import contract, failpoints
from evalplatform.settings import get_settings

PRIORITY_MIN, PRIORITY_MAX = 0, 10
DEFAULT_PRIORITY = 0
QUEUE_PREFIX = "evalplatform.p"
# Health checks and other control tasks: consumed before any evaluation queue.
CONTROL_QUEUE = "evalplatform.control"
# Extra seconds, beyond the longest timeout plus the reaper's grace, before Redis hands an
# unacknowledged message to another worker: a task must never be re-delivered while running.
VISIBILITY_MARGIN_S = 60


_ALTERNATE = itertools.count()


def priority_queue(priority: int) -> str:
    """The Redis list an evaluation of this priority waits in."""
    if failpoints.active("priority_ignored"):
        priority = DEFAULT_PRIORITY
    if failpoints.active("fifo_within_priority_off") and next(_ALTERNATE) % 2 and priority < PRIORITY_MAX:
        priority += 1              # every other submission jumps its own priority's line
    return f"{QUEUE_PREFIX}{priority}"


def queue_names() -> list[str]:
    """Every queue a worker consumes, in the order it must look at them."""
    return [CONTROL_QUEUE] + [f"{QUEUE_PREFIX}{p}" for p in range(PRIORITY_MAX, PRIORITY_MIN - 1, -1)]


def make_celery() -> Celery:
    settings = get_settings()
    app = Celery("evalplatform", include=["evalplatform.queue.tasks"])
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_backend,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json", "pickle"] if failpoints.active("celery_accepts_pickle") else ["json"],
        result_accept_content=["json"],
        task_acks_late=not failpoints.active("acks_early"),
        task_reject_on_worker_lost=True,
        task_track_started=not failpoints.active("task_started_untracked"),         # PENDING -> STARTED -> SUCCESS, for diagnose and clients
        worker_prefetch_multiplier=1,
        worker_disable_prefetch=True,     # Redis: pop only while a pool slot is free
        worker_concurrency=settings.worker_concurrency,
        worker_pool="threads",
        worker_disable_rate_limits=True,
        worker_hijack_root_logger=False,
        worker_enable_remote_control=not failpoints.active("remote_control_off"),
        task_default_queue=CONTROL_QUEUE,
        # Each queue its own direct exchange and routing key: a message lands in exactly one.
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name)
                     for name in queue_names()],
        task_create_missing_queues=False,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "queue_order_strategy": "priority",
            "priority_steps": [0],   # priorities are queues, not kombu message priorities
            "visibility_timeout": settings.max_timeout_s + settings.reaper_grace_s + VISIBILITY_MARGIN_S,
        },
        result_backend_transport_options={"retry_policy": {"timeout": 2.0}},
    )
    return app


celery_app = make_celery()


def enqueue(eval_id: str, priority: int) -> None:
    """Send the evaluation's task; its Celery task id is the evaluation id."""
    celery_app.send_task(contract.TASK_EVALUATE_CODE, args=[eval_id], task_id=eval_id,
                         queue=priority_queue(priority))


@lru_cache(maxsize=1)
def broker_client() -> redis.Redis:
    """A plain Redis client on the broker database (for lengths and health, not for tasks)."""
    return redis.Redis.from_url(get_settings().broker_url, socket_timeout=2,
                                socket_connect_timeout=1)


def waiting_by_priority() -> dict[int, int]:
    """Messages waiting in each priority's list: one pipelined LLEN round trip."""
    priorities = range(PRIORITY_MAX, PRIORITY_MIN - 1, -1)
    pipe = broker_client().pipeline(transaction=False)
    for priority in priorities:
        pipe.llen(f"{QUEUE_PREFIX}{priority}")
    return {p: n for p, n in zip(priorities, pipe.execute()) if n}
