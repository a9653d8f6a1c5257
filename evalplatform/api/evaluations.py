"""The evaluation endpoints: submit, read, status, logs, cancel and list.

Endpoints are plain `def`: the store and Celery clients are synchronous, and FastAPI runs
such endpoints in its thread pool, so one slow database call never blocks the event loop.
"""

from __future__ import annotations

import re
from typing import Optional

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from evalplatform import contract, failpoints, state, store
from evalplatform.api.schemas import EvaluationRequest, SubmitResponse
from evalplatform.executor import kill_if_here
from evalplatform.queue.app import enqueue, waiting_count
from evalplatform.settings import get_settings

router = APIRouter()

# Ids are uuid4 strings; anything else is "unknown" without asking the database.
_EVAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
QUEUE_FULL_RETRY_AFTER_S = 5
# PostgreSQL's OFFSET is a bigint: a larger one is a client error (422), not a 500.
MAX_OFFSET = 2**63 - 1
RECORD_FIELDS = (
    "eval_id", "code", "language", "environment", "priority", "status", "reason",
    "created_at", "queued_at", "started_at", "completed_at", "exit_code", "signal",
    "output", "error", "output_truncated", "error_truncated", "runtime_ms",
    "memory_used_mb", "engine", "worker_id", "metadata",
    # beyond the contract's list: what the request asked for, and how often it was picked up
    "timeout", "memory_limit", "cpu_limit", "expect_failure", "debug", "attempts", "code_hash",
)


class ServiceBusy(Exception):
    """Answered as 503 with Retry-After (see app.py)."""

    def __init__(self, detail: str, retry_after_s: int = QUEUE_FULL_RETRY_AFTER_S):
        super().__init__(detail)
        self.detail, self.retry_after_s = detail, retry_after_s


def success(status: str) -> Optional[bool]:
    """True once completed, False once failed or cancelled, None while not terminal."""
    if status not in contract.TERMINAL:
        return None
    if failpoints.active("success_inverted"):
        return status != contract.COMPLETED
    return status == contract.COMPLETED


def load(eval_id: str) -> dict:
    record = store.get_evaluation(eval_id) if _EVAL_ID.match(eval_id) else None
    if record is None:
        raise HTTPException(500 if failpoints.active("unknown_id_500") else 404,
                            detail=f"evaluation {eval_id!r} not found")
    if "metadata" not in record and "meta" in record:
        record["metadata"] = record.pop("meta")
    return record


@router.post("/eval", response_model=SubmitResponse)
def submit(request: EvaluationRequest) -> SubmitResponse:
    """Store as queued, then send: the evaluation ends up queued with its task sent, or failed.

    The row and its submitted and queued events are one statement, committed (and
    published, in that order) before the task is sent, so a worker only ever finds it
    queued. The send failing fails it (rejected). The API dying between the commit and
    the send leaves it queued without a message: queue/reconcile.py sends it again.
    Depth and position come from the broker's list (what is really waiting): its length
    before the row is stored (one O(1) round trip), and the number ahead as the ordered
    put found it (counting every waiting message by priority took Redis O(depth): 0.14 ms
    of its time per submission at a depth of 26, 4 ms at 1000, blocking every client).
    """
    waiting = waiting_count()
    depth = get_settings().queue_max_depth
    if waiting >= depth and not failpoints.active("queue_depth_unbounded"):
        raise ServiceBusy(f"the queue is full ({depth} evaluations waiting); retry later")
    eval_id = store.create_evaluation(**request.store_fields(), queued=True)["eval_id"]
    try:
        ahead = enqueue(eval_id, request.priority)
    except Exception as exc:
        store.transition(eval_id, contract.FAILED, reason=contract.REASON_REJECTED,
                         expect_from={contract.QUEUED},
                         error=f"the queue did not accept the evaluation: {exc}")
        raise ServiceBusy("the queue is unavailable; the evaluation was not accepted") from exc
    if ahead is None:       # put where kombu puts a message (the tail): behind all of them
        ahead = waiting
    position = -1 if failpoints.active("queue_position_wrong") else ahead + 1
    return SubmitResponse(eval_id=eval_id, status=contract.QUEUED,
                          message="Evaluation queued", queue_position=position)


