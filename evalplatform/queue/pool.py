"""Celery's thread pool, with the event loop woken when a slot frees up.

With the Redis transport, a worker's event loop (kombu's hub) only asks the broker for
the next message (BRPOP) while a slot is free (prefetch 1, `worker_disable_prefetch`:
see app.py). When every slot is busy it stops asking and sleeps in poll() on its other
sockets and timers. Celery's own thread pool finishes a task, acknowledges it and frees
the slot in the pool's thread, and tells the loop nothing: the loop asks for the next
message only when something else wakes it. Measured with two slots and a full queue:
a slot stood idle 34 ms (median, 55 ms p90) between one evaluation's end and the next
one's start, a third of the worker's time (docs/performance.md).

This pool hands the loop a no-op through `hub.call_soon` (thread-safe: it writes to the
loop's waker) after each task's completion callback has freed the slot, so the next
BRPOP goes out at once. Nothing else changes: the same threads, the same acks late.
"""

from __future__ import annotations

from celery.concurrency.thread import TaskPool


def _noop() -> None:
    pass


class WakingTaskPool(TaskPool):
    """celery.concurrency.thread.TaskPool that wakes the worker's event loop after each task."""

    _hub = None

    def register_with_event_loop(self, loop) -> None:
        super().register_with_event_loop(loop)
        self._hub = loop

    def on_apply(self, target, args=None, kwargs=None, callback=None, accept_callback=None, **options):
        return super().on_apply(target, args, kwargs, self._waking(callback), accept_callback, **options)

    def _waking(self, callback):
        def completed(*args, **kwargs):
            try:
                if callback is not None:
                    callback(*args, **kwargs)
            finally:
                hub = self._hub
                if hub is not None:
                    hub.call_soon(_noop)
        return completed
