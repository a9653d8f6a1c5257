"""The gate's strength: every failpoint turns exactly its expected scenarios red.

Failpoints run in groups (catalogue.groups(): disjoint catching features, a bystander
left), one pytest subprocess and one embedded stack per group, one group at a time. Each
run selects the scenarios its failpoints name (CATCHERS) and the whole bystander
features. Asserted: (1) every named scenario fails; (2) every bystander passes, so the
fault is caught where it lives and does not take the suite down with it. The healthy
control (conftest `healthy`) runs the same selection without failpoints first.
"""

from __future__ import annotations

import re

import pytest

from evalplatform.failpoints import CATALOGUE

from .catalogue import (
    APART,
    BYSTANDERS,
    CATCHERS,
    SOLO,
    bystanders_for,
    features_for,
    groups,
    markdown_table,
    scenarios_for,
)
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


def test_every_failpoint_is_wired_where_its_guarantee_lives():
    """Each name of the catalogue is asked for by `failpoints.active("name")` somewhere in
    evalplatform/ (a failpoint nothing asks for would be caught by luck, or not at all)."""
    source = "".join(p.read_text() for p in (PROJECT_ROOT / "evalplatform").rglob("*.py") if p.name != "failpoints.py")
    wired = set(re.findall(r'failpoints\.active\(\s*"(\w+)"', source))
    assert not CATALOGUE.keys() - wired, f"failpoints nothing asks for: {sorted(CATALOGUE.keys() - wired)}"
    assert not wired - CATALOGUE.keys(), f"asked for but not catalogued: {sorted(wired - CATALOGUE.keys())}"


def test_the_groups_hold_every_failpoint_once_with_disjoint_features():
    grouped = [name for group in groups() for name in group]
    assert sorted(grouped) == sorted(CATALOGUE), "a failpoint is in no group, or in two"
    for group in groups():
        features = [f for name in group for f in CATCHERS[name]]
        assert len(features) == len(set(features)), f"{group}: two failpoints are caught in one feature"
        assert bystanders_for(group), f"{group}: no bystander left to stay green"
        assert len(group) == 1 or not SOLO & set(group), f"{group}: a SOLO failpoint shares a run"
        assert all(len(together & set(group)) <= 1 for together in APART), f"{group}: failpoints of one branch"


def test_the_healthy_platform_passes_every_feature_the_self_test_uses(healthy):
    ran = set(healthy.features)
    assert ran >= set(f for group in groups() for f in features_for(group)), healthy.summary()
    assert all(o.passed for o in healthy.features.values()), healthy.summary()


@pytest.mark.parametrize("group", groups(), ids="+".join)
def test_failpoints_are_caught_by_their_scenarios_and_no_bystander(group, healthy, selftest_dir):
    run = run_features(features_for(group), failpoints=group, narrowed=scenarios_for(group), workdir=selftest_dir)
    context = f"with {', '.join(group)} on: {run.summary()}; log {run.log}"
    missing = sorted(set(features_for(group)) - set(run.features))
    assert not missing, f"{context}: features that did not run: {missing}\n{run.tail()}"
    blind = {name: {feature: [t for t in titles if not run.features[feature].failed_scenario(t)]
                    for feature, titles in CATCHERS[name].items()}
             for name in group}
    blind = {name: {f: ts for f, ts in places.items() if ts} for name, places in blind.items()}
    blind = {name: places for name, places in blind.items() if places}
    assert not blind, f"{context}: scenarios that passed although listed as catching their failpoint: {blind}"
    wrong_place = {f: names for f, names in run.failed_features().items() if f in bystanders_for(group)}
    assert not wrong_place, f"{context}: bystanders turned red {wrong_place}\n{run.tail()}"


def test_the_readme_table_is_the_catalogue():
    text = (PROJECT_ROOT / "README.md").read_text()
    assert markdown_table() in text, "the README's failpoint table is stale: paste `python -m tests.selftest.catalogue`"
