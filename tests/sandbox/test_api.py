"""The sandbox's public API: engine selection, limits, environments, errors, cgroups."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from evalplatform.sandbox import (RunRequest, Sandbox, SandboxError, SandboxUnavailable,
                                  default_limits, engines, seccomp)
from evalplatform.sandbox import cgroups
from evalplatform.sandbox.engines.base import Mount
from evalplatform.sandbox.environments import get_environment, list_environments
from evalplatform.settings import Settings
from tests.sandbox.conftest import BackgroundRun, new_run_id, run_code

pytestmark = pytest.mark.sandbox

REQUIRED_DENIED = ("mount", "umount2", "unshare", "setns", "ptrace", "keyctl", "add_key",
                   "request_key", "bpf", "perf_event_open", "kexec_load", "init_module",
                   "finit_module", "reboot", "swapon", "pivot_root")


def test_auto_prefers_nsjail_and_settings_choose_the_engine():
    assert Sandbox(settings=Settings(sandbox_engine="auto")).engine_name == "nsjail"
    assert Sandbox(settings=Settings(sandbox_engine="bwrap")).engine_name == "bwrap"
    assert Sandbox("bwrap").engine_name == "bwrap"


def test_unknown_or_unavailable_engine_is_refused_with_what_to_do():
    with pytest.raises(SandboxUnavailable, match="unknown sandbox engine"):
        Sandbox("docker")
    if not engines.availability("gvisor").ok:
        with pytest.raises(SandboxUnavailable, match="gvisor"):
            Sandbox("gvisor")


def test_default_limits_fill_what_a_request_leaves_unset_from_the_settings():
    settings = Settings(default_timeout_s=30, default_memory_mb=128)
    assert (default_limits(settings).timeout_s, default_limits(settings).memory_mb) == (30, 128)
    asked = default_limits(settings, timeout_s=5, memory_mb=64, cpu_cores=0.5)
    assert (asked.timeout_s, asked.memory_mb, asked.cpu_cores, asked.cpu_time_s) == (5, 64, 0.5, 5)
    assert default_limits(Settings(output_limit_bytes=4096)).stderr_bytes == 4096


def test_environments_are_listed_with_what_they_promise():
    names = [e.name for e in list_environments()]
    assert names[0] == "python"
    python = get_environment("python")
    assert python.libraries == {} and python.python_version.startswith("3.")
    if "python-ml" in names:
        assert set(get_environment("python-ml").libraries) == {
            "numpy", "pandas", "scipy", "scikit-learn"}
    with pytest.raises(KeyError, match="unknown environment 'ruby'"):
        get_environment("ruby")


def test_bad_requests_fail_before_anything_runs():
    sandbox = Sandbox("nsjail")
    with pytest.raises(KeyError):
        sandbox.run(RunRequest(code="pass", run_id=new_run_id(), environment="ruby"))
    with pytest.raises(ValueError, match="run_id"):
        sandbox.run(RunRequest(code="pass", run_id="../etc"))


def test_the_same_run_id_cannot_run_twice_at_once():
    sandbox = Sandbox("nsjail")
    run = BackgroundRun(sandbox)
    try:
        with pytest.raises(SandboxError, match="already running"):
            run_code(sandbox, "pass", run_id=run.run_id)
    finally:
        sandbox.kill(run.run_id)
    assert run.finish().reason == "killed"


def test_describe_reports_engine_cgroups_capabilities_and_limits():
    info = Sandbox("bwrap").describe()
    assert info["engine"] == "bwrap" and info["version"]
    assert info["cgroup"]["version"] in (1, 2)
    assert {"memory", "pids"} <= set(info["cgroup"]["controllers"])
    assert {"memory_limit", "pids_limit", "network_isolation", "timeout"} <= set(info["capabilities"])
    assert "gvisor" not in info["capabilities"]
    assert info["limits"]["output_limit_bytes"] > 0 and info["limits"]["pids"] == Settings().pids_limit


def test_seccomp_policy_lists_every_required_syscall():
    policy = seccomp.kafel_policy()
    for name in REQUIRED_DENIED:
        assert name in seccomp.DENIED_SYSCALLS
        assert seccomp.kafel_syscall(name) in policy
    assert len(seccomp.bpf_program()) % 8 == 0      # whole BPF instructions


UNIFIED = Path("/sys/fs/cgroup/unified")


@pytest.mark.skipif(not (UNIFIED / "cgroup.procs").exists() or
                    (cgroups.CGROUP_ROOT / "cgroup.controllers").exists(),
                    reason="needs a hybrid host's cgroup2 mount at /sys/fs/cgroup/unified")
def test_v2_kill_and_remove_paths_on_the_hybrid_cgroup2_mount(monkeypatch):
    """This host's memory+pids are v1; its cgroup2 mount has no such controllers, but the
    v2 code paths for joining, listing, cgroup.kill and removal are real and testable."""
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", UNIFIED)
    hierarchy = cgroups.Hierarchy(2, f"evalplatform-test-{uuid.uuid4().hex[:8]}")
    run = cgroups.RunCgroup(hierarchy, "v2-run")
    for d in (*hierarchy.parent_dirs(), *run.dirs):
        d.mkdir()
    sleeper = subprocess.Popen(["/bin/sh", "-c", 'echo 0 > "$1"; exec sleep 60', "sh",
                                *run.procs_files()])
    try:
        deadline = time.monotonic() + 10
        while run.pids() != {sleeper.pid} and time.monotonic() < deadline:
            time.sleep(0.01)
        assert run.pids() == {sleeper.pid} and hierarchy.run_ids() == {"v2-run"}
        assert (run.dirs[0] / "cgroup.kill").exists()
        assert run.kill_all() and sleeper.wait(5) == -9
        run.remove()
        assert not run.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
        for d in (*run.dirs, *hierarchy.parent_dirs()):
            if d.is_dir():
                d.rmdir()


@pytest.mark.parametrize("engine", ["nsjail", "bwrap"])
def test_engine_setup_failure_is_sandbox_error_not_the_programs_exit(engine, monkeypatch):
    """A bind that cannot be made fails the engine before the program runs: reason
    sandbox_error with the engine's words in stderr — never nonzero_exit."""
    module = __import__(f"evalplatform.sandbox.engines.{engine}", fromlist=["plan_layout"])
    real_layout = module.plan_layout
    monkeypatch.setattr(module, "plan_layout", lambda plan: [
        *real_layout(plan), Mount("bind", "/nonexistent-evalplatform-bind")])
    result = run_code(Sandbox(engine), "print('never')")
    assert result.reason == "sandbox_error" and result.stdout == "", result
    assert "[sandbox]" in result.stderr
