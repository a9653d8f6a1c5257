"""Gate semantics on the tiny suite: waivers, baselines, --fail-on, required severity, the terminal."""

from __future__ import annotations

import json

import pytest

from reportsuite import run_gate


def test_a_waived_failure_is_xfailed_with_its_waiver_never_passed(waived_run):
    assert "XFAIL test_tiny.py::test_a_waived_scenario - waived: the sixth number is a known gap, " \
           "ticket TINY-1 (qa-team, until 2099-12-31)" in waived_run.stdout
    assert waived_run.scenario("tiny: A waived scenario")["outcome"] == "waived"
    assert "2 xfailed" in waived_run.stdout.splitlines()[-1]


def test_an_expired_waiver_fails_the_run_at_start_with_one_line(suite_dir):
    (suite_dir / "waivers.yaml").write_text(
        "waivers:\n  - scenario: 'tiny: A waived scenario'\n    justification: old\n    owner: qa\n"
        "    expires: 2020-01-31\n")
    done = run_gate(suite_dir, "--waivers", "waivers.yaml")
    assert done.returncode == 4
    assert done.stderr.strip() == ("ERROR: --waivers: target profile waivers.yaml: waiver 1 expired on 2020-01-31: "
                                   "renew it or fix the target")
    assert not (suite_dir / "reports").exists(), "no scenario ran"


@pytest.mark.parametrize("content, reason", [
    ("waivers: [", "not YAML"),
    ("- scenario: x\n", "must be a mapping"),
    ("waivers:\n  - scenario: 'tiny: x'\n    owner: qa\n    expires: 2099-01-01\n", "waiver 1 has no justification"),
    ("waivers:\n  - scenario: 'tiny: x'\n    justification: j\n    owner: qa\n    expires: soon\n",
     "expires 'soon' is not a date"),
    ("name: staging\nwaivers: []\n", "a waiver file holds only 'waivers'"),
])
def test_a_malformed_waiver_file_fails_the_run_with_one_line(suite_dir, content, reason):
    (suite_dir / "waivers.yaml").write_text(content)
    done = run_gate(suite_dir, "--waivers", "waivers.yaml")
    assert done.returncode == 4
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("ERROR: --waivers: ") and "waivers.yaml" in line and reason in line, line


def test_a_tag_waiver_covers_every_scenario_with_the_tag(suite_dir):
    (suite_dir / "waivers.yaml").write_text(
        "waivers:\n  - tag: isolation\n    justification: descriptors land in OPS-7\n    owner: sec\n"
        "    expires: 2099-01-01\n")
    done = run_gate(suite_dir, "--waivers", "waivers.yaml", "-k", "test_a_failing_scenario")
    assert done.returncode == 0
    assert done.scenario("tiny: A failing scenario")["reason"] == \
        "waived: descriptors land in OPS-7 (sec, until 2099-01-01)"


def test_a_baseline_marks_failures_new_or_known_and_lists_the_fixed(suite_dir, tmp_path):
    baseline = {"format": "evalgate-summary/1", "scenarios": [
        {"id": "tiny: A failing scenario", "outcome": "failed"},
        {"id": "tiny: A passing scenario", "outcome": "failed"},
        {"id": "tiny: A skipped scenario", "outcome": "passed"}]}
    (tmp_path / "baseline.json").write_text(json.dumps(baseline))
    # --opt=VALUE: an absolute path given as a separate argument would take part in pytest's
    # search for its ini file, before the plugin that owns --baseline is loaded.
    done = run_gate(suite_dir, f"--baseline={tmp_path / 'baseline.json'}")
    assert done.scenario("tiny: A failing scenario")["baseline"] == "known"
    assert done.scenario("tiny: A failing low scenario")["baseline"] == "new"
    assert done.scenario("tiny: A passing scenario")["baseline"] is None
    assert done.json("summary.json")["fixed"] == [{"id": "tiny: A passing scenario",
                                                   "name": "Tiny gate › A passing scenario"}]
    states = {r["ruleId"]: r.get("baselineState") for r in done.json("results.sarif")["runs"][0]["results"]}
    assert states["tiny: A failing scenario"] == "unchanged" and states["tiny: A failing low scenario"] == "new"
    assert "FIXED   Tiny gate › A passing scenario" in done.stdout


def test_a_previous_summary_is_a_baseline(waived_run, suite_dir):
    done = run_gate(suite_dir, f"--baseline={waived_run.reports / 'summary.json'}")
    assert done.scenario("tiny: A waived scenario")["baseline"] == "known"
    assert done.json("summary.json")["fixed"] == []


def test_an_unreadable_baseline_is_a_usage_error(suite_dir):
    (suite_dir / "b.json").write_text("{}")
    done = run_gate(suite_dir, "--baseline", "b.json")
    assert done.returncode == 4 and "not a summary.json written by this gate" in done.stderr


@pytest.mark.parametrize("fail_on, selection, code", [
    ("high", "failing_low", 0),        # a low failure alone is reported, exit 0
    ("low", "failing_low", 1),
    ("critical", "failing", 0),        # the high failure is below the bar
    ("high", "failing", 1),
    ("none", "failing", 0),
])
def test_the_exit_code_follows_fail_on(suite_dir, fail_on, selection, code):
    done = run_gate(suite_dir, "--fail-on", fail_on, "-k", f"test_a_{selection}_scenario")
    assert done.returncode == code, done.stdout[-3000:]
    assert done.json("summary.json")["gate"] == ("failed" if code else "passed")
    assert "1 failed" in done.stdout.splitlines()[-1], "a failure below the bar is still reported"


def test_a_scenario_without_severity_fails_collection_naming_it(suite_dir):
    feature = suite_dir / "tiny.feature"
    feature.write_text(feature.read_text().replace("  @severity-critical\n", ""))
    done = run_gate(suite_dir)
    assert done.returncode == 4
    assert done.stderr.strip() == ("ERROR: scenario without a @severity-critical|high|medium|low tag: "
                                   "tiny.feature:5 'A passing scenario'")


def test_the_terminal_shows_one_line_per_scenario_and_the_failing_step_first(waived_run):
    lines = waived_run.stdout.splitlines()
    counted = [line for line in lines if line.startswith("[")]
    assert [line.split("]")[0] + "]" for line in counted] == [f"[{n}/7]" for n in range(1, 8)]
    assert "[2/7] FAILED  high     Tiny gate › A failing scenario" in waived_run.stdout
    assert "[7/7] ERROR   low      Tiny gate › A scenario whose target is gone" in waived_run.stdout
    assert "      Then the number is 3  →  expected the number 3, saw 2" in lines
    section = waived_run.stdout.split("test_a_failing_scenario ___")[1]
    assert section.lstrip("_\n").startswith("Step failed: Then the number is 3\n\nexpected the number 3, saw 2")
    assert "pytest_bdd" not in section.split("=====")[0], "no pytest-bdd internals in the failure"
    assert "FAILED  high     Tiny gate › A failing scenario (tiny.feature:11)" in waived_run.stdout



def test_only_scenarios_that_ran_are_reported(suite_dir):
    assert run_gate(suite_dir, "--collect-only").returncode == 0
    assert not (suite_dir / "reports").exists(), "collecting is not passing"
    done = run_gate(suite_dir, "-x")
    assert done.json("summary.json")["counts"]["total"] == 2, "-x stopped after the second scenario"
