"""Binds features/resources.feature: one feature, one test module (`pytest features/test_resources.py`)."""
from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from support import floods, host_exposure, probes, waiting
from support.contract import TERMINAL
from support.evaluations import timestamp

scenarios("resources.feature")

MIB = 1024 * 1024
# How long past its limit a stopped evaluation may take to read terminal: less than the
# limit itself, so a platform that stops runs at twice their timeout fails.
STOP_GRACE_S = 2.0
# The scratch-filling probe holds its files this long, so the host can measure meanwhile.
FILL_HOLD_S = 1.0
# The target's pids limit and scratch size, when neither /api/platform nor the profile reports them.
FALLBACK_PIDS = 512
FALLBACK_SCRATCH_MB = 1024
FALLBACK_MEMORY_MB = 256
# The memory probe reports how far it got every this many MiB.
MEMORY_STEP_MB = 4


def twice_the_scratch_mb(platform) -> int:
    """How much a filling probe writes at most: twice the scratch, so a full scratch shows."""
    return 2 * int(platform.limit("scratch_mb") or FALLBACK_SCRATCH_MB)


# -- steps only this feature uses --

@when(parsers.parse("I submit code that ignores SIGTERM and leaves a double-forked daemon behind, "
                    "with a timeout of {seconds:d} seconds"))
def submit_daemon(context, evaluations, seconds):
    context.limits = {"timeout": seconds}
    code = probes.load("daemon_survivor", marker=host_exposure.unique_name("daemon"))
    context.submit(evaluations, code, timeout=seconds)


@then(parsers.parse("it was stopped at its limit of {seconds:d} seconds"))
def stopped_at_limit(context, target, seconds):
    record = context.outcome()
    assert context.limits.get("timeout") == seconds, f"the evaluation was submitted with {context.limits}"
    span = (timestamp(record, "completed_at") - timestamp(record, "started_at")).total_seconds()
    assert record["runtime_ms"] >= seconds * 1000, f"stopped before its limit of {seconds} s: {record}"
    assert span <= seconds + target.seconds(STOP_GRACE_S), \
        f"ran {span:.1f} s from start to end, past its limit of {seconds} s plus {STOP_GRACE_S} s: {record}"


def default_memory_mb(platform) -> int:
    return int(platform.limit("default_memory_mb", "memory_mb") or FALLBACK_MEMORY_MB)


def held_mb(output: str) -> int:
    """How much the mem_steps probe last said it held (0 before its first report)."""
    held = [int(line.split()[1]) for line in output.splitlines() if line.startswith("held ")]
    return max(held, default=0)


@when(parsers.parse('an evaluation asking for a memory limit of "{limit}" allocates up to twice '
                    "the platform's default memory"))
def allocate_under_requested(context, sandbox, platform, limit):
    context.limits = {"memory_limit": limit}
    code = probes.load("mem_steps", max_mb=2 * default_memory_mb(platform), step_mb=MEMORY_STEP_MB)
    context.run(sandbox, code, memory_limit=limit)


@then(parsers.parse('it fails with reason "memory", having held less than {mb:d} MiB'))
def killed_near_requested(context, mb):
    record = context.outcome()
    assert (record["status"], record["reason"]) == ("failed", "memory"), f"expected failed/memory: {record}"
    held = held_mb(record["output"] or "")
    assert held >= MEMORY_STEP_MB, f"the evaluation reported holding nothing before it was stopped: {record}"
    assert held < mb, (f"asked for {context.limits['memory_limit']}, it held {held} MiB before it was stopped: "
                       f"the limit applied is not the one asked for")


@when(parsers.parse("an evaluation asking for the platform's default memory plus {extra:d} MiB allocates "
                    "the default plus {allocated:d} MiB"))
def allocate_past_default(context, sandbox, platform, extra, allocated):
    default = default_memory_mb(platform)
    maximum = platform.limit("max_memory_mb")
    assert maximum is None or default + extra <= maximum, f"the platform allows at most {maximum} MiB"
    context.limits = {"memory_limit": f"{default + extra}Mi"}
    context.wanted_mb = default + allocated
    code = probes.load("mem_steps", max_mb=context.wanted_mb, step_mb=MEMORY_STEP_MB)
    context.run(sandbox, code, **context.limits)


