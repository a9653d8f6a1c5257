"""The result backend against a real Redis: a task's states are stored and published in
one round trip each, and a stored SUCCESS is never overwritten (Celery's own rule)."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from celery import Celery, states

from evalplatform.queue.results import backend_url

pytestmark = pytest.mark.integration


@pytest.fixture
def backend(core_stack):
    url = core_stack.urls["CELERY_RESULT_BACKEND"]
    app = Celery("results-test", broker=core_stack.urls["CELERY_BROKER_URL"], backend=backend_url(url))
    app.conf.update(result_serializer="json", accept_content=["json"], result_accept_content=["json"],
                    result_expires=60)
    return app.backend, redis.Redis.from_url(url)


def test_each_state_is_stored_with_its_expiry_and_published(backend):
    backend_, client = backend
    task_id = f"results-{uuid.uuid4()}"
    key = backend_.get_key_for_task(task_id)
    listener = client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(key)
    listener.get_message(timeout=1)
    backend_.store_result(task_id, None, states.STARTED)
    assert backend_.get_task_meta(task_id)["status"] == states.STARTED
    assert 0 < client.ttl(key) <= 60
    message = listener.get_message(timeout=5)
    assert message and json.loads(message["data"])["status"] == states.STARTED, message
    backend_.store_result(task_id, {"ran": True}, states.SUCCESS)
    meta = backend_._get_task_meta_for(task_id)
    assert meta["status"] == states.SUCCESS and meta["result"] == {"ran": True}, meta


def test_a_stored_success_is_never_overwritten(backend):
    backend_, _ = backend
    task_id = f"results-{uuid.uuid4()}"
    backend_.store_result(task_id, {"ran": True}, states.SUCCESS)
    backend_.store_result(task_id, None, states.STARTED)          # a lost worker's late duplicate
    backend_.store_result(task_id, {"ran": False}, states.SUCCESS)
    meta = backend_._get_task_meta_for(task_id)
    assert meta["status"] == states.SUCCESS and meta["result"] == {"ran": True}, meta
