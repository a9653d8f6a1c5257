"""Each report of a tiny gate run (one scenario of each outcome) validates against its
schema and says what an operator's CI reads from it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import xmlschema

from reportsuite import SCHEMAS

NAMES = ["A passing scenario", "A failing scenario", "A skipped scenario", "A waived scenario",
         "A failing low scenario", "A scenario the profile waives", "A scenario whose target is gone"]


def validate(document, schema_name: str) -> None:
    schema = json.loads((SCHEMAS / schema_name).read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_run_fails_on_the_high_failure_and_writes_every_report(waived_run):
    assert waived_run.returncode == 1, waived_run.stdout + waived_run.stderr
    assert sorted(p.name for p in waived_run.reports.iterdir()) == [
        "cucumber.json", "junit.xml", "report.html", "results.sarif", "summary.json"]


def test_cucumber_json_is_valid_and_complete(waived_run):
    document = waived_run.json("cucumber.json")
    validate(document, "cucumber.json")
    [feature] = document
    assert feature["tags"] == [{"name": "@tiny", "line": 1}]
    elements = {e["name"]: e for e in feature["elements"]}
    assert list(elements) == NAMES, "every scenario is present, skipped ones too"
    skipped = elements["A skipped scenario"]
    assert [s["result"]["status"] for s in skipped["steps"]] == ["skipped", "skipped"]
    assert {"name": "@severity-medium", "line": 18} in skipped["tags"]
    for element in feature["elements"]:
        for step in element["steps"]:
            assert step["match"]["location"], step
    failing = elements["A failing scenario"]["steps"]
    assert [s["result"]["status"] for s in failing] == ["passed", "failed", "skipped"]
    assert failing[0]["match"]["location"].startswith("test_tiny.py:")
    assert skipped["steps"][0]["match"]["location"].startswith("test_tiny.py:"), \
        "a step that ran in another scenario names its definition"
    assert failing[2]["match"]["location"] == "tiny.feature:16", "a step that never ran anywhere names its line"
    assert failing[1]["result"]["error_message"].startswith("expected the number 3, saw 2")
    [hook] = elements["A scenario whose target is gone"]["before"]
    assert hook["result"]["error_message"] == \
        "setup: ConnectionError: the target at http://127.0.0.1:9/api refused the connection"


def test_cucumber_schema_rejects_what_pytest_bdd_wrote():
    """The schema is not a rubber stamp: the defects of the issue (no error message on a
    failed step, tags without lines, an unknown key) each fail it."""
    step = {"keyword": "Then ", "name": "x", "line": 3, "result": {"status": "failed"}}
    element = {"keyword": "Scenario", "name": "s", "description": "", "line": 2, "type": "scenario",
               "steps": [step], "tags": [{"name": "@t"}]}
    feature = {"uri": "f.feature", "id": "f", "keyword": "Feature", "name": "f", "description": "",
               "line": 1, "elements": [element], "language": "en"}
    schema = json.loads((SCHEMAS / "cucumber.json").read_text())
    messages = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors([feature])]
    assert any("language" in m for m in messages)
    assert any("'line' is a required property" in m for m in messages)
    assert any("'error_message' is a required property" in m for m in messages)


def test_junit_is_valid_against_junit_10_xsd(waived_run):
    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(str(waived_run.reports / "junit.xml"))
    root = ET.parse(waived_run.reports / "junit.xml").getroot()
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == NAMES
    assert {c.get("classname") for c in cases} == {"Tiny gate"}
    assert suite.find("properties/property[@name='target']").get("value") == "staging-eu"
    assert not root.findall(".//testcase/properties")
    failure = cases[1].find("failure")
    assert failure.get("message") == "expected the number 3, saw 2"
    assert cases[2].find("skipped").get("message") == "the target lacks the capability gpu"
    assert cases[3].find("skipped").get("message").startswith("waived: the sixth number is a known gap")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("7", "2", "1", "3")
    assert cases[6].find("error").get("message").startswith("setup: ConnectionError")


def test_junit_schema_rejects_properties_inside_a_testcase(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text('<testsuites><testsuite name="f" tests="1" failures="0" errors="0">'
                   '<testcase name="t"><properties><property name="a" value="b"/></properties>'
                   '</testcase></testsuite></testsuites>')
    assert not xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).is_valid(str(bad))


def test_sarif_has_a_rule_per_scenario_and_a_result_per_failure(waived_run):
    log = waived_run.json("results.sarif")
    validate(log, "sarif-2.1.0.json")
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["shortDescription"]["text"] for r in rules] == [f"Tiny gate › {n}" for n in NAMES]
    failing = next(r for r in rules if r["id"] == "tiny: A failing scenario")
    assert failing["properties"]["security-severity"] == "8.0"
    assert "CVE-2024-21626" in failing["help"]["text"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert sorted(results) == ["tiny: A failing low scenario", "tiny: A failing scenario",
                               "tiny: A scenario the profile waives", "tiny: A scenario whose target is gone",
                               "tiny: A waived scenario"]
    failure = results["tiny: A failing scenario"]
    assert failure["locations"][0]["physicalLocation"]["region"]["startLine"] == 15
    assert "suppressions" not in failure
    assert results["tiny: A waived scenario"]["suppressions"][0]["status"] == "accepted"
    assert rules[failure["ruleIndex"]]["id"] == failure["ruleId"]


def test_summary_counts_by_severity_and_outcome(waived_run):
    summary = waived_run.json("summary.json")
    validate(summary, "summary.json")
    assert summary["counts"] == {"total": 7, "passed": 1, "failed": 2, "error": 1, "waived": 2, "skipped": 1}
    assert summary["by_severity"]["high"]["failed"] == 1
    assert summary["by_severity"]["high"]["waived"] == 1
    assert summary["target"]["name"] == "staging-eu" and summary["dialect"] == "reference"
    assert summary["gate"] == "failed"
    assert waived_run.scenario("tiny: A scenario the profile waives")["reason"] == \
        "waived: the tiny profile has no tenth number (profile tiny)"
