"""Stability: the whole acceptance suite, several runs in a row, against the healthy platform.

A gate that fails now and then for no reason is ignored, and then it is blind. This runs
`pytest features -m "not chaos" -n <cores + 1>` (each run its own pytest process and its own
embedded stack shared by its xdist workers, exactly as `make acceptance` does, with no
failpoint and no external target; `--chaos` adds the chaos scenarios, `--workers 0` runs
the scenarios one after another) N times and prints,
per run, the passed / failed / skipped counts and the scenarios that failed; at the end
"N of N clean runs", or which scenarios flaked and how often. Not a CI test: it takes
minutes per run. Exit status 0 only when every run was clean.

    .venv/bin/python bench/stability.py [--runs 5] [--workers N] [--chaos] [--features cancellation,priority]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.selftest.suite_run import PROJECT_ROOT, run_features  # noqa: E402

RUN_TIMEOUT_S = 3600     # one whole-suite run; a hang is reported, not waited for forever
# As the Makefile's acceptance target: one per core on the shared stack, plus the worker
# with a stack of its own for the @exclusive scenarios.
ACCEPTANCE_WORKERS = str(len(os.sched_getaffinity(0)) + 1)
# ...and its other options (its ACCEPTANCE_PLUGINS)
ACCEPTANCE_OPTIONS = ["--dist", "loadgroup", "-p", "no:schemathesis", "-p", "no:hypothesispytest"]


def all_features() -> list[str]:
    return sorted(p.stem.removeprefix("test_") for p in (PROJECT_ROOT / "features").glob("test_*.py"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--features", help="comma-separated feature names (default: every feature)")
    parser.add_argument("--workers", default=ACCEPTANCE_WORKERS,
                        help="pytest-xdist workers sharing the stack (the Makefile's ACCEPTANCE_WORKERS)")
    parser.add_argument("--chaos", action="store_true", help="also the @chaos scenarios (make test's)")
    args = parser.parse_args()
    extra_args = ["-n", str(args.workers), *ACCEPTANCE_OPTIONS] + ([] if args.chaos else ["-m", "not chaos"])
    features = args.features.split(",") if args.features else all_features()
    workdir = Path(tempfile.mkdtemp(prefix="stability-"))
    flaked: Counter[str] = Counter()
    clean = 0
    for number in range(1, args.runs + 1):
        started = time.monotonic()
        run = run_features(features, workdir=workdir / f"run{number}", timeout=RUN_TIMEOUT_S,
                           extra_args=extra_args)
        took = time.monotonic() - started
        outcomes = run.features.values()
        passed, skipped = sum(len(o.passed) for o in outcomes), sum(len(o.skipped) for o in outcomes)
        failed = [f"{name}::{test}" for name, o in run.features.items() for test in o.failed]
        flaked.update(failed)
        clean += not failed and run.returncode == 0
        verdict = "clean" if not failed and run.returncode == 0 else f"NOT clean (pytest exit {run.returncode})"
        print(f"run {number}/{args.runs}: {passed} passed, {len(failed)} failed, {skipped} skipped "
              f"in {took:.0f} s: {verdict}", flush=True)
        for test in failed:
            print(f"    failed: {test}", flush=True)
        if failed or run.returncode:
            print(f"    log: {run.log}", flush=True)
    print(f"{clean} of {args.runs} clean runs")
    for test, times in flaked.most_common():
        print(f"  flaked {times}x: {test}")
    return 0 if clean == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
