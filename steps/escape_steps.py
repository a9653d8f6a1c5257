"""The escape battery: resources, privileges, secrets and persistence, and the host's
hygiene after every isolation scenario.

Each claim is a probe (support/probes) submitted as an evaluation; its negative control,
the same probe run bare on the host, is in tests/escape/. The probes and the checks of
amicontained, deepce, botb, CDK, kube-hunter and the Pod Security "restricted" profile
that each one covers are listed in docs/escape.md.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, then, when
from pytest_bdd.scenario import scenario_wrapper_template_registry

# Imported by this plugin before pytest loads it as one: mark it for assertion rewriting first.
pytest.register_assert_rewrite("steps.isolation_steps")
from steps.isolation_steps import run_probe  # noqa: E402
from support import host_exposure, hygiene, probes, reporting, waiting  # noqa: E402
from support.contract import TERMINAL  # noqa: E402
from support.evaluations import timestamp  # noqa: E402

MIB = 1024 * 1024
# After its end, how long an evaluation's host processes, cgroups and directories may
# take to go (the contract's "gone within 1 s" for Redis state, with room for a busy host).
HYGIENE_GRACE_S = 2.0
# How long past its limit a stopped evaluation may take to read terminal.
STOP_GRACE_S = 3.0
# The scratch-filling probe holds its files this long, so the host can measure meanwhile.
FILL_HOLD_S = 1.0
# The platform's pids limit and scratch size, when /api/platform does not report them.
FALLBACK_PIDS = 512
FALLBACK_SCRATCH_MB = 1024
LIMIT_PHRASES = {
    "timeout": re.compile(r"a timeout of (?P<value>\d+) seconds?"),
    "memory_limit": re.compile(r'a memory limit of "(?P<value>[^"]+)"'),
}


def names_in(text: str) -> list[str]:
    """'mount, unshare and bpf' -> ['mount', 'unshare', 'bpf']."""
    return [name.strip() for name in re.split(r",| and ", text) if name.strip()]


def column(datatable: list[list[str]]) -> list[str]:
    """The values of a one-column data table, below its header."""
    return [row[0].strip() for row in datatable[1:]]


# -- hygiene: after every isolation scenario, nothing of its evaluations is left on the host ------

HYGIENE_NOTED = pytest.StashKey[bool]()


def _note_hygiene_not_checked(request: pytest.FixtureRequest, api_url: str) -> None:
    if request.config.stash.get(HYGIENE_NOTED, False):
        return
    request.config.stash[HYGIENE_NOTED] = True
    reporting.add_section(request, "hygiene: skipped", [
        f"not checked after the @isolation scenarios: it looks at the host's processes, cgroups and "
        f"directories, possible only against the embedded stack; the target is the external API_URL={api_url}"])


@pytest.fixture(autouse=True)
def _hygiene_after_isolation(request: pytest.FixtureRequest):
    """After an @isolation scenario, against the embedded stack: every evaluation it
    submitted has ended, and no process, cgroup or directory of any of them remains on the
    host (support/hygiene.py). Against an external target this is skipped, and the run's
    summary says why."""
    node = request.node
    if getattr(node, "function", None) not in scenario_wrapper_template_registry \
            or not node.get_closest_marker("isolation"):
        yield
        return
    target = request.getfixturevalue("target")
    if not target.embedded:
        _note_hygiene_not_checked(request, target.api_url)
        yield
        return
    context, evaluations = request.getfixturevalue("context"), request.getfixturevalue("evaluations")
    yield
    evaluations.cancel_unfinished(context.submitted)
    evaluations.wait_all_terminal(context.submitted)
    waiting.until(lambda: hygiene.remnants(context.submitted), lambda left: not left,
                  timeout=target.seconds(HYGIENE_GRACE_S),
                  description="no process, cgroup or directory of the scenario's evaluations to remain on the host")


# -- resources --------------------------------------------------------------------------------------

def limit_fields(text: str) -> dict:
    """'a timeout of 2 seconds and a memory limit of "64Mi"' -> submission fields."""
    fields = {}
    for part in text.split(" and "):
        for field, phrase in LIMIT_PHRASES.items():
            match = phrase.fullmatch(part.strip())
            if match:
                fields[field] = int(match["value"]) if field == "timeout" else match["value"]
                break
        else:
            raise AssertionError(f"not a limit this step knows: {part!r} (known: {list(LIMIT_PHRASES)})")
    return fields


@when(parsers.re(r"I (?P<verb>run|submit), with (?P<limits>.+):"))
def run_with_limits(context, evaluations, docstring, verb, limits):
    context.limits = limit_fields(limits)
    context.submit(evaluations, docstring, **context.limits)
    if verb == "run":
        context.record_of(evaluations)


@when(parsers.parse("I submit code that ignores SIGTERM and leaves a double-forked daemon behind, "
                    "with a timeout of {seconds:d} seconds"))
def submit_daemon(context, evaluations, seconds):
    context.limits = {"timeout": seconds}
    code = probes.load("daemon_survivor", marker=host_exposure.unique_name("daemon"))
    context.submit(evaluations, code, timeout=seconds)


@then(parsers.parse("it was stopped at its limit of {seconds:d} seconds"))
def stopped_at_limit(context, evaluations, target, seconds):
    record = context.record_of(evaluations)
    assert context.limits.get("timeout") == seconds, f"the evaluation was submitted with {context.limits}"
    span = (timestamp(record, "completed_at") - timestamp(record, "started_at")).total_seconds()
    assert record["runtime_ms"] >= seconds * 1000, f"stopped before its limit of {seconds} s: {record}"
    assert span <= seconds + target.seconds(STOP_GRACE_S), \
        f"ran {span:.1f} s from start to end, past its limit of {seconds} s plus {STOP_GRACE_S} s: {record}"


@when("an evaluation tries to start twice as many processes as the platform's pids limit")
def fork_past_pids_limit(context, evaluations, platform):
    pids = platform.limit("pids", "pids_limit") or FALLBACK_PIDS
    run_probe(context, evaluations, "pids_fork_bomb", max_children=2 * int(pids))


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
    context.record_of(evaluations)
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


def twice_the_scratch_mb(platform) -> int:
    """How much a filling probe writes at most: twice the scratch, so a full scratch shows."""
    return 2 * int(platform.limit("scratch_mb") or FALLBACK_SCRATCH_MB)


@when("an evaluation tries to fill its scratch directory with twice the platform's scratch size")
def fill_scratch(context, evaluations, platform):
    run_probe(context, evaluations, "fs_scratch_limit", max_mb=twice_the_scratch_mb(platform))


@given("the free space of the host's filesystems")
def free_space_before(context, embedded_stack):
    context.free_before = host_exposure.free_bytes()


@when("an evaluation fills its scratch directory and holds it full")
def fill_and_hold(context, evaluations, platform, target):
    context.submit(evaluations, probes.load("fs_fill_hold", max_mb=twice_the_scratch_mb(platform), hold_s=FILL_HOLD_S))
    logs = waiting.until(lambda: evaluations.api.logs(context.eval_id), lambda l: "filled" in (l["output"] or ""),
                         timeout=target.seconds(30), description="the evaluation to report its scratch full")
    context.free_during = host_exposure.free_bytes()
    assert logs["is_running"], (f"the evaluation ended before the host could measure its free space with the "
                                f"scratch full (raise FILL_HOLD_S): {logs}")
    record = context.record_of(evaluations)
    context.verdict = probes.verdict(record["output"] or "")


@then("the host's free space did not shrink by what the evaluation wrote")
def free_space_untouched(context):
    written = context.verdict["detail"]["written_mb"] * MIB
    assert written > 0, f"the evaluation wrote nothing: {context.verdict}"
    shrunk = {path: context.free_before[path] - context.free_during.get(path, 0) for path in context.free_before}
    moved = {path: f"{delta / MIB:.0f} MiB" for path, delta in shrunk.items() if delta >= written / 2}
    assert not moved, f"while the evaluation held {written // MIB} MiB in its scratch, the host lost {moved}"


# -- privileges -------------------------------------------------------------------------------------

def isolation_held(context, claim: str) -> None:
    assert context.verdict["blocked"] is True, f"{claim} does not hold: {context.verdict['detail']}"


@when("an evaluation looks at its user and group ids")
def look_at_ids(context, evaluations):
    run_probe(context, evaluations, "priv_not_root")


@then("none of them is 0")
def none_is_root(context):
    isolation_held(context, "not root")


@when(parsers.parse("an evaluation reads {field} of its own process"))
def read_status_field(context, evaluations, field):
    context.status_field = field
    run_probe(context, evaluations, "proc_status_privileges", field=field)


@then(parsers.parse("it reads {value:d}"))
def reads_value(context, value):
    shown = context.verdict["detail"]
    assert int(shown, 16 if context.status_field == "CapEff" else 10) == value, \
        f"{context.status_field} reads {shown!r}, not {value}"


@when(parsers.parse("an evaluation calls {syscalls}"))
def call_syscalls(context, evaluations, syscalls):
    run_probe(context, evaluations, "seccomp_denied", syscalls=names_in(syscalls))


@then("each of them is denied")
def each_denied(context):
    outcomes = context.verdict["detail"]
    allowed = {name: outcome for name, outcome in outcomes.items() if outcome != "EPERM"}
    assert not allowed, f"not denied (EPERM expected): {allowed}"


@when("an evaluation tries to become root with setuid(0)")
def become_root(context, evaluations):
    run_probe(context, evaluations, "priv_setuid_root")


@when("an evaluation tries to open raw and packet sockets")
def raw_sockets(context, evaluations):
    run_probe(context, evaluations, "net_raw_sockets")


@when("an evaluation lists the processes in /proc")
def list_processes(context, evaluations):
    run_probe(context, evaluations, "pid_namespace")


@then("it sees only its own processes")
def only_own_processes(context):
    isolation_held(context, "only its own processes")


@given("a process of mine on the host, which the host can see")
def host_process(context, embedded_stack):
    _, context.process_marker = context.cleanup.enter_context(host_exposure.marker_process())


@when("an evaluation looks for that process in /proc")
def look_for_process(context, evaluations):
    run_probe(context, evaluations, "proc_host_process", marker=context.process_marker)


@when("an evaluation tries to open these for writing:")
def open_for_writing(context, evaluations, datatable):
    run_probe(context, evaluations, "kernel_files_writable", paths=column(datatable))


@when(parsers.parse("an evaluation tries to open every device in /dev beyond {devices}"))
def open_devices(context, evaluations, devices):
    run_probe(context, evaluations, "dev_openable", allowed=names_in(devices))


@when("an evaluation tries to change the permissions of every device in /dev, keeping them as they are")
def chmod_devices(context, evaluations):
    run_probe(context, evaluations, "dev_chmod")


# -- secrets ------------------------------------------------------------------------------------------

def platform_needles(target) -> list[str]:
    """What would betray the platform in an environment: its URLs and their host:port."""
    urls = [target.api_url, target.redis_url, target.broker_url, target.result_backend, target.database_url]
    return sorted({u for u in urls if u} | {urlsplit(u).netloc.rpartition("@")[2] for u in urls if u})


@when("an evaluation searches every environment it can read for the platform's names and addresses")
def search_environments(context, evaluations, target):
    run_probe(context, evaluations, "env_platform_leak", needles=json.dumps(platform_needles(target)))


@then("it finds nothing of the platform's")
def nothing_of_the_platform(context):
    isolation_held(context, "nothing of the platform's in any environment")


@when("an evaluation looks for these paths:")
def look_for_paths(context, evaluations, datatable):
    run_probe(context, evaluations, "fs_paths_visible", paths=column(datatable))


@given("the platform's own files on the host, which the host can see")
def platform_files(context, embedded_stack):
    context.host_paths = host_exposure.platform_files(embedded_stack)
    assert context.host_paths, "the host sees none of the platform's files"


@when("an evaluation looks for those files")
def look_for_those(context, evaluations):
    run_probe(context, evaluations, "fs_paths_visible", paths=context.host_paths)


@given("the host's unix sockets: the platform's own, one of mine on the filesystem and one of mine "
       "in the abstract namespace, each reachable from the host")
def host_sockets(context, embedded_stack):
    own = context.cleanup.enter_context(host_exposure.unix_listener(
        f"/tmp/{host_exposure.unique_name('socket')}.sock"))
    abstract = context.cleanup.enter_context(host_exposure.unix_listener("\0" + host_exposure.unique_name("abstract")))
    for address in (own, abstract):
        host_exposure.host_reaches_unix(address)
    context.socket_paths = [own, *host_exposure.platform_sockets(embedded_stack)]   # each reached
    context.abstract_sockets = [abstract[1:]]


@when("an evaluation looks for unix sockets and tries to connect to them")
def look_for_sockets(context, evaluations):
    paths = context.socket_paths if context.has("socket_paths") else []
    abstract = context.abstract_sockets if context.has("abstract_sockets") else []
    run_probe(context, evaluations, "unix_sockets", paths=paths, abstract=abstract)


@when("an evaluation looks for a Kubernetes service-account token and the API server's address")
def look_for_k8s_token(context, evaluations):
    run_probe(context, evaluations, "k8s_token", root="")


# -- persistence --------------------------------------------------------------------------------------

@when("an evaluation leaves a file in each of these directories:")
def leave_files(context, evaluations, datatable):
    context.persist_params = {"directories": column(datatable), "marker": host_exposure.unique_name("left")}
    run_probe(context, evaluations, "persist_marker", **context.persist_params)
    context.left_by_first = context.verdict["detail"]["planted"]


@when("the next evaluation looks for them")
def next_looks(context, evaluations):
    run_probe(context, evaluations, "persist_marker", **context.persist_params)


@then("the next evaluation finds none of them")
def finds_none(context):
    left = [d for d, outcome in context.left_by_first.items() if outcome == "left"]
    assert left, f"the first evaluation could leave the file nowhere, so nothing was tested: {context.left_by_first}"
    assert context.verdict["blocked"] is True, \
        f"left in {left}, found by the next evaluation: {context.verdict['detail']['found']}"
