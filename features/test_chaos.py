"""Binds features/chaos.feature to a platform of each scenario's own.

The suite's clients are overridden here, for this module only, so the ordinary steps
("I submit:", "the evaluation completes", ...) talk to the scenario's chaos stack
(steps/chaos_steps.py: `chaos_platform`) and never to the session's shared one.
"""
from __future__ import annotations

import os

import pytest
import redis
from pytest_bdd import given, parsers, scenarios, then, when

from support import host, waiting
from support.chaos import ChaosPlatform
from support.config import Target
from support.contract import HEALTH_SERVICES, TERMINAL
from support.database import Database
from support.platform_facts import PlatformFacts
from support.redis_state import RedisState
from support.session import session_target
from support.targets.platform import PlatformRunner

scenarios("chaos.feature")

SERVICE_NAMES = {"Redis": "redis", "PostgreSQL": "postgres", "the API process": "api"}
SERVICE = "(?P<service>Redis|PostgreSQL|the API process)"
# Deadline for everything a scenario submitted to end after its fault: the longest run
# in chaos.feature, a re-queue, and a restarted service's reconnection, generously.
RECOVERY_TIMEOUT = 60.0


@pytest.fixture
def api(chaos_platform):
    return chaos_platform.api


@pytest.fixture
def evaluations(chaos_platform):
    return chaos_platform.evaluations


@pytest.fixture
def sandbox(chaos_platform, evaluations):
    """"I run" runs on the scenario's own stack too."""
    return PlatformRunner(evaluations, Target().with_embedded_urls(chaos_platform.urls))


@pytest.fixture
def platform(api):
    return PlatformFacts(api.platform())


@pytest.fixture
def database(chaos_platform):
    db = Database(chaos_platform.urls["DATABASE_URL"])
    yield db
    db.close()


@pytest.fixture
def redis_state(chaos_platform):
    state = RedisState(chaos_platform.urls["REDIS_URL"])
    yield state
    state.close()


@pytest.fixture
def chaos_config() -> dict:
    """The size the scenario's Given steps asked for (ChaosPlatform's keyword arguments)."""
    return {}


@pytest.fixture
def chaos_platform(request: pytest.FixtureRequest, chaos_config):
    scale = session_target(request.config).requested.timeout_scale
    platform = ChaosPlatform(**chaos_config, timeout_scale=scale).start()
    try:
        yield platform
    finally:
        platform.stop()



def _redis_info(chaos_platform) -> dict:
    client = redis.Redis.from_url(chaos_platform.urls["CELERY_BROKER_URL"], socket_timeout=5)
    try:
        info = client.info("server")
        info["appendonly"] = client.config_get("appendonly")["appendonly"]
        info["save"] = client.config_get("save")["save"]
        return info
    finally:
        client.close()



def _ends_within_grace(context, chaos_platform, evaluations, database) -> tuple[dict, list]:
    """Wait for the evaluation to end within its timeout + the reaper's grace; (record, its
    moves), after checking that it completed or failed with reason worker_lost."""
    limit = evaluations.api.evaluation(context.eval_id)["timeout"] + chaos_platform.grace_s()
    record = evaluations.wait_terminal(context.eval_id, timeout=limit)
    moves = [(e["from_status"], e["to_status"], e["reason"]) for e in database.events(context.eval_id)]
    assert record["status"] == "completed" or (record["status"], record["reason"]) == ("failed", "worker_lost"), \
        f"expected completed, or failed/worker_lost: {record}; moves: {moves}"
    return record, moves



def _health_within(api, pytestconfig, seconds: int, holds, description: str) -> None:
    """Health is cached briefly and follows its services with a lag, so a change shows
    within a deadline, not at once. (The scale comes from what was requested: the
    `target` fixture would start the session's stack, which a chaos scenario does not use.)"""
    def answer():
        response = api.health()
        return response.status_code, response.json()
    waiting.until(answer, lambda seen: holds(*seen), description=description,
                  timeout=session_target(pytestconfig).requested.seconds(seconds))


# -- steps only this feature uses --

@then(parsers.parse('within {seconds:d} seconds the API reports "degraded" with 503, {service} not "ok"'))
def health_degraded(api, pytestconfig, seconds, service):
    _health_within(api, pytestconfig, seconds, lambda code, body: code == 503 and body.get("status") == "degraded"
                   and body.get("services", {}).get(service) != "ok", f"health to report {service} failing")


@then(parsers.parse('within {seconds:d} seconds the API reports "ok" with 200 for every service'))
def health_recovered(api, pytestconfig, seconds):
    _health_within(api, pytestconfig, seconds, lambda code, body: code == 200 and body.get("status") == "ok"
                   and all(body.get("services", {}).get(s) == "ok" for s in HEALTH_SERVICES),
                   "health to report every service ok")


@given(parsers.re(r"a platform of its own with (?P<workers>\d+) workers? of (?P<slots>\d+) slots? each"))
def own_platform(chaos_config, workers, slots):
    chaos_config.update(workers=int(workers), slots=int(slots))


@given(parsers.parse("its queue holds at most {depth:d} waiting evaluations"))
def queue_depth(chaos_config, depth):
    chaos_config.update(queue_max_depth=depth)


