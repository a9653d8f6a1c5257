"""Recovery: what happens to an evaluation whose worker died, and the reaper that finds them.

Decision: an evaluation whose worker is lost is re-queued ONCE (running -> queued, reason
worker_lost, then picked up again; `attempts` counts the pick-ups); lost a second time it
ends `failed` with reason `worker_lost`. Either the next delivery of its task (Redis
re-delivers unacknowledged messages after the visibility timeout) or the reaper notices,
whichever comes first; the store's expect_from makes only one of them act.

The reaper runs as a thread in every worker and in the API (no extra daemon to start).
A Redis lock lets one of them per interval look at the database:
- running/provisioning evaluations whose worker has no heartbeat are recovered as above;
- anything past its timeout plus settings.reaper_grace_s is failed (worker_lost: the
  sandbox enforces the timeout itself, so a run that outlived it lost its worker);
- a `submitted` evaluation older than the grace was never queued (the API died between
  storing and queueing it) and is failed with reason rejected;
- a message of a `queued` evaluation that a worker took from the broker but never claimed
  (it died in between) is put back at once rather than after the visibility timeout;
- when the broker restarted (its run_id changed) without persistence, the messages of
  queued evaluations are gone: their tasks are sent again, oldest first. A message that
  did survive makes a duplicate, which is harmless (a task only runs a `queued` row);
- a terminal status committed but never published is published now (outbox.py);
- a queued evaluation whose message a dying worker took off the list without recording
  it anywhere is sent again (reconcile.py).
Independently, each worker kills the sandboxes on its host that belong to an evaluation of
this platform that is not running (sandbox.cleanup_orphans), so a dead worker's process
trees and cgroups die.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Optional

from evalplatform import contract, failpoints, state, store
from evalplatform.executor import kill_if_here
from evalplatform.queue import liveness, outbox, reconcile
from evalplatform.settings import get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2                 # the first pick-up, and one more after a lost worker
LEADER_KEY = "evalplatform:reaper:leader"
RESENT_KEY = "evalplatform:broker:{run_id}:resent"   # one re-send per broker restart
RUNNING_STATES = frozenset({contract.PROVISIONING, contract.RUNNING})
SCAN_LIMIT = 1000                # running evaluations are bounded by the worker slots


def recover(record: dict, *, resend: bool) -> Optional[str]:
    """The worker running `record` is gone: re-queue it once, else fail it worker_lost.

    Returns the new status, or None when someone else acted first (or the failpoint
    worker_loss_ignored is on). With `resend`, the re-queued evaluation's task is sent
    again; a task that found the evaluation itself just carries on instead.
    """
    if failpoints.active("worker_loss_ignored"):
        return None
    eval_id, lost = record["eval_id"], record.get("worker_id")
    kill_if_here(eval_id)
    if (record.get("attempts") or 0) < MAX_ATTEMPTS:
        if not store.transition(eval_id, contract.QUEUED, reason=contract.REASON_WORKER_LOST,
                                expect_from=RUNNING_STATES, detail={"lost_worker": lost}):
            return None
        state.clear_running(eval_id)
        log.warning("evaluation %s lost its worker %s; re-queued", eval_id, lost)
        if resend:
            from evalplatform.queue.app import enqueue
            enqueue(eval_id, record["priority"])
        return contract.QUEUED
    if not store.transition(eval_id, contract.FAILED, reason=contract.REASON_WORKER_LOST,
                            expect_from=RUNNING_STATES, detail={"lost_worker": lost},
                            error=f"the worker running this evaluation ({lost}) was lost "
                                  f"{MAX_ATTEMPTS} times"):
        return None
    log.warning("evaluation %s lost its worker %s again; failed", eval_id, lost)
    return contract.FAILED


def reap_orphaned_runs() -> int:
    """Recover running evaluations whose worker has no heartbeat. Returns how many."""
    recovered = 0
    for record in store.evaluations_in(RUNNING_STATES, SCAN_LIMIT):
        if not liveness.is_alive(record["worker_id"]):
            recovered += recover(record, resend=True) is not None
    return recovered


def reap_overdue() -> int:
    """Fail what outlived its timeout plus the grace, and what was never queued."""
    ended = 0
    for record in store.stale_evaluations(get_settings().reaper_grace_s):
        if record["status"] == contract.SUBMITTED:
            reason, error = contract.REASON_REJECTED, "never queued (the API stopped while accepting it)"
        else:
            reason = contract.REASON_WORKER_LOST
            error = "did not finish within its timeout plus the reaper's grace"
            kill_if_here(record["eval_id"])
        ended += store.transition(record["eval_id"], contract.FAILED, reason=reason, error=error,
                                  expect_from=contract.ACTIVE - {contract.QUEUED})
    return ended


def remove_orphaned_sandboxes(executor) -> list[str]:
    """Kill this host's sandboxes of OUR evaluations that have ended.

    Sandboxes this platform does not know (another stack on the same host, a benchmark's
    bare runs) are left alone: their ids are not evaluations in this database. Only
    terminal evaluations count: a re-queued one may be claimed by a retry on this very
    host at any moment (the sandbox's own claim then clears the dead attempt's leftovers
    under its owner lock), and removing its run directory then would break the retry.
    """
    run_ids = getattr(executor, "run_ids", None)
    if run_ids is None:        # the kubernetes executor: Jobs are not on this host
        return []
    candidates = run_ids() - state.running_ids()
    orphans = {run_id for run_id, status in store.statuses_of(candidates).items()
               if status in contract.TERMINAL}      # one statement, however many are foreign
    if not orphans:
        return []
    log.warning("killing orphaned sandboxes: %s", sorted(orphans))
    return executor.remove_runs(orphans)


def resend_queued() -> int:
    """Send the task of every queued evaluation again, oldest first (per priority: FIFO)."""
    from evalplatform.queue.app import enqueue
    items, _ = store.list_evaluations(contract.QUEUED, get_settings().queue_max_depth + SCAN_LIMIT, 0)
    for item in reversed(items):
        enqueue(item["eval_id"], item["priority"])
    return len(items)


# kombu's Redis transport keeps each message a worker took, until acknowledged, in this hash
# (delivery tag -> [message, exchange, routing key]) with the time it was taken in this zset.
UNACKED_KEY, UNACKED_INDEX_KEY = "unacked", "unacked_index"


def restore_abandoned_deliveries(min_age_s: float) -> int:
    """Put back in their queue the messages of `queued` evaluations that a worker took
    more than `min_age_s` ago without claiming them: it died between the two (a live
    worker claims within milliseconds). kombu itself would restore them only after the
    visibility timeout. A duplicate is harmless: only a `queued` row runs, once."""
    from evalplatform.queue.app import broker_client, celery_app  # app imports this module
    client = broker_client()
    tags = client.zrangebyscore(UNACKED_INDEX_KEY, 0, time.time() - min_age_s)
    abandoned = []
    for tag, raw in zip(tags, client.hmget(UNACKED_KEY, tags) if tags else []):
        if raw is None:
            continue
        eval_id = json.loads(raw)[0].get("headers", {}).get("id")
        record = store.get_evaluation(eval_id) if eval_id else None
        if record is not None and record["status"] == contract.QUEUED:
            abandoned.append(tag)
    if abandoned:
        with celery_app.connection_for_write() as conn:
            for tag in abandoned:
                conn.default_channel.qos.restore_by_tag(tag)
        log.warning("restored %d evaluations taken by a worker that died before starting them",
                    len(abandoned))
    return len(abandoned)


class Reaper:
    """A daemon thread that reaps every settings.reaper_interval_s (see module docstring)."""

    def __init__(self, cleanup_local: bool):
        self.cleanup_local = cleanup_local
        self.interval = get_settings().reaper_interval_s
        self._token = uuid.uuid4().hex
        self._broker_run_id: Optional[str] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)

    def start(self) -> None:
        try:
            self._after_broker_restart()     # the run_id to compare with, from the start
        except Exception as exc:
            log.warning("broker not reachable yet: %s", exc)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _leader(self) -> bool:
        ttl_ms = max(int(self.interval * 900), 100)
        return bool(state.client().set(LEADER_KEY, self._token, nx=True, px=ttl_ms))

    def tick(self) -> None:
        if not failpoints.active("worker_loss_ignored") and self._leader():
            reap_orphaned_runs()
            reap_overdue()
            restore_abandoned_deliveries(liveness.HEARTBEAT_TTL_S)
            outbox.republish_unmarked()
            reconcile.resend_missing()
        self._after_broker_restart()
        if self.cleanup_local:
            from evalplatform.executor import get_executor
            remove_orphaned_sandboxes(get_executor())

    def _after_broker_restart(self) -> None:
        """Every process watches the broker's run_id; the first to see a new one re-sends."""
        from evalplatform.queue.app import broker_client
        run_id = broker_client().info("server")["run_id"]
        previous, self._broker_run_id = self._broker_run_id, run_id
        if previous is None or previous == run_id:
            return
        if state.client().set(RESENT_KEY.format(run_id=run_id), self._token, nx=True, ex=3600):
            log.warning("the broker restarted; re-sent %d queued evaluations", resend_queued())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:   # a dependency restarting: try again next interval
                log.warning("reaper tick failed: %s", exc)
