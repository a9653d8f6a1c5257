"""Cold start of `python -m evalplatform up`: launch to the env file (written once all is healthy).

Prints each run, with the moment each service was healthy (from up's banner), the CPU
time `up` and all its processes had used by then, and the load average: on a shared
machine a busy neighbour shows up in the wall time and the load, while the CPU time is
the work the start itself costs (2 cores: the wall time cannot be under half of it).
Then the medians, the wall time's as a ratio of the target (1 s after `make setup`);
never asserted.
Usage: .venv/bin/python bench/cold_start.py [RUNS] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))   # run as a script from anywhere

TARGET_S = 1.0
PHASE = re.compile(r"(\w+) (\d+\.\d+)s")
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system time of the process and every live descendant (children found
    through /proc/*/task/*/children), plus what their waited-for children used."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15]) * TICK_S   # utime stime cutime cstime
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(kid) for kid in children.read_text().split()]
            except OSError:
                pass
    return total


def one_start(workers: int, timeout: float = 60) -> tuple[float, float, dict[str, float]]:
    """Seconds from launch to the env file, the CPU seconds used by then, and up's own
    account of when each service was healthy."""
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / "env"
        began = time.monotonic()
        up = subprocess.Popen([sys.executable, "-m", "evalplatform", "up", "--workers", str(workers),
                               "--env-file", str(env_file)], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while not env_file.exists():
                if up.poll() is not None:
                    raise SystemExit(f"up exited {up.returncode}: {up.stderr.read()}")
                if time.monotonic() - began > timeout:
                    raise SystemExit(f"not healthy within {timeout}s")
                time.sleep(0.01)
            seconds = time.monotonic() - began
            cpu = cpu_seconds(up.pid)
            banner = up.stdout.readline()     # printed right after the env file
            healthy = banner.partition("(healthy: ")[2].partition(";")[0]
            return seconds, cpu, {name: float(value) for name, value in PHASE.findall(healthy)}
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
    times, cpus = [], []
    for run in range(args.runs):
        seconds, cpu, phases = one_start(args.workers)
        times.append(seconds)
        cpus.append(cpu)
        shown = ", ".join(f"{name} {at:.2f}" for name, at in phases.items())
        print(f"run {run + 1}: healthy in {seconds:.2f} s, {cpu:.2f} s of CPU  (load average "
              f"{os.getloadavg()[0]:.2f}; each service healthy at, by up's clock: {shown})")
    median = statistics.median(times)
    print(f"median {median:.2f} s, {statistics.median(cpus):.2f} s of CPU; "
          f"target {TARGET_S:g} s: ratio {median / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
