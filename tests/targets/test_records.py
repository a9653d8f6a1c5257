"""Plain-data checks of what the runners read: memory sizes, how a run's end becomes a
reason, and the cgroup counter files of both cgroup versions (v2 is not on this host)."""

from __future__ import annotations

import pytest

from support import safety_net
from support.safety_net import NetLimits
from support.targets import base


@pytest.mark.parametrize("limit, mb", [("64Mi", 64), ("1Gi", 1024), ("512", 512), ("2048Ki", 2), (None, 256)])
def test_memory_limits_read_as_the_contract_writes_them(limit, mb):
    assert base.memory_mb(limit) == mb


def test_a_memory_limit_that_is_no_size_is_refused():
    with pytest.raises(ValueError, match="memory_limit"):
        base.memory_mb("lots")


def outcome(**fields):
    defaults = dict(eval_id="x", engine="command", started_at=base.now_iso(), timeout=10, returncode=0,
                    elapsed=0.1, stopped=None, breaches=[], output="", error="")
    return base.outcome(**{**defaults, **fields})


@pytest.mark.parametrize("fields, status, reason", [
    ({}, "completed", None),
    ({"returncode": 3}, "failed", "nonzero_exit"),
    ({"returncode": -9}, "failed", "killed"),
    ({"returncode": 137}, "failed", "killed"),
    ({"returncode": -9, "elapsed": 10.5}, "failed", "timeout"),
    ({"returncode": 1, "error": "Traceback ...\nMemoryError\n"}, "failed", "memory"),
    ({"returncode": -9, "breaches": ["its memory limit (1 MiB, ...) OOM-killed a process"]}, "failed", "memory"),
    ({"returncode": -9, "stopped": "output"}, "failed", "output_limit"),
    ({"returncode": None, "stopped": "sandbox_error"}, "failed", "sandbox_error"),
    ({"returncode": 127, "setup_failed": True}, "failed", "sandbox_error"),
    ({"returncode": -9, "stopped": "wall"}, "failed", "timeout"),
])
def test_how_a_run_ended_is_its_reason(fields, status, reason):
    record = outcome(**fields)
    assert (record["status"], record["reason"]) == (status, reason)


def test_a_breach_of_the_net_is_named_in_the_record():
    record = outcome(returncode=-9, breaches=["its pids limit (64 processes) refused forks"])
    assert record["contained_by_suite"] == "the suite's safety net had to stop the code: its pids limit (64 processes) refused forks"
    assert outcome()["contained_by_suite"] is None


@pytest.mark.parametrize("text, key, value", [
    ("low 0\nhigh 0\nmax 12\noom 1\noom_kill 3\noom_group_kill 0\n", "oom_kill", 3),     # v2 memory.events
    ("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", "oom_kill", 2),                     # v1 memory.oom_control
    ("max 7\n", "max", 7),                                                                # pids.events, both
    ("", "max", 0),
])
def test_the_cgroup_counters_are_read_in_both_versions(text, key, value):
    assert safety_net._counter(text, key) == value


def test_the_scratch_is_as_large_as_the_memory_unless_told():
    assert NetLimits(memory_mb=100).scratch_size_mb == 100
    assert NetLimits(memory_mb=100, scratch_mb=10).scratch_size_mb == 10


def test_the_canaries_are_found_by_their_needles():
    canaries = base.Canaries()
    assert all(any(needle in value for value in canaries.values.values()) for needle in canaries.needles())
    assert len(set(canaries.needles())) == len(canaries.NAMES)
