"""Health: real checks of every service, computed at most once per CACHE_S.

Workers are counted by a Celery ping that waits only for as many replies as there are
worker heartbeats, so a healthy platform answers in milliseconds; the sandbox engine is
what the workers reported in their heartbeats (they are where code runs). `restarts` is
what the embedded stack's supervisor published: each supervised service's restart count,
and `supervision` its whole record (state, last exit); both empty for a platform run by
other means.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from evalplatform import failpoints, state, store
from evalplatform.queue import liveness

CACHE_S = 1.0                 # a healthy answer is reused this long
DEGRADED_CACHE_S = 0.25       # an unhealthy one only this long: recovery shows up quickly
PING_TIMEOUT_S = 0.5
OK = "ok"

_lock = threading.Lock()
_cached: Optional[tuple[float, dict]] = None


def _error(detail: str) -> str:
    return f"error: {detail}"


def _check(probe: Callable[[], str]) -> str:
    try:
        return probe()
    except Exception as exc:
        return _error(f"{type(exc).__name__}: {exc}")


def _redis() -> str:
    return OK if state.ping() else _error("no PONG from the state Redis")


def _broker_ping() -> str:
    from evalplatform.queue.app import broker_client
    return OK if broker_client().ping() else _error("no PONG from the broker")


def _database() -> str:
    return OK if store.ping() else _error("SELECT 1 failed")


def _workers(beats: list[dict]) -> str:
    """Without a heartbeat there is nobody to ping: say so at once instead of waiting."""
    from evalplatform.queue.app import celery_app
    if not beats:
        return _error("no worker heartbeat")
    replies = celery_app.control.ping(timeout=PING_TIMEOUT_S, limit=len(beats))
    if not replies:
        return _error("no worker answered a Celery ping")
    return OK


def _sandbox(beats: list[dict]) -> str:
    if not beats:
        return _error("no worker has reported its sandbox engine")
    usable = [b for b in beats if b.get("engine_ok")]
    if not usable:
        return _error("; ".join(sorted({b.get("engine_detail") or "engine unavailable" for b in beats})))
    return OK


def compute() -> dict:
    try:
        beats = liveness.live_workers()
    except Exception:
        beats = []
    services = {
        "api": OK,
        "redis": _check(_redis),
        "broker": _check(_broker_ping),
        "database": _check(_database),
        "workers": _check(lambda: _workers(beats)),
        "sandbox": _check(lambda: _sandbox(beats)),
    }
    if failpoints.active("health_service_missing"):
        del services["sandbox"]
    healthy = all(value == OK for value in services.values())
    if failpoints.active("health_always_ok"):
        healthy, services = True, dict.fromkeys(services, OK)
    engines = sorted({b.get("engine") for b in beats if b.get("engine")})
    supervision = _supervision()
    return {"status": "ok" if healthy else "degraded", "services": services,
            "workers": len(beats), "engines": engines,
            "restarts": {name: record.get("restarts", 0) for name, record in supervision.items()},
            "supervision": supervision}


def _supervision() -> dict[str, dict]:
    try:
        return state.supervisor_restarts()
    except Exception:   # Redis down: the services entry already says so
        return {}


def report() -> dict:
    """The health report, recomputed when stale (one computation at a time)."""
    global _cached
    with _lock:
        if _cached is not None:
            at, last = _cached
            max_age = CACHE_S if last["status"] == "ok" else DEGRADED_CACHE_S
            if time.monotonic() - at <= max_age:
                return last
        _cached = (time.monotonic(), compute())
        return _cached[1]
