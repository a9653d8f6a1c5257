"""The shared vocabulary of running code and reading what became of it.

"The evaluation" is the last one the scenario ran or submitted (support/context.py).
`I run` goes through the session's runner (`sandbox`), so the same sentence judges a
platform or a sandbox command; `I submit` (without waiting) and the API's views are a
platform's, and only platform scenarios use them (support/gating.py).
"""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from support import waiting
from support.contract import TERMINAL

LIMIT_PHRASES = {
    "timeout": re.compile(r"a timeout of (?P<value>\d+) seconds?"),
    "memory_limit": re.compile(r'a memory limit of "(?P<value>[^"]+)"'),
}


def limit_fields(text: str) -> dict:
    """'a timeout of 2 seconds and a memory limit of "64Mi"' -> submission fields."""
    fields = {}
    for part in text.split(" and "):
        for field, phrase in LIMIT_PHRASES.items():
            match = phrase.fullmatch(part.strip())
            if match:
                fields[field] = int(match["value"]) if field == "timeout" else match["value"]
                break
        else:
            raise AssertionError(f"not a limit this step knows: {part!r} (known: {list(LIMIT_PHRASES)})")
    return fields


# -- running and submitting -------------------------------------------------------------------

@when("I run:")
def run(context, sandbox, docstring):
    context.run(sandbox, docstring)


@when(parsers.re(r"I run, with (?P<limits>.+):"))
def run_with_limits(context, sandbox, docstring, limits):
    context.limits = limit_fields(limits)
    context.run(sandbox, docstring, **context.limits)


@when(parsers.re(r"I submit, with (?P<limits>.+):"))
def submit_with_limits(context, evaluations, docstring, limits):
    context.limits = limit_fields(limits)
    context.submit(evaluations, docstring, **context.limits)


@when("I submit:")
def submit_code(context, evaluations, docstring):
    context.submit(evaluations, docstring)


@given("the evaluation is running")
@when("the evaluation is running")
def evaluation_is_running(context, evaluations):
    evaluations.wait_running(context.eval_id)


@when(parsers.parse("I submit {count:d} evaluations at once, each running:"))
def submit_batch(context, evaluations, docstring, count):
    context.batch = [context.remember_submission(eval_id)
                     for eval_id in evaluations.submit_many({"code": docstring} for _ in range(count))]


@given(parsers.parse("at least {count:d} evaluations exist"))
def evaluations_exist(context, evaluations, count):
    ids = evaluations.submit_many({"code": f"print({i})"} for i in range(count))
    context.batch = [context.remember_submission(i) for i in ids]
    evaluations.wait_all_terminal(ids)


# -- outcomes ---------------------------------------------------------------------------------

@then("the evaluation completes")
def completes(context):
    record = context.outcome()
    assert (record["status"], record["exit_code"], record["reason"]) == ("completed", 0, None), \
        f"expected completed with exit code 0 and no reason: {record}"


@then(parsers.parse('the evaluation fails with reason "{reason}"'))
def fails_with(context, reason):
    record = context.outcome()
    assert (record["status"], record["reason"]) == ("failed", reason), f"expected failed/{reason}: {record}"


@then(parsers.parse('the output is the line "{text}"'))
def output_is_line(context, text):
    output = context.outcome()["output"]
    assert output == text + "\n", f"the output is {output!r}, not the line {text!r}"


@then(parsers.parse('the output contains "{text}"'))
def output_contains(context, text):
    output = context.outcome()["output"] or ""
    assert text in output, f"{text!r} is not in the output {output[-500:]!r}"


@then(parsers.parse('the error contains "{text}"'))
def error_contains(context, text):
    error = context.outcome()["error"] or ""
    assert text in error, f"{text!r} is not in the error {error[-500:]!r}"


@then("none of them is listed as running")
def none_listed_running(context, evaluations):
    evaluations.wait_all_terminal(context.batch)
    still = evaluations.listed_ids("running") & set(context.batch)
    assert not still, f"terminal evaluations still listed as running: {sorted(still)}"


@then(parsers.parse('the logs view shows "{text}" while the evaluation is still running'))
def logs_view_live(context, evaluations, text):
    logs = waiting.until(lambda: evaluations.api.logs(context.eval_id), lambda l: text in (l["output"] or ""),
                         timeout=evaluations.scale * 10, description=f"the logs to show {text!r}")
    assert logs["is_running"] and logs["status"] == "running", f"not running any more: {logs}"


# -- cancelling -----------------------------------------------------------------------------------

@given("I cancel the evaluation")
@when("I cancel the evaluation")
def cancel(context, evaluations):
    if context.has("record"):
        context.record_before_cancel = context.record
    context.cancel_response = evaluations.api.cancel(context.eval_id)
    context.response = context.cancel_response
    context.forget_outcome()


@then(parsers.parse('the evaluation reads "{status}" with reason "{reason}"'))
def reads_status_reason(context, evaluations, status, reason):
    view = evaluations.wait_status(context.eval_id, lambda s: s in TERMINAL, "to end")
    assert (view["status"], view["reason"]) == (status, reason), view
