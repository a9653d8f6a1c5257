"""The platform endpoints: health, queue status, environments and capabilities."""

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

# What every deployment of this platform does, whatever its engine.
BASE_CAPABILITIES = ("network_isolation", "filesystem_isolation", "memory_limit", "pids_limit",
                     "timeout", "output_limit", "output_streaming", "priority", "cancellation")


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
    """This host's executor, for when no worker has reported yet (it may have no sandbox)."""
    from evalplatform.executor import get_executor
    try:
        return get_executor().describe()
    except Exception as exc:
        return {"engine": None, "detail": str(exc)}


@router.get("/platform")
def platform() -> dict:
    """The executor and engine the workers report (this host's when none is up yet)."""
    settings = get_settings()
    beats = liveness.live_workers()
    if beats:
        described = beats[0].get("executor_info", {})
    else:
        described = _describe_here()
    engine = described.get("engine")
    capabilities = sorted(set(BASE_CAPABILITIES) | set(described.get("capabilities", []))
                          | ({"gvisor"} if engine == "gvisor" else set()))
    return {
        "executor": settings.executor,
        "engine": engine,
        "engine_version": described.get("version"),
        "limits": {
            "default_timeout_s": settings.default_timeout_s,
            "max_timeout_s": settings.max_timeout_s,
            "default_memory_mb": settings.default_memory_mb,
            "max_memory_mb": settings.max_memory_mb,
            "pids": settings.pids_limit,
            "file_size_mb": settings.file_size_mb,
            "scratch_mb": settings.scratch_mb,
            "output_limit_bytes": settings.output_limit_bytes,
            "max_code_bytes": MAX_CODE_BYTES,
            "max_body_bytes": MAX_BODY_BYTES,
        },
        "priority": {"min": contract.PRIORITY_MIN, "max": contract.PRIORITY_MAX,
                     "default": contract.DEFAULT_PRIORITY,
                     "order": "higher first; FIFO within a value"},
        "workers": len(beats),
        "worker_slots": sum(int(b.get("concurrency", 0)) for b in beats),
        "capabilities": capabilities,
        "failpoints_active": sorted(failpoints.enabled()),
        "profile": settings.profile,
        "queue_max_depth": settings.queue_max_depth,
        "version": __version__,
    }
