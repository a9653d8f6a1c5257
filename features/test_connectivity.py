"""Binds features/connectivity.feature: each of the platform's services answers, and holds
what the platform promises to keep in it (its tables, its JSONB metadata)."""
from __future__ import annotations

import hashlib
import json

from pytest_bdd import parsers, scenarios, then, when

from support import host_exposure
from support.contract import RECORD_FIELDS

scenarios("connectivity.feature")


def marked(metadata: str, marker: str) -> dict:
    """The metadata a step names, with the scenario's own marker, so that the rows it
    looks for are the ones it made (the platform's store holds many)."""
    return {**json.loads(metadata), "acceptance_marker": marker}

# -- steps only this feature uses --

@when("I ask the API for its health")
def ask_health(context, api):
    context.health = api.health_report()


@then("the API reports itself healthy, and every service it depends on")
def health_reported(context, api):
    health = context.health
    promised = set(api.dialect.fields.health_services)
    assert promised <= set(health.services), f"missing services {sorted(promised - set(health.services))}: {health.raw}"
    assert health.healthy and health.code == 200 and not health.failing, \
        f"health answered {health.code}, failing: {health.failing}: {health.raw}"


@when("I ping Redis")
def ping_redis(context, redis_state):
    context.redis_answer = redis_state.ping()


@then("Redis answers")
def redis_answers(context):
    assert context.redis_answer is True


@when("I ping the workers through the broker")
def ping_workers(context, celery_client):
    context.worker_replies = celery_client.ping()


@then(parsers.parse('at least one worker answers "{answer}"'))
def workers_answer(context, answer):
    replies = context.worker_replies
    assert replies, "no worker answered the ping"
    assert all(reply == {"ok": answer} for reply in replies.values()), replies


@when("I ask the workers for their statistics")
def worker_stats(context, celery_client):
    context.worker_stats = celery_client.stats()


@then("every worker reports its pool and the broker it is connected to")
def stats_report(context):
    stats = context.worker_stats
    assert stats, "no worker answered `inspect stats`"
    for worker, report in stats.items():
        assert report.get("pool", {}).get("max-concurrency", 0) >= 1, f"{worker}: {report.get('pool')}"
        assert report.get("broker", {}).get("transport"), f"{worker}: {report.get('broker')}"


@when("I ask the workers for their configuration")
def worker_conf(context, celery_client):
    context.worker_conf = celery_client.conf()
    assert context.worker_conf, "no worker answered `inspect conf`"


@then("every worker serializes tasks and results as JSON and accepts nothing else")
def json_only(context):
    for worker, conf in context.worker_conf.items():
        seen = {key: conf.get(key) for key in ("task_serializer", "result_serializer", "accept_content")}
        assert seen == {"task_serializer": "json", "result_serializer": "json", "accept_content": ["json"]}, \
            f"{worker}: {seen}"


@then("every worker acknowledges tasks late")
def acks_late(context):
    for worker, conf in context.worker_conf.items():
        assert conf.get("task_acks_late") is True, f"{worker}: task_acks_late={conf.get('task_acks_late')!r}"


@when("I connect to PostgreSQL")
def connect_postgres(context, database):
    context.database = database


@then("it answers a query and reports its version")
def postgres_answers(database):
    assert database.select_one() == 1
    assert database.server_version()[0].isdigit()


@then(parsers.parse('the table "{table}" has the columns of the evaluation record, "{first}" and "{second}"'))
def record_columns(database, table, first, second):
    missing = (RECORD_FIELDS | {first, second}) - database.columns(table)
    assert not missing, f"the table {table!r} lacks the columns {sorted(missing)}"


@then(parsers.re(r'the table "(?P<table>\w+)" has the columns (?P<columns>"\w+"(?:, "\w+")* and "\w+")'))
def table_columns(database, table, columns):
    wanted = {name.strip(' "') for name in columns.replace(" and ", ",").split(",")}
    missing = wanted - database.columns(table)
    assert not missing, f"the table {table!r} lacks the columns {sorted(missing)}"


@when(parsers.parse("I run, with the metadata {metadata}:"))
def run_with_metadata(context, sandbox, docstring, metadata):
    context.metadata = marked(metadata, host_exposure.unique_name("stored"))
    context.run(sandbox, docstring, metadata=context.metadata)


@then("its stored row holds its code, the SHA-256 of its code, its status and its exit code")
def stored_row_holds(context, database):
    record, row = context.outcome(), database.stored_row(context.eval_id)
    assert row is not None, f"no row of {context.eval_id} in the evaluations table"
    seen = {k: row.get(k) for k in ("code", "code_hash", "status", "exit_code")}
    wanted = {"code": record["code"], "code_hash": hashlib.sha256(record["code"].encode()).hexdigest(),
              "status": record["status"], "exit_code": record["exit_code"]}
    assert seen == wanted, f"the stored row holds {seen}; the record says {wanted}"


@then(parsers.parse("its record returns the metadata {metadata} unchanged"))
def metadata_returned(context, evaluations, metadata):
    returned = evaluations.api.evaluation(context.eval_id)["metadata"]
    assert returned == context.metadata, f"submitted the metadata {context.metadata}; the record returns {returned}"


@when(parsers.re(r"I run evaluations with the metadata (?P<first>\{.*?\}), (?P<second>\{.*?\}) and (?P<third>\{.*\})"))
def run_three_with_metadata(context, evaluations, first, second, third):
    context.marker = host_exposure.unique_name("jsonb")
    bodies = [{"code": "pass", "metadata": marked(m, context.marker)} for m in (first, second, third)]
    context.batch = [context.remember_submission(i) for i in evaluations.submit_many(bodies)]
    evaluations.wait_all_terminal(context.batch)


@then(parsers.parse("the stored metadata column is of type {kind}"))
def metadata_type(database, kind):
    seen = database.column_type("evaluations", "metadata")
    assert seen == kind, f"evaluations.metadata is of type {seen!r}, not {kind}"


@then(parsers.parse("the rows whose metadata contains {document} are the first and the third"))
def rows_containing(context, database, document):
    found = database.ids_with_metadata(marked(document, context.marker))
    wanted = {context.batch[0], context.batch[2]}
    assert found == wanted, f"the rows containing {document} are {sorted(found)}, not {sorted(wanted)}"


@when(parsers.parse("I submit a body with a timeout of 0 and the metadata {metadata}"))
def submit_refused(context, api, metadata):
    context.metadata = marked(metadata, host_exposure.unique_name("refused"))
    context.response = api.submit_response({"code": "print(1)", "timeout": 0, "metadata": context.metadata})


@then("no stored row carries that metadata")
def nothing_stored(database, context):
    found = database.ids_with_metadata(context.metadata)
    assert not found, f"a refused submission left the rows {sorted(found)}"
