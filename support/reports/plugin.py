"""The gate's pytest plugin: severity, waivers, baselines, the terminal and the reports.

Loaded with `-p support.reports.plugin` (pytest.ini). Options:

  --report-dir DIR     where the reports go (default reports/): cucumber.json, junit.xml,
                       results.sarif, report.html, summary.json
  --waivers FILE       YAML waivers (support/waivers.py)
  --baseline FILE      a previous summary.json: each failure is new or known, fixed ones listed
  --fail-on SEVERITY   critical|high|medium|low|none (default high): a failed scenario of that
                       severity or higher fails the run; lower ones are reported, exit 0

Every scenario needs a @severity-critical|high|medium|low tag; one without fails collection.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from support import waivers as waiver_file
from support.config import SettingError
from support.reports import bdd, failures, terminal, writers, xdist
from support.reports.model import SEVERITIES, SEVERITY_TAG, RunModel, ScenarioResult
from support.reports.target import describe

FAIL_ON = SEVERITIES + ("none",)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gate", "acceptance gate: reports, waivers, baselines")
    group.addoption("--report-dir", default="reports", help="directory for the gate's reports (default: reports)")
    group.addoption("--waivers", default=None, metavar="FILE", help="YAML waiver file (see docs/reports.md)")
    group.addoption("--baseline", default=None, metavar="FILE",
                    help="a previous summary.json: mark failures new or known, list fixed ones")
    group.addoption("--fail-on", default="high", choices=FAIL_ON,
                    help="lowest severity whose failure fails the run (default: high)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help:
        return
    try:
        waivers = waiver_file.load(config.option.waivers) if config.option.waivers else ()
    except SettingError as error:
        raise pytest.UsageError(f"--waivers: {error}") from None
    baseline = _known_failures(config.option.baseline) if config.option.baseline else None
    gate = Gate(config, waivers, baseline)
    config.pluginmanager.register(gate, "evalgate-reports")
    if config.pluginmanager.hasplugin("xdist") and not xdist.is_worker(config):
        config.pluginmanager.register(xdist.MergeWorkerResults(gate), "evalgate-xdist")


def _known_failures(path: str) -> set[str]:
    """The ids that failed (or were waived) in a previous summary.json."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {s["id"] for s in data["scenarios"] if s["outcome"] in ("failed", "error", "waived")}
    except OSError as error:
        raise pytest.UsageError(f"--baseline {path}: cannot read it ({error.strerror})") from None
    except (ValueError, KeyError, TypeError):
        raise pytest.UsageError(f"--baseline {path}: not a summary.json written by this gate") from None


def _severity(item: pytest.Item) -> str | None:
    for mark in item.iter_markers():
        match = SEVERITY_TAG.match(mark.name)
        if match:
            return match.group(1)
    return None


