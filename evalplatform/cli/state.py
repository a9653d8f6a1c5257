"""`state`: running evaluations, the supervisor's restarts, queue lengths by priority and
every key in Redis.

The successor of the original suite's check_redis_state script: what a person looks at
first when evaluations seem stuck.
"""

from __future__ import annotations

import argparse
import json

from evalplatform.cli import connection


def register(subparsers) -> None:
    parser = subparsers.add_parser("state", help="show running evaluations, queues and Redis keys")
    connection.add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=run)


def queue_lengths(broker_url: str) -> tuple[dict[str, int], dict[int, int]]:
    """LLEN of each queue in the broker, and the evaluation queue's messages per priority."""
    import redis
    from evalplatform.queue import broker as ordered
    from evalplatform.queue.app import EVALUATION_QUEUE, queue_names
    broker = redis.Redis.from_url(broker_url, socket_timeout=5)
    try:
        names = queue_names()
        pipe = broker.pipeline()
        for name in names:
            pipe.llen(name)
        lengths = dict(zip(names, pipe.execute()))
        return lengths, ordered.waiting_by_priority(broker, EVALUATION_QUEUE)
    finally:
        broker.close()


def snapshot(urls: dict) -> dict:
    from evalplatform import state
    state.init(urls["REDIS_URL"])
    running = {eval_id: state.running_info(eval_id) for eval_id in sorted(state.running_ids())}
    queues, by_priority = queue_lengths(urls["CELERY_BROKER_URL"])
    return {"running": running, "queues": queues,
            "waiting_by_priority": {str(p): n for p, n in sorted(by_priority.items(), reverse=True)},
            "supervision": state.supervisor_restarts(), "keys": state.keys_snapshot()}


def run(args: argparse.Namespace) -> int:
    found = snapshot(connection.urls(args))
    if args.json:
        print(json.dumps(found, indent=2, sort_keys=True))
        return 0
    print(f"Running evaluations: {len(found['running'])}")
    for eval_id, info in found["running"].items():
        info = info or {}
        print(f"  {eval_id}  worker={info.get('worker_id')}  started_at={info.get('started_at')}"
              f"  timeout={info.get('timeout')}" + ("" if info else "  (no eval:{id}:running key!)"))
    if found["supervision"]:
        print("Supervised services (restarts by `up`):")
        for name, record in found["supervision"].items():
            last = (f"  last exit {record['last_exit']} at {record['last_death_at']}"
                    if record.get("last_exit") is not None else "")
            print(f"  {name}: {record['state']}  restarts={record['restarts']}{last}")
    print("Queue lengths (broker):")
    for name, length in found["queues"].items():
        print(f"  {name}: {length}")
    print("Waiting evaluations by priority (broker, highest first):")
    for priority, count in found["waiting_by_priority"].items():
        print(f"  priority {priority}: {count}")
    print(f"Keys in the state database: {len(found['keys'])}")
    for key, entry in sorted(found["keys"].items()):
        value = entry["value"]
        shown = json.dumps(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        ttl = f" ttl={entry['ttl']}s" if entry["ttl"] is not None else ""
        print(f"  {key} [{entry['type']}{ttl}] {shown}")
    return 0
