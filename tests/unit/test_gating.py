"""The gate fails closed: which scenario runs against which target is decided from tags
alone (support/gating.py), and no isolation scenario is ever left out because a target
declares nothing, or declares no capability at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from support import gating
from support.config import SettingError, Target
from support.profile import TargetProfile, Waiver, load

FEATURES = Path(__file__).resolve().parents[2] / "features"
NOTHING = TargetProfile()


def scenarios():
    """(scenario id, tags) of every scenario of every feature, as the conftest names them."""
    for feature in get_features([str(FEATURES)]):
        for template in feature.scenarios.values():
            tags = {t.lstrip("@") for t in feature.tags} | {t.lstrip("@") for t in template.tags}
            yield f"{Path(feature.filename).stem}: {template.name}", tags


ISOLATION = [(sid, tags) for sid, tags in scenarios() if "isolation" in tags]
TARGETS = {
    "embedded": Target(kind="embedded"),
    "http without /api/platform": Target(kind="http", api_url="http://127.0.0.1:9/api"),
    "command": Target(kind="command", spec="bwrap --unshare-all --"),
    "inspect local": Target(kind="inspect", spec="local"),
}


def test_the_features_have_isolation_scenarios():
    assert len(ISOLATION) >= 30, f"only {len(ISOLATION)} isolation scenarios found in {FEATURES}"


@pytest.mark.parametrize("capabilities", [None, frozenset(), frozenset({"priority"})],
                         ids=["declares nothing", "declares no capability", "declares only priority"])
@pytest.mark.parametrize("name", ["embedded", "http without /api/platform"])
def test_every_isolation_scenario_runs_on_a_platform_whatever_it_declares(name, capabilities):
    left_out = {sid: d.skip for sid, tags in ISOLATION
                if (d := gating.decide(tags, sid, TARGETS[name], NOTHING, capabilities)).skip}
    # The embedded stack is where every one of them applies; an external platform leaves out
    # only those that look at this host's processes and files.
    if name == "embedded":
        assert not left_out, left_out
    else:
        assert all("@host" in reason for reason in left_out.values()), left_out


@pytest.mark.parametrize("name", ["command", "inspect local"])
def test_on_a_sandbox_only_the_platforms_own_promises_are_left_out(name):
    for sid, tags in ISOLATION:
        decision = gating.decide(tags, sid, TARGETS[name], NOTHING, frozenset())
        if "platform" in tags:
            assert decision.skip and "not applicable" in decision.skip, sid
        else:
            assert decision.runs, f"{sid} left out of a {name} target: {decision.skip}"


def test_platform_features_do_not_apply_to_a_sandbox_and_say_why():
    decision = gating.decide({"queue", "priority"}, "priority: x", TARGETS["command"], NOTHING)
    assert decision.skip.startswith("not applicable to a command target")


def test_an_optional_feature_is_skipped_only_where_the_target_declares_it_lacks_it():
    tags, sid = {"queue", "priority"}, "priority: x"
    assert gating.decide(tags, sid, TARGETS["embedded"], NOTHING, None).runs
    assert gating.decide(tags, sid, TARGETS["embedded"], NOTHING, frozenset({"priority"})).runs
    assert "declares no priority" in gating.decide(tags, sid, TARGETS["embedded"], NOTHING, frozenset()).skip


def test_isolation_tags_are_not_optional_features():
    assert not {"network", "filesystem", "resources", "privileges", "secrets", "persistence", "isolation"} \
        & set(gating.OPTIONAL_TAGS)


def test_a_waiver_applies_to_its_scenario_and_still_runs_it():
    waiver = Waiver(justification="known", owner="ops", expires=dt.date(2999, 1, 1), scenario="network: a")
    profile = TargetProfile(waivers=(waiver,))
    decision = gating.decide({"isolation", "network"}, "network: a", TARGETS["command"], profile)
    assert decision.runs and decision.waiver is waiver
    assert gating.decide({"isolation", "network"}, "network: b", TARGETS["command"], profile).waiver is None


def write(tmp_path, text: str) -> str:
    path = tmp_path / "profile.yaml"
    path.write_text(text)
    return str(path)


def test_a_profile_declares_capabilities_limits_and_waivers(tmp_path):
    profile = load(write(tmp_path, """
name: staging
capabilities: [cancellation]
limits: {pids: 128}
waivers:
  - tag: resources
    justification: limits come from the runner's scope
    owner: ops
    expires: 2999-01-31
"""))
    assert profile.capabilities == {"cancellation"} and profile.limits == {"pids": 128}
    assert profile.waiver_for("resources: x", {"isolation", "resources"}).owner == "ops"


@pytest.mark.parametrize("text, says", [
    ("capabilities: [network_isolation]", "isolation cannot be declared away"),
    ("waivers: [{tag: network, owner: ops, expires: 2999-01-01}]", "has no justification"),
    ("waivers: [{tag: network, justification: x, owner: ops, expires: 2000-01-01}]", "expired on 2000-01-01"),
    ("waivers: [{scenario: a, tag: b, justification: x, owner: ops, expires: 2999-01-01}]", "exactly one of"),
    ("colour: red", "unknown keys ['colour']"),
    ("[1, 2", "not YAML"),
])
def test_a_bad_profile_is_one_line_naming_what_is_wrong(tmp_path, text, says):
    with pytest.raises(SettingError) as caught:
        load(write(tmp_path, text))
    assert says in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("env, says", [
    ({"SUITE_TIMEOUT_SCALE": "2x"}, "SUITE_TIMEOUT_SCALE='2x' is not a number"),
    ({"SUITE_LOAD_N": "0"}, "SUITE_LOAD_N='0' must be greater than 0"),
    ({"SUITE_TARGET": "ftp:x"}, "the kind must be one of"),
    ({"SUITE_TARGET": "command:"}, "names no command prefix"),
    ({"SUITE_TARGET": "http"}, "needs API_URL"),
    ({"SUITE_DIALECT": "klingon"}, "known dialects are contract, crucible"),
    ({"SUITE_TARGET": "inspect:local", "API_URL": "http://127.0.0.1:1/api"}, "unset API_URL"),
])
def test_a_bad_suite_setting_is_one_line_naming_the_variable(env, says):
    with pytest.raises(SettingError) as caught:
        Target.from_env(env)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_target_kinds():
    assert Target.from_env({}).kind == "embedded"
    assert Target.from_env({"API_URL": "http://127.0.0.1:1/api"}).kind == "http"
    command = Target.from_env({"SUITE_TARGET": "command:bwrap --unshare-all --"})
    assert (command.kind, command.spec, command.local, command.is_platform) == \
        ("command", "bwrap --unshare-all --", True, False)
    assert Target.from_env({"SUITE_TARGET": "inspect:k8s"}).local is False
