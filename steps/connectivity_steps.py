"""Each service on its own: Redis, the Celery workers through the broker, PostgreSQL."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest
from pytest_bdd import given, parsers, then, when


# -- Redis ---------------------------------------------------------------------------------------

@when("I ping Redis")
def ping_redis(context, redis_state):
    context.redis_answer = redis_state.ping()


@then("Redis answers")
def redis_answers(context):
    assert context.redis_answer is True


@when("I write a value under a key of my own in Redis")
def write_redis(context, redis_state):
    context.redis_key = redis_state.scratch_key()
    context.redis_value = f"value for {context.redis_key}"
    redis_state.write(context.redis_key, context.redis_value)
    context.cleanup.callback(redis_state.delete, context.redis_key)


@then("reading the key returns the value")
def read_redis(context, redis_state):
    assert redis_state.read(context.redis_key) == context.redis_value


@then("deleting the key leaves nothing behind")
def delete_redis(context, redis_state):
    assert redis_state.delete(context.redis_key) == 1
    assert redis_state.read(context.redis_key) is None


# -- Celery workers --------------------------------------------------------------------------------

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


# -- PostgreSQL -----------------------------------------------------------------------------------

@when("I connect to PostgreSQL")
def connect_postgres(context, database):
    context.database = database


@then("it answers a query and reports its version")
def postgres_answers(database):
    assert database.select_one() == 1
    assert database.server_version()[0].isdigit()


@then(parsers.parse('the tables "{first}" and "{second}" exist'))
def tables_exist(database, first, second):
    missing = {first, second} - database.tables()
    assert not missing, f"missing tables: {missing}"


@given("a scratch schema of my own in PostgreSQL")
def scratch_schema(context, database):
    # Its own stack, closed at teardown or earlier by "I am done with the scratch schema".
    context.scratch_stack = ExitStack()
    context.cleanup.callback(context.scratch_stack.close)
    context.scratch = context.scratch_stack.enter_context(database.scratch_schema())


@when(parsers.parse('I create a row named "{name}"'))
def create_row(context, name):
    context.row_id = context.scratch.insert(name)


@then(parsers.parse('the row reads "{name}"'))
def row_reads(context, name):
    assert context.scratch.name_of(context.row_id) == name


@when(parsers.parse('I rename the row to "{name}"'))
def rename_row(context, name):
    assert context.scratch.rename(context.row_id, name) == 1


@when("I delete the row")
def delete_row(context):
    assert context.scratch.remove(context.row_id) == 1


@then("the row is gone")
def row_gone(context):
    assert context.scratch.name_of(context.row_id) is None


@when(parsers.parse('I insert the rows "{first}" and "{second}" in one transaction that commits'))
def commit_rows(context, first, second):
    with context.scratch.transaction() as conn:
        context.scratch.insert(first, conn=conn)
        context.scratch.insert(second, conn=conn)


@then(parsers.parse('the scratch table holds "{first}" and "{second}"'))
def table_holds(context, first, second):
    assert context.scratch.names() == {first, second}


class _Abandoned(Exception):
    """Raised inside a transaction on purpose, so that it rolls back."""


@when(parsers.parse('I insert the row "{name}" in a transaction that fails before it commits'))
def rollback_row(context, name):
    with pytest.raises(_Abandoned):
        with context.scratch.transaction() as conn:
            context.scratch.insert(name, conn=conn)
            assert name in context.scratch.names(conn), "the insert is not visible inside its own transaction"
            raise _Abandoned


@then("the scratch table holds nothing")
def table_empty(context):
    assert context.scratch.names() == set()


@when("I store the documents:")
def store_documents(context, datatable):
    header, *rows = datatable
    for row in rows:
        item = dict(zip(header, row))
        context.scratch.insert(item["name"], json.dumps(json.loads(item["data"])))


@then(parsers.parse('the documents containing {document} are "{first}" and "{second}"'))
def documents_containing(context, document, first, second):
    assert context.scratch.names_where(document) == {first, second}


@when("I am done with the scratch schema")
def done_with_scratch(context):
    context.scratch_stack.close()


@then("the scratch schema no longer exists")
def scratch_gone(context, database):
    assert not database.schema_exists(context.scratch.name)
