"""The promise inventory: what docs/contract.md promises, which scenarios check each
promise, and which failpoints break it; and every Then of the acceptance features with
the failpoints that turn its scenario red. docs/promises.md is generated from here
(`python -m tests.selftest.promises`) and test_promises.py checks the two against each
other and against the catalogue.

A promise's failpoints must each be caught (catalogue.CATCHERS) by one of the promise's
own scenarios: a failpoint that breaks the promise but is caught only elsewhere would
not show that the promise is checked. `left_to` names where a promise is checked when
`make acceptance` does not check it itself (@chaos scenarios, tests/fuzz).
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_bdd.feature import get_feature

from .catalogue import CATCHERS, FEATURES_DIR, NOT_IN_ACCEPTANCE


@dataclass(frozen=True)
class Promise:
    section: str                          # the contract's section
    text: str                             # the promise, in the contract's words
    scenarios: tuple[tuple[str, str], ...]  # (feature, scenario title) that check it
    failpoints: tuple[str, ...]           # failpoints that break it (each caught by one of `scenarios`)
    left_to: str = ""                     # "@chaos" / "tests/fuzz": checked there, not by make acceptance


def _s(feature: str, *titles: str) -> tuple[tuple[str, str], ...]:
    return tuple((feature, title) for title in titles)


STATUSES, API, REDIS, CELERY, PG, TARGETS = ("Statuses", "HTTP API", "Redis", "Celery", "PostgreSQL",
                                            "What a target must show")

PROMISES: tuple[Promise, ...] = (
    # -- statuses ---------------------------------------------------------------------------------
    Promise(STATUSES, "A terminal evaluation never changes again",
            _s("cancellation", "A running evaluation that is cancelled reads cancelled at once",
               "A cancel that races the end of a run leaves exactly one terminal status"),
            ("illegal_moves_allowed",)),
    Promise(STATUSES, "Only the contract's moves are stored; repeating a status is a no-op; anything else is refused",
            _s("lifecycle", "Each status change is stored in order in evaluation_events")
            + _s("cancellation", "A running evaluation that is cancelled reads cancelled at once"),
            ("events_unstored", "illegal_moves_allowed")),
    Promise(STATUSES, "completed means the code ran and exited 0; everything else that ran is failed with a reason",
            _s("failures", "Code that exits 0 completes", "sys.exit(<code>) fails with exit code <code>",
               "A process that SIGKILLs itself reports signal 9", "Output written just before os._exit is all captured"),
            ("exit_status_flattened", "fast_exit_output_dropped")),
    Promise(STATUSES, "reason timeout: the wall-clock timeout asked for stops the whole tree at its value",
            _s("resources", "The timeout kills the whole tree, a process that ignores SIGTERM and a double-forked daemon included",
               "A CPU-bound loop is stopped at its limit", "A sleeping program is stopped at its own timeout, not later",
               "A program that ends just under its timeout completes",
               "A fork bomb is contained, and the next evaluation completes normally"),
            ("no_timeout_kill", "timeout_doubled", "timeout_early")),
    Promise(STATUSES, "reason memory: the memory_limit asked for is applied, below and above the default",
            _s("resources", 'Allocating past the memory limit fails with reason "memory"',
               "The memory limit asked for is the one applied, below the default and above it"),
            ("no_memory_limit", "memory_request_ignored")),
    Promise(STATUSES, "reason output_limit: stdout and stderr are each capped, flagged (output_truncated, error_truncated) and stored",
            _s("resources", "An output flood is truncated, flagged and stored, and the API stays responsive meanwhile",
               "A flood on stderr is truncated and flagged like one on stdout"),
            ("output_cap_off", "stderr_cap_off")),
    Promise(STATUSES, "cancelled carries reason cancelled",
            _s("cancellation", "A queued evaluation that is cancelled never runs",
               "A running evaluation that is cancelled reads cancelled at once"),
            ("cancel_noop",)),
    Promise(STATUSES, "reason worker_lost: an evaluation whose worker died does not stay running",
            _s("chaos", "A worker killed while it runs an evaluation loses nothing"),
            ("worker_loss_ignored",), left_to="@chaos"),
    # -- HTTP API ---------------------------------------------------------------------------------
    Promise(API, "POST /api/eval answers {eval_id, status queued, message, queue_position}",
            _s("lifecycle", "Submitting answers with the queued evaluation's id and place in the queue"),
            ("queue_position_wrong",)),
    Promise(API, "code, timeout, priority, language, environment, memory_limit are validated: a 422 naming the field",
            _s("api", 'A submission with <problem> is refused, naming "<field>"', 'Code over 1 MiB is refused, naming "code"',
               "A body that is not JSON is refused with 422")
            + _s("connectivity", "A refused submission stores nothing"),
            ("refusals_answer_500",)),
    Promise(API, "priority: higher runs first, strictly; first come first served within one value",
            _s("priority", "A high priority evaluation submitted behind low ones starts first",
               "Priorities far apart start strictly in their order",
               "Evaluations of the same priority start in the order they were submitted"),
            ("priority_ignored", "fifo_within_priority_off")),
    Promise(API, "environment (also accepted as executor_image) is the environment the code runs in",
            _s("imports", "numpy computes in the python-ml environment",
               "The environment is also accepted under its old name, executor_image")
            + _s("libraries", "<environment> runs the interpreter and every library it lists"),
            ("environment_ignored",)),
    Promise(API, "GET /api/eval/{id}: the whole record, every field of the contract",
            _s("lifecycle", "The whole record carries every field of the contract",
               "Timestamps are ordered and the runtime agrees with them"),
            ("record_fields_dropped", "started_at_unset")),
    Promise(API, "GET /api/eval/{id}/status: {eval_id, status, reason, created_at, completed_at, success}",
            _s("lifecycle", "The status view agrees with the record", "The status view of a failure says it did not succeed"),
            ("success_inverted",)),
    Promise(API, "GET /api/eval/{id}/logs: while running, the output so far; after, the stored output and exit code",
            _s("lifecycle", "The logs view shows the output so far while the code runs",
               "The logs view of a finished evaluation holds its output and exit code"),
            ("live_output_unwritten", "logs_view_live_only")),
    Promise(API, "cancel: queued, it never runs (as seen from outside the store too); running, its whole tree is killed",
            _s("cancellation", "A queued evaluation that is cancelled never runs",
               "A running evaluation that is cancelled leaves no process behind"),
            ("cancel_noop", "cancelled_queued_runs")),
    Promise(API, "cancel: a terminal evaluation answers its unchanged status (409)",
            _s("cancellation", "Cancelling a completed evaluation leaves it unchanged"),
            ("cancel_of_ended_answers_200",)),
    Promise(API, "GET /api/evaluations: {evaluations, count, limit, offset, has_more}; status=running lists exactly the running ones",
            _s("api", "The list of evaluations has the contract's shape", 'A list filtered by an unknown status is refused, naming "status"')
            + _s("lifecycle", "The list of evaluations pages without gaps or overlaps",
                 "Listing running evaluations lists exactly the running ones",
                 "A completed evaluation is listed as completed, never as running"),
            ("list_pages_bare", "list_status_filter_ignored")),
    Promise(API, "GET /api/queue/status: the counts, by priority, workers and capacity",
            _s("priority", "The queue status reports its counts", "The queue status counts the waiting evaluations by priority"),
            ("queue_status_by_priority_missing",)),
    Promise(API, "GET /api/health: ok or degraded (503), every service it depends on",
            _s("connectivity", "The health endpoint reports every service")
            + _s("chaos", "Health reports a stopped Redis as degraded, and ok once it is back"),
            ("health_service_missing", "health_always_ok")),
    Promise(API, "GET /api/environments: each environment's interpreter version and libraries",
            _s("api", "The environments are listed with their versions and libraries"),
            ("environment_libraries_unlisted",)),
    Promise(API, "GET /api/platform: executor, engine (the one that runs the code), limits, capabilities",
            _s("api", "The platform reports its executor, engine, limits and capabilities")
            + _s("filesystem", "The engine the platform reports is the engine that runs the code"),
            ("capabilities_unreported", "engine_misreported")),
    Promise(API, "413 for a body over 2 MiB; 404 for an unknown id",
            _s("api", "A body over 2 MiB is refused with 413", "Asking for <what> of an evaluation that does not exist answers 404")
            + _s("cancellation", "Cancelling an evaluation that does not exist answers 404"),
            ("body_limit_off", "unknown_id_500")),
    Promise(API, "503 with Retry-After when the queue is full",
            _s("chaos", "A full queue answers 503 with Retry-After, and accepts again once drained"),
            ("queue_depth_unbounded",), left_to="@chaos"),
    Promise(API, "Never a 5xx for anything a client sent",
            _s("api", 'A submission with <problem> is refused, naming "<field>"', "A body that is not JSON is refused with 422"),
            ("refusals_answer_500",), left_to="tests/fuzz (schemathesis, malformed bodies) beyond these examples"),
    # -- Redis --------------------------------------------------------------------------------------
    Promise(REDIS, "eval:{id}:running and running_evaluations describe every running evaluation",
            _s("redis_state", "A running evaluation has its running key and set membership",
               "The running set holds exactly what the API lists as running"),
            ("running_keys_unwritten",)),
    Promise(REDIS, "Both are gone within 1 s of the evaluation turning terminal",
            _s("redis_state", "A completed evaluation's running state is gone within a second",
               "A failed evaluation's running state is gone within a second"),
            ("running_keys_kept",)),
    Promise(REDIS, "Every status change is published on evaluation:{status} as {eval_id, status, reason, at}",
            _s("lifecycle", "Each status change is published in order on the status channels",
               "A failure's reason is published with its status"),
            ("events_unpublished",)),
    # -- Celery -------------------------------------------------------------------------------------
    Promise(CELERY, "JSON serializer only",
            _s("connectivity", "The workers accept JSON only"), ("celery_accepts_pickle",)),
    Promise(CELERY, "acks_late",
            _s("connectivity", "The workers acknowledge a task only after running it"), ("acks_early",)),
    Promise(CELERY, "evalplatform.health_check answers {status: healthy, worker}",
            _s("celery_tasks", "The health check task answers with the worker's name", "Several tasks in a row all succeed"),
            ("health_task_unhealthy",)),
    Promise(CELERY, "evalplatform.evaluate_code(eval_id) runs one stored evaluation; its state goes PENDING, STARTED, SUCCESS",
            _s("celery_tasks", "A stored evaluation runs when its task is sent through the broker",
               "A task's state is tracked from PENDING through STARTED to SUCCESS"),
            ("task_by_name_refused", "task_started_untracked")),
    Promise(CELERY, "A lost worker never loses an evaluation",
            _s("chaos", "A worker killed while it runs an evaluation loses nothing"),
            ("worker_loss_ignored",), left_to="@chaos"),
    # -- PostgreSQL ---------------------------------------------------------------------------------
    Promise(PG, "evaluations: one row per evaluation with the record's fields, code_hash and metadata as JSONB",
            _s("connectivity", "An evaluation is stored with its code, the hash of its code and its outcome",
               "The metadata is stored as JSONB, found by its contents"),
            ("code_hash_wrong", "metadata_as_text")),
    Promise(PG, "evaluation_events: one row per status change",
            _s("lifecycle", "Each status change is stored in order in evaluation_events"), ("events_unstored",)),
    # -- isolation (the features' own promises, every Then below) -------------------------------------
    Promise(TARGETS, "The network: only lo; nothing on the host or of the platform is reachable",
            _s("network", "lo is the only network interface", "A TCP listener on the host's loopback cannot be reached"),
            ("no_netns",)),
    Promise(TARGETS, "The filesystem: a read-only root, a writable bounded scratch, nothing of the host's",
            _s("filesystem", "<path> is not writable", "The scratch space <path> is writable", "The project's directory is invisible")
            + _s("resources", "Filling the scratch directory fails inside the sandbox"),
            ("root_writable", "scratch_readonly", "host_dirs_bound", "scratch_on_host_disk")),
    Promise(TARGETS, "Privileges: not root, no capability, seccomp (unshare and clone flags), own PID namespace, four devices",
            _s("privileges", "The code does not run as root", "Raw and packet sockets are denied",
               "The system calls of container escapes are denied",
               "Namespaces cannot be created through clone() or clone3() flags either",
               "Only the sandbox's own processes are in /proc",
               "No device beyond null, zero, random and urandom can be opened",
               "/proc/sysrq-trigger, /proc/sys, /sys and the cgroup files are not writable",
               "io_uring is refused: it does its work where the seccomp filter cannot see it",
               "/proc and /sys tell the code nothing of the host beyond what the interpreter needs",
               "No file descriptor but stdin, stdout and stderr reaches the code"),
            ("runs_as_root", "caps_kept", "seccomp_off", "clone_namespaces_allowed", "no_pidns", "host_devices_bound",
             "cgroup_delegated", "proc_unmasked", "descriptor_leaked")),
    Promise(TARGETS, "Secrets: the environment holds nothing of the platform's; no credential file or service socket is visible",
            _s("secrets", "The environment holds nothing of the platform's, and neither does /proc/1/environ",
               "No unix socket is visible where services keep them"),
            ("env_not_cleared", "host_dirs_bound")),
    Promise(TARGETS, "Persistence: nothing one evaluation leaves (files, SysV IPC) reaches the next or the host",
            _s("persistence", "SysV shared memory, message queues and semaphores one evaluation leaves are invisible to the next",
               "The host's SysV shared memory, message queues and semaphores are invisible"),
            ("shared_ipc",)),
    Promise(TARGETS, "Persistence: the scratch directory, /tmp and /dev/shm start empty for every evaluation",
            _s("persistence", "A file written in /tmp, the scratch directory or /dev/shm is invisible to the next evaluation"),
            ("scratch_kept",)),
    Promise(TARGETS, "Resources: processes are limited",
            _s("resources", "An evaluation cannot start more processes than the platform's pids limit"), ("no_pids_limit",)),
    Promise(TARGETS, "The code sees its environment: EVAL_ID, stdout and stderr apart, output kept exactly",
            _s("imports", "The code sees its own evaluation id as EVAL_ID")
            + _s("failures", "stdout and stderr are captured, and kept apart", "Unicode in the code and in its output is kept exactly"),
            ("eval_id_not_exported", "stderr_merged", "output_decoded_latin1")),
)


def _tags(feature, template) -> frozenset[str]:
    return frozenset(feature.tags) | frozenset(template.tags)


def thens() -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(feature, scenario, its Then/And-after-Then steps, the failpoints caught there) for
    every scenario of the acceptance run, in file order."""
    caught: dict[tuple[str, str], list[str]] = {}
    for name, catchers in CATCHERS.items():
        for feature, titles in catchers.items():
            for title in titles:
                caught.setdefault((feature, title), []).append(name)
    rows = []
    for path in sorted(FEATURES_DIR.glob("*.feature")):
        feature = get_feature(str(FEATURES_DIR), path.name)
        for title, template in feature.scenarios.items():
            if _tags(feature, template) & NOT_IN_ACCEPTANCE:
                continue
            steps = tuple(step.name for step in template.steps if step.type == "then")
            rows.append((path.stem, title, steps, tuple(caught.get((path.stem, title), ()))))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def markdown() -> str:
    """docs/promises.md's two generated tables (the doc holds them verbatim; a test checks)."""
    lines = ["| section | promise | checked by (feature: scenario) | broken by | also / only in |", "|---|---|---|---|---|"]
    for p in PROMISES:
        scenarios = "<br>".join(f"`{f}`: {_cell(t)}" for f, t in p.scenarios)
        breakers = ", ".join(f"`{n}`" for n in p.failpoints)
        lines.append(f"| {p.section} | {_cell(p.text)} | {scenarios} | {breakers} | {_cell(p.left_to)} |")
    lines += ["", "| feature | scenario | Then | failpoints that fail it |", "|---|---|---|---|"]
    for feature, title, steps, names in thens():
        lines.append(f"| `{feature}` | {_cell(title)} | {'<br>'.join(_cell(s) for s in steps)} | "
                     f"{', '.join(f'`{n}`' for n in names) or '**none**'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
