"""The queue: Celery tasks sent by name, worker slots, priority order, the queue's counts."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from support import celery_client as tasks, probes, waiting
from support.contract import QUEUE_FIELDS, TERMINAL
from support.evaluations import timestamp

TASKS = {"health_check": tasks.HEALTH_CHECK, "evaluate_code": tasks.EVALUATE_CODE}
TASK_TIMEOUT = 30.0
# Blockers hold every slot for BLOCK_S (+ STAGGER_S per slot, so that slots free one at
# a time and "which started first" is decided by the queue, not by a race between slots).
BLOCK_S = 1.5
STAGGER_S = 0.5


# -- Celery tasks by name -----------------------------------------------------------------------

@when(parsers.parse('I send the "{task}" task through the broker'))
def send_task(context, celery_client, target, task):
    context.task_value = celery_client.send(TASKS[task]).get(timeout=target.seconds(TASK_TIMEOUT))


@then(parsers.parse('the task answers "{status}"'))
def task_answers(context, status):
    assert context.task_value.get("status") == status, context.task_value


@then("the answer names a worker that answers pings")
def task_names_worker(context, celery_client):
    """The contract says `worker: <hostname>`: a worker's node name (name@host) or its host."""
    workers = celery_client.ping()
    names = set(workers) | {node.partition("@")[2] for node in workers}
    assert context.task_value.get("worker") in names, \
        f"the task names {context.task_value.get('worker')!r}; workers answering pings: {sorted(workers)}"


@when(parsers.parse('I send the "{task}" task {count:d} times, one after the other'))
def send_tasks_in_sequence(context, celery_client, target, task, count):
    context.task_values = [celery_client.send(TASKS[task]).get(timeout=target.seconds(TASK_TIMEOUT))
                           for _ in range(count)]


@then(parsers.parse('every one of them answers "{status}"'))
def every_task_answers(context, status):
    assert [v.get("status") for v in context.task_values] == [status] * len(context.task_values), context.task_values


@given("a stored evaluation that no worker has been asked to run:")
def stored_evaluation(context, database, docstring):
    context.eval_id = context.remember_submission(database.store_evaluation(docstring))


@when(parsers.parse('I send its "{task}" task through the broker'))
def send_its_task(context, celery_client, target, task):
    result = celery_client.send(TASKS[task], context.eval_id)
    result.get(timeout=target.seconds(TASK_TIMEOUT), propagate=False)
    context.task_state = result.state


@then("the task succeeds")
def task_succeeds(context):
    assert context.task_state == "SUCCESS", context.task_state


@when(parsers.parse('I follow the states of its "{task}" task'))
def follow_states(context, celery_client, target, task):
    context.task_states, _ = celery_client.follow_states(TASKS[task], context.eval_id,
                                                         timeout=target.seconds(TASK_TIMEOUT))


@then(parsers.parse("the task went through the states {states} in that order"))
def task_states(context, states):
    expected = [s.strip() for s in states.split(",")]
    seen = [s for i, s in enumerate(context.task_states) if i == 0 or s != context.task_states[i - 1]]
    assert seen == expected, f"states seen: {context.task_states}"


@when("no worker holds its task any more")
def task_released(context, celery_client, target):
    """The worker's own last word on the evaluation (its final move) comes before its task
    ends; after this, whatever the store holds is final."""
    waiting.until(celery_client.evaluations_in_hand, lambda held: context.eval_id not in held,
                  timeout=target.seconds(TASK_TIMEOUT), description=f"the workers to let go of {context.eval_id}")


# -- worker slots and priority ------------------------------------------------------------------

@given("every worker slot is busy")
def slots_busy(context, evaluations, platform, target):
    slots = platform.worker_slots
    context.blockers = [
        context.remember_submission(evaluations.submit(
            probes.load("load_slow", seconds=f"{target.seconds(BLOCK_S + STAGGER_S * i):.2f}")))
        for i in range(slots)
    ]
    for eval_id in context.blockers:
        evaluations.wait_running(eval_id)
    context.by_priority = {}


@when(parsers.re(r"I submit (?P<count>\d+) evaluations? of priority (?P<priority>\d+)"))
def submit_with_priority(context, evaluations, count, priority):
    ids = [context.remember_submission(evaluations.submit(f"print('priority {priority}')", priority=int(priority)))
           for _ in range(int(count))]
    context.by_priority.setdefault(int(priority), []).extend(ids)


@when("the busy slots free up")
def slots_free_up(context, evaluations):
    # The precondition of every ordering claim: the submissions were all made while every
    # slot was still busy. If a blocker ended early, the result would prove nothing.
    statuses = {eval_id: evaluations.api.status(eval_id)["status"] for eval_id in context.blockers}
    assert all(s == "running" for s in statuses.values()), \
        f"a slot freed before the submissions were done (raise SUITE_TIMEOUT_SCALE): {statuses}"
    waiting_ids = [i for ids in context.by_priority.values() for i in ids]
    evaluations.wait_all_terminal(context.blockers + waiting_ids)


@when("the workers have moved past it")
def workers_moved_past(context, evaluations):
    """A later evaluation of the same priority completing means the queue has been consumed
    past the earlier one (FIFO within a priority)."""
    evaluations.run("print('after the cancelled one')")


def started(evaluations, eval_id: str):
    record = evaluations.api.evaluation(eval_id)
    assert record["status"] in TERMINAL and record["started_at"], f"never started: {record}"
    return timestamp(record, "started_at")


@then(parsers.parse("the priority {high:d} evaluation started before every priority {low:d} one"))
def high_first(context, evaluations, high, low):
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
