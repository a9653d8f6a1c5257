"""Binds features/priority.feature: the order in which waiting evaluations start, and the
queue's counts by priority."""
from __future__ import annotations

from pytest_bdd import parsers, scenarios, then, when

from support.contract import QUEUE_FIELDS, TERMINAL
from support.evaluations import timestamp

scenarios("priority.feature")

def started(evaluations, eval_id: str):
    record = evaluations.api.evaluation(eval_id)
    assert record["status"] in TERMINAL and record["started_at"], f"never started: {record}"
    return timestamp(record, "started_at")


# -- steps only this feature uses --

@when(parsers.re(r"I submit (?P<count>\d+) evaluations? of priority (?P<priority>-?\d+)"))
def submit_with_priority(context, evaluations, count, priority):
    ids = [context.remember_submission(evaluations.submit(f"print('priority {priority}')", priority=int(priority)))
           for _ in range(int(count))]
    context.by_priority.setdefault(int(priority), []).extend(ids)


@then(parsers.re(r"the priority (?P<high>-?\d+) evaluation started before (?:every priority (?P<low>-?\d+) one|"
                 r"the priority (?P<other>-?\d+) one)"))
def high_first(context, evaluations, high, low, other):
    high, low = int(high), int(low or other)
    [first] = [started(evaluations, i) for i in context.by_priority[high]]
    lows = {i: started(evaluations, i) for i in context.by_priority[low]}
    earlier = {i: t.isoformat() for i, t in lows.items() if t <= first}
    assert not earlier, f"priority {low} evaluations started before the priority {high} one ({first}): {earlier}"


@then(parsers.parse("the priority {priority:d} evaluations started in the order they were submitted"))
def fifo_within_priority(context, evaluations, priority):
    times = [started(evaluations, i) for i in context.by_priority[priority]]
    assert times == sorted(times), f"start times in submission order: {[t.isoformat() for t in times]}"


@when("I ask for the queue status")
def ask_queue_status(context, api):
    context.queue_status = api.queue_status()


@then("it reports queued, running, completed, failed and cancelled counts, by priority, with workers and capacity")
def queue_status_shape(context, platform):
    status = context.queue_status
    assert QUEUE_FIELDS <= status.keys(), f"missing {QUEUE_FIELDS - status.keys()}: {status}"
    counts = {k: status[k] for k in ("queued", "running", "completed", "failed", "cancelled", "workers", "capacity")}
    assert all(isinstance(v, int) and v >= 0 for v in counts.values()), counts
    assert isinstance(status["by_priority"], dict), status
    assert status["capacity"] == platform.worker_slots and status["workers"] >= 1, status


@then(parsers.parse("the queue status shows {first:d} waiting at priority {p1:d} and {second:d} waiting at priority {p2:d}"))
def queue_counts_by_priority(api, first, p1, second, p2):
    status = api.queue_status()
    by_priority = {int(p): n for p, n in status["by_priority"].items()}
    assert (by_priority.get(p1, 0), by_priority.get(p2, 0)) == (first, second), status
    assert status["queued"] >= first + second, status
