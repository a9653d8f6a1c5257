"""Run untrusted Python isolated, limited and fully observed.

    sandbox = Sandbox()                       # settings.sandbox_engine; "auto": nsjail, bwrap
    result = sandbox.run(RunRequest(code="print(1)", run_id="e1",
                                    limits=default_limits(timeout_s=5)))

Engines (engines/) only build the isolating host command; runner.py supervises every
run the same way (cgroup, output caps, timeout, cancel, kill, verdict). docs/sandbox.md
describes the isolation each engine gives and the decisions behind it. The request,
limits and result are the platform's one run type (evalplatform/run.py), re-exported here
for the sandbox's own callers (doctor, benchmarks, tests).
"""

from __future__ import annotations

from typing import Optional

from evalplatform.run import (STDERR, STDOUT, CancelCheck, Limits, OutputCallback, RunRequest,
                              RunResult, default_limits)
from evalplatform.sandbox import cgroups, engines, runner
from evalplatform.sandbox.cgroups import CgroupsUnavailable, Hierarchy, detect
from evalplatform.sandbox.errors import SandboxError, SandboxUnavailable
from evalplatform.settings import Settings, get_settings

__all__ = ["Sandbox", "default_limits", "cleanup_orphans", "Limits", "RunRequest",
           "RunResult", "SandboxError", "SandboxUnavailable", "STDOUT", "STDERR"]


def _hierarchy(settings: Settings) -> Hierarchy:
    try:
        return detect(settings.cgroup_parent)
    except CgroupsUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from None


def _unavailable_message(names: tuple[str, ...]) -> str:
    details = "; ".join(f"{n}: {engines.availability(n).detail}" for n in names)
    return f"no sandbox engine can isolate on this host ({details})"


class Sandbox:
    """A configured engine plus the host's cgroups. Thread-safe: runs share nothing."""

    def __init__(self, engine: str | None = None, settings: Settings | None = None):
        self.settings = settings or get_settings()
        wanted = engine or self.settings.sandbox_engine
        if wanted == "auto":
            chosen = engines.first_available()
            if chosen is None:
                raise SandboxUnavailable(_unavailable_message(engines.AUTO_ORDER))
        else:
            if wanted not in engines.ENGINE_NAMES:
                raise SandboxUnavailable(f"unknown sandbox engine {wanted!r}; "
                                         f"known: {', '.join(engines.ENGINE_NAMES)}")
            if not engines.availability(wanted).ok:
                raise SandboxUnavailable(_unavailable_message((wanted,)))
            chosen = engines.get_engine(wanted)
        self.engine = chosen
        self.engine_name: str = chosen.name
        self.hierarchy = _hierarchy(self.settings)

    def run(self, request: RunRequest, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        """Run to the end; raises KeyError (UnknownEnvironment) for an unknown environment,
        ValueError for a malformed run_id, SandboxError when the sandbox itself fails."""
        return runner.run(self.engine, self.hierarchy, self.settings, request,
                          on_output, should_cancel)

    def kill(self, run_id: str) -> bool:
        """Kill a run's whole tree (any thread or process on this host); False if none."""
        return runner.kill_run(self.hierarchy, self.settings, run_id)

    def describe(self) -> dict:
        """What this sandbox enforces, for /api/platform: the engine's isolation, the
        runner's supervision, the run cgroup's limits (by the controllers it really has),
        and the limits a run gets when it asks for none."""
        availability = engines.availability(self.engine_name)
        controllers = self.hierarchy.controllers()
        limits = default_limits(self.settings)
        return {
            "engine": self.engine_name,
            "version": availability.version,
            "cgroup": {"version": self.hierarchy.version, "controllers": controllers,
                       "parent": self.hierarchy.parent},
            "capabilities": sorted({*self.engine.capabilities, *runner.CAPABILITIES,
                                    *(cgroups.CAPABILITIES[c] for c in controllers
                                      if c in cgroups.CAPABILITIES)}),
            "limits": {"default_timeout_s": limits.timeout_s, "default_memory_mb": limits.memory_mb,
                       "pids": limits.pids, "file_size_mb": limits.file_size_mb,
                       "scratch_mb": limits.scratch_mb, "output_limit_bytes": limits.stdout_bytes},
        }


def host_run_ids(settings: Settings | None = None) -> set[str]:
    """The runs that have a sandbox on this host now (a cgroup or a run dir), whoever
    started them: for a stack that sweeps its own evaluations' leftovers at its stop."""
    s = settings or get_settings()
    ids: set[str] = set()
    try:
        ids |= detect(s.cgroup_parent).run_ids()
    except CgroupsUnavailable:
        pass
    root = runner.run_dir(s, "x").parent
    if root.is_dir():
        ids |= {p.name for p in root.iterdir() if p.is_dir() and cgroups.is_run_id(p.name)}
    return ids


def cleanup_orphans(active_run_ids: set[str] | None = None, settings: Settings | None = None,
                    min_age_s: float = 0.0) -> list[str]:
    """Kill and remove run cgroups (and their processes and host dirs) not in the active
    set; the platform's reaper calls this after a worker died. Runs younger than
    min_age_s are spared (a worker may be starting them). Returns the run ids cleaned."""
    s = settings or get_settings()
    return runner.cleanup_orphans(_hierarchy(s), s, active_run_ids, min_age_s)
