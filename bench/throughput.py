"""Evaluations per second and latency percentiles through the platform by concurrency,
against the bare sandbox at the same concurrency, measured in the same run.

Starts its own Stack (`--workers` worker processes, default 1, each with
settings.worker_concurrency slots: two per core, or `--slots` each).
Each level runs `clients` closed-loop clients (submit, wait for the terminal pub/sub
message, repeat) until `--count` evaluations of `print(1)` are done (at least five per
client in each third, so a level measures a steady rate, not one burst); the bare sandbox
runs the same count with the same number of threads calling Sandbox.run directly. Both
run in alternating thirds, so load drift on a shared machine hits both alike. Each
evaluation's latency (submit -> terminal message; bare: the Sandbox.run call) is kept,
and p50/p95/p99 printed per level beside the throughput, all as ratios platform/bare.
Goals (issue 15): platform throughput >= 0.8x the bare sandbox's at 10 and 30 clients.

Writes reports/bench/throughput.json and reports/bench/throughput.png (matplotlib).

    .venv/bin/python bench/throughput.py [--count 60] [--levels 1,10,30] [--workers N] [--slots N]
                                         [--code-file bench/workloads/cpu_bound.py]

`--code-file`: every evaluation (bare and through the platform) runs that file's code
instead of print(1); the results go to reports/bench/throughput-<file's stem>.json/.png.
The goal is set for print(1), where the platform's own work is the largest share.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _platform import TRIVIAL_CODE, Submitter, TerminalWatcher, percentile
from _plot import PERCENTILES, throughput_figure
from _report import figure_path, host_facts, write_json

import httpx

from evalplatform.sandbox import RunRequest, Sandbox, default_limits
from evalplatform.stack import Stack

TARGET_RATIO = 0.8          # of the bare sandbox's throughput, at 10 and 30 clients
BATCHES = 3
# Evaluations per client in each batch, at least: with one each, a batch of 30 clients was
# one burst, its figure the time to the slowest of them (ramp and tail), not a rate.
STEADY_PER_CLIENT = 5


def closed_loop(count: int, clients: int, one, latencies: list | None = None) -> float:
    """Run `one()` `count` times from `clients` threads; evaluations per second. Each
    call's seconds are appended to `latencies`."""
    tickets = itertools.count()
    lock = threading.Lock()

    def client():
        while True:
            with lock:
                if next(tickets) >= count:
                    return
            started = time.perf_counter()
            one()
            if latencies is not None:
                latencies.append(time.perf_counter() - started)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return count / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--levels", default="1,10,30")
    parser.add_argument("--slots", type=int, default=None,
                        help="slots per worker (EVALPLATFORM_WORKER_CONCURRENCY); default: the settings'")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes: the slots of one process share its interpreter lock")
    parser.add_argument("--code-file", type=Path, default=None,
                        help="the code each evaluation runs (default: print(1))")
    args = parser.parse_args(argv)
    code = args.code_file.read_text() if args.code_file else TRIVIAL_CODE
    label = args.code_file.name if args.code_file else repr(TRIVIAL_CODE)
    report = f"throughput-{args.code_file.stem}" if args.code_file else "throughput"
    levels = [int(x) for x in args.levels.split(",")]

    sandbox, limits = Sandbox(), default_limits(timeout_s=30)
    run_ids = itertools.count()

    def bare_one():
        result = sandbox.run(RunRequest(code=code, limits=limits,
                                        run_id=f"bench-tp-{next(run_ids)}-{time.time_ns()}"))
        assert result.ok, result

    env = {"EVALPLATFORM_WORKER_CONCURRENCY": str(args.slots)} if args.slots else None
    with Stack(workers=args.workers, env=env) as stack:
        api = stack.urls["API_URL"]
        watcher = TerminalWatcher(stack.urls["REDIS_URL"])
        submit = Submitter(api)

        def platform_one():
            eval_id, _ = submit(code)
            watcher.wait([eval_id])
            if watcher.ended[eval_id][1] != "completed":
                raise SystemExit(f"{eval_id} ended {watcher.ended[eval_id][1]}")

        closed_loop(5, 1, platform_one)      # warm-up: connections, first imports
        slots = httpx.get(f"{api}/queue/status").json()["capacity"]
        rows = []
        for clients in levels:
            batch = max(args.count // BATCHES, STEADY_PER_CLIENT * clients)
            bare_s = platform_s = 0.0
            bare_lat, platform_lat = [], []
            for _ in range(BATCHES):
                bare_s += batch / closed_loop(batch, clients, bare_one, bare_lat)
                platform_s += batch / closed_loop(batch, clients, platform_one, platform_lat)
            bare, platform = BATCHES * batch / bare_s, BATCHES * batch / platform_s
            rows.append({"clients": clients, "bare_per_s": bare, "platform_per_s": platform,
                         "ratio": platform / bare, "count": BATCHES * batch,
                         "bare_latency_ms": _percentiles(bare_lat),
                         "platform_latency_ms": _percentiles(platform_lat)})

    print(f"worker processes: {args.workers}, slots in all: {slots}; evaluations of {label} "
          f"per level: at least {args.count}, {STEADY_PER_CLIENT} per client in each of {BATCHES} batches")
    print(f"{'clients':>8} {'count':>6} {'bare/s':>8} {'platform/s':>11} {'ratio':>6}   "
          + "  ".join(f"{p} bare/platform ms" for p in PERCENTILES))
    for row in rows:
        latency = "  ".join(f"{row['bare_latency_ms'][p]:7.0f}/{row['platform_latency_ms'][p]:<7.0f}"
                            for p in PERCENTILES)
        print(f"{row['clients']:>8} {row['count']:>6} {row['bare_per_s']:8.1f} {row['platform_per_s']:11.1f} "
              f"{row['ratio']:6.2f}   {latency}")
    for row in rows:
        if row["clients"] in (10, 30):
            verdict = "meets" if row["ratio"] >= TARGET_RATIO else "misses"
            print(f"at {row['clients']} clients: {row['ratio']:.2f}x the bare sandbox, "
                  f"{verdict} the goal of {TARGET_RATIO}x")
    host = host_facts()
    path = write_json(report, {"code": label, "count": args.count, "workers": args.workers, "slots": slots,
                               "levels": rows, "goal_ratio": TARGET_RATIO})
    figure = throughput_figure(rows, figure_path(report),
                               f"{label}, {args.workers} worker(s), {slots} slots, {host['cpus']} cpus, "
                               f"load average {host['load_average'][0]:.1f} (shared host)")
    print(f"written: {path}, {figure}")
    return 0


def _percentiles(seconds: list[float]) -> dict[str, float]:
    return {p: percentile(seconds, float(p[1:])) * 1000 for p in PERCENTILES}


if __name__ == "__main__":
    raise SystemExit(main())