class Gate:
    """The run's model and the hooks that fill it; writes the reports at the session's end."""

    def __init__(self, config: pytest.Config, waivers, known_failures) -> None:
        self.config = config
        self.root = config.rootpath
        self.waivers = waivers
        self.known_failures = known_failures
        self.model = RunModel(target=describe(config).as_dict(), fail_on=config.option.fail_on,
                              baseline=config.option.baseline)
        self.results: dict[str, ScenarioResult] = {}
        self.reported: set[str] = set()     # scenarios pytest ran (--collect-only, -x: not all)
        self.step_started: dict[str, float] = {}
        # (type, text) of every step that ran -> its definition, for the same step where it did not run
        self.definitions: dict[tuple[str, str], str] = {}
        self.done = 0
        self.terminal = terminal.ScenarioLines(config)

    # -- collection: the static model, severity required --------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items) -> None:
        untagged = []
        for item in items:
            if not bdd.is_scenario(item):
                continue
            scenario = bdd.rendered_scenario(item)
            severity = _severity(item)
            if severity is None:
                untagged.append(f"{bdd.relative(scenario.feature.filename, self.root)}:{scenario.line_number} "
                                f"'{scenario.name}'")
                continue
            self.results[item.nodeid] = ScenarioResult(
                id=bdd.scenario_names(item)[0], nodeid=item.nodeid,
                feature=bdd.feature_info(scenario.feature, self.root), keyword=scenario.keyword,
                name=scenario.name, line=scenario.line_number, description=scenario.description or "",
                tags=bdd.scenario_tags(scenario), severity=severity,
                remediation=bdd.remediation(scenario.description), steps=bdd.step_results(scenario, self.root))
        if untagged:
            more = f" (and {len(untagged) - 1} more)" if len(untagged) > 1 else ""
            raise pytest.UsageError(f"scenario without a @severity-critical|high|medium|low tag: "
                                    f"{untagged[0]}{more}")
        self.terminal.collected(len(self.results), only_scenarios=len(self.results) == len(items))

    # -- pytest-bdd's public hooks: the steps as they run --------------------------------------

    def pytest_bdd_before_scenario(self, request, feature, scenario) -> None:
        result = self.results.get(request.node.nodeid)
        if result is not None:
            result.steps = bdd.step_results(scenario, self.root)

    def _step(self, request, scenario, step):
        result = self.results.get(request.node.nodeid)
        if result is None:
            return None, None
        index = next(i for i, candidate in enumerate(scenario.steps) if candidate is step)
        return result, result.steps[index]

    def pytest_bdd_before_step(self, request, feature, scenario, step, step_func) -> None:
        self.step_started[request.node.nodeid] = time.perf_counter()

    def _finish(self, request, scenario, step, step_func, status: str):
        result, record = self._step(request, scenario, step)
        if record is None:
            return None, None
        record.status = status
        record.duration = time.perf_counter() - self.step_started.pop(request.node.nodeid, time.perf_counter())
        if step_func is not None:
            record.location = bdd.function_location(step_func, self.root)
            self.definitions[(record.type, record.name)] = record.location
        return result, record

    def pytest_bdd_after_step(self, request, feature, scenario, step, step_func, step_func_args) -> None:
        self._finish(request, scenario, step, step_func, "passed")

    def pytest_bdd_step_error(self, request, feature, scenario, step, step_func, step_func_args, exception) -> None:
        result, record = self._finish(request, scenario, step, step_func, "failed")
        if record is not None:
            result.seen = failures.seen(exception)
            record.error = failures.step_message(record, result.feature.uri, result.seen,
                                                 failures.project_frames(exception, self.root))
            result.failed_step = record

    def pytest_bdd_step_func_lookup_error(self, request, feature, scenario, step, exception) -> None:
        result, record = self._step(request, scenario, step)
        if record is not None:
            record.status = "undefined"
            result.seen = f"no step definition matches '{step.keyword} {step.name}'"
            record.error = result.seen
            result.failed_step = record

    # -- pytest's reports: outcomes, waivers, a short failure text -----------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        result = self.results.get(item.nodeid)
        if result is None:
            if report.failed and item.nodeid not in self.model.other_failures:
                self.model.other_failures.append(item.nodeid)
            return report
        self.reported.add(item.nodeid)
        result.duration += report.duration
        result.properties = list(item.user_properties)
        if report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            result.reason = _skip_reason(report)
        elif report.failed and result.outcome in ("passed", "skipped"):
            self._failed(item, call, report, result)
        return report

    def _failed(self, item, call, report, result: ScenarioResult) -> None:
        in_step = report.when == "call" and result.failed_step is not None
        result.outcome = "failed" if in_step else "error"
        result.failed_phase = report.when
        if not in_step:
            result.seen = failures.seen(call.excinfo.value) if call.excinfo else str(report.longrepr)
            result.seen = f"{report.when}: {result.seen}"
        else:
            report.longrepr = terminal.short_failure(result)
        tags = {mark.name for mark in item.iter_markers()}
        waiver = waiver_file.waiver_of(item, bdd.scenario_names(item), tags, self.waivers)
        if waiver is not None:
            report.outcome = "skipped"
            report.wasxfail = waiver.text()

    def pytest_runtest_logreport(self, report) -> None:
        """A failure that pytest reports as xfailed "waived: ..." (a waiver here, or one applied
        by another plugin's makereport) is waived in every report."""
        result = self.results.get(report.nodeid)
        reason = getattr(report, "wasxfail", "")
        if result is not None and report.skipped and result.failing and reason.startswith("waived:"):
            result.outcome, result.reason = "waived", reason

    def pytest_report_teststatus(self, report, config):
        return self.terminal.teststatus(report, self.results.get(report.nodeid))

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        result = self.results.get(nodeid)
        if result is not None:
            self.terminal.scenario_line(result)

    # -- the end: baseline, exit code, reports -------------------------------------------------

    def pytest_sessionstart(self, session) -> None:
        self.model.started = time.time()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if xdist.is_worker(self.config):   # the controller decides and writes, for every worker
            self.config.workeroutput[xdist.WIRE_KEY] = xdist.to_wire(
                [r for nodeid, r in self.results.items() if nodeid in self.reported],
                self.model.other_failures, self.definitions, describe(self.config).as_dict())
            return
        model = self.model
        model.duration = time.time() - model.started
        # The dialect is known by now; under xdist, the workers know it (and which features applied).
        model.target = self.config.stash.get(xdist.WORKER_TARGET, None) or describe(self.config).as_dict()
        model.scenarios = [result for nodeid, result in self.results.items() if nodeid in self.reported]
        for step in (step for scenario in model.scenarios for step in scenario.steps):
            step.location = self.definitions.get((step.type, step.name), step.location)
        if self.known_failures is not None:
            self._compare(model)
        model.gate_passed = not model.gating_failures() and not model.other_failures
        if int(exitstatus) in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = pytest.ExitCode.OK if model.gate_passed else pytest.ExitCode.TESTS_FAILED
        if model.scenarios:
            self.written = writers.write_all(model, Path(self.config.option.report_dir))

    def _compare(self, model: RunModel) -> None:
        for scenario in model.scenarios:
            if scenario.outcome in ("failed", "error", "waived"):
                scenario.baseline = "known" if scenario.id in self.known_failures else "new"
        model.fixed = [{"id": s.id, "name": s.title} for s in model.scenarios
                       if s.id in self.known_failures and s.outcome == "passed"]

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        terminal.summary(terminalreporter, self.model, getattr(self, "written", []))


def _skip_reason(report) -> str:
    if isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return getattr(report, "wasxfail", "") or str(report.longrepr or "")
