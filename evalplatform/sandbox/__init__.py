"""Run untrusted Python isolated, limited and fully observed.

    sandbox = Sandbox()                       # settings.sandbox_engine; "auto": nsjail, bwrap
    result = sandbox.run(RunRequest(code="print(1)", run_id="e1",
                                    limits=default_limits(timeout_s=5)))

Engines (engines/) only build the isolating host command; runner.py supervises every
run the same way (cgroup, output caps, timeout, cancel, kill, verdict). docs/sandbox.md
describes the isolation each engine gives and the decisions behind it.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Optional

from evalplatform import failpoints
from evalplatform.sandbox import engines, runner
from evalplatform.sandbox.cgroups import CgroupsUnavailable, Hierarchy, detect
from evalplatform.sandbox.types import (STDERR, STDOUT, CancelCheck, Limits, OutputCallback,
                                        RunRequest, RunResult, SandboxError,
                                        SandboxUnavailable)
from evalplatform.settings import Settings, get_settings

__all__ = ["Sandbox", "default_limits", "cleanup_orphans", "Limits", "RunRequest",
           "RunResult", "SandboxError", "SandboxUnavailable", "STDOUT", "STDERR"]


def default_limits(settings: Settings | None = None, timeout_s: float | None = None,
                   memory_mb: int | None = None) -> Limits:
    """The platform's limits for one run; a request's timeout and memory are capped at the
    settings' maxima. CPU time defaults to the (rounded-up) timeout."""
    s = settings or get_settings()
    if failpoints.active("memory_request_ignored", s):
        memory_mb = None                    # the request's own value is dropped
    timeout = min(timeout_s or s.default_timeout_s, s.max_timeout_s)
    memory = min(memory_mb or s.default_memory_mb, s.max_memory_mb)
    return Limits(timeout_s=float(timeout), memory_mb=int(memory), pids=s.pids_limit,
                  cpu_time_s=s.cpu_time_s or max(1, math.ceil(timeout)),
                  file_size_mb=s.file_size_mb, scratch_mb=s.scratch_mb,
                  stdout_bytes=s.output_limit_bytes, stderr_bytes=s.output_limit_bytes)


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
        availability = engines.availability(self.engine_name)
        return {
            "engine": self.engine_name,
            "version": availability.version,
            "cgroup": {"version": self.hierarchy.version,
                       "controllers": self.hierarchy.controllers(),
                       "parent": self.hierarchy.parent},
            "default_limits": asdict(default_limits(self.settings)),
        }


def cleanup_orphans(active_run_ids: set[str] | None = None, settings: Settings | None = None,
                    min_age_s: float = 0.0) -> list[str]:
    """Kill and remove run cgroups (and their processes and host dirs) not in the active
    set; the platform's reaper calls this after a worker died. Runs younger than
    min_age_s are spared (a worker may be starting them). Returns the run ids cleaned."""
    s = settings or get_settings()
    return runner.cleanup_orphans(_hierarchy(s), s, active_run_ids, min_age_s)
