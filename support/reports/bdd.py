"""What the reports need from pytest-bdd and the .feature files, in one place.

Executed scenarios come to the plugin through pytest-bdd's public hooks (the rendered
scenario and its steps). A scenario skipped before it ran never reaches those hooks, so its
steps come from the template pytest-bdd registers for the test function
(`scenario_wrapper_template_registry`, the one internal used here; pytest-bdd >= 9.0 has it). Tag
lines, which pytest-bdd does not keep, come from parsing the file with gherkin-official.
"""

from __future__ import annotations

import inspect
import os
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from gherkin.parser import Parser
from pytest_bdd.scenario import scenario_wrapper_template_registry

from support.reports.model import FeatureInfo, StepResult, Tag

REMEDIATION = "Remediation:"


def template_of(item: pytest.Item):
    """The pytest-bdd scenario template behind a test item, or None for a plain test."""
    function = getattr(item, "function", None)
    return scenario_wrapper_template_registry.get(function) if function is not None else None


def is_scenario(item: pytest.Item) -> bool:
    return template_of(item) is not None


def example_of(item: pytest.Item) -> dict:
    """The Examples row of a Scenario Outline's item ({} for a plain scenario)."""
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params.get("_pytest_bdd_example", {})) if callspec else {}


def scenario_names(item: pytest.Item) -> tuple[str, str]:
    """The scenario's stable id, "<feature file stem>: <scenario title>" (an outline's example
    adds " [<example id>]"), and its template's, which waivers may name to cover every example."""
    template = template_of(item)
    name = f"{Path(template.feature.filename).stem}: {template.name}"
    callspec = getattr(item, "callspec", None)
    return (f"{name} [{callspec.id}]" if callspec is not None else name), name


def rendered_scenario(item: pytest.Item):
    """The scenario as it runs (outline placeholders filled), without running it."""
    return template_of(item).render(example_of(item))


def relative(path: str | Path, root: Path) -> str:
    """A path as the project's repository names it: relative to the rootdir, else (an installed
    suite, evalgate) relative to the sys.path entry it was imported from: "features/x.feature"."""
    path = Path(os.path.abspath(path))
    bases = [root] + sorted((Path(entry) for entry in sys.path if entry), key=lambda p: -len(p.parts))
    for base in bases:
        base = Path(os.path.abspath(base))
        if path.is_relative_to(base) and path != base:
            return str(path.relative_to(base))
    return str(path)


@lru_cache(maxsize=None)
def _document(filename: str) -> dict:
    return Parser().parse(Path(filename).read_text(encoding="utf-8"))


def _tags(node: dict) -> list[Tag]:
    return [Tag(tag["name"].lstrip("@"), tag["location"]["line"]) for tag in node.get("tags", [])]


@lru_cache(maxsize=None)
def _scenario_tags(filename: str) -> dict[int, list[Tag]]:
    """Scenario line -> its own tags (with their lines), rules' tags included."""
    found: dict[int, list[Tag]] = {}

    def visit(children, inherited):
        for child in children:
            if "rule" in child:
                visit(child["rule"].get("children", []), inherited + _tags(child["rule"]))
            elif "scenario" in child:
                scenario = child["scenario"]
                found[scenario["location"]["line"]] = inherited + _tags(scenario)

    feature = _document(filename).get("feature") or {}
    visit(feature.get("children", []), [])
    return found


def feature_info(feature, root: Path) -> FeatureInfo:
    document = _document(feature.filename).get("feature") or {}
    return FeatureInfo(
        uri=relative(feature.filename, root), name=feature.name, keyword=feature.keyword,
        line=feature.line_number, description=feature.description or "",
        tags=_tags(document), language=feature.language or "en")


def scenario_tags(scenario) -> list[Tag]:
    """The scenario's own tags with their lines; any tag gherkin did not place gets the scenario's line."""
    tags = _scenario_tags(scenario.feature.filename).get(scenario.line_number, [])
    placed = {tag.name for tag in tags}
    extra = [Tag(name, scenario.line_number) for name in sorted(scenario.tags) if name not in placed]
    return tags + extra


def remediation(description: str) -> str:
    """The scenario description's "Remediation: ..." paragraph (to its end), or ""."""
    text = " ".join(line.strip() for line in (description or "").splitlines())
    index = text.find(REMEDIATION)
    return text[index + len(REMEDIATION):].strip() if index >= 0 else ""


def step_results(scenario, root: Path) -> list[StepResult]:
    """The scenario's steps, all "skipped" until the hooks say otherwise."""
    results = []
    uri = relative(scenario.feature.filename, root)
    for step in scenario.steps:
        rows = [list(map(str, row)) for row in step.datatable.raw()] if step.datatable else []
        results.append(StepResult(keyword=step.keyword.strip(), name=step.name, line=step.line_number, type=step.type,
                                  location=f"{uri}:{step.line_number}", doc_string=step.docstring,
                                  rows=rows))
    return results


def function_location(function, root: Path) -> str:
    """Where a step definition is written: "steps/x_steps.py:40"."""
    function = inspect.unwrap(function)
    try:
        filename = inspect.getsourcefile(function) or ""
        _, line = inspect.getsourcelines(function)
    except (OSError, TypeError):
        return getattr(function, "__qualname__", repr(function))
    return f"{relative(filename, root)}:{line}"
