"""A worker process's own services, started by Celery's signals: heartbeat and reaper.

Both start before the worker consumes its first task (celeryd_after_setup), so an
evaluation is never owned by a worker without a heartbeat. A worker whose executor cannot
run anything (no sandbox engine can isolate on this host) exits at start instead of
taking evaluations it could only fail.
"""

from __future__ import annotations

import logging
from typing import Optional

from celery import signals

from evalplatform import failpoints, state, store
from evalplatform.executor import get_executor
from evalplatform.queue import liveness
from evalplatform.queue.recovery import Reaper

log = logging.getLogger(__name__)

_worker_id: Optional[str] = None
_services: list = []


def worker_id() -> str:
    return _worker_id or liveness.make_worker_id("unknown")


def _engine_report() -> dict:
    """What the heartbeat tells the API about where code runs on this worker."""
    try:
        described = get_executor().describe()
        return {"engine": described.get("engine"), "engine_ok": bool(described.get("available", True)),
                "engine_detail": described.get("detail", ""), "executor_info": described}
    except Exception as exc:
        return {"engine": None, "engine_ok": False, "engine_detail": str(exc), "executor_info": {}}


@signals.celeryd_after_setup.connect
def _start(sender: str, instance, **_) -> None:
    global _worker_id
    try:
        failpoints.check_startup()
    except failpoints.FailpointError as exc:   # Celery logs and ignores a handler's Exception
        log.critical("worker refuses to start: %s", exc)
        raise SystemExit(3) from exc
    store.init()
    state.init()
    _worker_id = liveness.make_worker_id(sender)
    try:
        get_executor()
    except Exception as exc:
        log.critical("worker %s cannot run evaluations, exiting: %s", _worker_id, exc)
        raise SystemExit(3) from exc
    heartbeat = liveness.Heartbeat(_worker_id, {
        "nodename": sender, "concurrency": instance.concurrency, **_engine_report()})
    heartbeat.start()
    reaper = Reaper(cleanup_local=True)
    reaper.start()
    _services[:] = [reaper, heartbeat]
    log.info("worker %s: heartbeat and reaper started", _worker_id)


@signals.worker_shutdown.connect
def _stop(**_) -> None:
    for service in _services:
        service.stop()
