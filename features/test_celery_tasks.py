"""Binds features/celery_tasks.feature: one feature, one test module (`pytest features/test_celery_tasks.py`)."""
from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from support import celery_client as tasks

scenarios("celery_tasks.feature")

TASKS = {"health_check": tasks.HEALTH_CHECK, "evaluate_code": tasks.EVALUATE_CODE}
TASK_TIMEOUT = 30.0


# -- steps only this feature uses --

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
def stored_evaluation(context, database, evaluations, docstring):
    context.stored_code = docstring
    context.follow(evaluations, database.store_evaluation(docstring))


@when(parsers.parse('I send its "{task}" task through the broker'))
def send_its_task(context, celery_client, target, task):
    # In the dialect's argument shape (the contract's task takes the id; crucible's the code too).
    result = (celery_client.evaluate_code(context.eval_id, code=context.stored_code) if task == "evaluate_code"
              else celery_client.send(TASKS[task], context.eval_id))
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
