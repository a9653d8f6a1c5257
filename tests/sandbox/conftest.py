"""Fixtures for the sandbox tests: every installed engine, probes run inside and bare.

Each isolation claim is checked twice: the probe run in the sandbox must print
`blocked: true`, and the same probe file run bare on the host (a plain subprocess of the
same interpreter, the NEGATIVE CONTROL) must print `blocked: false` — proof the probe
can see the breach it looks for. After every test no run cgroup, run directory or
marked process of that test is left on the host.
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from evalplatform.sandbox import Limits, RunRequest, RunResult, Sandbox, default_limits, engines
from evalplatform.sandbox.cgroups import detect
from evalplatform.sandbox.environments import get_environment
from evalplatform.settings import get_settings
from support import probes

FAST_ENGINES = ("nsjail", "bwrap")


def _engine_params(names):
    params = []
    for name in names:
        marks = [pytest.mark.gvisor] if name == "gvisor" else []
        if name == "gvisor" and not engines.availability("gvisor").ok:
            marks.append(pytest.mark.skip(reason=engines.availability("gvisor").detail))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


# nsjail and bwrap run every test; gVisor (~0.3 s a start) runs the `ALL_ENGINES` subset.
FAST = _engine_params(FAST_ENGINES)
ALL_ENGINES = _engine_params((*FAST_ENGINES, "gvisor"))

_sandboxes: dict[str, Sandbox] = {}
# Run ids of this pytest process: concurrent test runs on the host never confuse the
# leftover checks below.
RUN_PREFIX = f"sbx{os.getpid()}-"


@pytest.fixture
def sandbox(request) -> Sandbox:
    name = request.param
    if name not in _sandboxes:
        _sandboxes[name] = Sandbox(name)
    return _sandboxes[name]


def new_run_id() -> str:
    return f"{RUN_PREFIX}{uuid.uuid4().hex[:16]}"


def small_limits(**overrides) -> Limits:
    return replace(default_limits(timeout_s=20), **overrides)


def run_code(sandbox: Sandbox, code: str, limits: Limits | None = None, run_id: str | None = None,
             environment: str = "python", **kwargs) -> RunResult:
    request = RunRequest(code=code, run_id=run_id or new_run_id(),
                         environment=environment, limits=limits or small_limits())
    return sandbox.run(request, **kwargs)


def run_probe(sandbox: Sandbox, name: str, limits: Limits | None = None, **params) -> dict:
    """The probe's verdict from inside the sandbox (the run itself must have exited 0)."""
    result = run_code(sandbox, probes.load(name, **params), limits)
    assert result.ok, f"probe {name} failed in {sandbox.engine_name}: {result}"
    return probes.verdict(result.stdout)


def run_bare(name: str, cwd: Path, **params) -> dict:
    """The negative control: the same probe, same interpreter, run bare on the host."""
    source = cwd / f"{name}.py"
    source.write_text(probes.load(name, **params))
    env = get_environment("python")
    done = subprocess.run([env.interpreter, *env.flags, str(source)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"bare probe {name} failed: {done.stderr[-2000:]}"
    return probes.verdict(done.stdout)


def _host_processes(part: str, marker: str) -> list[int]:
    """Host pids whose /proc/<pid>/<part> (cmdline, environ) contains marker."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            content = Path(f"/proc/{pid}/{part}").read_bytes()
        except OSError:
            continue
        if marker.encode() in content and int(pid) != os.getpid():
            found.append(int(pid))
    return found


def host_processes_with(marker: str) -> list[int]:
    return _host_processes("cmdline", marker)


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """After every test: no run cgroup, no run directory and no process of this test's runs
    remains (every sandboxed process carries EVAL_ID=<run id> in its environment)."""
    settings = get_settings()
    hierarchy = detect(settings.cgroup_parent)
    before = {r for r in hierarchy.run_ids() if r.startswith(RUN_PREFIX)}
    yield
    left = {r for r in hierarchy.run_ids() if r.startswith(RUN_PREFIX)} - before
    assert not left, f"run cgroups left behind: {left}"
    work_root = Path(settings.work_root)
    dirs = ({p.name for p in work_root.iterdir() if p.name.startswith(RUN_PREFIX)}
            if work_root.is_dir() else set())
    assert not dirs - before, f"run directories left behind: {dirs - before}"
    survivors = _host_processes("environ", f"EVAL_ID={RUN_PREFIX}")
    assert not survivors, f"sandboxed processes left behind: {survivors}"


def assert_blocked_with_control(sandbox: Sandbox, name: str, cwd: Path, **params) -> dict:
    """The claim in one line: blocked inside, and the negative control sees the breach."""
    verdict = run_probe(sandbox, name, **params)
    assert verdict["blocked"], verdict
    control = run_bare(name, cwd, **params)
    assert not control["blocked"], control
    return verdict


SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(60)\n"


class BackgroundRun:
    """SLEEPER running in a thread until it has printed 'started'; `finish()` joins it."""

    def __init__(self, sandbox: Sandbox, run_id: str | None = None):
        self.run_id = run_id or new_run_id()
        self.results: list[RunResult] = []
        started = threading.Event()

        def on_output(stream, chunk):
            if b"started" in chunk:
                started.set()

        self.thread = threading.Thread(target=lambda: self.results.append(
            run_code(sandbox, SLEEPER, run_id=self.run_id, on_output=on_output)))
        self.thread.start()
        assert started.wait(20), "the background run never printed 'started' within 20 s"

    def finish(self) -> RunResult:
        self.thread.join(30)
        assert self.results, "the background run did not end within 30 s of its kill"
        return self.results[0]
