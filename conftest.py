"""The acceptance suite's wiring: step modules, the session's target and clients, tag gating.

- Every `steps/*_steps.py` module is a plugin, found by globbing, so a new step module
  (steps/k8s_steps.py, the escape battery's, ...) joins by existing.
- The target comes from support/config.py. With API_URL unset the embedded stack is
  started once for the session (support/session.py) and stopped at its end.
- Tags are registered markers (pytest.ini, --strict-markers). Gating:
  @k8s runs only with KUBECONFIG; @production only with REQUIRE_GVISOR=true or
  SUITE_PROFILE=production; @host and @chaos only against the embedded stack (they look
  at or control the host's processes); a tag listed in support/platform_facts.py needs a
  capability that /api/platform reports: missing, the scenario is skipped naming it,
  unless the production profile requires it, and then it fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from support import platform_facts, reporting
from support.api_client import ApiClient
from support.celery_client import CeleryClient
from support.context import ScenarioContext
from support.database import Database
from support.evaluations import Evaluations
from support.redis_state import RedisState
from support.session import SESSION_TARGET, SessionTarget, session_target

ROOT = Path(__file__).resolve().parent
# Step modules may import helpers from one another; marking the package first keeps
# assertion rewriting (readable step failures) for all of them, whatever the import order.
pytest.register_assert_rewrite("steps")
pytest_plugins = [f"steps.{path.stem}" for path in sorted((ROOT / "steps").glob("*_steps.py"))]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SESSION_TARGET] = SessionTarget()
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


# -- gating by tag, decided at collection (no platform needed) --------------------------------

def _static_skip_reason(item: pytest.Item, wanted) -> str | None:
    if item.get_closest_marker("k8s") and not wanted.k8s:
        return "@k8s: needs a Kubernetes cluster; set KUBECONFIG (and K8S_NAMESPACE) to run it"
    if item.get_closest_marker("production") and not wanted.production:
        return "@production: runs only for a production target; set REQUIRE_GVISOR=true or SUITE_PROFILE=production"
    for tag in ("host", "chaos"):
        if item.get_closest_marker(tag) and wanted.api_url:
            return (f"@{tag}: inspects or controls the platform's host processes, possible only against the "
                    f"embedded stack; the target is the external API_URL={wanted.api_url}")
    return None


def is_scenario(item: pytest.Item) -> bool:
    """True for a pytest-bdd scenario (the project's own tests in tests/ are not gated here)."""
    return getattr(item, "function", None) in scenario_wrapper_template_registry


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = session_target(config).requested
    for item in filter(is_scenario, items):
        reason = _static_skip_reason(item, wanted)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A skipped scenario's report points at its line in the .feature file, not at
    pytest-bdd's internals, so `-ra` lists `features/x.feature:12: <reason>`."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and is_scenario(item):
        template = scenario_wrapper_template_registry[item.function]
        path = Path(template.feature.filename)
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        report.longrepr = (str(shown), template.line_number, report.longrepr[2])
    return report


# -- the session's target and its clients ----------------------------------------------------

@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest):
    """The deployment under test (support.config.Target); the embedded stack when API_URL is unset."""
    holder = session_target(request.config)
    try:
        yield holder.get()
    finally:
        holder.stop()


@pytest.fixture(scope="session")
def embedded_stack(request: pytest.FixtureRequest, target):
    """The embedded stack object (process control), or a skip naming why there is none."""
    stack = session_target(request.config).stack
    if stack is None:
        pytest.skip(f"needs the embedded stack; the target is the external API_URL={target.api_url}")
    return stack


def _closing(client):
    """Yield a session client, then close it (its connections) at the end of the session."""
    yield client
    client.close()


@pytest.fixture(scope="session")
def api(target):
    yield from _closing(ApiClient(target.api_url, timeout_scale=target.timeout_scale))


@pytest.fixture(scope="session")
def evaluations(api, target) -> Evaluations:
    return Evaluations(api, timeout_scale=target.timeout_scale)


@pytest.fixture(scope="session")
def redis_state(target):
    yield from _closing(RedisState(target.redis_url))


@pytest.fixture(scope="session")
def celery_client(target):
    yield from _closing(CeleryClient(target.broker_url, target.result_backend, timeout_scale=target.timeout_scale))


@pytest.fixture(scope="session")
def database(target):
    yield from _closing(Database(target.database_url))


@pytest.fixture(scope="session")
def platform(api) -> platform_facts.PlatformFacts:
    """GET /api/platform, read once per session."""
    return platform_facts.PlatformFacts(api.platform())


@pytest.fixture
def context(evaluations):
    """The scenario's scratchpad. At its end: cleanups run, and any evaluation the scenario
    left running is cancelled so it cannot hold a worker slot into the next scenario."""
    ctx = ScenarioContext()
    yield ctx
    try:
        ctx.cleanup.close()
    finally:
        evaluations.cancel_unfinished(ctx.submitted)


# -- gating by capability, decided against the live platform --------------------------------

@pytest.fixture(autouse=True)
def _capability_gate(request: pytest.FixtureRequest) -> None:
    if not is_scenario(request.node):
        return
    needed = sorted({cap for tag, cap in platform_facts.TAG_CAPABILITIES.items()
                     if request.node.get_closest_marker(tag)})
    if not needed:
        return
    wanted = session_target(request.config).requested
    facts = request.getfixturevalue("platform")
    missing = [cap for cap in needed if cap not in facts.capabilities]
    if not missing:
        return
    required = [cap for cap in missing if wanted.production and cap in platform_facts.PRODUCTION_CAPABILITIES]
    if required:
        pytest.fail(f"the production profile requires {', '.join(required)}; "
                    f"the target's capabilities are {sorted(facts.capabilities)}")
    pytest.skip(f"the target lacks the capability {', '.join(missing)} (GET /api/platform capabilities: "
                f"{sorted(facts.capabilities)})")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reporting.terminal_summary(terminalreporter, config)

