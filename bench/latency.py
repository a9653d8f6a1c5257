"""Submit -> terminal latency of a trivial evaluation, against the bare sandbox run.

Starts its own Stack (one worker). Each round runs `print(1)` once directly in this
host's sandbox (same process, same engine) and once through the platform (submit -> the
terminal status's pub/sub message), so load drift on a shared machine hits both alike.
Prints p50 and p95 of each and the ratios platform/bare. Target: platform p50 <= 100 ms.

    .venv/bin/python bench/latency.py [--runs 50]
"""

from __future__ import annotations

import argparse

from _platform import (TerminalWatcher, bare_sandbox_runs, median, percentile, submit)

import httpx

from evalplatform.stack import Stack

TARGET_P50_MS = 100.0
WARMUP = 5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)

    with Stack(workers=1) as stack:
        api = stack.urls["API_URL"]
        watcher = TerminalWatcher(stack.urls["REDIS_URL"])
        bare, platform = [], []
        with httpx.Client(timeout=30) as client:
            for i in range(WARMUP + args.runs):
                bare_time, = bare_sandbox_runs(1)
                if i >= WARMUP:
                    bare.append(bare_time)
                eval_id, sent = submit(client, api)
                watcher.wait([eval_id])
                ended, status = watcher.ended[eval_id]
                if status != "completed":
                    raise SystemExit(f"{eval_id} ended {status}")
                if i >= WARMUP:
                    platform.append(ended - sent)

    rows = [("bare sandbox", bare), ("platform submit->terminal", platform)]
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in rows:
        print(f"{name:28} {median(values) * 1000:8.1f} {percentile(values, 95) * 1000:8.1f}")
    p50_ratio = median(platform) / median(bare)
    p95_ratio = percentile(platform, 95) / percentile(bare, 95)
    overhead_ms = (median(platform) - median(bare)) * 1000
    print(f"ratio platform/bare: p50 {p50_ratio:.2f}x, p95 {p95_ratio:.2f}x; "
          f"platform overhead at p50 {overhead_ms:.1f} ms")
    p50_ms = median(platform) * 1000
    verdict = "meets" if p50_ms <= TARGET_P50_MS else "misses"
    print(f"platform p50 {p50_ms:.1f} ms {verdict} the target of {TARGET_P50_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
