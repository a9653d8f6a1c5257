"""The Celery application: JSON only, acks late, prefetch 1, and strict priority.

Priority. Every evaluation waits in ONE Redis list, `evalplatform.evaluations`, which the
platform's transport (broker.py) keeps in priority order: highest first, FIFO within a
value, across the whole signed 32-bit range (contract.PRIORITY_MIN..PRIORITY_MAX). Workers
BRPOP its head. A worker only pops when a slot is free (prefetch multiplier 1, acks late,
thread pool), so nothing waits in a worker's local buffer where a later, higher priority
could not pass it. Control tasks (health checks) have their own queue, looked at first.

The thread pool is deliberate: an evaluation's work happens in the sandbox process, the
task only waits on it, and a worker that dies takes all its tasks with it (no orphaned
pool child finishing a run that the reaper has already handed to someone else).
"""

from __future__ import annotations

import itertools
import os
from functools import lru_cache
from typing import Optional

import redis
from celery import Celery
from kombu import Exchange, Queue

from evalplatform import contract, failpoints
from evalplatform.queue import broker, results
from evalplatform.settings import get_settings

# Every evaluation, whatever its priority (broker.py keeps the list in order).
EVALUATION_QUEUE = "evalplatform.evaluations"
# Health checks and other control tasks: consumed before the evaluation queue.
CONTROL_QUEUE = "evalplatform.control"
# Extra seconds, beyond the longest timeout plus the reaper's grace, before Redis hands an
# unacknowledged message to another worker: a task must never be re-delivered while running.
VISIBILITY_MARGIN_S = 60
# Celery's thread pool, waking the event loop as a slot frees up (pool.py).
THREAD_POOL = "evalplatform.queue.pool:WakingTaskPool"


def priority_queue(priority: int) -> str:
    """The Redis list an evaluation of this priority waits in: the same for every value."""
    return EVALUATION_QUEUE


_ALTERNATE = itertools.count()


def queued_priority(priority: int) -> int:
    """The priority an evaluation's message carries, by which the broker orders it."""
    if failpoints.active("priority_ignored"):
        return contract.DEFAULT_PRIORITY
    if failpoints.active("fifo_within_priority_off") and next(_ALTERNATE) % 2 and priority < contract.PRIORITY_MAX:
        return priority + 1        # every other submission jumps its own priority's line
    return priority


def queue_names() -> list[str]:
    """Every queue a worker consumes, in the order it must look at them."""
    return [CONTROL_QUEUE, EVALUATION_QUEUE]


def make_celery() -> Celery:
    settings = get_settings()
    if failpoints.active("celery_accepts_pickle"):
        os.environ["C_FORCE_ROOT"] = "true"   # Celery refuses pickle as root unless forced
    app = Celery("evalplatform", include=["evalplatform.queue.tasks"])
    app.conf.update(
        broker_url=settings.broker_url,
        broker_transport=broker.TRANSPORT,
        result_backend=results.backend_url(settings.result_backend),
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
        worker_pool=THREAD_POOL,
        worker_disable_rate_limits=True,
        worker_hijack_root_logger=False,
        task_default_queue=CONTROL_QUEUE,
        # Each queue its own direct exchange and routing key: a message lands in exactly one.
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name)
                     for name in queue_names()],
        task_create_missing_queues=False,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "queue_order_strategy": "priority",
            "priority_steps": [0],   # one list per queue; broker.py orders it
            "visibility_timeout": settings.max_timeout_s + settings.reaper_grace_s + VISIBILITY_MARGIN_S,
        },
        result_backend_transport_options={"retry_policy": {"timeout": 2.0}},
    )
    return app


celery_app = make_celery()


def enqueue(eval_id: str, priority: int) -> Optional[int]:
    """Send the evaluation's task; its Celery task id is the evaluation id, and it carries
    its priority in a header, where the broker reads it (a retry keeps the header).
    Returns how many evaluations wait ahead of it, as the broker's ordered put found them."""
    broker.placed_ahead()
    celery_app.send_task(contract.TASK_EVALUATE_CODE, args=[eval_id], task_id=eval_id,
                         queue=priority_queue(priority),
                         headers={broker.PRIORITY_HEADER: queued_priority(priority)})
    return broker.placed_ahead()


@lru_cache(maxsize=1)
def broker_client() -> redis.Redis:
    """A plain Redis client on the broker database (for lengths and health, not for tasks)."""
    return redis.Redis.from_url(get_settings().broker_url, socket_timeout=2,
                                socket_connect_timeout=1)


def waiting_count() -> int:
    """Messages waiting in the evaluation queue: its list's length, O(1) on Redis."""
    return int(broker_client().llen(EVALUATION_QUEUE))