@then("it completes, having held all of it")
def held_all(context):
    record = context.outcome()
    assert (record["status"], record["reason"]) == ("completed", None), \
        (f"asked for {context.limits['memory_limit']} and holding {context.wanted_mb} MiB, it ended "
         f"{record['status']}/{record['reason']} after holding {held_mb(record['output'] or '')} MiB: "
         f"a limit below the one asked for was applied")
    output = record["output"] or ""
    assert held_mb(output) >= context.wanted_mb - MEMORY_STEP_MB, f"it reported less than it held: {output[-300:]!r}"


@when("an evaluation tries to start twice as many processes as the platform's pids limit")
def fork_past_pids_limit(context, sandbox, platform):
    pids = platform.limit("pids", "pids_limit") or FALLBACK_PIDS
    context.probe(sandbox, "pids_fork_bomb", max_children=2 * int(pids))


@when("I keep asking the API for the evaluation's logs and the queue's status until it ends")
def keep_asking(context, api, target):
    context.api_failures, context.answered_while_running = [], 0

    def ask() -> str:
        try:
            logs = api.logs(context.eval_id)
            api.queue_status()
        except Exception as exc:   # noqa: BLE001 - every failure is the finding, kept for the Then
            context.api_failures.append(f"{type(exc).__name__}: {exc}")
            return "unanswered"
        context.answered_while_running += bool(logs["is_running"])
        return logs["status"]

    waiting.until(ask, lambda status: status in TERMINAL, timeout=target.seconds(30),
                  description="the evaluation to end while the API is asked about it")


@then("the API answered every one of those requests, some while the evaluation was running")
def api_answered(context):
    assert not context.api_failures, f"the API failed {len(context.api_failures)} requests: {context.api_failures[:3]}"
    assert context.answered_while_running > 0, "no request was answered while the evaluation was running"


# The stream a Then names -> the record's field holding it and its truncated flag.
STORED_STREAMS = {"output": ("output", "output_truncated"), "error": ("error", "error_truncated")}


@then(parsers.parse("the stored {stream} is flagged as truncated, holds at most the platform's output limit, "
                    "and is what the code wrote"))
def stream_truncated(context, platform, stream):
    record = context.outcome()                  # the record as the target stored it
    text_field, flag = STORED_STREAMS[stream]
    limit = platform.limit("output_limit_bytes", "output_bytes")
    assert limit, f"/api/platform reports no output limit: {platform.limits}"
    output = (record[text_field] or "").encode()
    assert record[flag] is True, f"{flag} is {record[flag]!r}"
    assert 0 < len(output) <= limit, f"{len(output)} bytes of {text_field} stored; the platform's limit is {limit}"
    assert floods.is_a_cut_flood(output), \
        f"the stored output is not what the code wrote: {output[:200]!r}...{output[-200:]!r}"


@when("an evaluation tries to fill its scratch directory with twice the platform's scratch size")
def fill_scratch(context, sandbox, platform):
    context.probe(sandbox, "fs_scratch_limit", max_mb=twice_the_scratch_mb(platform))


@given("the free space of the host's filesystems")
def free_space_before(context):
    context.free_before = host_exposure.free_bytes()


@when("an evaluation fills its scratch directory and holds it full")
def fill_and_hold(context, evaluations, platform, target):
    context.submit(evaluations, probes.load("fs_fill_hold", max_mb=twice_the_scratch_mb(platform), hold_s=FILL_HOLD_S))
    logs = waiting.until(lambda: evaluations.api.logs(context.eval_id), lambda l: "filled" in (l["output"] or ""),
                         timeout=target.seconds(30), description="the evaluation to report its scratch full")
    context.free_during = host_exposure.free_bytes()
    assert logs["is_running"], (f"the evaluation ended before the host could measure its free space with the "
                                f"scratch full (raise FILL_HOLD_S): {logs}")
    record = context.outcome()
    context.verdict = probes.verdict(record["output"] or "")


@then("the host's free space did not shrink by what the evaluation wrote")
def free_space_untouched(context):
    written = context.verdict["detail"]["written_mb"] * MIB
    assert written > 0, f"the evaluation wrote nothing: {context.verdict}"
    shrunk = {path: context.free_before[path] - context.free_during.get(path, 0) for path in context.free_before}
    moved = {path: f"{delta / MIB:.0f} MiB" for path, delta in shrunk.items() if delta >= written / 2}
    assert not moved, f"while the evaluation held {written // MIB} MiB in its scratch, the host lost {moved}"
