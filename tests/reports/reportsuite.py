"""Helpers of the report tests, which run a tiny pytest-bdd suite of their own (tests/reports/suite) in a
subprocess, with this project's gate plugin, and read what it wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITE = HERE / "suite"
SCHEMAS = HERE / "schemas"
PROJECT = HERE.parents[1]
COPIES = {"tiny.feature": "tiny.feature", "bind_tiny.py": "test_tiny.py",
          "conftest_tiny.py": "conftest.py", "pytest_tiny.ini": "pytest.ini"}


@dataclass
class GateRun:
    directory: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def reports(self) -> Path:
        return self.directory / "reports"

    def json(self, name: str):
        return json.loads((self.reports / name).read_text(encoding="utf-8"))

    def scenario(self, scenario_id: str) -> dict:
        return next(s for s in self.json("summary.json")["scenarios"] if s["id"] == scenario_id)


def tiny_suite(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for source, name in COPIES.items():
        shutil.copy(SUITE / source, directory / name)
    return directory


def run_gate(directory: Path, *args: str, env: dict | None = None) -> GateRun:
    # Only the plugins the tiny suite needs (pytest.ini names them): quicker than every entry point.
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})}
    for name in ("API_URL", "SUITE_TARGET", "SUITE_DIALECT"):
        if env is None or name not in env:
            environment.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "pytest", "--report-dir", "reports", *args],
                          cwd=directory, env=environment, capture_output=True, text=True, timeout=120)
    return GateRun(directory, done.returncode, done.stdout, done.stderr)
