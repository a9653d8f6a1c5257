"""Binds features/redis_state.feature: the platform's live state in Redis, read as the
contract names it (`eval:{id}:running`, `running_evaluations`) through support/redis_state.py."""
from __future__ import annotations

from pytest_bdd import parsers, scenarios, then, when

from support import waiting
from support.contract import RUNNING_KEY_FIELDS

scenarios("redis_state.feature")


# -- steps only this feature uses --

@when("the evaluation ends")
def evaluation_ends(context):
    context.outcome()


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


@then("the running set and the API's list of running evaluations agree, this one included")
def running_set_agrees(context, redis_state, evaluations):
    in_redis, listed = redis_state.running_members(), evaluations.listed_ids("running")
    assert context.eval_id in in_redis and context.eval_id in listed, \
        f"{context.eval_id} runs; in the running set: {context.eval_id in in_redis}, listed: {context.eval_id in listed}"
    # An evaluation that started or ended between the two reads is no fault; one that still
    # differs when both are read again is.
    differ = (in_redis ^ listed) & (redis_state.running_members() ^ evaluations.listed_ids("running"))
    assert not differ, f"the running set and the API disagree about {sorted(differ)}"
