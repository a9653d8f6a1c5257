"""Binds features/resources.feature: one feature, one test module (`pytest features/test_resources.py`)."""
from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from support import host_exposure, probes, waiting
from support.contract import TERMINAL
from support.evaluations import timestamp

scenarios("resources.feature")

MIB = 1024 * 1024
# How long past its limit a stopped evaluation may take to read terminal.
STOP_GRACE_S = 3.0
# The scratch-filling probe holds its files this long, so the host can measure meanwhile.
FILL_HOLD_S = 1.0
# The target's pids limit and scratch size, when neither /api/platform nor the profile reports them.
FALLBACK_PIDS = 512
FALLBACK_SCRATCH_MB = 1024


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


@then("the stored output is flagged as truncated, holds at most the platform's output limit, "
      "and is what the code wrote")
def output_truncated(context, evaluations, platform):
    context.outcome()
    record = evaluations.api.evaluation(context.eval_id)       # read back from storage
    limit = platform.limit("output_limit_bytes", "output_bytes")
    assert limit, f"/api/platform reports no output limit: {platform.limits}"
    output = (record["output"] or "").encode()
    assert record["output_truncated"] is True, f"output_truncated is {record['output_truncated']!r}"
    assert 0 < len(output) <= limit, f"{len(output)} bytes of output stored; the platform's limit is {limit}"
    *lines, last = output.split(b"\n")
    written = lines[0] if lines else last
    assert set(written.split()) == {b"flood"} and all(line == written for line in lines) \
        and written.startswith(last), f"the stored output is not what the code wrote: {output[:200]!r}...{output[-200:]!r}"


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
