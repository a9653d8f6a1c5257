"""Shared by the platform benchmarks: a started Stack, submitting, and waiting via pub/sub.

Terminal statuses are awaited on the contract's `evaluation:{status}` channels (subscribed
before anything is submitted), so no poll interval inflates a measurement.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import redis  # noqa: E402

from evalplatform.contract import TERMINAL  # noqa: E402
from evalplatform.sandbox import RunRequest, Sandbox, default_limits  # noqa: E402

TRIVIAL_CODE = "print(1)"


class TerminalWatcher:
    """Records when each evaluation's terminal status is published."""

    def __init__(self, redis_url: str):
        self._pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(*(f"evaluation:{s}" for s in TERMINAL))
        self.ended: dict[str, tuple[float, str]] = {}
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            self._receive()
        except redis.ConnectionError:   # the stack stopped
            pass

    def _receive(self) -> None:
        for message in self._pubsub.listen():
            event = json.loads(message["data"])
            with self._cond:
                self.ended[event["eval_id"]] = (time.perf_counter(), event["status"])
                self._cond.notify_all()

    def wait(self, eval_ids, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not all(i in self.ended for i in eval_ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [i for i in eval_ids if i not in self.ended]
                    raise TimeoutError(f"{len(missing)} evaluations not terminal, e.g. {missing[:3]}")
                self._cond.wait(left)


def submit(client: httpx.Client, api: str, code: str = TRIVIAL_CODE) -> tuple[str, float]:
    sent = time.perf_counter()
    answer = client.post(f"{api}/eval", json={"code": code})
    answer.raise_for_status()
    return answer.json()["eval_id"], sent


def bare_sandbox_runs(count: int, code: str = TRIVIAL_CODE) -> list[float]:
    """Seconds per run of the same code in this host's sandbox, without the platform."""
    sandbox = Sandbox()
    limits = default_limits(timeout_s=30)
    times = []
    for i in range(count):
        start = time.perf_counter()
        result = sandbox.run(RunRequest(code=code, run_id=f"bench-bare-{i}-{time.time_ns()}",
                                        limits=limits))
        times.append(time.perf_counter() - start)
        assert result.ok, result
    return times


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)
