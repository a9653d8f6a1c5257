"""The platform's own view of an evaluation: Redis running state, the status channels,
the `evaluation_events` table and the `state` utility."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from support import state_utility, waiting
from support.contract import PUBLISHED_FIELDS, RUNNING_KEY_FIELDS, is_allowed


def statuses(text: str) -> list[str]:
    """'submitted, queued, running, completed' -> the list of statuses."""
    return [s.strip() for s in text.split(",")]


def is_in_order(expected: list[str], seen: list[str]) -> bool:
    """True when `expected` appears in `seen` in this order (other statuses may lie between,
    e.g. provisioning, which the contract allows but does not require)."""
    remaining = iter(seen)
    return all(status in remaining for status in expected)


# -- Redis running state --------------------------------------------------------------------------

@then("its running key names it, its worker, its executor, its start and its timeout")
def running_key_holds(context, redis_state):
    record = redis_state.running_record(context.eval_id)
    assert record is not None, f"no running key for the running evaluation {context.eval_id}"
    assert RUNNING_KEY_FIELDS <= record.keys(), f"missing {RUNNING_KEY_FIELDS - record.keys()}: {record}"
    assert record["eval_id"] == context.eval_id and record["worker_id"] and record["started_at"], record
    assert isinstance(record["timeout"], (int, float)) and record["timeout"] > 0, record


@then("it is a member of the running set")
def in_running_set(context, redis_state):
    assert redis_state.is_running_member(context.eval_id)


@then(parsers.parse("its running key and set membership are gone within {seconds:d} second of its end"))
def running_state_gone(context, redis_state, target, seconds):
    waiting.until(lambda: redis_state.traces(context.eval_id),
                  lambda t: t == {"running_key": None, "in_running_set": False},
                  timeout=target.seconds(seconds), description="the running key and set membership to be gone")


@then("the state utility lists the evaluation as running")
def state_utility_lists(context, target):
    snapshot = state_utility.snapshot(target)
    assert context.eval_id in snapshot["running"], f"`state` lists as running: {sorted(snapshot['running'])}"


# -- the status channels --------------------------------------------------------------------------

@given("I listen to the status channels")
def listen(context, redis_state):
    context.recorder = context.cleanup.enter_context(redis_state.recorder())


def published_until_terminal(context, evaluations, target) -> list[str]:
    record = context.record_of(evaluations)
    return waiting.until(lambda: context.recorder.statuses(context.eval_id), lambda seen: record["status"] in seen,
                         timeout=target.seconds(2), description=f"{record['status']} to be published")


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


# -- evaluation_events ----------------------------------------------------------------------------

@then(parsers.parse("evaluation_events holds {expected} in that order"))
def events_in_order(context, evaluations, database, expected):
    context.record_of(evaluations)
    stored = [e["to_status"] for e in database.events(context.eval_id)]
    assert is_in_order(statuses(expected), stored), f"evaluation_events for {context.eval_id}: {stored}"


@then("every stored move is one the contract allows")
def stored_moves_allowed(context, database):
    events = database.events(context.eval_id)
    illegal = [(e["from_status"], e["to_status"]) for e in events if not is_allowed(e["from_status"], e["to_status"])]
    assert not illegal, f"moves the contract does not allow: {illegal} (all: {events})"
    chained = all(later["from_status"] == earlier["to_status"] for earlier, later in zip(events, events[1:]))
    assert chained, f"each move must start where the previous one ended: {events}"
