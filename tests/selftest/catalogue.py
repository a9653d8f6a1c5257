"""Which acceptance scenarios catch which failpoint: the one table the self-test checks, the
README shows and the promise inventory (promises.py) is built on.

Each failpoint (evalplatform/failpoints.py) breaks one guarantee. CATCHERS names, per
failpoint, the scenarios (by feature) seen to fail with it on. The self-test runs the
failpoints in groups (`groups()`), each group's named scenarios plus BYSTANDERS, fast
features that none of the group's failpoints is caught in: they must stay green, which
shows the fault is caught where it lives and does not make the whole suite fall over.
Every scenario of the acceptance run is named here at least once, or in CANNOT_FAIL with
the reason no single broken guarantee can make it fail (test_every_scenario_can_fail.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from pytest_bdd.feature import get_feature

from evalplatform.failpoints import CATALOGUE

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"

# Fast features that stay green under every failpoint not caught in them (a few seconds each).
BYSTANDERS: tuple[str, ...] = ("connectivity", "api", "imports", "celery_tasks")

# failpoint -> {feature: (scenarios that fail with it on, as titled in the .feature file)}
CATCHERS: dict[str, dict[str, tuple[str, ...]]] = {
    "no_netns": {
        "network": (
            "lo is the only network interface",
            "A TCP listener on the host's loopback cannot be reached",
            "An HTTP server on the host's loopback cannot be reached",
            "Names cannot be resolved, not even by a DNS server on the host's loopback",
            "The platform's own <service> cannot be reached",
        ),
    },
    "root_writable": {
        "filesystem": (
            "<path> is not writable",
        ),
    },
    "env_not_cleared": {
        "secrets": (
            "The environment holds nothing of the platform's, and neither does /proc/1/environ",
        ),
    },
    "no_timeout_kill": {
        "resources": (
            "The timeout kills the whole tree, a process that ignores SIGTERM and a double-forked daemon included",
            "A fork bomb is contained, and the next evaluation completes normally",
            "A sleeping program is stopped at its own timeout, not later",
        ),
    },
    "no_memory_limit": {
        "resources": (
            'Allocating past the memory limit fails with reason "memory"',
        ),
    },
    "memory_request_ignored": {
        "resources": (
            "The memory limit asked for is the one applied, below the default and above it",
        ),
    },
    "timeout_doubled": {
        "resources": (
            "A sleeping program is stopped at its own timeout, not later",
        ),
    },
    "timeout_early": {
        "resources": (
            "A CPU-bound loop is stopped at its limit",
            "A sleeping program is stopped at its own timeout, not later",
            "A program that ends just under its timeout completes",
        ),
    },
    "no_pids_limit": {
        "resources": (
            "An evaluation cannot start more processes than the platform's pids limit",
        ),
    },
    "stderr_merged": {
        "failures": (
            "An exception after some output fails, keeping both",
            "stdout and stderr are captured, and kept apart",
        ),
        "imports": (
            "An uncaught missing module fails and says so",
            "A syntax error fails with SyntaxError",
        ),
    },
    "fast_exit_output_dropped": {
        "failures": (
            "Output written just before os._exit is all captured",
            "Output without a final newline is kept exactly",
            "Code that exits 0 completes",
        ),
        "imports": (
            "The standard library imports and computes correctly",
            "A caught import error still completes, with its message",
            "A relative import fails gracefully",
            "Multi-line and aliased imports work",
            "A subprocess runs inside the sandbox",
            "The code sees the interpreter version its environment promises",
        ),
        "celery_tasks": (
            "A stored evaluation runs when its task is sent through the broker",
        ),
    },
    "output_cap_off": {
        "resources": (
            "An output flood is truncated, flagged and stored, and the API stays responsive meanwhile",
            "A flood on stderr is truncated and flagged like one on stdout",
        ),
    },
    "stderr_cap_off": {
        "resources": (
            "A flood on stderr is truncated and flagged like one on stdout",
        ),
    },
    "shared_ipc": {
        "persistence": (
            "SysV shared memory, message queues and semaphores one evaluation leaves are invisible to the next",
            "The host's SysV shared memory, message queues and semaphores are invisible",
        ),
    },
    "clone_namespaces_allowed": {
        "privileges": (
            "Namespaces cannot be created through clone() or clone3() flags either",
        ),
    },
    "priority_ignored": {
        "priority": (
            "A high priority evaluation submitted behind low ones starts first",
            "Priorities far apart start strictly in their order",
        ),
    },
    "cancel_noop": {
        "cancellation": (
            "A queued evaluation that is cancelled never runs",
            "A running evaluation that is cancelled reads cancelled at once",
            "A running evaluation that is cancelled leaves no process behind",
        ),
    },
    "cancelled_queued_runs": {
        "cancellation": (
            "A queued evaluation that is cancelled never runs",
        ),
    },
    "running_keys_kept": {
        "redis_state": (
            "A completed evaluation's running state is gone within a second",
            "A failed evaluation's running state is gone within a second",
        ),
    },
    "events_unpublished": {
        "lifecycle": (
            "Each status change is published in order on the status channels",
            "A failure's reason is published with its status",
        ),
    },
    "illegal_moves_allowed": {
        "cancellation": (
            "A running evaluation that is cancelled reads cancelled at once",
            "A cancel that races the end of a run leaves exactly one terminal status",
        ),
    },
    "worker_loss_ignored": {
        "chaos": (
            "A worker killed while it runs an evaluation loses nothing",
        ),
    },
    "health_always_ok": {
        "chaos": (
            "Health reports a stopped Redis as degraded, and ok once it is back",
        ),
    },
    "runs_as_root": {
        "privileges": (
            "The code does not run as root",
            "setuid(0) fails",
            "The devices it can open are not its to change",
        ),
    },
    "cgroup_delegated": {
        "privileges": (
            "/proc/sysrq-trigger, /proc/sys, /sys and the cgroup files are not writable",
        ),
    },
    "proc_unmasked": {
        "privileges": (
            "/proc and /sys tell the code nothing of the host beyond what the interpreter needs",
        ),
    },
    "descriptor_leaked": {
        "privileges": (
            "No file descriptor but stdin, stdout and stderr reaches the code",
        ),
    },
    "no_pidns": {
        "privileges": (
            "Only the sandbox's own processes are in /proc",
            "A process on the host is invisible",
        ),
    },
    "caps_kept": {
        "privileges": (
            "<field> of the code's process reads <value>",
            "Raw and packet sockets are denied",
            "The devices it can open are not its to change",
            "setuid(0) fails",
        ),
    },
    "seccomp_off": {
        "privileges": (
            "The system calls of container escapes are denied",
            "<field> of the code's process reads <value>",
            "Namespaces cannot be created through clone() or clone3() flags either",
            "io_uring is refused: it does its work where the seccomp filter cannot see it",
            "No vsock socket, which reaches past the network namespace to the hypervisor, can be made",
        ),
    },
    "host_devices_bound": {
        "privileges": (
            "No device beyond null, zero, random and urandom can be opened",
        ),
    },
    "host_dirs_bound": {
        "secrets": (
            "Well-known credential and configuration files are invisible",
            "The platform's own files are invisible: the project, its .env files, the stack's data, logs and sockets",
            "No unix socket is visible where services keep them",
            "No unix socket of a host service is visible or reachable",
        ),
        "filesystem": (
            "The project's directory is invisible",
        ),
    },
    "scratch_readonly": {
        "filesystem": (
            "The scratch space <path> is writable",
        ),
    },
    "scratch_on_host_disk": {
        "resources": (
            "Filling the scratch directory fails inside the sandbox",
            "Filling the scratch directory leaves the host's free space untouched",
        ),
    },
    "scratch_kept": {
        "persistence": (
            "A file written in /tmp, the scratch directory or /dev/shm is invisible to the next evaluation",
        ),
    },
    "eval_id_not_exported": {
        "imports": (
            "The code sees its own evaluation id as EVAL_ID",
        ),
    },
    "environment_ignored": {
        "imports": (
            "numpy computes in the python-ml environment",
            "The environment is also accepted under its old name, executor_image",
        ),
        "libraries": (
            "<environment> runs the interpreter and every library it lists",
        ),
    },
    "exit_status_flattened": {
        "failures": (
            "sys.exit(<code>) fails with exit code <code>",
            "A process that SIGKILLs itself reports signal 9",
        ),
    },
    "output_decoded_latin1": {
        "failures": (
            "Unicode in the code and in its output is kept exactly",
        ),
    },
    "refusals_answer_500": {
        "api": (
            'A submission with <problem> is refused, naming "<field>"',
            "A body that is not JSON is refused with 422",
            'Code over 1 MiB is refused, naming "code"',
        ),
        "connectivity": (
            "A refused submission stores nothing",
        ),
    },
    "body_limit_off": {
        "api": (
            "A body over 2 MiB is refused with 413",
        ),
    },
    "unknown_id_500": {
        "api": (
            "Asking for <what> of an evaluation that does not exist answers 404",
        ),
        "cancellation": (
            "Cancelling an evaluation that does not exist answers 404",
        ),
    },
    "queue_position_wrong": {
        "lifecycle": (
            "Submitting answers with the queued evaluation's id and place in the queue",
        ),
    },
    "record_fields_dropped": {
        "lifecycle": (
            "The whole record carries every field of the contract",
        ),
    },
    "success_inverted": {
        "lifecycle": (
            "The status view agrees with the record",
            "The status view of a failure says it did not succeed",
        ),
    },
    "logs_view_live_only": {
        "lifecycle": (
            "The logs view of a finished evaluation holds its output and exit code",
        ),
    },
    "cancel_of_ended_answers_200": {
        "cancellation": (
            "Cancelling a completed evaluation leaves it unchanged",
        ),
    },
    "list_status_filter_ignored": {
        "api": (
            'A list filtered by an unknown status is refused, naming "status"',
        ),
        "lifecycle": (
            "A completed evaluation is listed as completed, never as running",
            "Listing running evaluations lists exactly the running ones",
        ),
        "failures": (
            "Twenty fast failures at once all end failed, none left running",
        ),
        "load": (
            "A burst of concurrent submissions all end, none lost",
        ),
    },
    "list_pages_bare": {
        "api": (
            "The list of evaluations has the contract's shape",
        ),
        "lifecycle": (
            "The list of evaluations pages without gaps or overlaps",
        ),
    },
    "queue_status_by_priority_missing": {
        "priority": (
            "The queue status reports its counts",
            "The queue status counts the waiting evaluations by priority",
        ),
    },
    "capabilities_unreported": {
        "api": (
            "The platform reports its executor, engine, limits and capabilities",
        ),
    },
    "engine_misreported": {
        "filesystem": (
            "The engine the platform reports is the engine that runs the code",
        ),
    },
    "environment_libraries_unlisted": {
        "api": (
            "The environments are listed with their versions and libraries",
        ),
    },
    "health_service_missing": {
        "connectivity": (
            "The health endpoint reports every service",
        ),
    },
    "events_unstored": {
        "lifecycle": (
            "Each status change is stored in order in evaluation_events",
        ),
    },
    "started_at_unset": {
        "lifecycle": (
            "Timestamps are ordered and the runtime agrees with them",
        ),
        "load": (
            "A burst of concurrent submissions all end, none lost",
        ),
    },
    "code_hash_wrong": {
        "connectivity": (
            "An evaluation is stored with its code, the hash of its code and its outcome",
        ),
    },
    "metadata_as_text": {
        "connectivity": (
            "The metadata is stored as JSONB, found by its contents",
            "An evaluation is stored with its code, the hash of its code and its outcome",
        ),
    },
    "queue_depth_unbounded": {
        "chaos": (
            "A full queue answers 503 with Retry-After, and accepts again once drained",
        ),
    },
    "task_by_name_refused": {
        "celery_tasks": (
            "A stored evaluation runs when its task is sent through the broker",
        ),
    },
    "live_output_unwritten": {
        "lifecycle": (
            "The logs view shows the output so far while the code runs",
        ),
        "resources": (
            "The timeout kills the whole tree, a process that ignores SIGTERM and a double-forked daemon included",
        ),
    },
    "running_keys_unwritten": {
        "redis_state": (
            "A running evaluation has its running key and set membership",
            "The running set holds exactly what the API lists as running",
        ),
    },
    "fifo_within_priority_off": {
        "priority": (
            "Evaluations of the same priority start in the order they were submitted",
        ),
    },
    "celery_accepts_pickle": {
        "connectivity": (
            "The workers accept JSON only",
        ),
    },
    "acks_early": {
        "connectivity": (
            "The workers acknowledge a task only after running it",
        ),
    },
    "task_started_untracked": {
        "celery_tasks": (
            "A task's state is tracked from PENDING through STARTED to SUCCESS",
        ),
    },
    "health_task_unhealthy": {
        "celery_tasks": (
            "The health check task answers with the worker's name",
            "Several tasks in a row all succeed",
        ),
    },
}

# Scenarios of the acceptance run that no single broken guarantee of the reference platform
# makes fail, each with the reason. tests/selftest/test_every_scenario_can_fail.py holds every
# other acceptance scenario to be named in CATCHERS, and these to be named nowhere there.
_CONTROL = ("the workers' answer to Celery's remote control (ping, inspect stats); a worker started with "
            "remote control off (the one failpoint tried) keeps the embedded stack from starting at all, so it "
            "fails every feature instead of this one")
_SERVICE = ("a property of the stack's own {} server, which the suite starts: no broken guarantee of the "
            "platform's processes stops it answering (a failpoint that stopped it would fail every feature)")
CANNOT_FAIL: dict[tuple[str, str], str] = {
    ("connectivity", "Redis answers a ping"): _SERVICE.format("Redis"),
    ("connectivity", "PostgreSQL accepts a connection"): _SERVICE.format("PostgreSQL"),
    ("connectivity", "The workers answer a ping through the broker"): _CONTROL,
    ("connectivity", "The workers report their statistics"): _CONTROL,
    ("connectivity", "The platform's tables exist with the contract's columns"):
        "the schema comes from the migrations the stack's PostgreSQL template was built with "
        "(make pg-template), before any platform process runs, so no failpoint of a running process changes it; "
        "every column's use is caught elsewhere (code_hash_wrong, metadata_as_text, events_unstored)",
    ("filesystem", "/etc/shadow cannot be read"):
        "on this platform it takes two faults at once: the host's /etc in the sandbox (host_dirs_bound) and a "
        "reader that /etc/shadow's mode 0640 root:shadow admits (runs_as_root, caps_kept); each alone is caught "
        "by its own scenarios, this one is defence in depth",
    ("filesystem", "The host's home directory is invisible"):
        "the host's home is /root, mode 0700: binding it into the sandbox only breaks the interpreter below it, "
        "and the sandbox user could not look into it anyway; the other host paths are caught (host_dirs_bound)",
    ("secrets", "No Kubernetes service-account token is mounted"):
        "the local executor has no service-account token to mount; the guarantee lives in the Kubernetes Job "
        "(automountServiceAccountToken: false, tests/k8s/test_manifest.py) and this scenario checks it on a "
        "Kubernetes target",
}

# Tags whose scenarios `make acceptance` does not run against the embedded platform.
NOT_IN_ACCEPTANCE = frozenset({"chaos", "k8s", "production"})
# At most this many failpoints share one run of the self-test.
GROUP_SIZE = 6
# Failpoints that break what the steps of many features read, or that widen what the code
# may do on the shared host: each runs alone, so it can neither mask another failpoint's
# blindness nor combine with one into a real escape.
SOLO: frozenset[str] = frozenset({
    "fast_exit_output_dropped",     # empties nearly every evaluation's output, probe verdicts included
    "cancel_noop",                  # leaves runs going that hold worker slots into later scenarios
    "list_status_filter_ignored",   # every "none of them is listed as running" step
    "started_at_unset",             # every step that measures a run from its start
    "engine_misreported",           # steps and gating that depend on the engine's name
    "runs_as_root", "caps_kept", "host_dirs_bound", "cgroup_delegated",   # privilege and visibility
})
# Failpoints wired in the same branch (one of them would silently win): never in one group.
APART: tuple[frozenset[str], ...] = (
    frozenset({"scratch_readonly", "scratch_on_host_disk", "scratch_kept"}),   # nsjail's scratch mount
)


def groups() -> list[tuple[str, ...]]:
    """The self-test's runs: failpoints packed, in catalogue order, into groups whose catching
    FEATURES are disjoint and that leave a bystander to stay green.

    One stack and one pytest process per group instead of per failpoint keeps the self-test
    within minutes. Disjoint features mean no failpoint of a group is listed as caught where
    another's fault lives, so each named scenario's failure is its own failpoint's doing as
    far as the catalogue can tell (every failpoint was also seen caught alone: docs/failpoints.md).
    """
    packed: list[list[str]] = []
    for name in CATALOGUE:
        mine = set(CATCHERS[name])
        for group in packed if name not in SOLO else ():
            theirs = {f for member in group for f in CATCHERS[member]}
            apart = any(name in together and together & set(group) for together in APART)
            if (len(group) < GROUP_SIZE and not SOLO & set(group) and not apart and not mine & theirs
                    and set(BYSTANDERS) - mine - theirs):
                group.append(name)
                break
        else:
            packed.append([name])
    return [tuple(group) for group in packed]


def catching_features(group: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in group:
        seen.update(dict.fromkeys(CATCHERS[name]))
    return tuple(seen)


def bystanders_for(group: Iterable[str]) -> tuple[str, ...]:
    """The bystanders none of the group's failpoints is caught in: they must stay green."""
    catchers = set(catching_features(group))
    return tuple(f for f in BYSTANDERS if f not in catchers)


