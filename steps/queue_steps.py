"""The shared vocabulary of worker slots: holding every slot busy, and letting them free up."""

from __future__ import annotations

from pytest_bdd import given, when

from support import probes

# Blockers hold every slot for BLOCK_S (+ STAGGER_S per slot, so that slots free one at
# a time and "which started first" is decided by the queue, not by a race between slots).
BLOCK_S = 1.5
STAGGER_S = 0.5




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


@when("the busy slots free up")
def slots_free_up(context, evaluations):
    # The precondition of every ordering claim: the submissions were all made while every
    # slot was still busy. If a blocker ended early, the result would prove nothing.
    statuses = {eval_id: evaluations.api.status(eval_id)["status"] for eval_id in context.blockers}
    assert all(s == "running" for s in statuses.values()), \
        f"a slot freed before the submissions were done (raise SUITE_TIMEOUT_SCALE): {statuses}"
    waiting_ids = [i for ids in context.by_priority.values() for i in ids]
    evaluations.wait_all_terminal(context.blockers + waiting_ids)
