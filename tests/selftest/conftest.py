"""Self-test fixtures: one healthy control run, shared by every failpoint's test."""

from __future__ import annotations

import pytest

from .catalogue import every_feature, every_narrowed_scenario
from .suite_run import SuiteRun, run_features


@pytest.fixture(scope="session")
def selftest_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("selftest")


@pytest.fixture(scope="session")
def healthy_run(selftest_dir) -> SuiteRun:
    """Every feature any failpoint's run uses, on the platform without failpoints."""
    return run_features(every_feature(), narrowed=every_narrowed_scenario(), workdir=selftest_dir)


@pytest.fixture(scope="session")
def healthy(healthy_run) -> SuiteRun:
    """The control, required by every failpoint's test: "it fails with the failpoint on"
    proves nothing about a feature that also fails without it."""
    if healthy_run.failed_features():
        pytest.fail(f"the healthy platform already fails {healthy_run.failed_features()}; "
                    f"log {healthy_run.log}:\n{healthy_run.tail()}")
    return healthy_run
