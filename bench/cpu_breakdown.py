"""CPU per trivial evaluation, per service of the platform, and (with --profile) per stage.

CPU time, not wall time: the host may be shared with other jobs, which stretch wall time
but not the CPU each process spends. For each service of a fresh Stack (API, worker,
PostgreSQL, Redis) this sums utime+stime of its process and every live descendant from
/proc/<pid>/stat, plus cutime+cstime (descendants that ended and were waited for: the
worker's sandbox processes, PostgreSQL's exited backends), before and after `--count`
evaluations of `print(1)`, and divides the delta by the count. The worker's own CPU and
its sandboxes' (children) are reported apart. The benchmark's client (http.client + pub/sub)
is measured with getrusage. The same count of bare sandbox runs, measured the same way
in this process (RUSAGE_CHILDREN), is the baseline.

--profile also samples the API and the worker with py-spy (on-CPU samples only,
--nonblocking so the targets are never paused) and splits each process's measured CPU
over stages by the innermost frame of a known library: psycopg, SQLAlchemy, redis-py,
kombu, Celery, pydantic, FastAPI/Starlette, the HTTP server and event loop, JSON, the
sandbox's launch and supervision, logging. Sampling costs the targets some CPU of its
own; the totals come from the run without --profile when both are wanted.

    .venv/bin/python bench/cpu_breakdown.py [--count 100] [--clients 1] [--profile]

Writes reports/bench/cpu_breakdown.json.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _platform import TRIVIAL_CODE, Submitter, TerminalWatcher, bare_sandbox_runs
from _report import write_json


from evalplatform.stack import Stack

TICKS = os.sysconf("SC_CLK_TCK")
WARMUP = 10
# (stage, path prefixes of a frame's file), looked for from the innermost frame out. py-spy
# names a file relative to its sys.path entry ("kombu/messaging.py"), or in full.
STAGES = (
    ("PostgreSQL client (psycopg)", ("psycopg/", "psycopg_binary/", "psycopg_pool/")),
    ("SQLAlchemy (ORM, SQL compile, pool)", ("sqlalchemy/",)),
    ("Redis client (redis-py)", ("redis/",)),
    ("kombu (broker messages)", ("kombu/",)),
    ("Celery (task protocol, consumer, result backend)", ("celery/", "billiard/", "vine/")),
    ("JSON", ("json/",)),
    ("pydantic (validation, serialization)", ("pydantic/", "pydantic_core/", "pydantic_settings/")),
    ("tracing hooks (FastAPI telemetry, OpenTelemetry)", ("fastapi/telemetry/", "opentelemetry/", "trace/")),
    ("FastAPI / Starlette (routing, thread pool)", ("fastapi/", "starlette/", "anyio/")),
    ("HTTP server, event loop (uvicorn)", ("uvicorn/", "httptools/", "h11/", "asyncio/", "uvloop/")),
    ("sandbox launch and supervision", ("evalplatform/sandbox/", "evalplatform/executor/",
                                        "subprocess.py", "selectors.py")),
    ("logging", ("logging/",)),
    ("evalplatform (own code)", ("evalplatform/",)),
)


def process_table() -> dict[int, tuple[int, int, int]]:
    """{pid: (ppid, own ticks, waited-for children's ticks)} of every process right now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue   # ended meanwhile
        # after the comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]),
                             int(fields[13]) + int(fields[14]))
    return table


def tree_cpu_s(table: dict[int, tuple[int, int, int]], root: int) -> tuple[float, float]:
    """(own, children) CPU seconds of `root` and its live descendants, by parent links
    (not process groups: PostgreSQL's backends and the sandboxes start sessions of their
    own). A descendant that ends and is waited for moves from own to its parent's
    children's time, so deltas stay right."""
    below: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        below.setdefault(ppid, []).append(pid)
    own = children = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            own += table[pid][1]
            children += table[pid][2]
            todo.extend(below.get(pid, ()))
    return own / TICKS, children / TICKS


def snapshot(stack: Stack) -> dict[str, float]:
    table = process_table()
    api = sum(tree_cpu_s(table, stack.services["api"].pid))
    worker = stack.workers[0].pid
    worker_own = table[worker][1] / TICKS          # the Celery process itself (all threads)
    worker_children = sum(tree_cpu_s(table, worker)) - worker_own   # its sandboxes, live or ended
    postgres = sum(tree_cpu_s(table, stack.services["postgres"].pid))
    redis = sum(tree_cpu_s(table, stack.services["redis"].pid))
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {"api": api, "worker (Python)": worker_own, "worker's sandboxes": worker_children,
            "postgres": postgres, "redis": redis, "benchmark client": me.ru_utime + me.ru_stime}


def run_evaluations(stack: Stack, watcher: TerminalWatcher, count: int, clients: int) -> None:
    api = stack.urls["API_URL"]
    tickets = itertools.count()
    lock = threading.Lock()

    submit = Submitter(api)

    def client():
        while True:
            with lock:
                if next(tickets) >= count:
                    return
            eval_id, _ = submit()
            watcher.wait([eval_id])
            if watcher.ended[eval_id][1] != "completed":
                raise SystemExit(f"{eval_id} ended {watcher.ended[eval_id][1]}")

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()


def bare_cpu_ms(count: int) -> float:
    """CPU ms per bare sandbox run of the same code (this process plus its children)."""
    before_self, before_children = (resource.getrusage(w) for w in
                                    (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    bare_sandbox_runs(count)
    after_self, after_children = (resource.getrusage(w) for w in
                                  (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    spent = sum(getattr(a, f) - getattr(b, f) for a, b in ((after_self, before_self),
                                                           (after_children, before_children))
                for f in ("ru_utime", "ru_stime"))
    return spent * 1000 / count


def start_profilers(stack: Stack, directory: Path) -> list[tuple[str, subprocess.Popen, Path]]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    profilers = []
    for name, pid in (("api", stack.services["api"].pid), ("worker", stack.workers[0].pid)):
        out = directory / f"{name}.txt"
        argv = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(out),
                "--nonblocking", "--rate", "250"]
        profilers.append((name, subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL), out))
    time.sleep(1.0)   # py-spy attaches before the measured window (a bench may wait)
    return profilers


def stage_of(stack_line: str) -> str:
    frames = stack_line.split(";")
    for frame in reversed(frames):
        path = frame.rpartition(" (")[2]
        for stage, prefixes in STAGES:
            if any(path.startswith(p) or f"/{p}" in path for p in prefixes):
                return stage
    return "other (interpreter, imports, threading)"


def stage_shares(path: Path) -> dict[str, float]:
    """Fraction of on-CPU samples per stage, from py-spy's raw (collapsed) output."""
    samples: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack_line, _, count = line.rpartition(" ")
        if stack_line and count.isdigit():
            samples[stage_of(stack_line)] += int(count)
    total = sum(samples.values()) or 1
    return {stage: n / total for stage, n in samples.most_common()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="also sample API and worker with py-spy")
    args = parser.parse_args(argv)

    bare_ms = bare_cpu_ms(args.count)
    workdir = Path(tempfile.mkdtemp(prefix="cpu-breakdown-"))
    with Stack(workers=1) as stack:
        watcher = TerminalWatcher(stack.urls["REDIS_URL"])
        run_evaluations(stack, watcher, WARMUP, 1)
        profilers = start_profilers(stack, workdir) if args.profile else []
        before, started = snapshot(stack), time.perf_counter()
        run_evaluations(stack, watcher, args.count, args.clients)
        after, wall = snapshot(stack), time.perf_counter() - started
        for _, proc, _ in profilers:
            proc.send_signal(2)   # py-spy writes its output on SIGINT
        for _, proc, _ in profilers:
            proc.wait(timeout=60)

    per_eval = {name: (after[name] - before[name]) * 1000 / args.count for name in before}
    platform_ms = sum(v for k, v in per_eval.items() if k != "benchmark client")
    overhead_ms = platform_ms - per_eval["worker's sandboxes"]
    print(f"{args.count} evaluations of {TRIVIAL_CODE!r}, {args.clients} client(s), "
          f"{wall:.1f} s wall; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")
    print(f"{'service':28} {'CPU ms/evaluation':>18}")
    for name, ms in per_eval.items():
        print(f"{name:28} {ms:18.1f}")
    print(f"{'platform total':28} {platform_ms:18.1f}")
    print(f"{'platform minus sandboxes':28} {overhead_ms:18.1f}")
    print(f"{'bare sandbox run (baseline)':28} {bare_ms:18.1f}")
    print(f"ratio platform total / bare sandbox: {platform_ms / bare_ms:.2f}")

    stages = {}
    for name, _, path in profilers:
        if not path.exists():
            print(f"# py-spy wrote nothing for {name} (ptrace refused?)")
            continue
        cpu_key = "api" if name == "api" else "worker (Python)"
        stages[name] = {stage: share * per_eval[cpu_key] for stage, share in stage_shares(path).items()}
        print(f"\n{name}: {per_eval[cpu_key]:.1f} CPU ms/evaluation by stage (py-spy samples)")
        for stage, ms in stages[name].items():
            print(f"  {stage:52} {ms:6.1f}")
    path = write_json("cpu_breakdown", {
        "count": args.count, "clients": args.clients, "wall_s": wall, "profiled": args.profile,
        "cpu_ms_per_evaluation": per_eval, "platform_total_ms": platform_ms,
        "platform_overhead_ms": overhead_ms, "bare_sandbox_ms": bare_ms, "stages_ms": stages})
    print(f"\nwritten: {path}")
    print(f"py-spy output kept in {workdir}" if profilers else "", end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
