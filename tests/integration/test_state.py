"""Redis state against a real redis-server: the contract's keys, channels, output and cancel flags."""

from __future__ import annotations

import json
import uuid

import pytest

from evalplatform import state

pytestmark = pytest.mark.integration


def _id() -> str:
    return str(uuid.uuid4())


def test_running_keys_are_the_contracts_and_clear_removes_them(connected):
    eval_id = _id()
    state.mark_running(eval_id, worker_id="worker0@h#1", executor_id="nsjail-1",
                       started_at="2026-01-01T00:00:00+00:00", timeout=5)
    raw = state.client().get(f"eval:{eval_id}:running")
    assert json.loads(raw) == {"eval_id": eval_id, "worker_id": "worker0@h#1",
                               "executor_id": "nsjail-1",
                               "started_at": "2026-01-01T00:00:00+00:00", "timeout": 5}
    assert state.client().sismember("running_evaluations", eval_id)
    assert 0 < state.client().ttl(f"eval:{eval_id}:running") <= 5 + 60
    assert eval_id in state.running_ids() and state.running_info(eval_id)["worker_id"] == "worker0@h#1"
    state.append_output(eval_id, "stdout", b"partial")
    state.clear_running(eval_id)
    assert not state.client().exists(f"eval:{eval_id}:running", f"eval:{eval_id}:output:stdout")
    assert eval_id not in state.running_ids()


def test_live_output_accumulates_and_is_capped(connected):
    from evalplatform.settings import get_settings
    eval_id, cap = _id(), get_settings().output_limit_bytes
    state.append_output(eval_id, "stdout", b"one\n")
    state.append_output(eval_id, "stdout", b"two\n")
    state.append_output(eval_id, "stderr", "\u00e9\n".encode())
    assert state.live_output(eval_id) == ("one\ntwo\n", "\u00e9\n")
    state.append_output(eval_id, "stdout", b"x" * (cap + 10))
    assert len(state.live_output(eval_id)[0]) == cap
    with pytest.raises(ValueError):
        state.append_output(eval_id, "stdin", b"")
    state.clear_running(eval_id)
    assert state.live_output(eval_id) == ("", "")


def test_status_is_published_on_its_channel(connected):
    eval_id = _id()
    pubsub = state.client().pubsub()
    pubsub.subscribe("evaluation:failed")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    state.publish_status(eval_id, "failed", "timeout", "2026-01-01T00:00:00+00:00")
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    assert json.loads(message["data"]) == {"eval_id": eval_id, "status": "failed",
                                           "reason": "timeout", "at": "2026-01-01T00:00:00+00:00"}


def test_cancel_flag_is_set_with_an_expiry(connected):
    eval_id = _id()
    assert state.cancel_requested(eval_id) is False
    state.request_cancel(eval_id)
    assert state.cancel_requested(eval_id) is True
    assert state.client().ttl(f"eval:{eval_id}:cancel") > 0


def test_keys_snapshot_shows_each_key_with_type_and_value(connected):
    eval_id = _id()
    state.mark_running(eval_id, worker_id="w", executor_id="e", started_at="t", timeout=5)
    snapshot = state.keys_snapshot()
    assert snapshot[f"eval:{eval_id}:running"]["type"] == "string"
    assert json.loads(snapshot[f"eval:{eval_id}:running"]["value"])["eval_id"] == eval_id
    assert eval_id in snapshot["running_evaluations"]["value"]
    state.clear_running(eval_id)
    assert f"eval:{eval_id}:running" not in state.keys_snapshot()


def test_ping_is_false_when_redis_is_unreachable(connected):
    from evalplatform.stack import free_port
    state.init(f"redis://127.0.0.1:{free_port()}/0")
    assert state.ping() is False
    state.init(connected.urls["REDIS_URL"])
    assert state.ping() is True
