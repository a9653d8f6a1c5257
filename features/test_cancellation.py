"""Binds features/cancellation.feature: one feature, one test module (`pytest features/test_cancellation.py`)."""
from __future__ import annotations

import pytest
from pytest_bdd import parsers, scenarios, then, when

from support import probes, waiting
from support.contract import TERMINAL
from support.sightings import Sightings

scenarios("cancellation.feature")

TASK_TIMEOUT = 30.0


# -- steps only this feature uses --

@then(parsers.parse('the evaluation reads "{status}" within {seconds:d} second'))
def reads_status_within(context, evaluations, status, seconds):
    evaluations.wait_status(context.eval_id, lambda s: s == status, f"to read {status}", timeout=seconds)


@then("the evaluation never started")
def never_started(context, evaluations, database):
    record = evaluations.api.evaluation(context.eval_id)
    assert record["status"] == "cancelled" and record["started_at"] is None and not record["output"], record
    ran = [e for e in database.events(context.eval_id) if e["to_status"] in {"provisioning", "running"}]
    assert not ran, f"the cancelled evaluation was moved to {ran}"


@when("I watch the running set, its live log and the status channels for it")
def watch_cancelled(context, evaluations, redis_state):
    eval_id = context.eval_id
    channels = context.cleanup.enter_context(redis_state.recorder())

    def seen_running() -> list[str]:
        seen = [f"published {status}" for status in channels.statuses(eval_id) if status != "cancelled"]
        traces = redis_state.traces(eval_id)
        if traces["running_key"] is not None or traces["in_running_set"]:
            seen.append(f"in Redis as running: {traces}")
        logs = evaluations.api.logs(eval_id)
        if logs["output"] or logs["error"] or logs["is_running"]:
            seen.append(f"in the live log: {logs}")
        return seen

    context.sightings = context.cleanup.enter_context(Sightings(seen_running))


@then("it was never seen running, nor its output in the live log")
def never_seen_running(context):
    sightings = context.sightings.stop()
    assert sightings.samples > 0, f"the watch never looked (last error: {sightings.last_error})"
    assert not sightings.seen, (f"the cancelled evaluation was seen running {len(sightings.seen)} times "
                                f"in {sightings.samples} looks; first: {sightings.seen[0]}")
    assert sightings.last_error is None, f"the watch could not always look: {sightings.last_error}"


@then(parsers.parse('the cancel is refused, answering the unchanged status "{status}"'))
def cancel_refused(context, api, status):
    """Refused as the dialect refuses it (the contract: 409; crucible: 200 "already in
    terminal state"), with the status it keeps."""
    response = context.cancel_response
    assert api.refused_as(response) == status, \
        f"not refused as an evaluation that had ended {status}: {response.status_code} {response.text}"


@then("the record is unchanged")
def record_unchanged(context, evaluations):
    assert evaluations.api.evaluation(context.eval_id) == context.record_before_cancel


@when("I cancel an evaluation that does not exist")
def cancel_unknown(context, evaluations):
    context.response = evaluations.api.cancel(evaluations.api.dialect.unknown_id)


@when("no worker holds its task any more")
def task_released(context, celery_client, target):
    """The worker's own last word on the evaluation (its final move) comes before its task
    ends; after this, whatever the store holds is final."""
    waiting.until(celery_client.evaluations_in_hand, lambda held: context.eval_id not in held,
                  timeout=target.seconds(TASK_TIMEOUT), description=f"the workers to let go of {context.eval_id}")


@when("the workers have moved past it")
def workers_moved_past(context, evaluations):
    """A later evaluation of the same priority completing means the queue has been consumed
    past the earlier one (FIFO within a priority)."""
    evaluations.run("print('after the cancelled one')")


@when(parsers.parse("I submit {count:d} short evaluations and then cancel each of them, the last submitted first"))
def cancel_racing(context, evaluations, count):
    """Cancelled newest first, the first ones have ended by their cancel, the last ones are
    still queued, and those between are caught running or just ending: the race is spread
    over a run's whole life without any delay of the suite's."""
    context.batch = [context.remember_submission(i) for i in
                     evaluations.submit_many({"code": probes.load("load_slow", seconds="0.05")} for _ in range(count))]
    context.cancel_answers = {eval_id: evaluations.api.cancel(eval_id) for eval_id in reversed(context.batch)}


@then("each ends in one terminal status, the one its cancel answered")
def one_terminal_status(context, evaluations, database):
    for record in evaluations.wait_all_terminal(context.batch):
        answer = context.cancel_answers[record["eval_id"]]
        assert answer.status_code == 200 or evaluations.api.refused_as(answer), \
            f"cancel answered {answer.status_code}: {answer.text}"
        assert answer.json()["status"] == record["status"], \
            f"the cancel answered {answer.json()}, the evaluation ended {record['status']}"
        ends = [e for e in database.events(record["eval_id"]) if e["to_status"] in TERMINAL]
        assert [e["to_status"] for e in ends] == [record["status"]], f"terminal moves stored: {ends}"


@then("some of them were cancelled and some had completed")
def both_ways(context, evaluations):
    outcomes = {evaluations.api.status(i)["status"] for i in context.batch}
    if not {"cancelled", "completed"} <= outcomes:
        pytest.fail(f"not run: the race was not exercised both ways (outcomes {sorted(outcomes)}); "
                    f"the platform ran the batch faster or slower than the cancels could catch")


@then("none of them keeps a running key or a place in the running set")
def no_running_state(context, redis_state, target):
    waiting.until(lambda: {i: redis_state.traces(i) for i in context.batch},
                  lambda traces: all(t == {"running_key": None, "in_running_set": False} for t in traces.values()),
                  timeout=target.seconds(1), description="no running state of the batch to remain")
