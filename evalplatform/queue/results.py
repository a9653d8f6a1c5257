"""The result backend: Celery's Redis backend, without a subscription per task sent.

Celery's Redis backend subscribes the SENDING process to each task's result channel
(`on_task_call`), so that a later `AsyncResult.get()` need not poll. The platform never
waits on a task's result where it sends it: the API answers from the store and the
worker's retries are fire-and-forget. Those subscriptions cost the API a SUBSCRIBE and
an UNSUBSCRIBE per evaluation, plus a pub/sub reader thread handling every STARTED and
SUCCESS message the workers publish. Results are still stored exactly as before (the
STARTED and SUCCESS states, for diagnose and any client), and `AsyncResult.get()` still
works: it subscribes when it is called.
"""

from __future__ import annotations

from celery.backends.redis import RedisBackend


class ResultBackend(RedisBackend):
    def on_task_call(self, producer, task_id):
        """Nothing: see the module docstring."""


def backend_url(url: str) -> str:
    """`result_backend` naming this class in front of a redis:// URL (Celery's `cls+url`)."""
    return f"{__name__}:{ResultBackend.__name__}+{url}" if url.startswith(("redis://", "rediss://")) else url
