"""Binds features/load.feature: a burst of mixed submissions (support/workload.py), every
outcome checked; throughput and latency shown in the terminal report, never asserted."""
from __future__ import annotations

from pytest_bdd import scenarios, then, when

from support import reporting, workload
from support.evaluations import timestamp

scenarios("load.feature")

# Deadline per evaluation of the burst; generous, as the last one waits for all the others.
LOAD_TIMEOUT = 120.0


# -- steps only this feature uses --

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


@then("each of them recorded when it was created, started and ended, in that order")
def load_timestamps(context, request):
    records = context.load_records
    out_of_order = []
    for record in records:
        times = [record.get(f) and timestamp(record, f) for f in ("created_at", "started_at", "completed_at")]
        if not all(times) or times != sorted(times):
            out_of_order.append({k: record.get(k) for k in ("eval_id", "created_at", "started_at", "completed_at")})
    assert not out_of_order, f"{len(out_of_order)} records lack or disorder their timestamps: {out_of_order[:3]}"
    reporting.add_section(request, f"load: {len(records)} concurrent submissions", workload.summary_lines(records))
