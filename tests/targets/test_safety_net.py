"""The safety net holds against a target that contains nothing: `command:env --`.

Each destructive probe runs bare on the host, inside the suite's net with small limits.
The target does nothing to stop it, so the net must, and the record must say which of
its limits did (`contained_by_suite`), while the host keeps every process, cgroup and
mount it had. The control in each case: a harmless run through the same target comes
back with `contained_by_suite` None.
"""

from __future__ import annotations

import re
import uuid

import pytest

from support import host, probes
from support.safety_net import NetLimits
from support.targets.command import CommandRunner
from tests.targets.helpers import SMALL_NET

pytestmark = pytest.mark.usefixtures("leaves_nothing")


@pytest.fixture
def bare():
    return CommandRunner("env --", limits=SMALL_NET)


def test_a_harmless_run_is_not_contained_by_the_suite(bare):
    record = bare.run(probes.load("load_fast"), timeout=10)
    assert record["status"] == "completed", record
    assert record["contained_by_suite"] is None


def test_a_fork_bomb_is_stopped_by_the_nets_pids_limit(bare):
    record = bare.run(probes.load("pids_fork_bomb", max_children=4 * SMALL_NET.pids), timeout=20)
    verdict = probes.verdict(record["output"])
    assert "pids limit" in (record["contained_by_suite"] or ""), record
    forked = int(re.match(r"(\d+) children", verdict["detail"]).group(1))
    assert forked < SMALL_NET.pids, verdict


def test_a_memory_hog_is_oom_killed_by_the_nets_memory_limit(bare):
    record = bare.run(probes.load("mem_allocate", mb=4 * SMALL_NET.memory_mb), timeout=20)
    assert "memory limit" in (record["contained_by_suite"] or ""), record
    assert record["reason"] == "memory", record
    assert "held" not in record["output"], "the hog held everything it asked for"


def test_a_disk_fill_runs_into_the_nets_memory_limit_even_if_it_deletes_its_files_at_once(bare):
    """The scratch tmpfs is charged to the net's memory: a fill is an OOM kill the kernel counts,
    however fast the code removes its files afterwards."""
    record = bare.run(probes.load("fs_scratch_limit", max_mb=4 * SMALL_NET.memory_mb), timeout=20)
    assert "scratch tmpfs" in (record["contained_by_suite"] or ""), record
    assert "wrote everything" not in record["output"]


def test_a_scratch_held_full_is_seen_while_it_lasts():
    runner = CommandRunner("env --", limits=NetLimits(**{**SMALL_NET.__dict__, "scratch_mb": 32}))
    record = runner.run(probes.load("fs_fill_hold", max_mb=128, hold_s=0.5), timeout=20)
    verdict = probes.verdict(record["output"])
    assert "scratch disk (32 MiB) filled up" in (record["contained_by_suite"] or ""), record
    assert verdict["detail"]["written_mb"] <= 32, verdict


def test_an_output_flood_is_cut_at_the_suites_cap(bare):
    record = bare.run(probes.load("load_flood"), timeout=20)
    assert record["reason"] == "output_limit", record
    assert record["output_truncated"] is True
    assert len(record["output"].encode()) <= SMALL_NET.output_bytes
    assert "output cap" in (record["contained_by_suite"] or ""), record


def test_the_wall_time_limit_ends_a_run_the_harness_lets_go_on():
    runner = CommandRunner("env --", limits=NetLimits(**{**SMALL_NET.__dict__, "wall_s": 1.0}))
    record = runner.run(probes.load("load_slow", seconds=30), timeout=60)
    assert record["reason"] == "timeout", record
    assert "wall-time limit" in (record["contained_by_suite"] or ""), record
    assert record["runtime_ms"] < 30_000


def test_the_timeout_kills_a_daemon_the_code_left_behind(bare):
    marker = f"suite-net-daemon-{uuid.uuid4().hex[:8]}"
    record = bare.run(probes.load("daemon_survivor", marker=marker), timeout=2)
    assert record["reason"] == "timeout", record
    assert "ready" in record["output"], "the daemon was never started"
    assert not host.processes_of(marker), "the double-forked daemon outlived its run"
