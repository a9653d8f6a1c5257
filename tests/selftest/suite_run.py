"""Run acceptance features in a pytest subprocess against an embedded stack of its own,
optionally with failpoints on, and read back each scenario's outcome from JUnit XML.

The subprocess is a plain `pytest features/test_<name>.py ...`: the suite's session
fixture starts the embedded stack, whose processes inherit this environment, so
EVALPLATFORM_FAILPOINTS and EVALPLATFORM_FAILPOINTS_ALLOWED reach the API, the workers
and the chaos scenarios' own stacks alike. Every variable that would point the suite at
an external deployment is removed: the self-test judges the embedded platform only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional

from pytest_bdd.scenario import make_python_name

from support.config import URL_VARIABLES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Variables that would send the suite elsewhere, or carry failpoints from the caller.
STRIPPED = (*URL_VARIABLES, "KUBECONFIG", "EVALPLATFORM_FAILPOINTS", "EVALPLATFORM_FAILPOINTS_ALLOWED")
RUN_TIMEOUT_S = 900


def scenario_test_name(title: str) -> str:
    """The pytest function pytest-bdd makes for a scenario title (outlines add [params])."""
    return f"test_{make_python_name(title)}"


@dataclass
class FeatureOutcome:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)     # failures and errors
    skipped: list[str] = field(default_factory=list)    # skips and expected failures

    def failed_scenario(self, title: str) -> bool:
        name = scenario_test_name(title)
        return any(t.split("[", 1)[0] == name for t in self.failed)


@dataclass
class SuiteRun:
    failpoints: tuple[str, ...]
    returncode: int
    features: dict[str, FeatureOutcome]
    log: Path

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def failed_features(self) -> dict[str, list[str]]:
        return {name: o.failed for name, o in self.features.items() if o.failed}

    def summary(self) -> str:
        return "; ".join(f"{name}: {len(o.passed)} passed, {len(o.failed)} failed, {len(o.skipped)} skipped"
                         for name, o in self.features.items())


def suite_env(failpoints: Iterable[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    names = ",".join(failpoints)
    if names:
        env.update(EVALPLATFORM_FAILPOINTS=names, EVALPLATFORM_FAILPOINTS_ALLOWED="true")
    return env


def _selection(features: Iterable[str], narrowed: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Node ids: whole feature modules, or only the named scenarios of a narrowed one."""
    ids = []
    for feature in features:
        module = f"features/test_{feature}.py"
        if feature in narrowed:
            ids += [f"{module}::{scenario_test_name(title)}" for title in narrowed[feature]]
        else:
            ids.append(module)
    return ids


def read_junit(path: Path) -> dict[str, FeatureOutcome]:
    """{feature name: its outcome}, from pytest's JUnit XML (classname features.test_<name>)."""
    outcomes: dict[str, FeatureOutcome] = defaultdict(FeatureOutcome)
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        feature = module.removeprefix("test_")
        outcome = outcomes[feature]
        if case.find("failure") is not None or case.find("error") is not None:
            outcome.failed.append(case.get("name"))
        elif case.find("skipped") is not None:
            outcome.skipped.append(case.get("name"))
        else:
            outcome.passed.append(case.get("name"))
    return dict(outcomes)


def run_features(features: Iterable[str], *, failpoints: Iterable[str] = (), workdir: Path,
                 narrowed: Optional[Mapping[str, tuple[str, ...]]] = None,
                 extra_args: Iterable[str] = (), timeout: float = RUN_TIMEOUT_S) -> SuiteRun:
    """Run the features (one pytest process, one embedded stack) and collect outcomes."""
    failpoints = tuple(failpoints)
    label = "-".join(failpoints) or "healthy"
    workdir.mkdir(parents=True, exist_ok=True)
    junit, log = workdir / f"{label}.xml", workdir / f"{label}.log"
    argv = [sys.executable, "-m", "pytest", *_selection(features, narrowed or {}),
            "-p", "no:cacheprovider", "-q", "-rfE", f"--junitxml={junit}",
            f"--report-dir={workdir / (label + '-reports')}", *extra_args]
    with log.open("w") as out:
        completed = subprocess.run(argv, cwd=PROJECT_ROOT, env=suite_env(failpoints), stdout=out,
                                   stderr=subprocess.STDOUT, timeout=timeout)
    if not junit.exists():
        raise RuntimeError(f"pytest wrote no JUnit report (exit {completed.returncode}); log {log}:\n"
                           + "\n".join(log.read_text(errors="replace").splitlines()[-40:]))
    return SuiteRun(failpoints, completed.returncode, read_junit(junit), log)
