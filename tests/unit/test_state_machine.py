"""The store's state machine (store.transition) against a real PostgreSQL and Redis.

Every allowed move is made and recorded once; every refused move raises and writes
nothing; repeating a status is a no-op; a terminal evaluation never changes again.
Which timestamps and counters a move sets is SQL inside the move's one statement, so
it is checked against PostgreSQL too.
"""

from __future__ import annotations

import itertools
import json

import pytest

from evalplatform import contract as c

# Shortest path from `submitted` to each status, through allowed moves only.
PATH_TO = {
    c.SUBMITTED: [],
    c.QUEUED: [c.QUEUED],
    c.PROVISIONING: [c.QUEUED, c.PROVISIONING],
    c.RUNNING: [c.QUEUED, c.RUNNING],
    c.COMPLETED: [c.QUEUED, c.RUNNING, c.COMPLETED],
    c.FAILED: [c.FAILED],
    c.CANCELLED: [c.CANCELLED],
}
ALLOWED = [(a, b) for a, targets in c.ALLOWED_MOVES.items() for b in sorted(targets)]
REFUSED = [(a, b) for a, b in itertools.product(c.STATUSES, c.STATUSES)
           if a != b and not c.is_allowed(a, b)]


# -- against PostgreSQL ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def store():
    from evalplatform import state, store
    from evalplatform.stack import Stack
    with Stack(with_api=False, with_workers=False) as stack:
        store.init(stack.urls["DATABASE_URL"])
        state.init(stack.urls["REDIS_URL"])
        yield store


def _evaluation_at(store, status: str) -> str:
    eval_id = store.create_evaluation(code="print(1)")["eval_id"]
    for step in PATH_TO[status]:
        assert store.transition(eval_id, step, reason=_reason(step))
    return eval_id


# -- which fields a move writes ----------------------------------------------------------

def test_pick_up_counts_an_attempt_and_sets_started_at(store):
    eval_id = _evaluation_at(store, c.QUEUED)
    assert store.transition(eval_id, c.RUNNING, worker_id="w1")
    record = store.get_evaluation(eval_id)
    assert (record["status"], record["attempts"], record["worker_id"]) == (c.RUNNING, 1, "w1")
    assert record["started_at"] is not None


def test_terminal_move_sets_completed_at_and_reason(store):
    eval_id = _evaluation_at(store, c.RUNNING)
    assert store.transition(eval_id, c.FAILED, reason=c.REASON_TIMEOUT, exit_code=None)
    record = store.get_evaluation(eval_id)
    assert (record["status"], record["reason"]) == (c.FAILED, c.REASON_TIMEOUT)
    assert record["completed_at"] is not None


def test_requeue_after_lost_worker_sets_queued_at_without_an_attempt(store):
    eval_id = _evaluation_at(store, c.RUNNING)
    first_queued_at = store.get_evaluation(eval_id)["queued_at"]
    assert store.transition(eval_id, c.QUEUED, reason=c.REASON_WORKER_LOST)
    record = store.get_evaluation(eval_id)
    assert record["attempts"] == 1 and record["queued_at"] > first_queued_at


def _reason(status: str):
    return {c.FAILED: c.REASON_NONZERO_EXIT, c.CANCELLED: c.REASON_CANCELLED}.get(status)


integration = pytest.mark.integration


@integration
@pytest.mark.parametrize("from_status,to_status", ALLOWED)
def test_every_allowed_move_happens_and_is_logged_once(store, from_status, to_status):
    eval_id = _evaluation_at(store, from_status)
    before = len(store.events(eval_id))
    assert store.transition(eval_id, to_status, reason=_reason(to_status)) is True
    record = store.get_evaluation(eval_id)
    assert record["status"] == to_status
    events = store.events(eval_id)
    assert len(events) == before + 1
    assert (events[-1]["from_status"], events[-1]["to_status"]) == (from_status, to_status)
    if to_status in c.TERMINAL:
        assert record["completed_at"] is not None


