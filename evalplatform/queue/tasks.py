"""The contract's Celery tasks, by name (contract.TASK_*)."""

from __future__ import annotations

import socket

from evalplatform import contract, failpoints
from evalplatform.executor import get_executor
from evalplatform.queue import worker
from evalplatform.queue.app import celery_app
from evalplatform.queue.evaluation import PickUpUnavailable, run_evaluation

PICK_UP_RETRY_MAX_S = 10


@celery_app.task(name=contract.TASK_HEALTH_CHECK)
def health_check() -> dict:
    return {"status": "degraded" if failpoints.active("health_task_unhealthy") else "healthy",
            "worker": socket.gethostname()}


@celery_app.task(name=contract.TASK_EVALUATE_CODE, bind=True, acks_late=not failpoints.active("acks_early"),
                 reject_on_worker_lost=True, max_retries=None)
def evaluate_code(self, eval_id: str) -> dict:
    """Run one stored evaluation. If the store is down before it starts, the task is sent
    again (backing off to PICK_UP_RETRY_MAX_S) rather than acknowledged and lost."""
    if failpoints.active("task_by_name_refused") and self.request.id != eval_id:
        raise RuntimeError("only the API's own submissions are run")     # the API sends task_id=eval_id
    try:
        return run_evaluation(eval_id, worker.worker_id(), get_executor())
    except PickUpUnavailable as exc:
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, PICK_UP_RETRY_MAX_S))
