"""The platform endpoints: health, queue status, environments and capabilities.

/api/platform says only what is enforced: the executor describes itself (its engine, what
it and its engine enforce, the limits it applies to a run: executor/base.py), the queue
adds its strict priority, and the API adds the bounds it admits. Nothing is claimed here
that no component enforces.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from evalplatform import __version__, contract, failpoints, store
from evalplatform.api import health
from evalplatform.api.bodylimit import MAX_BODY_BYTES
from evalplatform.api.schemas import MAX_CODE_BYTES
from evalplatform.queue import liveness
from evalplatform.sandbox import environments
from evalplatform.settings import get_settings

router = APIRouter()

# The queue's own promise, whatever the executor: strict priority order (queue/app.py).
QUEUE_CAPABILITIES = ("priority",)


@router.get("/health")
def get_health():
    report = health.report()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get("/queue/status")
def queue_status() -> dict:
    counts = store.counts_by_status()
    beats = liveness.live_workers()
    return {**counts,
            "by_priority": {str(p): n for p, n in sorted(store.queued_by_priority().items(), reverse=True)},
            "workers": len(beats),
            "capacity": sum(int(b.get("concurrency", 0)) for b in beats),
            "max_depth": get_settings().queue_max_depth}


@router.get("/environments")
def list_environments() -> dict:
    return {"environments": [env.to_dict() for env in environments.list_environments()],
            "default": "python"}


def _describe_here() -> dict:
    """This host's executor, for when no worker has reported yet (it may have no sandbox:
    then nothing is claimed)."""
    from evalplatform.executor import get_executor
    try:
        return get_executor().describe()
    except Exception as exc:
        return {"engine": None, "available": False, "detail": str(exc)}


@router.get("/platform")
def platform() -> dict:
    """What the workers' executor enforces, as their heartbeat reports it (this host's
    executor when none is up yet)."""
    settings = get_settings()
    beats = liveness.live_workers()
    described = beats[0].get("executor_info", {}) if beats else _describe_here()
    return {
        "executor": described.get("executor", settings.executor),
        "engine": described.get("engine"),
        "engine_version": described.get("version"),
        # The limits the executor applies to a run, then the bounds the API admits.
        "limits": {
            **described.get("limits", {}),
            "max_timeout_s": settings.max_timeout_s,
            "max_memory_mb": settings.max_memory_mb,
            "max_code_bytes": MAX_CODE_BYTES,
            "max_body_bytes": MAX_BODY_BYTES,
        },
        "priority": {"min": contract.PRIORITY_MIN, "max": contract.PRIORITY_MAX,
                     "default": contract.DEFAULT_PRIORITY,
                     "order": "higher first; FIFO within a value"},
        "workers": len(beats),
        "worker_slots": sum(int(b.get("concurrency", 0)) for b in beats),
        "capabilities": sorted({*described.get("capabilities", ()), *QUEUE_CAPABILITIES}),
        "failpoints_active": sorted(failpoints.enabled()),
        "profile": settings.profile,
        "queue_max_depth": settings.queue_max_depth,
        # The reaper ends a run still active this long past its timeout (queue/recovery.py).
        "reaper_grace_s": settings.reaper_grace_s,
        "version": __version__,
    }
