"""Binds features/lifecycle.feature: one feature, one test module (`pytest features/test_lifecycle.py`)."""
from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from support import waiting
from support.contract import (
    PUBLISHED_FIELDS,
    RECORD_FIELDS,
    STATUS_FIELDS,
    SUBMIT_FIELDS,
)
from support.evaluations import timestamp

scenarios("lifecycle.feature")

def statuses(text: str) -> list[str]:
    """'submitted, queued, running, completed' -> the list of statuses."""
    return [s.strip() for s in text.split(",")]


def is_in_order(expected: list[str], seen: list[str]) -> bool:
    """True when `expected` appears in `seen` in this order (other statuses may lie between,
    e.g. provisioning, which the contract allows but does not require)."""
    remaining = iter(seen)
    return all(status in remaining for status in expected)


def published_until_terminal(context, evaluations, target) -> list[str]:
    record = context.outcome()
    return waiting.until(lambda: context.recorder.statuses(context.eval_id), lambda seen: record["status"] in seen,
                         timeout=target.seconds(2), description=f"{record['status']} to be published")


# -- steps only this feature uses --

@then('the answer holds the evaluation id, the status "queued", a message and a queue position')
def submit_answer(context):
    answer = context.submission
    assert SUBMIT_FIELDS <= answer.keys(), f"missing {SUBMIT_FIELDS - answer.keys()}: {answer}"
    assert answer["status"] == "queued" and answer["eval_id"] and isinstance(answer["message"], str)
    assert isinstance(answer["queue_position"], int) and answer["queue_position"] >= 0, answer


@then("created_at, queued_at, started_at and completed_at are in order")
def timestamps_ordered(context):
    record = context.outcome()
    times = [timestamp(record, f) for f in ("created_at", "queued_at", "started_at", "completed_at")]
    assert times == sorted(times), f"timestamps out of order: {times}"


@then(parsers.parse("runtime_ms is at least {minimum:d} and fits between started_at and completed_at"))
def runtime_agrees(context, minimum):
    record = context.outcome()
    span_ms = (timestamp(record, "completed_at") - timestamp(record, "started_at")).total_seconds() * 1000
    assert minimum <= record["runtime_ms"] <= span_ms + 1, \
        f"runtime_ms {record['runtime_ms']} vs at least {minimum} and started→completed {span_ms:.0f} ms"


@then("the record carries every field of the contract")
def record_fields(context):
    record = context.outcome()
    assert RECORD_FIELDS <= record.keys(), f"missing fields: {sorted(RECORD_FIELDS - record.keys())}"


@then(parsers.parse('the record shows the code, the language "{language}", the engine and the worker'))
def record_shows(context, language):
    record = context.outcome()
    assert record["eval_id"] == context.eval_id and record["language"] == language
    assert record["code"] and record["engine"] and record["worker_id"], record


@then(parsers.parse('the status view says "{status}" and success is {success}'))
def status_view(context, evaluations, status, success):
    context.outcome()
    view = evaluations.api.status(context.eval_id)
    assert STATUS_FIELDS <= view.keys(), f"missing {STATUS_FIELDS - view.keys()}: {view}"
    assert (view["status"], view["success"]) == (status, success == "true"), view


@then(parsers.parse('the logs view shows the output "{output}", the error "{error}", exit code {code:d} and not running'))
def logs_view_final(context, evaluations, output, error, code):
    context.outcome()
    logs = evaluations.api.logs(context.eval_id)
    assert (logs["output"], logs["error"], logs["exit_code"], logs["is_running"]) == \
        (output + "\n", error + "\n", code, False), logs


@then(parsers.parse('it is not listed under status "{status}"'))
def not_listed(context, evaluations, status):
    assert context.eval_id not in evaluations.listed_ids(status)


@then(parsers.parse('it is listed under status "{status}"'))
def listed(context, evaluations, status):
    assert context.eval_id in evaluations.listed_ids(status)


@then('every evaluation listed under status "running" is running, this one included')
def running_list_exact(context, evaluations):
    ids = evaluations.listed_ids("running")
    assert context.eval_id in ids, f"{context.eval_id} runs but is not listed: {sorted(ids)}"
    reading_otherwise = {i: s for i in ids if (s := evaluations.api.status(i)["status"]) != "running"}
    # One that ended between the two reads is not a fault; one still listed afterwards is.
    wrong = {i: s for i, s in reading_otherwise.items() if i in evaluations.listed_ids("running")}
    assert not wrong, f"listed as running but reading otherwise: {wrong}"


@when(parsers.parse("I read the evaluations {size:d} at a time"))
def read_pages(context, evaluations, size):
    context.page_size = size
    context.pages = [evaluations.api.evaluations(limit=size, offset=offset) for offset in (0, size, 2 * size)]


@then("the pages hold distinct evaluations, newest first, and say when there are more")
def pages_well_formed(context):
    items = [item for page in context.pages for item in page["evaluations"]]
    ids = [item["eval_id"] for item in items]
    assert len(ids) == 3 * context.page_size and len(set(ids)) == len(ids), f"overlapping or short pages: {ids}"
    created = [item["created_at"] for item in items]
    assert created == sorted(created, reverse=True), f"not newest first: {created}"
    for offset, page in zip((0, context.page_size, 2 * context.page_size), context.pages):
        assert (page["limit"], page["offset"]) == (context.page_size, offset), page
        assert page["has_more"] is True, f"more evaluations exist than these pages hold: {page}"
    assert ids[0] in context.batch, f"the newest evaluation {ids[0]} is not one just submitted: {context.batch}"


@given("I listen to the status channels")
def listen(context, redis_state):
    context.recorder = context.cleanup.enter_context(redis_state.recorder())


@then(parsers.parse("the channels carried {expected} in that order"))
def channels_in_order(context, evaluations, target, expected):
    seen = published_until_terminal(context, evaluations, target)
    assert is_in_order(statuses(expected), seen), f"published for {context.eval_id}: {seen}"


@then("every message carries the evaluation id, its status, a reason and a time")
def messages_shape(context):
    for published in context.recorder.messages(context.eval_id):
        body = published.message
        assert PUBLISHED_FIELDS <= body.keys(), f"{published.channel}: missing {PUBLISHED_FIELDS - body.keys()}"
        assert published.channel == f"evaluation:{body['status']}" and body["at"], published


@then(parsers.parse('the channel "{channel}" carried the reason "{reason}"'))
def channel_reason(context, evaluations, target, channel, reason):
    published_until_terminal(context, evaluations, target)
    bodies = [m.message for m in context.recorder.messages(context.eval_id) if m.channel == channel]
    assert [b.get("reason") for b in bodies] == [reason], f"{channel} carried {bodies}"


@then(parsers.parse("evaluation_events holds {expected} in that order"))
def events_in_order(context, database, expected):
    context.outcome()
    stored = [e["to_status"] for e in database.events(context.eval_id)]
    assert is_in_order(statuses(expected), stored), f"evaluation_events for {context.eval_id}: {stored}"
