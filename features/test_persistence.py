"""Binds features/persistence.feature: one feature, one test module (`pytest features/test_persistence.py`)."""
from __future__ import annotations

from pytest_bdd import scenarios, then, when

from support import host_exposure
from support.tables import column

scenarios("persistence.feature")


# -- steps only this feature uses --

@when("an evaluation leaves a file in each of these directories:")
def leave_files(context, sandbox, datatable):
    context.persist_params = {"directories": column(datatable), "marker": host_exposure.unique_name("left")}
    context.probe(sandbox, "persist_marker", **context.persist_params)
    context.left_by_first = context.verdict["detail"]["planted"]


@when("the next evaluation looks for them")
def next_looks(context, sandbox):
    context.probe(sandbox, "persist_marker", **context.persist_params)


@then("the next evaluation finds none of them")
def finds_none(context):
    left = [d for d, outcome in context.left_by_first.items() if outcome == "left"]
    assert left, f"the first evaluation could leave the file nowhere, so nothing was tested: {context.left_by_first}"
    assert context.verdict["blocked"] is True, \
        f"left in {left}, found by the next evaluation: {context.verdict['detail']['found']}"
