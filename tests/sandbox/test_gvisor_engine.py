"""What only the gVisor engine does: its signs inside, limits the Sentry enforces (the
runner's host rlimits are off for it), its host-side pids/memory budget, and runsc's
state. The claims every engine shares run in the parametrized tests (test_isolation,
test_limits, ...); these complete them for gVisor. Skipped where runsc cannot start."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from evalplatform.run import RunRequest, default_limits
from evalplatform.sandbox import engines
from evalplatform.sandbox.engines import gvisor
from evalplatform.sandbox.engines.base import RunPlan
from support import probes
from tests.sandbox.conftest import (host_processes_with, run_bare, run_code, run_probe,
                                    small_limits)

pytestmark = [pytest.mark.sandbox, pytest.mark.gvisor,
              pytest.mark.skipif(not engines.availability("gvisor").ok,
                                 reason=engines.availability("gvisor").detail or "no gVisor")]


@pytest.fixture(scope="module")
def sandbox():
    from evalplatform.sandbox import Sandbox
    return Sandbox("gvisor")


def test_signs_of_gvisor_inside_and_not_on_the_host(sandbox, tmp_path):
    inside = run_probe(sandbox, "kernel_signs")
    assert len(inside["signs_held"]) == inside["signs_checked"], inside
    assert inside["detail"]["release"] == "4.4.0", inside
    control = run_bare("kernel_signs", tmp_path)
    assert control["signs_held"] == [], control
    # The Sentry's own /proc: docs/gvisor.md lists these for the suite.
    code = ("import os\nprint(open('/proc/cmdline').read().strip())\n"
            "print(os.path.exists('/proc/sentry-meminfo'))\n")
    result = run_code(sandbox, code)
    assert result.ok and result.stdout == "BOOT_IMAGE=/vmlinuz-4.4.0-gvisor quiet\nTrue\n", result
    host = subprocess.run(["python3", "-S", "-c", code], capture_output=True, text=True)
    assert host.stdout.splitlines()[1] == "False", host.stdout


def test_fork_bomb_held_by_rlimit_nproc_inside_the_sentry(sandbox, tmp_path):
    verdict = run_probe(sandbox, "pids_fork_bomb", small_limits(pids=16), max_children=40)
    assert verdict["blocked"], verdict
    assert not run_bare("pids_fork_bomb", tmp_path, max_children=40)["blocked"]
    # Unbounded: contained, and the host still forks. Usually the wall clock ends it; on a
    # loaded host the Sentry's own threads can hit the run cgroup's pids budget first and
    # the Sentry dies, reported as sandbox_error (docs/gvisor.md). Either way it ended.
    bomb = ("import os\nwhile True:\n"
            "    try:\n        os.fork()\n    except OSError:\n        pass\n")
    result = run_code(sandbox, bomb, small_limits(pids=16, timeout_s=3))
    assert result.reason in {"timeout", "memory", "sandbox_error"} and result.exit_code is None, result
    assert subprocess.run(["true"], timeout=5).returncode == 0


def test_file_size_and_scratch_limits_inside_the_sentry(sandbox, tmp_path):
    assert run_probe(sandbox, "fs_file_size", small_limits(file_size_mb=4), mb=8)["blocked"]
    assert not run_bare("fs_file_size", tmp_path, mb=8)["blocked"]
    assert run_probe(sandbox, "fs_scratch_limit", small_limits(scratch_mb=8), max_mb=16)["blocked"]
    assert not run_bare("fs_scratch_limit", tmp_path, max_mb=16)["blocked"]
    # /tmp is its own tmpfs of the same size (runsc would otherwise mount an unbounded one).
    fill_tmp = probes.load("fs_scratch_limit", max_mb=16).replace(
        "import os\n", "import os\nos.chdir('/tmp')\n", 1)
    result = run_code(sandbox, fill_tmp, small_limits(scratch_mb=8))
    assert result.ok and probes.verdict(result.stdout)["blocked"], result


def test_memory_below_limit_completes_despite_the_sentry_share(sandbox):
    result = run_code(sandbox, probes.load("mem_allocate", mb=40), small_limits(memory_mb=64))
    assert result.ok, result
    assert result.max_rss_mb >= 40


def test_killed_run_leaves_no_runsc_process_or_state(sandbox):
    run_id = f"t-{uuid.uuid4().hex[:16]}"
    markers = (f"evalplatform-{run_id}", f"{run_id}/{gvisor.STATE_NAME}")
    seen_running: list[int] = []

    def on_output(stream, chunk):     # control: while it runs, the markers find runsc
        if b"up" in chunk and not seen_running:
            seen_running.extend(pid for m in markers for pid in host_processes_with(m))

    sleeper = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"
    result = run_code(sandbox, sleeper, small_limits(timeout_s=2), run_id=run_id,
                      on_output=on_output)
    assert result.reason == "timeout" and "up" in result.stdout, result
    assert seen_running, "the markers should have matched runsc's processes during the run"
    assert [host_processes_with(m) for m in markers] == [[], []]


def _plan(workdir: Path, program: list[str]) -> RunPlan:
    code = workdir / "code"
    code.mkdir()
    return RunPlan(request=RunRequest(run_id="t-setup", code=""), program=program,
                   env={"PATH": "/usr/bin:/bin"}, ro_binds=["/usr", "/bin", "/lib", "/lib64"],
                   code_dir=str(code), workdir=str(workdir))


@pytest.mark.parametrize("program, setup_failed", [(["/nonexistent-program"], True),
                                                   (["/bin/sh", "-c", "exit 128"], False)])
def test_setup_error_tells_runsc_failures_from_the_programs(program, setup_failed):
    engine = engines.get_engine("gvisor")
    with tempfile.TemporaryDirectory() as workdir:
        plan = _plan(Path(workdir), program)
        try:
            done = subprocess.run(engine.launch(plan).argv, capture_output=True, input=b"",
                                  env={}, cwd=workdir, timeout=30)
            assert done.returncode == 128, done
            assert bool(engine.setup_error(plan)) == setup_failed, engine.setup_error(plan)
        finally:
            engine.cleanup(plan)
        assert not gvisor.state_dir(plan).exists()


def test_setup_error_reports_a_sentry_crash(tmp_path):
    engine = engines.get_engine("gvisor")
    plan = _plan(tmp_path, ["/bin/true"])
    assert engine.setup_error(plan) is None
    (tmp_path / gvisor.PANIC_LOG_NAME).write_text(
        "runtime: failed to create new OS thread (have 36 already; errno=11)\n"
        "fatal error: newosproc\n")
    assert "newosproc" in engine.setup_error(plan)


def test_bundle_config_holds_the_plan(tmp_path):
    plan = _plan(tmp_path, ["/usr/bin/python3", "-I", "/eval/main.py"])
    engine = engines.get_engine("gvisor")
    argv = engine.launch(plan).argv
    assert {"--network=none", "--platform=ptrace", "--ignore-cgroups", "--oci-seccomp"} <= set(argv)
    config = json.loads((tmp_path / gvisor.BUNDLE_NAME / "config.json").read_text())
    process = config["process"]
    assert process["user"] == {"uid": 65534, "gid": 65534} and process["noNewPrivileges"]
    assert not any(process["capabilities"].values())
    assert config["root"]["readonly"]
    binds = {m["destination"]: m for m in config["mounts"] if m["type"] == "bind"}
    assert all("ro" in m["options"] for m in binds.values())
    assert binds["/eval"]["source"] == plan.code_dir
    denied = config["linux"]["seccomp"]["syscalls"][0]["names"]
    assert {"mount", "unshare", "ptrace", "bpf", "keyctl"} <= set(denied)
    assert engine.host_pids(replace(default_limits(), pids=16)) > 55 + 16 * 13    # measured, docs/gvisor.md


def test_a_run_leaves_the_hosts_dev_null_to_root(sandbox):
    # runsc hands the stdio it is given to the container user: were the engine started
    # with the host's /dev/null as stdin, that device would end up owned by uid 65534.
    # Start from the host's proper owner, so an earlier run cannot decide this test.
    os.chown("/dev/null", 0, 0)
    assert run_code(sandbox, "print(1)").ok
    assert Path("/dev/null").stat().st_uid == 0
