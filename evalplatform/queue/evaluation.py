"""What one delivery of `evaluate_code(eval_id)` does.

1. Claim it: queued -> running for this worker (expect_from queued, so a cancel that got
   there first wins), one statement that returns the record; the running keys are set
   with the `running` publish. That is every first delivery (the API commits `queued`
   before it sends the task).
2. Not queued: read the record to see why. Terminal (say, cancelled while queued): do
   nothing — never resurrect. Running under a live worker: a duplicate delivery, do
   nothing. Running under a dead worker: recover it (recovery.py) and, if it was
   re-queued, claim it. Submitted (a row stored before the API queued first): queue it,
   then claim it.
3. Run it through the executor, streaming output to Redis and polling for cancellation.
4. running -> completed (exit 0) or failed with the run's reason and results. If the row
   is already terminal (a cancel won the race) the move is refused and nothing is written:
   exactly one terminal status, recorded once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Optional

from evalplatform import contract, failpoints, state, store
from evalplatform.executor.quantities import limits_of
from evalplatform.queue import deliveries, liveness, recovery
from evalplatform.queue.outages import OUTAGES
from evalplatform.run import RunRequest, RunResult

log = logging.getLogger(__name__)

CANCEL_POLL_S = 0.1          # how stale a cancellation may be when the runner asks
OUTPUT_FLUSH_S = 0.05        # live output reaches Redis at most this late...
OUTPUT_FLUSH_BYTES = 64 * 1024   # ...or as soon as this much is waiting
FINISH_RETRY_S = (0.2, 0.5, 1, 2, 4, 8, 15)   # an outage while recording the result


class PickUpUnavailable(Exception):
    """The store or Redis was down before the run started: retry the task, lose nothing."""


class LiveOutput:
    """Batches the run's output into Redis for /logs: one write per interval, not per read.

    Output waits at most OUTPUT_FLUSH_S, flushed by the next chunk or by `tick`, which the
    cancellation poll calls. The interval counts from the start of the run too, so a run
    that ends sooner writes no live output at all: its stored output is the record the
    moment it ends, and the live copy would be deleted with the running keys at once.
    """

    def __init__(self, eval_id: str):
        self.eval_id = eval_id
        self._pending: dict[str, bytearray] = {}
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()

    def write(self, stream: str, chunk: bytes) -> None:
        with self._lock:
            self._pending.setdefault(stream, bytearray()).extend(chunk)
            size = sum(len(b) for b in self._pending.values())
        if size >= OUTPUT_FLUSH_BYTES or time.monotonic() - self._last_flush >= OUTPUT_FLUSH_S:
            self.flush()

    def tick(self) -> None:
        if self._pending and time.monotonic() - self._last_flush >= OUTPUT_FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if failpoints.active("live_output_unwritten"):
            return
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = time.monotonic()
        try:
            for stream, data in pending.items():
                state.append_output(self.eval_id, stream, bytes(data))
        except Exception as exc:   # live output is a convenience; the stored output is the record
            log.debug("live output of %s not written: %s", self.eval_id, exc)


class CancelWatch:
    """`should_cancel` for the runner: the Redis cancel flag, read every CANCEL_POLL_S from
    the run's start. Not at the start itself: a cancel before the claim already won (the
    claim found the row cancelled), and one after it is read within CANCEL_POLL_S (the API
    also kills a sandbox on its own host at once)."""

    def __init__(self, eval_id: str, live: LiveOutput):
        self.eval_id, self.live = eval_id, live
        self.cancelled = False
        self._next_poll = time.monotonic() + CANCEL_POLL_S

    def __call__(self) -> bool:
        self.live.tick()
        now = time.monotonic()
        if not self.cancelled and now >= self._next_poll:
            self._next_poll = now + CANCEL_POLL_S
            try:
                self.cancelled = state.cancel_requested(self.eval_id)
            except Exception as exc:
                log.debug("cancel flag of %s unreadable: %s", self.eval_id, exc)
        return self.cancelled


def _claim(eval_id: str, worker_id: str, executor_id: str) -> Optional[dict]:
    """The record, now running for this worker, if this delivery is the one to run it.
    Its start time is when this worker took the message (queue/deliveries.py)."""
    claimed = store.claim(eval_id, worker_id, executor_id, started_at=deliveries.taken_at(eval_id))
    if claimed is not None:
        return claimed
    record = store.get_evaluation(eval_id)
    if record is None:
        log.warning("evaluation %s does not exist; task dropped", eval_id)
        return None
    status = record["status"]
    if status in contract.TERMINAL:
        if (status == contract.CANCELLED and record.get("started_at") is None
                and failpoints.active("cancelled_queued_runs")):
            # Run it anyway, deaf to its cancel flag; the store refuses the result, so the
            # record stays clean: only what a user watches meanwhile shows the run.
            state.client().delete(state.cancel_key(eval_id))
            state.mark_running(eval_id, worker_id=worker_id, executor_id=executor_id,
                               started_at=datetime.now(timezone.utc).isoformat(),
                               timeout=record["timeout"])
            return record
        log.info("evaluation %s is already %s; not running it", eval_id, status)
        return None
    if status in recovery.RUNNING_STATES:
        if liveness.is_alive(record.get("worker_id")):
            log.info("evaluation %s is running on %s; duplicate delivery ignored",
                     eval_id, record.get("worker_id"))
            return None
        if recovery.recover(record, resend=False) != contract.QUEUED:
            return None
    elif status == contract.SUBMITTED:
        store.transition(eval_id, contract.QUEUED, expect_from={contract.SUBMITTED})
    return store.claim(eval_id, worker_id, executor_id)


def _request(record: dict) -> RunRequest:
    """The stored evaluation as the run the executor gets (the API admitted its limits)."""
    memory = None if failpoints.active("memory_request_ignored") else record.get("memory_limit")
    limits = limits_of(record["timeout"], memory, record.get("cpu_limit"))
    return RunRequest(run_id=record["eval_id"], code=record["code"], environment=record["environment"],
                      limits=limits, priority=record["priority"])


def _outcome(result: RunResult) -> tuple[str, Optional[str], dict]:
    status = contract.COMPLETED if result.ok else contract.FAILED
    reason = None if result.ok else (result.reason or contract.REASON_NONZERO_EXIT)
    fields = {"exit_code": result.exit_code, "signal": result.signal,
              "output": result.stdout, "error": result.stderr,
              "output_truncated": result.stdout_truncated,
              "error_truncated": result.stderr_truncated,
              "runtime_ms": result.runtime_ms, "memory_used_mb": result.max_rss_mb,
              "engine": result.engine}
    return status, reason, fields


def run_evaluation(eval_id: str, worker_id: str, executor) -> dict:
    """Run one stored evaluation (see the module docstring). Returns a summary for Celery."""
    try:
        record = _claim(eval_id, worker_id, f"{executor.name}:{eval_id}")
        if record is None:
            current = store.get_evaluation(eval_id)
            return {"eval_id": eval_id, "ran": False, "status": current and current["status"]}
    except OUTAGES as exc:
        raise PickUpUnavailable(f"{type(exc).__name__}: {exc}") from exc
    live = LiveOutput(eval_id)
    watch = CancelWatch(eval_id, live)
    try:
        result = executor.run(_request(record), on_output=live.write, should_cancel=watch)
        status, reason, fields = _outcome(result)
    except Exception as exc:
        log.exception("evaluation %s: the executor failed", eval_id)
        status, reason = contract.FAILED, contract.REASON_SANDBOX_ERROR
        fields = {"error": f"sandbox error: {exc}", "engine": getattr(executor, "engine", None)}
    return _finish(eval_id, status, reason, fields)


def _record(eval_id: str, status: str, reason: Optional[str], fields: dict) -> bool:
    """The final move, retried through a database outage (the run's result is not redone)."""
    for pause in (*FINISH_RETRY_S, None):
        try:
            return store.transition(eval_id, status, reason=reason,
                                    expect_from=recovery.RUNNING_STATES, **fields)
        except store.IllegalTransition:
            return False
        except OUTAGES as exc:
            if pause is None:
                raise
            log.warning("evaluation %s: result not recorded yet (%s); retrying", eval_id, exc)
            time.sleep(pause)
    return False


def _finish(eval_id: str, status: str, reason: Optional[str], fields: dict) -> dict:
    moved = _record(eval_id, status, reason, fields)
    if not moved:
        # Someone else ended it first (a cancel, or the reaper). Their move cleared the running
        # keys, but our mark_running may have come after it: clear them again.
        status = store.get_evaluation(eval_id)["status"]
        if status in contract.TERMINAL:
            state.clear_running(eval_id)
    return {"eval_id": eval_id, "ran": True, "status": status, "recorded": moved}
