"""`diagnose EVAL_ID`: one evaluation's timeline across the API, the store, Redis and Celery.

It flags the classic faults of such platforms: a terminal evaluation still listed as
running in Redis, a terminal status without its terminal event (or with several), an
evaluation stuck non-terminal past its timeout plus the reaper's grace, and a queued
evaluation whose task message is nowhere in the broker (neither waiting nor taken by a
worker: the reaper's reconcile sends it again once it is old enough, see
queue/reconcile.py).
Exit status: 0 no fault, 1 faults found, 2 unknown evaluation or no store to read (the
store holds the record; without it nothing can be diagnosed, which is never "no fault").
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from evalplatform import contract
from evalplatform.cli import connection


def register(subparsers) -> None:
    parser = subparsers.add_parser("diagnose", help="one evaluation's timeline and faults")
    parser.add_argument("eval_id")
    connection.add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=run)


def _attempt(source: Callable[[], Any]) -> tuple[Any, Optional[str]]:
    """A source's answer, or the reason it could not be asked (a diagnosis must not stop)."""
    try:
        return source(), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def gather(eval_id: str, urls: dict) -> dict:
    from evalplatform import state, store

    def api_record():
        import httpx
        answer = httpx.get(f"{urls['API_URL']}/eval/{eval_id}", timeout=5)
        return answer.json() if answer.status_code == 200 else {"http_status": answer.status_code}

    def redis_view():
        state.init(urls["REDIS_URL"])
        stdout, stderr = state.live_output(eval_id)
        return {"in_running_set": eval_id in state.running_ids(),
                "running_key": state.running_info(eval_id),
                "cancel_requested": state.cancel_requested(eval_id),
                "live_output_bytes": {"stdout": len(stdout), "stderr": len(stderr)}}

    def celery_state():
        from celery import Celery
        app = Celery(broker=urls["CELERY_BROKER_URL"], backend=urls["CELERY_RESULT_BACKEND"])
        app.conf.update(result_serializer="json", accept_content=["json"],
                        result_accept_content=["json"])
        result = app.AsyncResult(eval_id)   # the task id is the evaluation id
        info = result.info if isinstance(result.info, (dict, str, int, float, type(None))) else repr(result.info)
        return {"state": result.state, "info": info}

    def broker_view():
        import redis
        from evalplatform.queue import reconcile
        from evalplatform.queue.app import queue_names
        client = redis.Redis.from_url(urls["CELERY_BROKER_URL"], socket_timeout=5)
        return {"message_in_broker": eval_id in reconcile.messages_in_broker(client, queue_names())}

    store.init(urls["DATABASE_URL"])
    found: dict[str, Any] = {"eval_id": eval_id, "errors": {}}
    for name, source in (("api", api_record), ("store", lambda: store.get_evaluation(eval_id)),
                         ("events", lambda: store.events(eval_id)), ("redis", redis_view),
                         ("broker", broker_view), ("celery", celery_state)):
        found[name], error = _attempt(source)
        if error:
            found["errors"][name] = error
    return found


def faults(found: dict, grace_s: int, now: Optional[datetime] = None) -> list[str]:
    """The classic faults visible in what `gather` found."""
    now = now or datetime.now(timezone.utc)
    record, events, redis_view = found.get("store"), found.get("events") or [], found.get("redis")
    if not record:
        return []
    status, problems = record["status"], []
    terminal_events = [e for e in events if e["to_status"] in contract.TERMINAL]
    if status in contract.TERMINAL:
        if redis_view and (redis_view["in_running_set"] or redis_view["running_key"]):
            problems.append("terminal but still in running_evaluations / eval:{id}:running")
        if not terminal_events:
            problems.append("terminal status without a terminal event")
        elif len(terminal_events) > 1:
            problems.append(f"terminal status recorded {len(terminal_events)} times")
        elif terminal_events[-1]["to_status"] != status:
            problems.append(f"last terminal event says {terminal_events[-1]['to_status']}, record says {status}")
    else:
        since = record.get("started_at") or record.get("created_at")
        limit = datetime.fromisoformat(since) + timedelta(seconds=record["timeout"] + grace_s)
        if status in (contract.PROVISIONING, contract.RUNNING, contract.SUBMITTED) and now > limit:
            problems.append(f"stuck {status}: past timeout {record['timeout']}s + grace {grace_s}s")
        if status == contract.RUNNING and redis_view and not redis_view["in_running_set"]:
            problems.append("running in the store but not in running_evaluations")
        broker = found.get("broker")
        if status == contract.QUEUED and broker and not broker["message_in_broker"]:
            problems.append("queued but its task message is not in the broker (neither waiting nor "
                            "taken by a worker); the reaper sends it again once it is older than "
                            "the reconcile's minimum age")
    api = found.get("api")
    if api and api.get("status") and api["status"] != status:
        problems.append(f"API says {api['status']}, store says {status}")
    return problems


def timeline(found: dict) -> list[tuple[str, str]]:
    """(time, what) rows from the events and the Redis running key, oldest first."""
    rows = [(e["at"], f"{e['from_status'] or '-'} -> {e['to_status']}"
             + (f" ({e['reason']})" if e["reason"] else "")
             + (f" {json.dumps(e['detail'])}" if e.get("detail") else ""))
            for e in found.get("events") or []]
    running = (found.get("redis") or {}).get("running_key")
    if running:
        rows.append((str(running.get("started_at")), f"redis: running on {running.get('worker_id')}"))
    return sorted(rows)


def run(args: argparse.Namespace) -> int:
    from evalplatform.settings import get_settings
    urls = connection.urls(args)
    found = gather(args.eval_id, urls)
    if "store" in found["errors"]:
        raise connection.CliError(
            f"cannot read the store at {urls['DATABASE_URL']} (from {urls[connection.SOURCE_KEY]}): "
            f"{found['errors']['store'].splitlines()[0]}; is the stack running? {connection.START_HINT}")
    if found.get("store") is None:
        print(f"unknown evaluation {args.eval_id}")
        return 2
    problems = faults(found, get_settings().reaper_grace_s)
    if args.json:
        print(json.dumps({**found, "faults": problems}, indent=2, default=str))
        return 1 if problems else 0
    record = found.get("store") or {}
    print(f"evaluation {args.eval_id}: {record.get('status')} reason={record.get('reason')} "
          f"attempts={record.get('attempts')} worker={record.get('worker_id')}")
    print("timeline:")
    for at, what in timeline(found):
        print(f"  {at}  {what}")
    print(f"api: {json.dumps({k: (found.get('api') or {}).get(k) for k in ('status', 'reason', 'exit_code')})}")
    print(f"redis: {json.dumps(found.get('redis'))}")
    print(f"broker: {json.dumps(found.get('broker'))}")
    print(f"celery: {json.dumps(found.get('celery'), default=str)}")
    for source, error in found["errors"].items():
        print(f"could not read {source}: {error}")
    for problem in problems:
        print(f"FAULT: {problem}")
    if not problems:
        print("no faults found")
    return 1 if problems else 0
