"""Redis state: the contract's running keys, status channels, live output and cancel flags.

Keys (in the state database, settings.redis_url):
- `eval:{id}:running`  JSON {eval_id, worker_id, executor_id, started_at, timeout} while it runs,
  expiring after timeout + reaper grace as a backstop should a worker die mid-run;
- `running_evaluations` set of running ids;
- `eval:{id}:output:stdout|stderr` the output so far (for /logs), capped at the output limit;
- `eval:{id}:cancel` a flag a worker polls while running; it expires on its own;
- channel `evaluation:{status}` JSON {eval_id, status, reason, at} on every status change;
- `evalplatform:outbox:published` sorted set: eval id -> when its terminal status was
  published (with the publish, in one transaction; queue/outbox.py re-publishes the rest);
- `evalplatform:supervisor:restarts` hash: service -> JSON restart record, written by the
  embedded stack's supervisor (supervise.py), read by /api/health and `evalplatform state`.
"""

from __future__ import annotations

import json
import time
from typing import Optional

import redis

from evalplatform import contract, failpoints
from evalplatform.state import scripts

RUNNING_SET = "running_evaluations"
PUBLISHED_KEY = "evalplatform:outbox:published"
RESTARTS_KEY = "evalplatform:supervisor:restarts"
CANCEL_TTL_S = 3600          # longer than any evaluation may wait and run
OUTPUT_STREAMS = ("stdout", "stderr")

_client: Optional[redis.Redis] = None


def running_key(eval_id: str) -> str:
    return f"eval:{eval_id}:running"


def output_key(eval_id: str, stream: str) -> str:
    return f"eval:{eval_id}:output:{stream}"


def cancel_key(eval_id: str) -> str:
    return f"eval:{eval_id}:cancel"


def channel(status: str) -> str:
    return f"evaluation:{status}"


def init(redis_url: Optional[str] = None) -> None:
    """Connect this process to the state database (default URL: the settings')."""
    global _client
    if redis_url is None:
        from evalplatform.settings import get_settings
        redis_url = get_settings().redis_url
    if _client is not None:
        _client.close()
    _client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2,
                                   health_check_interval=30, retry_on_timeout=True)


def client() -> redis.Redis:
    if _client is None:
        init()
    return _client


def _settings():
    from evalplatform.settings import get_settings
    return get_settings()


def ping() -> bool:
    try:
        return bool(client().ping())
    except redis.RedisError:
        return False


def running_info_of(eval_id: str, *, worker_id: str, executor_id: str, started_at: str,
                    timeout: int) -> dict:
    """The running key's value: who runs it, in what, since when, for how long at most."""
    return {"eval_id": eval_id, "worker_id": worker_id, "executor_id": executor_id,
            "started_at": started_at, "timeout": timeout}


def _set_running(pipe, info: dict) -> None:
    if failpoints.active("running_keys_unwritten"):
        return
    expiry = int(info["timeout"]) + _settings().reaper_grace_s
    pipe.set(running_key(info["eval_id"]), json.dumps(info), ex=expiry)
    pipe.sadd(RUNNING_SET, info["eval_id"])


def _clear_running(pipe, eval_id: str) -> None:
    if failpoints.active("running_keys_kept"):
        return
    pipe.delete(running_key(eval_id), *(output_key(eval_id, s) for s in OUTPUT_STREAMS))
    pipe.srem(RUNNING_SET, eval_id)


def _publish(pipe, eval_id: str, status: str, reason: Optional[str], at: Optional[str]) -> None:
    """PUBLISH one status change; a terminal one with its outbox mark (queue/outbox.py)."""
    if failpoints.active("events_unpublished"):
        return
    message = {"eval_id": eval_id, "status": status, "reason": reason, "at": at}
    pipe.publish(channel(status), json.dumps(message))
    if status in contract.TERMINAL:
        pipe.zadd(PUBLISHED_KEY, {eval_id: time.time()})