@when("the sandbox of the evaluation is running on the host")
def sandbox_running(context, chaos_platform):
    context.sandbox_pids = waiting.until(
        lambda: host.processes_of(context.eval_id), bool, timeout=chaos_platform.scale * 10,
        description=f"a host process of evaluation {context.eval_id}'s sandbox")


@when("a worker takes it from the queue and dies before starting it")
def take_and_die(context, chaos_platform, api):
    taken = chaos_platform.take_message_and_die(api.evaluation(context.eval_id)["priority"])
    assert taken == context.eval_id, f"the dying worker took {taken}, not the evaluation {context.eval_id}"


@when("the worker running it is killed with SIGKILL")
def kill_its_worker(context, chaos_platform):
    context.killed_worker = chaos_platform.kill_worker_of(context.eval_id)


@when(parsers.re(f"{SERVICE} stops"))
def service_stops(context, chaos_platform, service):
    if service == "Redis":
        context.redis_run_id = _redis_info(chaos_platform)["run_id"]
    chaos_platform.stop_service(SERVICE_NAMES[service])


@when(parsers.re(f"{SERVICE} starts again"))
def service_starts(chaos_platform, service):
    chaos_platform.start_service(SERVICE_NAMES[service])


@when(parsers.re(f"{SERVICE} restarts"))
def service_restarts(chaos_platform, service):
    chaos_platform.restart_service(SERVICE_NAMES[service])


@then("Redis came back as a new server without persistence: the broker's queued messages are gone")
def redis_came_back_empty(context, chaos_platform):
    info = _redis_info(chaos_platform)
    assert info["run_id"] != context.redis_run_id, "Redis was not restarted (same run_id)"
    assert (info["appendonly"], info["save"]) == ("no", ""), \
        f"this Redis persists its data (appendonly={info['appendonly']!r}, save={info['save']!r})"


@when("the queue has drained")
def queue_drained(chaos_platform):
    waiting.until(chaos_platform.api.queue_status, lambda q: q["queued"] == 0 and q["running"] == 0,
                  timeout=chaos_platform.scale * RECOVERY_TIMEOUT, description="the queue to drain")


@then("a submission is answered 503 with a Retry-After header")
def submission_refused(api):
    # The client's read timeout bounds this call: a hang fails it instead of stalling the run.
    answer = api.submit_response({"code": "print('refused')"})
    assert answer.status_code == 503, f"expected 503, got {answer.status_code}: {answer.text[:500]}"
    retry_after = answer.headers.get("Retry-After", "")
    assert retry_after.isdigit() and int(retry_after) > 0, f"Retry-After is {retry_after!r}: {answer.headers}"
    assert "detail" in answer.json(), answer.text


@then("a submission is accepted")
def submission_accepted(context, api):
    context.remember_submission(api.submit("print('accepted')")["eval_id"])


@then(parsers.parse('the evaluation still reads "{status}"'))
def still_reads(context, api, status):
    assert api.status(context.eval_id)["status"] == status


@then('it ends within its timeout plus the platform\'s grace: completed after a re-queue, '
      'or failed with reason "worker_lost"')
def ends_after_worker_loss(context, chaos_platform, evaluations, database):
    record, moves = _ends_within_grace(context, chaos_platform, evaluations, database)
    if record["status"] == "completed":
        assert ("running", "queued", "worker_lost") in moves, \
            f"completed without the re-queue of a lost worker; its moves: {moves}"
        assert record["worker_id"] != context.killed_worker, f"completed by the killed worker: {record}"


@then('it ends within its timeout plus the platform\'s grace: completed, or failed with reason "worker_lost"')
def ends_within_grace(context, chaos_platform, evaluations, database):
    _ends_within_grace(context, chaos_platform, evaluations, database)


@then("none of the killed run's sandbox processes is left on the host")
def killed_sandbox_gone(context, chaos_platform):
    waiting.until(lambda: [pid for pid in context.sandbox_pids if os.path.exists(f"/proc/{pid}")],
                  lambda alive: not alive, timeout=chaos_platform.scale * 5,
                  description=f"the killed run's processes {context.sandbox_pids} to be gone")
    left = host.processes_of(context.eval_id)
    assert not left, f"processes of the ended evaluation {context.eval_id} remain: {left}"


@then("every evaluation the scenario submitted completes, none lost")
def all_complete(context, evaluations):
    records = evaluations.wait_all_terminal(context.submitted, timeout=RECOVERY_TIMEOUT)
    assert [r["eval_id"] for r in records] == context.submitted
    assert all(r["status"] in TERMINAL for r in records)
    wrong = [(r["eval_id"], r["status"], r["reason"], r["error"]) for r in records if r["status"] != "completed"]
    assert not wrong, f"{len(wrong)} of {len(records)} did not complete: {wrong}"


@then("the platform's health shows the worker restarted")
def worker_restarted(api, pytestconfig):
    """The supervisor's restart is visible to a client: /api/health counts it."""
    def restarts() -> dict:
        return api.health().json().get("restarts") or {}
    waiting.until(restarts, lambda seen: any(n >= 1 for name, n in seen.items() if "worker" in name),
                  timeout=session_target(pytestconfig).requested.seconds(RECOVERY_TIMEOUT),
                  description="/api/health to count a restart of the killed worker")
