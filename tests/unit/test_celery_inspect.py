"""support/celery_client.py: how many replies a remote-control call waits for.

Celery cannot know how many workers will answer: without a limit, a call waits out its
whole timeout. The suite knows the number of workers it started (an embedded stack,
Target.workers) and says so from the first call; for a target it did not start, the first
call waits and its replies set the number for the later ones.
"""

import pytest

from support.celery_client import CeleryClient
from support.config import Target


class Inspector:
    def __init__(self, calls: list, replies: dict):
        self.calls, self.replies = calls, replies

    def __call__(self, timeout, limit):
        self.calls.append(limit)
        return self

    def ping(self):
        return self.replies


@pytest.fixture
def client():
    made = CeleryClient("redis://127.0.0.1:1/0", "redis://127.0.0.1:1/1")
    yield made
    made.close()


def watch(client: CeleryClient, monkeypatch, replies: dict) -> list:
    calls: list = []
    monkeypatch.setattr(client.app.control, "inspect", Inspector(calls, replies))
    return calls


def test_workers_the_suite_started_are_the_limit_from_the_first_call(monkeypatch):
    started = CeleryClient("redis://127.0.0.1:1/0", "redis://127.0.0.1:1/1", expected_workers=2)
    try:
        calls = watch(started, monkeypatch, {"w1": {"ok": "pong"}, "w2": {"ok": "pong"}})
        started.ping()
        started.ping()
        assert calls == [2, 2]
    finally:
        started.close()


def test_otherwise_the_first_calls_replies_set_the_limit_for_the_later_ones(client, monkeypatch):
    calls = watch(client, monkeypatch, {"w1": {"ok": "pong"}, "w2": {"ok": "pong"}, "w3": {"ok": "pong"}})
    client.ping()
    client.ping()
    assert calls == [None, 3]


def test_no_reply_sets_no_limit(client, monkeypatch):
    calls = watch(client, monkeypatch, {})
    client.ping()
    client.ping()
    assert calls == [None, None]


def test_the_embedded_target_carries_the_number_of_workers_started():
    urls = {"API_URL": "http://127.0.0.1:1/api", "REDIS_URL": "redis://127.0.0.1:1/0",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/1", "CELERY_RESULT_BACKEND": "redis://127.0.0.1:1/2",
            "DATABASE_URL": "postgresql://u@127.0.0.1:1/db"}
    assert Target.from_env({}).with_embedded_urls(urls, 3).workers == 3
