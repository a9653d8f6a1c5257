"""Evaluations per second through the platform at concurrency 1, 10 and 50, against the
bare sandbox at the same concurrency, measured in the same run.

Starts its own Stack (one worker, settings.worker_concurrency slots: the core count).
Each level runs `clients` closed-loop clients (submit, wait for the terminal pub/sub
message, repeat) until `--count` evaluations of `print(1)` are done; the bare sandbox
runs the same count with the same number of threads calling Sandbox.run directly. Both
run in alternating thirds, so load drift on a shared machine hits both alike.
Target: >= 20 evaluations/s on 2 cores.

    .venv/bin/python bench/throughput.py [--count 60] [--levels 1,10,50] [--slots N]
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _platform import TRIVIAL_CODE, TerminalWatcher, submit

import httpx

from evalplatform.sandbox import RunRequest, Sandbox, default_limits
from evalplatform.stack import Stack

TARGET_PER_S = 20.0
BATCHES = 3


def closed_loop(count: int, clients: int, one) -> float:
    """Run `one()` `count` times from `clients` threads; evaluations per second."""
    tickets = itertools.count()
    lock = threading.Lock()

    def client():
        while True:
            with lock:
                if next(tickets) >= count:
                    return
            one()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return count / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--slots", type=int, default=None,
                        help="worker slots (EVALPLATFORM_WORKER_CONCURRENCY); default: the settings'")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]

    sandbox, limits = Sandbox(), default_limits(timeout_s=30)
    run_ids = itertools.count()

    def bare_one():
        result = sandbox.run(RunRequest(code=TRIVIAL_CODE, limits=limits,
                                        run_id=f"bench-tp-{next(run_ids)}-{time.time_ns()}"))
        assert result.ok, result

    env = {"EVALPLATFORM_WORKER_CONCURRENCY": str(args.slots)} if args.slots else None
    with Stack(workers=1, env=env) as stack:
        api = stack.urls["API_URL"]
        watcher = TerminalWatcher(stack.urls["REDIS_URL"])
        local = threading.local()

        def platform_one():
            if not hasattr(local, "client"):
                local.client = httpx.Client(timeout=60)
            eval_id, _ = submit(local.client, api)
            watcher.wait([eval_id])
            if watcher.ended[eval_id][1] != "completed":
                raise SystemExit(f"{eval_id} ended {watcher.ended[eval_id][1]}")

        closed_loop(5, 1, platform_one)      # warm-up: connections, first imports
        slots = httpx.get(f"{api}/queue/status").json()["capacity"]
        rows = []
        for clients in levels:
            batch = max(args.count // BATCHES, clients)
            bare_s = platform_s = 0.0
            for _ in range(BATCHES):
                bare_s += batch / closed_loop(batch, clients, bare_one)
                platform_s += batch / closed_loop(batch, clients, platform_one)
            rows.append((clients, BATCHES * batch / bare_s, BATCHES * batch / platform_s))

    print(f"worker slots: {slots}; {args.count} evaluations of {TRIVIAL_CODE!r} per level")
    print(f"{'clients':>8} {'bare/s':>8} {'platform/s':>11} {'ratio':>6}")
    for clients, bare, platform in rows:
        print(f"{clients:>8} {bare:8.1f} {platform:11.1f} {platform / bare:6.2f}")
    best = max(platform for _, _, platform in rows)
    verdict = "meets" if best >= TARGET_PER_S else "misses"
    print(f"best platform throughput {best:.1f}/s {verdict} the target of {TARGET_PER_S:.0f}/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
