"""The floor: the least the platform's own libraries spend per evaluation, against the bare
sandbox, measured in the same run. How close to the bare sandbox can any platform built
on them come?

An evaluation through the platform needs at least: one HTTP request through FastAPI on
uvicorn; one Celery task through the Redis broker with acks late, its STARTED and SUCCESS
states stored; and its transitions stored in PostgreSQL and published on Redis. Each is
measured doing nothing else, in CPU milliseconds per evaluation (the CPU of the serving
processes, PostgreSQL and Redis included, and of the client calls that the platform's API
makes):

- HTTP: a FastAPI app with one synchronous POST route that validates a body and answers
  JSON, under uvicorn as the platform runs it (bench/_floor_services.py); requests over one
  keep-alive connection. The server's CPU.
- Celery: a worker configured as the platform's (thread pool, acks late, STARTED tracked,
  prefetch 1) running a task that does nothing; `send_task` from this process (its CPU
  counted: the API sends), the result awaited. The worker's and Redis's CPU.
- Store: the platform's own three statements (the submission stored queued, the claim,
  the final move), each with its one Redis transaction of publishes: the contract's
  record, each already one round trip (docs/performance.md). This process's, PostgreSQL's
  and Redis's CPU.

The sum is the floor; `bare / (bare + floor)` is the best throughput ratio to the bare
sandbox that a CPU-bound platform on these libraries could reach on this host, beside
issue 15's goal of 0.8. Sequential: one evaluation at a time, for the floor and the
bare sandbox alike (contention adds to both).

Writes reports/bench/floor.json.

    .venv/bin/python bench/floor.py [--count 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from _report import write_json
from cpu_breakdown import bare_cpu_ms, process_table, tree_cpu_s

from evalplatform.stack import Stack

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 0.8          # issue 15: platform throughput >= 0.8x the bare sandbox's
WARMUP = 20
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def service(*args: str):
    """One of bench/_floor_services.py's services, its output in a file (`proc.log`), so a
    service that says much never blocks on a full pipe, and one that fails can be read."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, str(HERE / "_floor_services.py"), *args],
                                stdout=log, stderr=subprocess.STDOUT)
        proc.log = log
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def said(proc) -> str:
    """The last of what a service wrote."""
    proc.log.seek(0)
    return proc.log.read().decode(errors="replace")[-3000:]


def cpu_ms(*pids: int) -> float:
    table = process_table()
    return sum(sum(tree_cpu_s(table, pid)) for pid in pids) * 1000


def measured(count: int, one, *pids: int) -> dict[str, float]:
    """CPU ms per call of `one()`: of the processes `pids` (with their descendants) and of
    this thread."""
    for i in range(WARMUP):
        one(i)
    servers, mine = cpu_ms(*pids), time.thread_time()
    for i in range(WARMUP, WARMUP + count):
        one(i)
    return {"servers": (cpu_ms(*pids) - servers) / count, "client": (time.thread_time() - mine) * 1000 / count}


def http_floor(count: int) -> dict[str, float]:
    port = free_port()
    with service("http", str(port)) as proc:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def up() -> bool:
            try:
                conn.request("GET", "/health")
                answer = conn.getresponse()
                answer.read()
                return answer.status == 200
            except OSError:
                conn.close()
                return False

        deadline = time.monotonic() + START_TIMEOUT_S
        while not up():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the floor's HTTP service did not answer:\n{said(proc)}")
            time.sleep(0.05)
        body = json.dumps({"code": "print(1)"})

        def post(_: int) -> None:
            conn.request("POST", "/eval", body, {"Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200, answer.status

        cost = measured(count, post, proc.pid)
    return {"server": cost["servers"]}


def celery_floor(count: int, redis_url: str, redis_pid: int) -> dict[str, float]:
    from _floor_services import NOOP_TASK, celery_app   # bench/ is this script's own path

    base = redis_url.rsplit("/", 1)[0]
    broker, results = f"{base}/10", f"{base}/11"
    app = celery_app(broker, results)
    with service("celery", broker, results, "4") as proc:
        first = app.send_task(NOOP_TASK, ["up"])
        try:
            first.get(timeout=START_TIMEOUT_S)
        except Exception as exc:
            raise SystemExit(f"the floor's Celery worker ran no task ({exc!r}):\n{said(proc)}") from exc
        sending = [0.0]

        def task(i: int) -> None:
            started = time.thread_time()
            result = app.send_task(NOOP_TASK, [str(i)])
            sending[0] += time.thread_time() - started
            result.get(timeout=30)
            result.forget()

        worker_before = cpu_ms(proc.pid)
        cost = measured(count, task, redis_pid)
        worker = (cpu_ms(proc.pid) - worker_before) / count
    return {"worker": worker, "redis": cost["servers"],
            "send_task (API side)": sending[0] * 1000 / (count + WARMUP)}


def store_floor(count: int, stack: Stack) -> dict[str, float]:
    os.environ.update(stack.settings_env)
    from evalplatform import contract, state, store

    store.init(stack.urls["DATABASE_URL"])
    state.init(stack.urls["REDIS_URL"])

    def evaluation(_: int) -> None:
        eval_id = store.create_evaluation(code="print(1)", queued=True)["eval_id"]
        assert store.claim(eval_id, "floor@host", f"floor:{eval_id}") is not None
        assert store.transition(eval_id, contract.COMPLETED, exit_code=0, output="1\n", error="",
                                runtime_ms=1, expect_from={contract.RUNNING})

    cost = measured(count, evaluation, stack.services["postgres"].pid, stack.services["redis"].pid)
    return {"PostgreSQL and Redis": cost["servers"], "the store's calls": cost["client"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)

    bare = bare_cpu_ms(args.count)
    parts: dict[str, dict[str, float]] = {"HTTP (FastAPI on uvicorn)": http_floor(args.count)}
    with Stack(workers=0, with_api=False) as stack:
        parts["Celery task (acks late, STARTED and SUCCESS stored)"] = celery_floor(
            args.count, stack.urls["REDIS_URL"], stack.services["redis"].pid)
        parts["stored and published transitions (3 statements)"] = store_floor(args.count, stack)
    bare_after = bare_cpu_ms(args.count)
    bare_ms = (bare + bare_after) / 2

    floor_ms = sum(sum(p.values()) for p in parts.values())
    best = bare_ms / (bare_ms + floor_ms)
    print(f"{args.count} of each, one at a time; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")
    print(f"{'CPU ms per evaluation':58} {'ms':>6}")
    for name, part in parts.items():
        for what, ms in part.items():
            print(f"{name + ': ' + what:58} {ms:6.2f}")
    print(f"{'floor: the libraries alone':58} {floor_ms:6.2f}")
    print(f"{'bare sandbox run (before, after)':58} {bare_ms:6.2f}  ({bare:.1f}, {bare_after:.1f})")
    print(f"floor / bare sandbox: {floor_ms / bare_ms:.2f}; best throughput ratio a platform on these "
          f"libraries could reach, bare / (bare + floor): {best:.2f} (goal {TARGET_RATIO})")
    path = write_json("floor", {"count": args.count, "parts_ms": parts, "floor_ms": floor_ms,
                                "bare_sandbox_ms": bare_ms, "bare_sandbox_ms_before_after": [bare, bare_after],
                                "best_ratio": best, "target_ratio": TARGET_RATIO})
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
