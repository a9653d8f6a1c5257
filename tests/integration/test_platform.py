"""The platform end to end: the API, Celery workers, sandbox, PostgreSQL and Redis of the
embedded stack (the session `stack` fixture), nothing replaced.

Waiting is always polling with a deadline; a timeout reports the last thing seen. The few
deadlines that are the contract's own bounds (1 s for Redis keys) say so.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
import redis

from evalplatform import contract

pytestmark = pytest.mark.integration

TERMINAL = set(contract.TERMINAL)


class Api:
    """A small client of one stack's API, with polling helpers."""

    def __init__(self, stack):
        self.stack = stack
        self.base = stack.urls["API_URL"]
        self.http = httpx.Client(timeout=30)
        self.redis = redis.Redis.from_url(stack.urls["REDIS_URL"])

    def submit(self, code: str, **fields) -> str:
        answer = self.http.post(f"{self.base}/eval", json={"code": code, **fields})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "queued" and body["queue_position"] >= 1, body
        return body["eval_id"]

    def get(self, eval_id: str) -> dict:
        answer = self.http.get(f"{self.base}/eval/{eval_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def cancel(self, eval_id: str) -> httpx.Response:
        return self.http.post(f"{self.base}/eval/{eval_id}/cancel")

    def until(self, what: str, probe, deadline_s: float, interval: float = 0.01):
        """Poll probe() until it returns something truthy; fail with the last value seen."""
        deadline, last = time.monotonic() + deadline_s, None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(interval)
        pytest.fail(f"{what}: not within {deadline_s} s; last seen: {last!r}")

    def wait_status(self, eval_id: str, statuses, deadline_s: float = 60) -> dict:
        statuses = set(statuses)

        def probe():
            record = self.get(eval_id)
            return record if record["status"] in statuses else None
        try:
            return self.until(f"{eval_id} to reach {sorted(statuses)}", probe, deadline_s)
        except pytest.fail.Exception:
            record = self.get(eval_id)
            pytest.fail(f"{eval_id} is {record['status']} (wanted {sorted(statuses)}); "
                        f"events: {self.events(eval_id)}")

    def wait_terminal(self, eval_id: str, deadline_s: float = 60) -> dict:
        return self.wait_status(eval_id, TERMINAL, deadline_s)

    def events(self, eval_id: str) -> list[dict]:
        from evalplatform import store
        store.init(self.stack.urls["DATABASE_URL"])
        return store.events(eval_id)

    def capacity(self) -> int:
        return self.http.get(f"{self.base}/queue/status").json()["capacity"]

    def running_keys(self, eval_id: str) -> tuple[bool, bool]:
        return (bool(self.redis.exists(f"eval:{eval_id}:running")),
                bool(self.redis.sismember("running_evaluations", eval_id)))

    def block_all_slots(self, seconds: float) -> list[str]:
        """Occupy every worker slot; returns once each blocker is running."""
        blockers = [self.submit(f"import time; time.sleep({seconds})", timeout=60)
                    for _ in range(self.capacity())]
        for eval_id in blockers:
            self.wait_status(eval_id, {"running"}, deadline_s=30)
        return blockers


@pytest.fixture(scope="module")
def api(stack):
    client = Api(stack)
    yield client
    client.http.close()


def terminal_events(events: list[dict]) -> list[dict]:
    return [e for e in events if e["to_status"] in TERMINAL]


def ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


# --- the basics --------------------------------------------------------------------------

def test_print_1_is_completed_with_its_output(api):
    record = api.wait_terminal(api.submit("print(1)"))
    assert record["status"] == "completed", record
    assert record["output"] == "1\n" and record["exit_code"] == 0 and record["success"] is True
    assert record["reason"] is None and record["engine"] and record["worker_id"]
    assert len(terminal_events(api.events(record["eval_id"]))) == 1


def test_an_exception_fails_with_nonzero_exit_and_keeps_both_streams(api):
    record = api.wait_terminal(api.submit('print("Before error"); 1/0'))
    assert record["status"] == "failed" and record["reason"] == "nonzero_exit", record
    assert "Before error" in record["output"]
    assert "ZeroDivisionError" in record["error"]
    assert record["exit_code"] == 1 and record["success"] is False


def test_status_and_logs_of_a_finished_evaluation_come_from_the_store(api):
    eval_id = api.submit("import sys; print('out'); print('err', file=sys.stderr)")
    api.wait_terminal(eval_id)
    status = api.http.get(f"{api.base}/eval/{eval_id}/status").json()
    assert status["status"] == "completed" and status["success"] is True and status["completed_at"]
    logs = api.http.get(f"{api.base}/eval/{eval_id}/logs").json()
    assert (logs["output"], logs["error"], logs["is_running"], logs["source"]) == \
           ("out\n", "err\n", False, "store")


def test_unicode_code_and_output_round_trip(api):
    record = api.wait_terminal(api.submit("print('ünïcødé ✓ 😀')"))
    assert record["output"] == "ünïcødé ✓ 😀\n", record


def test_an_unknown_id_is_404_everywhere(api):
    unknown = str(uuid.uuid4())
    for path in ("", "/status", "/logs"):
        assert api.http.get(f"{api.base}/eval/{unknown}{path}").status_code == 404
    assert api.cancel(unknown).status_code == 404


def test_health_platform_environments_and_openapi(api):
    health = api.http.get(f"{api.base}/health")
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok"
    assert set(health.json()["services"]) == {"api", "redis", "broker", "database", "workers", "sandbox"}
    platform = api.http.get(f"{api.base}/platform").json()
    assert platform["executor"] == "local" and platform["engine"] in ("nsjail", "bwrap", "gvisor")
    assert platform["worker_slots"] >= 1 and platform["failpoints_active"] == []
    assert {"priority", "cancellation", "output_streaming"} <= set(platform["capabilities"])
    names = {e["name"] for e in api.http.get(f"{api.base}/environments").json()["environments"]}
    assert "python" in names
    openapi = api.http.get(api.base.removesuffix("/api") + "/openapi.json").json()
    assert "/api/eval" in openapi["paths"] and "/api/eval/{eval_id}/cancel" in openapi["paths"]


# --- load --------------------------------------------------------------------------------

def test_200_concurrent_submissions_all_end_terminal_none_lost(api):
    codes = [f"print({i})" for i in range(200)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        ids = list(pool.map(api.submit, codes))
    assert len(set(ids)) == 200

    def drained():   # one cheap request per poll, not 200
        counts = api.http.get(f"{api.base}/queue/status").json()
        busy = {k: counts[k] for k in ("submitted", "queued", "provisioning", "running") if counts[k]}
        return "drained" if not busy else None
    api.until("the queue to drain", drained, deadline_s=120, interval=0.25)
    for i, eval_id in enumerate(ids):
        record = api.get(eval_id)
        assert record["status"] == "completed" and record["output"] == f"{i}\n", record
    listed = api.http.get(f"{api.base}/evaluations?status=completed&limit=100").json()
    assert listed["count"] == 100 and listed["has_more"] is True


# --- priority ----------------------------------------------------------------------------

def test_priority_is_strict_and_fifo_within_a_value(api):
    """With every slot busy, a priority-10 submitted after twenty priority-0s starts first."""
    blockers = api.block_all_slots(seconds=2)
    low = [api.submit("pass", priority=0) for _ in range(20)]
    high = api.submit("pass", priority=10)
    records = {i: api.wait_terminal(i) for i in blockers + low + [high]}
    started = {i: ts(r["started_at"]) for i, r in records.items()}
    assert all(started[high] < started[i] for i in low), \
        f"priority 10 started at {started[high]}, first priority 0 at {min(started[i] for i in low)}"
    # FIFO within priority 0: with N slots, an evaluation never starts after one submitted
    # N places later (the N slots may pick neighbours up at the same moment).
    slots = len(blockers)
    late = [(a, b) for a, b in zip(low, low[slots:]) if started[a] > started[b]]
    assert not late, f"priority 0 ran out of order: {late}"


def test_list_of_running_evaluations_is_exactly_the_running_ones(api):
    blockers = api.block_all_slots(seconds=1.5)
    listed = api.http.get(f"{api.base}/evaluations?status=running&limit=100").json()
    listed_ids = {e["eval_id"] for e in listed["evaluations"]}
    assert listed_ids == set(blockers), listed
    assert all(e["status"] == "running" for e in listed["evaluations"])
    for eval_id in blockers:
        api.wait_terminal(eval_id)


# --- cancellation ------------------------------------------------------------------------

def test_a_cancelled_queued_evaluation_never_runs(api):
    blockers = api.block_all_slots(seconds=1.5)
    victim = api.submit("print('should never run')")
    answer = api.cancel(victim)
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled", answer.text
    after = api.submit("print('after')")     # FIFO: it is behind the victim
    api.wait_terminal(after)
    record = api.get(victim)
    assert record["status"] == "cancelled" and record["reason"] == "cancelled"
    assert record["started_at"] is None and record["output"] is None
    moves = [(e["from_status"], e["to_status"]) for e in api.events(victim)]
    assert moves == [(None, "submitted"), ("submitted", "queued"), ("queued", "cancelled")]
    for eval_id in blockers:
        api.wait_terminal(eval_id)


def test_a_running_evaluation_is_cancelled_its_tree_killed_and_logs_were_live(api, stack):
    code = ("import subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "print('started', flush=True)\n"
            "time.sleep(120)\n")
    eval_id = api.submit(code, timeout=120)
    api.wait_status(eval_id, {"running"}, deadline_s=30)
    logs = api.until("live output", lambda: (lambda l: l if "started" in l["output"] else None)(
        api.http.get(f"{api.base}/eval/{eval_id}/logs").json()), deadline_s=10)
    assert logs["is_running"] is True and logs["source"] == "live" and logs["status"] == "running"

    from evalplatform.executor import get_executor
    sandboxes = get_executor()
    assert eval_id in sandboxes.run_ids()          # the probe sees the live sandbox...
    answer = api.cancel(eval_id)
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled", answer.text
    assert api.get(eval_id)["status"] == "cancelled"     # at once, not eventually
    # ...and then sees it gone: the whole tree (the child too) lived in that cgroup.
    api.until("the sandbox to be gone", lambda: eval_id not in sandboxes.run_ids(), deadline_s=10)
    api.until("the running keys to be gone (contract: within 1 s)",
              lambda: api.running_keys(eval_id) == (False, False), deadline_s=1)
    time.sleep(0.5)   # let the worker's own (refused) final move happen, then check it changed nothing
    record = api.get(eval_id)
    assert record["status"] == "cancelled" and record["reason"] == "cancelled"
    assert len(terminal_events(api.events(eval_id))) == 1
    again = api.cancel(eval_id)
    assert again.status_code == 409 and again.json()["status"] == "cancelled"


def test_cancel_racing_completion_ends_in_exactly_one_terminal_status(api):
    """Cancels land while queued, while running and just as the run ends (delays spread
    over a run's length); whoever wins, the loser's move is refused and changes nothing."""
    rng = random.Random(7)
    ids, answers = [], {}
    for _ in range(30):
        eval_id = api.submit("import time; time.sleep(0.05); print(1)")
        time.sleep(rng.uniform(0, 0.25))
        answers[eval_id] = api.cancel(eval_id)
        ids.append(eval_id)
    for eval_id in ids:
        record = api.wait_terminal(eval_id)
        answer = answers[eval_id]
        assert answer.status_code in (200, 409), answer.text
        assert answer.json()["status"] == record["status"], (answer.json(), record["status"])
        events = terminal_events(api.events(eval_id))
        assert len(events) == 1 and events[0]["to_status"] == record["status"], events
        assert api.running_keys(eval_id) == (False, False)
    outcomes = [api.get(i)["status"] for i in ids]
    print("outcomes:", {s: outcomes.count(s) for s in set(outcomes)})
    assert {"cancelled", "completed"} <= set(outcomes), "the race was not exercised both ways"


def test_running_keys_exist_while_running_and_are_gone_at_the_end(api):
    eval_id = api.submit("import time; print('x', flush=True); time.sleep(1)")
    api.wait_status(eval_id, {"running"}, deadline_s=30)
    api.until("the running keys to appear", lambda: api.running_keys(eval_id) == (True, True),
              deadline_s=5)
    info = json.loads(api.redis.get(f"eval:{eval_id}:running"))
    assert set(info) == {"eval_id", "worker_id", "executor_id", "started_at", "timeout"}
    api.wait_terminal(eval_id)
    api.until("the running keys to be gone (contract: within 1 s)",
              lambda: api.running_keys(eval_id) == (False, False), deadline_s=1)


# --- recovery ----------------------------------------------------------------------------

def test_a_worker_killed_mid_run_loses_nothing(api, stack):
    from evalplatform.settings import get_settings
    timeout = 20
    eval_id = api.submit("import time; print('started', flush=True); time.sleep(3); print('done')",
                         timeout=timeout)
    record = api.wait_status(eval_id, {"running"}, deadline_s=30)
    owner_pid = int(record["worker_id"].rsplit("#", 1)[1])
    index = [w.pid for w in stack.workers].index(owner_pid)
    stack.kill_worker(index)
    stack.start_worker()           # the replacement that will pick the re-queued evaluation up
    final = api.wait_terminal(eval_id, deadline_s=timeout + get_settings().reaper_grace_s + 10)
    moves = [(e["from_status"], e["to_status"], e["reason"]) for e in api.events(eval_id)]
    print("moves:", moves, final["status"], final["attempts"], final["error"])
    assert ("running", "queued", "worker_lost") in moves or final["reason"] == "worker_lost", moves
    if final["status"] == "completed":
        assert final["output"] == "started\ndone\n" and final["attempts"] == 2, final
        assert final["worker_id"] != record["worker_id"]
    else:
        assert final["status"] == "failed" and final["reason"] == "worker_lost", final
    assert len(terminal_events(api.events(eval_id))) == 1


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_dead_workers_sandbox_processes_are_killed(api, stack):
    """The orphaned tree dies long before it would end on its own (it sleeps 60 s), and the
    evaluation is re-queued rather than left running under a dead worker."""
    from evalplatform.executor import get_executor
    from evalplatform.sandbox.cgroups import RunCgroup
    code = ("import subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
            "print('started', flush=True); time.sleep(60)\n")
    eval_id = api.submit(code, timeout=90)
    record = api.wait_status(eval_id, {"running"}, deadline_s=30)
    cgroup = RunCgroup(get_executor().sandbox.hierarchy, eval_id)
    pids = api.until("the sandbox's processes", lambda: cgroup.pids() if len(cgroup.pids()) >= 3 else None,
                     deadline_s=10)
    assert all(_alive(p) for p in pids)          # the probe sees them alive first
    owner_pid = int(record["worker_id"].rsplit("#", 1)[1])
    stack.kill_worker([w.pid for w in stack.workers].index(owner_pid))
    api.until("the orphaned sandbox processes to die",
              lambda: not any(_alive(p) for p in pids), deadline_s=15)
    from evalplatform.settings import get_settings
    api.until("the reaper to re-queue the evaluation",
              lambda: ("running", "queued", "worker_lost") in [
                  (e["from_status"], e["to_status"], e["reason"]) for e in api.events(eval_id)],
              deadline_s=get_settings().reaper_grace_s, interval=0.1)
    stack.start_worker()
    assert api.cancel(eval_id).json()["status"] == "cancelled"


# --- a second stack: small queue, priority failpoint, then an outage ----------------------

@pytest.fixture(scope="module")
def faulty_stack():
    """Its own stack: queue depth 3 and the priority_ignored failpoint (the negative control
    of the priority test), so the shared stack stays as the contract says."""
    from evalplatform.stack import Stack
    env = {"EVALPLATFORM_QUEUE_MAX_DEPTH": "3", "EVALPLATFORM_FAILPOINTS": "priority_ignored",
           "EVALPLATFORM_FAILPOINTS_ALLOWED": "true"}
    running = Stack(workers=1, env=env).start(timeout=60)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def faulty(faulty_stack):
    client = Api(faulty_stack)
    yield client
    client.http.close()


@pytest.mark.chaos
def test_with_priority_ignored_the_priority_test_would_fail(faulty):
    """Negative control: the same measurement as the priority test sees the failpoint."""
    assert faulty.http.get(f"{faulty.base}/platform").json()["failpoints_active"] == ["priority_ignored"]
    blockers = faulty.block_all_slots(seconds=1)
    low = [faulty.submit("pass", priority=0) for _ in range(2)]
    high = faulty.submit("pass", priority=10)
    records = {i: faulty.wait_terminal(i) for i in blockers + low + [high]}
    started = {i: ts(r["started_at"]) for i, r in records.items()}
    assert any(started[high] > started[i] for i in low)


@pytest.mark.chaos
def test_a_full_queue_is_503_with_retry_after_and_stores_nothing(faulty):
    blockers = faulty.block_all_slots(seconds=1.5)
    waiting = [faulty.submit("pass") for _ in range(3)]
    before = faulty.http.get(f"{faulty.base}/evaluations?limit=1").json()["total"]
    answer = faulty.http.post(f"{faulty.base}/eval", json={"code": "pass"})
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0, answer.text
    assert "queue is full" in answer.json()["detail"]
    assert faulty.http.get(f"{faulty.base}/evaluations?limit=1").json()["total"] == before
    for eval_id in blockers + waiting:
        faulty.wait_terminal(eval_id)
    assert faulty.http.post(f"{faulty.base}/eval", json={"code": "pass"}).status_code == 200


@pytest.mark.chaos
def test_a_broker_restart_loses_neither_running_nor_queued_evaluations(faulty, faulty_stack):
    """The stack's Redis keeps nothing across a restart: queued messages are gone, heartbeats
    too. Running evaluations must not be taken for orphans, queued ones must be re-sent."""
    blockers = faulty.block_all_slots(seconds=3)
    waiting = [faulty.submit("print('queued')") for _ in range(2)]
    faulty_stack.restart_redis()
    for eval_id in blockers + waiting:
        record = faulty.wait_terminal(eval_id, deadline_s=30)
        assert record["status"] == "completed", record
        moves = [(e["from_status"], e["to_status"]) for e in faulty.events(eval_id)]
        assert ("running", "queued") not in moves, moves


@pytest.mark.chaos
def test_a_database_outage_loses_neither_results_nor_waiting_evaluations(faulty, faulty_stack):
    """PostgreSQL goes away while runs finish and others wait: the finished runs' results
    are recorded once it is back (the worker retries), and the waiting ones then run."""
    import psycopg

    from evalplatform.executor import get_executor
    blockers = faulty.block_all_slots(seconds=1.5)
    waiting = [faulty.submit(f"print({i})") for i in range(2)]
    postgres = faulty_stack.services["postgres"]
    postgres.stop()
    sandboxes = get_executor()
    faulty.until("the running evaluations to end while the database is down",
                 lambda: not (set(blockers) & sandboxes.run_ids()), deadline_s=15, interval=0.05)
    answer = faulty.http.post(f"{faulty.base}/eval", json={"code": "print(1)"})
    assert answer.status_code == 503 and answer.headers.get("Retry-After"), answer.text
    back_at = time.time()
    postgres.start()

    def database_up():
        try:
            with psycopg.connect(faulty_stack.urls["DATABASE_URL"], connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False
    faulty.until("PostgreSQL to accept connections again", database_up, deadline_s=15, interval=0.1)
    for eval_id in blockers + waiting:
        record = faulty.wait_terminal(eval_id, deadline_s=30)
        assert record["status"] == "completed", record
    # The blockers ended during the outage; their results could only be written after it.
    assert all(ts(faulty.get(i)["completed_at"]) >= back_at for i in blockers)
    assert [faulty.get(i)["output"] for i in waiting] == ["0\n", "1\n"]


@pytest.mark.chaos
def test_with_redis_down_requests_get_503_not_500_and_health_is_degraded(faulty, faulty_stack):
    faulty_stack.stop_redis()
    answer = faulty.http.post(f"{faulty.base}/eval", json={"code": "print(1)"})
    assert answer.status_code == 503 and answer.headers.get("Retry-After"), answer.text

    def degraded():
        health = faulty.http.get(f"{faulty.base}/health")
        return health if health.status_code == 503 else None
    health = faulty.until("health to report the outage", degraded, deadline_s=5, interval=0.2)
    body = health.json()
    assert body["status"] == "degraded"
    assert body["services"]["redis"] != "ok" and body["services"]["broker"] != "ok"
    assert body["services"]["database"] == "ok"
