"""The gate's strength: every failpoint turns exactly its expected features red.

For each failpoint, its catching features and the bystanders run against an embedded
stack with that failpoint on (one pytest subprocess and one stack per failpoint, one at a
time). Asserted: (1) each catching feature fails, in at least the scenarios the catalogue
names; (2) every other feature of the run passes, so the fault is caught where it lives.
The healthy control (conftest `healthy`) runs the same features without failpoints first.
"""

from __future__ import annotations

import re

import pytest

from evalplatform.failpoints import CATALOGUE

from .catalogue import BYSTANDERS, CATCHERS, features_for, markdown_table, scenarios_for
from .suite_run import PROJECT_ROOT, run_features

pytestmark = [pytest.mark.selftest, pytest.mark.slow]


def test_every_failpoint_has_catchers_and_bystanders():
    assert CATCHERS.keys() == CATALOGUE.keys(), sorted(CATCHERS.keys() ^ CATALOGUE.keys())
    for name, catchers in CATCHERS.items():
        assert catchers and all(catchers.values()), f"{name} names no catching scenario"
        assert set(BYSTANDERS) - set(catchers), f"{name}: no bystander left to stay green"
        for feature, titles in catchers.items():
            text = (PROJECT_ROOT / "features" / f"{feature}.feature").read_text()
            unknown = [t for t in titles if not re.search(rf"Scenario(?: Outline)?: {re.escape(t)}\n", text)]
            assert not unknown, f"{name}: no such scenario in {feature}.feature: {unknown}"


def test_the_healthy_platform_passes_every_feature_the_self_test_uses(healthy):
    ran = set(healthy.features)
    assert ran >= set(f for name in CATCHERS for f in features_for(name)), healthy.summary()
    assert all(o.passed for o in healthy.features.values()), healthy.summary()


@pytest.mark.parametrize("failpoint", sorted(CATALOGUE))
def test_failpoint_is_caught_by_its_features_and_no_other(failpoint, healthy, selftest_dir):
    run = run_features(features_for(failpoint), failpoints=[failpoint], narrowed=scenarios_for(failpoint),
                       workdir=selftest_dir)
    context = f"with {failpoint} on: {run.summary()}; log {run.log}"
    missing = sorted(set(features_for(failpoint)) - set(run.features))
    assert not missing, f"{context}: features that did not run: {missing}\n{run.tail()}"
    for feature, titles in CATCHERS[failpoint].items():
        outcome = run.features[feature]
        assert outcome.failed, f"{context}: {feature} did not catch it (the gate is blind here)"
        escaped = [t for t in titles if not outcome.failed_scenario(t)]
        assert not escaped, f"{context}: in {feature}, these scenarios passed although listed as catching it: {escaped}"
    wrong_place = {f: names for f, names in run.failed_features().items() if f not in CATCHERS[failpoint]}
    assert not wrong_place, f"{context}: caught by unrelated features {wrong_place}\n{run.tail()}"


def test_the_readme_table_is_the_catalogue():
    text = (PROJECT_ROOT / "README.md").read_text()
    assert markdown_table() in text, "the README's failpoint table is stale: paste `python -m tests.selftest.catalogue`"
