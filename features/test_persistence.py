"""Binds features/persistence.feature: one feature, one test module (`pytest features/test_persistence.py`)."""
from __future__ import annotations

from pytest_bdd import given, scenarios, then, when

from support import host_exposure, host_ipc
from support.tables import column

scenarios("persistence.feature")


# -- steps only this feature uses --

@when("an evaluation leaves a file in each of these directories:")
def leave_files(context, sandbox, datatable):
    context.persist_params = {"directories": column(datatable), "marker": host_exposure.unique_name("left")}
    context.probe(sandbox, "persist_marker", leave="True", **context.persist_params)
    context.left_by_first = context.verdict["detail"]["planted"]


@when("the next evaluation looks for them")
def next_looks(context, sandbox):
    context.probe(sandbox, "persist_marker", leave="False", **context.persist_params)   # and removes what it finds


@then("the next evaluation finds none of them")
def finds_none(context):
    left = [d for d, outcome in context.left_by_first.items() if outcome == "left"]
    assert left, f"the first evaluation could leave the file nowhere, so nothing was tested: {context.left_by_first}"
    assert context.verdict["blocked"] is True, \
        f"left in {left}, found by the next evaluation: {context.verdict['detail']['found']}"


@when("an evaluation leaves a shared memory segment, a message queue and a semaphore set")
def leave_ipc(context, sandbox):
    context.ipc_marker = host_exposure.unique_name("ipc")
    context.probe(sandbox, "ipc_objects", marker=context.ipc_marker, mode="leave", remove="True")
    context.ipc_left = context.verdict["detail"]["seen"]


@when("the next evaluation looks for them under the same keys")
def next_looks_for_ipc(context, sandbox):
    context.probe(sandbox, "ipc_objects", marker=context.ipc_marker, mode="look", remove="True")


@then("the next evaluation finds none of those IPC objects")
def finds_no_ipc(context):
    left = [kind for kind, outcome in context.ipc_left.items() if outcome == "left"]
    assert left == ["shm", "msg", "sem"], f"the first evaluation could not make its IPC objects: {context.ipc_left}"
    assert context.verdict["blocked"] is True, \
        f"left by one evaluation, found by the next: {context.verdict['detail']['found']}"


@given("SysV IPC objects of mine on the host, which the host can see")
def host_ipc_objects(context):
    context.ipc_marker = context.cleanup.enter_context(host_ipc.sysv_objects())


@when("an evaluation looks for them under their keys")
def look_for_host_ipc(context, sandbox):
    context.probe(sandbox, "ipc_objects", marker=context.ipc_marker, mode="look", remove="False")
