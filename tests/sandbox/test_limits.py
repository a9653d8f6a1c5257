"""Limits: wall clock (whole tree), memory (OOM -> reason memory), pids, CPU time, file
size, scratch size, output caps. Each limit is also shown not to trigger (or the probe to
see the breach bare) when the limit is not in the way."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import pytest

from support import probes
from tests.sandbox.conftest import (ALL_ENGINES, FAST, host_processes_with, run_bare, run_code,
                                    run_probe, small_limits)

pytestmark = [pytest.mark.sandbox, pytest.mark.resources]


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_timeout_kills_sigterm_ignorer_and_daemon(sandbox):
    marker = f"evalplatform-daemon-{uuid.uuid4().hex}"
    started = time.monotonic()
    result = run_code(sandbox, probes.load("daemon_survivor", marker=marker),
                      small_limits(timeout_s=1.5))
    assert result.reason == "timeout" and result.signal == 9, result
    assert "ready" in result.stdout
    assert time.monotonic() - started < 10
    assert host_processes_with(marker) == []


def test_daemon_probe_control_leaves_a_survivor_bare(tmp_path):
    """Negative control: bare, killing the main process leaves the daemon running, and
    host_processes_with() finds it (then the test kills it)."""
    marker = f"evalplatform-daemon-{uuid.uuid4().hex}"
    source = tmp_path / "daemon.py"
    source.write_text(probes.load("daemon_survivor", marker=marker))
    proc = subprocess.Popen(["python3", "-S", str(source)], stdout=subprocess.PIPE,
                            cwd=tmp_path, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 5
        while not host_processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = host_processes_with(marker)
        assert survivors, "the bare daemon should have survived its parent"
    finally:
        for pid in host_processes_with(marker):
            os.kill(pid, signal.SIGKILL)
        proc.stdout.close()


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_memory_limit_oom_kill_reports_memory(sandbox, tmp_path):
    result = run_code(sandbox, probes.load("mem_allocate", mb=160), small_limits(memory_mb=64))
    assert result.reason == "memory", result
    assert result.signal == 9 and result.max_rss_mb is not None
    assert not run_bare("mem_allocate", tmp_path, mb=160)["blocked"]


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_memory_below_limit_completes_and_reports_peak(sandbox):
    result = run_code(sandbox, probes.load("mem_allocate", mb=40), small_limits(memory_mb=128))
    assert result.ok, result
    assert 40 <= result.max_rss_mb < 128


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_fork_bomb_contained_and_host_responsive(sandbox, tmp_path):
    verdict = run_probe(sandbox, "pids_fork_bomb", small_limits(pids=16), max_children=40)
    assert verdict["blocked"], verdict
    # An unbounded fork bomb: contained by pids.max, ended by the timeout.
    bomb = ("import os\nwhile True:\n    try:\n        os.fork()\n"
            "    except OSError:\n        pass\n")
    result = run_code(sandbox, bomb, small_limits(pids=16, timeout_s=1.5))
    assert result.reason == "timeout", result
    host = subprocess.run(["true"], timeout=5)               # the host still forks
    assert host.returncode == 0
    assert not run_bare("pids_fork_bomb", tmp_path, max_children=40)["blocked"]


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_cpu_time_limit(sandbox, tmp_path):
    result = run_code(sandbox, probes.load("cpu_burn", seconds=3),
                      small_limits(cpu_time_s=1, timeout_s=10))
    assert result.signal == signal.SIGXCPU and result.reason == "timeout", result
    assert not run_bare("cpu_burn", tmp_path, seconds=1.2)["blocked"]


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_file_size_limit(sandbox, tmp_path):
    verdict = run_probe(sandbox, "fs_file_size", small_limits(file_size_mb=4), mb=8)
    assert verdict["blocked"], verdict
    assert not run_bare("fs_file_size", tmp_path, mb=8)["blocked"]


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_scratch_is_size_limited(sandbox, tmp_path):
    verdict = run_probe(sandbox, "fs_scratch_limit", small_limits(scratch_mb=8), max_mb=16)
    assert verdict["blocked"], verdict
    assert not run_bare("fs_scratch_limit", tmp_path, max_mb=16)["blocked"]


@pytest.mark.persistence
@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_scratch_is_writable_cwd_home_tmp_and_fresh(sandbox):
    code = ("import os\n"
            "print(os.getcwd(), os.environ['HOME'], sorted(os.listdir('.')))\n"
            "for d in ('.', os.environ['HOME'], '/tmp'):\n"
            "    open(os.path.join(d, 'left-' + d.replace('/', '_')), 'w').write('x')\n")
    first = run_code(sandbox, code)
    second = run_code(sandbox, code)
    assert first.ok and second.ok, (first, second)
    assert second.stdout == "/scratch /scratch []\n"


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_output_caps_truncate_and_end_the_run(sandbox):
    code = ("import sys\nsys.stderr.write('e' * 100)\nsys.stderr.flush()\n"
            "sys.stdout.write('o' * 50000)\n")
    result = run_code(sandbox, code, small_limits(stdout_bytes=10000, stderr_bytes=10000))
    assert result.reason == "output_limit", result
    assert result.stdout_truncated and result.stdout == "o" * 10000
    assert not result.stderr_truncated and result.stderr == "e" * 100
    # Control: the same output under caps it fits in is complete and not flagged.
    fits = run_code(sandbox, code, small_limits(stdout_bytes=60000, stderr_bytes=10000))
    assert fits.ok and not fits.stdout_truncated and len(fits.stdout) == 50000


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_endless_flood_on_both_streams_never_stalls(sandbox):
    code = ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
            "    sys.stderr.write('y' * 65536)\n")
    started = time.monotonic()
    result = run_code(sandbox, code, small_limits(stdout_bytes=1 << 20, stderr_bytes=1 << 20,
                                                  timeout_s=20))
    assert result.reason == "output_limit" and time.monotonic() - started < 10, result
    assert len(result.stdout) == 1 << 20 and result.stdout_truncated


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_timeout_holds_after_the_program_closes_its_streams(sandbox):
    code = "import os, time\nos.close(1)\nos.close(2)\ntime.sleep(60)\n"
    result = run_code(sandbox, code, small_limits(timeout_s=1))
    assert result.reason == "timeout", result
