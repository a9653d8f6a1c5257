"""The pure parts of the queue's priority order: what a message carries and how it is read.

The order itself is kept by a Redis script; tests/integration/test_queue_order.py runs it
on a real Redis and on the whole stack.
"""

from __future__ import annotations

import json

import pytest

from evalplatform import contract
from evalplatform.queue import app as queue_app
from evalplatform.queue import broker
from evalplatform.settings import Settings


def envelope(**headers) -> dict:
    return {"body": "", "headers": {"id": "e1", **headers}, "properties": {}}


@pytest.mark.parametrize("priority", [contract.PRIORITY_MIN, -7, 0, 150, 2000, contract.PRIORITY_MAX])
def test_a_message_carries_its_priority_exactly(priority):
    assert broker.message_priority(envelope(**{broker.PRIORITY_HEADER: priority})) == priority


@pytest.mark.parametrize("value", [None, True, False, "150", 1.5, [150]])
def test_a_message_without_an_integer_priority_is_left_to_kombu(value):
    headers = {} if value is None else {broker.PRIORITY_HEADER: value}
    assert broker.message_priority(envelope(**headers)) is None
    assert broker.message_priority({"body": ""}) is None


def test_the_script_gets_the_message_and_where_it_goes_among_equals():
    message = envelope(**{broker.PRIORITY_HEADER: 150})
    new = broker.ordered_put_args(message, 150, ahead_of_equals=False)
    put_back = broker.ordered_put_args(message, 150, ahead_of_equals=True)
    assert json.loads(new[0]) == message
    assert new[1:] == [150, "0", broker.PRIORITY_HEADER, contract.DEFAULT_PRIORITY]
    assert put_back[2] == "1"


def test_every_script_starts_with_the_shared_envelope_reader():
    for name in ("ordered_put", "count_by_priority"):
        assert broker.script(name).startswith((broker.LUA_DIR / "envelope.lua").read_text())


def test_every_priority_waits_in_the_same_list():
    assert {queue_app.priority_queue(p) for p in (contract.PRIORITY_MIN, 0, contract.PRIORITY_MAX)} == \
        {queue_app.EVALUATION_QUEUE}
    assert queue_app.queue_names() == [queue_app.CONTROL_QUEUE, queue_app.EVALUATION_QUEUE]


def test_priority_ignored_makes_every_message_carry_the_default(monkeypatch):
    assert queue_app.queued_priority(2000) == 2000
    faulty = Settings(failpoints="priority_ignored", failpoints_allowed=True)
    monkeypatch.setattr("evalplatform.failpoints.get_settings", lambda: faulty)
    assert {queue_app.queued_priority(p) for p in (-7, 150, 2000)} == {contract.DEFAULT_PRIORITY}


def test_the_platform_app_uses_the_ordering_transport():
    assert queue_app.celery_app.conf.broker_transport == broker.TRANSPORT
    assert queue_app.celery_app.connection_for_write().transport_cls == broker.TRANSPORT
