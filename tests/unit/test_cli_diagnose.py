"""diagnose's fault rules and the CLI's connection lookup, on hand-made inputs (no services)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from evalplatform.cli import connection
from evalplatform.cli.diagnose import faults

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _found(status, events, in_set=False, api_status=None, started=NOW, timeout=30):
    record = {"status": status, "timeout": timeout, "created_at": started.isoformat(),
              "started_at": started.isoformat()}
    return {"store": record, "events": [{"to_status": s} for s in events],
            "redis": {"in_running_set": in_set, "running_key": None},
            "api": {"status": api_status or status}}


def test_a_clean_terminal_evaluation_has_no_fault():
    assert faults(_found("completed", ["submitted", "queued", "running", "completed"]), 15, NOW) == []


def test_each_classic_fault_is_named():
    assert faults(_found("failed", ["submitted", "failed"], in_set=True), 15, NOW) == [
        "terminal but still in running_evaluations / eval:{id}:running"]
    assert faults(_found("completed", ["submitted", "queued"]), 15, NOW) == [
        "terminal status without a terminal event"]
    assert faults(_found("completed", ["completed", "cancelled"]), 15, NOW) == [
        "terminal status recorded 2 times"]
    late = NOW - timedelta(seconds=46)
    assert faults(_found("running", ["running"], in_set=True, started=late), 15, NOW) == [
        "stuck running: past timeout 30s + grace 15s"]
    assert faults(_found("running", ["running"], in_set=False), 15, NOW) == [
        "running in the store but not in running_evaluations"]
    assert faults(_found("queued", ["queued"], api_status="running"), 15, NOW) == [
        "API says running, store says queued"]


def test_running_within_timeout_plus_grace_is_not_stuck():
    started = NOW - timedelta(seconds=44)
    assert faults(_found("running", ["running"], in_set=True, started=started), 15, NOW) == []


def test_urls_come_from_the_env_file_then_the_environment(tmp_path, monkeypatch):
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nAPI_URL=http://127.0.0.1:1/api/\nREDIS_URL=redis://127.0.0.1:2/0\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1:3/db")
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:9/0")
    urls = connection.urls(argparse.Namespace(env_file=str(env_file), api=None))
    assert urls["API_URL"] == "http://127.0.0.1:1/api"
    assert urls["REDIS_URL"] == "redis://127.0.0.1:2/0"
    assert urls["DATABASE_URL"] == "postgresql://x@127.0.0.1:3/db"
    override = connection.urls(argparse.Namespace(env_file=str(env_file), api="http://h:4/api"))
    assert override["API_URL"] == "http://h:4/api"
