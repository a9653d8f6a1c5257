"""The store against a real PostgreSQL: records, listings, counts, events, staleness, migrations."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta, timezone

import pytest

from evalplatform import contract as c
from evalplatform import store

pytestmark = pytest.mark.integration

RECORD_FIELDS = {
    "eval_id", "code", "language", "environment", "priority", "status", "reason", "created_at",
    "queued_at", "started_at", "completed_at", "exit_code", "signal", "output", "error",
    "output_truncated", "error_truncated", "runtime_ms", "memory_used_mb", "engine",
    "worker_id", "metadata",
}


def test_a_new_evaluation_is_submitted_with_its_fields(connected):
    record = store.create_evaluation(code="print(1)", priority=3, timeout=7, memory_limit="128Mi",
                                     expect_failure=True, metadata={"suite": "x", "n": [1, 2]})
    assert RECORD_FIELDS <= set(record)
    assert (record["status"], record["priority"], record["timeout"], record["memory_limit"]) == \
        (c.SUBMITTED, 3, 7, "128Mi")
    assert record["code_hash"] == hashlib.sha256(b"print(1)").hexdigest()
    assert store.get_evaluation(record["eval_id"]) == record
    assert store.get_evaluation(record["eval_id"])["metadata"] == {"suite": "x", "n": [1, 2]}
    assert [(e["from_status"], e["to_status"]) for e in store.events(record["eval_id"])] == \
        [(None, c.SUBMITTED)]


def test_unknown_ids_are_none_not_errors(connected):
    assert store.get_evaluation("not-a-uuid at all") is None
    assert store.events("not-a-uuid at all") == []


def test_output_and_error_are_stored_with_truncation_flags(connected):
    eval_id = store.create_evaluation(code="x")["eval_id"]
    store.transition(eval_id, c.QUEUED)
    store.transition(eval_id, c.RUNNING)
    big = "y" * 100_000
    store.transition(eval_id, c.FAILED, reason=c.REASON_OUTPUT_LIMIT, output=big,
                     output_truncated=True, error="\u00e9rror \U0001F600", error_truncated=False)
    record = store.get_evaluation(eval_id)
    assert (record["output"], record["output_truncated"]) == (big, True)
    assert (record["error"], record["error_truncated"]) == ("\u00e9rror \U0001F600", False)


def test_list_is_newest_first_filtered_and_paged(connected):
    marker = f"list-{datetime.now().timestamp()}"
    ids = [store.create_evaluation(code=f"{marker} {i}")["eval_id"] for i in range(5)]
    store.transition(ids[1], c.QUEUED)
    items, total = store.list_evaluations(limit=3)
    assert [i["eval_id"] for i in items] == ids[::-1][:3]
    assert total >= 5
    page2, _ = store.list_evaluations(limit=3, offset=3)
    assert page2[0]["eval_id"] == ids[1]
    assert items[0]["code_preview"] == f"{marker} 4"
    queued, queued_total = store.list_evaluations(status=c.QUEUED, limit=1000)
    assert ids[1] in {i["eval_id"] for i in queued}
    assert all(i["status"] == c.QUEUED for i in queued) and queued_total == len(queued)


def test_counts_and_queued_by_priority_follow_moves(connected):
    counts_before, by_priority_before = store.counts_by_status(), store.queued_by_priority()
    eval_id = store.create_evaluation(code="p", priority=9)["eval_id"]
    store.transition(eval_id, c.QUEUED)
    counts, by_priority = store.counts_by_status(), store.queued_by_priority()
    assert set(counts) == set(c.STATUSES)
    assert counts[c.QUEUED] == counts_before[c.QUEUED] + 1
    assert by_priority[9] == by_priority_before.get(9, 0) + 1
    store.transition(eval_id, c.CANCELLED, reason=c.REASON_CANCELLED)
    assert store.queued_by_priority().get(9, 0) == by_priority_before.get(9, 0)


def test_stale_evaluations_are_those_past_timeout_plus_grace(connected):
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=100)
    stale = store.create_evaluation(code="s", timeout=10)["eval_id"]
    fresh = store.create_evaluation(code="f", timeout=10)["eval_id"]
    waiting = store.create_evaluation(code="w", timeout=10)["eval_id"]
    for eval_id in (stale, fresh, waiting):
        store.transition(eval_id, c.QUEUED)
    store.transition(stale, c.RUNNING, started_at=long_ago)
    store.transition(fresh, c.RUNNING)
    found = {r["eval_id"] for r in store.stale_evaluations(grace_s=15)}
    assert stale in found and fresh not in found and waiting not in found
    assert waiting in {r["eval_id"] for r in store.stale_evaluations(grace_s=15, queued_max_age_s=0)}
    store.transition(stale, c.FAILED, reason=c.REASON_WORKER_LOST)
    assert stale not in {r["eval_id"] for r in store.stale_evaluations(grace_s=15)}


@pytest.mark.parametrize("attempt", range(5))
def test_concurrent_moves_record_exactly_one_terminal_status(connected, attempt):
    """A cancel and a completion racing: one wins, the other backs off, one terminal event.
    (Without the row lock this fails most attempts; hence several.)"""
    eval_id = store.create_evaluation(code="race")["eval_id"]
    store.transition(eval_id, c.QUEUED)
    store.transition(eval_id, c.RUNNING)
    outcomes, barrier = [], threading.Barrier(2)

    def move(status, reason):
        barrier.wait()
        try:
            outcomes.append((status, store.transition(eval_id, status, reason=reason,
                                                      expect_from={c.RUNNING})))
        except store.IllegalTransition:
            outcomes.append((status, "refused"))

    threads = [threading.Thread(target=move, args=a) for a in
               ((c.COMPLETED, None), (c.CANCELLED, c.REASON_CANCELLED))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [status for status, moved in outcomes if moved is True]
    assert len(winners) == 1, outcomes
    assert store.get_evaluation(eval_id)["status"] == winners[0]
    terminal_events = [e for e in store.events(eval_id) if e["to_status"] in c.TERMINAL]
    assert [e["to_status"] for e in terminal_events] == winners


def test_migrations_are_idempotent_and_safe_to_run_concurrently(connected):
    errors = []

    def run():
        try:
            store.migrate(connected.urls["DATABASE_URL"])
        except Exception as exc:  # collected: a failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.ping()


def test_ping_is_false_when_the_database_is_unreachable(connected):
    from evalplatform.stack import free_port
    store.init(f"postgresql://evalplatform@127.0.0.1:{free_port()}/evalplatform")
    assert store.ping() is False
    store.init(connected.urls["DATABASE_URL"])
    assert store.ping() is True


def test_statuses_of_names_only_this_stores_evaluations(connected):
    """The reaper asks which sandboxes on the host are evaluations here, in one statement:
    another stack's run ids (and a benchmark's) are simply absent."""
    queued = store.create_evaluation(code="q", queued=True)["eval_id"]
    submitted = store.create_evaluation(code="s")["eval_id"]
    assert store.statuses_of({queued, submitted, "bench-bare-1", "not-ours"}) == {
        queued: "queued", submitted: "submitted"}
    assert store.statuses_of(set()) == {}
