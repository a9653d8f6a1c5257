"""Worker heartbeats: which workers are alive, what they can run, and how many slots they have.

Each worker process refreshes `evalplatform:worker:{worker_id}` every HEARTBEAT_INTERVAL_S
with a TTL of HEARTBEAT_TTL_S, so a SIGKILLed worker disappears within the TTL. The reaper
uses it to find running evaluations whose worker is gone; the API uses it for capacity,
the sandbox engine each worker reported, and how many Celery ping replies to wait for.
A worker id is `<celery nodename>#<pid>`: a restarted worker with the same name is a
different worker, and one on this host is known alive or dead from its pid alone. A
worker elsewhere is dead once its heartbeat has been missing for HEARTBEAT_TTL_S as seen
from here: a missing key alone could be a Redis restart, not a death.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Optional

from evalplatform import state

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_TTL_S = 4
KEY_PREFIX = "evalplatform:worker:"
# Every worker id that has beaten (pruned when its key has expired): listing workers reads
# this set and their keys, never a SCAN of a keyspace full of evaluation keys.
REGISTRY = "evalplatform:workers"
HOSTNAME = socket.gethostname()


def worker_key(worker_id: str) -> str:
    return KEY_PREFIX + worker_id


def make_worker_id(nodename: str) -> str:
    return f"{nodename}#{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a killed worker nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def live_workers() -> list[dict]:
    """The heartbeat of every worker alive right now."""
    conn = state.client()
    ids = sorted(m.decode() for m in conn.smembers(REGISTRY))
    if not ids:
        return []
    beats = conn.mget([worker_key(i) for i in ids])
    gone = [i for i, raw in zip(ids, beats) if raw is None]
    if gone:
        conn.srem(REGISTRY, *gone)
    return [json.loads(raw) for raw in beats if raw]


_missing_since: dict[str, float] = {}


def _on_this_host(worker_id: str) -> Optional[int]:
    """The pid of a worker id of this host (nodename `name@<this host>`), else None."""
    nodename, _, pid = worker_id.rpartition("#")
    if nodename.rpartition("@")[2] == HOSTNAME and pid.isdigit():
        return int(pid)
    return None


def is_alive(worker_id: Optional[str]) -> bool:
    """Is the worker that owns a run still there? A run without an owner has none."""
    if not worker_id:
        return False
    pid = _on_this_host(worker_id)
    if pid is not None:
        return _pid_alive(pid)
    if state.client().exists(worker_key(worker_id)):
        _missing_since.pop(worker_id, None)
        return True
    first_missed = _missing_since.setdefault(worker_id, time.monotonic())
    return time.monotonic() - first_missed < HEARTBEAT_TTL_S


class Heartbeat:
    """Publishes this worker's heartbeat from a daemon thread until stopped."""

    def __init__(self, worker_id: str, info: dict):
        self.worker_id = worker_id
        self.info = {"worker_id": worker_id, "host": HOSTNAME, "pid": os.getpid(),
                     "started_at": time.time(), **info}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def beat(self) -> None:
        payload = json.dumps({**self.info, "at": time.time()})
        pipe = state.client().pipeline(transaction=False)
        pipe.set(worker_key(self.worker_id), payload, ex=HEARTBEAT_TTL_S)
        pipe.sadd(REGISTRY, self.worker_id)
        pipe.execute()

    def start(self) -> None:
        self.beat()   # visible before the first task can be consumed
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_INTERVAL_S):
            try:
                self.beat()
            except Exception as exc:   # Redis restarting: keep trying, the TTL tells the truth
                log.warning("heartbeat failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        try:
            state.client().delete(worker_key(self.worker_id))
            state.client().srem(REGISTRY, self.worker_id)
        except Exception:   # shutting down with Redis gone: the key expires by itself
            pass
