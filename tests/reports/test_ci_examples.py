"""The CI examples in docs/ci/ are valid for their CI (the workflow schemas that
check-jsonschema ships) and do what docs/reports.md says: run the gate against the
deployment and publish JUnit, SARIF and the HTML report, even when the gate fails."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from reportsuite import PROJECT

CI = PROJECT / "docs" / "ci"
CHECK = [sys.executable, "-m", "check_jsonschema"]


def load(name: str) -> dict:
    document = yaml.safe_load((CI / name).read_text())
    if True in document:                 # YAML 1.1 reads GitHub's `on:` as true
        document["on"] = document.pop(True)
    return document


@pytest.mark.parametrize("name, schema", [("github-actions.yml", "vendor.github-workflows"),
                                          ("gitlab-ci.yml", "vendor.gitlab-ci")])
def test_the_example_is_valid_for_its_ci(name, schema):
    done = subprocess.run([*CHECK, "--builtin-schema", schema, str(CI / name)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  gate:\n    steps:\n      - run: true\n")   # no runs-on
    done = subprocess.run([*CHECK, "--builtin-schema", "vendor.github-workflows", str(broken)],
                          capture_output=True, text=True)
    assert done.returncode != 0


def test_github_workflow_runs_the_gate_and_publishes_every_report():
    [job] = load("github-actions.yml")["jobs"].values()
    steps = job["steps"]
    gate = next(step for step in steps if "evalgate run" in step.get("run", ""))
    assert '--target "$API_URL"' in gate["run"] and "--report-dir reports" in gate["run"]
    assert "--fail-on" in gate["run"] and "--baseline=" in gate["run"] and "--waivers" in gate["run"]
    after = steps[steps.index(gate) + 1:]
    by_action = {step["uses"].split("@")[0]: step for step in after if "uses" in step}
    sarif = by_action["github/codeql-action/upload-sarif"]
    assert sarif["with"]["sarif_file"] == "reports/results.sarif"
    assert by_action["mikepenz/action-junit-report"]["with"]["report_paths"] == "reports/junit.xml"
    assert by_action["actions/upload-artifact"]["with"]["path"] == "reports/"
    assert all(step.get("if") == "always()" for step in after), "reports are published when the gate fails too"
    assert load("github-actions.yml")["permissions"]["security-events"] == "write"
    installs = " ".join(step.get("run", "") for step in steps[:steps.index(gate)])
    assert "requirements.lock" in installs and "pip install --no-deps ." in installs


def test_gitlab_job_runs_the_gate_and_publishes_every_report():
    job = load("gitlab-ci.yml")["acceptance-gate"]
    script = " ".join(job["script"])
    assert "evalgate run $args" in script and "--target $API_URL" in script and "--report-dir reports" in script
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == "reports/junit.xml"
    assert {"reports/report.html", "reports/results.sarif", "reports/summary.json"} <= set(artifacts["paths"])
    assert "requirements.lock" in " ".join(job["before_script"])
