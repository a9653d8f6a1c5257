"""Shared by the platform benchmarks: a started Stack, submitting, and waiting via pub/sub.

Terminal statuses are awaited on the contract's `evaluation:{status}` channels (subscribed
before anything is submitted), so no poll interval inflates a measurement.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402

from evalplatform.contract import TERMINAL  # noqa: E402
from evalplatform.sandbox import RunRequest, Sandbox, default_limits  # noqa: E402

TRIVIAL_CODE = "print(1)"


class TerminalWatcher:
    """Records when each evaluation's terminal status is published.

    Each waiter waits on its own evaluations' events: a message wakes only the client that
    waits for it (a shared condition woke all 30 clients on every message, and the bench's
    own CPU then competed with the platform for the cores)."""

    def __init__(self, redis_url: str):
        self._pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(*(f"evaluation:{s}" for s in TERMINAL))
        self.ended: dict[str, tuple[float, str]] = {}
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _event(self, eval_id: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(eval_id, threading.Event())

    def _listen(self) -> None:
        try:
            self._receive()
        except redis.ConnectionError:   # the stack stopped
            pass

    def _receive(self) -> None:
        for message in self._pubsub.listen():
            event = json.loads(message["data"])
            self.ended.setdefault(event["eval_id"], (time.perf_counter(), event["status"]))
            self._event(event["eval_id"]).set()

    def wait(self, eval_ids, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for eval_id in eval_ids:
            if not self._event(eval_id).wait(max(0.0, deadline - time.monotonic())):
                missing = [i for i in eval_ids if i not in self.ended]
                raise TimeoutError(f"{len(missing)} evaluations not terminal, e.g. {missing[:3]}")


class Submitter:
    """POST /eval, over one keep-alive http.client connection per calling thread.

    The load generator runs on the same cores as the platform, so what it spends is taken
    from the platform's share: httpx cost the 30-client benchmark about 9 ms of CPU per
    evaluation, http.client a fraction of that. Callable from any number of threads."""

    def __init__(self, api: str):
        url = urlsplit(api)
        self.host, self.port, self.prefix = url.hostname, url.port, url.path.rstrip("/")
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return conn

    def __call__(self, code: str = TRIVIAL_CODE) -> tuple[str, float]:
        """Submit `code`; (eval_id, perf_counter() when it was sent)."""
        body = json.dumps({"code": code})
        for attempt in (1, 2):          # a keep-alive connection the server closed: once more
            conn = self._connection()
            sent = time.perf_counter()
            try:
                conn.request("POST", f"{self.prefix}/eval", body, {"Content-Type": "application/json"})
                answer = conn.getresponse()
                data = answer.read()
                break
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if answer.status != 200:
            raise RuntimeError(f"POST /eval answered {answer.status}: {data[:200]!r}")
        return json.loads(data)["eval_id"], sent


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
