"""Failpoints: named switches, each of which disables exactly one guarantee.

They exist so the acceptance suite can prove it notices when a guarantee breaks
(tests/selftest/): a gate that never turns red is worth nothing. A failpoint is honoured
only when BOTH variables are set:

    EVALPLATFORM_FAILPOINTS=no_netns,priority_ignored     # which guarantees to break
    EVALPLATFORM_FAILPOINTS_ALLOWED=true                  # the explicit test-only consent

With failpoints named but not allowed, none is active. The production profile refuses to
start with any failpoint named (`check_startup`), and /api/platform lists the active ones.
Code asks `failpoints.active("name")` at the one place that implements the guarantee.
"""

from __future__ import annotations

from evalplatform.settings import Settings, get_settings

# name -> the guarantee it breaks (the README's failpoint table is built from this).
CATALOGUE: dict[str, str] = {
    "no_netns": "the sandbox gets its own network namespace with only lo",
    "root_writable": "the sandbox's root filesystem is read-only",
    "env_not_cleared": "the sandbox's environment holds only PATH, HOME, LANG, EVAL_ID",
    "no_timeout_kill": "the wall-clock timeout kills the whole process tree",
    "no_memory_limit": "memory is limited and an OOM kill reports reason memory",
    "memory_request_ignored": "the memory_limit a request asks for is the one applied, not the default",
    "timeout_doubled": "the wall-clock timeout stops a run at its limit, not later",
    "timeout_early": "a run that ends just under its timeout completes",
    "no_pids_limit": "the number of processes is limited (fork bombs are contained)",
    "stderr_merged": "stdout and stderr are captured separately",
    "fast_exit_output_dropped": "output written just before a fast exit is captured",
    "output_cap_off": "stdout and stderr are capped and flagged as truncated",
    "stderr_cap_off": "stderr is capped and flagged (error_truncated) like stdout",
    "shared_ipc": "each evaluation has its own SysV IPC namespace (shared memory, queues, semaphores)",
    "clone_namespaces_allowed": "seccomp denies namespace creation through clone() and clone3() flags",
    "priority_ignored": "higher priority evaluations start first",
    "cancel_noop": "cancelling stops a queued or running evaluation",
    "cancelled_queued_runs": "a cancelled queued evaluation is never started (not only recorded as not started)",
    "running_keys_kept": "Redis running keys are removed when an evaluation ends",
    "events_unpublished": "every status change is published on evaluation:{status}",
    "illegal_moves_allowed": "the store refuses illegal status moves",
    "worker_loss_ignored": "an evaluation whose worker died does not stay running",
    "health_always_ok": "health reports a failed service as degraded",
}


class FailpointError(RuntimeError):
    """Failpoints were requested where they may not be used."""


def requested(settings: Settings | None = None) -> frozenset[str]:
    """The failpoint names in EVALPLATFORM_FAILPOINTS, whether or not they are honoured."""
    s = settings or get_settings()
    return frozenset(n.strip() for n in s.failpoints.split(",") if n.strip())


def enabled(settings: Settings | None = None) -> frozenset[str]:
    """The failpoints in force: requested, allowed, and never in production."""
    s = settings or get_settings()
    if not s.failpoints_allowed or s.profile == "production":
        return frozenset()
    return requested(s)


def active(name: str, settings: Settings | None = None) -> bool:
    """True when the failpoint `name` is in force in this process."""
    if name not in CATALOGUE:
        raise KeyError(f"unknown failpoint {name!r}")
    return name in enabled(settings)


def check_startup(settings: Settings | None = None) -> None:
    """Refuse to start a process with unknown failpoints, or with any in production."""
    s = settings or get_settings()
    names = requested(s)
    unknown = sorted(names - CATALOGUE.keys())
    if unknown:
        raise FailpointError(f"unknown failpoints: {', '.join(unknown)}; known: {', '.join(sorted(CATALOGUE))}")
    if names and s.profile == "production":
        raise FailpointError("the production profile refuses to start with failpoints set "
                             f"(EVALPLATFORM_FAILPOINTS={s.failpoints!r})")