def announce(eval_id: str, moves: list[tuple[str, Optional[str], Optional[str]]], *,
             running: Optional[dict] = None, stopped: bool = False) -> None:
    """Tell Redis what one committed store change did, in ONE transaction (MULTI/EXEC,
    one round trip): drop the running keys when it stopped running, set them (`running`:
    a running_info_of value) when it started, and publish each move (status, reason, at)
    in order. Subscribers see the running keys no later than the `running` message, and
    a terminal message never without its mark."""
    pipe = client().pipeline(transaction=True)
    if stopped:
        _clear_running(pipe, eval_id)
    if running is not None:
        _set_running(pipe, running)
    for status, reason, at in moves:
        _publish(pipe, eval_id, status, reason, at)
    if len(pipe):
        pipe.execute()


def mark_running(eval_id: str, *, worker_id: str, executor_id: str, started_at: str,
                 timeout: int) -> None:
    announce(eval_id, [], running=running_info_of(eval_id, worker_id=worker_id, executor_id=executor_id,
                                                  started_at=started_at, timeout=timeout))


def clear_running(eval_id: str) -> None:
    """Forget a run: its running key, its set membership and its live output."""
    announce(eval_id, [], stopped=True)


def running_ids() -> set[str]:
    return {m.decode() for m in client().smembers(RUNNING_SET)}


def running_info(eval_id: str) -> Optional[dict]:
    raw = client().get(running_key(eval_id))
    return json.loads(raw) if raw else None


def publish_status(eval_id: str, status: str, reason: Optional[str], at: Optional[str]) -> None:
    announce(eval_id, [(status, reason, at)])


def supervisor_restarts() -> dict[str, dict]:
    """The embedded stack supervisor's records: service name -> restart record."""
    return {name.decode(): json.loads(raw)
            for name, raw in sorted(client().hgetall(RESTARTS_KEY).items())}


# Appends at most what still fits under the cap, atomically, and keeps the buffer's expiry.
_APPEND_CAPPED = """
local room = tonumber(ARGV[2]) - redis.call('STRLEN', KEYS[1])
if room > 0 then
  redis.call('APPEND', KEYS[1], string.sub(ARGV[1], 1, room))
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return room
"""


def append_output(eval_id: str, stream: str, chunk: bytes) -> None:
    """Add to the live output of a running evaluation (capped at settings.output_limit_bytes)."""
    if stream not in OUTPUT_STREAMS:
        raise ValueError(f"stream must be one of {OUTPUT_STREAMS}")
    settings = _settings()
    expiry = settings.max_timeout_s + settings.reaper_grace_s
    scripts.run(client(), _APPEND_CAPPED, [output_key(eval_id, stream)],
                [chunk, settings.output_limit_bytes, expiry])


def live_output(eval_id: str) -> tuple[str, str]:
    """(stdout, stderr) so far; empty strings when nothing was written."""
    out, err = client().mget(output_key(eval_id, "stdout"), output_key(eval_id, "stderr"))
    return ((out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"))


def request_cancel(eval_id: str) -> None:
    client().set(cancel_key(eval_id), "1", ex=CANCEL_TTL_S)


def cancel_requested(eval_id: str) -> bool:
    return bool(client().exists(cancel_key(eval_id)))


def keys_snapshot() -> dict:
    """Every key in the state database with its type and a readable value (for `state`/diagnose)."""
    conn = client()
    snapshot = {}
    for raw_key in conn.scan_iter(count=500):
        key = raw_key.decode()
        kind = conn.type(raw_key).decode()
        if kind == "string":
            value = conn.get(raw_key)
            value = value.decode("utf-8", "replace") if value is not None else None
        elif kind == "set":
            value = sorted(m.decode() for m in conn.smembers(raw_key))
        else:
            value = None
        ttl = conn.ttl(raw_key)
        snapshot[key] = {"type": kind, "ttl": ttl if ttl >= 0 else None, "value": value}
    return snapshot
