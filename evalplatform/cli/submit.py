"""`submit FILE`: submit a file's code through the API, wait for the end, print the result."""

from __future__ import annotations

import argparse
import sys
import time

from evalplatform.cli import connection

TERMINAL = {"completed", "failed", "cancelled"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("submit", help="run a file on the platform and print the result")
    parser.add_argument("file", help="the code to run ('-' for stdin)")
    connection.add_arguments(parser)
    parser.add_argument("--timeout", type=int, help="the evaluation's timeout in seconds")
    parser.add_argument("--priority", type=int, help="higher runs first")
    parser.add_argument("--environment", help="python, python-ml, ...")
    parser.add_argument("--wait", type=float, default=600, help="give up waiting after this many seconds")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import httpx
    code = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
    body = {"code": code}
    for field in ("timeout", "priority", "environment"):
        if getattr(args, field) is not None:
            body[field] = getattr(args, field)
    api = connection.urls(args)["API_URL"]
    with httpx.Client(base_url=api, timeout=30) as client:
        answer = client.post("/eval", json=body)
        if answer.status_code != 200:
            print(f"submit refused: {answer.status_code} {answer.text}", file=sys.stderr)
            return 2
        eval_id = answer.json()["eval_id"]
        print(f"eval_id: {eval_id}", file=sys.stderr)
        record = _wait_terminal(client, eval_id, deadline=time.monotonic() + args.wait)
    if record is None:
        print(f"{eval_id} did not end within {args.wait}s", file=sys.stderr)
        return 3
    _print_record(record)
    return 0 if record["status"] == "completed" else 1


def _wait_terminal(client, eval_id: str, deadline: float):
    delay = 0.02
    while time.monotonic() < deadline:
        status = client.get(f"/eval/{eval_id}/status").json()
        if status.get("status") in TERMINAL:
            return client.get(f"/eval/{eval_id}").json()
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    return None


def _print_record(record: dict) -> None:
    reason = f" ({record['reason']})" if record.get("reason") else ""
    print(f"status: {record['status']}{reason}  exit_code: {record.get('exit_code')}  "
          f"runtime_ms: {record.get('runtime_ms')}  engine: {record.get('engine')}")
    for name in ("output", "error"):
        text = record.get(name) or ""
        truncated = " [truncated]" if record.get(f"{name}_truncated") else ""
        if text or truncated:
            print(f"--- {name}{truncated}\n{text}", end="" if text.endswith("\n") else "\n")
