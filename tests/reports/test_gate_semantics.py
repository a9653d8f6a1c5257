"""Gate semantics on the tiny suite: waivers, baselines, --fail-on, required severity, the terminal."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from reportsuite import run_gate
from support import waivers


def test_a_waived_failure_is_xfailed_with_its_waiver_never_passed(waived_run):
    assert "XFAIL test_tiny.py::test_a_waived_scenario - waived: the sixth number is a known gap, " \
           "ticket TINY-1 (qa-team, until 2099-12-31)" in waived_run.stdout
    assert waived_run.scenario("tiny/a-waived-scenario")["outcome"] == "waived"
    assert "2 xfailed" in waived_run.stdout.splitlines()[-1]


def test_an_expired_waiver_fails_the_run_at_start_with_one_line(suite_dir):
    (suite_dir / "waivers.yaml").write_text(
        "waivers:\n  - scenario: tiny/a-waived-scenario\n    justification: old\n    owner: qa\n"
        "    expires: 2020-01-31\n")
    done = run_gate(suite_dir, "--waivers", "waivers.yaml")
    assert done.returncode == 4
    assert done.stderr.strip() == ("ERROR: --waivers: waivers.yaml: waiver #1 (tiny/a-waived-scenario) expired "
                                   "on 2020-01-31 (owner qa): renew it or fix the failure")
    assert not (suite_dir / "reports").exists(), "no scenario ran"


@pytest.mark.parametrize("content, reason", [
    ("waivers: [", "not valid YAML"),
    ("- scenario: x\n", "expected a mapping with a 'waivers' list"),
    ("waivers:\n  - scenario: tiny/x\n    owner: qa\n    expires: 2099-01-01\n", "waiver #1 lacks justification"),
    ("waivers:\n  - scenario: tiny/x\n    justification: j\n    owner: qa\n    expires: soon\n",
     "expires 'soon' is not a date"),
])
def test_a_malformed_waiver_file_fails_the_run_with_one_line(suite_dir, content, reason):
    (suite_dir / "waivers.yaml").write_text(content)
    done = run_gate(suite_dir, "--waivers", "waivers.yaml")
    assert done.returncode == 4
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("ERROR: --waivers: waivers.yaml") and reason in line


def test_waiver_file_loads_dates_and_rejects_repeats(tmp_path):
    path = tmp_path / "w.yaml"
    entry = "  - scenario: a/b\n    justification: j\n    owner: o\n    expires: '2030-05-01'\n"
    path.write_text("waivers:\n" + entry)
    [(scenario, waiver)] = waivers.load(path, today=dt.date(2030, 5, 1)).items()
    assert (scenario, waiver.text()) == ("a/b", "waived: j (o, until 2030-05-01)")
    path.write_text("waivers:\n" + entry + entry)
    with pytest.raises(waivers.WaiverError, match="repeats scenario a/b"):
        waivers.load(path, today=dt.date(2030, 1, 1))


def test_a_baseline_marks_failures_new_or_known_and_lists_the_fixed(suite_dir, tmp_path):
    baseline = {"format": "evalgate-summary/1", "scenarios": [
        {"id": "tiny/a-failing-scenario", "outcome": "failed"},
        {"id": "tiny/a-passing-scenario", "outcome": "failed"},
        {"id": "tiny/a-skipped-scenario", "outcome": "passed"}]}
    (tmp_path / "baseline.json").write_text(json.dumps(baseline))
    # --opt=VALUE: an absolute path given as a separate argument would take part in pytest's
    # search for its ini file, before the plugin that owns --baseline is loaded.
    done = run_gate(suite_dir, f"--baseline={tmp_path / 'baseline.json'}")
    assert done.scenario("tiny/a-failing-scenario")["baseline"] == "known"
    assert done.scenario("tiny/a-failing-low-scenario")["baseline"] == "new"
    assert done.scenario("tiny/a-passing-scenario")["baseline"] is None
    assert done.json("summary.json")["fixed"] == [{"id": "tiny/a-passing-scenario",
                                                   "name": "Tiny gate › A passing scenario"}]
    states = {r["ruleId"]: r.get("baselineState") for r in done.json("results.sarif")["runs"][0]["results"]}
    assert states["tiny/a-failing-scenario"] == "unchanged" and states["tiny/a-failing-low-scenario"] == "new"
    assert "FIXED   Tiny gate › A passing scenario" in done.stdout


def test_a_previous_summary_is_a_baseline(waived_run, suite_dir):
    done = run_gate(suite_dir, f"--baseline={waived_run.reports / 'summary.json'}")
    assert done.scenario("tiny/a-waived-scenario")["baseline"] == "known"
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
    assert [line.split("]")[0] + "]" for line in counted] == [f"[{n}/6]" for n in range(1, 7)]
    assert "[2/6] FAILED  high     Tiny gate › A failing scenario" in waived_run.stdout
    assert "      Then the number is 3: expected the number 3, saw 2" in lines
    section = waived_run.stdout.split("test_a_failing_scenario ___")[1]
    assert section.lstrip("_\n").startswith("Step failed: Then the number is 3\n\nexpected the number 3, saw 2")
    assert "pytest_bdd" not in section.split("=====")[0], "no pytest-bdd internals in the failure"
    assert "FAILED  high     Tiny gate › A failing scenario (tiny.feature:11)" in waived_run.stdout


@pytest.mark.parametrize("value", ["2x", "0", "-1"])
def test_a_bad_suite_setting_is_one_line_naming_the_variable(suite_dir, value):
    done = run_gate(suite_dir, env={"SUITE_TIMEOUT_SCALE": value})
    assert done.returncode == 4
    assert done.stderr.strip() == f"ERROR: SUITE_TIMEOUT_SCALE={value!r}: expected a number greater than 0, such as 2 or 1.5"
    assert "INTERNALERROR" not in done.stdout + done.stderr
