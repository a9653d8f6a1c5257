"""Cucumber JSON (the format Cucumber dashboards and CI plugins read).

Every collected scenario is present, skipped ones with their steps skipped; each step's
`match.location` names its step definition (or, for a step that never ran, its line in the
feature file); a failed step's `error_message` starts with what was seen. A waived failure
stays `failed` at its step (its message ends with the waiver): cucumber has no waived status,
and the gate never reports a failure as passed.
"""

from __future__ import annotations

import json

from support.reports.model import RunModel, ScenarioResult, StepResult, slug

NANOSECONDS = 1_000_000_000


def _tags(tags) -> list[dict]:
    return [{"name": f"@{tag.name}", "line": tag.line} for tag in tags]


def _step(step: StepResult, scenario: ScenarioResult) -> dict:
    result = {"status": step.status, "duration": int(step.duration * NANOSECONDS)}
    if step.status in ("failed", "undefined") and step.error:
        result["error_message"] = step.error + (f"\n\n{scenario.reason}" if scenario.outcome == "waived" else "")
    entry = {"keyword": f"{step.keyword} ", "name": step.name, "line": step.line,
             "match": {"location": step.location}, "result": result}
    if step.doc_string is not None:
        entry["doc_string"] = {"value": step.doc_string, "line": step.line + 1}
    if step.rows:
        entry["rows"] = [{"cells": row} for row in step.rows]
    return entry


def _hooks(scenario: ScenarioResult) -> dict[str, list[dict]]:
    """A failure outside the steps (a fixture, the target) as a failed before- or after-hook."""
    if scenario.outcome != "error" and not (scenario.outcome == "waived" and scenario.failed_step is None):
        return {}
    hook = {"match": {"location": scenario.nodeid},
            "result": {"status": "failed", "duration": 0, "error_message": scenario.seen}}
    return {"after" if scenario.failed_phase == "teardown" else "before": [hook]}


def _element(scenario: ScenarioResult) -> dict:
    element = {
        "id": f"{slug(scenario.feature.name)};{slug(scenario.name)}",
        "keyword": scenario.keyword, "name": scenario.name, "description": scenario.description,
        "line": scenario.line, "type": "scenario", "tags": _tags(scenario.tags),
        "steps": [_step(step, scenario) for step in scenario.steps],
    }
    element.update(_hooks(scenario))
    return element


def document(model: RunModel) -> list[dict]:
    return [{
        "uri": feature.uri, "id": slug(feature.name), "keyword": feature.keyword, "name": feature.name,
        "description": feature.description, "line": feature.line, "tags": _tags(feature.tags),
        "elements": [_element(s) for s in scenarios],
    } for feature, scenarios in model.features()]


def render(model: RunModel) -> str:
    return json.dumps(document(model), indent=2)
