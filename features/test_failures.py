"""Binds features/failures.feature: one feature, one test module (`pytest features/test_failures.py`)."""
from __future__ import annotations

from pytest_bdd import parsers, scenarios, then

from support.contract import FAILURE_REASONS

scenarios("failures.feature")


# -- steps only this feature uses --

@then("the evaluation fails")
def fails(context):
    record = context.outcome()
    assert record["status"] == "failed" and record["reason"] in FAILURE_REASONS, \
        f"expected failed with one of the contract's reasons: {record}"


@then(parsers.parse('the output is exactly "{text}"'))
def output_is_exactly(context, text):
    assert context.outcome()["output"] == text


@then(parsers.parse('the error is the line "{text}"'))
def error_is_line(context, text):
    assert context.outcome()["error"] == text + "\n"


@then(parsers.parse("the exit code is {code:d}"))
def exit_code_is(context, code):
    record = context.outcome()
    assert record["exit_code"] == code, f"expected exit code {code}: {record}"


@then(parsers.parse("the signal is {number:d}"))
def signal_is(context, number):
    record = context.outcome()
    assert record["signal"] == number, f"expected signal {number}: {record}"


@then(parsers.parse('the output holds the {count:d} lines "{first}" to "{last}" in order'))
def output_holds_lines(context, count, first, last):
    prefix = first.removesuffix("0")
    assert last == f"{prefix}{count - 1}", "the step counts from 0: first ends in 0, last in count-1"
    lines = context.outcome()["output"].splitlines()
    assert lines == [f"{prefix}{i}" for i in range(count)], \
        f"got {len(lines)} lines, first {lines[:2]}, last {lines[-2:]}"


@then(parsers.parse('every one of them fails with reason "{reason}", keeping its output'))
def batch_fails(context, evaluations, reason):
    records = evaluations.wait_all_terminal(context.batch)
    wrong = [r for r in records if (r["status"], r["reason"]) != ("failed", reason) or not r["output"]]
    assert not wrong, f"{len(wrong)} of {len(records)} did not fail/{reason} with their output: {wrong[:3]}"
