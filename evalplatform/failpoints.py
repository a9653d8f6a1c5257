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
    "runs_as_root": "the code runs as an unprivileged user, not root",
    "cgroup_delegated": "the kernel's control files and the run's own cgroup are not writable by the code",
    "proc_unmasked": "/proc shows the code nothing of the host beyond what the interpreter needs",
    "descriptor_leaked": "no file descriptor but stdin, stdout and stderr reaches the code",
    "no_pidns": "the sandbox has its own PID namespace: the host's processes are invisible",
    "caps_kept": "the code holds no capability (no raw sockets, no changing devices)",
    "seccomp_off": "a seccomp filter denies the system calls of container escapes",
    "host_devices_bound": "only /dev/null, zero, random and urandom are there to open",
    "host_dirs_bound": "the host's configuration, homes, service data, sockets and the project are invisible",
    "scratch_readonly": "the scratch directory (cwd and /tmp) is writable",
    "scratch_on_host_disk": "the scratch directory is bounded and not on the host's disk",
    "scratch_kept": "every evaluation starts with a fresh scratch: nothing the last one left",
    "eval_id_not_exported": "the code sees its own evaluation id as EVAL_ID",
    "environment_ignored": "an evaluation runs in the environment it asks for",
    "exit_status_flattened": "the exit code and the signal that ended the code are reported",
    "output_decoded_latin1": "output is kept exactly, as UTF-8",
    "refusals_answer_500": "bad input is refused with 422, never a 5xx",
    "body_limit_off": "a body over 2 MiB is refused with 413",
    "unknown_id_500": "an unknown evaluation id answers 404",
    "queue_position_wrong": "the submit answer holds the evaluation's place in the queue",
    "record_fields_dropped": "the record carries every field of the contract",
    "success_inverted": "success says whether the evaluation completed",
    "logs_view_live_only": "the logs view of a finished evaluation holds its stored output",
    "cancel_of_ended_answers_200": "cancelling an ended evaluation answers 409 with its unchanged status",
    "list_status_filter_ignored": "a list filtered by status holds exactly that status, and an unknown one is refused",
    "list_pages_bare": "list pages carry each item's fields and say when there are more",
    "queue_status_by_priority_missing": "the queue status counts the waiting evaluations by priority",
    "capabilities_unreported": "/api/platform reports the capabilities",
    "engine_misreported": "/api/platform names the engine that really runs the code",
    "environment_libraries_unlisted": "/api/environments lists each environment's libraries",
    "health_service_missing": "health reports every service it depends on",
    "events_unstored": "every status change is stored in evaluation_events",
    "started_at_unset": "the record says when the evaluation started",
    "code_hash_wrong": "the stored code_hash is the SHA-256 of the code",
    "metadata_as_text": "metadata is stored as a JSONB object, returned unchanged",
    "queue_depth_unbounded": "a full queue answers 503 with Retry-After",
    "task_by_name_refused": "evaluate_code sent by name through the broker runs a stored evaluation",
    "live_output_unwritten": "the output so far is visible while the evaluation runs",
    "running_keys_unwritten": "a running evaluation has its running key and set membership",
    "fifo_within_priority_off": "evaluations of one priority start in the order they were submitted",
    "celery_accepts_pickle": "the workers accept JSON only",
    "acks_early": "the workers acknowledge a task only after running it",
    "task_started_untracked": "a task's state goes PENDING, STARTED, SUCCESS",
    "health_task_unhealthy": "the health_check task answers healthy with its worker's name",
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
