"""Concurrent load: a burst of mixed submissions, every outcome checked, the numbers shown.

The mix is support/workload.py's (fast, slow, failing, timing out, flooding output), the
same as bench/soak.py's at a smaller size. Throughput and latency go to the terminal
report (support/reporting.py); they are measurements, never assertions. Latency is
submit-to-terminal as the platform recorded it (created_at -> completed_at), so the
suite's own polling does not distort it.
"""

from __future__ import annotations

from pytest_bdd import then, when

from support import reporting, workload

# Deadline per evaluation of the burst; generous, as the last one waits for all the others.
LOAD_TIMEOUT = 120.0


@when("I submit the configured load at once: fast, slow, failing, timing out and flooding output")
def submit_load(context, evaluations, target):
    context.kinds = workload.mix(target.load_n)
    context.batch = [context.remember_submission(i)
                     for i in evaluations.submit_many(kind.body() for kind in context.kinds)]


@then("every one of them ends with the outcome its code asked for")
def load_outcomes(context, evaluations):
    context.load_records = evaluations.wait_all_terminal(context.batch, timeout=LOAD_TIMEOUT)
    wrong = workload.wrong_outcomes(context.load_records, context.kinds)
    assert len(context.load_records) == len(context.batch)
    assert not wrong, f"{len(wrong)} of {len(context.batch)} ended otherwise than asked: {wrong[:5]}"


@then("the throughput and latency percentiles are reported")
def report_load(context, request):
    records = context.load_records
    reporting.add_section(request, f"load: {len(records)} concurrent submissions",
                          workload.summary_lines(records))
