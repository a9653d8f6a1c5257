"""Binds features/api.feature: one feature, one test module (`pytest features/test_api.py`)."""
from __future__ import annotations

import json

from pytest_bdd import parsers, scenarios, then, when

from steps.api_steps import answer_is
from support import platform_facts
from support.contract import ENGINES, EXECUTORS, LIST_FIELDS, LIST_ITEM_FIELDS

scenarios("api.feature")

MIB = 1024 * 1024


def names_field(detail, field: str) -> bool:
    """True when a 4xx `detail` points at `field`: a validation error's `loc` ends in it,
    or a plain message mentions it."""
    if isinstance(detail, list):
        return any(isinstance(e, dict) and field in [str(p) for p in e.get("loc", [])] for e in detail)
    return field in json.dumps(detail)


# -- steps only this feature uses --

@then("it names its executor, its sandbox engine, its limits, its worker slots and its capabilities")
def platform_described(context):
    facts = context.platform
    assert facts.executor in EXECUTORS, f"executor {facts.executor!r} is not one of {sorted(EXECUTORS)}"
    assert facts.engine in ENGINES, f"engine {facts.engine!r} is not one of {sorted(ENGINES)}"
    assert facts.limits, f"no limits reported: {facts.raw}"
    assert facts.worker_slots >= 1
    assert facts.capabilities, f"no capabilities reported: {facts.raw}"


@when("I list the environments")
def list_environments(context, api):
    context.environments = {e["name"]: e for e in platform_facts.environments_of(api.environments())}


@then(parsers.parse('"{first}" and "{second}" are listed, each with its interpreter version and libraries'))
def environments_listed(context, first, second):
    for name in (first, second):
        assert name in context.environments, f"{name} not listed: {sorted(context.environments)}"
        environment = context.environments[name]
        assert platform_facts.interpreter_version(environment), f"{name} lists no interpreter version: {environment}"
        assert "libraries" in environment, f"{name} lists no libraries: {environment}"


@then(parsers.parse('"{name}" promises numpy, pandas, scipy and scikit-learn'))
def ml_promises(context, name):
    promised = {lib.lower() for lib in platform_facts.libraries_of(context.environments[name])}
    assert {"numpy", "pandas", "scipy", "scikit-learn"} <= promised, sorted(promised)


@when(parsers.parse("I submit the body {body}"))
def submit_body(context, api, body):
    context.response = api.submit_response(json.loads(body))


@when(parsers.parse('I submit the raw body "{raw}"'))
def submit_raw(context, api, raw):
    context.response = api.submit_response(data=raw.encode())


@when("I submit code of 1 MiB and one byte")
def submit_big_code(context, api):
    context.response = api.submit_response({"code": "#" * (MIB + 1)})


@when("I submit a body of 2 MiB and one kilobyte")
def submit_huge_body(context, api):
    context.response = api.submit_response({"code": "print(1)", "padding": "x" * (2 * MIB + 1024)})


@when(parsers.parse("I ask for {what} of an evaluation that does not exist"))
def ask_unknown(context, api, what):
    path = {"the record": "", "the status": "/status", "the logs": "/logs"}[what]
    context.response = api.request("GET", f"/eval/{api.dialect.unknown_id}{path}")


@then(parsers.parse('the answer is {status:d} and names the field "{field}"'))
def answer_names_field(context, status, field):
    answer_is(context, status)
    detail = context.response.json()["detail"]
    assert names_field(detail, field), f"the answer does not name {field!r}: {detail}"


@when("I list the evaluations")
def list_evaluations(context, api):
    context.listing = api.evaluations(limit=20)


@when(parsers.parse('I list the evaluations with status "{status}"'))
def list_by_status(context, api, status):
    context.response = api.request("GET", "/evaluations", params={"status": status})


@then("the list carries its evaluations, count, limit, offset and has_more")
def list_shape(context):
    listing = context.listing
    assert LIST_FIELDS <= listing.keys(), f"missing {LIST_FIELDS - listing.keys()}: {listing}"
    assert isinstance(listing["evaluations"], list) and isinstance(listing["has_more"], bool)


@then("each listed evaluation carries its id, status, creation time, code preview and success")
def list_items_shape(context):
    items = context.listing["evaluations"]
    assert items, "the list is empty"
    for item in items:
        assert LIST_ITEM_FIELDS <= item.keys(), f"missing {LIST_ITEM_FIELDS - item.keys()}: {item}"