@integration
@pytest.mark.parametrize("from_status,to_status", REFUSED)
def test_every_refused_move_raises_and_writes_nothing(store, from_status, to_status):
    eval_id = _evaluation_at(store, from_status)
    before = (store.get_evaluation(eval_id), store.events(eval_id))
    with pytest.raises(store.IllegalTransition) as refused:
        store.transition(eval_id, to_status, exit_code=99)
    assert (refused.value.from_status, refused.value.to_status) == (from_status, to_status)
    assert (store.get_evaluation(eval_id), store.events(eval_id)) == before


@integration
@pytest.mark.parametrize("status", c.STATUSES)
def test_repeating_the_status_is_a_noop(store, status):
    eval_id = _evaluation_at(store, status)
    before = (store.get_evaluation(eval_id), store.events(eval_id))
    assert store.transition(eval_id, status, exit_code=7, output="changed") is False
    assert (store.get_evaluation(eval_id), store.events(eval_id)) == before


@integration
@pytest.mark.parametrize("terminal", sorted(c.TERMINAL))
def test_a_terminal_evaluation_never_changes(store, terminal):
    eval_id = _evaluation_at(store, terminal)
    before = (store.get_evaluation(eval_id), store.events(eval_id))
    for other in c.STATUSES:
        if other == terminal:
            continue
        with pytest.raises(store.IllegalTransition):
            store.transition(eval_id, other)
        assert store.transition(eval_id, other, expect_from={c.RUNNING}) is False
    assert (store.get_evaluation(eval_id), store.events(eval_id)) == before


@integration
def test_expect_from_lets_the_loser_of_a_race_back_off(store):
    eval_id = _evaluation_at(store, c.QUEUED)
    assert store.transition(eval_id, c.CANCELLED, reason=c.REASON_CANCELLED)
    # The worker saw `queued` a moment ago; the cancel won, so its start is refused quietly.
    assert store.transition(eval_id, c.RUNNING, expect_from={c.QUEUED}) is False
    assert store.get_evaluation(eval_id)["status"] == c.CANCELLED


@integration
def test_result_fields_are_written_with_the_move(store):
    eval_id = _evaluation_at(store, c.RUNNING)
    assert store.transition(eval_id, c.COMPLETED, exit_code=0, output="1\n", error="",
                            output_truncated=False, runtime_ms=12.5, worker_id="worker0@h")
    record = store.get_evaluation(eval_id)
    assert (record["exit_code"], record["output"], record["runtime_ms"], record["worker_id"]) == \
        (0, "1\n", 12.5, "worker0@h")


@integration
def test_unknown_fields_and_statuses_are_programming_errors(store):
    eval_id = _evaluation_at(store, c.QUEUED)
    with pytest.raises(TypeError):
        store.transition(eval_id, c.RUNNING, status="completed")
    with pytest.raises(ValueError):
        store.transition(eval_id, "finished")
    with pytest.raises(store.EvaluationNotFound):
        store.transition("no-such-evaluation", c.QUEUED)


@integration
def test_a_move_is_published_after_commit_and_terminal_clears_running(store):
    from evalplatform import state
    eval_id = _evaluation_at(store, c.RUNNING)
    state.mark_running(eval_id, worker_id="w", executor_id="e", started_at="t", timeout=5)
    pubsub = state.client().pubsub()
    pubsub.subscribe(state.channel(c.COMPLETED))
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    store.transition(eval_id, c.COMPLETED, exit_code=0)
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    payload = json.loads(message["data"])
    assert (payload["eval_id"], payload["status"]) == (eval_id, c.COMPLETED)
    assert set(payload) == {"eval_id", "status", "reason", "at"}
    assert eval_id not in state.running_ids()
    assert state.running_info(eval_id) is None


@integration
def test_requeue_after_a_lost_worker_drops_the_running_keys(store):
    from evalplatform import state
    eval_id = _evaluation_at(store, c.RUNNING)
    state.mark_running(eval_id, worker_id="w", executor_id="e", started_at="t", timeout=5)
    assert store.transition(eval_id, c.QUEUED, reason=c.REASON_WORKER_LOST)
    assert eval_id not in state.running_ids() and state.running_info(eval_id) is None
