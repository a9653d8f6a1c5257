"""The worker's thread pool hands the event loop a wake-up after each task's completion
callback (evalplatform/queue/pool.py); Celery's own thread pool does not, which left a
slot idle until something else woke the loop."""

from __future__ import annotations

import threading

from celery.concurrency.thread import TaskPool

from evalplatform.queue.pool import WakingTaskPool
from support import waiting


class RecordingHub:
    """Stands for kombu's hub: records what is handed to call_soon, and from which moment."""

    def __init__(self, completed: threading.Event):
        self.completed, self.calls = completed, []

    def call_soon(self, callback, *args):
        self.calls.append(self.completed.is_set())


def _run_one(pool_class) -> RecordingHub:
    completed = threading.Event()
    hub = RecordingHub(completed)
    pool = pool_class(limit=1)
    pool.register_with_event_loop(hub)
    try:
        pool.on_apply(lambda: 42, args=(), kwargs={}, callback=lambda result: completed.set())
        waiting.until(completed.is_set, bool, timeout=5, description="the task's completion callback")
        pool.executor.shutdown(wait=True)
    finally:
        pool.on_stop()
    return hub


def test_the_loop_is_woken_after_the_completion_callback():
    assert _run_one(WakingTaskPool).calls == [True]


def test_celerys_own_pool_does_not_wake_it():
    assert _run_one(TaskPool).calls == []
