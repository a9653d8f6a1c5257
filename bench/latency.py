"""Submit -> terminal latency of a trivial evaluation, against the bare sandbox run.

Starts its own Stack (one worker). Each round runs `print(1)` once directly in this
host's sandbox (same process, same engine) and once through the platform (submit -> the
terminal status's pub/sub message), so load drift on a shared machine hits both alike.
Prints p50, p95 and p99 of each and the ratios platform/bare. Goals (issue 15): platform
p50 <= the bare sandbox's p50 + 15 ms, and platform p99 <= 3x its own p50.

Writes reports/bench/latency.json.

    .venv/bin/python bench/latency.py [--runs 50]
"""

from __future__ import annotations

import argparse

from _platform import Submitter, TerminalWatcher, bare_sandbox_runs, median, percentile
from _report import write_json


from evalplatform.stack import Stack

GOAL_P50_OVER_BARE_MS = 15.0
GOAL_P99_OVER_P50 = 3.0
WARMUP = 5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)

    with Stack(workers=1) as stack:
        api = stack.urls["API_URL"]
        watcher = TerminalWatcher(stack.urls["REDIS_URL"])
        bare, platform = [], []
        submit = Submitter(api)
        for i in range(WARMUP + args.runs):
            bare_time, = bare_sandbox_runs(1)
            if i >= WARMUP:
                bare.append(bare_time)
            eval_id, sent = submit()
            watcher.wait([eval_id])
            ended, status = watcher.ended[eval_id]
            if status != "completed":
                raise SystemExit(f"{eval_id} ended {status}")
            if i >= WARMUP:
                platform.append(ended - sent)

    rows = [("bare sandbox", bare), ("platform submit->terminal", platform)]
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in rows:
        print(f"{name:28} " + " ".join(f"{percentile(values, p) * 1000:8.1f}" for p in (50, 95, 99)))
    p50, bare_p50 = median(platform) * 1000, median(bare) * 1000
    p99 = percentile(platform, 99) * 1000
    print(f"ratio platform/bare: p50 {p50 / bare_p50:.2f}x, p95 "
          f"{percentile(platform, 95) / percentile(bare, 95):.2f}x; overhead at p50 {p50 - bare_p50:.1f} ms")
    over = p50 - bare_p50
    print(f"p50 overhead {over:.1f} ms {'meets' if over <= GOAL_P50_OVER_BARE_MS else 'misses'} "
          f"the goal of {GOAL_P50_OVER_BARE_MS:.0f} ms; p99/p50 {p99 / p50:.2f} "
          f"{'meets' if p99 <= GOAL_P99_OVER_P50 * p50 else 'misses'} the goal of {GOAL_P99_OVER_P50:.0f}x")
    path = write_json("latency", {
        "runs": args.runs,
        "bare_ms": {f"p{p}": percentile(bare, p) * 1000 for p in (50, 95, 99)},
        "platform_ms": {f"p{p}": percentile(platform, p) * 1000 for p in (50, 95, 99)},
        "p50_overhead_ms": over, "p99_over_p50": p99 / p50,
        "goals": {"p50_over_bare_ms": GOAL_P50_OVER_BARE_MS, "p99_over_p50": GOAL_P99_OVER_P50}})
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
