"""diagnose's fault rules and the CLI's connection lookup, on hand-made inputs (no services)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

import pytest

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


def test_urls_come_whole_from_one_source_env_file_then_environment_then_stack_file(tmp_path, monkeypatch):
    """One source, taken whole: an env file's stack is never paired with the environment's."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for key in connection.URL_KEYS:
        monkeypatch.delenv(key, raising=False)
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nAPI_URL=http://127.0.0.1:1/api/\nREDIS_URL=redis://127.0.0.1:2/0\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1:3/db")
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:9/0")
    urls = connection.urls(argparse.Namespace(env_file=str(env_file), api=None))
    assert urls["API_URL"] == "http://127.0.0.1:1/api"
    assert urls["REDIS_URL"] == "redis://127.0.0.1:2/0"
    assert urls["DATABASE_URL"] != "postgresql://x@127.0.0.1:3/db"     # the settings', not the shell's
    override = connection.urls(argparse.Namespace(env_file=str(env_file), api="http://h:4/api"))
    assert override["API_URL"] == "http://h:4/api"
    exported = connection.urls(argparse.Namespace(env_file=None, api=None))
    assert (exported["REDIS_URL"], exported["DATABASE_URL"]) == ("redis://elsewhere:9/0", "postgresql://x@127.0.0.1:3/db")
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("REDIS_URL")
    stack_file = connection.stack_file()
    assert stack_file == tmp_path / "state" / "evalplatform" / "stack.env"
    stack_file.parent.mkdir(parents=True)
    stack_file.write_text("API_URL=http://127.0.0.1:5/api\n")
    found = connection.urls(argparse.Namespace(env_file=None, api=None))
    assert found["API_URL"] == "http://127.0.0.1:5/api" and found[connection.SOURCE_KEY] == str(stack_file)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert connection.stack_file() == tmp_path / "evalplatform" / "stack.env"


def test_an_invalid_setting_is_one_line_naming_the_variable(monkeypatch):
    from evalplatform.settings import SettingsError, load_settings
    monkeypatch.setenv("EVALPLATFORM_SANDBOX_ENGINE", "bogus")
    monkeypatch.setenv("EVALPLATFORM_API_PORT", "eighty")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    assert "EVALPLATFORM_SANDBOX_ENGINE='bogus'" in message and "'gvisor'" in message
    assert "EVALPLATFORM_API_PORT='eighty'" in message