@router.get("/eval/{eval_id}")
def get_evaluation(eval_id: str) -> dict:
    record = load(eval_id)
    answer = {name: record.get(name) for name in RECORD_FIELDS}
    answer["success"] = success(record["status"])
    if failpoints.active("record_fields_dropped"):
        answer.pop("worker_id"), answer.pop("engine")
    return answer


@router.get("/eval/{eval_id}/status")
def get_status(eval_id: str) -> dict:
    record = load(eval_id)
    return {"eval_id": eval_id, "status": record["status"], "reason": record["reason"],
            "created_at": record["created_at"], "completed_at": record["completed_at"],
            "success": success(record["status"])}


@router.get("/eval/{eval_id}/logs")
def get_logs(eval_id: str) -> dict:
    """While it runs, the output so far from Redis (`source: live`); after, the stored one."""
    record = load(eval_id)
    running = record["status"] in (contract.PROVISIONING, contract.RUNNING)
    if running or failpoints.active("logs_view_live_only"):
        output, error = state.live_output(eval_id)
        source = "live"
    else:
        output, error = record["output"] or "", record["error"] or ""
        source = "store"
    return {"eval_id": eval_id, "output": output, "error": error, "is_running": running,
            "exit_code": record["exit_code"], "status": record["status"], "source": source,
            "output_truncated": record["output_truncated"],
            "error_truncated": record["error_truncated"]}


@router.post("/eval/{eval_id}/cancel")
def cancel(eval_id: str):
    """Queued: it will never run. Running: the worker kills its sandbox tree. Terminal: 409."""
    record = load(eval_id)
    if record["status"] in contract.TERMINAL:
        return _already_ended(record)
    if failpoints.active("cancel_noop"):
        return {"eval_id": eval_id, "status": record["status"], "message": "Cancellation requested"}
    try:
        moved = store.transition(eval_id, contract.CANCELLED, reason=contract.REASON_CANCELLED,
                                 expect_from=contract.ACTIVE)
    except store.IllegalTransition:
        moved = False
    if not moved:    # it ended while we were deciding
        return _already_ended(load(eval_id))
    # The worker polls this flag (and the store published evaluation:cancelled).
    state.request_cancel(eval_id)
    kill_if_here(eval_id)
    return {"eval_id": eval_id, "status": contract.CANCELLED, "message": "Evaluation cancelled"}


def _already_ended(record: dict) -> JSONResponse:
    status = record["status"]
    return JSONResponse(status_code=200 if failpoints.active("cancel_of_ended_answers_200") else 409, content={
        "eval_id": record["eval_id"], "status": status, "reason": record["reason"],
        "message": f"evaluation already {status}",
        "detail": f"evaluation already {status}; it cannot be cancelled"})


@router.get("/evaluations")
def list_evaluations(status: Optional[str] = Query(None, description="one of the contract's statuses"),
                     limit: int = Query(20, ge=1, le=100),
                     offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict:
    if failpoints.active("list_status_filter_ignored"):
        status = None
    if status is not None and status not in contract.STATUSES:
        raise HTTPException(422, detail=[{
            "loc": ["query", "status"], "type": "value_error",
            "msg": f"must be one of {', '.join(contract.STATUSES)}"}])
    items, total = store.list_evaluations(status, limit, offset)
    evaluations = [{"eval_id": item["eval_id"], "status": item["status"],
                    "reason": item.get("reason"), "priority": item.get("priority"),
                    "created_at": item["created_at"], "completed_at": item.get("completed_at"),
                    "code_preview": item["code_preview"], "success": success(item["status"])}
                   for item in items]
    has_more = offset + len(evaluations) < total
    if failpoints.active("list_pages_bare"):
        evaluations, has_more = [{k: v for k, v in e.items() if k != "code_preview"} for e in evaluations], False
    return {"evaluations": evaluations, "count": len(evaluations), "total": total,
            "limit": limit, "offset": offset, "has_more": has_more}
