"""A queued evaluation whose message is nowhere in the broker is sent again (queue/reconcile.py),
against the real store and broker; one whose message waits is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import redis

from evalplatform import contract as c
from evalplatform import store
from evalplatform.queue.app import EVALUATION_QUEUE
from evalplatform.stack import PROJECT_ROOT

pytestmark = pytest.mark.integration

CHECK = ("import json; from evalplatform.queue import app, reconcile; "
         "print(json.dumps({'resent': reconcile.resend_missing(min_age_s=0, every_s=0)}))")
SEND = "import sys; from evalplatform.queue.app import enqueue; enqueue(sys.argv[1], 0)"


def _in_platform(stack, *argv: str) -> str:
    """Run platform code in a process configured like the stack's (its broker and store)."""
    env = {**os.environ, **stack.settings_env,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", *argv], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _resent(stack) -> int:
    return json.loads(_in_platform(stack, CHECK).splitlines()[-1])["resent"]


def _waiting_ids(stack) -> list[str]:
    broker = redis.Redis.from_url(stack.urls["CELERY_BROKER_URL"])
    try:
        return [json.loads(raw)["headers"]["id"] for raw in broker.lrange(EVALUATION_QUEUE, 0, -1)]
    finally:
        broker.close()


def test_a_queued_evaluation_without_its_message_is_sent_again_once(connected):
    broker = redis.Redis.from_url(connected.urls["CELERY_BROKER_URL"])
    lost = store.create_evaluation(code="print('lost')")["eval_id"]
    store.transition(lost, c.QUEUED)                   # queued, and no message anywhere
    waiting = store.create_evaluation(code="print('waits')")["eval_id"]
    _in_platform(connected, SEND, waiting)
    store.transition(waiting, c.QUEUED)
    ours = lambda: sorted(i for i in _waiting_ids(connected) if i in (lost, waiting))  # noqa: E731
    try:
        _resent(connected)                              # missing once: only a suspect
        assert ours() == [waiting]
        assert _resent(connected) >= 1                  # missing twice: sent again
        assert ours() == sorted([lost, waiting])
        _resent(connected)                              # its message is there now: not again
        assert ours() == sorted([lost, waiting])
    finally:
        broker.delete(EVALUATION_QUEUE)
        for eval_id in (lost, waiting):
            store.transition(eval_id, c.CANCELLED, reason="cancelled")
        broker.close()
