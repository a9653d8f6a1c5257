"""Submitting code and reading what became of it: the suite's core vocabulary.

"The evaluation" is the last one the scenario submitted (context.eval_id); its record is
read when a step first needs it, waiting until it is terminal.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from support import waiting
from support.evaluations import timestamp
from support.contract import FAILURE_REASONS, RECORD_FIELDS, STATUS_FIELDS, SUBMIT_FIELDS, TERMINAL


# -- submitting -------------------------------------------------------------------------------

@when("I run:")
def run(context, evaluations, docstring):
    context.submit(evaluations, docstring)
    context.record_of(evaluations)


@when(parsers.parse('I run in the "{environment}" environment:'))
def run_in(context, evaluations, docstring, environment):
    context.submit(evaluations, docstring, environment=environment)
    context.record_of(evaluations)


@when(parsers.parse('I run with executor_image "{image}":'))
def run_with_executor_image(context, evaluations, docstring, image):
    context.submit(evaluations, docstring, executor_image=image)
    context.record_of(evaluations)


@when("I submit:")
def submit_code(context, evaluations, docstring):
    context.submit(evaluations, docstring)


@given("the evaluation is running")
@when("the evaluation is running")
def evaluation_is_running(context, evaluations):
    evaluations.wait_running(context.eval_id)


@when("the evaluation ends")
def evaluation_ends(context, evaluations):
    context.record_of(evaluations)


@when(parsers.parse("I submit {count:d} evaluations at once, each running:"))
def submit_batch(context, evaluations, docstring, count):
    context.batch = [context.remember_submission(eval_id)
                     for eval_id in evaluations.submit_many({"code": docstring} for _ in range(count))]


# -- outcomes ---------------------------------------------------------------------------------

@then("the evaluation completes")
def completes(context, evaluations):
    record = context.record_of(evaluations)
    assert (record["status"], record["exit_code"], record["reason"]) == ("completed", 0, None), \
        f"expected completed with exit code 0 and no reason: {record}"


@then(parsers.parse('the evaluation fails with reason "{reason}"'))
def fails_with(context, evaluations, reason):
    record = context.record_of(evaluations)
    assert (record["status"], record["reason"]) == ("failed", reason), f"expected failed/{reason}: {record}"


@then("the evaluation fails")
def fails(context, evaluations):
    record = context.record_of(evaluations)
    assert record["status"] == "failed" and record["reason"] in FAILURE_REASONS, \
        f"expected failed with one of the contract's reasons: {record}"


@then(parsers.parse('the output is the line "{text}"'))
def output_is_line(context, evaluations, text):
    assert context.record_of(evaluations)["output"] == text + "\n"


@then(parsers.parse('the output is exactly "{text}"'))
def output_is_exactly(context, evaluations, text):
    assert context.record_of(evaluations)["output"] == text


@then(parsers.parse('the output contains "{text}"'))
def output_contains(context, evaluations, text):
    assert text in (context.record_of(evaluations)["output"] or "")


@then(parsers.parse('the error contains "{text}"'))
def error_contains(context, evaluations, text):
    assert text in (context.record_of(evaluations)["error"] or "")


@then(parsers.parse('the error is the line "{text}"'))
def error_is_line(context, evaluations, text):
    assert context.record_of(evaluations)["error"] == text + "\n"


@then(parsers.parse("the exit code is {code:d}"))
def exit_code_is(context, evaluations, code):
    record = context.record_of(evaluations)
    assert record["exit_code"] == code, f"expected exit code {code}: {record}"


@then(parsers.parse("the signal is {number:d}"))
def signal_is(context, evaluations, number):
    record = context.record_of(evaluations)
    assert record["signal"] == number, f"expected signal {number}: {record}"


@then(parsers.parse('the output holds the {count:d} lines "{first}" to "{last}" in order'))
def output_holds_lines(context, evaluations, count, first, last):
    prefix = first.removesuffix("0")
    assert last == f"{prefix}{count - 1}", "the step counts from 0: first ends in 0, last in count-1"
    lines = context.record_of(evaluations)["output"].splitlines()
    assert lines == [f"{prefix}{i}" for i in range(count)], \
        f"got {len(lines)} lines, first {lines[:2]}, last {lines[-2:]}"


@then("the output is the line holding the evaluation's own id")
def output_is_own_id(context, evaluations):
    assert context.record_of(evaluations)["output"] == context.eval_id + "\n"


@then(parsers.parse('the record names the environment "{environment}"'))
def record_names_environment(context, evaluations, environment):
    assert context.record_of(evaluations)["environment"] == environment


@then(parsers.parse('every one of them fails with reason "{reason}", keeping its output'))
def batch_fails(context, evaluations, reason):
    records = evaluations.wait_all_terminal(context.batch)
    wrong = [r for r in records if (r["status"], r["reason"]) != ("failed", reason) or not r["output"]]
    assert not wrong, f"{len(wrong)} of {len(records)} did not fail/{reason} with their output: {wrong[:3]}"


@then("none of them is listed as running")
def none_listed_running(context, evaluations):
    evaluations.wait_all_terminal(context.batch)
    still = evaluations.listed_ids("running") & set(context.batch)
    assert not still, f"terminal evaluations still listed as running: {sorted(still)}"


# -- the API's views of one evaluation -----------------------------------------------------------

@then('the answer holds the evaluation id, the status "queued", a message and a queue position')
def submit_answer(context):
    answer = context.submission
    assert SUBMIT_FIELDS <= answer.keys(), f"missing {SUBMIT_FIELDS - answer.keys()}: {answer}"
    assert answer["status"] == "queued" and answer["eval_id"] and isinstance(answer["message"], str)
    assert isinstance(answer["queue_position"], int) and answer["queue_position"] >= 0, answer


@then("created_at, queued_at, started_at and completed_at are in order")
def timestamps_ordered(context, evaluations):
    record = context.record_of(evaluations)
    times = [timestamp(record, f) for f in ("created_at", "queued_at", "started_at", "completed_at")]
    assert times == sorted(times), f"timestamps out of order: {times}"


@then(parsers.parse("runtime_ms is at least {minimum:d} and fits between started_at and completed_at"))
def runtime_agrees(context, evaluations, minimum):
    record = context.record_of(evaluations)
    span_ms = (timestamp(record, "completed_at") - timestamp(record, "started_at")).total_seconds() * 1000
    assert minimum <= record["runtime_ms"] <= span_ms + 1, \
        f"runtime_ms {record['runtime_ms']} vs at least {minimum} and started→completed {span_ms:.0f} ms"


@then("the record carries every field of the contract")
def record_fields(context, evaluations):
    record = context.record_of(evaluations)
    assert RECORD_FIELDS <= record.keys(), f"missing fields: {sorted(RECORD_FIELDS - record.keys())}"


@then(parsers.parse('the record shows the code, the language "{language}", the engine and the worker'))
def record_shows(context, evaluations, language):
    record = context.record_of(evaluations)
    assert record["eval_id"] == context.eval_id and record["language"] == language
    assert record["code"] and record["engine"] and record["worker_id"], record


@then(parsers.parse('the status view says "{status}" and success is {success}'))
def status_view(context, evaluations, status, success):
    context.record_of(evaluations)
    view = evaluations.api.status(context.eval_id)
    assert STATUS_FIELDS <= view.keys(), f"missing {STATUS_FIELDS - view.keys()}: {view}"
    assert (view["status"], view["success"]) == (status, success == "true"), view


@then(parsers.parse('the logs view shows the output "{output}", the error "{error}", exit code {code:d} and not running'))
def logs_view_final(context, evaluations, output, error, code):
    context.record_of(evaluations)
    logs = evaluations.api.logs(context.eval_id)
    assert (logs["output"], logs["error"], logs["exit_code"], logs["is_running"]) == \
        (output + "\n", error + "\n", code, False), logs


@then(parsers.parse('the logs view shows "{text}" while the evaluation is still running'))
def logs_view_live(context, evaluations, text):
    logs = waiting.until(lambda: evaluations.api.logs(context.eval_id), lambda l: text in (l["output"] or ""),
                         timeout=evaluations.scale * 10, description=f"the logs to show {text!r}")
    assert logs["is_running"] and logs["status"] == "running", f"not running any more: {logs}"


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


@given(parsers.parse("at least {count:d} evaluations exist"))
def evaluations_exist(context, evaluations, count):
    ids = evaluations.submit_many({"code": f"print({i})"} for i in range(count))
    context.batch = [context.remember_submission(i) for i in ids]
    evaluations.wait_all_terminal(ids)


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


# -- cancelling -----------------------------------------------------------------------------------

@given("I cancel the evaluation")
@when("I cancel the evaluation")
def cancel(context, evaluations):
    if context.has("record"):
        context.record_before_cancel = context.record
    context.cancel_response = evaluations.api.cancel(context.eval_id)
    context.response = context.cancel_response
    context.__dict__.pop("record", None)


@then(parsers.parse('the evaluation reads "{status}" with reason "{reason}"'))
def reads_status_reason(context, evaluations, status, reason):
    view = evaluations.wait_status(context.eval_id, lambda s: s in TERMINAL, "to end")
    assert (view["status"], view["reason"]) == (status, reason), view


@then(parsers.parse('the evaluation reads "{status}" within {seconds:d} second'))
def reads_status_within(context, evaluations, status, seconds):
    evaluations.wait_status(context.eval_id, lambda s: s == status, f"to read {status}", timeout=seconds)


@then("the evaluation never started")
def never_started(context, evaluations, database):
    record = evaluations.api.evaluation(context.eval_id)
    assert record["status"] == "cancelled" and record["started_at"] is None and not record["output"], record
    ran = [e for e in database.events(context.eval_id) if e["to_status"] in {"provisioning", "running"}]
    assert not ran, f"the cancelled evaluation was moved to {ran}"


@then(parsers.parse('the cancel is refused with {code:d} and the status "{status}"'))
def cancel_refused(context, code, status):
    response = context.cancel_response
    assert response.status_code == code, f"{response.status_code}: {response.text}"
    assert response.json()["status"] == status, response.text


@then("the record is unchanged")
def record_unchanged(context, evaluations):
    assert evaluations.api.evaluation(context.eval_id) == context.record_before_cancel


@when("I cancel an evaluation that does not exist")
def cancel_unknown(context, evaluations):
    context.response = evaluations.api.cancel("00000000-0000-0000-0000-000000000000")
