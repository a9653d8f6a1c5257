"""Which acceptance features catch which failpoint: the one table the self-test checks and
the README shows.

Each failpoint (evalplatform/failpoints.py) breaks one guarantee. CATCHERS names, per
failpoint, the features that must turn red with it on, and in each the scenarios seen to
fail. The self-test runs those features plus BYSTANDERS, a fixed set of fast features
that touch no failpoint's guarantee: they must stay green, which shows the fault is
caught where it lives and does not make the whole suite fall over. Running each
failpoint against its catchers and the bystanders (not the whole suite sixteen times)
keeps the self-test within minutes.
"""

from __future__ import annotations

from evalplatform.failpoints import CATALOGUE

# Fast features that no failpoint should turn red (a few seconds each).
BYSTANDERS: tuple[str, ...] = ("connectivity", "api", "imports")

# failpoint -> {feature: (scenarios that fail with it on, as titled in the .feature file)}
CATCHERS: dict[str, dict[str, tuple[str, ...]]] = {
    "no_netns": {"network": (
        "lo is the only network interface",
        "A TCP listener on the host's loopback cannot be reached",
        "An HTTP server on the host's loopback cannot be reached",
        "Names cannot be resolved, not even by a DNS server on the host's loopback",
        "The platform's own <service> cannot be reached",
    )},
    "root_writable": {"filesystem": ("<path> is not writable",)},
    "env_not_cleared": {"secrets": (
        "The environment holds nothing of the platform's, and neither does /proc/1/environ",
    )},
    "no_timeout_kill": {"resources": (
        "The timeout kills the whole tree, a process that ignores SIGTERM and a double-forked daemon included",
        "A fork bomb is contained, and the next evaluation completes normally",
    )},
    "no_memory_limit": {"resources": ('Allocating past the memory limit fails with reason "memory"',)},
    "memory_request_ignored": {"resources": (
        "The memory limit asked for is the one applied, below the default and above it",
    )},
    "timeout_doubled": {"resources": ("A sleeping program is stopped at its own timeout, not later",)},
    "timeout_early": {"resources": (
        "A CPU-bound loop is stopped at its limit",
        "A sleeping program is stopped at its own timeout, not later",
        "A program that ends just under its timeout completes",
    )},
    "no_pids_limit": {"resources": ("An evaluation cannot start more processes than the platform's pids limit",)},
    "stderr_merged": {
        "failures": ("An exception after some output fails, keeping both",
                     "stdout and stderr are captured, and kept apart"),
        "imports": ("An uncaught missing module fails and says so", "A syntax error fails with SyntaxError"),
    },
    # Nearly every program writes its last output just before it exits, so this one
    # empties the output of most evaluations: every feature that reads output catches it.
    "fast_exit_output_dropped": {
        "failures": ("Output written just before os._exit is all captured",
                     "Output without a final newline is kept exactly"),
        "imports": ("The standard library imports and computes correctly",),
    },
    "output_cap_off": {"resources": (
        "An output flood is truncated, flagged and stored, and the API stays responsive meanwhile",
        "A flood on stderr is truncated and flagged like one on stdout",
    )},
    "stderr_cap_off": {"resources": ("A flood on stderr is truncated and flagged like one on stdout",)},
    "shared_ipc": {"persistence": (
        "SysV shared memory, message queues and semaphores one evaluation leaves are invisible to the next",
        "The host's SysV shared memory, message queues and semaphores are invisible",
    )},
    "clone_namespaces_allowed": {"privileges": (
        "Namespaces cannot be created through clone() or clone3() flags either",
    )},
    "priority_ignored": {"priority": ("A high priority evaluation submitted behind low ones starts first",)},
    "cancel_noop": {"cancellation": (
        "A queued evaluation that is cancelled never runs",
        "A running evaluation that is cancelled reads cancelled at once",
        "A running evaluation that is cancelled leaves no process behind",
    )},
    "cancelled_queued_runs": {"cancellation": ("A queued evaluation that is cancelled never runs",)},
    "running_keys_kept": {"redis_state": (
        "A completed evaluation's running state is gone within a second",
        "A failed evaluation's running state is gone within a second",
    )},
    "events_unpublished": {"lifecycle": (
        "Each status change is published in order on the status channels",
        "A failure's reason is published with its status",
    )},
    "illegal_moves_allowed": {"cancellation": ("A running evaluation that is cancelled reads cancelled at once",)},
    "worker_loss_ignored": {"chaos": ("A worker killed while it runs an evaluation loses nothing",)},
    "health_always_ok": {"chaos": ("Health reports a stopped Redis as degraded, and ok once it is back",)},
}

# Features whose scenarios each start a platform of their own (slow): only the scenarios
# named in CATCHERS are run from them, not the whole feature.
NARROWED: frozenset[str] = frozenset({"chaos"})


def features_for(failpoint: str) -> tuple[str, ...]:
    """The features the self-test runs with `failpoint` on: its catchers, then the bystanders."""
    catchers = tuple(CATCHERS[failpoint])
    return catchers + tuple(f for f in BYSTANDERS if f not in catchers)


def scenarios_for(failpoint: str) -> dict[str, tuple[str, ...]]:
    """{feature: scenario titles} to narrow the run to, for NARROWED features only."""
    return {f: titles for f, titles in CATCHERS[failpoint].items() if f in NARROWED}


def every_feature() -> tuple[str, ...]:
    """Every feature any failpoint's run uses (the healthy control runs them all)."""
    seen: dict[str, None] = {}
    for name in CATCHERS:
        seen.update(dict.fromkeys(features_for(name)))
    return tuple(seen)


def every_narrowed_scenario() -> dict[str, tuple[str, ...]]:
    """The union of the narrowed scenarios of every failpoint (for the healthy control)."""
    union: dict[str, dict[str, None]] = {}
    for name in CATCHERS:
        for feature, titles in scenarios_for(name).items():
            union.setdefault(feature, {}).update(dict.fromkeys(titles))
    return {feature: tuple(titles) for feature, titles in union.items()}



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