def features_for(group: Iterable[str]) -> tuple[str, ...]:
    """The features the self-test runs for a group: its catchers, then its bystanders."""
    group = tuple(group)
    return catching_features(group) + bystanders_for(group)


def scenarios_for(group: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """{catching feature: the scenarios to run}: only those the group's failpoints name.
    The other scenarios of a catching feature would prove nothing (they may fail or pass),
    so running them would only cost time; bystanders run whole."""
    union: dict[str, dict[str, None]] = {}
    for name in group:
        for feature, titles in CATCHERS[name].items():
            union.setdefault(feature, {}).update(dict.fromkeys(titles))
    return {feature: tuple(titles) for feature, titles in union.items()}


def every_feature() -> tuple[str, ...]:
    """Every feature any group's run uses (the healthy control runs them all)."""
    seen: dict[str, None] = {}
    for group in groups():
        seen.update(dict.fromkeys(features_for(group)))
    return tuple(seen)


def every_narrowed_scenario() -> dict[str, tuple[str, ...]]:
    """The healthy control's selection: every named scenario, of every feature that is
    not also a bystander somewhere (those run whole)."""
    union = scenarios_for(CATALOGUE)
    return {f: titles for f, titles in union.items() if f not in BYSTANDERS}


def acceptance_scenarios() -> dict[tuple[str, str], frozenset[str]]:
    """{(feature, scenario title): its tags} for every scenario `make acceptance` runs on
    the embedded platform, read from the feature files (static: nothing is run)."""
    found = {}
    for path in sorted(FEATURES_DIR.glob("*.feature")):
        feature = get_feature(str(FEATURES_DIR), path.name)
        for title, template in feature.scenarios.items():
            tags = frozenset(feature.tags) | frozenset(template.tags)
            if not tags & NOT_IN_ACCEPTANCE:
                found[(path.stem, title)] = tags
    return found


def caught_scenarios() -> set[tuple[str, str]]:
    return {(feature, title) for catchers in CATCHERS.values()
            for feature, titles in catchers.items() for title in titles}


def markdown_table() -> str:
    """The README's failpoint table (the README holds it verbatim; a test checks)."""
    rows = ["| failpoint | the guarantee it breaks | caught by (feature: scenarios) |", "|---|---|---|"]
    for name, guarantee in CATALOGUE.items():
        caught = "<br>".join(f"`{feature}`: " + "; ".join(t.replace("<", "&lt;") for t in titles)
                             for feature, titles in CATCHERS[name].items())
        rows.append(f"| `{name}` | {guarantee} | {caught} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
