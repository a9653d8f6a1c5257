"""The dialects (support/dialects) against answers recorded from each platform's source.

Every fixture under tests/unit/dialects/ names, in its `source` field, the file (and for
crucible-eval-platform the commit) whose code produces that shape; the comments below
repeat it where a test leans on one. The running-key tests read real keys from a
redis-server of their own (a unix socket, no TCP listener).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from support import waiting
from support.api_client import ApiClient, root_of
from support.celery_client import EVALUATE_CODE, HEALTH_CHECK, CeleryClient
from support.dialects import (CONTRACT, CRUCIBLE, VARIABLE, Answer, DialectError, NotOffered, Place, by_name,
                              detect, select)
from support.redis_state import ChannelRecorder, Published, read_running

RECORDED = Path(__file__).parent / "dialects"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / f"{name}.json").read_text())


def answer(name: str) -> Answer:
    doc = recorded(name)
    return Answer(doc["status"], doc["body"])


def probe_of(answers: dict[tuple[str, str], str]):
    """A probe answering from recorded fixtures; anything else is a 404, as FastAPI answers."""
    asked: list[tuple[str, str]] = []

    def probe(base: str, path: str) -> Answer | None:
        asked.append((base, path))
        name = answers.get((base, path))
        return answer(name) if name else Answer(404, {"detail": "Not Found"})
    probe.asked = asked
    return probe


# -- choosing a dialect ----------------------------------------------------------------------

def test_the_contracts_self_description_means_the_contract_dialect():
    # evalplatform/api/system.py `platform`
    assert detect(probe_of({("api", "/platform"): "contract/platform"})) is CONTRACT


def test_the_contracts_health_services_mean_the_contract_even_without_a_platform_endpoint():
    # evalplatform/api/health.py `compute`: a degraded answer (503) still names its services.
    assert detect(probe_of({("api", "/health"): "contract/health_degraded"})) is CONTRACT


@pytest.mark.parametrize("health", ["root_health_newest", "root_health_services", "root_health_unhealthy",
                                    "root_health_early"])
def test_every_version_of_crucibles_root_health_means_crucible(health):
    # api/microservices_gateway.py `health`, as it read in each version (see each fixture's source).
    probe = probe_of({("root", "/health"): f"crucible/{health}"})
    assert detect(probe) is CRUCIBLE
    assert ("api", "/platform") in probe.asked, "the contract's own endpoint is asked first"


def test_crucibles_api_health_alone_means_crucible():
    # api/microservices_gateway.py `health_check` (GET /api/health), api/models.py HealthResponse
    assert detect(probe_of({("api", "/health"): "crucible/api_health"})) is CRUCIBLE


def test_a_reference_platform_that_also_serves_root_health_is_still_the_contract():
    probe = probe_of({("api", "/platform"): "contract/platform", ("root", "/health"): "crucible/root_health_newest"})
    assert detect(probe) is CONTRACT


def test_a_target_that_fits_neither_is_a_one_line_error_naming_the_variable():
    with pytest.raises(DialectError) as raised:
        detect(lambda base, path: None)
    message = str(raised.value)
    assert VARIABLE in message and "\n" not in message
    assert "contract" in message and "crucible" in message and "no answer" in message


def test_the_variable_wins_over_detection():
    probe = probe_of({("api", "/platform"): "contract/platform"})
    assert select("crucible", probe) is CRUCIBLE and probe.asked == []
    assert select(" Contract ", None) is CONTRACT
    assert select("", probe) is CONTRACT


def test_an_unknown_dialect_name_is_refused_naming_the_variable():
    with pytest.raises(DialectError, match=VARIABLE):
        by_name("kubernetes")
    with pytest.raises(DialectError, match=VARIABLE):
        select(None, None)


def test_each_dialect_has_the_name_the_reports_show():
    assert (CONTRACT.name, CRUCIBLE.name) == ("contract", "crucible")


# -- health ------------------------------------------------------------------------------------

def test_contract_health_ok_and_degraded():
    ok = CONTRACT.read_health(answer("contract/health_ok"))
    assert ok.healthy and ok.status == "ok" and set(ok.services) == CONTRACT.fields.health_services
    degraded = CONTRACT.read_health(answer("contract/health_degraded"))
    assert not degraded.healthy and degraded.code == 503 and degraded.failing == ["redis"]


@pytest.mark.parametrize("health, healthy, failing", [
    ("root_health_newest", True, []),
    ("root_health_early", True, []),
    ("root_health_services", True, []),
    ("root_health_unhealthy", False, ["storage"]),
    ("api_health", True, []),
])
def test_crucible_health_in_every_spelling(health, healthy, failing):
    read = CRUCIBLE.read_health(answer(f"crucible/{health}"))
    assert (read.healthy, read.failing) == (healthy, failing)
    assert "last_check" not in read.services, "a timestamp beside the services is not a service"


def test_a_healthy_word_is_not_enough_from_the_wrong_dialect():
    # crucible says "healthy"; the contract's healthy word is "ok".
    assert not CONTRACT.read_health(answer("crucible/root_health_newest")).healthy


def test_health_lives_at_the_root_for_crucible_and_below_api_for_the_contract():
    assert CRUCIBLE.health == Place("root", "/health") and CONTRACT.health == Place("api", "/health")
    client = ApiClient("http://127.0.0.1:9/api", dialect=CRUCIBLE)
    try:
        assert client.url_of(CRUCIBLE.health) == "http://127.0.0.1:9/health"
        assert client.url_of(CONTRACT.health) == "http://127.0.0.1:9/api/health"
    finally:
        client.close()
    assert root_of("http://h:1/api/") == "http://h:1" and root_of("http://h:1") == "http://h:1"


def test_crucible_offers_no_platform_or_environments_endpoint():
    client = ApiClient("http://127.0.0.1:9/api", dialect=CRUCIBLE)
    try:
        with pytest.raises(NotOffered, match="crucible"):
            client.platform()
        with pytest.raises(NotOffered, match="crucible"):
            client.environments()
    finally:
        client.close()


# -- priority ----------------------------------------------------------------------------------

def test_priority_levels_are_ordered_in_each_dialect():
    for dialect in (CONTRACT, CRUCIBLE):
        p = dialect.priorities
        assert p.level("low") < p.level("normal") < p.level("high"), dialect.name
        assert all(p.accepts(p.level(name)) for name in ("low", "normal", "high")), dialect.name


def test_crucible_takes_the_wide_range_and_its_tests_value_but_not_a_boolean():
    # api/models.py EvaluationRequest.priority: int, "0-2000+" (since e065cb8; a bool before 920d1db..)
    p = CRUCIBLE.priorities
    assert p.level("low") == 150 and p.accepts(150) and p.accepts(2000) and p.accepts(5000)
    assert not p.accepts(True) and not p.accepts("150") and not p.accepts(-1)


def test_the_contract_levels_fit_the_range_a_deployment_reports():
    # evalplatform/api/system.py `platform`: priority {min: 0, max: 10}
    reported = recorded("contract/platform")["body"]["priority"]
    p = CONTRACT.priorities.narrowed(reported)
    assert (p.minimum, p.maximum) == (0, 10) and p.accepts(p.level("high")) and not p.accepts(11)
    wide = CONTRACT.priorities.narrowed({"min": 0, "max": 2000})
    assert wide.accepts(150) and wide.level("high") == CONTRACT.priorities.level("high")
    assert CONTRACT.priorities.narrowed({"min": 0, "max": 3}).level("high") == 3


# -- cancelling a terminal evaluation ---------------------------------------------------------

@pytest.mark.parametrize("dialect, name, refused_as", [
    (CONTRACT, "contract/cancel_terminal", "completed"),   # evalplatform/api/evaluations.py `_already_ended`
    (CONTRACT, "contract/cancel_running", None),
    (CRUCIBLE, "crucible/cancel_terminal", "completed"),   # api/microservices_gateway.py `cancel_evaluation`
    (CRUCIBLE, "crucible/cancel_queued", None),
    (CRUCIBLE, "crucible/cancel_unknown", None),
])
def test_the_already_terminal_answer_of_each_dialect(dialect, name, refused_as):
    recorded_answer = answer(name)
    assert dialect.cancel_refused_as(recorded_answer.status, recorded_answer.body) == refused_as


def test_one_dialects_terminal_answer_is_not_the_others():
    crucible_says = answer("crucible/cancel_terminal")
    assert CONTRACT.cancel_refused_as(crucible_says.status, crucible_says.body) is None
    contract_says = answer("contract/cancel_terminal")
    assert CRUCIBLE.cancel_refused_as(contract_says.status, contract_says.body) is None


def test_error_messages_are_found_where_each_dialect_puts_them():
    assert CRUCIBLE.error_message(answer("crucible/cancel_unknown").body) == "Evaluation not found"
    assert CONTRACT.error_message(answer("crucible/cancel_unknown").body) is None


# -- answers' shapes, ids and field types -------------------------------------------------------

@pytest.mark.parametrize("name, fields", [
    ("crucible/record", "record"), ("crucible/status_running", "status"), ("crucible/submit", "submit"),
    ("crucible/queue_status", "queue"),
])
def test_crucible_answers_carry_the_fields_its_dialect_names(name, fields):
    body = answer(name).body
    required = getattr(CRUCIBLE.fields, fields)
    assert required <= body.keys(), required - body.keys()


def test_crucible_answers_lack_what_only_the_contract_promises():
    assert "reason" not in answer("crucible/record").body and not CRUCIBLE.has_reason
    assert not CRUCIBLE.fields.queue >= {"by_priority", "workers", "capacity"}
    assert CONTRACT.fields.record - CRUCIBLE.fields.record >= {"reason", "priority", "environment", "worker_id"}


def test_crucible_answers_202_while_running():
    # api/microservices_gateway.py `get_evaluation_status`
    assert answer("crucible/status_running").status in CRUCIBLE.status_codes
    assert 202 not in CONTRACT.status_codes


def test_the_environment_is_crucibles_executor_image():
    # api/models.py EvaluationRequest: executor_image, no environment
    assert CRUCIBLE.submission({"code": "1", "environment": "python-base"}) == {"code": "1", "executor_image": "python-base"}
    assert CRUCIBLE.submission({"code": "1", "environment": "a", "executor_image": "b"})["executor_image"] == "b"
    assert CONTRACT.submission({"code": "1", "environment": "python"}) == {"code": "1", "environment": "python"}


def test_ids_of_each_dialect():
    crucible_id = answer("crucible/submit").body["eval_id"]
    assert CRUCIBLE.is_id(crucible_id) and not CONTRACT.is_id(crucible_id)
    assert CRUCIBLE.is_id(CRUCIBLE.new_id()) and CONTRACT.is_id(CONTRACT.new_id())
    assert CRUCIBLE.is_id(CRUCIBLE.unknown_id) and CONTRACT.is_id(CONTRACT.unknown_id)
    assert not CRUCIBLE.is_id("20250803_074029_1a2b3c4d_extra")


def test_runtime_ms_is_an_integer_in_crucible():
    record = answer("crucible/record").body
    assert CRUCIBLE.fields.type_problems(record) == []
    problems = CRUCIBLE.fields.type_problems({**record, "runtime_ms": 1840.5})
    assert len(problems) == 1 and "runtime_ms" in problems[0]
    assert CONTRACT.fields.type_problems({"runtime_ms": 1840.5}) == []
    assert CONTRACT.fields.type_problems({"exit_code": True}) != [], "a bool is not an exit code"


# -- pub/sub channels -----------------------------------------------------------------------------

def test_status_channels_and_the_log_channels_beside_them():
    assert CONTRACT.status_of_channel(recorded("contract/published")["channel"]) == "running"
    assert CRUCIBLE.status_of_channel(recorded("crucible/published_running")["channel"]) == "running"
    assert CRUCIBLE.status_of_channel(recorded("crucible/published_logs")["channel"]) is None


def test_the_recorder_keeps_status_changes_and_leaves_log_lines_out():
    recorder = ChannelRecorder(redis.Redis(), CRUCIBLE)   # no connection is made until it starts
    for name in ("crucible/published_running", "crucible/published_logs"):
        doc = recorded(name)
        recorder._on_message({"channel": doc["channel"], "data": json.dumps(doc["message"])})
    eval_id = recorded("crucible/published_running")["message"]["eval_id"]
    assert recorder.statuses(eval_id) == ["running"]
    [only] = recorder.messages(eval_id)
    assert isinstance(only, Published) and CRUCIBLE.fields.published <= only.message.keys()


# -- Celery ----------------------------------------------------------------------------------------

def test_task_names_in_each_dialect():
    for spelling in ("health_check", HEALTH_CHECK):
        assert CONTRACT.task(spelling).name == "evalplatform.health_check"
        assert CRUCIBLE.task(spelling).name == "celery_worker.tasks.health_check"   # celery_worker/tasks.py
    assert CRUCIBLE.task(EVALUATE_CODE, "x").name == "celery_worker.tasks.evaluate_code"
    assert CRUCIBLE.task("some.other.task").name == "some.other.task"


def test_evaluate_code_argument_shapes():
    assert CONTRACT.evaluate_call("id-1", code="print(1)").args == ("id-1",)
    # celery_worker/tasks.py evaluate_code(eval_id, code, language, timeout, priority, ...)
    call = CRUCIBLE.evaluate_call("id-1", code="print(1)", timeout=10, priority=150)
    assert call.args == ("id-1", "print(1)", "python", 10, 150)
    with pytest.raises(AssertionError, match="code"):
        CRUCIBLE.evaluate_call("id-1")


@pytest.mark.parametrize("priority, queue", [(150, "low_priority"), (250, "evaluation"), (350, "evaluation"),
                                             (1000, "high_priority"), (2000, "high_priority")])
def test_crucible_routes_evaluations_by_priority(priority, queue):
    # shared/utils/priority_mapping.py get_celery_queue
    assert CRUCIBLE.evaluate_call("id", code="1", priority=priority).queue == queue


def test_queues_come_from_the_workers_in_the_contract_and_from_crucibles_config():
    assert CONTRACT.task("health_check").queue is None
    assert CRUCIBLE.task("health_check").queue == "evaluation"   # celeryconfig.py task_default_queue


def test_a_crucible_client_declares_crucibles_exchange():
    # celery_worker/celeryconfig.py: Queue("evaluation", Exchange("crucible", type="direct"), ...)
    client = CeleryClient("redis://127.0.0.1:9/0", "redis://127.0.0.1:9/1", dialect=CRUCIBLE)
    try:
        queues = client.app.amqp.queues
        assert queues["evaluation"].exchange.name == "crucible" and queues["evaluation"].routing_key == "evaluation"
        assert queues["low_priority"].exchange.type == "direct"
    finally:
        client.close()


# -- PostgreSQL ----------------------------------------------------------------------------------

def test_events_are_read_from_each_dialects_columns():
    # storage/models/models.py EvaluationEvent: evaluation_id, timestamp, event_type
    sql = CRUCIBLE.events.select(with_tiebreak=True)
    assert "evaluation_id::text = :eval_id" in sql and "event_type AS to_status" in sql
    assert "NULL AS from_status" in sql and sql.endswith("ORDER BY timestamp, id")
    assert CONTRACT.events.select(with_tiebreak=False).endswith("ORDER BY at")
    assert (CONTRACT.evaluations_id_column, CRUCIBLE.evaluations_id_column) == ("eval_id", "id")


# -- running keys, read from a real redis-server --------------------------------------------------

@pytest.fixture(scope="module")
def real_redis(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    here = tmp_path_factory.mktemp("redis")
    sock = here / "redis.sock"
    server = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--dir", str(here),
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=str(sock), decode_responses=True)
    client.socket_path = str(sock)
    try:
        waiting.until(client.ping, bool, timeout=10, description="the test's redis-server to answer PING")
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def store_running(client: redis.Redis, key: str, name: str) -> None:
    doc = recorded(name)
    client.delete(key)
    if doc["redis_type"] == "hash":
        client.hset(key, mapping=doc["value"])
    else:
        client.set(key, json.dumps(doc["value"]))


def test_the_contracts_running_key_is_a_json_string(real_redis):
    # evalplatform/state/__init__.py `mark_running`
    store_running(real_redis, "eval:c1:running", "contract/running_key")
    record = read_running(real_redis, "eval:c1:running", CONTRACT.running_key_types)
    assert record == recorded("contract/running_key")["value"]
    assert CONTRACT.fields.running_key <= record.keys()


def test_crucibles_running_key_is_read_as_json_or_as_a_hash(real_redis):
    # storage_worker/app.py (JSON string) and tests/integration/test_redis_cleanup_events.py (HASH)
    store_running(real_redis, "eval:j:running", "crucible/running_key_json")
    store_running(real_redis, "eval:h:running", "crucible/running_key_hash")
    as_json = read_running(real_redis, "eval:j:running", CRUCIBLE.running_key_types)
    as_hash = read_running(real_redis, "eval:h:running", CRUCIBLE.running_key_types)
    assert as_json == recorded("crucible/running_key_json")["value"]
    assert as_hash["eval_id"] == "20250803_074029_1a2b3c4d" and as_hash["started_at"] == 1754206831.25
    assert CRUCIBLE.fields.running_key <= as_json.keys() and CRUCIBLE.fields.running_key <= as_hash.keys()


def test_a_hash_running_key_breaks_the_contract(real_redis):
    store_running(real_redis, "eval:h2:running", "crucible/running_key_hash")
    with pytest.raises(AssertionError, match="hash"):
        read_running(real_redis, "eval:h2:running", CONTRACT.running_key_types)


def test_a_missing_running_key_is_none_in_both_dialects(real_redis):
    for dialect in (CONTRACT, CRUCIBLE):
        assert read_running(real_redis, "eval:absent:running", dialect.running_key_types) is None


def test_crucible_tasks_land_on_crucibles_queues_in_a_real_broker(real_redis):
    """What a crucible worker consuming `evaluation` / `high_priority` would find
    (celery_worker/celeryconfig.py queues, shared/utils/priority_mapping.py routing)."""
    url = f"redis+socket://{real_redis.socket_path}"
    client = CeleryClient(url, url, dialect=CRUCIBLE)
    try:
        client.send(HEALTH_CHECK)
        client.evaluate_code("20250803_074029_1a2b3c4d", code="print(1)", priority=1500)
    finally:
        client.close()
    [health] = [json.loads(m) for m in real_redis.lrange("evaluation", 0, -1)]
    [evaluation] = [json.loads(m) for m in real_redis.lrange("high_priority", 0, -1)]
    assert health["headers"]["task"] == "celery_worker.tasks.health_check"
    assert evaluation["headers"]["task"] == "celery_worker.tasks.evaluate_code"
    args, _kwargs, _embed = json.loads(base64.b64decode(evaluation["body"]))
    assert args == ["20250803_074029_1a2b3c4d", "print(1)", "python", 30, 1500]
    assert real_redis.exists("_kombu.binding.crucible")
