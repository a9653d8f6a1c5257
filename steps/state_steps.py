"""The shared vocabulary of the platform's stored history of an evaluation."""

from __future__ import annotations

from pytest_bdd import then

from support.contract import is_allowed


@then("every stored move is one the contract allows")
def stored_moves_allowed(context, database):
    events = database.events(context.eval_id)
    illegal = [(e["from_status"], e["to_status"]) for e in events if not is_allowed(e["from_status"], e["to_status"])]
    assert not illegal, f"moves the contract does not allow: {illegal} (all: {events})"
    chained = all(later["from_status"] == earlier["to_status"] for earlier, later in zip(events, events[1:]))
    assert chained, f"each move must start where the previous one ended: {events}"
