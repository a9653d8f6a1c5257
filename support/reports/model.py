"""One model of a gate run, which every report is written from.

The plugin fills it from pytest's and pytest-bdd's hooks; writers only read it, so the
cucumber JSON, JUnit, SARIF, HTML and summary.json can never disagree about a scenario.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_TAG = re.compile(r"^severity-(critical|high|medium|low)$")

# A scenario's outcome, as the gate reports it. "waived" is a failure a waiver covers:
# never "passed"; "error" is a failure outside the scenario's steps (a fixture, the target).
OUTCOMES = ("passed", "failed", "error", "waived", "skipped")
FAILING = frozenset({"failed", "error"})


def severity_rank(severity: str) -> int:
    """0 for critical ... 3 for low; lower is more severe."""
    return SEVERITIES.index(severity)


@dataclass
class Tag:
    name: str          # without the "@"
    line: int


@dataclass
class StepResult:
    keyword: str       # "Given", "When", "And", ... as written in the .feature file
    name: str
    line: int
    status: str = "skipped"     # passed | failed | skipped | undefined
    duration: float = 0.0       # seconds
    location: str = ""          # the step definition, "steps/x_steps.py:40"; the feature line if never matched
    type: str = ""              # given | when | then (an And's type is its predecessor's)
    error: str = ""             # what was seen, first; then where
    doc_string: str | None = None
    rows: list[list[str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"{self.keyword} {self.name}"


@dataclass
class FeatureInfo:
    uri: str           # the .feature file, relative to the project (or as given)
    name: str
    keyword: str
    line: int
    description: str
    tags: list[Tag] = field(default_factory=list)
    language: str = "en"


@dataclass
class Waiver:
    justification: str
    owner: str
    until: str | None = None    # ISO date; None for a waiver applied by waive()

    def text(self) -> str:
        until = f", until {self.until}" if self.until else ""
        return f"waived: {self.justification} ({self.owner}{until})"


@dataclass
class ScenarioResult:
    id: str            # stable: "<feature stem>/<scenario slug>[<example>]"
    nodeid: str
    feature: FeatureInfo
    keyword: str
    name: str
    line: int
    description: str
    tags: list[Tag]
    severity: str
    remediation: str = ""
    outcome: str = "passed"
    reason: str = ""            # why skipped, or the waiver's text
    seen: str = ""              # what was seen, for a failure (first line first)
    failed_step: StepResult | None = None
    failed_phase: str = ""      # setup | call | teardown, for a failure
    steps: list[StepResult] = field(default_factory=list)
    duration: float = 0.0
    baseline: str | None = None  # "new" | "known" for a failure, given --baseline
    properties: list[tuple[str, str]] = field(default_factory=list)
    started: float = 0.0

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    @property
    def title(self) -> str:
        return f"{self.feature.name} › {self.name}"


@dataclass
class RunModel:
    target: dict
    started: float = 0.0        # epoch seconds
    duration: float = 0.0
    scenarios: list[ScenarioResult] = field(default_factory=list)
    fixed: list[dict] = field(default_factory=list)   # baseline failures that pass now: {"id", "name"}
    fail_on: str = "high"
    baseline: str | None = None
    other_failures: list[str] = field(default_factory=list)  # nodeids of failed non-scenario tests
    gate_passed: bool = True

    def features(self) -> list[tuple[FeatureInfo, list[ScenarioResult]]]:
        """Scenarios grouped by feature, in the order they ran."""
        groups: dict[str, tuple[FeatureInfo, list[ScenarioResult]]] = {}
        for scenario in self.scenarios:
            groups.setdefault(scenario.feature.uri, (scenario.feature, []))[1].append(scenario)
        return list(groups.values())

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for scenario in self.scenarios:
            counts[scenario.outcome] += 1
        return counts

    def counts_by_severity(self) -> dict[str, dict[str, int]]:
        table = {severity: dict.fromkeys(OUTCOMES, 0) for severity in SEVERITIES}
        for scenario in self.scenarios:
            table[scenario.severity][scenario.outcome] += 1
        return table

    def gating_failures(self) -> list[ScenarioResult]:
        """Failures at or above the --fail-on severity: these fail the run."""
        if self.fail_on == "none":
            return []
        limit = severity_rank(self.fail_on)
        return [s for s in self.scenarios if s.failing and severity_rank(s.severity) <= limit]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
