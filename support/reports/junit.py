"""JUnit XML as Jenkins' xunit plugin (junit-10.xsd), GitLab and GitHub test reporters read it.

One <testsuite> per feature, one <testcase> per scenario: the scenario's name as `name`,
the feature's name as `classname`. Properties (the target, the dialect, measurements that
steps attach) live at suite level, where the schema has them. A waived failure is a
<skipped> whose message is the waiver, never a pass.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET

from support.reports.model import RunModel, ScenarioResult


def _testcase(scenario: ScenarioResult) -> ET.Element:
    case = ET.Element("testcase", name=scenario.name, classname=scenario.feature.name,
                      time=f"{scenario.duration:.3f}")
    if scenario.outcome in ("failed", "error"):
        step = scenario.failed_step
        detail = ET.SubElement(case, "failure" if scenario.outcome == "failed" else "error",
                               message=scenario.seen.splitlines()[0] if scenario.seen else scenario.outcome,
                               type=f"severity-{scenario.severity}")
        detail.text = step.error if step else scenario.seen
    elif scenario.outcome in ("skipped", "waived"):
        ET.SubElement(case, "skipped", message=scenario.reason)
    steps = "\n".join(f"{step.status:>9}  {step.text}" for step in scenario.steps)
    ET.SubElement(case, "system-out").text = f"{scenario.id} [{scenario.severity}]\n{steps}"
    return case


def _suite(model: RunModel, feature, scenarios, index: int) -> ET.Element:
    outcomes = [s.outcome for s in scenarios]
    suite = ET.Element("testsuite", name=feature.name, tests=str(len(scenarios)),
                       failures=str(outcomes.count("failed")), errors=str(outcomes.count("error")),
                       skipped=str(outcomes.count("skipped") + outcomes.count("waived")),
                       time=f"{sum(s.duration for s in scenarios):.3f}",
                       timestamp=dt.datetime.fromtimestamp(model.started).strftime("%Y-%m-%dT%H:%M:%S"),
                       hostname=socket.gethostname(), id=str(index), package=feature.uri, file=feature.uri)
    properties = ET.SubElement(suite, "properties")
    pairs = [("target", model.target["name"]), ("target.kind", model.target["kind"]),
             ("target.dialect", model.target["dialect"]), ("fail-on", model.fail_on)]
    pairs += [(f"{s.name}: {name}", str(value)) for s in scenarios for name, value in s.properties]
    for name, value in pairs:
        ET.SubElement(properties, "property", name=name, value=value)
    suite.extend(_testcase(s) for s in scenarios)
    return suite


def render(model: RunModel) -> str:
    outcomes = [s.outcome for s in model.scenarios]
    root = ET.Element("testsuites", name="evalgate", tests=str(len(outcomes)),
                      failures=str(outcomes.count("failed")), errors=str(outcomes.count("error")),
                      time=f"{model.duration:.3f}")
    root.extend(_suite(model, feature, scenarios, index)
                for index, (feature, scenarios) in enumerate(model.features()))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
