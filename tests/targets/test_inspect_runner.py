"""The inspect: runner against inspect_ai's own `local` provider: a real provider that
isolates nothing, so it is also the negative control of the inspect path. Its code runs
as a child of the driver, inside the suite's safety net."""

from __future__ import annotations

import json

import pytest

from support import probes
from support.targets.inspect import InspectRunner, parse_config
from tests.targets.helpers import INSPECT_NET, code

pytestmark = pytest.mark.usefixtures("leaves_nothing")


@pytest.fixture
def local():
    runner = InspectRunner("local", limits=INSPECT_NET)
    yield runner
    runner.close()


def test_code_runs_through_the_providers_exec(local):
    record = local.run(probes.load("load_fast"))
    assert (record["status"], record["output"], record["engine"]) == ("completed", "fast\n", "inspect:local"), record
    exited = local.run(code("exit_3"))
    assert (exited["reason"], exited["exit_code"]) == ("nonzero_exit", 3)
    assert local.local is True


def test_the_providers_timeout_is_reason_timeout(local):
    record = local.run(probes.load("load_slow", seconds=30), timeout=1)
    assert record["reason"] == "timeout" and record["contained_by_suite"] is None, record


def test_the_local_provider_hands_the_canaries_to_the_code(local):
    verdict = probes.verdict(local.run(probes.load("env_platform_leak",
                                                   needles=json.dumps(local.secret_needles())))["output"])
    assert verdict["blocked"] is False and "SUITE_CANARY_TOKEN" in verdict["detail"]["leaks"]["self"]


def test_a_fork_bomb_through_local_is_stopped_by_the_net_and_the_next_run_gets_a_fresh_one(local):
    bomb = local.run(probes.load("pids_fork_bomb", max_children=4 * INSPECT_NET.pids), timeout=20)
    assert "pids limit" in (bomb["contained_by_suite"] or ""), bomb
    after = local.run(probes.load("load_fast"))
    assert after["status"] == "completed" and after["contained_by_suite"] is None, after


def test_an_unknown_provider_is_refused_naming_it():
    runner = InspectRunner("no-such-provider", limits=INSPECT_NET)
    with pytest.raises(RuntimeError, match="no-such-provider"):
        runner.run(probes.load("load_fast"))
    runner.close()


@pytest.mark.parametrize("raw, parsed", [
    (None, None),
    ('{"url": "http://127.0.0.1:1/api"}', {"url": "http://127.0.0.1:1/api"}),
    ("url: http://127.0.0.1:1/api", {"url": "http://127.0.0.1:1/api"}),
])
def test_inline_configs_are_read(raw, parsed):
    assert parse_config(raw) == parsed


def test_config_files_are_read_or_passed_by_name(tmp_path):
    (tmp_path / "c.json").write_text('{"a": 1}')
    (tmp_path / "compose.yaml").write_text("services: {}")
    assert parse_config(str(tmp_path / "c.json")) == {"a": 1}
    assert parse_config(str(tmp_path / "compose.yaml")) == str(tmp_path / "compose.yaml")
    with pytest.raises(ValueError, match="SUITE_INSPECT_CONFIG"):
        parse_config("just-words")


def test_a_memory_hog_through_local_is_oom_killed_by_the_net_and_the_next_run_completes(local):
    hog = local.run(probes.load("mem_allocate", mb=4 * INSPECT_NET.memory_mb), timeout=30)
    assert "memory limit" in (hog["contained_by_suite"] or ""), hog
    assert hog["reason"] == "memory", hog
    after = local.run(probes.load("load_fast"))
    assert after["status"] == "completed" and after["contained_by_suite"] is None, after
