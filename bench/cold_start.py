"""Cold start of `python -m evalplatform up`: launch to the env file (written once all is healthy).

Prints each run and the median, with the load average beside them: on a shared machine a
busy neighbour shows up there, not in the code. Target: under 3 s after `make setup`.
Usage: .venv/bin/python bench/cold_start.py [RUNS] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))   # run as a script from anywhere


def one_start(workers: int, timeout: float = 60) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / "env"
        began = time.monotonic()
        up = subprocess.Popen([sys.executable, "-m", "evalplatform", "up", "--workers", str(workers),
                               "--env-file", str(env_file)], cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            while not env_file.exists():
                if up.poll() is not None:
                    raise SystemExit(f"up exited {up.returncode}: {up.stderr.read()}")
                if time.monotonic() - began > timeout:
                    raise SystemExit(f"not healthy within {timeout}s")
                time.sleep(0.01)
            return time.monotonic() - began
        finally:
            up.send_signal(signal.SIGTERM)
            up.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    from evalplatform import pgcluster
    pgcluster.template()   # what `make setup` prepares: not part of a cold start
    times = []
    for run in range(args.runs):
        seconds = one_start(args.workers)
        times.append(seconds)
        print(f"run {run + 1}: healthy in {seconds:.2f} s  (load average {os.getloadavg()[0]:.2f})")
    median = statistics.median(times)
    print(f"median {median:.2f} s; target 3 s: ratio {median / 3:.2f}")


if __name__ == "__main__":
    main()
