"""Fixtures of the report tests: a tiny pytest-bdd suite (tests/reports/suite) in a
temporary directory, run in a subprocess with this project's gate plugin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportsuite import SUITE, GateRun, run_gate, tiny_suite


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    return tiny_suite(tmp_path / "suite")


@pytest.fixture(scope="module")
def waived_run(tmp_path_factory) -> GateRun:
    """The tiny suite with its waiver file, against a named external-looking target."""
    directory = tiny_suite(tmp_path_factory.mktemp("gate") / "suite")
    shutil.copy(SUITE / "waivers_tiny.yaml", directory / "waivers.yaml")
    return run_gate(directory, "--waivers", "waivers.yaml",
                    env={"SUITE_TARGET": "staging-eu", "SUITE_DIALECT": "reference"})
