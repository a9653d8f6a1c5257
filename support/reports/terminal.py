"""The terminal a person reads: one line per scenario with a running count, the failing
step first in a failure, and the scenarios (by name) that failed, were waived or skipped.

Active when pytest is not verbose (-v keeps pytest's own per-test lines). pytest's own
letters and file names are suppressed for scenarios; other tests print as usual.
"""

from __future__ import annotations

import pytest

from support.reports.failures import first_line
from support.reports.model import RunModel, ScenarioResult

MARKUP = {"passed": {"green": True}, "failed": {"red": True}, "error": {"red": True},
          "waived": {"yellow": True}, "skipped": {"yellow": True}}


class ScenarioLines:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.total = 0
        self.done = 0

    @property
    def reporter(self):
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @property
    def active(self) -> bool:
        return self.reporter is not None and self.config.get_verbosity() <= 0

    def collected(self, total: int, only_scenarios: bool) -> None:
        """Count the scenarios; without other tests, pytest's file-name prefix goes too."""
        self.total = total
        if self.active and only_scenarios:
            self.reporter.showfspath = False

    def teststatus(self, report, result: ScenarioResult | None):
        """Keep pytest's counts and words (the -ra summary), drop its letter for a scenario."""
        if not self.active or result is None:
            return None
        if report.passed and report.when != "call":
            return "", "", ""
        if hasattr(report, "wasxfail") and report.skipped:
            return "xfailed", "", "XFAIL"
        if report.failed and report.when != "call":
            return "error", "", "ERROR"
        return report.outcome, "", report.outcome.upper()

    def scenario_line(self, result: ScenarioResult) -> None:
        self.done += 1
        if not self.active:
            return
        tw = self.reporter
        tw.ensure_newline()
        width = len(str(self.total))
        tw.write(f"[{self.done:>{width}}/{self.total}] ")
        tw.write(f"{result.outcome.upper():<7}", **MARKUP[result.outcome])
        tw.write(f" {result.severity:<8} {result.title} ({result.duration:.1f}s)")
        if result.outcome in ("skipped", "waived"):
            tw.write(f" — {first_line(result.reason, 120)}")
        tw.line("")
        if result.failing:
            step = result.failed_step
            where = f"{step.text}  →  " if step else ""
            tw.line(f"      {where}{first_line(result.seen, 140)}", red=True)


def short_failure(result: ScenarioResult) -> str:
    """The failure section of a failed step: the step first, what was seen, the project frames."""
    step = result.failed_step
    return f"Step failed: {step.text}\n\n{step.error}"


def summary(reporter, model: RunModel, written) -> None:
    if not model.scenarios:
        return
    listed = [s for s in model.scenarios if s.outcome != "passed"]
    if listed:
        reporter.write_sep("=", "scenarios not passed")
        for s in sorted(listed, key=lambda s: (s.outcome not in ("failed", "error"), s.outcome)):
            mark = f" [{s.baseline}]" if s.baseline else ""
            detail = s.reason if s.outcome in ("skipped", "waived") else (
                (f"{s.failed_step.text}  →  " if s.failed_step else "") + first_line(s.seen, 120))
            reporter.line(f"{s.outcome.upper():<7} {s.severity:<8} {s.title}{mark} ({s.feature.uri}:{s.line})"
                          f" — {first_line(detail, 160)}", **MARKUP[s.outcome])
    for fixed in model.fixed:
        reporter.line(f"FIXED   {fixed['name']} ({fixed['id']}) failed in the baseline, passes now", green=True)
    counts = ", ".join(f"{n} {outcome}" for outcome, n in model.counts().items() if n)
    gating = model.gating_failures()
    verdict = (f"gate FAILED: {len(gating)} failed scenario(s) at or above --fail-on {model.fail_on}"
               if gating else f"gate passed (--fail-on {model.fail_on})")
    if model.other_failures:
        verdict = f"gate FAILED: {len(model.other_failures)} failed test(s) outside the scenarios"
    reporter.write_sep("-", f"{counts}; {verdict}", red=not model.gate_passed, green=model.gate_passed)
    for path in written:
        reporter.line(f"report: {path}")
