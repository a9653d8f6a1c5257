"""SARIF 2.1.0, as GitHub code scanning (and other SARIF viewers) accept it.

One rule per scenario: its name, its description, its remediation as `help`, its severity as
the rule's level and as `security-severity` (GitHub's critical/high/medium/low bands). One
result per failing scenario, located at the failing step's line in its .feature file. A
waived failure is a result with an accepted external suppression (its justification), so
it is visible but not an alert; with --baseline each result has a `baselineState`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from support.reports.model import RunModel, ScenarioResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub maps security-severity > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
BASELINE_STATE = {"new": "new", "known": "unchanged"}


def _rule(scenario: ScenarioResult) -> dict:
    remediation = scenario.remediation or "Make the platform keep the promise this scenario states."
    tags = ["security", "acceptance"] + sorted({tag.name for tag in scenario.tags if not tag.name.startswith("severity-")})
    description = " ".join(line.strip() for line in scenario.description.splitlines() if line.strip())
    return {
        "id": scenario.id,
        "name": scenario.name,
        "shortDescription": {"text": scenario.title},
        "fullDescription": {"text": description or scenario.name},
        "help": {"text": f"Remediation: {remediation}",
                 "markdown": f"**{scenario.title}** ({scenario.feature.uri}:{scenario.line})\n\n"
                             f"**Remediation:** {remediation}"},
        "defaultConfiguration": {"level": LEVEL[scenario.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[scenario.severity],
                       "severity": scenario.severity, "tags": tags, "precision": "high"},
    }


def _result(scenario: ScenarioResult, index: int) -> dict:
    step = scenario.failed_step
    where = f" at step '{step.text}'" if step else ""
    result = {
        "ruleId": scenario.id,
        "ruleIndex": index,
        "level": LEVEL[scenario.severity],
        "kind": "fail",
        "message": {"text": f"{scenario.title} failed{where}: {scenario.seen}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": scenario.feature.uri, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": step.line if step else scenario.line},
        }}],
        "partialFingerprints": {"scenarioId/v1": hashlib.sha256(scenario.id.encode()).hexdigest()[:32]},
    }
    if scenario.outcome == "waived":
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": scenario.reason}]
    if scenario.baseline:
        result["baselineState"] = BASELINE_STATE[scenario.baseline]
    return result


def _utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(model: RunModel) -> dict:
    rules = [_rule(s) for s in model.scenarios]
    results = [_result(s, index) for index, s in enumerate(model.scenarios) if s.outcome in ("failed", "error", "waived")]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "evalgate", "rules": rules}},
            "automationDetails": {"id": f"evalgate/{model.target['name']}/"},
            "invocations": [{"executionSuccessful": model.gate_passed,
                             "startTimeUtc": _utc(model.started),
                             "endTimeUtc": _utc(model.started + model.duration)}],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the acceptance suite's root"}}},
            "properties": {"target": model.target, "fail-on": model.fail_on},
            "results": results,
        }],
    }


def render(model: RunModel) -> str:
    return json.dumps(document(model), indent=2)
