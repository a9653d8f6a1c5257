"""The acceptance suite's wiring: step vocabulary, the session's target and clients, gating.

- The shared step vocabulary is `steps/*_steps.py`, each module a plugin found by
  globbing. Steps that only one feature uses live beside it, in the feature's binding
  module `features/test_<feature>.py`.
- The target comes from support/config.py (SUITE_TARGET, API_URL, ...). With none set
  the embedded stack is started once for the session (support/session.py) and stopped
  at its end. `--target-profile FILE` (or SUITE_TARGET_PROFILE) is the operator's profile.
- Which scenario applies to which target is decided in one place, support/gating.py,
  from the scenario's tags. It fails closed: no isolation scenario is ever skipped
  because a target claims nothing. A waived failure is reported as xfailed "waived: ...".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from support import (
    gating,
    hygiene,
    platform_facts,
    reporting,
    sharing,
    waiting,
    waivers,
)
from support.config import SettingError
from support.context import ScenarioContext
from support.reports import xdist as xdist_reports
from support.reports.bdd import scenario_names
from support.session import (
    SESSION_TARGET,
    SHARED_STACK_KEY,
    SessionTarget,
    SharedStackPlugin,
    session_target,
)

ROOT = Path(__file__).resolve().parent
DECISION = pytest.StashKey[gating.Decision]()
pytest_plugins = [f"steps.{path.stem}" for path in sorted((ROOT / "steps").glob("*_steps.py"))]
# After its end, how long an evaluation's host processes, cgroups and directories may
# take to go (the contract's "gone within 1 s" for Redis state, with room for a busy host).
HYGIENE_GRACE_S = 2.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--target-profile", metavar="FILE", default=None,
                     help="the operator's target profile (YAML): declared capabilities, limits and waivers; "
                          "also SUITE_TARGET_PROFILE")


def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist the controller starts the one embedded stack and the workers share it.
    shared = getattr(config, "workerinput", {}).get(SHARED_STACK_KEY)
    try:
        config.stash[SESSION_TARGET] = SessionTarget(profile_path=config.getoption("--target-profile"),
                                                     shared=shared)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None
    if sharing.is_xdist_controller(config):
        config.pluginmanager.register(SharedStackPlugin(config.stash[SESSION_TARGET]))
    config.addinivalue_line("markers", f"{sharing.EXCLUSIVE}: {sharing.EXCLUSIVE_HELP}")
    reporting.configure(config)
    # pytest-bdd writes --cucumberjson without making its directory (JUnit XML does).
    cucumber_json = getattr(config.option, "cucumber_json_path", None)
    if cucumber_json:
        Path(cucumber_json).resolve().parent.mkdir(parents=True, exist_ok=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    # Normally the session fixture stopped it; this covers a stack started at collection
    # (live examples) by a run that then executed no scenario.
    if SESSION_TARGET in config.stash:
        config.stash[SESSION_TARGET].stop()


# -- gating by tag ------------------------------------------------------------------------------

def is_scenario(item: pytest.Item) -> bool:
    """True for a pytest-bdd scenario (the project's own tests in tests/ are not gated here)."""
    return getattr(item, "function", None) in scenario_wrapper_template_registry


def scenario_id(item: pytest.Item) -> str:
    """'<feature file stem>: <scenario title>', as waivers and reports name a scenario."""
    return scenario_names(item)[1]


def tags_of(item: pytest.Item) -> set[str]:
    return {mark.name for mark in item.iter_markers()}


@pytest.hookimpl(tryfirst=True)   # before xdist's, which names the groups in the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):     # under xdist: the order the scheduler hands them out in
        sharing.order_for_workers(items, lambda item: tags_of(item) if is_scenario(item) else ())
    holder = session_target(config)
    for item in filter(is_scenario, items):
        decision = gating.decide(tags_of(item), scenario_id(item), holder.requested, holder.profile)
        item.stash[DECISION] = decision
        if decision.skip:
            item.add_marker(pytest.mark.skip(reason=decision.skip))
        elif decision.waiver is not None:
            w = decision.waiver
            waivers.waive(item, w.justification, f"{w.owner}, target profile, until {w.expires.isoformat()}")


@pytest.fixture(autouse=True)
def _shared_stack_turn(request: pytest.FixtureRequest):
    """On a stack shared by xdist workers, an @exclusive scenario runs alone (support/sharing.py).
    Autouse and first, so it is released last, after the scenario's own cleanups."""
    shared = getattr(request.config, "workerinput", {}).get(SHARED_STACK_KEY)
    exclusive = is_scenario(request.node) and sharing.EXCLUSIVE in tags_of(request.node)
    with sharing.turn(shared["dir"] if shared else None, exclusive):
        yield




@pytest.hookimpl(tryfirst=True)   # before xdist sends the collection, and so before the scheduler reads it
def pytest_collection_finish(session: pytest.Session) -> None:
    """Which features apply to the target, counted over the scenarios this run selected. The
    xdist worker with a stack of its own names the @exclusive ones for the scheduler."""
    ids_file = getattr(session.config, "workerinput", {}).get(sharing.OWN_STACK_KEY)
    if ids_file:
        sharing.write_exclusive_ids(ids_file, [item.nodeid for item in session.items
                                               if is_scenario(item) and sharing.EXCLUSIVE in tags_of(item)])
    holder = session_target(session.config)
    for item in filter(is_scenario, session.items):
        holder.applicability.note(item, item.stash[DECISION])


@pytest.fixture(autouse=True)
def _optional_feature_gate(request: pytest.FixtureRequest) -> None:
    """Optional features (priority, cancellation, streaming) a platform declares it lacks are
    skipped, naming the declaration; known only once the live platform answered."""
    item = request.node
    if not is_scenario(item) or not set(gating.OPTIONAL_TAGS) & tags_of(item):
        return
    facts = request.getfixturevalue("platform")
    decision = gating.decide(tags_of(item), scenario_id(item), request.getfixturevalue("target"),
                             session_target(request.config).profile, facts.declared_capabilities)
    if decision.skip:
        session_target(request.config).applicability.note(item, decision)
        pytest.skip(f"{decision.skip}; declared by {facts.source}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A skipped scenario's report points at its line in the .feature file. (A waived
    scenario's failure is reported as waived by the report plugin, support/waivers.py.)"""
    report = yield
    if not is_scenario(item):
        return report
    if report.skipped and isinstance(report.longrepr, tuple):
        template = scenario_wrapper_template_registry[item.function]
        path = Path(template.feature.filename)
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        report.longrepr = (str(shown), template.line_number, report.longrepr[2])
    return report


# -- the session's target and its clients ----------------------------------------------------

@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest):
    """What this run judges (support.config.Target); the embedded stack when nothing is set."""
    holder = session_target(request.config)
    try:
        yield holder.get()
    finally:
        holder.stop()


@pytest.fixture(scope="session")
def embedded_stack(request: pytest.FixtureRequest, target):
    """The embedded stack object (process control). Gating runs only scenarios that may use
    it against the embedded target, so its absence here is a wiring mistake."""
    stack = session_target(request.config).stack
    assert stack is not None, f"a scenario that needs the embedded stack ran against {target.description}"
    return stack


@pytest.fixture(scope="session")
def clients(request: pytest.FixtureRequest, target):
    """The platform's service clients (support/session.py: PlatformClients), one per service."""
    return session_target(request.config).clients()


@pytest.fixture(scope="session")
def api(clients):
    return clients.api


@pytest.fixture(scope="session")
def evaluations(clients):
    return clients.evaluations


@pytest.fixture(scope="session")
def redis_state(clients):
    return clients.redis_state


@pytest.fixture(scope="session")
def celery_client(clients):
    return clients.celery


@pytest.fixture(scope="session")
def database(clients):
    return clients.database


@pytest.fixture(scope="session")
def sandbox(request: pytest.FixtureRequest, target):
    """What runs the probes: the platform (each run an evaluation), or the sandbox command or
    inspect provider under test."""
    return session_target(request.config).runner()


@pytest.fixture(scope="session")
def platform(request: pytest.FixtureRequest, target) -> platform_facts.PlatformFacts:
    """What the target says about itself (GET /api/platform), or what its profile declares."""
    return session_target(request.config).facts()


@pytest.fixture
def context(request: pytest.FixtureRequest):
    """The scenario's scratchpad. At its end: cleanups run, and any evaluation the scenario
    left running is cancelled so it cannot hold a worker slot into the next scenario.
    (`evaluations` may be a scenario's own, as chaos.feature's: so it is asked for by name.)"""
    ctx = ScenarioContext()
    platform = session_target(request.config).requested.is_platform
    evaluations = request.getfixturevalue("evaluations") if platform else None
    yield ctx
    try:
        ctx.cleanup.close()
    finally:
        if ctx.submitted and evaluations is not None:
            evaluations.cancel_unfinished(ctx.submitted)


@pytest.fixture(autouse=True)
def _host_devices_unchanged(request: pytest.FixtureRequest):
    """After an @isolation scenario whose code ran on this machine: the host's standard
    device nodes (/dev/null, ...) have the owner and mode they had before it. A sandbox
    that is handed them may change them on the host (runsc chowns its stdio to the
    container's user); that fails the scenario, and the nodes are put back."""
    item = request.node
    if not is_scenario(item) or "isolation" not in tags_of(item) or not request.getfixturevalue("target").local:
        yield
        return
    before = hygiene.host_devices()
    yield
    changed = hygiene.devices_changed(before, hygiene.host_devices())
    if changed:
        hygiene.restore_devices(before)
        pytest.fail("the host's device nodes changed during the scenario (put back since): "
                    + "; ".join(changed), pytrace=False)


@pytest.fixture(autouse=True)
def _hygiene_after_isolation(request: pytest.FixtureRequest):
    """After an @isolation scenario on the embedded stack: every evaluation it submitted has
    ended, and no process, cgroup or directory of any of them remains on the host
    (support/hygiene.py). Elsewhere the run's summary says it was not checked, and why."""
    item = request.node
    if not is_scenario(item) or "isolation" not in tags_of(item):
        yield
        return
    target = request.getfixturevalue("target")
    if not target.embedded:
        reporting.note_once(request, "hygiene: not checked", [
            "not checked after the @isolation scenarios: it looks for the platform's processes, cgroups and "
            f"directories on this host, possible only on the embedded stack; the target is {target.description}"])
        yield
        return
    context, evaluations = request.getfixturevalue("context"), request.getfixturevalue("evaluations")
    yield
    evaluations.cancel_unfinished(context.submitted)
    evaluations.wait_all_terminal(context.submitted)
    waiting.until(lambda: hygiene.remnants(context.submitted), lambda left: not left,
                  timeout=target.seconds(HYGIENE_GRACE_S),
                  description="no process, cgroup or directory of the scenario's evaluations to remain on the host")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    holder = session_target(config)
    from_workers = config.stash.get(xdist_reports.WORKER_TARGET, None)    # under xdist, the workers collected
    if from_workers:
        reporting.terminal_summary(terminalreporter, config, [], list(from_workers.get("notes", [])))
    else:
        reporting.terminal_summary(terminalreporter, config, holder.describe(), holder.applicability.lines())


# -- under pytest-xdist: the workers' summary sections reach the controller's terminal ---------

SECTIONS_KEY = "evalgate_sections"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[SECTIONS_KEY] = session.config.stash.get(reporting.SECTIONS, [])


def pytest_testnodedown(node, error) -> None:
    """(Called in the xdist controller only.) Each worker's sections, once per title."""
    sections = node.config.stash.setdefault(reporting.SECTIONS, [])
    seen = {title for title, _ in sections}
    for title, lines in getattr(node, "workeroutput", {}).get(SECTIONS_KEY, []):
        if title not in seen:
            sections.append((title, lines))
            seen.add(title)
